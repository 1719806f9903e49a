// Live DNS tests on the real daemon: names, aliases, shared aliases (round robin), the default
// bridge, a network the querier is not on, extra hosts, and a custom --dns upstream (our own
// never-forwarding server on the test network's gateway). Every container gets --dns <gateway>.
//
// Oracle: what the tool observes on the wire must equal what busybox `nslookup` inside the
// container and Debian's `dig` (run in the container's namespace via nsenter) report.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import { runCli } from '../support/cli.js';
import {
  cleanupAll,
  createNetwork,
  docker,
  dockerHost,
  exec,
  inspect,
  preflight,
  requireLiveDaemon,
  runContainer,
  type TestContainer,
  type TestNetwork,
} from './harness.js';

const live = requireLiveDaemon();

function sh(file: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr });
    });
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let haveDig = false;

async function ensureDig(): Promise<void> {
  if (existsSync('/usr/bin/dig')) {
    haveDig = true;
    return;
  }
  if (!isRoot) return;
  // Debian's dnsutils (dig); the lead adds it to scripts/test-dockerd.sh's install list.
  const r = await sh('apt-get', ['install', '-y', '-q', 'dnsutils'], 170_000);
  haveDig = r.code === 0 && existsSync('/usr/bin/dig');
}

async function pidOf(name: string): Promise<number> {
  const info = (await inspect(name)) as { State: { Pid: number } };
  return info.State.Pid;
}

/** `dig +short` from inside the container's network namespace. */
async function digIn(container: string, server: string, name: string, type = 'A'): Promise<{ status: string; answers: string[] }> {
  const pid = await pidOf(container);
  const r = await sh('nsenter', ['-t', String(pid), '-n', 'dig', `@${server}`, name, type, '+time=2', '+tries=2', '+nocmd', '+noall', '+comments', '+answer']);
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? 'NO_ANSWER';
  const answers = r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === type)
    .map((f) => f.slice(4).join(' '))
    .sort();
  return { status, answers };
}

/** busybox nslookup inside the container: addresses it printed after "Name:" lines, and whether it failed. */
async function nslookupIn(container: string, name: string, server?: string): Promise<{ ok: boolean; addresses: string[]; out: string }> {
  const r = await exec(container, ['nslookup', '-type=a', name, ...(server ? [server] : [])], 20_000);
  const out = r.stdout + r.stderr;
  const body = out.split(/\n\s*\n/).slice(1).join('\n');
  const addresses = [...body.matchAll(/^Address(?: \d+)?:\s*([0-9.]+)\s*$/gm)].map((m) => m[1]!).sort();
  return { ok: addresses.length > 0, addresses, out };
}

interface DnsJson {
  verdict: string;
  answers: Array<{ type: string; data: string; source: string }>;
  agreement: string | null;
  disagreements: Array<{ code: string; message: string }>;
  reasons: Array<{ code: string }>;
  liveCheck: { available: boolean; reason: string | null; method?: string | null } | null;
  prediction: { verdict: string; certainty: string };
  observed: { steps: Array<{ name: string; server: string; response: { latencyMs: number; rcode: string } | null }> } | null;
  steps: Array<{ kind: string; observed: unknown }>;
}

async function nsdns(args: string[]): Promise<DnsJson> {
  const r = await runCli(['dns', ...args, '--json', '--host', dockerHost(), '--dns-timeout', '2'], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`netsleuth dns ${args.join(' ')} → exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DnsJson;
}

const addrs = (j: DnsJson, type = 'A') => j.answers.filter((a) => a.type === type).map((a) => a.data).sort();

describe.skipIf(!live)('dns (live)', () => {
  let n1: TestNetwork;
  let n2: TestNetwork;
  let dns: DnsServer | undefined;
  let client: TestContainer;
  let web: TestContainer;
  let rr1: TestContainer;
  let rr2: TestContainer;
  let other: TestContainer;
  let legacy: TestContainer;

  beforeAll(async () => {
    await preflight();
    await cleanupAll();
    await ensureDig();
    n1 = await createNetwork({ name: 'dns1' });
    n2 = await createNetwork({ name: 'dns2' });
    dns = await startDnsServer({
      address: n1.gateway,
      port: 53,
      zone: { 'api.test.': ['10.214.77.7'], 'txt.test.': [{ type: 'TXT', data: 'hello' }] },
    });
    const gw = n1.gateway;
    client = await runContainer({ name: 'client', network: n1.name, dns: gw, extraArgs: ['--add-host', 'pinned.test:10.214.99.99'] });
    web = await runContainer({ name: 'web', network: n1.name, dns: gw, aliases: ['www'] });
    rr1 = await runContainer({ name: 'rr1', network: n1.name, dns: gw, aliases: ['pool'] });
    rr2 = await runContainer({ name: 'rr2', network: n1.name, dns: gw, aliases: ['pool'] });
    other = await runContainer({ name: 'other', network: n2.name, dns: gw });
    legacy = await runContainer({ name: 'legacy', networkMode: 'bridge', dns: gw });
  });

  afterAll(async () => {
    await dns?.close();
    await cleanupAll();
  });

  it('resolves a container name on a shared network, and the wire agrees with nslookup and dig', async () => {
    const j = await nsdns([`${web.name}`, '--from', client.name]);
    expect(j.liveCheck).toEqual({ available: true, reason: null, method: 'nsenter' });
    expect(j.prediction.verdict).toBe('resolved');
    expect(j.verdict).toBe('resolved');
    expect(addrs(j)).toEqual([web.ips[n1.name]]);
    expect(j.agreement).toBe('agree');
    expect(j.observed!.steps[0]!.server).toBe('127.0.0.11');
    expect(j.observed!.steps[0]!.response!.latencyMs).toBeGreaterThan(0);
    const ns = await nslookupIn(client.name, web.name);
    expect(ns.addresses).toEqual(addrs(j));
    if (haveDig) expect((await digIn(client.name, '127.0.0.11', web.name)).answers).toEqual(addrs(j));
  });

  it('resolves a network alias', async () => {
    const j = await nsdns(['www', '--from', client.name]);
    expect(j.verdict).toBe('resolved');
    expect(addrs(j)).toEqual([web.ips[n1.name]]);
    expect(j.agreement).toBe('agree');
    expect((await nslookupIn(client.name, 'www')).addresses).toEqual(addrs(j));
    if (haveDig) expect((await digIn(client.name, '127.0.0.11', 'www')).answers).toEqual(addrs(j));
  });

  it('returns every address of a shared alias (round robin)', async () => {
    const j = await nsdns(['pool', '--from', client.name]);
    const want = [rr1.ips[n1.name]!, rr2.ips[n1.name]!].sort();
    expect(j.verdict).toBe('resolved');
    expect(addrs(j)).toEqual(want);
    expect(j.agreement).toBe('agree');
    expect(j.reasons.map((r) => r.code)).toContain('SHARED_ALIAS');
    expect((await nslookupIn(client.name, 'pool')).addresses).toEqual(want);
    if (haveDig) expect((await digIn(client.name, '127.0.0.11', 'pool')).answers).toEqual(want);
  });

  it('explains that the default bridge has no name resolution', async () => {
    const j = await nsdns([web.name, '--from', legacy.name]);
    expect(j.reasons.map((r) => r.code)).toContain('DEFAULT_BRIDGE_NO_DNS');
    expect(j.prediction.verdict).toBe('nxdomain');
    expect(j.verdict).toBe('nxdomain');
    expect(j.agreement).toBe('agree');
    // The question went to our upstream directly (no embedded DNS on the default bridge).
    expect(j.observed!.steps.every((s) => s.server === n1.gateway)).toBe(true);
    expect(dns!.queries.some((q) => q.name === web.name && q.from === legacy.ips.bridge)).toBe(true);
    expect((await nslookupIn(legacy.name, web.name)).ok).toBe(false);
    if (haveDig) expect((await digIn(legacy.name, n1.gateway, web.name)).status).toBe('NXDOMAIN');
  });

  it('explains a name on a network the querier is not attached to', async () => {
    const j = await nsdns([other.name, '--from', client.name]);
    expect(j.reasons.map((r) => r.code)).toContain('NAME_NOT_ON_SHARED_NETWORK');
    expect(j.verdict).toBe('nxdomain');
    expect(j.agreement).toBe('agree');
    expect((await nslookupIn(client.name, other.name)).ok).toBe(false);
    if (haveDig) expect((await digIn(client.name, '127.0.0.11', other.name)).status).toBe('NXDOMAIN');
  });

  it('answers an --add-host name from /etc/hosts before DNS', async () => {
    const j = await nsdns(['pinned.test', '--from', client.name]);
    expect(j.verdict).toBe('resolved');
    expect(j.answers).toEqual([expect.objectContaining({ type: 'A', data: '10.214.99.99', source: 'hosts' })]);
    expect(j.reasons.map((r) => r.code)).toContain('EXTRA_HOSTS_ANSWER');
    const hosts = await exec(client.name, ['cat', '/etc/hosts']);
    expect(hosts.stdout).toMatch(/^10\.214\.99\.99\s+pinned\.test$/m);
    // DNS itself does not know the name: busybox nslookup (which skips /etc/hosts) fails.
    expect((await nslookupIn(client.name, 'pinned.test')).ok).toBe(false);
  });

  it('forwards other names to the custom --dns upstream', async () => {
    const before = dns!.queries.length;
    const j = await nsdns(['api.test', '--from', client.name]);
    expect(j.prediction.verdict).toBe('unknown');
    expect(j.verdict).toBe('resolved');
    expect(addrs(j)).toEqual(['10.214.77.7']);
    expect(j.agreement).toBe('unpredicted');
    expect(dns!.queries.slice(before).some((q) => q.name === 'api.test')).toBe(true);
    expect((await nslookupIn(client.name, 'api.test')).addresses).toEqual(['10.214.77.7']);
    if (haveDig) expect((await digIn(client.name, '127.0.0.11', 'api.test')).answers).toEqual(['10.214.77.7']);
  });

  it('queries a given server from inside the container (--server with --from)', async () => {
    const j = await nsdns(['txt.test', '--from', client.name, '--server', n1.gateway, '--type', 'TXT']);
    expect(j.verdict).toBe('resolved');
    expect(j.answers.map((a) => a.data)).toEqual(['"hello"']);
    if (haveDig) expect((await digIn(client.name, n1.gateway, 'txt.test', 'TXT')).answers).toEqual(['"hello"']);
  });

  it('queries a server directly without a daemon (--server, dig-like)', async () => {
    const r = await runCli(['dns', 'api.test', '--server', n1.gateway, '--json', '--host', 'unix:///nonexistent.sock'], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as DnsJson & { response: { rcode: string; flags: { aa: boolean } } };
    expect(j.verdict).toBe('resolved');
    expect(j.response.rcode).toBe('NOERROR');
    expect(j.response.flags.aa).toBe(true);
    expect(addrs(j)).toEqual(['10.214.77.7']);
    const tcp = JSON.parse((await runCli(['dns', 'nope.test', '--server', n1.gateway, '--tcp', '--json'])).stdout) as DnsJson & { response: { rcode: string; transport: string } };
    expect(tcp.verdict).toBe('nxdomain');
    expect(tcp.response.transport).toBe('tcp');
    if (haveDig) {
      const d = await sh('dig', [`@${n1.gateway}`, 'api.test', '+short', '+time=2']);
      expect(d.stdout.trim()).toBe('10.214.77.7');
    }
  });

  it('says why the live check is unavailable for a stopped container', async () => {
    await docker(['stop', '-t', '0', other.name]);
    const j = await nsdns([web.name, '--from', other.name]);
    expect(j.liveCheck?.available).toBe(false);
    expect(j.liveCheck?.reason).toMatch(/not running/);
  });
});
