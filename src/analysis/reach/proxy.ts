// The proxy stage: a published port answered by docker-proxy on the host (no DNAT took the
// packet: the userland proxy, or the host talking to 127.0.0.1; host-local.ts follows the leg too). The proxy opens its own
// connection to the container, whose route and firewall walk decide the rest.

import type { Container } from '../../model/types.js';
import { canonicalAddr } from '../../net/addr.js';
import { type PortProtocol, buildFlow, traceBuilt } from '../firewall-flow.js';
import { type FlowContext, type ReachContext, type StageResult, NOTHING, bare, containerSubject, seq } from './context.js';
import type { Delivery } from './firewall.js';
import { firewallHop, routeHop } from './evidence.js';
import { fmtListener, listenersIn } from './listener.js';

export interface ProxyLeg {
  container: Container;
  address: string;
  port: number;
}

/** The packet delivered to the host itself (no DNAT) on a port docker-proxy answers goes on to the container. */
export function proxyStage(cx: FlowContext, d: Delivery): StageResult & { delivery: Delivery } {
  if (cx.port === null || cx.protocol === 'icmp' || d.place.kind !== 'host' || d.translated) return { ...NOTHING, delivery: d };
  const proxy = proxyLeg(cx, d.address, cx.port, cx.protocol);
  if (!proxy) return { ...NOTHING, delivery: d };
  const { leg } = proxy;
  return { ...proxy, delivery: { address: leg.address, port: leg.port, place: { kind: 'container', owner: leg.container }, translated: false } };
}

/** docker-proxy's leg for dst:port, when a docker-proxy listens there and a running container publishes it. */
export function proxyLeg(cx: ReachContext, dst: string, port: number, protocol: PortProtocol): (StageResult & { leg: ProxyLeg }) | null {
  const { view, family } = cx;
  const { list } = listenersIn(view, { kind: 'host' });
  const proxy = list?.find((l) => l.protocol === protocol && l.port === port && l.process?.name === 'docker-proxy');
  if (!proxy) return null;
  const binding = view.containers
    .filter((c) => c.running)
    .flatMap((c) => c.publishedPorts.map((b) => ({ c, b })))
    .find(({ b }) => b.protocol === protocol && b.hostPort === port && (b.hostIp === '0.0.0.0' || b.hostIp === '::' || canonicalAddr(b.hostIp) === canonicalAddr(dst)));
  if (!binding) return null;
  const ep = binding.c.endpoints.find((e) => (family === 'ipv4' ? e.ipv4 : e.ipv6));
  const address = ep ? (family === 'ipv4' ? ep.ipv4!.address : ep.ipv6!.address) : null;
  if (!address) return null;
  const to = containerSubject(binding.c);
  const req = { from: cx.host, to, port: binding.b.containerPort, protocol };
  const leg = buildFlow(view, req);
  const found: StageResult = {
    hops: [{ stage: 'proxy', where: 'host', status: 'info', detail: `docker-proxy (pid ${proxy.process!.pid}) accepts ${dst}:${port} and opens its own connection to ${bare(binding.c.name)} ${address}:${binding.b.containerPort}`, evidence: [fmtListener(proxy)] }],
    listening: 'unknown',
  };
  return {
    ...seq(found, routeHop(cx, cx.host, address, 'proxy', 'docker-proxy leg'), leg.packet ? firewallHop(cx, traceBuilt(view, leg, req, { explain: cx.explain }), 'proxy', 'docker-proxy leg') : NOTHING),
    leg: { container: binding.c, address, port: binding.b.containerPort },
  };
}
