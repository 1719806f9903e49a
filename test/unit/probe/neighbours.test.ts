// Neighbour-table budgeting: which entries a batch makes the kernel hold, and the ledger that keeps
// a run under the budget by deleting (reclaiming) the entries it created instead of waiting for the
// kernel to free them. The kernel is played by FakeTables; the live test checks the real one.
import { describe, expect, it } from 'vitest';
import { NeighbourBudget, NeighbourLedger, entryKey, neighbourEntries, parseProcArp, type NeighbourEntry, type NeighbourTables } from '../../../src/probe/neighbours.js';
import type { MethodDriver } from '../../../src/probe/methods/common.js';
import { probeMany, type ProbeContext, type ProbePair } from '../../../src/probe/runner.js';
import type { AgentResult } from '../../../src/probe/types.js';
import { container, network, snapshot } from '../../support/build-snapshot.js';

const n1 = network('n1', '10.214.162.0/24');
const n2 = network('n2', '10.214.163.0/24');
const cs = Array.from({ length: 8 }, (_, i) => container(`c${i}`, n1, `10.214.162.${10 + i}`));
const far = container('far', n2, '10.214.163.10');
const shared = container('shared', null, null, { networkMode: { kind: 'container', container: cs[1]!.id } });
const state = snapshot({ networks: [n1, n2], containers: [...cs, far, shared] }).state;
const ip = (i: number): string => `10.214.162.${10 + i}`;
const keys = (es: NeighbourEntry[]): string[] => es.map(entryKey).sort();

describe('neighbourEntries', () => {
  it('a probe on a shared subnet costs the source its entry for the target, and the target its entry for the source', () => {
    expect(keys(neighbourEntries(state, cs[0]!, [ip(1)]))).toEqual([`${cs[0]!.id}|${ip(1)}`, `${cs[1]!.id}|${ip(0)}`].sort());
  });

  it('A→B and B→A need the same two entries', () => {
    expect(keys(neighbourEntries(state, cs[1]!, [ip(0)]))).toEqual(keys(neighbourEntries(state, cs[0]!, [ip(1)])));
  });

  it('a target on another subnet goes through the gateway, and answers through its own', () => {
    expect(keys(neighbourEntries(state, cs[0]!, ['10.214.163.10']))).toEqual([`${cs[0]!.id}|10.214.162.1`, `${far.id}|10.214.163.1`].sort());
  });

  it('loopback and the source\'s own address need none; a target sharing a namespace is charged to its owner', () => {
    expect(neighbourEntries(state, cs[0]!, ['127.0.0.1', ip(0)])).toEqual([]);
    // `shared` runs in cs[1]'s namespace: probing cs[1]'s address from cs[0] charges cs[1]'s table
    expect(keys(neighbourEntries(state, cs[0]!, [ip(1)]))).toContain(`${cs[1]!.id}|${ip(0)}`);
  });

  it('the host talks to a container from the bridge gateway; the gateway\'s entry for a container is the host\'s', () => {
    expect(keys(neighbourEntries(state, null, [ip(2)]))).toEqual([`host|${ip(2)}`, `${cs[2]!.id}|10.214.162.1`].sort());
    expect(keys(neighbourEntries(state, cs[2]!, ['10.214.162.1']))).toEqual([`${cs[2]!.id}|10.214.162.1`, `host|${ip(2)}`].sort());
  });

  it('a batch counts each entry once', () => {
    expect(neighbourEntries(state, cs[0]!, [ip(1), ip(1), ip(2)])).toHaveLength(4);
  });
});

describe('parseProcArp', () => {
  it('reads address and device, skipping the header and anything malformed', () => {
    const text = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '10.214.162.11    0x1         0x2         02:42:0a:d6:a2:0b     *        eth0',
      '10.214.162.12    0x1         0x0         00:00:00:00:00:00     *        eth0',
      'garbage',
      '10.214.162.13    0x1         0x2         02:42:0a:d6:a2:0d     *        eth0;rm',
    ].join('\n');
    expect(parseProcArp(text)).toEqual([
      { address: '10.214.162.11', device: 'eth0' },
      { address: '10.214.162.12', device: 'eth0' },
    ]);
  });
});

/** Plays the kernel: the entries each namespace holds; probes add them, `remove` deletes them. */
class FakeTables implements NeighbourTables {
  readonly ns = new Map<string, Set<string>>();
  readonly removed: NeighbourEntry[] = [];
  /** Entries of batches running now: removing one is a bug. */
  readonly inUse = new Map<string, number>();
  violations: string[] = [];
  constructor(pre: NeighbourEntry[] = []) {
    for (const e of pre) this.add(e);
  }
  add(e: NeighbourEntry): void {
    if (!this.ns.has(e.ns)) this.ns.set(e.ns, new Set());
    this.ns.get(e.ns)!.add(e.address);
  }
  size(): number {
    let n = 0;
    for (const s of this.ns.values()) n += s.size;
    return n;
  }
  async read(ns: string): Promise<Set<string>> {
    return new Set(this.ns.get(ns) ?? []);
  }
  async remove(ns: string, addresses: string[]): Promise<number> {
    let n = 0;
    for (const a of addresses) {
      if ((this.inUse.get(`${ns}|${a}`) ?? 0) > 0) this.violations.push(`${ns}|${a}`);
      if (this.ns.get(ns)?.delete(a)) {
        this.removed.push({ ns, address: a });
        n++;
      }
    }
    return n;
  }
}

/** A driver whose batches create the neighbour entries they need in `tables`, and record the peak. */
function kernelDriver(tables: FakeTables, peak: { max: number; base: number }, delayMs = 5): MethodDriver {
  return {
    method: 'nsenter',
    async prepare(source) {
      return {
        unsupported: () => null,
        async run(targets) {
          const es = neighbourEntries(state, source.container, targets.map((t) => t.address));
          for (const e of es) {
            tables.add(e);
            tables.inUse.set(entryKey(e), (tables.inUse.get(entryKey(e)) ?? 0) + 1);
          }
          peak.max = Math.max(peak.max, tables.size() - peak.base);
          await new Promise((r) => setTimeout(r, delayMs));
          for (const e of es) tables.inUse.set(entryKey(e), tables.inUse.get(entryKey(e))! - 1);
          return targets.map((): AgentResult => ({ result: 'connected', latencyMs: 1 }));
        },
      };
    },
  };
}

const mesh = (members: typeof cs): ProbePair[] => members.flatMap((a) => members.filter((b) => b !== a).map((b) => ({ from: a, kind: 'tcp' as const, address: b.endpoints[0]!.ipv4!.address, port: 80 })));
const ctxWith = (tables: FakeTables | null, peak: { max: number; base: number }): ProbeContext => ({
  state,
  endpoint: 'unix:///var/run/docker.sock',
  drivers: { nsenter: kernelDriver(tables ?? new FakeTables(), peak) },
  method: 'nsenter',
  neighbourTables: tables,
});

describe('the ledger, with reclaim', () => {
  it('a mesh needing 4x the budget finishes without waiting for the kernel, never holds more than the budget, and leaves the tables as it found them', async () => {
    // pre-existing entries: cs[0] already knew cs[1] (the app talks to it)
    const pre = [{ ns: cs[0]!.id, address: ip(1) }];
    const tables = new FakeTables(pre);
    const peak = { max: 0, base: tables.size() };
    const stats = { charged: 0, reclaimPasses: 0, reclaimed: 0, waitedMs: 0 };
    const started = Date.now();
    // 8 containers: 56 probes, 56 distinct entries (one per ordered pair), budget 14, hold 60 s
    const out = await probeMany(ctxWith(tables, peak), mesh(cs), { concurrency: 2, neighbourPacing: { capacity: 14, holdMs: 60_000 }, neighbourStats: stats });
    expect(out.every((o) => o.result === 'connected')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(peak.max).toBeLessThanOrEqual(14);
    expect(stats.reclaimPasses).toBeGreaterThan(0);
    expect(stats.reclaimed).toBe(stats.charged);
    expect(tables.violations).toEqual([]);
    // only the pre-existing entry is left, and it was never deleted
    expect([...tables.ns].flatMap(([ns, s]) => [...s].map((a) => `${ns}|${a}`))).toEqual([entryKey(pre[0]!)]);
    expect(tables.removed.map(entryKey)).not.toContain(entryKey(pre[0]!));
  });

  it('a run within the budget deletes nothing (its entries are what the traffic would have left anyway)', async () => {
    const tables = new FakeTables();
    const peak = { max: 0, base: 0 };
    const stats = { charged: 0, reclaimPasses: 0, reclaimed: 0, waitedMs: 0 };
    await probeMany(ctxWith(tables, peak), mesh(cs.slice(0, 3)), { neighbourPacing: { capacity: 100, holdMs: 60_000 }, neighbourStats: stats });
    expect(stats).toMatchObject({ charged: 6, reclaimPasses: 0, reclaimed: 0 });
    expect(tables.removed).toEqual([]);
    expect(tables.size()).toBe(6);
  });

  it('without reclaim the same mesh waits for the kernel to free entries (holdMs)', async () => {
    const peak = { max: 0, base: 0 };
    const started = Date.now();
    const out = await probeMany(ctxWith(null, peak), mesh(cs.slice(0, 4)), { concurrency: 2, neighbourPacing: { capacity: 6, holdMs: 200, reclaim: false } });
    expect(out.every((o) => o.result === 'connected')).toBe(true);
    // 12 entries, 6 at a time: at least one hold period
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('a shared entry is charged once and is not reclaimed while another batch uses it', async () => {
    const budget = new NeighbourBudget({ capacity: 4, holdMs: 60_000 });
    const tables = new FakeTables();
    const ledger = new NeighbourLedger(budget, tables);
    const ab = neighbourEntries(state, cs[0]!, [ip(1)]);
    const ba = neighbourEntries(state, cs[1]!, [ip(0)]);
    const cd = neighbourEntries(state, cs[2]!, [ip(3)]);
    await ledger.begin([ab, ba, cd]);
    const l1 = await ledger.acquire(ab, Infinity);
    for (const e of ab) tables.add(e);
    const l2 = await ledger.acquire(ba, Infinity);
    expect(budget.free).toBe(2); // ba shares ab's two entries
    ledger.release(l1!);
    // cd needs 2, the budget has 2: no reclaim; then a third pair forces one, but ab/ba are in use by l2
    const l3 = await ledger.acquire(cd, Infinity);
    expect(l3).not.toBeNull();
    const ef = neighbourEntries(state, cs[4]!, [ip(5)]);
    const waiting = ledger.acquire(ef, Date.now() + 300);
    ledger.release(l3!); // cd's entries are idle now: they are the ones reclaimed
    expect(await waiting).not.toBeNull();
    expect(tables.removed.map(entryKey)).not.toEqual(expect.arrayContaining(ab.map(entryKey)));
    ledger.release(l2!);
    await ledger.end();
    expect(ledger.stats.reclaimPasses).toBeGreaterThan(0);
  });

  it('a batch bigger than the whole budget still runs, alone', async () => {
    const tables = new FakeTables();
    const peak = { max: 0, base: 0 };
    const pairs: ProbePair[] = [1, 2, 3, 4, 5].map((j) => ({ from: cs[0]!, kind: 'tcp', address: ip(j), port: 80 }));
    const out = await probeMany(ctxWith(tables, peak), pairs, { neighbourPacing: { capacity: 4, holdMs: 60_000 } });
    expect(out.every((o) => o.result === 'connected')).toBe(true);
  });
});
