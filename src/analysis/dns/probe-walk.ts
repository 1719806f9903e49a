// The resolver's walk, replayed over dns probes that were all sent at once (by the common probe
// runner, with any method: the sidecar and exec methods cannot run the agent's own walk). Pure:
// the same stop rules as the agent's resolveWalk (src/probe/agent-dns.ts), applied afterwards, so
// the observed steps are the ones the resolver would have taken.

import { continuesAfter, outcomeOf, type ResolverFlavour } from '../../dns/search.js';
import type { ObservedStep, ObservedWalk } from './types.js';

/** What a dns probe reported: the fields of the runner's ProbeOutcome this walk needs. */
export interface DnsProbeResult {
  result: 'connected' | 'refused' | 'timeout' | 'unreachable' | 'answered' | 'no-answer' | 'error';
  latencyMs: number | null;
  detail: string | null;
  errno: string | null;
  rcode?: string;
  records?: Array<{ name: string; type: string; data: string }>;
}

/** One probe per (candidate, server) pair, in candidate-major order: `results[c * servers.length + s]`. */
export function walkPairs(candidates: readonly string[], servers: readonly string[]): Array<{ name: string; server: string }> {
  return candidates.flatMap((name) => servers.map((server) => ({ name, server })));
}

function stepOf(name: string, server: string, qtype: string, r: DnsProbeResult): ObservedStep {
  if (r.result === 'answered' && r.rcode) {
    const records = r.records ?? [];
    const usable = records.filter((a) => a.type === qtype || qtype === 'ANY' || a.type === 'CNAME').length;
    return {
      name,
      server,
      outcome: outcomeOf(r.rcode, usable),
      response: {
        rcode: r.rcode,
        transport: 'udp',
        latencyMs: r.latencyMs ?? 0,
        truncated: false,
        answers: records.map((a) => ({ name: a.name, type: a.type, ttl: null, data: a.data, class: 'IN' })),
        issues: [],
      },
      error: null,
    };
  }
  const message = r.detail ?? r.result;
  switch (r.result) {
    case 'timeout':
      return { name, server, outcome: 'timeout', response: null, error: { code: 'TIMEOUT', message } };
    case 'refused':
      return { name, server, outcome: 'refused', response: null, error: { code: 'CONNECTION_REFUSED', message } };
    case 'unreachable':
      return { name, server, outcome: 'error', response: null, error: { code: 'NETWORK_UNREACHABLE', message: `${r.errno ?? 'unreachable'}: ${message}` } };
    default:
      return { name, server, outcome: 'error', response: null, error: { code: r.errno ?? 'PROBE_ERROR', message } };
  }
}

/**
 * The walk a resolver of `flavour` takes through `results` (see walkPairs for their order): per
 * candidate, servers in order until one gives a usable answer (timeouts, refused, SERVFAIL and
 * REFUSED move on); then the next candidate, or stop, by continuesAfter.
 */
export function walkFromProbes(
  candidates: readonly string[],
  servers: readonly string[],
  qtype: string,
  results: readonly DnsProbeResult[],
  flavour: ResolverFlavour = 'glibc',
): ObservedWalk {
  if (results.length !== candidates.length * servers.length) throw new RangeError(`expected ${candidates.length * servers.length} probe results, got ${results.length}`);
  const steps: ObservedStep[] = [];
  let decidedBy: number | null = null;
  let outcome: ObservedStep['outcome'] = 'error';
  for (let c = 0; c < candidates.length; c++) {
    const name = candidates[c]!;
    let candidateOutcome: ObservedStep['outcome'] = 'error';
    for (let s = 0; s < servers.length; s++) {
      const step = stepOf(name, servers[s]!, qtype, results[c * servers.length + s]!);
      steps.push(step);
      candidateOutcome = step.outcome;
      if (step.response && step.outcome !== 'servfail' && step.outcome !== 'refused') break;
    }
    outcome = candidateOutcome;
    decidedBy = steps.length - 1;
    if (!continuesAfter(candidateOutcome, flavour)) break;
  }
  // glibc reports NODATA over NXDOMAIN when any candidate had the name (as resolveWalk does).
  if (outcome === 'nxdomain' && steps.some((s) => s.outcome === 'nodata')) {
    outcome = 'nodata';
    decidedBy = steps.findIndex((s) => s.outcome === 'nodata');
  }
  return { steps, decidedBy, outcome };
}
