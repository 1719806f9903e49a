// Host port conflicts and exposures (`netsleuth ports`, docs/ports.md). Pure: no I/O.
//
// Claimants of a host port: running containers' effective bindings, stopped/created containers'
// configured bindings (they collide when started: `active: false`), host-network containers'
// listeners, host processes listening (docker-proxy sockets that belong to a binding are that
// binding, not a separate claimant), and bindings planned in a compose file. Two claims collide
// when they are on the same host, with the same protocol, share a port (ranges included) and
// their addresses overlap (see ports-addr.ts).

import { worstFirst, type Finding } from '../model/finding.js';
import type { PlannedBinding, PortProtocol as Protocol } from '../model/plan.js';
import { DEFAULT_EPHEMERAL, type StateView, viewOf } from '../model/view.js';
import type { Container, Host, Listener, NetworkState, PortBinding } from '../model/types.js';
import { addressesOverlap, canonical, familyOf, formatHostPort, intersection, isLoopback, isWildcard, type OverlapContext } from './ports-addr.js';

export type ClaimantKind = 'container' | 'host-network-container' | 'host-process' | 'planned';

export interface Claimant {
  kind: ClaimantKind;
  /** Container name, process name, or `project/service` for planned bindings. */
  name: string;
  /** Container id, or null. */
  id: string | null;
  hostId: string;
  hostIp: string;
  hostPort: number;
  hostPortEnd: number | null;
  protocol: Protocol;
  containerPort: number | null;
  /** false: configured but not in effect now (stopped/created container, planned binding). */
  active: boolean;
  /** Container state, `listening` for sockets, `planned` for compose bindings. */
  state: string;
  process: { name: string; pid: number } | null;
  /** The snapshot field (or compose file line) this claim comes from. */
  evidence: string;
}

export interface PortConflict {
  hostId: string;
  /** Where the claims collide (the narrower address of the first colliding pair). */
  hostIp: string;
  hostPort: number;
  /** Set when the same claimants collide on a run of consecutive ports. */
  hostPortEnd: number | null;
  protocol: Protocol;
  claimants: Claimant[];
}

export interface PortsResult {
  conflicts: PortConflict[];
  findings: Finding[];
  /** What the analysis assumed or could not check, in plain sentences. */
  notes: string[];
  /** How many claims were considered, by kind. */
  claims: Record<ClaimantKind, number>;
}

export interface PortsOptions {
  planned?: PlannedBinding[];
}

/** Well-known ports of services that should rarely face every interface. */
export const RISKY_PORTS: ReadonlyMap<number, string> = new Map([
  [1433, 'Microsoft SQL Server'],
  [1521, 'Oracle database'],
  [2181, 'ZooKeeper'],
  [2375, 'Docker Engine API (plain TCP: root on the host)'],
  [2376, 'Docker Engine API (TLS)'],
  [2379, 'etcd'],
  [2380, 'etcd peer'],
  [3306, 'MySQL/MariaDB'],
  [5432, 'PostgreSQL'],
  [5672, 'RabbitMQ'],
  [5984, 'CouchDB'],
  [6379, 'Redis'],
  [6443, 'Kubernetes API'],
  [8086, 'InfluxDB'],
  [8500, 'Consul'],
  [9042, 'Cassandra'],
  [9092, 'Kafka'],
  [9200, 'Elasticsearch'],
  [9300, 'Elasticsearch transport'],
  [10250, 'kubelet'],
  [11211, 'memcached'],
  [15672, 'RabbitMQ management'],
  [27017, 'MongoDB'],
  [27018, 'MongoDB'],
  [27019, 'MongoDB'],
]);


interface Claim {
  c: Claimant;
  owner: string;
  /** compose project/service of a container, or of a planned binding. */
  compose: string | null;
  start: number;
  end: number;
  /** For findings: was the host port picked by Docker (-P / `-p 80`)? */
  random: boolean;
}

const PROTO_INDEX: Record<Protocol, number> = { tcp: 0, udp: 1, sctp: 2 };

function label(c: Claimant): string {
  const where = formatHostPort(c.hostIp, c.hostPort, c.hostPortEnd);
  switch (c.kind) {
    case 'container':
      return `container ${c.name} (${c.state}) ${where}/${c.protocol}`;
    case 'host-network-container':
      return `host-network container ${c.name} listening on ${where}/${c.protocol}`;
    case 'host-process':
      return `host process ${c.name}${c.process ? ` (pid ${c.process.pid})` : ''} listening on ${where}/${c.protocol}`;
    case 'planned':
      return `planned ${c.name} ${where}/${c.protocol} (${c.evidence})`;
  }
}

function bindingText(b: PortBinding): string {
  return `${formatHostPort(b.hostIp, b.hostPort, b.hostPortEnd)}->${b.containerPort}/${b.protocol}`;
}

export function analyzePorts(state: NetworkState, opts: PortsOptions = {}): PortsResult {
  const run = newRun(state);
  // Who claims which host ports: containers (bindings in effect, or configured when stopped),
  // host processes and host-network containers (listeners), and planned Compose services.
  containerClaims(run);
  hostListenerClaims(run);
  plannedClaims(run, opts.planned ?? []);
  const { claims, findings, notes } = run;

  // ---- overlap
  const conflicts = findConflicts(claims, run.ctxOf, run.portKey);
  for (const cf of conflicts) findings.push(...conflictFindings(cf));

  // ---- per-binding findings
  // IPv4 claims first, so a dual-stack binding is described by its 0.0.0.0 half.
  const ordered = [...claims].sort((a, b) => familyRank(a.c.hostIp) - familyRank(b.c.hostIp));
  bindingFindings(state, ordered, run.ephemeralByHost, findings, run.missingNetns);
  hostNotes(run);

  findings.sort((a, b) => worstFirst(a, b) || a.code.localeCompare(b.code));
  const count: Record<ClaimantKind, number> = { container: 0, 'host-network-container': 0, 'host-process': 0, planned: 0 };
  for (const x of claims) count[x.c.kind]++;
  return { conflicts, findings, notes, claims: count };
}

// ---------------------------------------------------------------------------------------------
// One run of the analysis: the claims and findings it collects, and the per-host facts it reads.

interface PortsRun {
  state: NetworkState;
  view: StateView;
  claims: Claim[];
  findings: Finding[];
  notes: string[];
  /** Running containers whose namespace sockets were not captured (listener check skipped). */
  missingNetns: string[];
  ephemeralByHost: Map<string, { range: [number, number]; known: boolean }>;
  ctxOf: (hostId: string) => OverlapContext;
  /** Numeric bucket keys (host, protocol, port): no string building in the hot loops. */
  portKey: (hostId: string, protocol: Protocol, port: number) => number;
}

function newRun(state: NetworkState): PortsRun {
  const view = viewOf(state);
  const ctxByHost = new Map<string, OverlapContext>();
  const ephemeralByHost = new Map<string, { range: [number, number]; known: boolean }>();
  for (const h of state.hosts) {
    ctxByHost.set(h.id, { bindv6only: view.sysctl(h, 'net.ipv6.bindv6only') === '1' });
    ephemeralByHost.set(h.id, view.ephemeralRange(h));
  }
  const hostIndex = new Map<string, number>();
  return {
    state,
    view,
    claims: [],
    findings: [],
    notes: [],
    missingNetns: [],
    ephemeralByHost,
    ctxOf: (hostId) => ctxByHost.get(hostId) ?? { bindv6only: false },
    portKey: (hostId, protocol, port) => {
      let h = hostIndex.get(hostId);
      if (h === undefined) hostIndex.set(hostId, (h = hostIndex.size));
      return (h * 4 + PROTO_INDEX[protocol]) * 65536 + port;
    },
  };
}

const containerOwner = (c: Container) => `container:${c.id}`;
const composeOf = (c: Container) => (c.compose ? `${c.compose.project}/${c.compose.service}` : null);

/** Container bindings: in effect for running containers, configured (fixed ports) for stopped ones; ignored publishing is a finding. */
function containerClaims(run: PortsRun): void {
  const { state, claims, findings, view } = run;
  for (const ct of state.containers) {
    const mode = ct.networkMode.kind;
    if (mode === 'host' || mode === 'container' || mode === 'none') {
      if (ct.portBindings.length > 0 || ct.publishAll) {
        const code = mode === 'host' ? 'PUBLISH_IGNORED_HOST_MODE' : 'PUBLISH_IGNORED_SHARED_NETNS';
        findings.push({
          code,
          severity: 'warning',
          title: mode === 'host' ? 'Published ports are discarded with host networking' : `Published ports are ignored with network mode ${mode}`,
          message:
            mode === 'host'
              ? `${ct.name} uses --network host, so its -p bindings (${ct.portBindings.map(bindingText).join(', ') || '-P'}) do nothing: the app listens directly on the host's ports.`
              : `${ct.name} uses network mode ${mode}; Docker does not publish ports for it (${ct.portBindings.map(bindingText).join(', ') || '-P'}).`,
          subjects: [ct.name],
          evidence: [`containers[${ct.name}].networkMode: ${mode}`, `containers[${ct.name}].portBindings: ${ct.portBindings.map(bindingText).join(', ') || '(none)'}${ct.publishAll ? ' (publish all)' : ''}`],
          remediation:
            mode === 'host'
              ? 'Drop the -p flags and make the app listen on the wanted port, or use a bridge network if you need port mapping.'
              : 'Publish the ports on the container that owns the network namespace.',
        });
      }
      continue;
    }
    const configured = new Set(ct.portBindings.map((b) => `${b.containerPort}/${b.protocol}`));
    const fixed = new Set(ct.portBindings.filter((b) => b.hostPort !== null).map((b) => `${b.containerPort}/${b.protocol}`));
    if (ct.running) {
      if (ct.publishedPorts.length === 0 && ct.portBindings.length > 0) {
        const internal = ct.endpoints.filter((e) => view.networkOf(e)?.internal).map((e) => e.networkName);
        findings.push({
          code: 'PUBLISH_NOT_IN_EFFECT',
          severity: 'warning',
          title: 'Configured port bindings are not in effect',
          message:
            `${ct.name} is running and configured to publish ${ct.portBindings.map(bindingText).join(', ')}, but no binding is in effect` +
            (internal.length ? `: it is attached only to internal network(s) ${internal.join(', ')}, where Docker publishes nothing.` : '.'),
          subjects: [ct.name],
          evidence: [
            `containers[${ct.name}].portBindings: ${ct.portBindings.map(bindingText).join(', ')}`,
            `containers[${ct.name}].publishedPorts: (none)`,
            ...internal.map((n) => `networks[${n}].internal: true`),
          ],
          remediation: internal.length
            ? 'Attach the container to a non-internal network as well, or reach it from a container on the same internal network instead of through a host port.'
            : 'Restart the container and check the daemon log for the publishing error.',
        });
      }
      ct.publishedPorts.forEach((b, i) => {
        if (b.hostPort === null) return;
        const key = `${b.containerPort}/${b.protocol}`;
        claims.push(mkContainerClaim(ct, b, true, `containers[${ct.name}].publishedPorts[${i}]`, !fixed.has(key) && (configured.has(key) || ct.publishAll)));
      });
    } else {
      ct.portBindings.forEach((b, i) => {
        if (b.hostPort === null) return; // Docker picks a free port at start: no collision possible.
        claims.push(mkContainerClaim(ct, b, false, `containers[${ct.name}].portBindings[${i}]`, false));
      });
    }
  }
}

function mkContainerClaim(ct: Container, b: PortBinding, active: boolean, evidence: string, random: boolean): Claim {
  const ip = canonical(b.hostIp);
  return {
    c: {
      kind: 'container',
      name: ct.name,
      id: ct.id,
      hostId: ct.hostId,
      hostIp: ip,
      hostPort: b.hostPort!,
      hostPortEnd: b.hostPortEnd,
      protocol: b.protocol,
      containerPort: b.containerPort,
      active,
      state: ct.state,
      process: null,
      evidence,
    },
    owner: containerOwner(ct),
    compose: composeOf(ct),
    start: b.hostPort!,
    end: b.hostPortEnd ?? b.hostPort!,
    random,
  };
}

/** Host listeners: host processes and host-network containers holding ports (a docker-proxy on a binding is the binding itself). */
function hostListenerClaims(run: PortsRun): void {
  const { state, claims, findings, notes, view, portKey } = run;
  const hostModeByPid = new Map<string, Container>();
  for (const ct of state.containers) {
    if (ct.networkMode.kind === 'host' && ct.running && ct.pid) hostModeByPid.set(`${ct.hostId}:${ct.pid}`, ct);
  }
  const activeContainerClaims = claims.filter((x) => x.c.active);
  const activeIndex = new Map<number, Claim[]>();
  for (const x of activeContainerClaims) {
    for (let p = x.start; p <= x.end; p++) {
      const k = portKey(x.c.hostId, x.c.protocol, p);
      const list = activeIndex.get(k);
      if (list) list.push(x);
      else activeIndex.set(k, [x]);
    }
  }
  const matchesBinding = (hostId: string, l: Listener): boolean =>
    (activeIndex.get(portKey(hostId, l.protocol, l.port)) ?? []).some((x) => x.c.hostIp === canonical(l.address));

  const seenListener = new Set<string>();
  let assumedProxy = 0;
  const addListener = (h: Host, l: Listener, evidence: string): void => {
    const ip = canonical(l.address);
    const dedupe = `${h.id}|${l.protocol}|${ip}|${l.port}|${l.process?.pid ?? ''}`;
    if (seenListener.has(dedupe)) return;
    seenListener.add(dedupe);
    const proc = l.process;
    const hostCt = proc ? hostModeByPid.get(`${h.id}:${proc.pid}`) : undefined;
    if (!hostCt) {
      if (proc?.name === 'docker-proxy' && matchesBinding(h.id, l)) return; // the binding itself
      if (!proc && matchesBinding(h.id, l)) {
        assumedProxy++;
        return;
      }
    }
    const stale = proc?.name === 'docker-proxy';
    claims.push({
      c: {
        kind: hostCt ? 'host-network-container' : 'host-process',
        name: hostCt ? hostCt.name : proc ? (stale ? 'docker-proxy (no running container publishes this port)' : proc.name) : 'unknown process',
        id: hostCt ? hostCt.id : null,
        hostId: h.id,
        hostIp: ip,
        hostPort: l.port,
        hostPortEnd: null,
        protocol: l.protocol,
        containerPort: null,
        active: true,
        state: 'listening',
        process: proc,
        evidence,
      },
      owner: hostCt ? containerOwner(hostCt) : `process:${h.id}:${proc ? `${proc.name}:${proc.pid}` : `unknown:${ip}:${l.port}`}`,
      compose: hostCt ? composeOf(hostCt) : null,
      start: l.port,
      end: l.port,
      random: false,
    });
  };
  for (const h of state.hosts) {
    const ls = h.listeners;
    if (ls.status === 'unavailable' || !ls.value) {
      findings.push({
        code: 'EVIDENCE_MISSING',
        severity: 'info',
        title: 'Host listeners not captured: host-process check not done',
        message: `The listening sockets of host ${h.name} are not in the state (${ls.reason ?? 'unavailable'}), so netsleuth could not check whether a host process (or a host-network container) holds a published or planned port.`,
        subjects: [h.name],
        evidence: [`hosts[${h.name}].listeners: unavailable${ls.reason ? ` (${ls.reason})` : ''}`],
        remediation: 'Capture on the Docker host as root (sudo netsleuth snapshot capture), or run `ss -ltnup` there.',
      });
    } else {
      if (ls.status === 'partial') notes.push(`host ${h.name}: the listener list is partial (${ls.reason ?? 'no reason given'}); a host process may hold a port unseen`);
      ls.value.forEach((l, i) => addListener(h, l, `hosts[${h.name}].listeners[${i}]`));
    }
  }
  // Host-network containers: their namespace is the host's; attribute sockets of their own pid.
  for (const ct of state.containers) {
    if (ct.networkMode.kind !== 'host' || !ct.running || ct.netns.status === 'unavailable' || !ct.netns.value) continue;
    const h = view.host(ct);
    if (!h) continue;
    ct.netns.value.listeners.forEach((l, i) => {
      if (l.process && ct.pid && l.process.pid === ct.pid) addListener(h, l, `containers[${ct.name}].netns.listeners[${i}]`);
    });
  }
  if (assumedProxy > 0) {
    notes.push(`${assumedProxy} host listener(s) with no known process sit exactly on a published binding; taken to be docker-proxy for that binding`);
  }
}

/** Planned Compose bindings (ports --compose): claims on the host they will land on. */
function plannedClaims(run: PortsRun, planned: readonly PlannedBinding[]): void {
  const hostId = run.state.hosts[0]?.id ?? 'host';
  for (const p of planned) {
    if (p.hostPort === null) continue;
    const ips = p.hostIp === '' ? ['0.0.0.0', '::'] : [canonical(p.hostIp)];
    for (const ip of ips) {
      run.claims.push({
        c: {
          kind: 'planned',
          name: `${p.project}/${p.service}`,
          id: null,
          hostId,
          hostIp: ip,
          hostPort: p.hostPort,
          hostPortEnd: p.hostPortEnd,
          protocol: p.protocol,
          containerPort: p.containerPort,
          active: false,
          state: 'planned',
          process: null,
          evidence: p.source,
        },
        owner: `planned:${p.project}/${p.service}`,
        compose: `${p.project}/${p.service}`,
        start: p.hostPort,
        end: p.hostPortEnd ?? p.hostPort,
        random: false,
      });
    }
  }
}

/** What the run could not check: container sockets not captured, an assumed ephemeral range, swarm ingress ports. */
function hostNotes(run: PortsRun): void {
  const { state, claims, findings, notes, missingNetns, ephemeralByHost } = run;
  if (missingNetns.length) {
    findings.push({
      code: 'EVIDENCE_MISSING',
      severity: 'info',
      title: 'Container listeners not captured: listener check not done',
      message: `The sockets inside ${missingNetns.join(', ')} are not in the state, so netsleuth could not check whether the app behind each published port listens on an address the port mapping reaches.`,
      subjects: missingNetns,
      evidence: missingNetns.map((n) => `containers[${n}].netns: unavailable`),
      remediation: 'Capture on the Docker host as root, or run `ss -ltnu` inside the container.',
    });
  }
  for (const h of state.hosts) {
    const e = ephemeralByHost.get(h.id)!;
    if (!e.known && claims.some((x) => x.c.hostId === h.id && x.c.kind === 'container')) {
      notes.push(`host ${h.name}: net.ipv4.ip_local_port_range not captured; the Linux default ${DEFAULT_EPHEMERAL[0]}-${DEFAULT_EPHEMERAL[1]} was assumed for the ephemeral-range check`);
    }
    const sw = h.daemon.value?.swarm;
    if (sw && sw.state === 'active') {
      findings.push({
        code: 'EVIDENCE_MISSING',
        severity: 'info',
        title: 'Swarm ingress ports not checked',
        message: `Host ${h.name} is a swarm node: swarm services publish ports on every node through the ingress routing mesh, and services are not part of the snapshot, so those ports were not checked.`,
        subjects: [h.name],
        evidence: [`hosts[${h.name}].daemon.swarm.state: active`, ...state.networks.filter((n) => n.ingress).map((n) => `networks[${n.name}].ingress: true`)],
        remediation: 'List them with `docker service ls --format "{{.Name}} {{.Ports}}"` and compare.',
      });
    }
  }
}

// ------------------------------------------------------------------------------------------------

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
const familyRank = (ip: string): number => (familyOf(ip) === 'ipv6' ? 1 : 0);

function findConflicts(claims: Claim[], ctxOf: (hostId: string) => OverlapContext, portKey: (h: string, p: Protocol, port: number) => number): PortConflict[] {
  const buckets = new Map<number, number[]>();
  claims.forEach((x, i) => {
    for (let p = x.start; p <= x.end; p++) {
      const k = portKey(x.c.hostId, x.c.protocol, p);
      const b = buckets.get(k);
      if (b) b.push(i);
      else buckets.set(k, [i]);
    }
  });
  // per port: connected components of the "collides with" graph
  interface PortHit {
    hostId: string;
    protocol: Protocol;
    port: number;
    members: number[];
    ip: string;
  }
  const hits: PortHit[] = [];
  for (const [k, idx] of buckets) {
    if (idx.length < 2) continue;
    const first = claims[idx[0]!]!.owner;
    if (idx.every((i) => claims[i]!.owner === first)) continue;
    const { hostId, protocol } = claims[idx[0]!]!.c;
    const portS = k % 65536;
    const ctx = ctxOf(hostId);
    const parent = new Map<number, number>();
    const find = (a: number): number => {
      let r = a;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(a, r);
      return r;
    };
    const where = new Map<number, string>();
    for (let i = 0; i < idx.length; i++) {
      for (let j = i + 1; j < idx.length; j++) {
        const a = claims[idx[i]!]!;
        const b = claims[idx[j]!]!;
        if (a.owner === b.owner) continue;
        // compose recreates its own service's container: a planned binding does not collide with it
        if (a.compose && a.compose === b.compose && (a.c.kind === 'planned' || b.c.kind === 'planned')) continue;
        if (!addressesOverlap(a.c.hostIp, b.c.hostIp, ctx)) continue;
        for (const n of [idx[i]!, idx[j]!]) if (!parent.has(n)) parent.set(n, n);
        const ra = find(idx[i]!);
        const rb = find(idx[j]!);
        if (!where.has(ra) && !where.has(rb)) where.set(ra, intersection(a.c.hostIp, b.c.hostIp));
        if (ra !== rb) {
          parent.set(rb, ra);
          if (!where.has(ra) && where.has(rb)) where.set(ra, where.get(rb)!);
        }
      }
    }
    const groups = new Map<number, number[]>();
    for (const n of parent.keys()) {
      const r = find(n);
      const g = groups.get(r);
      if (g) g.push(n);
      else groups.set(r, [n]);
    }
    for (const [r, members] of groups) {
      members.sort((a, b) => a - b);
      hits.push({ hostId, protocol, port: Number(portS), members, ip: where.get(r) ?? claims[members[0]!]!.c.hostIp });
    }
  }
  // merge consecutive ports with the same claimants into one conflict
  hits.sort((a, b) => {
    const ka = `${a.hostId}|${a.protocol}|${a.members.join(',')}`;
    const kb = `${b.hostId}|${b.protocol}|${b.members.join(',')}`;
    return ka < kb ? -1 : ka > kb ? 1 : a.port - b.port;
  });
  const out: PortConflict[] = [];
  let prevKey = '';
  let prev: PortConflict | null = null;
  for (const h of hits) {
    const key = `${h.hostId}|${h.protocol}|${h.members.join(',')}|${h.ip}`;
    if (prev && key === prevKey && (prev.hostPortEnd ?? prev.hostPort) + 1 === h.port) {
      prev.hostPortEnd = h.port;
      continue;
    }
    prev = { hostId: h.hostId, hostIp: h.ip, hostPort: h.port, hostPortEnd: null, protocol: h.protocol, claimants: h.members.map((i) => claims[i]!.c) };
    prevKey = key;
    out.push(prev);
  }
  const kindRank: Record<ClaimantKind, number> = { container: 0, 'host-network-container': 1, 'host-process': 2, planned: 3 };
  for (const c of out) {
    c.claimants.sort((a, b) => Number(b.active) - Number(a.active) || kindRank[a.kind] - kindRank[b.kind] || a.name.localeCompare(b.name) || cmp(familyRank(a.hostIp), familyRank(b.hostIp)) || cmp(a.hostIp, b.hostIp) || cmp(a.evidence, b.evidence));
  }
  out.sort((a, b) => a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol) || a.hostIp.localeCompare(b.hostIp));
  return out;
}

function conflictFindings(cf: PortConflict): Finding[] {
  const where = `${formatHostPort(cf.hostIp, cf.hostPort, cf.hostPortEnd)}/${cf.protocol}`;
  const cs = cf.claimants;
  const evidence = cs.map((c) => `${c.evidence}: ${label(c)}`);
  const names = (xs: Claimant[]) => [...new Set(xs.map((c) => c.name))];
  const bindings = cs.filter((c) => c.kind === 'container' || c.kind === 'planned');
  const out: Finding[] = [];
  const procs = cs.filter((c) => c.kind === 'host-process');
  const hostCts = cs.filter((c) => c.kind === 'host-network-container');
  const planned = cs.filter((c) => c.kind === 'planned');
  const active = cs.filter((c) => c.kind === 'container' && c.active);
  const inactive = cs.filter((c) => c.kind === 'container' && !c.active);
  const distinctOwners = (xs: Claimant[]) => new Set(xs.map((c) => `${c.kind}:${c.id ?? c.name}`)).size;

  if (procs.length && bindings.length) {
    out.push({
      code: 'PORT_BOUND_BY_HOST_PROCESS',
      severity: 'error',
      title: `Host process holds ${where}`,
      message: `${names(procs).join(', ')} already listens on ${where}; ${names(bindings).join(', ')} ${bindings.some((b) => b.active) ? 'also publishes it: the two compete for the traffic' : 'cannot bind it: dockerd refuses with "address already in use"'}.`,
      subjects: [...names(bindings), ...names(procs)],
      evidence,
      remediation: `Stop or move the host service (ss -ltnup 'sport = :${cf.hostPort}' shows it), or publish on another host port or address.`,
    });
  }
  if (hostCts.length && (bindings.length || procs.length)) {
    out.push({
      code: 'PUBLISH_HOST_MODE_CONFLICT',
      severity: 'error',
      title: `Host-network container listens on ${where}`,
      message: `${names(hostCts).join(', ')} runs with --network host and listens on ${where}, which ${names([...bindings, ...procs]).join(', ')} also claims${bindings.some((b) => !b.active) ? '; dockerd will refuse the binding with "address already in use"' : ''}.`,
      subjects: [...names(hostCts), ...names([...bindings, ...procs])],
      evidence,
      remediation: 'Move the host-network container\'s app to another port, or publish the other container on a different host port.',
    });
  }
  if (hostCts.length > 1 && distinctOwners(hostCts) > 1 && !bindings.length && !procs.length) {
    out.push({
      code: 'PUBLISH_HOST_MODE_CONFLICT',
      severity: 'error',
      title: `Host-network containers both listen on ${where}`,
      message: `${names(hostCts).join(', ')} share the host's namespace and both listen on ${where}.`,
      subjects: names(hostCts),
      evidence,
      remediation: 'Give one of them another port.',
    });
  }
  if (planned.length && (active.length || inactive.length)) {
    const running = active.length > 0;
    out.push({
      code: running ? 'PORT_ALLOCATED_BY_CONTAINER' : 'PORT_CONFLICT_STOPPED_CONTAINER',
      severity: running ? 'error' : 'warning',
      title: running ? `Planned binding ${where} is already allocated` : `Planned binding ${where} collides with a stopped container`,
      message: running
        ? `${names(planned).join(', ')} plans ${where}, which ${names(active).join(', ')} already publishes: the deploy will fail with "Bind for ${formatHostPort(cf.hostIp, cf.hostPort)} failed: port is already allocated".`
        : `${names(planned).join(', ')} plans ${where}, which the ${names(inactive).join(', ')} container(s) (not running) are configured for: whichever starts second fails with "port is already allocated".`,
      subjects: [...names(planned), ...names([...active, ...inactive])],
      evidence,
      remediation: running
        ? `Change the published port in the compose file, bind a specific address, or stop ${names(active).join(', ')} first.`
        : `Remove the stale container(s) (docker rm ${names(inactive).join(' ')}) or change the planned port.`,
    });
  }
  if (planned.length && distinctOwners(planned) > 1) {
    out.push({
      code: 'PLANNED_PORT_DUPLICATE',
      severity: 'error',
      title: `Compose file plans ${where} twice`,
      message: `${names(planned).join(', ')} all plan ${where}; the second service to start will fail with "port is already allocated".`,
      subjects: names(planned),
      evidence,
      remediation: 'Give each service its own host port (or publish only the container port and let Docker pick).',
    });
  }
  if (!planned.length) {
    if (distinctOwners(active) > 1) {
      out.push({
        code: 'PORT_ALLOCATED_BY_CONTAINER',
        severity: 'error',
        title: `Running containers share ${where}`,
        message: `${names(active).join(', ')} are all running with ${where} published; only one can really own it.`,
        subjects: names(active),
        evidence,
        remediation: 'Publish each on its own host port or address.',
      });
    }
    if (inactive.length && (active.length || distinctOwners(inactive) > 1)) {
      out.push({
        code: 'PORT_CONFLICT_STOPPED_CONTAINER',
        severity: 'warning',
        title: `Stopped container configured for ${where}`,
        message: active.length
          ? `${names(inactive).join(', ')} (not running) is configured for ${where}, which ${names(active).join(', ')} holds: starting it fails with "Bind for ${formatHostPort(cf.hostIp, cf.hostPort)} failed: port is already allocated".`
          : `${names(inactive).join(', ')} (none running) are all configured for ${where}: only the first one started will get it.`,
        subjects: names([...inactive, ...active]),
        evidence,
        remediation: `Remove the stale container (docker rm ${names(inactive).join(' ')}) or recreate it with another host port.`,
      });
    }
  }
  return out;
}

function bindingFindings(
  state: NetworkState,
  claims: Claim[],
  ephemeralByHost: Map<string, { range: [number, number]; known: boolean }>,
  findings: Finding[],
  missingNetns: string[],
): void {
  const seen = new Set<string>();
  const once = (k: string) => (seen.has(k) ? false : (seen.add(k), true));
  const view = viewOf(state);

  for (const x of claims) {
    const c = x.c;
    if (c.kind === 'host-process') continue;
    const who = c.kind === 'planned' ? `${c.name} (planned, ${c.evidence})` : c.name;
    const port = `${formatHostPort(c.hostIp, c.hostPort, c.hostPortEnd)}/${c.protocol}`;
    // risky exposure: internal services on every address
    if (isWildcard(c.hostIp)) {
      const risky = RISKY_PORTS.get(c.containerPort ?? -1) ?? RISKY_PORTS.get(c.hostPort);
      const which = RISKY_PORTS.has(c.containerPort ?? -1) ? c.containerPort : c.hostPort;
      if (risky && c.protocol === 'tcp' && once(`risky|${x.owner}|${c.hostPort}`)) {
        findings.push({
          code: 'RISKY_EXPOSURE',
          severity: 'warning',
          title: `${risky} port published on all addresses`,
          message: `${who} exposes ${which} (${risky}) on ${port}: every network that reaches this host reaches it${c.kind === 'container' ? ', and Docker\'s DNAT rules bypass host firewalls such as ufw' : ''}.`,
          subjects: [c.name],
          evidence: [`${c.evidence}: ${label(c)}`],
          remediation: `Publish on 127.0.0.1 (-p 127.0.0.1:${c.hostPort}:${c.containerPort ?? c.hostPort}) or a private address, or keep it unpublished and reach it over a Docker network.`,
        });
      }
    }
    if (c.kind === 'host-network-container') continue;
    if (isLoopback(c.hostIp) && c.kind === 'container' && once(`lo|${x.owner}|${c.hostPort}|${c.protocol}`)) {
      findings.push({
        code: 'PUBLISH_LOOPBACK_ONLY',
        severity: 'info',
        title: `Published on loopback only: ${port}`,
        message: `${who} publishes ${port}: only clients on this host can use it; remote clients get "connection refused".`,
        subjects: [c.name],
        evidence: [`${c.evidence}: ${label(c)}`],
        remediation: 'Fine for local-only services; to serve remote clients publish on 0.0.0.0 or a specific host address.',
      });
    }
    if (c.hostPort < 1024 && once(`priv|${x.owner}|${c.hostPort}|${c.protocol}`)) {
      findings.push({
        code: 'PRIVILEGED_PORT',
        severity: 'info',
        title: `Privileged host port ${c.hostPort}`,
        message: `${who} publishes privileged port ${port}; dockerd (root) binds it, and rootless Docker cannot without net.ipv4.ip_unprivileged_port_start or CAP_NET_BIND_SERVICE.`,
        subjects: [c.name],
        evidence: [`${c.evidence}: ${label(c)}`],
        remediation: 'Nothing to do on rootful Docker; for rootless, use a port ≥ 1024 or lower net.ipv4.ip_unprivileged_port_start.',
      });
    }
    const eph = ephemeralByHost.get(c.hostId) ?? { range: DEFAULT_EPHEMERAL, known: false };
    const [lo, hi] = eph.range;
    const end = c.hostPortEnd ?? c.hostPort;
    if (c.hostPort <= hi && end >= lo && once(`eph|${x.owner}|${c.hostPort}|${c.protocol}`)) {
      const rangeEv = eph.known ? `hosts.sysctls["net.ipv4.ip_local_port_range"]: ${lo} ${hi}` : `net.ipv4.ip_local_port_range not captured: assumed ${lo} ${hi}`;
      findings.push({
        code: 'EPHEMERAL_RANGE_PORT',
        severity: x.random ? 'info' : 'warning',
        title: `Host port ${c.hostPort} lies in the ephemeral port range`,
        message: x.random
          ? `${who} got ${port} from Docker (-P or -p without a host port), inside the kernel's ephemeral range ${lo}-${hi}: it changes on every restart, and an outgoing connection can hold it meanwhile.`
          : `${who} uses fixed ${port}, inside the kernel's ephemeral range ${lo}-${hi}: an outgoing connection can take the port while the container is stopped, and its next start fails with "address already in use".`,
        subjects: [c.name],
        evidence: [`${c.evidence}: ${label(c)}`, rangeEv],
        remediation: x.random
          ? 'Publish a fixed host port outside the range if clients need a stable address.'
          : `Pick a host port below ${lo}, or reserve it with net.ipv4.ip_local_reserved_ports=${c.hostPort}.`,
      });
    }
    // the app behind an active published port: does it listen where the mapping reaches?
    if (c.kind === 'container' && c.active && c.id && c.containerPort !== null) {
      const ct = view.container(c.id);
      if (!ct || !once(`lst|${ct.id}|${c.containerPort}|${c.protocol}`)) continue;
      if (ct.netns.status === 'unavailable' || !ct.netns.value) {
        if (once(`mn|${ct.id}`)) missingNetns.push(ct.name);
        continue;
      }
      if (c.protocol === 'sctp') continue;
      const ls = ct.netns.value.listeners.filter((l) => l.port === c.containerPort && l.protocol === c.protocol);
      const reachable = ls.filter((l) => !isLoopback(canonical(l.address)));
      if (ls.length > 0 && reachable.length === 0) {
        findings.push({
          code: 'PUBLISH_LISTENER_LOOPBACK_ONLY',
          severity: 'error',
          title: `App behind ${port} listens on loopback only`,
          message: `${ct.name} publishes ${port} to container port ${c.containerPort}/${c.protocol}, but inside its namespace the app listens only on ${ls.map((l) => formatHostPort(canonical(l.address), l.port)).join(', ')}: forwarded connections arrive on the container's interface and are refused.`,
          subjects: [ct.name],
          evidence: [`${c.evidence}: ${label(c)}`, ...ls.map((l) => `containers[${ct.name}].netns.listeners: ${l.protocol} ${formatHostPort(canonical(l.address), l.port)}${l.process ? ` (${l.process.name})` : ''}`)],
          remediation: `Make the app listen on 0.0.0.0 (or ::) inside the container, e.g. --bind 0.0.0.0:${c.containerPort}.`,
        });
      } else if (ls.length === 0 && c.protocol === 'tcp' && ct.netns.status === 'ok') {
        findings.push({
          code: 'PUBLISH_NO_LISTENER',
          severity: 'warning',
          title: `Nothing listens behind ${port}`,
          message: `${ct.name} publishes ${port} to container port ${c.containerPort}/tcp, but nothing listens on that port inside its namespace: connections are refused or reset.`,
          subjects: [ct.name],
          evidence: [`${c.evidence}: ${label(c)}`, `containers[${ct.name}].netns.listeners: none on ${c.containerPort}/tcp`],
          remediation: 'Check the app is up and its configured port matches the published container port.',
        });
      }
    }
  }
}
