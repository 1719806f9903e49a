// The normalized network state. Sources (Docker Engine API, host collectors, snapshot files)
// produce it; analyses read it and never know where it came from.
//
// Every piece of evidence that may be missing is wrapped in `Section<T>`: a host's firewall or
// routes may be unreadable (remote daemon, no root), and analyses must be able to tell "empty"
// from "not known" — missing evidence makes a verdict `unknown`, never a guess.

export type SectionStatus = 'ok' | 'partial' | 'unavailable';

export interface Section<T> {
  status: SectionStatus;
  /** Why the section is partial or unavailable; absent when ok. */
  reason?: string;
  /** Where the data came from: an API path, a command line, a file path. */
  source: string;
  /** null only when status is `unavailable`. */
  value: T | null;
}

export type AddressFamily = 'ipv4' | 'ipv6';

/** An address with its prefix length, e.g. 172.18.0.2/16. */
export interface InterfaceAddress {
  family: AddressFamily;
  address: string;
  prefixLength: number;
}

// ---------------------------------------------------------------------------------------------
// Host

export interface NetInterface {
  name: string;
  index: number | null;
  /** Link kind from `ip -d link` (veth, bridge, vxlan, macvlan, ipvlan, dummy, ...), or 'device'. */
  kind: string;
  mtu: number | null;
  /** Operational state as the kernel reports it (UP, DOWN, UNKNOWN, LOWERLAYERDOWN, ...). */
  operState: string;
  flags: string[];
  mac: string | null;
  /** Bridge (or bond) this interface is enslaved to. */
  master: string | null;
  /** For veth: ifindex of the peer, and the netns id it lives in when not this namespace. */
  peerIndex: number | null;
  linkNetnsId: number | null;
  addresses: InterfaceAddress[];
}

export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'multicast'
  | 'anycast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw'
  | 'nat';

export interface Route {
  family: AddressFamily;
  /** `main`, `local`, `default` or a table number as text. */
  table: string;
  type: RouteType;
  /** Destination prefix in CIDR form; the default route is 0.0.0.0/0 or ::/0. */
  dst: string;
  dev: string | null;
  gateway: string | null;
  prefsrc: string | null;
  metric: number | null;
  scope: string | null;
  protocol: string | null;
  mtu: number | null;
}

export interface PolicyRule {
  family: AddressFamily;
  priority: number;
  /** Selector negated (`not`). */
  invert: boolean;
  from: string | null;
  to: string | null;
  iif: string | null;
  oif: string | null;
  fwmark: string | null;
  /** lookup: consult `table`; goto: jump to rule `target`; others end the lookup. */
  action: 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';
  table: string | null;
  target: number | null;
  suppressPrefixLength: number | null;
}

export interface Listener {
  protocol: 'tcp' | 'udp';
  family: AddressFamily;
  /** Local address the socket is bound to (0.0.0.0 / :: for wildcards). */
  address: string;
  port: number;
  process: { name: string; pid: number } | null;
}

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
  /** The file as read, so later versions can re-parse it. */
  raw: string;
}

export interface HostsEntry {
  address: string;
  names: string[];
}

/** Raw firewall evidence; parsing lives in the firewall engine so old snapshots can be re-parsed. */
export interface FirewallEvidence {
  /** `iptables-save` output (whichever backend the host's `iptables` is). */
  iptablesSave: string | null;
  ip6tablesSave: string | null;
  /** `nft -j list ruleset` output. */
  nftJson: string | null;
  ipsetSave: string | null;
  /** `nf_tables` or `legacy`, from `iptables --version`. */
  iptablesBackend: 'nf_tables' | 'legacy' | null;
}

/** Raw command output kept in the snapshot so a later version can re-parse it. */
export interface RawEvidence {
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface DaemonInfo {
  version: string | null;
  apiVersion: string | null;
  minApiVersion: string | null;
  /** API version this capture spoke (negotiated). */
  negotiatedApiVersion: string | null;
  os: string | null;
  osType: string | null;
  arch: string | null;
  kernelVersion: string | null;
  name: string | null;
  id: string | null;
  ipv4Forwarding: boolean | null;
  bridgeNfIptables: boolean | null;
  bridgeNfIp6tables: boolean | null;
  /** `FirewallBackend.Driver` from /info (API ≥ 1.48), e.g. iptables, nftables. */
  firewallBackend: string | null;
  defaultAddressPools: Array<{ base: string; size: number }>;
  warnings: string[];
  swarm: { state: string; nodeId: string | null; nodeAddr: string | null } | null;
}

/** Daemon networking options not visible through the API, from /etc/docker/daemon.json. */
export interface DaemonConfig {
  /** The parsed file as-is, minus anything that is not networking-related. */
  raw: Record<string, unknown>;
  iptables: boolean | null;
  ip6tables: boolean | null;
  ipForward: boolean | null;
  ipMasq: boolean | null;
  userlandProxy: boolean | null;
  icc: boolean | null;
  bip: string | null;
  mtu: number | null;
  dns: string[];
  dnsSearch: string[];
  dnsOpts: string[];
  defaultAddressPools: Array<{ base: string; size: number }>;
  firewallBackend: string | null;
}

export interface Host {
  id: string;
  name: string;
  daemon: Section<DaemonInfo>;
  daemonConfig: Section<DaemonConfig>;
  interfaces: Section<NetInterface[]>;
  routes: Section<Route[]>;
  rules: Section<PolicyRule[]>;
  firewall: Section<FirewallEvidence>;
  listeners: Section<Listener[]>;
  /** Relevant sysctls: net.ipv4.ip_forward, net.bridge.bridge-nf-call-iptables, ... */
  sysctls: Section<Record<string, string>>;
  resolvConf: Section<ResolvConf>;
  /** Command outputs the sections were parsed from, by a stable key (e.g. `ip-route`). */
  raw: Record<string, RawEvidence>;
}

// ---------------------------------------------------------------------------------------------
// Docker networks

export interface IpamConfig {
  subnet: string | null;
  ipRange: string | null;
  gateway: string | null;
  auxAddresses: Record<string, string>;
}

export interface Network {
  id: string;
  name: string;
  hostId: string;
  /** bridge, host, null, overlay, macvlan, ipvlan, or a plug-in's name. */
  driver: string;
  scope: string;
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  /** null when the daemon does not report it (API < 1.48): IPv4 is then on. */
  enableIPv4: boolean | null;
  enableIPv6: boolean;
  ipam: { driver: string; configs: IpamConfig[]; options: Record<string, string> };
  options: Record<string, string>;
  labels: Record<string, string>;
  created: string | null;
  configOnly: boolean;
  configFrom: string | null;
  /** For bridge networks: the Linux bridge interface (docker0, br-<id12>, or the name option). */
  bridgeName: string | null;
}

// ---------------------------------------------------------------------------------------------
// Containers

export type NetworkMode =
  | { kind: 'network'; network: string }
  | { kind: 'default' }
  | { kind: 'host' }
  | { kind: 'none' }
  | { kind: 'container'; container: string };

export interface Endpoint {
  networkId: string;
  networkName: string;
  endpointId: string | null;
  ipv4: InterfaceAddress | null;
  ipv6: InterfaceAddress | null;
  gateway: string | null;
  ipv6Gateway: string | null;
  mac: string | null;
  aliases: string[];
  /** Names the embedded DNS answers for this endpoint (API ≥ 1.44), else derived. */
  dnsNames: string[];
  links: string[];
  /** Static addresses requested with --ip/--ip6. */
  ipamConfig: { ipv4: string | null; ipv6: string | null } | null;
}

export interface PortSpec {
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface PortBinding {
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** '' in Docker's config means all addresses; normalized to 0.0.0.0 or :: here. */
  hostIp: string;
  /** null when Docker picks one (`-p 80` or -P) and the container is not running. */
  hostPort: number | null;
  /** For ranges like 8000-8010:80 the end of the host range. */
  hostPortEnd: number | null;
}

export interface ContainerNetns {
  interfaces: NetInterface[];
  routes: Route[];
  listeners: Listener[];
}

export interface Container {
  id: string;
  name: string;
  hostId: string;
  image: string;
  /** created, running, paused, restarting, removing, exited, dead */
  state: string;
  running: boolean;
  pid: number | null;
  networkMode: NetworkMode;
  endpoints: Endpoint[];
  exposedPorts: PortSpec[];
  /** Configured bindings (HostConfig.PortBindings). */
  portBindings: PortBinding[];
  /** Bindings in effect (NetworkSettings.Ports); empty when not running. */
  publishedPorts: PortBinding[];
  publishAll: boolean;
  dns: { servers: string[]; search: string[]; options: string[] };
  extraHosts: Array<{ name: string; address: string }>;
  labels: Record<string, string>;
  compose: { project: string; service: string; containerNumber: string | null; oneoff: boolean } | null;
  hostname: string | null;
  domainname: string | null;
  sandboxKey: string | null;
  restartCount: number;
  health: string | null;
  /** The container's effective /etc/resolv.conf and /etc/hosts, read via the archive endpoint. */
  resolvConf: Section<ResolvConf>;
  hostsFile: Section<HostsEntry[]>;
  /** Routes, interfaces and listeners inside the container's namespace (host capture only). */
  netns: Section<ContainerNetns>;
}

export interface NetworkState {
  hosts: Host[];
  networks: Network[];
  containers: Container[];
}

// ---------------------------------------------------------------------------------------------
// Snapshot document

export const SNAPSHOT_SCHEMA = 'netsleuth.snapshot/v1';

export interface CaptureMeta {
  time: string;
  durationMs: number;
  tool: { name: string; version: string };
  /** Who and where: the capturing user and machine, and the daemon endpoint. */
  by: { user: string | null; hostname: string | null };
  source: { kind: 'docker'; endpoint: string; context: string | null };
  /** Containers listed but gone before they could be inspected. */
  vanished: Array<{ id: string; name: string; reason: string }>;
  warnings: string[];
}

export interface Snapshot {
  schema: typeof SNAPSHOT_SCHEMA;
  capture: CaptureMeta;
  state: NetworkState;
}
