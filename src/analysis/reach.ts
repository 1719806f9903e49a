// `netsleuth reach FROM TO [--port N/proto]`: is a packet from FROM delivered to TO's network stack,
// and does something listen there? One verdict built from stages, each with its evidence:
//
//   source      FROM can send at all (running, not network mode none)
//   namespace   FROM and TO share a network namespace (container: mode, host mode, loopback)
//   driver      non-bridge drivers: macvlan/ipvlan switching and their parent isolation, overlay
//   route       FROM's routes, then the host's tables (src/analysis/route.ts)
//   forwarding  net.ipv4.ip_forward for routed (not bridged) traffic
//   firewall    the host's netfilter walk for the NEW packet, with DNAT (src/analysis/firewall-flow.ts)
//   proxy       a published port answered by docker-proxy on the host: its own leg to the container
//   return      the reply: route back and the netfilter walk for the ESTABLISHED reply
//   listener    a socket bound to the (post-DNAT) address and port in TO's namespace
//
// Every stage is evaluated even after one blocks ("fixing one drop often reveals the next"); the
// first blocking stage on the path is flagged. `reachable` needs every stage to pass on evidence;
// a stage that lacks evidence makes the verdict `unknown` naming it. Pure: no I/O.

import { checkPort } from '../model/port.js';
import type { AddressFamily, Container, Listener, Network } from '../model/types.js';
import { type StateInput, type StateView, type Subject, type SubjectRef, asView, bareName } from '../model/view.js';
import { canonicalAddr, isLoopback, parseAddr } from '../net/addr.js';
import {
  type BuiltFlow,
  type FirewallTrace,
  type FlowProtocol,
  buildFlow,
  hostFacts,
  hostRuleset,
  traceBuilt,
} from './firewall-flow.js';
import { ephemeralRepresentative } from './ephemeral.js';
import { type RouteTrace, routePath } from './route.js';

export type ReachVerdict = 'reachable' | 'blocked' | 'unknown';
export type Listening = true | false | 'unknown';
export type ReachProtocol = FlowProtocol | 'icmp';
export type ReachStage = 'source' | 'namespace' | 'driver' | 'route' | 'forwarding' | 'firewall' | 'proxy' | 'return' | 'listener';
export type HopStatus = 'pass' | 'block' | 'unknown' | 'info';

export interface ReachRequest {
  /** A subject's text (resolved by the state view; TO as FROM's embedded DNS would) or a resolved subject. */
  from: string | Subject;
  to: string | Subject;
  /** null/absent: ICMP echo (ping). */
  port?: number | null;
  protocol?: FlowProtocol;
}

export interface ReachHop {
  stage: ReachStage;
  /** Where the packet is: `container:web`, `host`, `bridge:br-1a2b`, `netfilter`, ... */
  where: string;
  status: HopStatus;
  /** One sentence: what decided this step. */
  detail: string;
  /** Rule text, route, sysctl, socket: what proves it. */
  evidence: string[];
  /** Set on a blocking hop: its reason code, and whether it is the first block on the path. */
  code?: string;
  first?: boolean;
}

export interface ReachReason {
  code: string;
  message: string;
}

export interface ReachDestination {
  /** What finally receives the packet (after DNAT and docker-proxy). */
  kind: 'container' | 'host' | 'outside';
  name: string | null;
  address: string | null;
  port: number | null;
}

export interface ReachResult {
  from: string;
  to: string;
  /** FROM and TO by id, for consumers that act on them (probes); renderers use the labels. */
  fromRef: SubjectRef;
  toRef: SubjectRef;
  port: number | null;
  protocol: ReachProtocol;
  family: AddressFamily;
  verdict: ReachVerdict;
  listening: Listening;
  hops: ReachHop[];
  reasons: ReachReason[];
  /** Every blocking stage, in path order; the first is where the packet dies today. */
  blocking: Array<{ stage: ReachStage; where: string; code: string; message: string; first: boolean }>;
  destination: ReachDestination | null;
  /** The address and port FROM actually sends to (before any DNAT): what a live probe targets. */
  target: { address: string; port: number | null } | null;
  assumptions: string[];
  probe: null | { method: string; result: string; latencyMs: number | null };
  agreement: null | boolean;
}

// ---------------------------------------------------------------------------------------------

const EPHEMERAL_NOTE = "a firewall rule names ports inside the ephemeral range, so the client's port matters and is not known: rules matching it are undecided";

const bare = bareName;
const containerSubject = (c: Container): Subject => ({ kind: 'container', label: bareName(c.name), container: c, matchedBy: 'id' });

/** The namespace a subject lives in: `host`, `c:<owner id>`, or `ext:<address>`. */
function namespaceKey(view: StateView, s: Subject): string {
  if (s.kind === 'host') return 'host';
  if (s.kind === 'container') {
    const owner = view.namespaceOwner(s.container);
    if (!owner) return `missing:${s.container.id}`;
    return owner.networkMode.kind === 'host' ? 'host' : `c:${owner.id}`;
  }
  const c = view.containerByAddress(s.address);
  if (c) return namespaceKey(view, { kind: 'container', label: c.name, container: c, matchedBy: 'address' });
  if (view.hostHasAddress(s.address)) return 'host';
  return `ext:${canonicalAddr(s.address)}`;
}

function subjectContainer(view: StateView, s: Subject): Container | null {
  if (s.kind === 'container') return s.container;
  if (s.kind === 'address') return view.containerByAddress(s.address);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Listener matching

function listenersIn(view: StateView, ns: string): { list: Listener[] | null; why: string | null; where: string } {
  if (ns === 'host') {
    const h = view.host();
    const sec = h?.listeners;
    if (!sec || sec.status === 'unavailable' || !sec.value) return { list: null, why: `the host's listening sockets were not captured${sec?.reason ? ` (${sec.reason})` : ''}`, where: 'host' };
    return { list: sec.value, why: sec.status === 'partial' ? `the host's listening sockets are partial${sec.reason ? ` (${sec.reason})` : ''}` : null, where: 'host' };
  }
  const c = ns.startsWith('c:') ? view.container(ns.slice(2)) : null;
  if (!c) return { list: null, why: 'the destination namespace is not in the state', where: ns };
  const sec = c.netns;
  if (sec.status === 'unavailable' || !sec.value) return { list: null, why: `the sockets inside ${bare(c.name)} were not captured${sec.reason ? ` (${sec.reason})` : ''}`, where: `container:${bare(c.name)}` };
  return { list: sec.value.listeners, why: null, where: `container:${bare(c.name)}` };
}

interface ListenerCheck {
  listening: Listening;
  code: string;
  detail: string;
  evidence: string[];
}

function fmtListener(l: Listener): string {
  const a = l.address.includes(':') ? `[${l.address}]` : l.address;
  return `${l.protocol} ${a}:${l.port}${l.process ? ` (${l.process.name}, pid ${l.process.pid})` : ''}`;
}

/** Does a socket in `ns` accept `protocol` packets for dst:port? */
function checkListener(view: StateView, ns: string, dst: string, port: number, protocol: FlowProtocol): ListenerCheck {
  const { list, why, where } = listenersIn(view, ns);
  if (!list) return { listening: 'unknown', code: 'LISTENER_EVIDENCE_MISSING', detail: why!, evidence: [] };
  const d = parseAddr(dst);
  const loop = isLoopback(dst);
  const onPort = list.filter((l) => l.protocol === protocol && l.port === port);
  const accepts = (l: Listener): boolean => {
    const la = parseAddr(l.address);
    if (!la || !d) return false;
    if (la.value === 0n) {
      // 0.0.0.0 takes IPv4; :: takes IPv6 and (bindv6only=0, the default) IPv4 too.
      return la.family === d.family || (la.family === 'ipv6' && d.family === 'ipv4');
    }
    if (la.family === 'ipv6' && d.family === 'ipv4' && l.address.toLowerCase().startsWith('::ffff:')) {
      return canonicalAddr(l.address.slice(7)) === canonicalAddr(dst);
    }
    return canonicalAddr(l.address) === canonicalAddr(dst);
  };
  const hit = onPort.filter(accepts);
  if (hit.length > 0) {
    return { listening: true, code: 'LISTENER_FOUND', detail: `${where}: ${fmtListener(hit[0]!)} accepts ${dst}:${port}`, evidence: hit.map(fmtListener) };
  }
  if (onPort.length > 0) {
    const lo = onPort.every((l) => isLoopback(l.address));
    if (lo && !loop) {
      return { listening: false, code: 'LISTENER_LOOPBACK_ONLY', detail: `${where}: the socket on port ${port} is bound to loopback only (${onPort.map(fmtListener).join(', ')}), so packets for ${dst} are refused`, evidence: onPort.map(fmtListener) };
    }
    return { listening: false, code: 'LISTENER_OTHER_ADDRESS', detail: `${where}: port ${port}/${protocol} is bound to other addresses (${onPort.map(fmtListener).join(', ')}), not ${dst}`, evidence: onPort.map(fmtListener) };
  }
  const tail = why ? ` (${why})` : '';
  if (why) return { listening: 'unknown', code: 'LISTENER_EVIDENCE_PARTIAL', detail: `${where}: no socket seen on ${port}/${protocol}${tail}`, evidence: [] };
  return { listening: false, code: 'LISTENER_NONE', detail: `${where}: nothing listens on ${port}/${protocol}${protocol === 'tcp' ? ' (the connection is refused with a RST)' : ' (an ICMP port-unreachable comes back)'}`, evidence: [] };
}

// ---------------------------------------------------------------------------------------------

export interface ReachOptions {
  /** Skip the rule-by-rule explanation of firewall walks (matrix): same verdicts, less detail. */
  lean?: boolean;
}

export function analyzeReach(input: StateInput, req: ReachRequest, ropts: ReachOptions = {}): ReachResult {
  const view = asView(input);
  const state = view.state;
  const how = { explain: ropts.lean !== true };
  const HOST: Subject = { kind: 'host', label: 'host', host: view.host() };
  const from: Subject = typeof req.from === 'string' ? view.resolve(req.from) : req.from;
  const to: Subject = typeof req.to === 'string' ? view.resolve(req.to, { from: from.kind === 'container' ? from.container : null }) : req.to;
  const port = req.port ?? null;
  const protocol: ReachProtocol = port === null ? 'icmp' : (req.protocol ?? 'tcp');
  if (port !== null) checkPort(port);

  const hops: ReachHop[] = [];
  const reasons: ReachReason[] = [];
  const assumptions: string[] = [];
  let family: AddressFamily = 'ipv4';
  for (const s of [from, to]) if (s.kind === 'address' && parseAddr(s.address)?.family === 'ipv6') family = 'ipv6';
  let listening: Listening = 'unknown';
  let destination: ReachDestination | null = null;
  let target: ReachResult['target'] = null;

  const add = (h: ReachHop) => {
    hops.push(h);
  };
  const finish = (): ReachResult => {
    const blocks = hops.filter((h) => h.status === 'block');
    blocks.forEach((h, i) => (h.first = i === 0));
    const verdict: ReachVerdict = blocks.length > 0 ? 'blocked' : hops.some((h) => h.status === 'unknown') ? 'unknown' : 'reachable';
    if (verdict !== 'reachable' && protocol === 'icmp') listening = listening === true ? true : listening;
    return {
      from: from.label,
      to: to.label,
      fromRef: view.ref(from),
      toRef: view.ref(to),
      port,
      protocol,
      family,
      verdict,
      listening,
      hops,
      // What stops it first, then what is not known, then the listener's story.
      reasons: [
        ...blocks.map((h) => ({ code: h.code ?? 'REACH_BLOCKED', message: h.detail })),
        ...hops.filter((h) => h.status === 'unknown').map((h) => ({ code: h.code ?? 'REACH_UNKNOWN', message: h.detail })),
        ...reasons,
      ],
      blocking: blocks.map((h) => ({ stage: h.stage, where: h.where, code: h.code ?? 'REACH_BLOCKED', message: h.detail, first: h.first === true })),
      destination,
      target,
      assumptions: [...new Set(assumptions)],
      probe: null,
      agreement: null,
    };
  };

  // ---- source and destination can take part at all
  const fromC = subjectContainer(view, from);
  const toC = subjectContainer(view, to);
  const fromOwner = fromC ? view.namespaceOwner(fromC) : null;
  const toOwner = toC ? view.namespaceOwner(toC) : null;
  if (fromC && !fromOwner) {
    add({ stage: 'source', where: `container:${bare(fromC.name)}`, status: 'unknown', code: 'NETNS_OWNER_MISSING', detail: `${bare(fromC.name)} shares the network namespace of a container that is not in the state`, evidence: [] });
    return finish();
  }
  if (toC && !toOwner) {
    add({ stage: 'source', where: `container:${bare(toC.name)}`, status: 'unknown', code: 'NETNS_OWNER_MISSING', detail: `${bare(toC.name)} shares the network namespace of a container that is not in the state`, evidence: [] });
    return finish();
  }
  for (const [c, owner, role] of [[fromC, fromOwner, 'source'], [toC, toOwner, 'destination']] as const) {
    if (!c || !owner) continue;
    if (!owner.running) {
      add({ stage: 'source', where: `container:${bare(c.name)}`, status: 'block', code: role === 'source' ? 'REACH_SOURCE_NOT_RUNNING' : 'REACH_DEST_NOT_RUNNING', detail: `${role} ${bare(c.name)}${owner !== c ? ` (namespace of ${bare(owner.name)})` : ''} is ${owner.state}: a stopped container has no network namespace`, evidence: [`state: ${owner.state}`] });
    }
  }
  if (hops.some((h) => h.status === 'block')) return finish();

  const flowPort = port ?? 1;
  const flowProto: FlowProtocol = protocol === 'icmp' ? 'tcp' : protocol;

  // ---- same namespace: loopback, no bridge, no firewall path of interest
  const fromNs = namespaceKey(view, from);
  let toNs = namespaceKey(view, to);
  if (to.kind === 'address' && isLoopback(to.address)) toNs = fromNs;
  if (fromNs === toNs && fromNs === 'host') {
    hostLocal(to.kind === 'address' ? to.address : family === 'ipv4' ? '127.0.0.1' : '::1');
    return finish();
  }
  if (fromNs === toNs && !fromNs.startsWith('ext:')) {
    const dstAddr = to.kind === 'address' ? to.address : family === 'ipv4' ? '127.0.0.1' : '::1';
    add({ stage: 'namespace', where: `container:${bare(fromOwner!.name)}`, status: 'pass', detail: `${from.label} and ${to.label} share one network namespace: the packet goes over the loopback interface, no bridge and no forwarding`, evidence: [fromC && fromC !== fromOwner ? `${bare(fromC.name)}: network mode container:${bare(fromOwner!.name)}` : 'same namespace'] });
    assumptions.push('loopback traffic is accepted by the namespace\'s own firewall (rules inside containers are not captured)');
    destination = { kind: 'container', name: bare(toOwner?.name ?? fromOwner!.name), address: dstAddr, port };
    target = { address: dstAddr, port };
    listenerStage(fromNs, dstAddr, port);
    return finish();
  }
  if (fromOwner?.networkMode.kind === 'none' || toOwner?.networkMode.kind === 'none') {
    const who = fromOwner?.networkMode.kind === 'none' ? fromOwner : toOwner!;
    add({ stage: 'source', where: `container:${bare(who.name)}`, status: 'block', code: 'REACH_NO_NETWORK', detail: `${bare(who.name)} has network mode none: it has only a loopback interface`, evidence: ['network mode none'] });
    return finish();
  }

  // ---- the packet netfilter would see (endpoint choice shared with `firewall trace`)
  const built: BuiltFlow = buildFlow(view, { from, to, port: flowPort, protocol: flowProto });
  family = built.family;
  if (built.packet && protocol === 'icmp') {
    built.packet.protocol = family === 'ipv4' ? 'icmp' : 'icmpv6';
    built.packet.sport = null;
    built.packet.dport = null;
    built.packet.icmpType = family === 'ipv4' ? 8 : 128;
    built.packet.icmpCode = 0;
  }

  // The client port: one representative ephemeral port when no rule tells ephemeral ports apart.
  let clientPort: number | null = null;
  if (built.packet && protocol !== 'icmp') {
    const rs = hostRuleset(view.host(), family).ruleset;
    const eph = view.ephemeralRange(view.host());
    clientPort = rs ? ephemeralRepresentative(rs, eph.range) : null;
    built.packet.sport = clientPort;
    if (clientPort !== null) assumptions.push(`the client port is ephemeral (${eph.range[0]}-${eph.range[1]}${eph.known ? '' : ', the Linux default'}); no firewall rule tells those ports apart, so ${clientPort} stands for all of them`);
    else if (rs) assumptions.push(EPHEMERAL_NOTE);
  }

  // ---- non-bridge drivers
  const driverOutcome = driverStage();
  if (driverOutcome === 'done') return finish();

  if (!built.packet) {
    add({ stage: 'firewall', where: 'netfilter', status: 'unknown', code: built.problem?.code ?? 'FLOW_UNBUILT', detail: built.problem?.message ?? 'the packet could not be built from the state', evidence: [] });
    return finish();
  }
  const pk = built.packet;
  target = { address: pk.dst, port };

  // ---- route
  const fwdRoute = routeStage(from.kind === 'address' && fromNs.startsWith('c:') ? containerSubject(fromC!) : from, pk.dst, 'route');
  const egress = fwdRoute?.verdict === 'routed' ? fwdRoute.hops[fwdRoute.hops.length - 1] : undefined;
  if (egress?.step === 'egress' && toNs.startsWith('ext:')) {
    // Past the uplink the network is not in the state: delivery there cannot be earned.
    const nat = egress.nat;
    const noSnat = nat?.kind === 'none' && fromNs !== 'host';
    add({
      stage: 'route',
      where: `beyond ${egress.oif ?? 'the uplink'}`,
      status: 'unknown',
      code: noSnat ? 'EGRESS_WITHOUT_SNAT' : 'REACH_BEYOND_HOST',
      detail: noSnat
        ? `the packet leaves through ${egress.oif ?? '?'} with its container source ${egress.src ?? '?'} (no MASQUERADE/SNAT applies): replies come back only if the outside network routes that subnet to this host`
        : `the packet leaves the host through ${egress.oif ?? '?'}${nat?.kind === 'masquerade' || nat?.kind === 'snat' ? ` (${nat.kind.toUpperCase()})` : ''}; what happens beyond it is outside this host's evidence`,
      evidence: nat?.rule ? [nat.rule] : [],
    });
  }

  // ---- forwarding sysctl for routed traffic
  if (pk.path === 'forward' && pk.inIface !== pk.outIface) forwardingStage();

  // ---- firewall: the NEW packet
  const fw = firewallStage();

  // ---- where the packet ends up
  let finalDst = fw?.finalPacket?.dst ?? pk.dst;
  let finalPort = port === null ? null : (fw?.finalPacket?.dport ?? port);
  const dnat = fw?.natSteps.find((n) => n.kind === 'DNAT' || n.kind === 'REDIRECT');
  if (dnat && finalDst) {
    const c = view.containerByAddress(finalDst);
    add({ stage: 'firewall', where: `netfilter ${dnat.table}/${dnat.chain}`, status: 'info', detail: `${dnat.kind} ${pk.dst}:${port ?? ''} → ${finalDst}:${finalPort ?? ''}${c ? ` (${bare(c.name)})` : ''}: a published port`, evidence: [dnat.rule] });
    if (c) routeStage(HOST, finalDst, 'route', `after DNAT to ${bare(c.name)}`);
  }
  let dstNs = finalDst ? namespaceKey(view, { kind: 'address', label: finalDst, address: finalDst }) : toNs;
  if (dstNs.startsWith('ext:') && toNs === 'host') dstNs = 'host';

  // docker-proxy: a published port answered by the userland proxy on the host
  if (port !== null && protocol !== 'icmp' && dstNs === 'host' && !dnat) {
    const leg = proxyLeg(finalDst!, port, protocol);
    if (leg) {
      finalDst = leg.address;
      finalPort = leg.port;
      dstNs = `c:${leg.container.id}`;
    }
  }
  destination = dstNs === 'host'
    ? { kind: 'host', name: 'host', address: finalDst, port: finalPort }
    : dstNs.startsWith('c:')
      ? { kind: 'container', name: bare(view.container(dstNs.slice(2))?.name ?? '?'), address: finalDst, port: finalPort }
      : { kind: 'outside', name: null, address: finalDst, port: finalPort };

  // ---- the reply
  returnStage(fw);

  // ---- listener
  if (destination.kind === 'outside') {
    if (protocol !== 'icmp') {
      listening = 'unknown';
      hops.push({ stage: 'listener', where: finalDst ?? '?', status: 'info', detail: `${finalDst} is outside this host's state: whether something listens there is not known`, evidence: [] });
    }
  } else if (finalDst) listenerStage(dstNs, finalDst, finalPort);
  return finish();

  // ==============================================================================================

  function listenerStage(ns: string, dst: string, p: number | null): void {
    if (p === null || protocol === 'icmp') {
      const h = view.host();
      const ignore = ns === 'host' ? h?.sysctls.value?.[family === 'ipv4' ? 'net.ipv4.icmp_echo_ignore_all' : 'net.ipv6.icmp.echo_ignore_all'] : undefined;
      if (ignore === '1') {
        listening = false;
        hops.push({ stage: 'listener', where: 'host', status: 'info', code: 'ICMP_ECHO_IGNORED', detail: 'the host ignores echo requests (icmp_echo_ignore_all=1)', evidence: [`icmp_echo_ignore_all=1`] });
      } else {
        listening = true;
        assumptions.push('the kernel answers ICMP echo requests itself (echo is not ignored inside the destination namespace)');
        hops.push({ stage: 'listener', where: listenersIn(view, ns).where, status: 'info', detail: 'the destination kernel answers the echo request', evidence: [] });
      }
      return;
    }
    const l = checkListener(view, ns, dst, p, protocol as FlowProtocol);
    listening = l.listening;
    hops.push({ stage: 'listener', where: ns === 'host' ? 'host' : (listenersIn(view, ns).where), status: 'info', code: l.code, detail: l.detail, evidence: l.evidence });
    if (l.listening !== true) reasons.push({ code: l.code, message: l.detail });
  }

  function routeStage(fromSubject: Subject, dst: string, stage: ReachStage, label?: string): RouteTrace | null {
    const t = routePath(view, { from: fromSubject, to: { kind: 'address', label: dst, address: dst }, family });
    const last = t.hops[t.hops.length - 1];
    const ev = t.hops.map((h) => `${h.where}: ${h.route ? `${h.route.type === 'unicast' ? '' : `${h.route.type} `}${h.route.dst}${h.route.dev ? ` dev ${h.route.dev}` : ''}${h.route.gateway ? ` via ${h.route.gateway}` : ''} (table ${h.route.table})` : h.note ?? h.step}`);
    const where = last?.where ?? 'route';
    const pre = label ? `${label}: ` : '';
    if (t.verdict === 'routed') {
      add({ stage, where, status: 'pass', detail: `${pre}${t.src ?? '?'} → ${t.dst} ${last?.note ?? 'routed'}`, evidence: ev });
      for (const a of t.assumptions) assumptions.push(a);
    } else if (t.verdict === 'unknown') {
      const r = t.reasons[0];
      add({ stage, where, status: 'unknown', code: r?.code ?? 'ROUTE_UNKNOWN', detail: `${pre}${r?.message ?? 'the route could not be decided'}`, evidence: ev });
    } else {
      const r = t.reasons.find((x) => x.code.startsWith('ROUTE_')) ?? t.reasons[0];
      add({ stage, where, status: 'block', code: r?.code ?? 'ROUTE_NONE', detail: `${pre}${r?.message ?? t.verdict}`, evidence: ev });
    }
    return t;
  }

  function forwardingStage(): void {
    const h = view.host();
    const key = family === 'ipv4' ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding';
    const v = h?.sysctls.value?.[key] ?? (family === 'ipv4' && h?.daemon.value?.ipv4Forwarding !== null && h?.daemon.value?.ipv4Forwarding !== undefined ? (h.daemon.value.ipv4Forwarding ? '1' : '0') : undefined);
    if (v === '1') add({ stage: 'forwarding', where: 'host', status: 'pass', detail: `${key}=1: the host routes between interfaces`, evidence: [`${key}=1`] });
    else if (v === '0') add({ stage: 'forwarding', where: 'host', status: 'block', code: 'IP_FORWARD_OFF', detail: `${key}=0: the host does not route packets between interfaces, so routed container traffic is dropped`, evidence: [`${key}=0`] });
    else add({ stage: 'forwarding', where: 'host', status: 'unknown', code: 'EVIDENCE_MISSING_SYSCTL', detail: `${key} was not captured: whether the host forwards is unknown`, evidence: [] });
  }

  function firewallStage(): FirewallTrace {
    const t = traceBuilt(view, built, { from, to, port: port ?? 0, protocol: flowProto }, how);
    fwHop(t, 'firewall', 'request');
    return t;
  }

  /**
   * The host (or a host-network container) to one of the host's own addresses: OUTPUT, where the
   * nat table may DNAT a published port to a container; otherwise over lo into INPUT (with the
   * NAT conntrack bound in OUTPUT), to a host socket — which may be docker-proxy, whose own leg
   * to the container is followed.
   */
  function hostLocal(dstAddr: string): void {
    const base = buildFlow(view, { from: 'host', to: 'host', port: port ?? 1, protocol: flowProto });
    const icmp = protocol === 'icmp' ? { protocol: family === 'ipv4' ? 'icmp' : 'icmpv6', sport: null, dport: null, icmpType: family === 'ipv4' ? 8 : 128, icmpCode: 0 } : {};
    const rs = hostRuleset(view.host(), family).ruleset;
    const client = rs && protocol !== 'icmp' ? ephemeralRepresentative(rs, view.ephemeralRange(view.host()).range) : null;
    target = { address: dstAddr, port };
    if (!base.packet) {
      add({ stage: 'firewall', where: 'netfilter', status: 'unknown', code: base.problem?.code ?? 'FLOW_UNBUILT', detail: base.problem?.message ?? 'the packet could not be built', evidence: [] });
      return;
    }
    const out: BuiltFlow = { ...base, packet: { ...base.packet, src: dstAddr, dst: dstAddr, sport: client, outIface: 'lo', ...icmp } };
    const t = traceBuilt(view, out, { from, to, port: port ?? 0, protocol: flowProto }, how);
    fwHop(t, 'firewall', 'request (OUTPUT)');
    const finalDst = t.finalPacket?.dst ?? dstAddr;
    const finalPort = port === null ? null : (t.finalPacket?.dport ?? port);
    if (canonicalAddr(finalDst) !== canonicalAddr(dstAddr) && !view.hostHasAddress(finalDst)) {
      // nat OUTPUT sent it to a container (a published port reached from the host itself).
      const dn = t.natSteps.find((n) => n.kind === 'DNAT');
      const c = view.containerByAddress(finalDst);
      add({ stage: 'firewall', where: `netfilter ${dn?.table ?? 'nat'}/${dn?.chain ?? 'OUTPUT'}`, status: 'info', detail: `DNAT ${dstAddr}:${port ?? ''} → ${finalDst}:${finalPort ?? ''}${c ? ` (${bare(c.name)})` : ''}: a published port, translated in OUTPUT`, evidence: dn ? [dn.rule] : [] });
      routeStage(HOST, finalDst, 'route', c ? `after DNAT to ${bare(c.name)}` : 'after DNAT');
      const owner = c ? view.namespaceOwner(c) : null;
      const bridge = c?.endpoints.map((e) => view.network(e.networkId, e.networkName)).find((n) => n?.bridgeName)?.bridgeName ?? null;
      const reply: BuiltFlow = {
        from: base.to,
        to: base.from,
        family,
        problem: null,
        packet: { ...out.packet!, src: finalDst, dst: dstAddr, sport: protocol === 'icmp' ? null : finalPort, dport: client, ctState: 'ESTABLISHED', path: 'input', inIface: bridge, outIface: null, srcLocal: false, dstLocal: true, ...(protocol === 'icmp' ? { icmpType: family === 'ipv4' ? 0 : 129 } : {}), notes: [] },
      };
      fwHop(traceBuilt(view, reply, { from: to, to: from, port: 0, protocol: flowProto, ctState: 'ESTABLISHED' }, how), 'return', 'the reply (ESTABLISHED)');
      destination = { kind: c ? 'container' : 'outside', name: c ? bare(c.name) : null, address: finalDst, port: finalPort };
      if (owner) listenerStage(`c:${owner.id}`, finalDst, finalPort);
      return;
    }
    add({ stage: 'namespace', where: 'host', status: 'pass', detail: `${from.label} and ${to.label} are the host's own network namespace: the packet loops back over lo`, evidence: [fromC ? `${bare(fromC.name)}: network mode host` : 'host'] });
    const back: BuiltFlow = { ...out, packet: { ...out.packet!, path: 'input', inIface: 'lo', outIface: null, natBound: true, notes: [] } };
    fwHop(traceBuilt(view, back, { from, to, port: port ?? 0, protocol: flowProto }, how), 'firewall', 'request (in on lo)');
    if (port !== null && protocol !== 'icmp') {
      const leg = proxyLeg(dstAddr, port, protocol);
      if (leg) {
        destination = { kind: 'container', name: bare(leg.container.name), address: leg.address, port: leg.port };
        const owner = view.namespaceOwner(leg.container);
        if (owner) listenerStage(`c:${owner.id}`, leg.address, leg.port);
        return;
      }
    }
    destination = { kind: 'host', name: 'host', address: dstAddr, port };
    listenerStage('host', dstAddr, port);
  }

  function fwHop(t: FirewallTrace, stage: ReachStage, what: string): void {
    const d = t.decidedBy;
    const hook = ropts.lean ? '' : t.hooks.join('→');
    const where = `netfilter${hook ? ` ${hook}` : ''}`;
    const evidence = d ? [`${d.table}/${d.chain}${d.index !== null ? ` #${d.index}` : ' policy'}: ${d.rule}`] : [];
    const bnfOff = t.reasons.find((r) => r.code === 'FW_BRIDGE_NF_OFF');
    if (bnfOff) {
      add({ stage, where: `bridge:${t.packet?.inIface ?? '?'}`, status: 'pass', detail: `${what}: ${bnfOff.message}`, evidence: ['net.bridge.bridge-nf-call-iptables=0'] });
      return;
    }
    if (t.verdict === 'ACCEPT') {
      add({ stage, where, status: 'pass', detail: `${what} accepted${d ? ` by ${d.table}/${d.chain}${d.index !== null ? ` rule ${d.index}` : ' policy'}` : ''}`, evidence });
    } else if (t.verdict === 'DROP' || t.verdict === 'REJECT') {
      add({ stage, where, status: 'block', code: stage === 'return' ? 'FW_REPLY_DROPPED' : t.verdict === 'DROP' ? 'FW_DROPPED' : 'FW_REJECTED', detail: `${what} ${t.verdict === 'DROP' ? 'dropped' : 'rejected'}${d ? ` by ${d.table}/${d.chain}${d.index !== null ? ` rule ${d.index}` : ' policy'}: ${d.rule}` : ''}`, evidence });
    } else {
      const r = t.reasons[0];
      add({ stage, where, status: 'unknown', code: r?.code ?? 'FW_UNKNOWN', detail: `${what}: ${r?.message ?? 'the firewall verdict could not be decided'}`, evidence: t.reasons.slice(1).map((x) => `${x.code}: ${x.message}`) });
    }
  }

  function returnStage(fwd: FirewallTrace | null): void {
    if (!built.packet) return;
    const p = built.packet;
    const replySrc = fwd?.finalPacket?.dst ?? p.dst;
    const replySport = protocol === 'icmp' ? null : (fwd?.finalPacket?.dport ?? port);
    // Where the request finally went out decides where the reply comes in.
    const facts = hostFacts(view.host(), state);
    const dnatTo = replySrc !== p.dst ? view.containerByAddress(replySrc) : null;
    let outIf = p.outIface ?? null;
    let dstLocal = p.dstLocal === true;
    if (replySrc !== p.dst) {
      const r = facts.route(replySrc, family);
      const c = dnatTo;
      const net = c?.endpoints.map((e) => view.network(e.networkId, e.networkName)).find((n) => n?.bridgeName && n.ipam.configs.some(() => true));
      outIf = net?.bridgeName ?? r?.outIface ?? null;
      dstLocal = r?.local === true;
    }
    if (p.srcLocal && dstLocal) return; // host to itself: the reply stays on lo
    const reply = {
      ...p,
      src: replySrc,
      dst: p.src,
      sport: replySport,
      dport: clientPort,
      ctState: 'ESTABLISHED' as const,
      inIface: dstLocal ? null : outIf,
      outIface: p.srcLocal ? null : p.inIface ?? null,
      path: (dstLocal ? 'output' : p.srcLocal ? 'input' : 'forward') as 'output' | 'input' | 'forward',
      srcLocal: dstLocal,
      dstLocal: p.srcLocal === true,
      notes: [],
    };
    if (protocol === 'icmp') Object.assign(reply, { icmpType: family === 'ipv4' ? 0 : 129, icmpCode: 0 });
    const rb: BuiltFlow = { from: built.to, to: built.from, family, packet: reply, problem: null };
    const t = traceBuilt(view, rb, { from: to, to: from, port: 0, protocol: flowProto, ctState: 'ESTABLISHED' }, how);
    fwHop(t, 'return', 'the reply (ESTABLISHED)');
    // Route back, for replies leaving a container.
    if (dnatTo || toOwner) {
      const back = dnatTo ?? toOwner!;
      if (back.networkMode.kind !== 'host' && (from.kind !== 'address' || fromNs.startsWith('c:') || fromNs === 'host')) {
        routeStage(containerSubject(back), p.src, 'return', `reply from ${bare(back.name)}`);
      }
    }
  }

  /** A published port answered by docker-proxy on the host: the proxy's own connection to the container. */
  function proxyLeg(dst: string, p: number, proto: FlowProtocol): { container: Container; address: string; port: number } | null {
    const { list } = listenersIn(view, 'host');
    const proxy = list?.find((l) => l.protocol === proto && l.port === p && l.process?.name === 'docker-proxy');
    const binding = state.containers
      .filter((c) => c.running)
      .flatMap((c) => c.publishedPorts.map((b) => ({ c, b })))
      .find(({ b }) => b.protocol === proto && b.hostPort === p && (b.hostIp === '0.0.0.0' || b.hostIp === '::' || canonicalAddr(b.hostIp) === canonicalAddr(dst)));
    if (!proxy || !binding) return null;
    const ep = binding.c.endpoints.find((e) => (family === 'ipv4' ? e.ipv4 : e.ipv6));
    const addr = ep ? (family === 'ipv4' ? ep.ipv4!.address : ep.ipv6!.address) : null;
    if (!addr) return null;
    add({ stage: 'proxy', where: 'host', status: 'info', detail: `docker-proxy (pid ${proxy.process!.pid}) accepts ${dst}:${p} and opens its own connection to ${bare(binding.c.name)} ${addr}:${binding.b.containerPort}`, evidence: [fmtListener(proxy)] });
    listening = 'unknown';
    const leg = buildFlow(view, { from: HOST, to: containerSubject(binding.c), port: binding.b.containerPort, protocol: proto });
    routeStage(HOST, addr, 'proxy', 'docker-proxy leg');
    if (leg.packet) fwHop(traceBuilt(view, leg, { from: HOST, to: containerSubject(binding.c), port: binding.b.containerPort, protocol: proto }, how), 'proxy', 'docker-proxy leg');
    return { container: binding.c, address: addr, port: binding.b.containerPort };
  }

  /** macvlan/ipvlan/overlay/plug-in networks. Returns 'done' when the verdict is settled here. */
  function driverStage(): 'done' | 'bridge' {
    const pk0 = built.packet;
    const srcNet = fromNs === 'host' ? null : endpointNetwork(fromOwner, built.from.network);
    const dstNet = toNs === 'host' ? null : endpointNetwork(toOwner, built.to.network);
    const shared = sharedNetwork();
    const nonBridge = (n: Network | null) => n !== null && n.driver !== 'bridge' && n.driver !== 'host' && n.driver !== 'null';
    if (!nonBridge(shared) && !nonBridge(srcNet) && !nonBridge(dstNet) && (pk0 || !built.problem || built.problem.code !== 'FLOW_NOT_BRIDGE')) return 'bridge';
    const net = shared ?? (nonBridge(dstNet) ? dstNet : srcNet)!;
    if (!net) return 'bridge';
    const where = `network:${net.name}`;
    const ev = [`driver ${net.driver}${Object.keys(net.options).length ? ` (${Object.entries(net.options).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`];
    if (shared && fromOwner && toOwner) {
      if (net.driver === 'macvlan') {
        const mode = net.options['macvlan_mode'] ?? 'bridge';
        if (mode === 'bridge') add({ stage: 'driver', where, status: 'pass', detail: `macvlan (bridge mode) on parent ${net.options.parent ?? '?'} switches between its endpoints directly; the host's iptables is not on this path`, evidence: ev });
        else if (mode === 'private') add({ stage: 'driver', where, status: 'block', code: 'MACVLAN_PRIVATE', detail: 'macvlan private mode forbids traffic between endpoints on the same parent', evidence: ev });
        else add({ stage: 'driver', where, status: 'unknown', code: 'MACVLAN_EXTERNAL_SWITCH', detail: `macvlan ${mode} mode sends traffic between endpoints out to the external switch: it depends on hairpin support there`, evidence: ev });
      } else if (net.driver === 'ipvlan') {
        const mode = net.options['ipvlan_mode'] ?? 'l2';
        add({ stage: 'driver', where, status: 'pass', detail: `ipvlan ${mode}: endpoints on the same parent (${net.options.parent ?? '?'}) reach each other inside the driver; the host's iptables is not on this path`, evidence: ev });
      } else if (net.driver === 'overlay') {
        add({ stage: 'driver', where, status: 'pass', detail: 'both endpoints are on the same overlay network on this host: switched on the overlay\'s own bridge', evidence: ev });
        assumptions.push('overlay traffic is filtered only by rules inside the overlay\'s namespace, which are not captured (Docker adds none between members)');
      } else {
        add({ stage: 'driver', where, status: 'unknown', code: 'REACH_DRIVER_UNKNOWN', detail: `network driver "${net.driver}" is a plug-in: how it forwards is not known`, evidence: ev });
        return 'done';
      }
      destination = { kind: 'container', name: bare(toOwner.name), address: endpointAddress(toOwner, net), port };
      target = destination.address ? { address: destination.address, port } : null;
      if (port !== null || protocol === 'icmp') listenerStage(`c:${toOwner.id}`, destination.address ?? '', port);
      return 'done';
    }
    // One side is the host (or a host-mode container) and the other a macvlan/ipvlan endpoint.
    const hostSide = fromNs === 'host' || toNs === 'host';
    if ((net.driver === 'macvlan' || net.driver === 'ipvlan') && hostSide) {
      const parentAddr = view.host()?.interfaces.value?.find((i) => i.name === net.options.parent)?.addresses.find((a) => a.family === family)?.address ?? null;
      const addr = toNs === 'host' ? (to.kind === 'address' ? to.address : parentAddr) : toOwner ? endpointAddress(toOwner, net) : null;
      target = addr ? { address: addr, port } : null;
      add({ stage: 'driver', where, status: 'block', code: net.driver === 'macvlan' ? 'MACVLAN_HOST_ISOLATION' : 'IPVLAN_HOST_ISOLATION', detail: `${net.driver} endpoints cannot talk to their own host through the parent interface ${net.options.parent ?? ''} (by design of the driver); give the host its own ${net.driver} sub-interface to reach them`.replace('  ', ' '), evidence: ev });
      return 'done';
    }
    if (net.driver === 'macvlan' || net.driver === 'ipvlan' || net.driver === 'overlay') {
      add({ stage: 'driver', where, status: 'unknown', code: 'REACH_EXTERNAL_PATH', detail: `the packet leaves through the ${net.driver} network ${net.name} and is routed by the network outside this host, which is not in the state`, evidence: ev });
      return 'done';
    }
    add({ stage: 'driver', where, status: 'unknown', code: 'REACH_DRIVER_UNKNOWN', detail: `network driver "${net.driver}" is a plug-in: how it forwards is not known`, evidence: ev });
    return 'done';
  }

  /** The network both sides are attached to: the one the packet was built on, else the first. */
  function sharedNetwork(): Network | null {
    if (!fromOwner || !toOwner || fromOwner.networkMode.kind === 'host' || toOwner.networkMode.kind === 'host') return null;
    const theirs = new Set(toOwner.endpoints.map((e) => e.networkId));
    const common = fromOwner.endpoints.filter((e) => theirs.has(e.networkId));
    const pick = common.find((e) => e.networkName === built.from.network) ?? common[0];
    return pick ? view.network(pick.networkId, pick.networkName) : null;
  }

  function endpointNetwork(c: Container | null, name: string | null): Network | null {
    if (!c) return null;
    const ep = (name ? c.endpoints.find((e) => e.networkName === name) : null) ?? c.endpoints[0];
    return ep ? view.network(ep.networkId, ep.networkName) : null;
  }
}


function endpointAddress(c: Container, n: Network): string | null {
  const ep = c.endpoints.find((e) => e.networkId === n.id || e.networkName === n.name);
  return ep?.ipv4?.address ?? ep?.ipv6?.address ?? null;
}

/**
 * For `--expect`: null when the result meets the expectation, else why not (one line).
 * `reachable` means a connection would succeed: the path is reachable and, when listeners are
 * known, something listens. `blocked` means the path is blocked (a closed port is not "blocked").
 */
export function expectationMet(r: ReachResult, expect: 'reachable' | 'blocked'): string | null {
  const what = `${r.from} → ${r.to}${r.port !== null ? ` ${r.port}/${r.protocol}` : ' (icmp)'}`;
  if (expect === 'reachable') {
    if (r.verdict !== 'reachable') return `expected ${what} to be reachable, but it is ${r.verdict}${r.blocking[0] ? ` (${r.blocking[0].code})` : r.reasons[0] ? ` (${r.reasons[0].code})` : ''}`;
    if (r.listening === false) return `expected ${what} to be reachable: the path is open but nothing listens (${r.reasons.find((x) => x.code.startsWith('LISTENER'))?.code ?? 'LISTENER_NONE'})`;
    return null;
  }
  if (r.verdict !== 'blocked') return `expected ${what} to be blocked, but it is ${r.verdict}`;
  return null;
}
