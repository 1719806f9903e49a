// The firewall stage: the host's netfilter walk for the NEW packet (src/analysis/firewall-flow.ts
// over src/firewall). A DNAT (a published port) decides where the packet is delivered: that
// address's place, routed again from the host.

import { type FirewallTrace, traceBuilt } from '../firewall-flow.js';
import { type FlowContext, type StageResult, NOTHING, bare, seq } from './context.js';
import { firewallHop, routeHop } from './evidence.js';
import { HOST_PLACE, type Place, placeOfAddress } from './place.js';
import type { ReachDestination } from './types.js';

/** Where the packet is delivered: after DNAT, and after docker-proxy's leg. */
export interface Delivery {
  address: string;
  port: number | null;
  place: Place;
  /** A DNAT/REDIRECT took it there (docker-proxy then does not answer). */
  translated: boolean;
}

/** Nothing to walk: the packet could not be built from the state. */
export function unbuiltStage(cx: FlowContext): StageResult {
  const { built } = cx;
  if (built.packet) return { hops: [], target: { address: built.packet.dst, port: cx.port } };
  return { done: true, hops: [{ stage: 'firewall', where: 'netfilter', status: 'unknown', code: built.problem?.code ?? 'FLOW_UNBUILT', detail: built.problem?.message ?? 'the packet could not be built from the state', evidence: [] }] };
}

export function firewallStage(cx: FlowContext): StageResult & { trace: FirewallTrace; delivery: Delivery } {
  const { view, built, from, to, port, protocol } = cx;
  const pk = built.packet!;
  const trace = traceBuilt(view, built, { from, to, port, protocol }, { explain: cx.explain });
  const request = firewallHop(cx, trace, 'firewall', 'request');
  const address = trace.finalPacket?.dst ?? pk.dst;
  const finalPort = port === null ? null : (trace.finalPacket?.dport ?? port);
  const dnat = trace.natSteps.find((n) => n.kind === 'DNAT' || n.kind === 'REDIRECT');
  let place = placeOfAddress(view, address);
  if (place.kind === 'outside' && cx.toPlace.kind === 'host') place = HOST_PLACE;
  const delivery: Delivery = { address, port: finalPort, place, translated: dnat !== undefined };
  if (!dnat) return { ...request, trace, delivery };
  const c = view.containerByAddress(address);
  const dnatHop: StageResult = { hops: [{ stage: 'firewall', where: `netfilter ${dnat.table}/${dnat.chain}`, status: 'info', detail: `${dnat.kind} ${pk.dst}:${port ?? ''} → ${address}:${finalPort ?? ''}${c ? ` (${bare(c.name)})` : ''}: a published port`, evidence: [dnat.rule] }] };
  return { ...seq(request, dnatHop, c ? routeHop(cx, cx.host, address, 'route', `after DNAT to ${bare(c.name)}`) : NOTHING), trace, delivery };
}

/** What finally receives the packet, for the result. A missing namespace owner is nothing we know: outside. */
export function destinationOf(d: Delivery): ReachDestination {
  const { address, port, place } = d;
  if (place.kind === 'host') return { kind: 'host', name: 'host', address, port };
  if (place.kind === 'container') return { kind: 'container', name: bare(place.owner.name), address, port };
  return { kind: 'outside', name: null, address, port };
}
