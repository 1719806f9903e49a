// The return stage: the reply of the connection. The flow module derives the ESTABLISHED reply
// from the request and where its NEW packet went (replyFlow); the firewall walks it, and a reply
// leaving a container is routed back.

import { type BuiltFlow, type FirewallTrace, replyFlow, traceBuilt } from '../firewall-flow.js';
import { type FlowContext, type ReachContext, type StageResult, NOTHING, bare, containerSubject, seq } from './context.js';
import { firewallHop, routeHop } from './evidence.js';

/** The firewall's verdict on the reply of `request` (traced as `trace`); null when the reply stays on lo. */
export function replyHop(cx: ReachContext, request: BuiltFlow, trace: FirewallTrace): StageResult | null {
  const reply = replyFlow(cx.view, request, trace);
  if (!reply) return null;
  const t = traceBuilt(cx.view, reply, { from: cx.to, to: cx.from, port: cx.port, protocol: cx.protocol, ctState: 'ESTABLISHED' }, { explain: cx.explain });
  return firewallHop(cx, t, 'return', 'the reply (ESTABLISHED)');
}

export function returnStage(cx: FlowContext, request: FirewallTrace): StageResult {
  const p = cx.built.packet;
  if (!p) return NOTHING;
  const walk = replyHop(cx, cx.built, request);
  if (!walk) return NOTHING; // host to itself: the reply stays on lo
  // Route back, for replies leaving a container (the one a DNAT sent the request to, else TO's).
  const replySrc = request.finalPacket?.dst ?? p.dst;
  const dnatTo = replySrc !== p.dst ? cx.view.containerByAddress(replySrc) : null;
  const back = dnatTo ?? cx.toOwner;
  if (!back || back.networkMode.kind === 'host') return walk;
  if (cx.from.kind === 'address' && cx.fromPlace.kind !== 'container' && cx.fromPlace.kind !== 'host') return walk;
  return seq(walk, routeHop(cx, containerSubject(back), p.src, 'return', `reply from ${bare(back.name)}`));
}
