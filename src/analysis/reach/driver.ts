// The driver stage: networks that are not a Linux bridge on this host. macvlan/ipvlan switch
// between their endpoints inside the driver (and keep them from their own host), overlay members
// on one host meet on the overlay's bridge, a plug-in's forwarding is not known. Bridge traffic
// passes through to the route and firewall stages.

import type { Container, Network } from '../../model/types.js';
import { type FlowContext, type StageResult, NOTHING, bare, seq } from './context.js';
import { listenerStage } from './listener.js';
import type { ReachDestination } from './types.js';

export function driverStage(cx: FlowContext): StageResult {
  const { view, built, fromOwner, toOwner, fromPlace, toPlace, port, family } = cx;
  const srcNet = fromPlace.kind === 'host' ? null : endpointNetwork(cx, fromOwner, built.from.network);
  const dstNet = toPlace.kind === 'host' ? null : endpointNetwork(cx, toOwner, built.to.network);
  const shared = sharedNetwork(cx);
  if (!nonBridge(shared) && !nonBridge(srcNet) && !nonBridge(dstNet) && (built.packet || !built.problem || built.problem.code !== 'FLOW_NOT_BRIDGE')) return NOTHING;
  const net = shared ?? (nonBridge(dstNet) ? dstNet : srcNet);
  if (!net) return NOTHING;
  const where = `network:${net.name}`;
  const evidence = [`driver ${net.driver}${Object.keys(net.options).length ? ` (${Object.entries(net.options).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`];
  const settled = (r: StageResult): StageResult => ({ ...r, done: true });

  if (shared && fromOwner && toOwner) {
    // Both ends on the same non-bridge network.
    let hop: StageResult;
    if (net.driver === 'macvlan') {
      const mode = net.options['macvlan_mode'] ?? 'bridge';
      if (mode === 'bridge') hop = { hops: [{ stage: 'driver', where, status: 'pass', detail: `macvlan (bridge mode) on parent ${net.options.parent ?? '?'} switches between its endpoints directly; the host's iptables is not on this path`, evidence }] };
      else if (mode === 'private') hop = { hops: [{ stage: 'driver', where, status: 'block', code: 'MACVLAN_PRIVATE', detail: 'macvlan private mode forbids traffic between endpoints on the same parent', evidence }] };
      else hop = { hops: [{ stage: 'driver', where, status: 'unknown', code: 'MACVLAN_EXTERNAL_SWITCH', detail: `macvlan ${mode} mode sends traffic between endpoints out to the external switch: it depends on hairpin support there`, evidence }] };
    } else if (net.driver === 'ipvlan') {
      const mode = net.options['ipvlan_mode'] ?? 'l2';
      hop = { hops: [{ stage: 'driver', where, status: 'pass', detail: `ipvlan ${mode}: endpoints on the same parent (${net.options.parent ?? '?'}) reach each other inside the driver; the host's iptables is not on this path`, evidence }] };
    } else if (net.driver === 'overlay') {
      hop = {
        hops: [{ stage: 'driver', where, status: 'pass', detail: 'both endpoints are on the same overlay network on this host: switched on the overlay\'s own bridge', evidence }],
        assumptions: ['overlay traffic is filtered only by rules inside the overlay\'s namespace, which are not captured (Docker adds none between members)'],
      };
    } else {
      return settled(pluginHop(net, where, evidence));
    }
    const destination: ReachDestination = { kind: 'container', name: bare(toOwner.name), address: endpointAddress(toOwner, net), port };
    const target = destination.address ? { address: destination.address, port } : null;
    return settled(seq(hop, { hops: [], destination, target }, listenerStage(cx, { kind: 'container', owner: toOwner }, destination.address ?? '', port)));
  }

  // One side is the host (or a host-mode container) and the other a macvlan/ipvlan endpoint.
  const hostSide = fromPlace.kind === 'host' || toPlace.kind === 'host';
  if ((net.driver === 'macvlan' || net.driver === 'ipvlan') && hostSide) {
    const parentAddr = view.host()?.interfaces.value?.find((i) => i.name === net.options.parent)?.addresses.find((a) => a.family === family)?.address ?? null;
    const addr = toPlace.kind === 'host' ? (cx.to.kind === 'address' ? cx.to.address : parentAddr) : toOwner ? endpointAddress(toOwner, net) : null;
    return settled({
      target: addr ? { address: addr, port } : null,
      hops: [{ stage: 'driver', where, status: 'block', code: net.driver === 'macvlan' ? 'MACVLAN_HOST_ISOLATION' : 'IPVLAN_HOST_ISOLATION', detail: `${net.driver} endpoints cannot talk to their own host through the parent interface ${net.options.parent ?? ''} (by design of the driver); give the host its own ${net.driver} sub-interface to reach them`.replace('  ', ' '), evidence }],
    });
  }
  if (net.driver === 'macvlan' || net.driver === 'ipvlan' || net.driver === 'overlay') {
    return settled({ hops: [{ stage: 'driver', where, status: 'unknown', code: 'REACH_EXTERNAL_PATH', detail: `the packet leaves through the ${net.driver} network ${net.name} and is routed by the network outside this host, which is not in the state`, evidence }] });
  }
  return settled(pluginHop(net, where, evidence));
}

const nonBridge = (n: Network | null): boolean => n !== null && n.driver !== 'bridge' && n.driver !== 'host' && n.driver !== 'null';

function pluginHop(net: Network, where: string, evidence: string[]): StageResult {
  return { hops: [{ stage: 'driver', where, status: 'unknown', code: 'REACH_DRIVER_UNKNOWN', detail: `network driver "${net.driver}" is a plug-in: how it forwards is not known`, evidence }] };
}

/** The network both sides are attached to: the one the packet was built on, else the first. */
function sharedNetwork(cx: FlowContext): Network | null {
  const { fromOwner, toOwner } = cx;
  if (!fromOwner || !toOwner || fromOwner.networkMode.kind === 'host' || toOwner.networkMode.kind === 'host') return null;
  const theirs = new Set(toOwner.endpoints.map((e) => e.networkId));
  const common = fromOwner.endpoints.filter((e) => theirs.has(e.networkId));
  const pick = common.find((e) => e.networkName === cx.built.from.network) ?? common[0];
  return pick ? cx.view.network(pick.networkId, pick.networkName) : null;
}

function endpointNetwork(cx: FlowContext, c: Container | null, name: string | null): Network | null {
  if (!c) return null;
  const ep = (name ? c.endpoints.find((e) => e.networkName === name) : null) ?? c.endpoints[0];
  return ep ? cx.view.network(ep.networkId, ep.networkName) : null;
}

function endpointAddress(c: Container, n: Network): string | null {
  const ep = c.endpoints.find((e) => e.networkId === n.id || e.networkName === n.name);
  return ep?.ipv4?.address ?? ep?.ipv6?.address ?? null;
}
