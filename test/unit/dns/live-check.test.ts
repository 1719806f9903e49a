// The dns command's live check (src/probe/dns-live.ts): which method runs, with what budget and
// options, and what the report says when none can — with the nsenter agent and the probe runner
// replaced by fakes.
import { describe, expect, it, vi } from 'vitest';
import { predictResolution } from '../../../src/analysis/dns/predict.js';
import { walkFromProbes, type DnsProbeResult } from '../../../src/analysis/dns/probe-walk.js';
import { agentWalkBudgetMs, checkDnsLive, unappliedWireOptions, type DnsLiveCheckOptions } from '../../../src/probe/dns-live.js';
import { AgentRunError } from '../../../src/probe/nsenter.js';
import { readSnapshot } from '../../../src/sources/snapshot/read.js';
import { EXAMPLE } from '../../support/cli.js';

const state = (await readSnapshot(EXAMPLE)).state;
const from = 'shop-web-1';
const prediction = predictResolution(state, { from, name: 'shop-db-1', type: 'A', flavour: 'glibc' });
const servers = prediction.resolver!.nameservers;
const candidates = prediction.candidates;
const answered: DnsProbeResult = { result: 'answered', latencyMs: 1, detail: null, errno: null, rcode: 'NOERROR', records: [{ name: 'shop-db-1', type: 'A', data: prediction.answers[0]?.data ?? '10.0.0.5' }] };
const walk = walkFromProbes(candidates, servers, 'A', candidates.flatMap(() => servers.map(() => answered)));
const wire = { port: 53, tcp: false, recurse: true, timeoutMs: 2000, retries: 1 };

function opts(over: Partial<DnsLiveCheckOptions> = {}, deps: DnsLiveCheckOptions['deps'] = {}): DnsLiveCheckOptions {
  return {
    state,
    endpoint: 'unix:///var/run/docker.sock',
    from,
    prediction,
    type: 'A',
    flavour: 'glibc',
    wire,
    ...over,
    deps: {
      nsenterBlocker: () => null,
      runAgent: vi.fn(async () => ({ ok: true, ...walk })),
      probeDnsWalk: vi.fn(async () => ({ walk, methods: ['sidecar' as const], skipped: [{ method: 'nsenter' as const, reason: 'needs root' }], reason: null })),
      ...deps,
    },
  };
}

describe('dns live check', () => {
  it('the example prediction has something to query', () => {
    expect(servers.length).toBeGreaterThan(0);
    expect(candidates.length).toBeGreaterThan(0);
  });

  it('without --from: nothing to query from', async () => {
    const r = await checkDnsLive(opts({ from: undefined }));
    expect(r).toEqual({ observed: null, comparison: null, liveCheck: { available: false, reason: 'without --from there is no container to query from (use --server for a direct query)', method: null } });
  });

  it('nsenter possible and no method forced: the agent walks with every wire option, within the budget', async () => {
    const o = opts({ wire: { ...wire, tcp: true, port: 5353, retries: 2 } });
    const r = await checkDnsLive(o);
    const runAgent = o.deps!.runAgent as ReturnType<typeof vi.fn>;
    expect(runAgent).toHaveBeenCalledTimes(1);
    const owner = state.containers.find((c) => c.name === from)!;
    expect(runAgent).toHaveBeenCalledWith(owner.pid, 'dns', { candidates, servers, type: 'A', port: 5353, tcp: true, recurse: true, timeoutMs: 2000, retries: 2, flavour: 'glibc' }, candidates.length * servers.length * 3 * 2000 + 5000);
    expect(o.deps!.probeDnsWalk).not.toHaveBeenCalled();
    expect(r.liveCheck).toEqual({ available: true, reason: null, method: 'nsenter' });
    expect(r.observed).toMatchObject({ outcome: walk.outcome });
    expect(r.comparison?.agreement).toBeDefined();
  });

  it('the agent budget: every attempt of every query plus 5 s, at most 2 minutes', () => {
    expect(agentWalkBudgetMs(3, 2, 1, 2000)).toBe(29_000);
    expect(agentWalkBudgetMs(6, 3, 10, 60_000)).toBe(120_000);
  });

  it('the agent failing, or not starting, is a reason — other errors are bugs and pass through', async () => {
    const failed = await checkDnsLive(opts({}, { runAgent: async () => ({ ok: false, error: { message: 'socket: EPERM' } }) }));
    expect(failed.liveCheck).toEqual({ available: false, reason: 'the probe agent failed: socket: EPERM', method: null });
    const dead = await checkDnsLive(opts({}, { runAgent: async () => { throw new AgentRunError('the probe agent timed out after 29000 ms', ''); } }));
    expect(dead).toEqual({ observed: null, comparison: null, liveCheck: { available: false, reason: 'the probe agent timed out after 29000 ms', method: null } });
    await expect(checkDnsLive(opts({}, { runAgent: async () => { throw new TypeError('bug'); } }))).rejects.toThrow(TypeError);
  });

  it('--probe-method nsenter when nsenter cannot run: the blocker is the reason, nothing else is tried', async () => {
    const o = opts({ method: 'nsenter' }, { nsenterBlocker: () => 'entering a container\'s network namespace needs root (run with sudo)' });
    const r = await checkDnsLive(o);
    expect(r.liveCheck).toEqual({ available: false, reason: 'entering a container\'s network namespace needs root (run with sudo)', method: null });
    expect(o.deps!.probeDnsWalk).not.toHaveBeenCalled();
    expect(o.deps!.runAgent).not.toHaveBeenCalled();
  });

  it('nsenter blocked (no root): per-query probes, Ctrl-C wired, and the options they cannot apply noted', async () => {
    const dispose = vi.fn();
    const ac = new AbortController();
    const o = opts({ wire: { ...wire, tcp: true, recurse: false }, probeImage: 'busybox:1', host: 'unix:///x.sock', interruptible: () => ({ signal: ac.signal, dispose }) }, { nsenterBlocker: () => 'needs root' });
    const r = await checkDnsLive(o);
    const probe = o.deps!.probeDnsWalk as ReturnType<typeof vi.fn>;
    expect(probe).toHaveBeenCalledTimes(1);
    expect(probe.mock.calls[0]![0]).toMatchObject({ host: 'unix:///x.sock', method: undefined, probeImage: 'busybox:1', timeoutMs: 2000, deadlineMs: 120_000, signal: ac.signal, candidates, servers, qtype: 'A', flavour: 'glibc' });
    expect(probe.mock.calls[0]![0].from.name).toBe(from);
    expect(dispose).toHaveBeenCalledTimes(1);
    expect(r.liveCheck).toEqual({
      available: true,
      reason: null,
      method: 'sidecar',
      skipped: ['nsenter: needs root'],
      note: '--tcp, --norecurse apply to the nsenter agent only: these probes asked over UDP, port 53, with recursion, once each',
    });
    expect(o.deps!.runAgent).not.toHaveBeenCalled();
  });

  it('--probe-method sidecar even where nsenter could run; no probe sent → the runner\'s reason', async () => {
    const o = opts({ method: 'sidecar' }, { probeDnsWalk: vi.fn(async () => ({ walk: null, methods: [], skipped: [{ method: 'sidecar' as const, reason: 'no image' }], reason: 'no method could run' })) });
    const r = await checkDnsLive(o);
    expect(o.deps!.runAgent).not.toHaveBeenCalled();
    expect(r).toEqual({ observed: null, comparison: null, liveCheck: { available: false, reason: 'no method could run', method: null, skipped: ['sidecar: no image'] } });
  });

  it('no nameserver or candidate in the prediction: nothing to query', async () => {
    const r = await checkDnsLive(opts({ prediction: { ...prediction, resolver: null } }));
    expect(r.liveCheck).toEqual({ available: false, reason: 'the prediction has no nameserver or candidate to query (resolv.conf missing?)', method: null });
  });

  it('options the busybox probes cannot apply', () => {
    expect(unappliedWireOptions(wire)).toEqual([]);
    expect(unappliedWireOptions({ port: 5353, tcp: true, recurse: false, timeoutMs: 1, retries: 0 })).toEqual(['--tcp', '--norecurse', '--port', '--retries']);
  });
});
