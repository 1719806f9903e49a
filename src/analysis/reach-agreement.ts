// Holding a reach prediction against what a live probe saw. Pure: no I/O.
//
// Which probe results each prediction allows, and on a disagreement the hop whose evidence is
// weakest, with the next check to run. A disagreement is either state the model cannot see
// (rules inside a container, a change since the state was read) or a bug: the user must be told
// which hop to suspect either way.

import type { ReachHop, ReachResult } from './reach.js';

export interface ProbeSeen {
  method: string | null;
  result: string;
  latencyMs: number | null;
  detail?: string | null;
}

export interface Agreement {
  /** null: nothing to compare (prediction unknown, probe error, UDP silence). */
  agreement: boolean | null;
  /** Probe results the prediction allows. */
  expected: string[];
  /** Why agreement is null, when it is. */
  note: string | null;
  suspect: { stage: string; where: string; why: string } | null;
  next: string[];
}

const ROUTE_CODES = /^(ROUTE_|REACH_NO_NETWORK)/;

/** The probe results a prediction allows. Empty when the prediction makes no claim. */
export function expectedResults(r: ReachResult): string[] {
  if (r.verdict === 'unknown') return [];
  const first = r.blocking[0];
  if (r.protocol === 'icmp') return r.verdict === 'reachable' ? ['answered'] : ['no-answer', 'timeout', 'unreachable'];
  if (r.protocol === 'udp') {
    if (r.verdict === 'blocked') return ['no-answer', 'timeout', 'unreachable'];
    return r.listening === true ? ['answered', 'no-answer'] : r.listening === false ? ['refused', 'no-answer'] : ['answered', 'refused', 'no-answer'];
  }
  if (r.verdict === 'reachable') return r.listening === true ? ['connected'] : r.listening === false ? ['refused'] : ['connected', 'refused'];
  if (first?.code === 'FW_REJECTED') return ['refused', 'unreachable'];
  if (first && ROUTE_CODES.test(first.code)) return ['unreachable', 'timeout'];
  return ['timeout', 'unreachable'];
}

export function compareProbe(r: ReachResult, probe: ProbeSeen): Agreement {
  const expected = expectedResults(r);
  const none = (note: string): Agreement => ({ agreement: null, expected, note, suspect: null, next: [] });
  if (probe.result === 'error' || probe.method === null) return none(`the probe did not give an answer (${probe.detail ?? probe.result})`);
  if (expected.length === 0) return none('the prediction is unknown, so there is nothing to hold the probe against');
  if (r.protocol === 'udp' && probe.result === 'no-answer' && r.verdict === 'reachable') return none('UDP silence proves nothing: many services ignore an empty datagram, and a DROP looks the same');
  if (expected.includes(probe.result)) return { agreement: true, expected, note: null, suspect: null, next: [] };

  const hopBy = (stage: string): ReachHop | undefined => r.hops.find((h) => h.stage === stage);
  const next: string[] = [];
  let suspect: Agreement['suspect'] = null;
  const blockedSeenOpen = r.verdict === 'blocked' && (probe.result === 'connected' || probe.result === 'answered' || (probe.result === 'refused' && r.protocol === 'tcp'));
  if (blockedSeenOpen) {
    const b = r.blocking[0]!;
    suspect = { stage: b.stage, where: b.where, why: `predicted ${b.code} here, but the packet got through: the state read may be stale (rules, routes or containers changed), or this step is not what the kernel does` };
    next.push(`netsleuth firewall trace --from ${r.from} --to ${r.to}${r.port !== null ? ` --port ${r.port}/${r.protocol}` : ''} --verbose   (the deciding rule, on fresh state)`);
    next.push('netsleuth snapshot capture -o now.json && netsleuth snapshot diff <old snapshot> now.json   (what changed)');
  } else if (r.verdict === 'reachable' && probe.result === 'refused' && r.listening === true) {
    const l = hopBy('listener');
    suspect = { stage: 'listener', where: l?.where ?? r.to, why: 'a socket was seen listening, but the connection was refused: the process may have exited or rebound, or a REJECT rule inside the destination namespace (not captured) answers' };
    next.push(`ss -ltnup inside ${r.destination?.name ?? r.to} (or: netsleuth snapshot capture and look at its listeners)`);
  } else if (r.verdict === 'reachable' && (probe.result === 'connected' || probe.result === 'answered') && r.listening === false) {
    const l = hopBy('listener');
    suspect = { stage: 'listener', where: l?.where ?? r.to, why: 'no socket was seen, but something answered: the listener started after the state was read, or a proxy/redirect answers' };
    next.push('netsleuth snapshot capture, then reach again on the fresh state');
  } else {
    // Predicted open, the packet did not come back: the least certain passing hop.
    const order = ['namespace', 'driver', 'firewall', 'return', 'proxy', 'forwarding', 'route'];
    const pass = r.hops.filter((h) => h.status === 'pass');
    const weakest = order.map((st) => pass.find((h) => h.stage === st)).find((h) => h !== undefined);
    const why: Record<string, string> = {
      namespace: 'traffic inside one namespace passes only that namespace\'s own firewall, which is not captured',
      driver: 'the driver switches this traffic outside the host\'s evidence (macvlan/ipvlan parent, overlay namespace)',
      firewall: 'the ruleset was accepted as captured; rules added since, nftables tables not captured, or conntrack state (an INVALID packet) can still drop it',
      return: 'the reply path is modelled from the captured rules and routes; asymmetric routing or rp_filter can drop replies',
      proxy: 'docker-proxy\'s own connection was modelled, not observed',
      forwarding: 'forwarding sysctls were read once; a change since then is not seen',
      route: 'routes inside the container or policy rules may differ from what was captured',
    };
    if (weakest) suspect = { stage: weakest.stage, where: weakest.where, why: why[weakest.stage] ?? 'its evidence is the least certain on this path' };
    next.push(`netsleuth firewall trace --from ${r.from} --to ${r.to}${r.port !== null ? ` --port ${r.port}/${r.protocol}` : ''} --verbose`);
    next.push(`netsleuth route ${r.from} ${r.to}`);
    const bridge = r.hops.map((h) => /^bridge:(\S+)/.exec(h.where)?.[1]).find((x) => x);
    next.push(`tcpdump -ni ${bridge ?? 'any'} host ${r.target?.address ?? r.to}${r.port !== null ? ` and port ${r.port}` : ''}   (on the Docker host: does the packet reach the bridge, does a reply come back?)`);
  }
  return { agreement: false, expected, note: null, suspect, next };
}
