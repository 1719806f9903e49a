// Firewall trace over the model: turn "from X to Y on port N/proto" into the packet(s) the host's
// netfilter sees (interfaces, path, addresses), with the host facts the evaluator needs (local
// addresses, interface addresses, a route lookup, ipsets), and evaluate it against the captured
// ruleset. Pure: no I/O. Missing evidence makes the verdict `unknown` with the reason.

import { InputError } from '../model/errors.js';
import { checkPort } from '../model/port.js';
import {
  compileRuleset,
  detectDockerDialect,
  evaluate,
  parseIptablesSave,
  parseNftJson,
  mergeWithIptables,
  type CompiledRuleset,
  type DecidedBy,
  type EvaluateOptions,
  type EvaluationResult,
  type Family,
  type NatStep,
  type Packet,
  type PacketView,
  type PathKind,
  type Reason,
  type Ruleset,
  type TraceStep,
  type Verdict,
} from '../firewall/index.js';
import { familyOf, inNet, parseAddr, parseCidr } from '../firewall/addr.js';
import type { Container, Endpoint, Host, Network, NetworkState, Route } from '../model/types.js';
import { type StateInput, type StateView, type Subject, asView, containerName, subjectFamily } from '../model/view.js';

/** A protocol with ports. */
export type { PortProtocol } from '../model/port.js';
import type { PortProtocol } from '../model/port.js';
/** What a flow carries: a TCP/UDP connection to a port, or an ICMP echo request (ping). */
export type FlowProtocol = PortProtocol | 'icmp';
export type FlowCtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';

export interface FlowRequest {
  /** A subject (container, address, host), or its text, resolved by the state view. */
  from: string | Subject;
  to: string | Subject;
  /** The destination port (tcp, udp); null for ICMP, which has none. */
  port: number | null;
  /** `icmp`: an echo request (type 8; ICMPv6 128 on IPv6). */
  protocol: FlowProtocol;
  ctState?: FlowCtState;
  /** The address family when neither side is an address (an address's own family wins). */
  family?: Family;
}

/** One side of the flow, resolved against the model. */
export interface FlowEnd {
  spec: string;
  kind: 'container' | 'host' | 'ip';
  /** Container name (without the leading slash) when kind is container. */
  name: string | null;
  containerId: string | null;
  /** The address used for the packet. */
  ip: string | null;
  /** Docker network of the endpoint used, when a container. */
  network: string | null;
  /** Host interface the side sits behind (the bridge for a container, the route's device for an IP). */
  iface: string | null;
}

export interface FlowPacket extends Packet {
  /** Why the packet looks the way it does (which interface / address was chosen and from what). */
  notes: string[];
}

export interface FirewallTrace {
  from: FlowEnd;
  to: FlowEnd;
  /** null for ICMP. */
  port: number | null;
  protocol: FlowProtocol;
  state: FlowCtState;
  family: Family;
  verdict: Verdict;
  /** The packet handed to the evaluator; null when it could not be built. */
  packet: FlowPacket | null;
  path: TraceStep[];
  decidedBy: DecidedBy | null;
  natSteps: NatStep[];
  reasons: Reason[];
  hooks: string[];
  finalPacket: PacketView | null;
  /** Docker rule layout recognised in the ruleset, with what it rests on. */
  dialect: { dialect: string; evidence: string[] } | null;
  /** Where the ruleset came from (`iptables-save`, `ip6tables-save`, `nft -j`). */
  rulesetSource: string | null;
  branches?: EvaluationResult['branches'];
}

// ---------------------------------------------------------------------------------------------
// Resolution of FROM / TO (subjects come from the state view's one rule set)

interface Resolved {
  end: FlowEnd;
  container: Container | null;
  /** Endpoints usable as the packet's source/destination, by preference. */
  endpoints: Array<{ ep: Endpoint; net: Network | null }>;
}

function resolveEnd(view: StateView, spec: string | Subject, family: Family | null, from: Container | null): Resolved {
  const subject = typeof spec === 'string' ? view.resolve(spec, { from }) : spec;
  const label = typeof spec === 'string' ? spec : subject.kind === 'address' ? subject.address : subject.label;
  if (subject.kind === 'host') return { end: { spec: label, kind: 'host', name: null, containerId: null, ip: null, network: null, iface: null }, container: null, endpoints: [] };
  if (subject.kind === 'address') {
    // An IP: a container's address, a host address, or somewhere else.
    const ref = view.endpointsByAddress(subject.address)[0];
    if (ref) {
      const { container: c, endpoint: ep, network: net } = ref;
      return {
        end: { spec: label, kind: 'container', name: containerName(c), containerId: c.id, ip: subject.address, network: ep.networkName, iface: net?.bridgeName ?? null },
        container: c,
        endpoints: [{ ep, net }],
      };
    }
    return { end: { spec: label, kind: 'ip', name: null, containerId: null, ip: subject.address, network: null, iface: null }, container: null, endpoints: [] };
  }
  const c0 = subject.container;
  // A `container:` chain whose owner is missing keeps the container itself (it has no endpoints).
  const c = view.namespaceOwner(c0) ?? c0;
  const endpoints = c.endpoints
    .filter((ep) => (family === 'ipv6' ? ep.ipv6 : ep.ipv4 ?? ep.ipv6))
    .map((ep) => ({ ep, net: view.networkOf(ep) }));
  return {
    end: { spec: label, kind: 'container', name: containerName(c0), containerId: c0.id, ip: null, network: null, iface: null },
    container: c,
    endpoints,
  };
}

// ---------------------------------------------------------------------------------------------
// Host facts: local addresses, interface addresses, routes

export interface HostFacts {
  /** Every address on the host's interfaces (both families), bare. */
  localAddresses: string[];
  ifaceAddress: (name: string) => string | null;
  route: (dst: string, family: Family) => { local: boolean; outIface: string | null } | null;
  /** The interface of the default route (the uplink), per family. */
  uplink: (family: Family) => string | null;
  /** The preferred source address for traffic to dst (prefsrc, else the out interface's address). */
  sourceFor: (dst: string, family: Family) => string | null;
  /** What is missing, for notes. */
  gaps: string[];
}

interface RouteEntry {
  family: Family;
  words: number[];
  mask: number[];
  len: number;
  dev: string | null;
  type: Route['type'];
  prefsrc: string | null;
  metric: number;
}

const factsCache = new WeakMap<NetworkState, Map<Host | null, HostFacts>>();

/** Host facts for a state, computed once per (state, host): matrix asks for them per pair. */
export function hostFacts(host: Host | null, state: NetworkState): HostFacts {
  let m = factsCache.get(state);
  if (!m) factsCache.set(state, (m = new Map()));
  let f = m.get(host);
  if (!f) m.set(host, (f = computeHostFacts(host, state)));
  return f;
}

function computeHostFacts(host: Host | null, state: NetworkState): HostFacts {
  const gaps: string[] = [];
  const ifaces = host?.interfaces.status !== 'unavailable' ? (host?.interfaces.value ?? []) : [];
  if (!host || host.interfaces.status === 'unavailable') gaps.push(`host interfaces not captured${host?.interfaces.reason ? ` (${host.interfaces.reason})` : ''}`);
  const local: string[] = [];
  const addrByIface = new Map<string, { v4: string | null; v6: string | null }>();
  for (const i of ifaces) {
    const e = { v4: null as string | null, v6: null as string | null };
    for (const a of i.addresses) {
      local.push(a.address);
      if (a.family === 'ipv4') e.v4 ??= a.address;
      else if (!a.address.toLowerCase().startsWith('fe80')) e.v6 ??= a.address;
    }
    addrByIface.set(i.name, e);
  }
  // Without interfaces, the bridge gateways of Docker's networks are still host addresses.
  if (ifaces.length === 0) {
    for (const n of state.networks) {
      if (!n.bridgeName) continue;
      for (const cfg of n.ipam.configs) {
        if (!cfg.gateway) continue;
        local.push(cfg.gateway);
        const e = addrByIface.get(n.bridgeName) ?? { v4: null, v6: null };
        if (familyOf(cfg.gateway) === 'ipv4') e.v4 ??= cfg.gateway;
        else e.v6 ??= cfg.gateway;
        addrByIface.set(n.bridgeName, e);
      }
    }
  }
  const routes: RouteEntry[] = [];
  const routeList = host?.routes.status !== 'unavailable' ? (host?.routes.value ?? []) : [];
  if (!host || host.routes.status === 'unavailable') gaps.push(`host routes not captured${host?.routes.reason ? ` (${host.routes.reason})` : ''}`);
  for (const r of routeList) {
    if (r.table !== 'main') continue;
    const c = parseCidr(r.dst === 'default' ? (r.family === 'ipv4' ? '0.0.0.0/0' : '::/0') : r.dst, r.family);
    if (!c) continue;
    const len = Number(r.dst.split('/')[1] ?? (r.family === 'ipv4' ? 32 : 128));
    routes.push({ family: r.family, words: c.words, mask: c.mask, len: Number.isFinite(len) ? len : 0, dev: r.dev, type: r.type, prefsrc: r.prefsrc, metric: r.metric ?? 0 });
  }
  {
    // The kernel adds a connected route for every address on an interface that is up; when the
    // captured table lacks one (or was not captured), the interface stands in for it.
    const have = new Set(routes.map((r) => `${r.family} ${r.words.join('.')}/${r.len}`));
    for (const i of ifaces) {
      if (i.operState === 'DOWN') continue;
      for (const a of i.addresses) {
        if (a.address.toLowerCase().startsWith('fe80') || i.name === 'lo') continue;
        const c = parseCidr(`${a.address}/${a.prefixLength}`, a.family);
        if (c && !have.has(`${a.family} ${c.words.join('.')}/${a.prefixLength}`)) {
          routes.push({ family: a.family, words: c.words, mask: c.mask, len: a.prefixLength, dev: i.name, type: 'unicast', prefsrc: a.address, metric: 0 });
        }
      }
    }
    if (ifaces.length === 0) {
      // Without interfaces, Docker's bridge subnets are the connected routes we know of.
      for (const n of state.networks) {
        if (!n.bridgeName) continue;
        for (const cfg of n.ipam.configs) {
          const fam = cfg.subnet ? familyOf(cfg.subnet.split('/')[0]!) : null;
          const c = fam && cfg.subnet ? parseCidr(cfg.subnet, fam) : null;
          const len = Number(cfg.subnet?.split('/')[1]);
          if (c && fam && !have.has(`${fam} ${c.words.join('.')}/${len}`)) routes.push({ family: fam, words: c.words, mask: c.mask, len, dev: n.bridgeName, type: 'unicast', prefsrc: cfg.gateway, metric: 0 });
        }
      }
    }
  }
  const localSet = new Set(local.map((a) => a.toLowerCase()));
  const lookup = (dst: string, family: Family): RouteEntry | null => {
    const w = parseAddr(dst, family);
    if (!w) return null;
    let best: RouteEntry | null = null;
    for (const r of routes) {
      if (r.family !== family || !inNet(w, r.words, r.mask)) continue;
      if (!best || r.len > best.len || (r.len === best.len && r.metric < best.metric)) best = r;
    }
    return best;
  };
  const isLocal = (dst: string, family: Family) => {
    if (localSet.has(dst.toLowerCase())) return true;
    if (family === 'ipv4') return dst.startsWith('127.');
    return dst === '::1';
  };
  const ifaceAddress = (name: string): string | null => addrByIface.get(name)?.v4 ?? null;
  return {
    localAddresses: [...new Set(local)],
    ifaceAddress,
    route: (dst, family) => {
      if (isLocal(dst, family)) return { local: true, outIface: null };
      const r = lookup(dst, family);
      if (!r) return null;
      if (r.type !== 'unicast') return { local: false, outIface: null };
      return { local: false, outIface: r.dev };
    },
    uplink: (family) => {
      let best: RouteEntry | null = null;
      for (const r of routes) if (r.family === family && r.len === 0 && r.type === 'unicast' && (!best || r.metric < best.metric)) best = r;
      return best?.dev ?? null;
    },
    sourceFor: (dst, family) => {
      const r = lookup(dst, family);
      if (!r) return null;
      if (r.prefsrc) return r.prefsrc;
      const a = r.dev ? addrByIface.get(r.dev) : undefined;
      return (family === 'ipv4' ? a?.v4 : a?.v6) ?? null;
    },
    gaps,
  };
}

// ---------------------------------------------------------------------------------------------
// Packet construction

export class FlowError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function epAddr(ep: Endpoint, family: Family): string | null {
  return family === 'ipv4' ? (ep.ipv4?.address ?? null) : (ep.ipv6?.address ?? null);
}

function epGateway(ep: Endpoint, net: Network | null, family: Family): string | null {
  const g = family === 'ipv4' ? ep.gateway : ep.ipv6Gateway;
  if (g) return g;
  for (const c of net?.ipam.configs ?? []) if (c.gateway && familyOf(c.gateway) === family) return c.gateway;
  return null;
}

function checkContainer(r: Resolved, role: string): void {
  const c = r.container;
  if (!c) return;
  if (!c.running) throw new FlowError('FLOW_CONTAINER_NOT_RUNNING', `${role} container ${r.end.name} is ${c.state}, not running: it has no addresses`);
  if (c.networkMode.kind === 'none') throw new FlowError('FLOW_NO_NETWORK', `${role} container ${r.end.name} has network mode none: no traffic in or out`);
}

/** Does the container share the host's network namespace? */
function isHostNet(r: Resolved): boolean {
  return !!r.container && r.container.networkMode.kind === 'host';
}

function pickEndpoints(src: Resolved, dst: Resolved, family: Family) {
  const usable = (r: Resolved) => r.endpoints.filter((e) => epAddr(e.ep, family) !== null);
  const a = usable(src);
  const b = usable(dst);
  for (const x of a) for (const y of b) if (x.ep.networkId === y.ep.networkId) return { s: x, d: y, shared: true };
  // Across networks (or to the host / outside): the source leaves by the endpoint that holds its
  // default route.
  return { s: src.container ? gatewayEndpoint(src.container, a, family) : null, d: b[0] ?? null, shared: false };
}

/**
 * The endpoint a container's default route goes through: from its captured routes when present;
 * otherwise Docker's rule — never an internal network, preferring the network it was started on.
 */
function gatewayEndpoint(c: Container, eps: Array<{ ep: Endpoint; net: Network | null }>, family: Family) {
  if (eps.length <= 1) return eps[0] ?? null;
  const routes = c.netns.status !== 'unavailable' ? (c.netns.value?.routes ?? []) : [];
  const def = routes.find((r) => r.family === family && (r.dst === 'default' || r.dst === '0.0.0.0/0' || r.dst === '::/0') && r.gateway);
  if (def) {
    const hit = eps.find((x) => epGateway(x.ep, x.net, family) === def.gateway);
    if (hit) return hit;
  }
  const primary = c.networkMode.kind === 'network' ? c.networkMode.network : null;
  const ext = eps.filter((x) => !x.net?.internal && epGateway(x.ep, x.net, family));
  return ext.find((x) => x.ep.networkName === primary || x.ep.networkId === primary) ?? ext[0] ?? eps[0] ?? null;
}

function bridgeOf(net: Network | null, role: string, name: string | null): string {
  if (!net) throw new FlowError('FLOW_NETWORK_UNKNOWN', `the network of the ${role} container ${name ?? ''} is not in the snapshot`);
  if (net.driver !== 'bridge' || !net.bridgeName) {
    throw new FlowError('FLOW_NOT_BRIDGE', `${role} container ${name ?? ''} is on network ${net.name} (driver ${net.driver}), which is not a Linux bridge on this host: its traffic does not pass the host's iptables chains the way bridge traffic does`);
  }
  return net.bridgeName;
}

export interface BuiltFlow {
  from: FlowEnd;
  to: FlowEnd;
  family: Family;
  packet: FlowPacket | null;
  /** Set when the packet could not be built (container stopped, not a bridge, ...). */
  problem: { code: string; message: string } | null;
}

const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;

/** Build the packet netfilter sees for a flow. Throws InputError for unknown containers / bad specs. */
export function buildFlow(input: StateInput, req: FlowRequest): BuiltFlow {
  const view = asView(input);
  const state = view.state;
  const host = view.host();
  const facts = hostFacts(host, state);
  const fromSubject = typeof req.from === 'string' ? view.resolve(req.from) : req.from;
  const toSubject = typeof req.to === 'string' ? view.resolve(req.to, { from: fromSubject.kind === 'container' ? fromSubject.container : null }) : req.to;
  const famFrom = subjectFamily(fromSubject);
  const famTo = subjectFamily(toSubject);
  const explicitFam = famFrom ?? famTo;
  const fam0: Family = explicitFam ?? req.family ?? 'ipv4';
  const src = resolveEnd(view, typeof req.from === 'string' ? { ...fromSubject, label: req.from } : fromSubject, fam0, null);
  const dst = resolveEnd(view, typeof req.to === 'string' ? { ...toSubject, label: req.to } : toSubject, fam0, null);
  if (famFrom && famTo && famFrom !== famTo) {
    throw new InputError(`--from ${src.end.spec} and --to ${dst.end.spec} are of different address families`);
  }
  let family = fam0;
  if (!explicitFam && !req.family) {
    // Two containers without IPv4 (IPv6-only networks): use IPv6.
    const has4 = (r: Resolved) => !r.container || isHostNet(r) || r.endpoints.some((e) => e.ep.ipv4);
    if (!has4(src) || !has4(dst)) family = 'ipv6';
  }
  const ct = req.ctState ?? 'NEW';
  const notes: string[] = [];
  const base = req.protocol === 'icmp'
    ? ({ family, protocol: family === 'ipv4' ? 'icmp' : 'icmpv6', sport: null, dport: null, icmpType: family === 'ipv4' ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST, icmpCode: 0, ctState: ct } as const)
    : ({ family, protocol: req.protocol, sport: null, dport: req.port, ctState: ct } as const);
  const ret = (packet: FlowPacket | null, problem: BuiltFlow['problem'] = null): BuiltFlow => ({ from: src.end, to: dst.end, family, packet, problem });
  try {
    checkContainer(src, 'source');
    checkContainer(dst, 'destination');
    const srcHost = src.end.kind === 'host' || isHostNet(src);
    const dstHost = dst.end.kind === 'host' || isHostNet(dst) || (dst.end.kind === 'ip' && facts.route(dst.end.ip!, family)?.local === true);
    const srcHostIp = src.end.kind === 'ip' && facts.route(src.end.ip!, family)?.local === true;
    if (isHostNet(src)) notes.push(`${src.end.name} uses the host's network namespace: its traffic is the host's`);
    if (isHostNet(dst)) notes.push(`${dst.end.name} uses the host's network namespace: traffic to it is traffic to the host`);

    const { s, d } = pickEndpoints(src, dst, family);
    if (src.container && !srcHost && !s) throw new FlowError('FLOW_NO_ADDRESS', `source container ${src.end.name} has no ${family} address`);
    if (dst.container && !dstHost && !d) throw new FlowError('FLOW_NO_ADDRESS', `destination container ${dst.end.name} has no ${family} address`);

    // Fill in the container sides.
    if (s && !srcHost) {
      src.end.ip = epAddr(s.ep, family);
      src.end.network = s.ep.networkName;
      src.end.iface = bridgeOf(s.net, 'source', src.end.name);
    }
    if (d && !dstHost) {
      dst.end.ip = epAddr(d.ep, family);
      dst.end.network = d.ep.networkName;
      dst.end.iface = bridgeOf(d.net, 'destination', dst.end.name);
    }

    if (srcHost && dstHost) {
      // Host to itself: locally generated, delivered over lo.
      const a = dst.end.ip ?? (family === 'ipv4' ? '127.0.0.1' : '::1');
      dst.end.ip = a;
      src.end.ip ??= a;
      src.end.iface = dst.end.iface = 'lo';
      notes.push('host to host: locally generated and delivered over lo (OUTPUT, then INPUT, which is not traced)');
      return ret({ ...base, src: src.end.ip!, dst: a, path: 'output', outIface: 'lo', srcLocal: true, dstLocal: true, notes });
    }

    if (srcHost) {
      // Host → container / IP: OUTPUT then POSTROUTING.
      const to = dst.end.ip!;
      const r = facts.route(to, family);
      const out = dst.end.iface ?? r?.outIface ?? null;
      if (!out) notes.push(`no route to ${to} in the captured host routes: the out interface is unknown`);
      src.end.iface = out;
      const from = src.end.ip ?? facts.sourceFor(to, family) ?? (d ? epGateway(d.ep, d.net, family) : null);
      if (!from) throw new FlowError('FLOW_NO_SOURCE', `no host source address for ${to} (host routes and interfaces not captured)`);
      src.end.ip = from;
      notes.push(`locally generated by the host from ${from}, routed out of ${out ?? 'an unknown interface'}`);
      return ret({ ...base, src: from, dst: to, path: 'output', outIface: out, srcLocal: true, dstLocal: false, notes });
    }

    // The source is a container or an outside / other IP: the packet arrives on an interface.
    let inIface: string | null;
    if (src.container) inIface = src.end.iface;
    else if (srcHostIp) {
      throw new InputError(`--from ${src.end.spec} is an address of this host: use --from host`);
    } else {
      const r = facts.route(src.end.ip!, family);
      inIface = r?.outIface ?? null;
      src.end.iface = inIface;
      notes.push(
        inIface
          ? `${src.end.ip} arrives on ${inIface} (the interface the host routes it by${facts.uplink(family) === inIface ? ': the default route, the uplink' : ''})`
          : `no route back to ${src.end.ip} in the captured host routes: the in interface is unknown`,
      );
    }

    if (dstHost) {
      // To the host: INPUT (unless a published port's DNAT sends it on to a container).
      let to = dst.end.ip;
      if (!to || dst.end.kind === 'container') {
        // `host` from a container: its gateway on the bridge; from outside: the uplink's address.
        if (s) to = epGateway(s.ep, s.net, family);
        else if (inIface) to = facts.ifaceAddress(inIface) ?? null;
        if (!to) throw new FlowError('FLOW_NO_HOST_ADDRESS', `no host address to send to from ${src.end.spec} (interfaces not captured)`);
        notes.push(`"host" is ${to} as seen from ${src.end.spec}${s ? ' (its gateway on the bridge)' : inIface ? ` (the address of ${inIface})` : ''}`);
      }
      dst.end.ip = to;
      dst.end.iface = null;
      return ret({ ...base, src: src.end.ip!, dst: to, path: 'input', inIface, outIface: null, dstLocal: true, srcLocal: false, notes });
    }

    // Forwarded: to a container (its bridge) or elsewhere (route lookup).
    const to = dst.end.ip!;
    let out = dst.end.iface;
    if (!out) {
      const r = facts.route(to, family);
      out = r?.outIface ?? null;
      dst.end.iface = out;
      notes.push(out ? `${to} is routed out of ${out}${facts.uplink(family) === out ? ' (the default route, the uplink)' : ''}` : `no route to ${to} in the captured host routes: the out interface is unknown`);
    }
    if (src.container && d && s && s.ep.networkId === d.ep.networkId) notes.push(`same network ${s.ep.networkName}: bridged on ${out}`);
    else if (src.container && dst.container) notes.push(`across networks: in on ${inIface}, out on ${out}`);
    return ret({ ...base, src: src.end.ip!, dst: to, path: 'forward', inIface, outIface: out, srcLocal: false, dstLocal: false, notes });
  } catch (e) {
    if (e instanceof FlowError) return ret(null, { code: e.code, message: e.message });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The reply

/**
 * The reply of a connection, as netfilter sees it (ESTABLISHED): derived from the request and
 * from where the NEW packet finally went (its trace's post-NAT packet). Source and destination
 * swap, and so do the ports (the reply comes from the port the request was DNATed to); an ICMP
 * echo request is answered by an echo reply (type 0; ICMPv6 129). The reply comes in where the
 * request went out: on the bridge of the container a DNAT sent it to, else by the route to the
 * address it was sent to (a host address: it is locally generated); it leaves where the request
 * came in. Null when there is no request packet, or when the host talks to itself (the reply
 * stays on lo).
 */
export function replyFlow(input: StateInput, built: BuiltFlow, trace: FirewallTrace | null): BuiltFlow | null {
  const p = built.packet;
  if (!p) return null;
  const view = asView(input);
  const family = built.family;
  const final = trace?.finalPacket ?? null;
  const src = final?.dst ?? p.dst;
  const icmp = p.protocol === 'icmp' || p.protocol === 'icmpv6';
  const sport = icmp ? null : (final?.dport ?? p.dport ?? null);
  const notes: string[] = [];
  let inIface = p.outIface ?? null;
  let fromLocal = p.dstLocal === true;
  if (src !== p.dst) {
    // Translated: the reply comes from where the DNAT sent the request.
    const r = hostFacts(view.host(), view.state).route(src, family);
    const bridge = view.containerByAddress(src)?.endpoints.map((e) => view.networkOf(e)).find((n) => n?.bridgeName)?.bridgeName ?? null;
    inIface = bridge ?? r?.outIface ?? null;
    fromLocal = r?.local === true;
    notes.push(`the request was translated to ${src}: the reply comes from there${bridge ? ` (in on its bridge ${bridge})` : ''}`);
  }
  if (p.srcLocal && fromLocal) return null;
  const path: PathKind = fromLocal ? 'output' : p.srcLocal ? 'input' : 'forward';
  notes.push(`the reply of ${p.src} → ${p.dst}: ${path === 'output' ? 'locally generated' : `in on ${inIface ?? 'an unknown interface'}`}, ${p.srcLocal ? 'delivered to the host' : `out on ${p.inIface ?? 'an unknown interface'}`}`);
  const packet: FlowPacket = {
    ...p,
    src,
    dst: p.src,
    sport,
    dport: p.sport ?? null,
    ctState: 'ESTABLISHED',
    inIface: fromLocal ? null : inIface,
    outIface: p.srcLocal ? null : (p.inIface ?? null),
    path,
    srcLocal: fromLocal,
    dstLocal: p.srcLocal === true,
    notes,
  };
  if (icmp) Object.assign(packet, { icmpType: family === 'ipv4' ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY, icmpCode: 0 });
  return { from: built.to, to: built.from, family, packet, problem: null };
}

// ---------------------------------------------------------------------------------------------
// Rulesets from the snapshot

export interface HostRuleset {
  ruleset: Ruleset | null;
  compiled: CompiledRuleset | null;
  source: string | null;
  /** Why there is no ruleset for this family. */
  unavailable: Reason | null;
  ipsetSave: string | null;
}

const rsCache = new WeakMap<Host, Partial<Record<Family, HostRuleset>>>();

/** The host's parsed ruleset for a family (iptables-save first, nft -j as the fallback). */
export function hostRuleset(host: Host | null, family: Family): HostRuleset {
  const none = (code: string, message: string): HostRuleset => ({ ruleset: null, compiled: null, source: null, unavailable: { code, message }, ipsetSave: null });
  if (!host) return none('FW_EVIDENCE_UNAVAILABLE', 'the snapshot holds no host');
  const cached = rsCache.get(host)?.[family];
  if (cached) return cached;
  const fw = host.firewall;
  let res: HostRuleset;
  if (fw.status === 'unavailable' || !fw.value) {
    res = none('FW_EVIDENCE_UNAVAILABLE', `the host's firewall ruleset was not captured${fw.reason ? `: ${fw.reason}` : ''}`);
  } else {
    const text = family === 'ipv4' ? fw.value.iptablesSave : fw.value.ip6tablesSave;
    const label = family === 'ipv4' ? 'iptables-save' : 'ip6tables-save';
    try {
      if (text && text.trim()) {
        let rs = parseIptablesSave(text, { family });
        let source = label;
        // Native nftables base chains (Docker 29's nftables backend, an operator's own table)
        // run at the same hooks as iptables' chains: evaluate them together, by priority.
        if (fw.value.nftJson && fw.value.nftJson.trim()) {
          const nft = parseNftJson(fw.value.nftJson, { family, skipIptablesTables: true });
          if (nft.nftHooks && nft.nftHooks.length > 0) {
            rs = mergeWithIptables(rs, nft);
            source = `${label} + nft -j list ruleset (${[...new Set(nft.nftHooks.map((h) => h.table))].join(', ')})`;
          }
        }
        res = { ruleset: rs, compiled: compileRuleset(rs), source, unavailable: null, ipsetSave: fw.value.ipsetSave };
      } else if (fw.value.nftJson && fw.value.nftJson.trim()) {
        const rs = parseNftJson(fw.value.nftJson, { family, skipIptablesTables: fw.value.iptablesBackend === 'nf_tables' });
        res = { ruleset: rs, compiled: compileRuleset(rs), source: 'nft -j list ruleset', unavailable: null, ipsetSave: fw.value.ipsetSave };
      } else {
        res = none('FW_EVIDENCE_UNAVAILABLE', `the snapshot holds no ${label} output for this host${fw.reason ? ` (${fw.reason})` : ''}`);
      }
    } catch (e) {
      res = none('FW_RULESET_UNPARSEABLE', `the captured ${label} output could not be parsed: ${(e as Error).message}`);
    }
  }
  const m = rsCache.get(host) ?? {};
  m[family] = res;
  rsCache.set(host, m);
  return res;
}

// ---------------------------------------------------------------------------------------------
// The trace

function unknownTrace(built: BuiltFlow, req: FlowRequest, reasons: Reason[], packet: FlowPacket | null): FirewallTrace {
  return {
    from: built.from,
    to: built.to,
    port: req.port,
    protocol: req.protocol,
    state: req.ctState ?? 'NEW',
    family: built.family,
    verdict: 'unknown',
    packet,
    path: [],
    decidedBy: null,
    natSteps: [],
    reasons,
    hooks: [],
    finalPacket: null,
    dialect: null,
    rulesetSource: null,
  };
}

const dialectCache = new WeakMap<Ruleset, { dialect: string; evidence: string[] }>();
function dialectOf(rs: Ruleset): { dialect: string; evidence: string[] } {
  let d = dialectCache.get(rs);
  if (!d) dialectCache.set(rs, (d = detectDockerDialect(rs)));
  return d;
}

/** Evaluate a packet against a ruleset and shape the trace. */
export function traceWith(
  built: BuiltFlow,
  req: FlowRequest,
  rs: { compiled: CompiledRuleset; source: string | null },
  opts: EvaluateOptions,
): FirewallTrace {
  const packet = built.packet!;
  const { notes, ...pk } = packet;
  void notes;
  const r = evaluate(rs.compiled, pk, opts);
  if (opts.explain === false) {
    // Lean: verdict and deciding rule now; the walk's other fields only when read.
    const lean = {
      from: built.from,
      to: built.to,
      port: req.port,
      protocol: req.protocol,
      state: req.ctState ?? 'NEW',
      family: built.family,
      verdict: r.verdict,
      packet,
      decidedBy: r.decidedBy,
      dialect: dialectOf(rs.compiled.ruleset),
      rulesetSource: rs.source,
    } as FirewallTrace;
    for (const k of ['path', 'natSteps', 'reasons', 'hooks', 'finalPacket', 'branches'] as const) {
      Object.defineProperty(lean, k, { get: () => r[k], enumerable: true, configurable: true });
    }
    return lean;
  }
  const t: FirewallTrace = {
    from: built.from,
    to: built.to,
    port: req.port,
    protocol: req.protocol,
    state: req.ctState ?? 'NEW',
    family: built.family,
    verdict: r.verdict,
    packet,
    path: r.path,
    decidedBy: r.decidedBy,
    natSteps: r.natSteps,
    reasons: r.reasons,
    hooks: r.hooks,
    finalPacket: r.finalPacket,
    dialect: dialectOf(rs.compiled.ruleset),
    rulesetSource: rs.source,
  };
  if (r.branches) t.branches = r.branches;
  return t;
}

// The engine prepares host addresses and ipsets once per options object: keep one per state,
// host and family (and explain mode) so repeated traces (reach, matrix) reuse it.
const optsCache = new WeakMap<NetworkState, Map<string, EvaluateOptions>>();
function evalOptions(state: NetworkState, host: Host | null, hr: HostRuleset, facts: HostFacts, explain: boolean): EvaluateOptions {
  let m = optsCache.get(state);
  if (!m) optsCache.set(state, (m = new Map()));
  const key = `${host?.id ?? '-'}|${hr.source ?? '-'}|${hr.ruleset?.family ?? '-'}|${explain}`;
  let o = m.get(key);
  if (!o) {
    o = { localAddresses: facts.localAddresses, ifaceAddress: facts.ifaceAddress, route: facts.route, ipsetSave: hr.ipsetSave };
    if (!explain) o.explain = false;
    m.set(key, o);
  }
  return o;
}

/** The whole analysis: resolve, build the packet, evaluate against the host's captured ruleset. */
export function traceFlow(input: StateInput, req: FlowRequest): FirewallTrace {
  const view = asView(input);
  if (req.protocol !== 'icmp') {
    if (req.port === null) throw new InputError(`a ${req.protocol} flow needs a port`);
    checkPort(req.port);
  }
  return traceBuilt(view, buildFlow(view, req), req);
}

/**
 * Evaluate an already built flow against the host's captured ruleset: a request from buildFlow,
 * one `reach` reshapes (the host to its own address), or a reply from replyFlow.
 */
export function traceBuilt(input: StateInput, built: BuiltFlow, req: FlowRequest, how: { explain?: boolean } = {}): FirewallTrace {
  const view = asView(input);
  const state = view.state;
  if (!built.packet) return unknownTrace(built, req, [built.problem!], null);
  const host = view.host();
  const hr = hostRuleset(host, built.family);
  if (!hr.compiled) return unknownTrace(built, req, [hr.unavailable!], built.packet);
  const facts = hostFacts(host, state);
  const opts = evalOptions(state, host, hr, facts, how.explain !== false);
  const t = traceWith(built, req, { compiled: hr.compiled, source: hr.source }, opts);
  for (const g of facts.gaps) t.reasons.push({ code: 'FW_HOST_FACTS_PARTIAL', message: `${g}: interfaces and routes were inferred from Docker's networks` });
  const family = built.family;
  const bnf = host?.sysctls.value?.[family === 'ipv4' ? 'net.bridge.bridge-nf-call-iptables' : 'net.bridge.bridge-nf-call-ip6tables'];
  if (built.packet.path === 'forward' && built.packet.inIface && built.packet.inIface === built.packet.outIface) {
    if (bnf === '0') {
      t.reasons.push({
        code: 'FW_BRIDGE_NF_OFF',
        message: `net.bridge.bridge-nf-call-${family === 'ipv4' ? 'iptables' : 'ip6tables'} is 0: traffic bridged on ${built.packet.inIface} does not traverse iptables at all, so these rules do not decide it`,
      });
      t.verdict = 'unknown';
      t.decidedBy = null;
    }
  }
  return t;
}
