// The one view of a state: built once per NetworkState, it answers the questions every analysis
// asks of the model — which container is "web", who holds 10.0.0.5, whose network namespace a
// `container:` mode container runs in, which network owns bridge br-1a2b — with one rule set.
// Analyses take a view and never index the state themselves; see docs/architecture.md.
//
// Costly parts are lazy (built on first use) and memoized on the view. Pure: no I/O.

import { canonicalAddr, parseAddr } from '../net/addr.js';
import { InputError } from './errors.js';
import type { AddressFamily, Container, Endpoint, Host, Network, NetworkState } from './types.js';

// ---------------------------------------------------------------------------------------------
// Subjects

/** How a name given by the user matched. */
export type MatchedBy = 'name' | 'id' | 'id-prefix' | 'alias' | 'service' | 'address';

/** FROM/TO of a question, resolved. Labels are for people; analyses keep the objects (ids). */
export type Subject =
  | { kind: 'host'; label: string; host: Host | null }
  | { kind: 'container'; label: string; container: Container; matchedBy: MatchedBy }
  | { kind: 'address'; label: string; address: string };

/** A subject by id, for results that outlive the view (probes, renderers). */
export type SubjectRef = { kind: 'host'; hostId: string | null } | { kind: 'container'; id: string } | { kind: 'address'; address: string };

/** Where a network namespace is: the host's own, or the one a container owns. */
export type Netns = { kind: 'host'; host: Host | null } | { kind: 'container'; owner: Container };

export interface ResolveOptions {
  /** The source of the question: names are then resolved as Docker's embedded DNS answers them for it. */
  from?: Container | null;
}

/** A name that matched nothing, or several things. Lists candidates or suggestions. */
export class SubjectError extends InputError {
  readonly candidates: string[];
  constructor(message: string, code: 'SUBJECT_NOT_FOUND' | 'SUBJECT_AMBIGUOUS', candidates: string[], hint?: string) {
    super(message, hint, { code });
    this.candidates = candidates;
  }
}

export const SUBJECT_HINT = 'FROM/TO: a container name, id prefix, network alias or Compose service (web, shop/web), an IP address, or "host".';

/** A container's endpoint on a network, with the network when the state holds it. */
export interface EndpointRef {
  container: Container;
  endpoint: Endpoint;
  network: Network | null;
}

/** A container name without Docker's leading slash. */
export function bareName(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}
const bare = bareName;
const lc = (s: string): string => s.toLowerCase().replace(/\.$/, '');

/** The container's name without Docker's leading slash: how people and the embedded DNS name it. */
export function containerName(c: Container): string {
  return bare(c.name);
}

/** Names Docker's embedded DNS answers for an endpoint (DNSNames, else name + aliases + short id), lowercased. */
export function endpointNames(c: Container, ep: Endpoint): string[] {
  const names = ep.dnsNames.length ? ep.dnsNames : [bare(c.name), ...ep.aliases, c.id.slice(0, 12)];
  return [...new Set(names.filter(Boolean).map(lc))];
}

/** The default bridge (`docker0`): no embedded DNS there. */
export function isDefaultBridge(n: Network | null, ep?: Endpoint): boolean {
  if (n) return n.options['com.docker.network.bridge.default_bridge'] === 'true' || n.bridgeName === 'docker0' || (n.name === 'bridge' && n.driver === 'bridge');
  return ep?.networkName === 'bridge';
}

/** Networks whose members get Docker's embedded DNS: user-defined, not host/none/default bridge. */
export function isUserDefined(n: Network | null, ep?: Endpoint): boolean {
  const name = n?.name ?? ep?.networkName ?? '';
  if (name === 'host' || name === 'none') return false;
  if (n && (n.driver === 'host' || n.driver === 'null')) return false;
  return !isDefaultBridge(n, ep);
}

// ---------------------------------------------------------------------------------------------

export interface StateView {
  readonly state: NetworkState;
  readonly hosts: readonly Host[];
  readonly containers: readonly Container[];
  readonly networks: readonly Network[];

  /** The host a container (or network) lives on; with no argument, the state's only/first host. */
  host(of?: { hostId: string } | string | null): Host | null;
  container(id: string): Container | null;
  /** A network by id, falling back to its name (older snapshots key endpoints by name). */
  network(id: string | null, name?: string | null): Network | null;
  networkOf(ep: Endpoint): Network | null;
  /** A network the user named: exact name, full id, or a unique id prefix (3+ characters). Throws SubjectError. */
  resolveNetwork(text: string): Network;
  networkByBridge(dev: string): Network | null;
  /** Endpoints attached to a network (by id). */
  endpointsOn(network: Network): readonly EndpointRef[];
  /** Every endpoint holding an address (any textual form), in state order. */
  endpointsByAddress(address: string): readonly EndpointRef[];
  /** The first container holding an address, or null. */
  containerByAddress(address: string): Container | null;
  /** Whether an address is the host's own (its interfaces; without them, Docker bridge gateways). */
  hostHasAddress(address: string, host?: Host | null): boolean;

  /** The container whose network namespace `c` runs in (itself, or where `container:` leads); null when that is not in the state or the chain loops. */
  namespaceOwner(c: Container): Container | null;
  /** The namespace `c` runs in; null when its owner is missing. Host-mode containers are in the host's. */
  netnsOf(c: Container): Netns | null;
  /** A stable key for a namespace, for maps only (never parsed back). */
  netnsKey(ns: Netns): string;
  /** Endpoints of the container on user-defined networks (where embedded DNS answers). */
  userEndpoints(c: Container): Array<{ ep: Endpoint; net: Network | null }>;

  /** Resolve FROM/TO text with the one rule set (docs/architecture.md, "Subjects"). Throws SubjectError. */
  resolve(text: string, opts?: ResolveOptions): Subject;
  /** Containers a container reference (name, full id, unique id prefix) names — Docker CLI rules. */
  containerRef(ref: string): Container | null;
  ref(s: Subject): SubjectRef;
  /** Back from an id ref to the subject (the label is the container's name, or the address). */
  subjectOf(r: SubjectRef): Subject | null;

  /** A sysctl of a host, when captured. */
  sysctl(host: Host | null, key: string): string | null;
  /** net.ipv4.ip_local_port_range, or the Linux default when not captured. */
  ephemeralRange(host: Host | null): { range: [number, number]; known: boolean };

  /** Memoize a derived fact on this view (parsed rulesets, host facts): computed once per key. */
  memo<T>(key: object | string, compute: () => T): T;
}

export const DEFAULT_EPHEMERAL: [number, number] = [32768, 60999];

const views = new WeakMap<NetworkState, StateView>();

/** The view of a state, built once per state object. */
export function viewOf(state: NetworkState): StateView {
  let v = views.get(state);
  if (!v) views.set(state, (v = buildView(state)));
  return v;
}

/** Analyses accept a view or (for tests and library callers) a state, which gets its memoized view. */
export type StateInput = NetworkState | StateView;
export function asView(input: StateInput): StateView {
  return isView(input) ? input : viewOf(input);
}
function isView(x: StateInput): x is StateView {
  return typeof (x as StateView).resolve === 'function';
}

function buildView(state: NetworkState): StateView {
  const hostsById = new Map(state.hosts.map((h) => [h.id, h]));
  const byId = new Map<string, Container>();
  const byName = new Map<string, Container[]>();
  for (const c of state.containers) {
    byId.set(c.id.toLowerCase(), c);
    const n = bare(c.name);
    const l = byName.get(n);
    if (l) l.push(c);
    else byName.set(n, [c]);
  }
  const networksById = new Map<string, Network>();
  const networksByName = new Map<string, Network>();
  const networksByBridge = new Map<string, Network>();
  for (const n of state.networks) {
    if (!networksById.has(n.id)) networksById.set(n.id, n);
    if (!networksByName.has(n.name)) networksByName.set(n.name, n);
    if (n.bridgeName && !networksByBridge.has(n.bridgeName)) networksByBridge.set(n.bridgeName, n);
  }
  const network = (id: string | null, name?: string | null): Network | null => (id ? networksById.get(id) : undefined) ?? (name ? networksByName.get(name) : undefined) ?? null;
  const networkOf = (ep: Endpoint): Network | null => network(ep.networkId, ep.networkName);

  // Lazy indexes.
  let sortedIds: string[] | null = null;
  let byAddress: Map<string, EndpointRef[]> | null = null;
  let byNetwork: Map<Network, EndpointRef[]> | null = null;
  let hostAddrs: Map<Host | null, Set<string>> | null = null;
  const memo = new Map<object | string, unknown>();

  const addressIndex = (): Map<string, EndpointRef[]> => {
    if (byAddress) return byAddress;
    byAddress = new Map();
    for (const c of state.containers) {
      for (const endpoint of c.endpoints) {
        const ref: EndpointRef = { container: c, endpoint, network: networkOf(endpoint) };
        for (const a of [endpoint.ipv4, endpoint.ipv6]) {
          if (!a) continue;
          const key = canonicalAddr(a.address);
          const l = byAddress.get(key);
          if (l) l.push(ref);
          else byAddress.set(key, [ref]);
        }
      }
    }
    return byAddress;
  };

  const idsWithPrefix = (prefix: string, max: number): Container[] => {
    sortedIds ??= [...byId.keys()].sort();
    const ids = sortedIds;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: Container[] = [];
    for (let i = lo; i < ids.length && ids[i]!.startsWith(prefix) && out.length < max; i++) out.push(byId.get(ids[i]!)!);
    return out;
  };

  /** Docker CLI's container reference: exact name, full id, then a unique id prefix. */
  const containerRef = (ref: string): Container | null => {
    const named = byName.get(bare(ref));
    if (named?.length === 1) return named[0]!;
    const exact = byId.get(ref.toLowerCase());
    if (exact) return exact;
    if (/^[0-9a-f]+$/i.test(ref)) {
      const hits = idsWithPrefix(ref.toLowerCase(), 2);
      if (hits.length === 1) return hits[0]!;
    }
    return named?.[0] ?? null;
  };

  const namespaceOwner = (c: Container): Container | null => {
    let cur = c;
    const seen = new Set<Container>();
    while (cur.networkMode.kind === 'container') {
      if (seen.has(cur)) return null; // a cycle: no container really owns a namespace here
      seen.add(cur);
      const next = containerRef(cur.networkMode.container);
      if (!next) return null;
      cur = next;
    }
    return cur;
  };

  const hostOf = (of?: { hostId: string } | string | null): Host | null => {
    if (of === undefined || of === null) return state.hosts[0] ?? null;
    const id = typeof of === 'string' ? of : of.hostId;
    return hostsById.get(id) ?? (state.hosts.length === 1 ? state.hosts[0]! : null);
  };

  const hostAddresses = (host: Host | null): Set<string> => {
    hostAddrs ??= new Map();
    let s = hostAddrs.get(host);
    if (s) return s;
    s = new Set();
    for (const i of host?.interfaces.value ?? []) for (const a of i.addresses) s.add(canonicalAddr(a.address));
    // Without captured interfaces the bridge gateways are still the host's.
    for (const n of state.networks) {
      if (n.driver !== 'bridge' || (host && n.hostId && n.hostId !== host.id && hostsById.has(n.hostId))) continue;
      for (const cfg of n.ipam.configs) if (cfg.gateway) s.add(canonicalAddr(cfg.gateway));
    }
    hostAddrs.set(host, s);
    return s;
  };

  const userEndpoints = (c: Container) => c.endpoints.map((ep) => ({ ep, net: networkOf(ep) })).filter((x) => isUserDefined(x.net, x.ep));

  const view: StateView = {
    state,
    hosts: state.hosts,
    containers: state.containers,
    networks: state.networks,
    host: hostOf,
    container: (id) => byId.get(id.toLowerCase()) ?? null,
    network,
    networkOf,
    resolveNetwork: (text) => {
      const t = text.trim();
      const hit = networksByName.get(t) ?? networksById.get(t) ?? null;
      if (hit) return hit;
      if (t.length >= 3 && /^[0-9a-f]+$/i.test(t)) {
        const byPrefix = state.networks.filter((n) => n.id.toLowerCase().startsWith(t.toLowerCase()));
        if (byPrefix.length === 1) return byPrefix[0]!;
        if (byPrefix.length > 1) {
          const names = byPrefix.map((n) => n.name).sort();
          throw new SubjectError(`network "${t}" is ambiguous: it starts the ids of ${names.join(', ')}`, 'SUBJECT_AMBIGUOUS', names);
        }
      }
      const suggestions = suggest(t, state.networks.map((n) => n.name));
      throw new SubjectError(`no network called "${t}" in this state${suggestions.length ? ` (did you mean ${suggestions.map((x) => `"${x}"`).join(' or ')}?)` : ''}`, 'SUBJECT_NOT_FOUND', suggestions, 'Give a network name or id prefix (snapshot show lists them).');
    },
    networkByBridge: (dev) => networksByBridge.get(dev) ?? null,
    endpointsOn: (n) => {
      if (!byNetwork) {
        byNetwork = new Map();
        for (const refs of addressIndex().values()) {
          for (const r of refs) {
            if (!r.network) continue;
            const l = byNetwork.get(r.network) ?? [];
            if (!l.includes(r)) l.push(r);
            byNetwork.set(r.network, l);
          }
        }
      }
      return byNetwork.get(n) ?? [];
    },
    endpointsByAddress: (a) => addressIndex().get(canonicalAddr(a)) ?? [],
    containerByAddress: (a) => addressIndex().get(canonicalAddr(a))?.[0]?.container ?? null,
    hostHasAddress: (a, host) => hostAddresses(host === undefined ? hostOf() : host).has(canonicalAddr(a)),
    namespaceOwner,
    netnsOf: (c) => {
      const owner = namespaceOwner(c);
      if (!owner) return null;
      return owner.networkMode.kind === 'host' ? { kind: 'host', host: hostOf(owner) } : { kind: 'container', owner };
    },
    netnsKey: (ns) => (ns.kind === 'host' ? `host:${ns.host?.id ?? ''}` : `c:${ns.owner.id}`),
    userEndpoints,
    resolve: (text, opts) => resolveSubject(text, opts ?? {}),
    containerRef,
    ref: (s) => (s.kind === 'host' ? { kind: 'host', hostId: s.host?.id ?? null } : s.kind === 'container' ? { kind: 'container', id: s.container.id } : { kind: 'address', address: s.address }),
    subjectOf: (r) => {
      if (r.kind === 'host') return { kind: 'host', label: 'host', host: r.hostId ? (hostsById.get(r.hostId) ?? null) : hostOf() };
      if (r.kind === 'address') return { kind: 'address', label: r.address, address: r.address };
      const c = byId.get(r.id.toLowerCase());
      return c ? { kind: 'container', label: bare(c.name), container: c, matchedBy: 'id' } : null;
    },
    sysctl: (host, key) => (host && host.sysctls.status !== 'unavailable' ? (host.sysctls.value?.[key] ?? null) : null),
    ephemeralRange: (host) => {
      const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(view.sysctl(host, 'net.ipv4.ip_local_port_range') ?? '');
      return m ? { range: [Number(m[1]), Number(m[2])], known: true } : { range: DEFAULT_EPHEMERAL, known: false };
    },
    memo: <T>(key: object | string, compute: () => T): T => {
      if (memo.has(key)) return memo.get(key) as T;
      const v = compute();
      memo.set(key, v);
      return v;
    },
  };

  // ---- subject resolution: the one rule set (docs/architecture.md, "Subjects")
  function resolveSubject(text: string, opts: ResolveOptions): Subject {
    const raw = text.trim();
    if (raw === '') throw new SubjectError('an empty name names nothing', 'SUBJECT_NOT_FOUND', [], SUBJECT_HINT);
    // 1. the host itself
    if (raw === 'host') return { kind: 'host', label: 'host', host: hostOf() };
    // 2. an address literal (its owner is a separate question: endpointsByAddress, hostHasAddress)
    if (parseAddr(raw)) return { kind: 'address', label: raw, address: raw };
    const found = (c: Container, matchedBy: MatchedBy): Subject => ({ kind: 'container', label: bare(c.name), container: c, matchedBy });
    const one = (cands: Container[], matchedBy: MatchedBy, what: string): Subject | null => {
      const uniq = [...new Set(cands)];
      if (uniq.length === 1) return found(uniq[0]!, matchedBy);
      if (uniq.length > 1) {
        const running = uniq.filter((c) => c.running);
        if (running.length === 1 && matchedBy !== 'name') return found(running[0]!, matchedBy);
        const names = uniq.map((c) => bare(c.name)).sort();
        throw new SubjectError(`"${raw}" is ambiguous: ${what} ${names.length} containers (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`, 'SUBJECT_AMBIGUOUS', names, 'Name one container exactly (its name or id prefix).');
      }
      return null;
    };
    // 3. exact container name, 4. full id
    const named = one(byName.get(bare(raw)) ?? [], 'name', 'its name is shared by');
    if (named) return named;
    const exact = byId.get(raw.toLowerCase());
    if (exact) return found(exact, 'id');
    const name = lc(raw);
    // 5. project/service (Compose)
    const slash = /^([^/]+)\/([^/]+)$/.exec(raw);
    if (slash) {
      const [, project, service] = slash;
      const hit = one(state.containers.filter((c) => c.compose && lc(c.compose.project) === lc(project!) && lc(c.compose.service) === lc(service!)), 'service', `Compose service ${project}/${service} has`);
      if (hit) return hit;
    }
    // 6. a DNS name on the source's user-defined networks (as the embedded DNS answers it), else on any network
    const from = opts.from ? namespaceOwner(opts.from) : null;
    const onNetworks = (nets: Set<string> | null): Container[] => {
      const out: Container[] = [];
      for (const c of state.containers) {
        for (const ep of c.endpoints) {
          const net = networkOf(ep);
          if (!isUserDefined(net, ep)) continue;
          if (nets && !nets.has(net?.id ?? ep.networkName)) continue;
          if (endpointNames(c, ep).includes(name) || ep.aliases.some((a) => lc(a) === name)) out.push(c);
        }
      }
      return out;
    };
    if (from) {
      const mine = new Set(userEndpoints(from).map((x) => x.net?.id ?? x.ep.networkName));
      const hit = one(onNetworks(mine), 'alias', `on ${from.name.replace(/^\//, '')}'s networks it names`);
      if (hit) return hit;
    }
    const anyNet = one(onNetworks(null), 'alias', 'as a network alias it names');
    if (anyNet) return anyNet;
    // 7. a Compose service name: the source's project first
    const services = state.containers.filter((c) => c.compose && lc(c.compose.service) === name);
    if (services.length) {
      const project = opts.from?.compose?.project;
      const same = project ? services.filter((c) => c.compose!.project === project) : [];
      const hit = one(same.length ? same : services, 'service', `Compose service "${raw}" has`);
      if (hit) return hit;
    }
    // 8. a unique container id prefix
    if (/^[0-9a-f]+$/i.test(raw)) {
      const hits = idsWithPrefix(raw.toLowerCase(), 9);
      if (hits.length === 1) return found(hits[0]!, 'id-prefix');
      if (hits.length > 1) {
        const names = hits.map((c) => `${bare(c.name)} (${c.id.slice(0, 12)})`);
        throw new SubjectError(`"${raw}" is ambiguous: it starts the ids of ${hits.length > 8 ? 'more than 8' : hits.length} containers (${names.slice(0, 8).join(', ')}); give more of the id`, 'SUBJECT_AMBIGUOUS', names);
      }
    }
    const suggestions = suggest(raw, candidateNames(state));
    throw new SubjectError(
      `no container, alias, Compose service, address or "host" called "${raw}" in this state${suggestions.length ? ` (did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?)` : ''}`,
      'SUBJECT_NOT_FOUND',
      suggestions,
      SUBJECT_HINT,
    );
  }

  return view;
}

/** Every name a user could mean: container names, aliases, Compose services and project/service. */
function candidateNames(state: NetworkState): string[] {
  const out = new Set<string>();
  for (const c of state.containers) {
    out.add(bare(c.name));
    for (const ep of c.endpoints) for (const a of ep.aliases) if (!/^[0-9a-f]{12}$/.test(a)) out.add(a);
    if (c.compose) {
      out.add(c.compose.service);
      out.add(`${c.compose.project}/${c.compose.service}`);
    }
  }
  return [...out];
}

/** Up to three names within a small edit distance of `text` (closest first): "did you mean". */
export function suggest(text: string, names: Iterable<string>, max = 3): string[] {
  const t = text.toLowerCase();
  const limit = Math.max(1, Math.min(3, Math.floor(t.length / 3)));
  const scored: Array<[number, string]> = [];
  for (const n of names) {
    const d = editDistance(t, n.toLowerCase(), limit);
    if (d <= limit || (t.length >= 3 && n.toLowerCase().startsWith(t))) scored.push([d, n]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  // Only the closest: "shop-wbe-1" suggests shop-web-1, not every shop-*-1.
  const best = scored[0]?.[0] ?? 0;
  return [...new Set(scored.filter(([d, n]) => d === best || n.toLowerCase().startsWith(t)).map(([, n]) => n))].slice(0, max);
}

/** Optimal-string-alignment distance (adjacent swaps count 1), giving up past `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    for (let j = 0; j <= b.length; j++) prev2[j] = prev[j]!;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The family of an address subject, when it is one. */
export function subjectFamily(s: Subject): AddressFamily | null {
  return s.kind === 'address' ? (parseAddr(s.address)?.family ?? null) : null;
}
