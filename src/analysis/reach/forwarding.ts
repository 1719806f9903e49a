// The forwarding stage: routed (not bridged) traffic needs the host to forward between
// interfaces (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding).

import { type FlowContext, type StageResult, NOTHING } from './context.js';

export function forwardingStage(cx: FlowContext): StageResult {
  const pk = cx.built.packet;
  if (!pk || pk.path !== 'forward' || pk.inIface === pk.outIface) return NOTHING;
  const h = cx.view.host();
  const key = cx.family === 'ipv4' ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding';
  const daemon = h?.daemon.value?.ipv4Forwarding;
  const v = h?.sysctls.value?.[key] ?? (cx.family === 'ipv4' && daemon !== null && daemon !== undefined ? (daemon ? '1' : '0') : undefined);
  if (v === '1') return { hops: [{ stage: 'forwarding', where: 'host', status: 'pass', detail: `${key}=1: the host routes between interfaces`, evidence: [`${key}=1`] }] };
  if (v === '0') return { hops: [{ stage: 'forwarding', where: 'host', status: 'block', code: 'IP_FORWARD_OFF', detail: `${key}=0: the host does not route packets between interfaces, so routed container traffic is dropped`, evidence: [`${key}=0`] }] };
  return { hops: [{ stage: 'forwarding', where: 'host', status: 'unknown', code: 'EVIDENCE_MISSING_SYSCTL', detail: `${key} was not captured: whether the host forwards is unknown`, evidence: [] }] };
}
