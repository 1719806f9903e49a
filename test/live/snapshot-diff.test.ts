// Live proof for `snapshot diff`: capture the real daemon through the CLI, make three changes —
// connect a container to a second network, recreate a container with one more published port,
// insert a DOCKER-USER rule — capture again, and check the diff reports exactly those changes for
// this test's containers, networks and rules. Recreating the container makes Docker delete and
// re-append its per-container firewall rules in a new order: the diff must not report those.
//
// Networks: 10.214.71.0/24 (a) and 10.214.72.0/24 (b). Every container resolves through this
// test's own DNS server on a's gateway. The DOCKER-USER rule is removed in afterAll, also when a
// step fails.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../src/analysis/snapshot-diff.js';
import { runCli } from '../support/cli.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import { cleanupRun, connect, docker, dockerHost, preflight, requireLiveDaemon, runContainer, createNetwork, RUN_PREFIX, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();

interface DiffJson {
  identical: boolean;
  changes: Change[];
  notes: string[];
}

/** Waits (at most 10 s) until the bridge has its IPv6 link-local route in the local table, or IPv6 is off on it. */
async function bridgeSettled(bridge: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    let out = '';
    try {
      out = execFileSync('ip', ['-6', 'route', 'show', 'table', 'local', 'dev', bridge], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return; // no IPv6 on this host, or no such device: nothing to wait for
    }
    if (/^local fe80:/m.test(out)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function iptables(args: string[]): void {
  execFileSync('iptables', ['-w', '5', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.skipIf(!live)('snapshot diff (live): two captures around three real changes', () => {
  let dir: string;
  let a: TestNetwork;
  let b: TestNetwork;
  let dns: DnsServer | undefined;
  let userRule: string[] | null = null;
  let diff: DiffJson;
  let exitCode: number | null;
  const web = `${RUN_PREFIX}diff-web`;
  const db = `${RUN_PREFIX}diff-db`;
  const comment = `${RUN_PREFIX}diff`;
  let webIdBefore = '';
  let webIdAfter = '';

  async function capture(file: string): Promise<void> {
    const r = await runCli(['snapshot', 'capture', '--host', dockerHost(), '-o', file], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`capture failed (${r.code}): ${r.stderr}`);
  }

  beforeAll(async () => {
    await preflight();
    await cleanupRun();
    dir = mkdtempSync(join(tmpdir(), 'netsleuth-live-diff-'));
    a = await createNetwork({ name: 'diff-a', subnet: '10.214.71.0/24' });
    b = await createNetwork({ name: 'diff-b', subnet: '10.214.72.0/24' });
    dns = await startDnsServer({ address: a.gateway, port: 53, zone: { 'diff.test.': ['10.214.71.250'] } });
    const webOpts = { name: 'diff-web', network: a.name, ip: '10.214.71.10', dns: a.gateway, command: ['httpd', '-f', '-p', '80'] };
    webIdBefore = (await runContainer({ ...webOpts, publish: ['127.0.0.1:18471:80'] })).id;
    await runContainer({ name: 'diff-db', network: a.name, ip: '10.214.71.20', dns: a.gateway });
    // a's bridge only came up with web's port: the kernel adds its IPv6 link-local route after
    // duplicate address detection, a second or so later. Capture once it has, so that route is
    // not a change between the captures (it raced the first capture on a fast run).
    await bridgeSettled(`br-${a.id.slice(0, 12)}`);
    await capture(join(dir, 'before.json'));

    await connect(b.name, db, { ip: '10.214.72.20' });
    await docker(['rm', '-f', web]);
    webIdAfter = (await runContainer({ ...webOpts, publish: ['127.0.0.1:18471:80', '127.0.0.1:18472:81'] })).id;
    userRule = ['DOCKER-USER', '-s', '10.214.71.99/32', '-m', 'comment', '--comment', comment, '-j', 'DROP'];
    iptables(['-I', ...userRule]);
    await capture(join(dir, 'after.json'));

    const r = await runCli(['snapshot', 'diff', join(dir, 'before.json'), join(dir, 'after.json'), '--json', '--exit-code'], { timeoutMs: 60_000 });
    exitCode = r.code;
    if (r.code !== 0 && r.code !== 1) throw new Error(`diff failed (${r.code}): ${r.stderr}`);
    diff = JSON.parse(r.stdout) as DiffJson;
  }, 300_000);

  afterAll(async () => {
    if (userRule) {
      try {
        iptables(['-D', ...userRule]);
      } catch {
        // already gone
      }
    }
    await cleanupRun();
    await dns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const ours = (c: Change) => c.subject === web || c.subject === db || c.subject === a.name || c.subject === b.name;
  const brief = (c: Change) => ({ kind: c.kind, op: c.op, subject: c.subject, field: c.field, before: c.before, after: c.after });

  it('exits 1 with --exit-code because the snapshots differ', () => {
    expect(exitCode).toBe(1);
    expect(diff.identical).toBe(false);
  });

  it('reports exactly the recreation, the new port and the new endpoint for our containers and networks', () => {
    const got = diff.changes.filter((c) => ['container', 'endpoint', 'port', 'network'].includes(c.kind) && ours(c)).map(brief);
    expect(got).toEqual([
      { kind: 'container', op: 'changed', subject: web, field: 'id', before: webIdBefore, after: webIdAfter },
      { kind: 'endpoint', op: 'added', subject: db, field: 'network', before: null, after: { network: b.name, ipv4: '10.214.72.20/24', ipv6: null } },
      { kind: 'port', op: 'added', subject: web, field: 'binding', before: null, after: '127.0.0.1:18472->81/tcp' },
    ]);
  });

  it('reports the DOCKER-USER rule and the new port-81 rules, but not web\'s re-added port-80 rules', () => {
    const fw = diff.changes.filter((c) => c.kind === 'firewall');
    const user = fw.filter((c) => c.subject === 'ipv4/filter/DOCKER-USER');
    expect(user.map(brief)).toEqual([
      { kind: 'firewall', op: 'added', subject: 'ipv4/filter/DOCKER-USER', field: 'rule', before: null, after: `-s 10.214.71.99/32 -m comment --comment ${comment} -j DROP` },
    ]);
    const webRules = fw.filter((c) => JSON.stringify([c.before, c.after]).includes('10.214.71.10'));
    expect(webRules.length).toBeGreaterThan(0);
    for (const c of webRules) {
      expect(c.op).toBe('added');
      expect(String(c.after)).toMatch(/--dport (81|18472)\b|10\.214\.71\.10:81\b/);
    }
    expect(webRules.some((c) => c.subject === 'ipv4/filter/DOCKER' && /--dport 81 -j ACCEPT$/.test(String(c.after)))).toBe(true);
  });

  it('reports db\'s new routes on network b inside its namespace, no route change for web, and host routes only for b\'s bridge coming up', () => {
    const routes = diff.changes.filter((c) => c.kind === 'route');
    const dbRoutes = routes.filter((c) => c.subject === `container ${db}`);
    expect(dbRoutes.length).toBeGreaterThan(0);
    for (const c of dbRoutes) {
      expect(c.op).toBe('added');
      expect(String(c.after)).toContain('10.214.72.');
    }
    expect(dbRoutes.some((c) => String(c.after).startsWith('10.214.72.0/24 dev eth1'))).toBe(true);
    expect(routes.filter((c) => c.subject === `container ${web}`)).toEqual([]);
    // New veths' kernel routes are not reported. b's bridge had no port before db joined, so the
    // kernel only now brings it up and gives it IPv6 link-local routes: those are real changes.
    const bridgeB = `br-${b.id.slice(0, 12)}`;
    for (const c of routes.filter((x) => x.subject === 'host')) {
      expect(c.op).toBe('added');
      expect(String(c.after)).toContain(`dev ${bridgeB} `);
    }
  });

  it('a snapshot diffed with itself is empty and exits 0', async () => {
    const r = await runCli(['snapshot', 'diff', join(dir, 'after.json'), join(dir, 'after.json'), '--exit-code']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No differences.');
  });
});
