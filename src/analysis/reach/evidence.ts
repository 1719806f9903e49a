// Hops from the two engines reach consults more than once: a route trace (src/analysis/route.ts)
// and a firewall walk (src/analysis/firewall-flow.ts over src/firewall).

import type { Subject } from '../../model/view.js';
import type { FirewallTrace } from '../firewall-flow.js';
import { type RouteTrace, routePath } from '../route.js';
import type { ReachContext, StageResult } from './context.js';
import type { ReachStage } from './types.js';

/** A route from a subject to an address, as a hop; with the trace, for stages that read it further. */
export function routeHop(cx: ReachContext, from: Subject, dst: string, stage: ReachStage, label?: string): StageResult & { trace: RouteTrace } {
  const t = routePath(cx.view, { from, to: { kind: 'address', label: dst, address: dst }, family: cx.family });
  const last = t.hops[t.hops.length - 1];
  const evidence = t.hops.map((h) => `${h.where}: ${h.route ? `${h.route.type === 'unicast' ? '' : `${h.route.type} `}${h.route.dst}${h.route.dev ? ` dev ${h.route.dev}` : ''}${h.route.gateway ? ` via ${h.route.gateway}` : ''} (table ${h.route.table})` : h.note ?? h.step}`);
  const where = last?.where ?? 'route';
  const pre = label ? `${label}: ` : '';
  if (t.verdict === 'routed') {
    return { trace: t, hops: [{ stage, where, status: 'pass', detail: `${pre}${t.src ?? '?'} → ${t.dst} ${last?.note ?? 'routed'}`, evidence }], assumptions: [...t.assumptions] };
  }
  if (t.verdict === 'unknown') {
    const r = t.reasons[0];
    return { trace: t, hops: [{ stage, where, status: 'unknown', code: r?.code ?? 'ROUTE_UNKNOWN', detail: `${pre}${r?.message ?? 'the route could not be decided'}`, evidence }] };
  }
  const r = t.reasons.find((x) => x.code.startsWith('ROUTE_')) ?? t.reasons[0];
  return { trace: t, hops: [{ stage, where, status: 'block', code: r?.code ?? 'ROUTE_NONE', detail: `${pre}${r?.message ?? t.verdict}`, evidence }] };
}

/** The packet as it met the deciding rule, as iptables match options (for an ACCEPT in a fix). */
function matchSpec(t: FirewallTrace): string {
  const p = t.packet;
  const f = t.finalPacket;
  const src = f?.src ?? p?.src;
  const dst = f?.dst ?? p?.dst;
  const dport = f?.dport ?? p?.dport ?? null;
  const proto = t.protocol === 'icmp' ? (t.family === 'ipv6' ? 'icmpv6' : 'icmp') : t.protocol;
  return [src ? `-s ${src}` : '', dst ? `-d ${dst}` : '', `-p ${proto}`, dport !== null && t.protocol !== 'icmp' ? `--dport ${dport}` : ''].filter(Boolean).join(' ');
}

/** The engine's reason as one sentence about this packet, naming the network an ICC rule is for. */
function causeOf(cx: ReachContext, why: { code: string; message: string }, verdict: 'DROP' | 'REJECT', label: string | null, what: string, d: FirewallTrace['decidedBy']): { code: string; message: string } {
  let phrase = /\(([^()]*)\)$/.exec(why.message)?.[1] ?? why.message;
  if (why.code === 'FW_ICC_DISABLED') {
    const dev = d ? /-i (\S+)/.exec(d.rule)?.[1] : undefined;
    const net = dev ? cx.view.networkByBridge(dev) : null;
    if (net) phrase = `inter-container communication is disabled on network ${net.name} (com.docker.network.bridge.enable_icc=false)`;
  }
  if (why.code === 'FW_CHAIN_POLICY_DROP') phrase = why.message;
  return { code: why.code, message: `${what} ${verdict === 'DROP' ? 'dropped' : 'rejected'}${label ? ` by ${label}` : ''}: ${phrase}` };
}

/** The firewall engine's reason codes for a decided DROP/REJECT (src/firewall/walk.ts verdictReason). */
const DECIDING = new Set(['FW_RULE_DROP', 'FW_RULE_REJECT', 'FW_DOCKER_USER_DROP', 'FW_INTERNAL_NETWORK', 'FW_DOCKER_ISOLATION', 'FW_ICC_DISABLED', 'FW_UNPUBLISHED_PORT', 'FW_CHAIN_POLICY_DROP']);

/** A firewall walk's verdict as a hop: accepted, dropped/rejected by a named rule, or undecided. */
export function firewallHop(cx: ReachContext, t: FirewallTrace, stage: ReachStage, what: string): StageResult {
  const d = t.decidedBy;
  const hook = cx.explain ? t.hooks.join('→') : '';
  const where = `netfilter${hook ? ` ${hook}` : ''}`;
  const evidence = d ? [`${d.table}/${d.chain}${d.index !== null ? ` #${d.index}` : ' policy'}: ${d.rule}`] : [];
  const bnfOff = t.reasons.find((r) => r.code === 'FW_BRIDGE_NF_OFF');
  if (bnfOff) {
    return { hops: [{ stage, where: `bridge:${t.packet?.inIface ?? '?'}`, status: 'pass', detail: `${what}: ${bnfOff.message}`, evidence: ['net.bridge.bridge-nf-call-iptables=0'] }] };
  }
  if (t.verdict === 'ACCEPT') {
    return { hops: [{ stage, where, status: 'pass', detail: `${what} accepted${d ? ` by ${d.table}/${d.chain}${d.index !== null ? ` rule ${d.index}` : ' policy'}` : ''}`, evidence }] };
  }
  if (t.verdict === 'DROP' || t.verdict === 'REJECT') {
    const code = stage === 'return' ? 'FW_REPLY_DROPPED' : t.verdict === 'DROP' ? 'FW_DROPPED' : 'FW_REJECTED';
    const label = d ? `${d.table}/${d.chain}${d.index !== null ? ` rule ${d.index}` : ' policy'}` : null;
    // The engine's own reading of the deciding rule (Docker's ICC or isolation rule, DOCKER-USER, a policy).
    const why = t.reasons.find((r) => DECIDING.has(r.code));
    const cause = why && why.code !== 'FW_RULE_DROP' && why.code !== 'FW_RULE_REJECT' ? causeOf(cx, why, t.verdict, label, what, d) : undefined;
    return {
      hops: [{
        stage,
        where,
        status: 'block',
        code,
        detail: `${what} ${t.verdict === 'DROP' ? 'dropped' : 'rejected'}${d ? ` by ${label}: ${d.rule}` : ''}`,
        evidence,
        ...(d && label ? { rule: { label, table: d.table, chain: d.chain, index: d.index, text: d.rule, match: matchSpec(t) } } : {}),
        ...(cause ? { cause } : {}),
      }],
    };
  }
  const r = t.reasons[0];
  return { hops: [{ stage, where, status: 'unknown', code: r?.code ?? 'FW_UNKNOWN', detail: `${what}: ${r?.message ?? 'the firewall verdict could not be decided'}`, evidence: t.reasons.slice(1).map((x) => `${x.code}: ${x.message}`) }] };
}
