// The topology as a graph model for pictures (`netsleuth graph`): the host, its Docker networks,
// containers with their network mode, endpoints (container ↔ network, with addresses) and
// published ports. Renderers (DOT, mermaid, SVG) only draw this; they never read the state.
// Pure: no I/O.

import type { Severity } from '../model/finding.js';
import { viewOf } from '../model/view.js';
import type { Container, NetworkState, PortBinding } from '../model/types.js';
import { runDoctor } from './doctor/index.js';

export interface TopoHost {
  key: string;
  id: string;
  name: string;
  dockerVersion: string | null;
}

export interface TopoNetwork {
  key: string;
  id: string;
  name: string;
  driver: string;
  subnets: string[];
  internal: boolean;
  /** ICC disabled on a bridge network (containers on it cannot talk to each other). */
  iccDisabled: boolean;
  bridge: string | null;
  hostKey: string;
}

export type TopoMode = 'network' | 'default' | 'host' | 'none' | 'container';

export interface TopoPort {
  hostIp: string;
  hostPort: number | null;
  hostPortEnd: number | null;
  containerPort: number;
  protocol: string;
  /** false: configured on a container that is not running (it claims the port when started). */
  active: boolean;
  /** `0.0.0.0:8080->80/tcp` */
  text: string;
}

export interface TopoContainer {
  key: string;
  id: string;
  name: string;
  state: string;
  running: boolean;
  mode: TopoMode;
  /** Key of the container whose namespace this one shares (mode `container`), when known. */
  sharesWith: string | null;
  /** The raw target (id or name) for mode `container`, also when it is not in the state. */
  sharesWithRef: string | null;
  hostKey: string;
  ports: TopoPort[];
  compose: { project: string; service: string } | null;
}

export interface TopoEndpoint {
  container: string;
  network: string;
  ipv4: string | null;
  ipv6: string | null;
}

/** A doctor finding the picture marks on its boxes (see GRAPH_FINDING_CODES). */
export interface TopoFinding {
  /** 1, 2, …: the badge number on the boxes and in the legend. */
  id: number;
  code: string;
  severity: Severity;
  title: string;
  /** Keys of the drawn hosts, networks and containers the finding names (its subjects). */
  nodes: string[];
}

export interface Topology {
  hosts: TopoHost[];
  networks: TopoNetwork[];
  containers: TopoContainer[];
  endpoints: TopoEndpoint[];
  /** The network the picture was limited to, if any. */
  focus: string | null;
  /** Findings about what is drawn, worst first, numbered. */
  findings: TopoFinding[];
}

/**
 * The doctor checks a picture of the topology marks: who fights over a host port (running or
 * stopped), what listens where it cannot be reached, who cannot talk to whom (icc=false, blocked
 * compose siblings), published ports that cannot work, names a stopped container would clash on.
 * Host-level checks (DNS, MTU, firewall lint, routes) are `doctor`'s; they have no box to sit on.
 */
export const GRAPH_FINDING_CODES: readonly string[] = [
  'PORT_ALLOCATED_BY_CONTAINER',
  'PORT_BOUND_BY_HOST_PROCESS',
  'PORT_CONFLICT_STOPPED_CONTAINER',
  'PUBLISH_HOST_MODE_CONFLICT',
  'PUBLISH_LISTENER_LOOPBACK_ONLY',
  'PUBLISH_NO_LISTENER',
  'RISKY_EXPOSURE',
  'ICC_DISABLED_ISOLATION',
  'COMPOSE_SIBLING_UNREACHABLE',
  'INTERNAL_NETWORK_PUBLISHED_PORT',
  'STOPPED_CONTAINER_NAME_CLASH',
];

export class TopologyFilterError extends Error {}

/** Networks that are not a segment of their own: `host` shares the host's stack, `null` has none. */
const PSEUDO_DRIVERS = new Set(['host', 'null']);

export function portText(b: Pick<PortBinding, 'hostIp' | 'hostPort' | 'hostPortEnd' | 'containerPort' | 'protocol'>): string {
  const ip = b.hostIp.includes(':') ? `[${b.hostIp}]` : b.hostIp;
  const hp = b.hostPort === null ? '(ephemeral)' : b.hostPortEnd !== null && b.hostPortEnd !== b.hostPort ? `${b.hostPort}-${b.hostPortEnd}` : String(b.hostPort);
  return `${ip}:${hp}->${b.containerPort}/${b.protocol}`;
}

function ports(c: Container): TopoPort[] {
  // Running: what is in effect. Otherwise: what it will claim when started.
  const list = c.running ? c.publishedPorts : c.portBindings;
  return list.map((b) => ({ hostIp: b.hostIp, hostPort: b.hostPort, hostPortEnd: b.hostPortEnd, containerPort: b.containerPort, protocol: b.protocol, active: c.running, text: portText(b) }));
}

/** `findings: false` skips the doctor checks (a picture without badges). */
export function buildTopology(state: NetworkState, opts: { network?: string; findings?: boolean } = {}): Topology {
  const hosts: TopoHost[] = state.hosts.map((h, i) => ({ key: `h${i}`, id: h.id, name: h.name, dockerVersion: h.daemon.value?.version ?? null }));
  const hostKey = (id: string) => hosts.find((h) => h.id === id)?.key ?? hosts[0]?.key ?? 'h0';
  if (hosts.length === 0) hosts.push({ key: 'h0', id: '', name: 'host', dockerVersion: null });

  const realNets = state.networks.filter((n) => !PSEUDO_DRIVERS.has(n.driver) && !n.configOnly);
  let focus: string | null = null;
  if (opts.network !== undefined) {
    // Named like every network: name, id or unique id prefix (the view's rule, with did-you-mean).
    const f = viewOf(state).resolveNetwork(opts.network);
    if (PSEUDO_DRIVERS.has(f.driver) || f.configOnly) {
      throw new TopologyFilterError(
        f.configOnly
          ? `network ${f.name} is a config-only network; it has no segment to draw`
          : `network ${f.name} (driver ${f.driver}) has no segment to draw; its containers show as network mode ${f.driver === 'null' ? 'none' : 'host'} in the full graph`,
      );
    }
    focus = f.name;
  }
  const nets = focus ? realNets.filter((n) => n.name === focus) : realNets;
  const networks: TopoNetwork[] = nets.map((n, i) => ({
    key: `n${i}`,
    id: n.id,
    name: n.name,
    driver: n.driver,
    subnets: n.ipam.configs.map((c) => c.subnet).filter((s): s is string => !!s),
    internal: n.internal,
    iccDisabled: n.options['com.docker.network.bridge.enable_icc'] === 'false',
    bridge: n.bridgeName,
    hostKey: hostKey(n.hostId),
  }));
  const netById = new Map(nets.map((n, i) => [n.id, networks[i]!]));
  const netByName = new Map(nets.map((n, i) => [`${n.hostId}\u0000${n.name}`, networks[i]!]));

  const all: TopoContainer[] = state.containers.map((c, i) => ({
    key: `c${i}`,
    id: c.id,
    name: c.name,
    state: c.state,
    running: c.running,
    mode: c.networkMode.kind,
    sharesWith: null,
    sharesWithRef: c.networkMode.kind === 'container' ? c.networkMode.container : null,
    hostKey: hostKey(c.hostId),
    ports: ports(c),
    compose: c.compose ? { project: c.compose.project, service: c.compose.service } : null,
  }));
  for (const t of all) {
    if (!t.sharesWithRef) continue;
    const ref = t.sharesWithRef;
    const owner = all.find((o) => o.hostKey === t.hostKey && (o.id === ref || o.name === ref || (ref.length >= 12 && o.id.startsWith(ref))));
    if (owner && owner !== t) t.sharesWith = owner.key;
  }

  const endpoints: TopoEndpoint[] = [];
  state.containers.forEach((c, i) => {
    for (const ep of c.endpoints) {
      const n = netById.get(ep.networkId) ?? netByName.get(`${c.hostId}\u0000${ep.networkName}`);
      if (!n) continue;
      endpoints.push({
        container: all[i]!.key,
        network: n.key,
        ipv4: ep.ipv4 ? `${ep.ipv4.address}/${ep.ipv4.prefixLength}` : null,
        ipv6: ep.ipv6 ? `${ep.ipv6.address}/${ep.ipv6.prefixLength}` : null,
      });
    }
  });

  let containers = all;
  if (focus) {
    // The focused network's containers, and the ones sharing their namespaces.
    const keep = new Set(endpoints.map((e) => e.container));
    for (const t of all) if (t.sharesWith && keep.has(t.sharesWith)) keep.add(t.key);
    containers = all.filter((t) => keep.has(t.key));
  }
  const topo: Topology = { hosts, networks, containers, endpoints, focus, findings: [] };
  topo.findings = opts.findings === false ? [] : topologyFindings(state, topo);
  return topo;
}

/** The GRAPH_FINDING_CODES findings of `doctor`, tied to the boxes of `t` their subjects name. */
export function topologyFindings(state: NetworkState, t: Topology): TopoFinding[] {
  const { findings } = runDoctor(state, { only: [...GRAPH_FINDING_CODES] });
  // Subjects are names (containers first: a network may share a container's name).
  const byName = new Map<string, string>();
  for (const h of t.hosts) byName.set(h.name, h.key);
  for (const n of t.networks) byName.set(n.name, n.key);
  for (const c of t.containers) byName.set(c.name, c.key);
  const out: TopoFinding[] = [];
  for (const f of findings) {
    if (!GRAPH_FINDING_CODES.includes(f.code)) continue;
    const nodes = [...new Set(f.subjects.map((s) => byName.get(s)).filter((k): k is string => !!k))];
    if (!nodes.length) continue;
    out.push({ id: out.length + 1, code: f.code, severity: f.severity, title: f.title, nodes });
  }
  return out;
}

/** Labels of strangers' names for drawing: control characters made visible, broken UTF-16 replaced. */
export function labelText(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[\uFFFE\uFFFF]/g, '\uFFFD');
}

/** The lines of text each kind of node carries; the three renderers share them. */
export function hostLines(h: TopoHost): string[] {
  return [`host ${h.name}`, ...(h.dockerVersion ? [`Docker ${h.dockerVersion}`] : [])].map(labelText);
}

export function networkLines(n: TopoNetwork): string[] {
  const flags = [n.driver, n.internal ? 'internal' : '', n.iccDisabled ? 'icc off' : ''].filter(Boolean).join(', ');
  return [`${n.name}`, `(${flags})`, ...n.subnets, ...(n.bridge ? [n.bridge] : [])].map(labelText);
}

export function modeText(c: TopoContainer, t: Topology): string {
  switch (c.mode) {
    case 'host':
      return 'network: host';
    case 'none':
      return 'network: none';
    case 'container': {
      const owner = t.containers.find((o) => o.key === c.sharesWith);
      return `network: container:${owner ? owner.name : (c.sharesWithRef ?? '?').slice(0, 12)}`;
    }
    default:
      return '';
  }
}

export function containerLines(c: TopoContainer, t: Topology): string[] {
  const mode = modeText(c, t);
  return [c.name, `[${c.state}]`, ...(mode ? [mode] : [])].map(labelText);
}

export function endpointLabel(e: TopoEndpoint): string {
  return labelText([e.ipv4, e.ipv6].filter(Boolean).join(' ') || 'no address');
}

export function portLabel(p: TopoPort): string {
  return labelText(p.active ? p.text : `${p.text} (not started)`);
}
