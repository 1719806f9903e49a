// `netsleuth route FROM TO`: the forwarding path of one packet, hop by hop, over a snapshot.
//
// Hop 1 is FROM's own namespace (a container's netns routes, or the host's tables for the host
// and host-mode containers; `container:` mode uses the target's namespace). A packet leaving a
// container on a bridge network arrives on the host through that network's bridge (iif = the
// bridge) and is looked up in the host's routing tables and policy rules; it is then delivered on
// a bridge to a container endpoint, delivered locally, or leaves through an uplink (with the
// source NAT the host's nat/POSTROUTING rules say). Failures carry the kernel's exact errno.
// Missing evidence (routes, rules, a container's namespace) makes the verdict `unknown`, naming
// what is missing. Pure: no I/O.

import type { AddressFamily, Container, Host, NetInterface, PolicyRule, Route } from '../model/types.js';
import { type StateInput, type StateView, type Subject, asView, containerName } from '../model/view.js';
import { type Addr, canonicalAddr, containsAddr, parseAddr, parsePrefix } from '../net/addr.js';
import { type FailureKind, type LookupResult, type RouteErrno, type RuleStep, ERRNO_MESSAGE, defaultRules, describeRule, routeLookup } from './route-lookup.js';
import { type NatNote, egressNat } from './route-nat.js';

export { routeLookup, defaultRules, describeRule, ERRNO_MESSAGE } from './route-lookup.js';
export type { Packet, LookupResult, RouteErrno, FailureKind, RuleStep } from './route-lookup.js';

export type RouteVerdict = 'routed' | 'no-route' | 'blackhole' | 'unknown';

export interface RouteHop {
  /** `container:NAME`, `host`, `bridge:NAME`, ... */
  where: string;
  /** What happened here: lookup, deliver, egress, local, fail. */
  step: 'lookup' | 'deliver' | 'egress' | 'local' | 'fail' | 'unknown';
  table: string | null;
  rule: { priority: number; selector: string } | null;
  route: { dst: string; type: string; dev: string | null; gateway: string | null; metric: number | null; table: string } | null;
  iif: string | null;
  oif: string | null;
  gateway: string | null;
  src: string | null;
  dst: string;
  mtu: number | null;
  nat: NatNote | null;
  note: string | null;
  /** Every policy rule visited, and why it matched or not. */
  rules: RuleStep[];
  error: { errno: RouteErrno; message: string; kind: FailureKind } | null;
}

export interface RouteReason {
  code: string;
  message: string;
}

export interface RouteTrace {
  from: string;
  to: string;
  src: string | null;
  dst: string;
  family: AddressFamily;
  verdict: RouteVerdict;
  /** The kernel's error when the verdict is a failure: ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL. */
  error: { errno: RouteErrno; message: string; kind: FailureKind } | null;
  hops: RouteHop[];
  /** Smallest MTU along the path (interfaces and route `mtu` metrics), when known. */
  pathMtu: number | null;
  reasons: RouteReason[];
  /** Things taken as given because the snapshot cannot hold them. */
  assumptions: string[];
}

// Subjects come from the state view (src/model/view.ts): one resolution rule set for every question.
export type { Subject } from '../model/view.js';

function pickAddress(c: Container, family: AddressFamily | null, prefer: Set<string>): string | null {
  const eps = c.endpoints.length < 2 ? c.endpoints : [...c.endpoints].sort((a, b) => Number(prefer.has(b.networkName)) - Number(prefer.has(a.networkName)));
  for (const e of eps) {
    if ((family === null || family === 'ipv4') && e.ipv4) return e.ipv4.address;
    if ((family === null || family === 'ipv6') && e.ipv6) return e.ipv6.address;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------

interface NsView {
  label: string;
  routes: readonly Route[] | null;
  rules: readonly PolicyRule[] | null;
  interfaces: readonly NetInterface[] | null;
  missing: string | null;
  isHost: boolean;
}

function hostView(host: Host | null): NsView {
  if (!host) return { label: 'host', routes: null, rules: null, interfaces: null, missing: 'the state holds no host', isHost: true };
  const missing: string[] = [];
  if (host.routes.status === 'unavailable' || !host.routes.value) missing.push(`host routes unavailable${host.routes.reason ? ` (${host.routes.reason})` : ''}`);
  if (host.rules.status === 'unavailable' || !host.rules.value) missing.push(`host policy rules unavailable${host.rules.reason ? ` (${host.rules.reason})` : ''}`);
  return {
    label: 'host',
    routes: host.routes.value,
    rules: host.rules.value,
    interfaces: host.interfaces.value,
    missing: missing.length ? missing.join('; ') : null,
    isHost: true,
  };
}

function containerView(c: Container): NsView {
  const ns = c.netns;
  if (ns.status === 'unavailable' || !ns.value) {
    return { label: `container:${c.name}`, routes: null, rules: null, interfaces: null, missing: `routes of container ${c.name} unavailable${ns.reason ? ` (${ns.reason})` : ''}`, isHost: false };
  }
  return { label: `container:${c.name}`, routes: ns.value.routes, rules: null, interfaces: ns.value.interfaces, missing: null, isHost: false };
}

function ifaceMtu(ifaces: readonly NetInterface[] | null, dev: string | null): number | null {
  if (!ifaces || !dev) return null;
  return ifaces.find((i) => i.name === dev)?.mtu ?? null;
}

/** The source the kernel would choose: prefsrc, else the first address of the output device in the family. */
function chooseSrc(view: NsView, res: LookupResult, family: AddressFamily): string | null {
  if (!res.ok) return null;
  if (res.src) return res.src;
  const dev = res.route.dev;
  const ifc = view.interfaces?.find((i) => i.name === dev);
  const a = ifc?.addresses.find((x) => x.family === family && !(family === 'ipv6' && x.address.toLowerCase().startsWith('fe80')));
  return a?.address ?? null;
}

function hopFromLookup(view: NsView, res: LookupResult, pkt: { src: string | null; dst: string; iif: string | null }, mtuFamilyRule: boolean): RouteHop {
  const base: RouteHop = {
    where: view.label,
    step: res.ok ? 'lookup' : 'fail',
    table: res.ok ? res.table : res.table,
    rule: res.rule ? { priority: res.rule.priority, selector: describeRule(res.rule) } : null,
    route: res.route ? { dst: res.route.dst, type: res.route.type, dev: res.route.dev, gateway: res.route.gateway, metric: res.route.metric, table: res.route.table } : null,
    iif: pkt.iif,
    oif: res.ok ? res.route.dev : null,
    gateway: res.ok ? res.route.gateway : null,
    src: pkt.src,
    dst: pkt.dst,
    mtu: null,
    nat: null,
    note: null,
    rules: mtuFamilyRule ? res.steps : res.steps,
    error: res.ok ? null : { errno: res.errno, message: ERRNO_MESSAGE[res.errno], kind: res.kind },
  };
  if (res.ok) {
    const m = ifaceMtu(view.interfaces, res.route.dev);
    base.mtu = res.route.mtu !== null && (m === null || res.route.mtu < m) ? res.route.mtu : m;
  }
  return base;
}

function verdictOf(kind: FailureKind): RouteVerdict {
  return kind === 'blackhole' ? 'blackhole' : 'no-route';
}

const FAILURE_CODE: Record<FailureKind, string> = {
  'no-route': 'ROUTE_NONE',
  blackhole: 'ROUTE_BLACKHOLE',
  unreachable: 'ROUTE_UNREACHABLE',
  prohibit: 'ROUTE_PROHIBIT',
};

export interface TraceOptions {
  /** Force the address family when TO is a container or the host with addresses in both. */
  family?: AddressFamily;
}

/** A route question: FROM and TO as text (resolved with the view's rules) or already resolved subjects. */
export interface RouteRequest {
  from: string | Subject;
  to: string | Subject;
  /** Force the address family when TO is a container or the host with addresses in both. */
  family?: AddressFamily;
}

export function traceRoute(input: StateInput, fromArg: string | Subject, toArg: string | Subject, opts: TraceOptions = {}): RouteTrace {
  return routePath(asView(input), { from: fromArg, to: toArg, ...(opts.family ? { family: opts.family } : {}) });
}

export function routePath(sv: StateView, req: RouteRequest): RouteTrace {
  const from = typeof req.from === 'string' ? sv.resolve(req.from) : req.from;
  const to = typeof req.to === 'string' ? sv.resolve(req.to, { from: from.kind === 'container' ? from.container : null }) : req.to;
  // Where the packet starts: a container's namespace owner (container: mode), or the host.
  const nsOwner = from.kind === 'container' ? sv.namespaceOwner(from.container) : null;
  const host = from.kind === 'container' ? sv.host(from.container) : to.kind === 'container' ? sv.host(to.container) : sv.host();
  const dst = destinationOf(sv, from, to, nsOwner, host, req.family ?? null);
  const w: RouteWalk = { sv, from, to, host, dst: dst ?? '', family: req.family ?? 'ipv4', hops: [], reasons: [], assumptions: [] };
  if (!dst) {
    w.reasons.push({ code: 'ROUTE_NO_ADDRESS', message: `${to.label} has no ${req.family ?? ''} address to route to`.replace('  ', ' ') });
    return done(w, 'unknown', null, null);
  }
  w.family = parseAddr(dst)!.family;
  if (from.kind === 'address') {
    const owner = sv.containerByAddress(from.address);
    if (owner) return routePath(sv, { ...req, from: { kind: 'container', label: containerName(owner), container: owner, matchedBy: 'address' }, to });
    return fromOutside(w, from.address);
  }
  if (from.kind === 'host' || nsOwner?.networkMode.kind === 'host') {
    const ns = hostView(host);
    if (from.kind === 'container') ns.label = `host (${from.container.name}, network mode host)`;
    return fromNamespace(w, ns, null);
  }
  const c = from.container;
  if (!nsOwner) {
    w.reasons.push({ code: 'EVIDENCE_MISSING_NETNS', message: `${c.name} shares the namespace of a container that is not in the state (${(c.networkMode as { container: string }).container})` });
    return done(w, 'unknown', null, null);
  }
  const ns = containerView(nsOwner);
  if (nsOwner !== c) ns.label = `container:${c.name} (namespace of ${nsOwner.name})`;
  if (nsOwner.networkMode.kind === 'none' && ns.routes) w.assumptions.push(`${c.name} has network mode none: only loopback`);
  w.assumptions.push('container namespace policy rules are the kernel defaults (0 local, 32766 main, 32767 default): they are not captured');
  ns.rules = defaultRules(w.family);
  return fromNamespace(w, ns, nsOwner);
}

// ---------------------------------------------------------------------------------------------
// The walk: one context, one function per stage of the packet's path.

interface RouteWalk {
  sv: StateView;
  from: Subject;
  to: Subject;
  host: Host | null;
  dst: string;
  family: AddressFamily;
  hops: RouteHop[];
  reasons: RouteReason[];
  assumptions: string[];
}

function done(w: RouteWalk, verdict: RouteVerdict, error: RouteTrace['error'], src: string | null): RouteTrace {
  let pathMtu: number | null = null;
  for (const h of w.hops) if (h.mtu !== null && (pathMtu === null || h.mtu < pathMtu)) pathMtu = h.mtu;
  return { from: w.from.label, to: w.to.label, src, dst: w.dst, family: w.family, verdict, error, hops: w.hops, pathMtu, reasons: w.reasons, assumptions: w.assumptions };
}

/** The address TO stands for: its own, the host's as a container reaches it (its gateway), or the host's first. */
function destinationOf(sv: StateView, from: Subject, to: Subject, nsOwner: Container | null, host: Host | null, family: AddressFamily | null): string | null {
  if (to.kind === 'address') return to.address;
  if (to.kind === 'container') {
    const owner = sv.namespaceOwner(to.container) ?? to.container;
    if (owner.networkMode.kind === 'host') return firstHostAddress(host, family ?? 'ipv4');
    const preferNets = new Set((nsOwner ?? (from.kind === 'container' ? from.container : null))?.endpoints.map((e) => e.networkName) ?? []);
    return pickAddress(owner, family, preferNets);
  }
  // the host, as a container reaches it: its network's gateway (the bridge address)
  const src = nsOwner ?? (from.kind === 'container' ? from.container : null);
  const ep = src?.endpoints.find((e) => (family === 'ipv6' ? e.ipv6Gateway : e.gateway));
  return ep ? (family === 'ipv6' ? ep.ipv6Gateway : ep.gateway) : firstHostAddress(host, family ?? 'ipv4');
}

/** An outside address: the packet arrives on the host through the interface that routes back to it. */
function fromOutside(w: RouteWalk, address: string): RouteTrace {
  const ns = hostView(w.host);
  if (ns.missing) return missing(w, ns.label, ns.missing, null);
  const back = routeLookup(ns.routes!, ns.rules!, { dst: address });
  const iif = back.ok ? back.route.dev : null;
  if (!iif) {
    w.reasons.push({ code: 'ROUTE_SOURCE_UNPLACED', message: `the host has no route back to ${address}, so its arrival interface is unknown` });
    return done(w, 'unknown', null, address);
  }
  w.assumptions.push(`a packet from ${address} arrives on ${iif} (the host's route back to it)`);
  if (parseAddr(address)!.family !== w.family) {
    w.reasons.push({ code: 'ROUTE_FAMILY_MISMATCH', message: `${address} and ${w.dst} are different address families` });
    return done(w, 'unknown', null, address);
  }
  return hostHop(w, ns, address, iif);
}

/** Hop 1: the lookup in FROM's own namespace (the host's tables for the host and host-mode containers). */
function fromNamespace(w: RouteWalk, ns: NsView, owner: Container | null): RouteTrace {
  if (ns.missing) return missing(w, ns.label, ns.missing, null);
  const res = routeLookup(ns.routes!, ns.rules!, { dst: w.dst, iif: null });
  const src = chooseSrc(ns, res, w.family);
  const hop = hopFromLookup(ns, res, { src, dst: w.dst, iif: null }, false);
  w.hops.push(hop);
  if (!res.ok) return fail(w, res.kind, res.errno, ns.label, src);
  if (res.route.type === 'local') {
    hop.step = 'local';
    hop.note = `${w.dst} is an address of this namespace: delivered locally`;
    return done(w, 'routed', null, src);
  }
  if (res.route.type === 'broadcast' || res.route.type === 'multicast' || res.route.type === 'anycast') hop.note = `${res.route.type} route`;
  if (ns.isHost) return afterHostLookup(w, ns, res, src, null, hop);
  return leaveContainer(w, ns, owner!, res, src, hop);
}

/** Leaving a container: the output device's network, then the bridge (a peer or the host) or the driver. */
function leaveContainer(w: RouteWalk, ns: NsView, owner: Container, res: Extract<LookupResult, { ok: true }>, src: string | null, hop1: RouteHop): RouteTrace {
  const { sv, dst } = w;
  const dev = res.route.dev;
  const ifc = ns.interfaces?.find((i) => i.name === dev) ?? null;
  const same = (a: string | undefined | null, b: string) => !!a && canonicalAddr(a) === canonicalAddr(b);
  const ep =
    owner.endpoints.find((e) => ifc?.addresses.some((a) => same(e.ipv4?.address, a.address) || same(e.ipv6?.address, a.address))) ??
    owner.endpoints.find((e) => src !== null && (same(e.ipv4?.address, src) || same(e.ipv6?.address, src)));
  const net = ep ? sv.networkOf(ep) : null;
  if (!net) {
    hop1.step = 'unknown';
    w.reasons.push({ code: 'ROUTE_DEVICE_UNMAPPED', message: `${dev ?? 'the output device'} in ${owner.name} does not map to a known Docker network endpoint` });
    return done(w, 'unknown', null, src);
  }
  const nextHop = res.route.gateway ?? dst;
  hop1.note = `leaves ${dev} on network ${net.name}${res.route.gateway ? ` toward gateway ${res.route.gateway}` : ' (on-link)'}`;
  if (net.driver !== 'bridge' || !net.bridgeName) {
    const egress: RouteHop = emptyHop(`network:${net.name}`, 'egress', dst, src);
    egress.note = `${net.driver} network: the packet leaves ${net.driver === 'macvlan' || net.driver === 'ipvlan' ? `through parent ${net.options.parent ?? '(unknown)'}` : 'through the driver'} without the host's routing tables; not traced further`;
    w.hops.push(egress);
    return done(w, 'routed', null, src);
  }
  const bridge = net.bridgeName;
  // On the bridge: a container endpoint holding the next hop gets it directly.
  const peer = sv.endpointsByAddress(nextHop).find((r) => r.network?.id === net.id);
  const gwIsBridge = addressOnInterface(w.host, bridge, nextHop) || ep?.gateway === nextHop || ep?.ipv6Gateway === nextHop;
  if (peer && !gwIsBridge) {
    const d = emptyHop(`bridge:${bridge}`, 'deliver', dst, src);
    d.iif = bridge;
    d.oif = bridge;
    d.mtu = ifaceMtu(hostView(w.host).interfaces, bridge);
    d.note = canonicalAddr(nextHop) === canonicalAddr(dst) ? `delivered on ${bridge} to ${peer.container.name} (${dst})` : `bridged to next hop ${peer.container.name} (${nextHop}); not traced inside it`;
    w.hops.push(d);
    return finishMtu(done(w, 'routed', null, src));
  }
  if (!gwIsBridge) {
    const d = emptyHop(`bridge:${bridge}`, 'unknown', dst, src);
    d.note = `no endpoint on ${net.name} and no host address on ${bridge} holds next hop ${nextHop}: neighbour resolution would fail`;
    w.hops.push(d);
    w.reasons.push({ code: 'ROUTE_NEIGHBOR_UNKNOWN', message: `nothing on network ${net.name} holds ${nextHop}` });
    return done(w, 'unknown', null, src);
  }
  // On the host, arriving through the bridge.
  const hv = hostView(w.host);
  if (hv.missing) return missing(w, ns.label, hv.missing, src);
  return hostHop(w, hv, src, bridge);
}

/** The host's lookup for a packet arriving on `inIf` (policy rules see the in interface). */
function hostHop(w: RouteWalk, hv: NsView, src: string | null, inIf: string): RouteTrace {
  const res = routeLookup(hv.routes!, hv.rules!, { src, dst: w.dst, iif: inIf });
  const hop = hopFromLookup(hv, res, { src, dst: w.dst, iif: inIf }, false);
  w.hops.push(hop);
  if (!res.ok) return fail(w, res.kind, res.errno, 'host', src);
  return afterHostLookup(w, hv, res, src, inIf, hop);
}

/** After the host's lookup: local delivery, a Docker bridge (a container holds the next hop?), or egress with source NAT. */
function afterHostLookup(w: RouteWalk, hv: NsView, res: Extract<LookupResult, { ok: true }>, src: string | null, inIf: string | null, hop: RouteHop): RouteTrace {
  const { dst } = w;
  if (res.route.type === 'local') {
    hop.step = 'local';
    hop.note = `${dst} is an address of the host: delivered locally`;
    return finishMtu(done(w, 'routed', null, src));
  }
  if (res.route.type !== 'unicast') {
    hop.note = `${res.route.type} route ${res.route.dst}`;
    w.reasons.push({ code: 'ROUTE_NOT_UNICAST', message: `the host's route for ${dst} is ${res.route.type}; not traced further` });
    return finishMtu(done(w, 'unknown', null, src));
  }
  const out = res.route.dev;
  const outNet = out ? w.sv.networkByBridge(out) : null;
  if (out && outNet) {
    hop.note = inIf !== null ? `forwarded by the host from ${inIf} to ${out} (network ${outNet.name})` : `sent by the host on ${out} (network ${outNet.name})`;
    const holder = res.route.gateway ?? dst;
    const target = w.sv.endpointsByAddress(holder).find((r) => r.network?.id === outNet.id);
    const d = emptyHop(`bridge:${out}`, target ? 'deliver' : 'unknown', dst, src);
    d.iif = out;
    d.oif = out;
    d.mtu = ifaceMtu(hv.interfaces, out);
    w.hops.push(d);
    if (target) {
      d.note = `delivered on ${out} (network ${outNet.name}) to ${target.container.name}`;
      return finishMtu(done(w, 'routed', null, src));
    }
    d.note = `no endpoint on network ${outNet.name} holds ${holder}: neighbour resolution would fail`;
    w.reasons.push({ code: 'ROUTE_NEIGHBOR_UNKNOWN', message: `nothing on network ${outNet.name} holds ${holder}` });
    return finishMtu(done(w, 'unknown', null, src));
  }
  // Egress through an uplink (or any non-Docker device).
  hop.step = 'egress';
  hop.note = `leaves the host through ${out ?? '?'}${res.route.gateway ? ` via ${res.route.gateway}` : ' (on-link)'}`;
  if (inIf !== null && w.host && src) {
    hop.nat = egressNat(w.host, src, dst, out ?? '');
    if (hop.nat.kind === 'masquerade' || hop.nat.kind === 'snat') w.reasons.push({ code: 'NAT_MASQUERADE_APPLIED', message: hop.nat.message });
  }
  return finishMtu(done(w, 'routed', null, src));
}

/** A later hop with a smaller MTU than the first: full-size packets need fragmentation or PMTU discovery. */
function finishMtu(t: RouteTrace): RouteTrace {
  const first = t.hops[0]?.mtu ?? null;
  if (first !== null) {
    const smaller = t.hops.slice(1).find((h) => h.mtu !== null && h.mtu < first);
    if (smaller) {
      t.reasons.push({
        code: 'MTU_MISMATCH',
        message: `the first hop sends with MTU ${first} but ${smaller.where} ${smaller.oif ?? ''} has MTU ${smaller.mtu}: full-size packets need fragmentation or PMTU discovery`.replace(/ {2}/g, ' '),
      });
    }
  }
  return t;
}

function fail(w: RouteWalk, kind: FailureKind, errno: RouteErrno, where: string, src: string | null): RouteTrace {
  w.reasons.push({ code: FAILURE_CODE[kind], message: `${where}: ${ERRNO_MESSAGE[errno]} (${errno}) for ${w.dst}` });
  return done(w, verdictOf(kind), { errno, message: ERRNO_MESSAGE[errno], kind }, src);
}

function missing(w: RouteWalk, label: string, what: string, src: string | null): RouteTrace {
  w.hops.push({ ...emptyHop(label, 'unknown', w.dst, src), note: what });
  w.reasons.push({ code: 'EVIDENCE_MISSING_ROUTES', message: what });
  return done(w, 'unknown', null, src);
}

function emptyHop(where: string, step: RouteHop['step'], dst: string, src: string | null): RouteHop {
  return { where, step, table: null, rule: null, route: null, iif: null, oif: null, gateway: null, src, dst, mtu: null, nat: null, note: null, rules: [], error: null };
}

function addressOnInterface(host: Host | null, dev: string, address: string): boolean {
  const a = parseAddr(address);
  if (!a) return false;
  const ifc = host?.interfaces.value?.find((i) => i.name === dev);
  return ifc?.addresses.some((x) => {
    const b = parseAddr(x.address);
    return b !== null && b.family === a.family && b.value === a.value;
  }) ?? false;
}

function firstHostAddress(host: Host | null, family: AddressFamily): string | null {
  for (const i of host?.interfaces.value ?? []) {
    if (i.name === 'lo') continue;
    for (const a of i.addresses) {
      if (a.family === family && !a.address.toLowerCase().startsWith('fe80')) return a.address;
    }
  }
  return null;
}

/** True when `address` falls in `cidr` (both parsed with the project's address math). */
export function cidrHas(cidr: string, address: string): boolean {
  const p = parsePrefix(cidr);
  const a: Addr | null = parseAddr(address);
  return p !== null && a !== null && containsAddr(p, a);
}
