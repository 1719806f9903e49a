// Probing what reach/matrix/dns predicted, on the live daemon: one place that turns predictions
// into probe pairs, opens the Engine client the sidecar/exec methods need, runs them bounded
// (concurrency, per-probe timeout, overall deadline, Ctrl-C), and holds each outcome against its
// prediction. Commands call this; the analyses stay free of I/O.

import { viewOf } from '../model/view.js';
import type { Container, NetworkState } from '../model/types.js';
import type { ReachResult } from '../analysis/reach.js';
import type { MatrixResult } from '../analysis/matrix.js';
import { type Agreement, compareProbe } from '../analysis/reach-agreement.js';
import type { ObservedWalk } from '../analysis/dns/types.js';
import type { ResolverFlavour } from '../dns/search.js';
import type { NeighbourStats } from './neighbours.js';
import type { MethodSkip, ProbeMethod, ProbeOutcome, ProbePair } from './runner.js';

export interface LiveProbeOptions {
  state: NetworkState;
  /** --host / --context as given, to reach the same daemon as the state came from. */
  host?: string;
  context?: string;
  method?: ProbeMethod;
  probeImage?: string;
  timeoutMs: number;
  concurrency?: number;
  deadlineMs?: number;
  allowExternal?: boolean;
  /** false: never delete neighbour entries, wait for the kernel to free them (see docs/probes.md). */
  neighbourReclaim?: boolean;
  /** Filled in when given: what the neighbour budget did. */
  neighbourStats?: NeighbourStats;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface ProbedReach {
  outcome: ProbeOutcome | null;
  /** Why no probe ran for this prediction (a source that is not a container or the host). */
  skipped: string | null;
  agreement: Agreement | null;
}

function sourceOf(state: NetworkState, r: ReachResult): Container | 'host' | null {
  const view = viewOf(state);
  const ref = r.fromRef;
  if (ref.kind === 'host') return 'host';
  const c = ref.kind === 'container' ? view.container(ref.id) : view.containerByAddress(ref.address);
  if (!c) return null;
  return c.networkMode.kind === 'host' ? 'host' : c;
}

/**
 * Runs the pairs on the daemon the state came from: opens the Engine client the sidecar/exec
 * methods need (nsenter can run without it), probes with the options' bounds, and closes.
 */
async function runLive(pairs: ProbePair[], o: LiveProbeOptions): Promise<ProbeOutcome[]> {
  const { probeMany } = await import('./runner.js');
  const { resolveEndpoint } = await import('../sources/docker/endpoint.js');
  const { EngineClient } = await import('../sources/docker/engine.js');
  const endpoint = resolveEndpoint({ host: o.host, context: o.context, env: process.env });
  let engine: Awaited<ReturnType<typeof EngineClient.connect>> | null = null;
  try {
    engine = await EngineClient.connect(endpoint);
  } catch {
    engine = null; // nsenter can still run; sidecar/exec will say why they were skipped
  }
  try {
    return await probeMany(
      { state: o.state, endpoint: endpoint.url, engine, ...(o.method ? { method: o.method } : {}), ...(o.probeImage ? { probeImage: o.probeImage } : {}), allowExternal: o.allowExternal === true },
      pairs,
      {
        timeoutMs: o.timeoutMs,
        ...(o.concurrency ? { concurrency: o.concurrency } : {}),
        ...(o.deadlineMs ? { deadlineMs: o.deadlineMs } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onProgress ? { onProgress: (p) => o.onProgress!(p.done, p.total) } : {}),
        ...(o.neighbourReclaim === false ? { neighbourPacing: { reclaim: false } } : {}),
        ...(o.neighbourStats ? { neighbourStats: o.neighbourStats } : {}),
      },
    );
  } finally {
    await engine?.close();
  }
}

/** Probe every prediction (same order), then compare. */
export async function probePredictions(results: ReachResult[], o: LiveProbeOptions): Promise<ProbedReach[]> {
  const out: ProbedReach[] = results.map(() => ({ outcome: null, skipped: null, agreement: null }));
  const pairs: ProbePair[] = [];
  const index: number[] = [];
  results.forEach((r, i) => {
    const from = sourceOf(o.state, r);
    if (!from) out[i]!.skipped = `${r.from} is not a container or the host: there is no namespace to probe from`;
    else if (!r.target) out[i]!.skipped = 'no target address was resolved';
    else {
      pairs.push({ from, kind: r.protocol === 'icmp' ? 'icmp' : r.protocol, address: r.target.address, ...(r.target.port !== null ? { port: r.target.port } : {}) });
      index.push(i);
    }
  });
  if (pairs.length === 0) return out;
  const outcomes = await runLive(pairs, o);
  outcomes.forEach((oc, k) => {
    const i = index[k]!;
    const r = results[i]!;
    out[i]!.outcome = oc;
    // A probe not sent, or one the neighbour table may have eaten, is no evidence either way.
    const evidence = oc.notSent === undefined && oc.suspect === undefined;
    out[i]!.agreement = evidence ? compareProbe(r, { method: oc.method, result: oc.result, latencyMs: oc.latencyMs, detail: oc.detail }) : { agreement: null, expected: [], note: oc.detail ?? (oc.suspect ? `suspect: ${oc.suspect}` : 'not sent'), suspect: null, next: [] };
  });
  return out;
}

export interface ProbedCell {
  probe: { method: string | null; result: string; latencyMs: number | null } | null;
  agreement: boolean | null;
}

/**
 * matrix --probe: predict each pair again with its addresses (lean reach), probe them all, and
 * annotate the cells with `probe` and `agreement`. Returns the counts for the summary.
 */
export async function probeMatrix(m: MatrixResult, o: LiveProbeOptions): Promise<{ agree: number; disagree: number; none: number; neighbour: NeighbourStats }> {
  const { analyzeReach } = await import('../analysis/reach.js');
  const view = viewOf(o.state);
  const protocol = m.protocol === 'udp' ? 'udp' : 'tcp';
  // Cells name containers exactly (matrix members): the view's container reference finds them.
  const subject = (name: string) => {
    const c = view.containerRef(name)!;
    return { kind: 'container' as const, label: name, container: c, matchedBy: 'name' as const };
  };
  const predictions = m.cells.map((c) => analyzeReach(view, { from: subject(c.from), to: subject(c.to), port: m.port, protocol }, { lean: true }));
  const neighbour: NeighbourStats = { charged: 0, reclaimPasses: 0, reclaimed: 0, waitedMs: 0 };
  const probed = await probePredictions(predictions, { ...o, neighbourStats: neighbour });
  const counts = { agree: 0, disagree: 0, none: 0, neighbour };
  m.cells.forEach((c, i) => {
    const p = probed[i]!;
    const cell = c as typeof c & ProbedCell;
    cell.probe = p.outcome ? { method: p.outcome.method, result: p.outcome.result, latencyMs: p.outcome.latencyMs } : null;
    cell.agreement = p.agreement?.agreement ?? null;
    counts[cell.agreement === true ? 'agree' : cell.agreement === false ? 'disagree' : 'none']++;
  });
  return counts;
}

export interface DnsWalkProbe {
  /** The walk the resolver would take through the answers; null when no probe could run. */
  walk: ObservedWalk | null;
  /** The method(s) that sent the probes. */
  methods: ProbeMethod[];
  /** Methods passed over for these probes, and why. */
  skipped: MethodSkip[];
  /** Why nothing was observed, when walk is null. */
  reason: string | null;
}

/**
 * dns NAME --from C without the agent's own walk (nsenter cannot run, or another method was
 * chosen): one dns probe per candidate name and server, all sent at once through the common
 * runner, then the resolver's stop rules applied to what came back (walkFromProbes).
 */
export async function probeDnsWalk(
  o: Omit<LiveProbeOptions, 'onProgress'> & { from: Container; candidates: string[]; servers: string[]; qtype: string; flavour: ResolverFlavour },
): Promise<DnsWalkProbe> {
  const { walkFromProbes, walkPairs } = await import('../analysis/dns/probe-walk.js');
  const pairs: ProbePair[] = walkPairs(o.candidates, o.servers).map((p) => ({ from: o.from, kind: 'dns', address: p.server, name: p.name, qtype: o.qtype }));
  const outcomes = await runLive(pairs, o);
  const methods = [...new Set(outcomes.map((x) => x.method).filter((m): m is ProbeMethod => m !== null && outcomes.some((y) => y.method === m && y.notSent === undefined)))];
  const skipped = outcomes.find((x) => x.skipped.length)?.skipped ?? [];
  if (outcomes.every((x) => x.notSent !== undefined)) return { walk: null, methods, skipped, reason: outcomes[0]?.detail ?? 'no probe was sent' };
  return { walk: walkFromProbes(o.candidates, o.servers, o.qtype, outcomes, o.flavour), methods, skipped, reason: null };
}
