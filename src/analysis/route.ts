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
  const opts: TraceOptions = req.family ? { family: req.family } : {};
  const from = typeof req.from === 'string' ? sv.resolve(req.from) : req.from;
  const to = typeof req.to === 'string' ? sv.resolve(req.to, { from: from.kind === 'container' ? from.container : null }) : req.to;
  const assumptions: string[] = [];
  const reasons: RouteReason[] = [];
  const hops: RouteHop[] = [];

  // Where the packet starts.
  let nsOwner: Container | null = null;
  let fromHostMode = from.kind === 'host';
  if (from.kind === 'container') {
    nsOwner = sv.namespaceOwner(from.container);
    if (nsOwner && nsOwner.networkMode.kind === 'host') fromHostMode = true;
  }
  const host = from.kind === 'container' ? sv.host(from.container) : to.kind === 'container' ? sv.host(to.container) : sv.host();
  const preferNets = new Set((nsOwner ?? (from.kind === 'container' ? from.container : null))?.endpoints.map((e) => e.networkName) ?? []);

  // Destination address.
  let dst: string | null = null;
  if (to.kind === 'address') dst = to.address;
  else if (to.kind === 'container') {
    const owner = sv.namespaceOwner(to.container) ?? to.container;
    if (owner.networkMode.kind === 'host') dst = firstHostAddress(host, opts.family ?? 'ipv4');
    else dst = pickAddress(owner, opts.family ?? null, preferNets);
  } else {
    // the host, as a container reaches it: its network's gateway (the bridge address)
    const src = nsOwner ?? (from.kind === 'container' ? from.container : null);
    const ep = src?.endpoints.find((e) => (opts.family === 'ipv6' ? e.ipv6Gateway : e.gateway));
    dst = ep ? (opts.family === 'ipv6' ? ep.ipv6Gateway : ep.gateway) : firstHostAddress(host, opts.family ?? 'ipv4');
  }
  const result = (verdict: RouteVerdict, family: AddressFamily, error: RouteTrace['error'], src: string | null): RouteTrace => {
    let pathMtu: number | null = null;
    for (const h of hops) if (h.mtu !== null && (pathMtu === null || h.mtu < pathMtu)) pathMtu = h.mtu;
    return { from: from.label, to: to.label, src, dst: dst ?? '', family, verdict, error, hops, pathMtu, reasons, assumptions };
  };
  if (!dst) {
    reasons.push({ code: 'ROUTE_NO_ADDRESS', message: `${to.label} has no ${opts.family ?? ''} address to route to`.replace('  ', ' ') });
    return result('unknown', opts.family ?? 'ipv4', null, null);
  }
  const dstAddr = parseAddr(dst)!;
  const family = dstAddr.family;

  // ---- hop 1: FROM's namespace
  let view: NsView;
  let src: string | null = null;
  let iif: string | null = null;
  if (from.kind === 'address') {
    const owner = sv.containerByAddress(from.address);
    if (owner) return routePath(sv, { ...req, from: { kind: 'container', label: containerName(owner), container: owner, matchedBy: 'address' }, to });
    // An outside address: the packet arrives on the host through the interface that routes back to it.
    view = hostView(host);
    if (view.missing) return missingVerdict(view.missing);
    const back = routeLookup(view.routes!, view.rules!, { dst: from.address });
    iif = back.ok ? back.route.dev : null;
    src = from.address;
    if (!iif) {
      reasons.push({ code: 'ROUTE_SOURCE_UNPLACED', message: `the host has no route back to ${from.address}, so its arrival interface is unknown` });
      return result('unknown', family, null, src);
    }
    assumptions.push(`a packet from ${from.address} arrives on ${iif} (the host's route back to it)`);
    if (parseAddr(from.address)!.family !== family) {
      reasons.push({ code: 'ROUTE_FAMILY_MISMATCH', message: `${from.address} and ${dst} are different address families` });
      return result('unknown', family, null, src);
    }
    return hostHop(view, src, iif);
  } else if (fromHostMode) {
    view = hostView(host);
    if (from.kind === 'container') view.label = `host (${from.container.name}, network mode host)`;
  } else {
    const c = (from as Extract<Subject, { kind: 'container' }>).container;
    if (!nsOwner) {
      reasons.push({ code: 'EVIDENCE_MISSING_NETNS', message: `${c.name} shares the namespace of a container that is not in the state (${(c.networkMode as { container: string }).container})` });
      return result('unknown', family, null, null);
    }
    view = containerView(nsOwner);
    if (nsOwner !== c) view.label = `container:${c.name} (namespace of ${nsOwner.name})`;
    if (nsOwner.networkMode.kind === 'none' && view.routes) assumptions.push(`${c.name} has network mode none: only loopback`);
    assumptions.push('container namespace policy rules are the kernel defaults (0 local, 32766 main, 32767 default): they are not captured');
    view.rules = defaultRules(family);
  }
  if (view.missing) return missingVerdict(view.missing);

  const res1 = routeLookup(view.routes!, view.rules!, { dst, iif: null });
  src = chooseSrc(view, res1, family);
  const hop1 = hopFromLookup(view, res1, { src, dst, iif: null }, false);
  hops.push(hop1);
  if (!res1.ok) return fail(res1.kind, res1.errno, view.label, src);
  if (res1.route.type === 'local') {
    hop1.step = 'local';
    hop1.note = `${dst} is an address of this namespace: delivered locally`;
    return result('routed', family, null, src);
  }
  if (res1.route.type === 'broadcast' || res1.route.type === 'multicast' || res1.route.type === 'anycast') {
    hop1.note = `${res1.route.type} route`;
  }
  if (view.isHost) return afterHostLookup(view, res1, src, null, hop1);

  // ---- leaving a container: which network does the output device belong to?
  const owner = nsOwner!;
  const dev = res1.route.dev;
  const ifc = view.interfaces?.find((i) => i.name === dev) ?? null;
  const ep = owner.endpoints.find((e) => ifc?.addresses.some((a) => canonicalAddr(a.address) === canonicalAddr(e.ipv4?.address ?? '') || canonicalAddr(a.address) === canonicalAddr(e.ipv6?.address ?? '')))
    ?? owner.endpoints.find((e) => (src && (canonicalAddr(e.ipv4?.address ?? '') === canonicalAddr(src) || canonicalAddr(e.ipv6?.address ?? '') === canonicalAddr(src))));
  const net = ep ? sv.networkOf(ep) : null;
  if (!net) {
    hop1.step = 'unknown';
    reasons.push({ code: 'ROUTE_DEVICE_UNMAPPED', message: `${dev ?? 'the output device'} in ${owner.name} does not map to a known Docker network endpoint` });
    return result('unknown', family, null, src);
  }
  const nextHop = res1.route.gateway ?? dst;
  hop1.note = `leaves ${dev} on network ${net.name}${res1.route.gateway ? ` toward gateway ${res1.route.gateway}` : ' (on-link)'}`;
  if (net.driver !== 'bridge' || !net.bridgeName) {
    const egress: RouteHop = emptyHop(`network:${net.name}`, 'egress', dst, src);
    egress.note = `${net.driver} network: the packet leaves ${net.driver === 'macvlan' || net.driver === 'ipvlan' ? `through parent ${net.options.parent ?? '(unknown)'}` : 'through the driver'} without the host's routing tables; not traced further`;
    hops.push(egress);
    return result('routed', family, null, src);
  }
  const bridge = net.bridgeName;
  // On the bridge: a container endpoint holding the next hop gets it directly.
  const peer = sv.endpointsByAddress(nextHop).find((r) => r.network?.id === net.id);
  const gwIsBridge = addressOnInterface(host, bridge, nextHop) || ep?.gateway === nextHop || ep?.ipv6Gateway === nextHop;
  if (peer && !gwIsBridge) {
    const d = emptyHop(`bridge:${bridge}`, 'deliver', dst, src);
    d.iif = bridge;
    d.oif = bridge;
    d.mtu = ifaceMtu(hostView(host).interfaces, bridge);
    d.note = canonicalAddr(nextHop) === canonicalAddr(dst) ? `delivered on ${bridge} to ${peer.container.name} (${dst})` : `bridged to next hop ${peer.container.name} (${nextHop}); not traced inside it`;
    hops.push(d);
    return finishMtu(result('routed', family, null, src));
  }
  if (!gwIsBridge) {
    const d = emptyHop(`bridge:${bridge}`, 'unknown', dst, src);
    d.note = `no endpoint on ${net.name} and no host address on ${bridge} holds next hop ${nextHop}: neighbour resolution would fail`;
    hops.push(d);
    reasons.push({ code: 'ROUTE_NEIGHBOR_UNKNOWN', message: `nothing on network ${net.name} holds ${nextHop}` });
    return result('unknown', family, null, src);
  }
  // ---- on the host, arriving through the bridge
  const hv = hostView(host);
  if (hv.missing) return missingVerdict(hv.missing);
  return hostHop(hv, src, bridge);

  // ------------------------------------------------------------------------------------------
  function hostHop(hv: NsView, s: string | null, inIf: string): RouteTrace {
    const res = routeLookup(hv.routes!, hv.rules!, { src: s, dst: dst!, iif: inIf });
    const hop = hopFromLookup(hv, res, { src: s, dst: dst!, iif: inIf }, false);
    hops.push(hop);
    if (!res.ok) return fail(res.kind, res.errno, 'host', s);
    return afterHostLookup(hv, res, s, inIf, hop);
  }

  function afterHostLookup(hv: NsView, res: Extract<LookupResult, { ok: true }>, s: string | null, inIf: string | null, hop: RouteHop): RouteTrace {
    if (res.route.type === 'local') {
      hop.step = 'local';
      hop.note = `${dst} is an address of the host: delivered locally`;
      return finishMtu(result('routed', family, null, s));
    }
    if (res.route.type !== 'unicast') {
      hop.note = `${res.route.type} route ${res.route.dst}`;
      reasons.push({ code: 'ROUTE_NOT_UNICAST', message: `the host's route for ${dst} is ${res.route.type}; not traced further` });
      return finishMtu(result('unknown', family, null, s));
    }
    const out = res.route.dev;
    const outNet = out ? sv.networkByBridge(out) : null;
    if (outNet) {
      if (inIf !== null) hop.note = `forwarded by the host from ${inIf} to ${out} (network ${outNet.name})`;
      else hop.note = `sent by the host on ${out} (network ${outNet.name})`;
      const target = sv.endpointsByAddress(res.route.gateway ?? dst!).find((r) => r.network?.id === outNet.id);
      const d = emptyHop(`bridge:${out}`, target ? 'deliver' : 'unknown', dst!, s);
      d.iif = out;
      d.oif = out;
      d.mtu = ifaceMtu(hv.interfaces, out);
      if (target) {
        d.note = `delivered on ${out} (network ${outNet.name}) to ${target.container.name}`;
        hops.push(d);
        return finishMtu(result('routed', family, null, s));
      }
      d.note = `no endpoint on network ${outNet.name} holds ${res.route.gateway ?? dst}: neighbour resolution would fail`;
      hops.push(d);
      reasons.push({ code: 'ROUTE_NEIGHBOR_UNKNOWN', message: `nothing on network ${outNet.name} holds ${res.route.gateway ?? dst}` });
      return finishMtu(result('unknown', family, null, s));
    }
    // Egress through an uplink (or any non-Docker device).
    hop.step = 'egress';
    hop.note = `leaves the host through ${out ?? '?'}${res.route.gateway ? ` via ${res.route.gateway}` : ' (on-link)'}`;
    if (inIf !== null && host && s) {
      hop.nat = egressNat(host, s, dst!, out ?? '');
      if (hop.nat.kind === 'masquerade' || hop.nat.kind === 'snat') {
        reasons.push({ code: 'NAT_MASQUERADE_APPLIED', message: hop.nat.message });
      }
    }
    return finishMtu(result('routed', family, null, s));
  }

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

  function fail(kind: FailureKind, errno: RouteErrno, where: string, s: string | null): RouteTrace {
    reasons.push({ code: FAILURE_CODE[kind], message: `${where}: ${ERRNO_MESSAGE[errno]} (${errno}) for ${dst}` });
    return result(verdictOf(kind), family, { errno, message: ERRNO_MESSAGE[errno], kind }, s);
  }

  function missingVerdict(what: string): RouteTrace {
    hops.push({ ...emptyHop(view?.label ?? 'host', 'unknown', dst!, src), note: what });
    reasons.push({ code: 'EVIDENCE_MISSING_ROUTES', message: what });
    return result('unknown', family, null, src);
  }
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
