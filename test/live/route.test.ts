// `netsleuth route` against the real test daemon: two containers on different labelled networks,
// a snapshot captured through the CLI, and every hop compared with what the kernel says in the
// same namespace — `nsenter -t PID -n ip route get` inside the source container for hop 1, and
// `ip route get DST from SRC iif BRIDGE` on the host for the host hop. Nothing is sent.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { cleanupRun, createNetwork, dockerHost, preflight, requireLiveDaemon, runContainer, type TestContainer, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();

interface KernelRoute {
  dev?: string;
  gateway?: string;
  type?: string;
}

function ipRouteGet(args: string[], pid?: number): KernelRoute {
  const cmd = pid ? ['nsenter', '-t', String(pid), '-n', 'ip', '-j', 'route', 'get', ...args] : ['ip', '-j', 'route', 'get', ...args];
  const out = execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  return (JSON.parse(out) as KernelRoute[])[0]!;
}

describe.skipIf(!live)('route agrees with `ip route get` (live daemon, captured snapshot)', () => {
  let dir: string;
  let snapFile: string;
  let na: TestNetwork;
  let nb: TestNetwork;
  let a: TestContainer;
  let b: TestContainer;
  let pidA: number;
  let bridgeA: string;
  let bridgeB: string;

  beforeAll(async () => {
    await preflight();
    await cleanupRun();
    dir = mkdtempSync(join(tmpdir(), 'netsleuth-live-route-'));
    na = await createNetwork({ name: 'rt-a' });
    nb = await createNetwork({ name: 'rt-b' });
    a = await runContainer({ name: 'rt-a1', network: na.name, dns: na.gateway });
    b = await runContainer({ name: 'rt-b1', network: nb.name, dns: nb.gateway });
    snapFile = join(dir, 'route.json');
    const r = await runCli(['snapshot', 'capture', '--host', dockerHost(), '-o', snapFile], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`capture failed (${r.code}): ${r.stderr}`);
    const snap = JSON.parse(readFileSync(snapFile, 'utf8'));
    const ca = snap.state.containers.find((c: { name: string }) => c.name === a.name);
    pidA = ca.pid;
    bridgeA = snap.state.networks.find((n: { name: string }) => n.name === na.name).bridgeName;
    bridgeB = snap.state.networks.find((n: { name: string }) => n.name === nb.name).bridgeName;
    expect(ca.netns.status).toBe('ok');
  });

  afterAll(async () => {
    await cleanupRun();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function route(from: string, to: string) {
    const r = await runCli(['route', from, to, '--snapshot', snapFile, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  it('A → B (other network): hop 1 in A, the host hop from A\'s bridge, delivery on B\'s bridge', async () => {
    const ipA = a.ips[na.name]!;
    const ipB = b.ips[nb.name]!;
    const t = await route(a.name, b.name);
    expect(t.verdict).toBe('routed');
    const k1 = ipRouteGet([ipB], pidA);
    expect({ dev: t.hops[0].oif, gateway: t.hops[0].gateway ?? undefined }).toEqual({ dev: k1.dev, gateway: k1.gateway });
    const kh = ipRouteGet([ipB, 'from', ipA, 'iif', bridgeA]);
    expect(t.hops[1]).toMatchObject({ where: 'host', iif: bridgeA, oif: kh.dev });
    expect(kh.dev).toBe(bridgeB);
    expect(t.hops[2]).toMatchObject({ step: 'deliver', oif: bridgeB });
  });

  it('A → an unused address on B\'s network, and → a test-range address on no network', async () => {
    const ipA = a.ips[na.name]!;
    const unused = nb.subnet.replace(/\.0\/24$/, '.250');
    const t = await route(a.name, unused);
    const k1 = ipRouteGet([unused], pidA);
    expect({ dev: t.hops[0].oif, gateway: t.hops[0].gateway ?? undefined }).toEqual({ dev: k1.dev, gateway: k1.gateway });
    const kh = ipRouteGet([unused, 'from', ipA, 'iif', bridgeA]);
    expect(t.hops[1].oif).toBe(kh.dev);
    // nothing holds the address: routing succeeds but delivery cannot be earned
    expect(t.verdict).toBe('unknown');

    const outside = '10.214.255.77';
    const t2 = await route(a.name, outside);
    const k2 = ipRouteGet([outside, 'from', ipA, 'iif', bridgeA]);
    expect(t2.hops[1].oif ?? null).toBe(k2.dev ?? null);
    expect(t2.hops[1].gateway ?? null).toBe(k2.gateway ?? null);
  });

  it('host → B: the host\'s own lookup equals ip route get on the host', async () => {
    const ipB = b.ips[nb.name]!;
    const t = await route('host', b.name);
    const k = ipRouteGet([ipB]);
    expect(t.hops[0].oif).toBe(k.dev);
    expect(t.verdict).toBe('routed');
  });
});
