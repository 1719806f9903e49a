// `netsleuth doctor` on the real daemon: a deliberately broken compose-like setup, then the fixed one.
//
//   broken                                                   expected finding (warning)
//   web publishes HOSTPORT:80; a stopped web-old is           PORT_CONFLICT_STOPPED_CONTAINER
//     configured for the same host port
//   db on an internal network only, with -p                   INTERNAL_NETWORK_PUBLISHED_PORT
//   a DOCKER-USER DROP for web's address and port 80          PUBLISHED_PORT_FIREWALL_BLOCKED
//     (inserted with iptables here, removed in afterAll even when a test fails)
//
// `doctor --fail-on warning` must exit 1 and, among the findings about this test's own containers
// and networks (the host has other state), list exactly those. Fixed (web-old removed, db without
// -p, the rule deleted) there are none, and the exit code is 1 only if something else on the host
// is at warning or above. Networks get the uplink's MTU so MTU_MISMATCH (real, but not this test's
// point) stays out. Containers use DNS servers this test runs on their networks' gateways.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import { RUN_PREFIX, TEST_LABEL, cleanupRun, createNetwork, docker, dockerHost, preflight, requireLiveDaemon, runContainer, type TestContainer, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();
const HOST_PORT = 18770;
const EXPECTED = ['INTERNAL_NETWORK_PUBLISHED_PORT', 'PORT_CONFLICT_STOPPED_CONTAINER', 'PUBLISHED_PORT_FIREWALL_BLOCKED'];

interface Finding {
  code: string;
  severity: 'error' | 'warning' | 'info';
  subjects: string[];
  evidence: string[];
}

function iptables(args: string[]): void {
  execFileSync('iptables', ['-w', '5', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** MTU of the interface the host's default route uses (what MTU_MISMATCH compares against). */
function uplinkMtu(): number {
  const dev = /\bdev (\S+)/.exec(execFileSync('ip', ['-4', 'route', 'show', 'default'], { encoding: 'utf8' }))?.[1];
  if (!dev) return 1500;
  const mtu = /\bmtu (\d+)/.exec(execFileSync('ip', ['link', 'show', dev], { encoding: 'utf8' }))?.[1];
  return Math.min(1500, Number(mtu ?? 1500));
}

describe.skipIf(!live)('doctor on the live daemon: broken setup fails the gate with exactly its findings, fixed setup passes', () => {
  let app: TestNetwork;
  let back: TestNetwork;
  let web: TestContainer;
  const dns: DnsServer[] = [];
  let userRule: string[] | null = null;
  const ours = (f: Finding) => f.subjects.some((s) => s.startsWith(RUN_PREFIX));

  beforeAll(async () => {
    await preflight();
    await cleanupRun();
    const mtu = String(uplinkMtu());
    app = await createNetwork({ name: 'dr-app', subnet: '10.214.170.0/24', options: { 'com.docker.network.driver.mtu': mtu } });
    back = await createNetwork({ name: 'dr-back', subnet: '10.214.171.0/24', internal: true, options: { 'com.docker.network.driver.mtu': mtu } });
    for (const n of [app, back]) dns.push(await startDnsServer({ address: n.gateway, port: 53, zone: { 'api.test.': ['10.214.170.250'] } }));
    web = await runContainer({ name: 'web', network: app.name, dns: app.gateway, publish: [`${HOST_PORT}:80`], command: ['httpd', '-f', '-p', '80'], labels: { 'com.docker.compose.project': 'drshop', 'com.docker.compose.service': 'web' } });
    // The stale container of an earlier deploy: configured for the same host port, never started.
    await docker(['create', '--label', `${TEST_LABEL}=1`, '--name', `${RUN_PREFIX}web-old`, '--network', app.name, '--dns', app.gateway, '-p', `${HOST_PORT}:80`, 'netsleuth-test/busybox:latest', 'httpd', '-f', '-p', '80']);
    await runContainer({ name: 'db', network: back.name, dns: back.gateway, publish: ['15432:5432'], command: ['httpd', '-f', '-p', '5432'] });
    userRule = ['DOCKER-USER', '-d', `${web.ips[app.name]}/32`, '-p', 'tcp', '--dport', '80', '-j', 'DROP'];
    iptables(['-I', ...userRule]);
  }, 180_000);

  afterAll(async () => {
    if (userRule) {
      try {
        iptables(['-D', ...userRule]);
      } catch {
        /* already removed by the test */
      }
    }
    await cleanupRun();
    for (const d of dns) await d.close();
  }, 180_000);

  async function doctor(): Promise<{ code: number | null; findings: Finding[]; stderr: string }> {
    const r = await runCli(['doctor', '--host', dockerHost(), '--fail-on', 'warning', '--json'], { timeoutMs: 240_000 });
    expect(r.stdout, r.stderr).not.toBe('');
    return { code: r.code, findings: JSON.parse(r.stdout).findings, stderr: r.stderr };
  }

  it('broken: exit 1, and exactly the three findings about this setup', async () => {
    const r = await doctor();
    expect(r.code, r.stderr).toBe(1);
    const mine = r.findings.filter(ours).filter((f) => f.severity !== 'info');
    expect(mine.map((f) => f.code).sort(), JSON.stringify(mine, null, 1)).toEqual(EXPECTED);
    const by = (code: string) => mine.find((f) => f.code === code)!;
    expect(by('PORT_CONFLICT_STOPPED_CONTAINER').subjects).toEqual(expect.arrayContaining([`${RUN_PREFIX}web-old`, `${RUN_PREFIX}web`]));
    expect(by('INTERNAL_NETWORK_PUBLISHED_PORT').subjects).toEqual([`${RUN_PREFIX}db`, back.name]);
    expect(by('PUBLISHED_PORT_FIREWALL_BLOCKED').subjects).toEqual([`${RUN_PREFIX}web`, 'filter/DOCKER-USER#1']);
    expect(by('PUBLISHED_PORT_FIREWALL_BLOCKED').evidence.join('\n')).toContain(`-d ${web.ips[app.name]}/32 -p tcp -m tcp --dport 80 -j DROP`);
    // The capture had the evidence these checks need: no "could not run" about the firewall.
    expect(r.findings.filter((f) => f.code === 'EVIDENCE_MISSING' && f.evidence.some((e) => /firewall/.test(e)))).toEqual([]);
  }, 300_000);

  it('fixed: no finding at warning or above about this setup; exit code only reflects the rest of the host', async () => {
    iptables(['-D', ...userRule!]);
    userRule = null;
    await docker(['rm', '-f', `${RUN_PREFIX}web-old`, `${RUN_PREFIX}db`]);
    await runContainer({ name: 'db', network: back.name, dns: back.gateway, command: ['httpd', '-f', '-p', '5432'] });
    const r = await doctor();
    const above = r.findings.filter((f) => f.severity !== 'info');
    expect(above.filter(ours), JSON.stringify(above.filter(ours), null, 1)).toEqual([]);
    expect(r.code, `other findings on the host: ${above.map((f) => f.code).join(', ')}`).toBe(above.length ? 1 : 0);
  }, 300_000);
});
