// The route stage: FROM's routes, then the host's tables (src/analysis/route.ts). A packet that
// leaves by the uplink for an address outside the state cannot be followed further.

import { type FlowContext, type StageResult, containerSubject, seq } from './context.js';
import { routeHop } from './evidence.js';

export function routeStage(cx: FlowContext): StageResult {
  const { from, fromC, fromPlace, toPlace } = cx;
  const dst = cx.built.packet!.dst;
  // An address FROM held by a container starts in that container.
  const start = from.kind === 'address' && fromPlace.kind === 'container' ? containerSubject(fromC!) : from;
  const route = routeHop(cx, start, dst, 'route');
  const t = route.trace;
  const egress = t.verdict === 'routed' ? t.hops[t.hops.length - 1] : undefined;
  if (egress?.step !== 'egress' || toPlace.kind !== 'outside') return route;
  // Past the uplink the network is not in the state: delivery there cannot be earned.
  const nat = egress.nat;
  const noSnat = nat?.kind === 'none' && fromPlace.kind !== 'host';
  return seq(route, {
    hops: [{
      stage: 'route',
      where: `beyond ${egress.oif ?? 'the uplink'}`,
      status: 'unknown',
      code: noSnat ? 'EGRESS_WITHOUT_SNAT' : 'REACH_BEYOND_HOST',
      detail: noSnat
        ? `the packet leaves through ${egress.oif ?? '?'} with its container source ${egress.src ?? '?'} (no MASQUERADE/SNAT applies): replies come back only if the outside network routes that subnet to this host`
        : `the packet leaves the host through ${egress.oif ?? '?'}${nat?.kind === 'masquerade' || nat?.kind === 'snat' ? ` (${nat.kind.toUpperCase()})` : ''}; what happens beyond it is outside this host's evidence`,
      evidence: nat?.rule ? [nat.rule] : [],
    }],
  });
}
