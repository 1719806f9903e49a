// The host (or a host-network container) to one of the host's own addresses: OUTPUT, where the
// nat table may DNAT a published port to a container; otherwise over lo into INPUT (with the NAT
// conntrack bound in OUTPUT), to a host socket — which may be docker-proxy, whose own leg to the
// container is followed.

import { canonicalAddr, parseAddr } from '../../net/addr.js';
import { type BuiltFlow, buildFlow, traceBuilt } from '../firewall-flow.js';
import { type ReachContext, type StageResult, NOTHING, bare, loopbackAddress, seq } from './context.js';
import { firewallHop, routeHop } from './evidence.js';
import { listenerStage } from './listener.js';
import { clientPort } from './packet.js';
import { proxyLeg } from './proxy.js';
import { replyHop } from './return.js';

export function hostLocalStage(cx: ReachContext): StageResult {
  const { view, from, to, fromC, port, protocol, family } = cx;
  const dstAddr = to.kind === 'address' ? to.address : loopbackAddress(family);
  const target = { address: dstAddr, port };
  // The packet is of the address's family (FROM, when it is an address, is the host: not used).
  const packetFamily = parseAddr(dstAddr)?.family ?? family;
  const base = buildFlow(view, { from: cx.host, to: cx.host, port, protocol, family: packetFamily });
  if (!base.packet) {
    return { target, hops: [{ stage: 'firewall', where: 'netfilter', status: 'unknown', code: base.problem?.code ?? 'FLOW_UNBUILT', detail: base.problem?.message ?? 'the packet could not be built', evidence: [] }] };
  }
  // Locally generated to the address itself, leaving by lo.
  const client = protocol === 'icmp' ? null : clientPort(view, packetFamily).port;
  const out: BuiltFlow = { ...base, packet: { ...base.packet, src: dstAddr, dst: dstAddr, sport: client, outIface: 'lo' } };
  const req = { from, to, port, protocol };
  const how = { explain: cx.explain };
  const t = traceBuilt(view, out, req, how);
  const request = firewallHop(cx, t, 'firewall', 'request (OUTPUT)');
  const finalDst = t.finalPacket?.dst ?? dstAddr;
  const finalPort = port === null ? null : (t.finalPacket?.dport ?? port);

  if (canonicalAddr(finalDst) !== canonicalAddr(dstAddr) && !view.hostHasAddress(finalDst)) {
    // nat OUTPUT sent it to a container (a published port reached from the host itself).
    const dn = t.natSteps.find((n) => n.kind === 'DNAT');
    const c = view.containerByAddress(finalDst);
    const owner = c ? view.namespaceOwner(c) : null;
    const dnat: StageResult = {
      hops: [{ stage: 'firewall', where: `netfilter ${dn?.table ?? 'nat'}/${dn?.chain ?? 'OUTPUT'}`, status: 'info', detail: `DNAT ${dstAddr}:${port ?? ''} → ${finalDst}:${finalPort ?? ''}${c ? ` (${bare(c.name)})` : ''}: a published port, translated in OUTPUT`, evidence: dn ? [dn.rule] : [] }],
      target,
      destination: { kind: c ? 'container' : 'outside', name: c ? bare(c.name) : null, address: finalDst, port: finalPort },
    };
    return seq(
      request,
      dnat,
      routeHop(cx, cx.host, finalDst, 'route', c ? `after DNAT to ${bare(c.name)}` : 'after DNAT'),
      replyHop(cx, out, t) ?? NOTHING,
      owner ? listenerStage(cx, { kind: 'container', owner }, finalDst, finalPort) : NOTHING,
    );
  }

  const loop: StageResult = {
    hops: [{ stage: 'namespace', where: 'host', status: 'pass', detail: `${from.label} and ${to.label} are the host's own network namespace: the packet loops back over lo`, evidence: [fromC ? `${bare(fromC.name)}: network mode host` : 'host'] }],
    target,
  };
  const back: BuiltFlow = { ...out, packet: { ...out.packet!, path: 'input', inIface: 'lo', outIface: null, natBound: true, notes: [] } };
  const input = firewallHop(cx, traceBuilt(view, back, req, how), 'firewall', 'request (in on lo)');
  if (port !== null && protocol !== 'icmp') {
    const proxy = proxyLeg(cx, dstAddr, port, protocol);
    if (proxy) {
      const { leg } = proxy;
      const owner = view.namespaceOwner(leg.container);
      return seq(
        request,
        loop,
        input,
        proxy,
        { hops: [], destination: { kind: 'container', name: bare(leg.container.name), address: leg.address, port: leg.port } },
        owner ? listenerStage(cx, { kind: 'container', owner }, leg.address, leg.port) : NOTHING,
      );
    }
  }
  return seq(request, loop, input, { hops: [], destination: { kind: 'host', name: 'host', address: dstAddr, port } }, listenerStage(cx, { kind: 'host' }, dstAddr, port));
}
