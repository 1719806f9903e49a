// The `dns` command's live check: the predicted resolution walk, run for real from inside the
// FROM container's network namespace, and held against the prediction. Picks the method (the
// nsenter agent replays the whole walk with every wire option; otherwise one busybox nslookup per
// candidate and server, through the common probe runner), bounds it in time, and says why when no
// check could run. The command only wires flags, source, analysis and renderer around it.

import type { Comparison, DnsPrediction, ObservedWalk } from '../analysis/dns/types.js';
import type { NetworkState } from '../model/types.js';
import type { ResolverFlavour } from '../dns/search.js';
import type { ProbeMethod } from './runner.js';
import type { probeDnsWalk as ProbeDnsWalk } from './live.js';
import { AgentRunError, nsenterBlocker as realNsenterBlocker, runAgent as realRunAgent } from './nsenter.js';

/** The live check as the report shows it (DnsReport['liveCheck']). */
export interface DnsLiveCheckInfo {
  available: boolean;
  reason: string | null;
  method?: string | null;
  skipped?: string[];
  note?: string;
}

/** Options of the wire queries (`dns --port --tcp --norecurse --timeout --retries`). */
export interface DnsWireOptions {
  port: number;
  tcp: boolean;
  recurse: boolean;
  /** Per-attempt timeout. */
  timeoutMs: number;
  retries: number;
}

export interface DnsLiveCheckOptions {
  state: NetworkState;
  /** The daemon URL the state was captured from (the opened source's label). */
  endpoint: string;
  /** --from as given; without it there is no container to query from. */
  from: string | undefined;
  prediction: DnsPrediction;
  type: string;
  flavour: ResolverFlavour;
  wire: DnsWireOptions;
  /** --host / --context as given, so sidecar/exec probes reach the same daemon. */
  host?: string;
  context?: string;
  method?: ProbeMethod;
  probeImage?: string;
  /** Makes Ctrl-C stop the per-query probes (and remove a sidecar) instead of killing netsleuth. */
  interruptible?: () => { signal: AbortSignal; dispose: () => void };
  /** Replaced in tests. */
  deps?: Partial<{ nsenterBlocker: typeof realNsenterBlocker; runAgent: typeof realRunAgent; probeDnsWalk: typeof ProbeDnsWalk }>;
}

export interface DnsLiveCheck {
  observed: ObservedWalk | null;
  comparison: Comparison | null;
  liveCheck: DnsLiveCheckInfo;
}

/** Whole walk by the agent: at most 2 minutes, else every attempt of every query plus 5 s to start. */
export function agentWalkBudgetMs(candidates: number, servers: number, retries: number, timeoutMs: number): number {
  return Math.min(120_000, candidates * servers * (retries + 1) * timeoutMs + 5_000);
}

/** Overall bound of the per-query probes (sidecar/exec). */
export const PROBE_WALK_DEADLINE_MS = 120_000;

/** Options the per-query busybox probes cannot apply (they ask over UDP, port 53, with recursion, once). */
export function unappliedWireOptions(wire: DnsWireOptions): string[] {
  return [wire.tcp && '--tcp', !wire.recurse && '--norecurse', wire.port !== 53 && '--port', wire.retries !== 1 && '--retries'].filter((x): x is string => Boolean(x));
}

export async function checkDnsLive(o: DnsLiveCheckOptions): Promise<DnsLiveCheck> {
  const none = (reason: string | null, extra: Partial<DnsLiveCheckInfo> = {}): DnsLiveCheck => ({
    observed: null,
    comparison: null,
    liveCheck: { available: false, reason, method: null, ...extra },
  });
  if (!o.from) return none('without --from there is no container to query from (use --server for a direct query)');

  const { viewOf } = await import('../model/view.js');
  const nsenterBlocker = o.deps?.nsenterBlocker ?? realNsenterBlocker;
  const runAgent = o.deps?.runAgent ?? realRunAgent;

  // The prediction already resolved --from (by the view's rules), so it names a container of this state.
  const view = viewOf(o.state);
  const from = view.container(o.prediction.from!.id)!;
  const owner = view.namespaceOwner(from) ?? from;
  const blocker = nsenterBlocker({ endpoint: o.endpoint, pid: owner.pid, running: owner.running, name: owner.name });
  const servers = o.prediction.resolver?.nameservers ?? [];
  const candidates = o.prediction.candidates;

  let observed: ObservedWalk | null = null;
  let liveCheck: DnsLiveCheckInfo;
  if (!servers.length || !candidates.length) return none('the prediction has no nameserver or candidate to query (resolv.conf missing?)');
  if (blocker && (o.method === 'nsenter' || !owner.running)) return none(blocker);
  if (!blocker && (o.method === undefined || o.method === 'nsenter')) {
    // The agent replays the whole walk itself, with every wire option.
    const request = { candidates, servers, type: o.type, ...o.wire, flavour: o.flavour };
    const budget = agentWalkBudgetMs(candidates.length, servers.length, o.wire.retries, o.wire.timeoutMs);
    try {
      const res = (await runAgent(owner.pid!, 'dns', request, budget)) as Record<string, unknown> & { ok: boolean; error?: { message: string } };
      if (!res.ok) return none(`the probe agent failed: ${res.error?.message ?? 'unknown error'}`);
      observed = res as unknown as ObservedWalk;
      liveCheck = { available: true, reason: null, method: 'nsenter' };
    } catch (e) {
      if (!(e instanceof AgentRunError)) throw e;
      return none(e.message);
    }
  } else {
    // No agent walk: one dns probe per candidate and server through the common runner.
    const probeDnsWalk = o.deps?.probeDnsWalk ?? (await import('./live.js')).probeDnsWalk;
    const stop = o.interruptible?.();
    try {
      const r = await probeDnsWalk({
        state: o.state,
        host: o.host,
        context: o.context,
        method: o.method,
        probeImage: o.probeImage,
        timeoutMs: o.wire.timeoutMs,
        deadlineMs: PROBE_WALK_DEADLINE_MS,
        signal: stop?.signal,
        from: owner,
        candidates,
        servers,
        qtype: o.type,
        flavour: o.flavour,
      });
      const skipped = r.skipped.map((x) => `${x.method}: ${x.reason}`);
      const unapplied = unappliedWireOptions(o.wire);
      const note = unapplied.length ? `${unapplied.join(', ')} apply to the nsenter agent only: these probes asked over UDP, port 53, with recursion, once each` : null;
      if (!r.walk) return none(r.reason, { skipped });
      observed = r.walk;
      liveCheck = { available: true, reason: null, method: r.methods.join('+') || null, skipped, ...(note ? { note } : {}) };
    } finally {
      stop?.dispose();
    }
  }
  const { compareWithObserved } = await import('../analysis/dns/compare.js');
  return { observed, comparison: compareWithObserved(o.prediction, observed), liveCheck };
}
