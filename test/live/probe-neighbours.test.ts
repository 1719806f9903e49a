// The neighbour-table budget on the real kernel: a mesh that needs more neighbour entries than its
// budget finishes by deleting the entries it created (not by waiting for the kernel to free them),
// every probe connects, the kernel's table never overflows, and each container's ARP table is left
// as it was before the run. A run within the budget deletes nothing.
//
// Topology: nb 10.214.162.0/24 (used by no other live test), 8 busybox httpd containers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, NetworkState } from '../../src/model/types.js';
import { parseProcArp } from '../../src/probe/neighbours.js';
import { neighbourTableFulls, probeMany, type ProbePair } from '../../src/probe/runner.js';
import { openSource } from '../../src/sources/open.js';
import { ROOT } from '../support/cli.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import { cleanupAll, createNetwork, dockerHost, preflight, requireLiveDaemon, runContainer, type TestContainer, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();
const AGENT = join(ROOT, 'dist', 'src', 'probe', 'agent.js');
const N = 8;

/** The IPv4 neighbours a container's namespace holds now. */
function arp(c: Container): string[] {
  return parseProcArp(readFileSync(`/proc/${c.pid}/net/arp`, 'utf8'))
    .map((r) => r.address)
    .sort();
}

/** The kernel's table size (all namespaces). */
function tableEntries(): number {
  const line = readFileSync('/proc/net/stat/arp_cache', 'utf8').trim().split('\n')[1]!;
  return parseInt(line.trim().split(/\s+/)[0]!, 16);
}

describe.skipIf(!live)('neighbour-table budget (live)', () => {
  let nb: TestNetwork;
  let dns: DnsServer | undefined;
  const made: TestContainer[] = [];
  let state: NetworkState;
  let label: string;
  let mesh: Container[];

  beforeAll(async () => {
    await preflight();
    await cleanupAll();
    nb = await createNetwork({ name: 'nb', subnet: '10.214.162.0/24' });
    dns = await startDnsServer({ address: nb.gateway, port: 53, zone: {} });
    for (let i = 0; i < N; i++) {
      made.push(await runContainer({ name: `nb${i}`, network: nb.name, ip: `10.214.162.${10 + i}`, dns: nb.gateway, command: ['httpd', '-f', '-p', '80'] }));
    }
    const opened = await openSource({ host: dockerHost() }, { toolVersion: 'test', hostEvidence: 'never' });
    state = opened.snapshot.state;
    label = opened.label;
    mesh = made.map((t) => state.containers.find((c) => c.id === t.id)!);
  });

  afterAll(async () => {
    await dns?.close();
    await cleanupAll();
  });

  const pairsOf = (cs: Container[]): ProbePair[] =>
    cs.flatMap((a) => cs.filter((b) => b !== a).map((b) => ({ from: a, kind: 'tcp' as const, address: b.endpoints[0]!.ipv4!.address, port: 80 })));

  it('a mesh over its budget reclaims its own entries: all connected, no overflow, well before the hold time, tables left as found', async () => {
    const before = new Map(mesh.map((c) => [c.id, arp(c)]));
    const fulls = neighbourTableFulls();
    const base = tableEntries();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, tableEntries())), 20);
    const stats = { charged: 0, reclaimPasses: 0, reclaimed: 0, waitedMs: 0 };
    const started = Date.now();
    // 56 probes need 56 entries; a budget of 20 with a 120 s hold would take minutes without reclaim
    const out = await probeMany({ state, endpoint: label, method: 'nsenter', agentPath: AGENT }, pairsOf(mesh), {
      timeoutMs: 2000,
      concurrency: 2,
      deadlineMs: 100_000,
      neighbourPacing: { capacity: 20, holdMs: 120_000 },
      neighbourStats: stats,
    });
    clearInterval(sampler);
    const elapsed = Date.now() - started;
    expect(out.filter((o) => o.result !== 'connected')).toEqual([]);
    expect(stats.reclaimPasses).toBeGreaterThan(0);
    expect(stats.reclaimed).toBeGreaterThanOrEqual(56);
    expect(elapsed).toBeLessThan(60_000);
    expect(neighbourTableFulls()).toBe(fulls);
    // the run's own entries stayed near the budget (other namespaces on the host may add a few)
    expect(peak - base).toBeLessThanOrEqual(20 + 16);
    for (const c of mesh) expect({ name: c.name, arp: arp(c) }).toEqual({ name: c.name, arp: before.get(c.id) });
  });

  it('a run within the budget deletes nothing: its entries are what the traffic itself leaves', async () => {
    const [a, b] = mesh;
    const stats = { charged: 0, reclaimPasses: 0, reclaimed: 0, waitedMs: 0 };
    const out = await probeMany({ state, endpoint: label, method: 'nsenter', agentPath: AGENT }, [{ from: a!, kind: 'tcp', address: b!.endpoints[0]!.ipv4!.address, port: 80 }], {
      timeoutMs: 2000,
      neighbourPacing: { capacity: 20, holdMs: 120_000 },
      neighbourStats: stats,
    });
    expect(out[0]!.result).toBe('connected');
    expect(stats).toMatchObject({ charged: 2, reclaimPasses: 0, reclaimed: 0 });
    expect(arp(a!)).toContain(b!.endpoints[0]!.ipv4!.address);
    expect(arp(b!)).toContain(a!.endpoints[0]!.ipv4!.address);
  });
});
