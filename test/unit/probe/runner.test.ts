// probeMany with scripted method drivers: method order and skip reasons, forcing, per-kind
// fallback, safety scope, batching per source, bounded concurrency, deadline, abort, progress.
import { describe, expect, it } from 'vitest';
import type { MethodDriver, PreparedMethod } from '../../../src/probe/methods/common.js';
import { neighbourTableFulls, probeMany, type ProbeContext, type ProbePair, type ProbeProgress } from '../../../src/probe/runner.js';
import type { AgentResult, AgentTarget, ProbeKind, ProbeMethod } from '../../../src/probe/types.js';
import { container, network, snapshot } from '../../support/build-snapshot.js';

const net1 = network('n1', '10.214.140.0/24');
const cs = Array.from({ length: 6 }, (_, i) => container(`c${i}`, net1, `10.214.140.${10 + i}`));
const sidekick = container('sidekick', null, null, { networkMode: { kind: 'container', container: cs[0]!.id } });
const state = snapshot({ networks: [net1], containers: [...cs, sidekick] }).state;

interface Call {
  method: ProbeMethod;
  source: string;
  targets: AgentTarget[];
  budgetMs: number;
}

/** A driver that answers `connected` for every target after `delayMs`, recording its calls. */
function driver(method: ProbeMethod, o: { blocked?: string; unsupported?: Partial<Record<ProbeKind, string>>; delayMs?: number; calls?: Call[]; throws?: string; inFlight?: { now: number; max: number }; onAbort?: () => void } = {}): MethodDriver & { prepared: string[] } {
  const prepared: string[] = [];
  return {
    method,
    prepared,
    async prepare(source) {
      prepared.push(source.name);
      if (o.blocked) return { blocked: o.blocked };
      const p: PreparedMethod = {
        unsupported: (k) => o.unsupported?.[k] ?? null,
        async run(targets, opts) {
          o.calls?.push({ method, source: source.name, targets, budgetMs: opts.budgetMs });
          if (o.inFlight) o.inFlight.max = Math.max(o.inFlight.max, ++o.inFlight.now);
          try {
            if (o.throws) throw new Error(o.throws);
            await new Promise<void>((resolve, reject) => {
              const t = setTimeout(resolve, o.delayMs ?? 0);
              opts.signal?.addEventListener('abort', () => {
                clearTimeout(t);
                o.onAbort?.();
                reject(new Error('aborted'));
              });
            });
            return targets.map((): AgentResult => ({ result: 'connected', latencyMs: 1 }));
          } finally {
            if (o.inFlight) o.inFlight.now--;
          }
        },
      };
      return p;
    },
  };
}

const ctx = (drivers: ProbeContext['drivers'], over: Partial<ProbeContext> = {}): ProbeContext => ({ state, endpoint: 'unix:///var/run/docker.sock', drivers, ...over });
const tcp = (from: (typeof cs)[number], i: number, port = 80): ProbePair => ({ from, kind: 'tcp', address: `10.214.140.${10 + i}`, port });

describe('method choice', () => {
  it('tries nsenter, sidecar, exec in order and says why each earlier one was skipped', async () => {
    const calls: Call[] = [];
    const r = await probeMany(
      ctx({ nsenter: driver('nsenter', { blocked: 'needs root' }), sidecar: driver('sidecar', { blocked: 'image absent' }), exec: driver('exec', { calls }) }),
      [tcp(cs[0]!, 1), tcp(cs[0]!, 2)],
    );
    expect(r.map((x) => x.method)).toEqual(['exec', 'exec']);
    expect(r[0]!.skipped).toEqual([
      { method: 'nsenter', reason: 'needs root' },
      { method: 'sidecar', reason: 'image absent' },
    ]);
    expect(r[0]).toMatchObject({ kind: 'tcp', from: 'c0', target: { address: '10.214.140.11', port: 80 }, result: 'connected' });
    // one batch for the source, holding both probes
    expect(calls).toHaveLength(1);
    expect(calls[0]!.targets).toHaveLength(2);
  });

  it('a forced method has no fallback, and its blocker is the detail', async () => {
    const sidecar = driver('sidecar');
    const r = await probeMany(ctx({ nsenter: driver('nsenter', { blocked: 'the daemon is remote' }), sidecar, exec: driver('exec') }, { method: 'nsenter' }), [tcp(cs[0]!, 1)]);
    expect(r[0]).toMatchObject({ method: 'nsenter', result: 'error', notSent: 'no-method', detail: 'the nsenter method cannot run this probe: the daemon is remote' });
    expect(sidecar.prepared).toEqual([]);
  });

  it('falls back per kind: UDP goes past a method that cannot do it', async () => {
    const r = await probeMany(
      ctx({ nsenter: driver('nsenter', { blocked: 'not root' }), sidecar: driver('sidecar', { unsupported: { udp: 'no UDP client' } }), exec: driver('exec') }),
      [tcp(cs[0]!, 1), { from: cs[0]!, kind: 'udp', address: '10.214.140.11', port: 53 }],
    );
    expect(r.map((x) => x.method)).toEqual(['sidecar', 'exec']);
    expect(r[1]!.skipped.map((s) => s.reason)).toEqual(['not root', 'no UDP client']);
  });

  it('when nothing can run, every reason is in the detail', async () => {
    const r = await probeMany(ctx({ nsenter: driver('nsenter', { blocked: 'A' }), sidecar: driver('sidecar', { blocked: 'B' }), exec: driver('exec', { blocked: 'C' }) }), [tcp(cs[0]!, 1)]);
    expect(r[0]).toMatchObject({ method: null, result: 'error', notSent: 'no-method', detail: 'no probe method can run here (nsenter: A; sidecar: B; exec: C)' });
  });

  it('a container sharing another namespace probes from its owner', async () => {
    const calls: Call[] = [];
    const r = await probeMany(ctx({ nsenter: driver('nsenter', { calls }) }), [{ from: sidekick, kind: 'tcp', address: '10.214.140.11', port: 80 }]);
    expect(calls[0]!.source).toBe('c0');
    expect(r[0]!.from).toBe('sidekick');
  });

  it('a failing batch marks each of its probes as error with the reason', async () => {
    const r = await probeMany(ctx({ nsenter: driver('nsenter', { throws: 'agent crashed' }) }), [tcp(cs[0]!, 1), tcp(cs[0]!, 2)]);
    expect(r.map((x) => [x.result, x.detail])).toEqual([
      ['error', 'agent crashed'],
      ['error', 'agent crashed'],
    ]);
  });
});

describe('safety scope', () => {
  it('never sends a probe to an address the model does not own, unless allowExternal', async () => {
    const calls: Call[] = [];
    const pairs: ProbePair[] = [{ from: cs[0]!, kind: 'tcp', address: '8.8.8.8', port: 53 }, tcp(cs[0]!, 1)];
    const r = await probeMany(ctx({ nsenter: driver('nsenter', { calls }) }), pairs);
    expect(r[0]).toMatchObject({ method: null, result: 'error', notSent: 'scope' });
    expect(r[0]!.detail).toMatch(/^not probed: 8\.8\.8\.8 belongs to no container/);
    expect(calls.flatMap((c) => c.targets.map((t) => t.address))).toEqual(['10.214.140.11']);

    const calls2: Call[] = [];
    const r2 = await probeMany(ctx({ nsenter: driver('nsenter', { calls: calls2 }) }, { allowExternal: true }), pairs);
    expect(r2[0]!.result).toBe('connected');
    expect(calls2[0]!.targets).toHaveLength(2);
  });
});

describe('batching, bounds and progress', () => {
  it('one batch per source, at most `concurrency` sources at once, progress to the total', async () => {
    const calls: Call[] = [];
    const inFlight = { now: 0, max: 0 };
    const pairs = cs.flatMap((from, i) => cs.map((_, j) => tcp(from, j, 80 + i)));
    const seen: ProbeProgress[] = [];
    const r = await probeMany(ctx({ nsenter: driver('nsenter', { calls, delayMs: 30, inFlight }) }), pairs, { concurrency: 2, onProgress: (p) => seen.push(p) });
    expect(r).toHaveLength(36);
    expect(r.every((x) => x.result === 'connected')).toBe(true);
    expect(calls).toHaveLength(6);
    expect(calls.every((c) => c.targets.length === 6)).toBe(true);
    expect(inFlight.max).toBe(2);
    expect(seen.map((p) => p.done)).toEqual([6, 12, 18, 24, 30, 36]);
    expect(seen.every((p) => p.total === 36)).toBe(true);
  });

  it('the overall deadline bounds each batch and reports probes never started as deadline', async () => {
    const calls: Call[] = [];
    const started = Date.now();
    const r = await probeMany(ctx({ nsenter: driver('nsenter', { calls, delayMs: 250 }) }), [tcp(cs[0]!, 1), tcp(cs[1]!, 1), tcp(cs[2]!, 1)], { concurrency: 1, deadlineMs: 400, timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(calls[0]!.budgetMs).toBeLessThanOrEqual(400);
    expect(r[0]!.result).toBe('connected');
    expect(r[1]!.result).toBe('connected');
    expect(r[2]).toMatchObject({ result: 'error', notSent: 'deadline', detail: 'deadline' });
  });

  it('abort stops running batches (their cleanup runs) and marks the rest as aborted', async () => {
    let cleaned = 0;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const r = await probeMany(ctx({ nsenter: driver('nsenter', { delayMs: 10_000, onAbort: () => cleaned++ }) }), cs.map((c, i) => tcp(c, i)), { concurrency: 2, signal: ac.signal });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(cleaned).toBe(2);
    expect(r.every((x) => x.result === 'error')).toBe(true);
    expect(r.slice(0, 2).map((x) => x.detail)).toEqual(['aborted', 'aborted']);
    expect(r.slice(2).every((x) => x.notSent === 'aborted')).toBe(true);
  });

  it('paces sources so fresh neighbour entries stay under the capacity, and runs an oversized batch alone', async () => {
    const calls: Call[] = [];
    const times: number[] = [];
    const d = driver('nsenter', { calls });
    const orig = d.prepare.bind(d);
    d.prepare = async (src, sig) => {
      times.push(Date.now());
      return orig(src, sig);
    };
    const started = Date.now();
    // 3 sources × 2 distinct targets = cost 4 each; capacity 4: one source per 150 ms window
    const pairs = [0, 1, 2].flatMap((i) => [tcp(cs[i]!, 3), tcp(cs[i]!, 4)]);
    const r = await probeMany(ctx({ nsenter: d }), pairs, { concurrency: 3, neighbourPacing: { capacity: 4, holdMs: 150 } });
    expect(r.every((x) => x.result === 'connected')).toBe(true);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(140);
    // without pacing all three start at once
    const t2: number[] = [];
    d.prepare = async (src, sig) => {
      t2.push(Date.now());
      return orig(src, sig);
    };
    await probeMany(ctx({ nsenter: d }), pairs, { concurrency: 3, neighbourPacing: false });
    expect(t2[2]! - t2[0]!).toBeLessThan(100);
    // a source costing more than the capacity still runs (alone)
    const big = await probeMany(ctx({ nsenter: driver('nsenter') }), [1, 2, 3, 4].map((j) => tcp(cs[0]!, j)), { neighbourPacing: { capacity: 2, holdMs: 10 } });
    expect(big.every((x) => x.result === 'connected')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a deadline while waiting for the neighbour budget reports deadline, not a hang', async () => {
    const pairs = [0, 1].map((i) => tcp(cs[i]!, 5));
    const r = await probeMany(ctx({ nsenter: driver('nsenter') }), pairs, { concurrency: 2, deadlineMs: 200, neighbourPacing: { capacity: 2, holdMs: 5_000 } });
    expect(r[0]!.result).toBe('connected');
    expect(r[1]).toMatchObject({ result: 'error', notSent: 'deadline' });
  });

  it('rejects bad options', async () => {
    await expect(probeMany(ctx({}), [], { concurrency: 0 })).rejects.toThrow(/concurrency/);
    await expect(probeMany(ctx({}), [], { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(probeMany(ctx({}, { method: 'ssh' as ProbeMethod }), [])).rejects.toThrow(/unknown probe method/);
  });
});

describe('neighbourTableFulls', () => {
  it('sums the table_fulls column (hex, one line per CPU) of /proc/net/stat/arp_cache', () => {
    const text = [
      'entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls',
      '00000033 000009fc 00000954 00000006   0000ddc8 00006d4e 0000003c   00000000         00000000         00000399         000009bb       00000000            00000990',
      '00000033 00000dcf 00000e44 00000002   00015cbd 0000a725 00000052   00000000         00000000         00000000         00000a3a       00000000            000009fb',
    ].join('\n');
    expect(neighbourTableFulls(text)).toBe(0x990 + 0x9fb);
    expect(neighbourTableFulls('entries allocs\n1 2\n')).toBeNull();
  });
});

describe('the built-in drivers say why they cannot run', () => {
  it('nsenter: not root, remote daemon; sidecar and exec: no Engine client', async () => {
    const r = await probeMany(ctx(undefined, { env: { uid: 1000, platform: 'linux' } }), [tcp(cs[0]!, 1)]);
    expect(r[0]!.skipped.map((s) => s.method)).toEqual(['nsenter', 'sidecar', 'exec']);
    expect(r[0]!.skipped[0]!.reason).toMatch(/needs root/);
    expect(r[0]!.skipped[1]!.reason).toMatch(/no Docker Engine API client/);
    const remote = await probeMany(ctx(undefined, { endpoint: 'tcp://10.0.0.5:2376', env: { uid: 0, platform: 'linux' }, method: 'nsenter' }), [tcp(cs[0]!, 1)]);
    expect(remote[0]!.detail).toMatch(/the daemon is remote/);
    const host = await probeMany(ctx(undefined, { endpoint: 'tcp://10.0.0.5:2376', method: 'nsenter' }), [{ from: 'host', kind: 'tcp', address: '10.214.140.11', port: 80 }]);
    expect(host[0]).toMatchObject({ from: 'host', result: 'error' });
    expect(host[0]!.detail).toMatch(/the daemon is remote .*needs netsleuth on that host/);
    const exec = await probeMany(ctx(undefined, { method: 'exec', engine: {} as never }), [{ from: 'host', kind: 'tcp', address: '10.214.140.11', port: 80 }]);
    expect(exec[0]!.detail).toMatch(/the host has no container to exec in/);
  });
});
