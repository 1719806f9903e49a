// Pure mapping from Docker Engine API JSON to the model. No I/O: the capture feeds it what the
// daemon returned, and tests feed it recorded responses from several API versions.
//
// The API is an open schema that moved over time (API 1.52 dropped the top-level
// NetworkSettings.IPAddress/Gateway/MacAddress; DNSNames appeared in 1.44; EnableIPv4 in 1.48), so
// every field is read defensively and both shapes are accepted.

import type {
  Container,
  DaemonInfo,
  Endpoint,
  InterfaceAddress,
  IpamConfig,
  Network,
  NetworkMode,
  PortBinding,
  PortSpec,
} from '../../model/types.js';
import { familyOf } from '../../net/addr.js';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === 'string') out[k] = val;
  return out;
};

export function mapDaemonInfo(info: unknown, version: unknown, negotiatedApiVersion: string | null): DaemonInfo {
  const i = obj(info);
  const v = obj(version);
  const swarm = obj(i.Swarm);
  const pools = Array.isArray(i.DefaultAddressPools) ? i.DefaultAddressPools : [];
  return {
    version: str(v.Version) ?? str(i.ServerVersion),
    apiVersion: str(v.ApiVersion),
    minApiVersion: str(v.MinAPIVersion),
    negotiatedApiVersion,
    os: str(i.OperatingSystem) ?? str(v.Os),
    osType: str(i.OSType) ?? str(v.Os),
    arch: str(i.Architecture) ?? str(v.Arch),
    kernelVersion: str(i.KernelVersion) ?? str(v.KernelVersion),
    name: str(i.Name),
    id: str(i.ID),
    ipv4Forwarding: bool(i.IPv4Forwarding),
    bridgeNfIptables: bool(i.BridgeNfIptables),
    bridgeNfIp6tables: bool(i.BridgeNfIp6tables),
    firewallBackend: str(obj(i.FirewallBackend).Driver),
    defaultAddressPools: pools
      .map((p) => obj(p))
      .filter((p) => typeof p.Base === 'string')
      .map((p) => ({ base: p.Base as string, size: num(p.Size) ?? 0 })),
    warnings: strList(i.Warnings),
    swarm: str(swarm.LocalNodeState)
      ? { state: str(swarm.LocalNodeState)!, nodeId: str(swarm.NodeID), nodeAddr: str(swarm.NodeAddr) }
      : null,
  };
}

/** The Linux bridge a bridge-driver network uses: the name option, docker0 for the default one, else br-<id12>. */
export function bridgeNameOf(driver: string, name: string, id: string, options: Record<string, string>): string | null {
  if (driver !== 'bridge') return null;
  const named = options['com.docker.network.bridge.name'];
  if (named) return named;
  if (name === 'bridge' || options['com.docker.network.bridge.default_bridge'] === 'true') return 'docker0';
  return `br-${id.slice(0, 12)}`;
}

export function mapNetwork(raw: unknown, hostId: string): Network {
  const n = obj(raw);
  const id = str(n.Id) ?? str(n.ID) ?? '';
  const name = str(n.Name) ?? id;
  const driver = str(n.Driver) ?? 'unknown';
  const options = strMap(n.Options);
  const ipam = obj(n.IPAM);
  const configs: IpamConfig[] = (Array.isArray(ipam.Config) ? ipam.Config : []).map((c) => {
    const cfg = obj(c);
    return {
      subnet: str(cfg.Subnet),
      ipRange: str(cfg.IPRange),
      gateway: str(cfg.Gateway),
      auxAddresses: strMap(cfg.AuxiliaryAddresses),
    };
  });
  const configFrom = str(obj(n.ConfigFrom).Network);
  return {
    id,
    name,
    hostId,
    driver,
    scope: str(n.Scope) ?? 'local',
    internal: n.Internal === true,
    attachable: n.Attachable === true,
    ingress: n.Ingress === true,
    enableIPv4: bool(n.EnableIPv4),
    enableIPv6: n.EnableIPv6 === true,
    ipam: { driver: str(ipam.Driver) ?? 'default', configs, options: strMap(ipam.Options) },
    options,
    labels: strMap(n.Labels),
    created: str(n.Created),
    configOnly: n.ConfigOnly === true,
    configFrom,
    bridgeName: bridgeNameOf(driver, name, id, options),
  };
}

export function parseNetworkMode(mode: string | null): NetworkMode {
  if (!mode || mode === 'default') return { kind: 'default' };
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  if (mode.startsWith('container:')) return { kind: 'container', container: mode.slice('container:'.length) };
  return { kind: 'network', network: mode };
}

/** "80/tcp" → {port: 80, protocol: 'tcp'}; a bare "80" is tcp, as Docker treats it. */
export function parsePortKey(key: string): PortSpec | null {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key.trim());
  if (!m) return null;
  const port = Number(m[1]);
  if (port > 65535) return null;
  return { port, protocol: (m[2] as PortSpec['protocol']) ?? 'tcp' };
}

/** A PortMap ({"80/tcp": [{HostIp, HostPort}] | null}) as bindings; ranges "8000-8010" are kept. */
export function mapPortMap(raw: unknown): PortBinding[] {
  const out: PortBinding[] = [];
  for (const [key, list] of Object.entries(obj(raw))) {
    const spec = parsePortKey(key);
    if (!spec || !Array.isArray(list)) continue;
    for (const b of list) {
      const binding = obj(b);
      const hostPortText = str(binding.HostPort);
      let hostPort: number | null = null;
      let hostPortEnd: number | null = null;
      if (hostPortText) {
        const m = /^(\d+)(?:-(\d+))?$/.exec(hostPortText);
        if (m) {
          hostPort = Number(m[1]);
          hostPortEnd = m[2] ? Number(m[2]) : null;
        }
      }
      out.push({
        containerPort: spec.port,
        protocol: spec.protocol,
        // Docker's '' means every address; say so explicitly.
        hostIp: str(binding.HostIp) ?? '0.0.0.0',
        hostPort: hostPort === 0 ? null : hostPort,
        hostPortEnd,
      });
    }
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol) || a.hostIp.localeCompare(b.hostIp));
}

/** ExtraHosts entries are "name:address" (address may hold colons) or, newer, "name=address". */
export function parseExtraHost(entry: string): { name: string; address: string } | null {
  const eq = entry.indexOf('=');
  const colon = entry.indexOf(':');
  const cut = eq > 0 && (colon < 0 || eq < colon) ? eq : colon;
  if (cut <= 0) return null;
  return { name: entry.slice(0, cut), address: entry.slice(cut + 1) };
}

function address(ip: string | null, prefix: number | null): InterfaceAddress | null {
  if (!ip) return null;
  // The daemon's text is kept as given; text that is no address at all keeps the old guess by ':'.
  const family = familyOf(ip) ?? (ip.includes(':') ? 'ipv6' : 'ipv4');
  return { family, address: ip, prefixLength: prefix ?? (family === 'ipv4' ? 32 : 128) };
}

/**
 * Names Docker's embedded DNS answers for an endpoint. API ≥ 1.44 reports DNSNames; before that
 * they are the container name, its aliases and its short id — on user-defined networks only,
 * because the default bridge has no embedded DNS.
 */
function dnsNamesOf(
  ep: Json,
  containerName: string,
  containerId: string,
  networkName: string,
  network: Network | undefined,
): string[] {
  if (Array.isArray(ep.DNSNames)) return strList(ep.DNSNames);
  const isDefaultBridge = networkName === 'bridge' || network?.bridgeName === 'docker0';
  if (isDefaultBridge || networkName === 'host' || networkName === 'none') return [];
  const names = [containerName, ...strList(ep.Aliases), containerId.slice(0, 12)];
  return [...new Set(names.filter(Boolean))];
}

export function mapEndpoints(
  settings: Json,
  containerName: string,
  containerId: string,
  networksByName: Map<string, Network>,
): Endpoint[] {
  const nets = obj(settings.Networks);
  const endpoints: Endpoint[] = [];
  for (const [networkName, rawEp] of Object.entries(nets)) {
    const ep = obj(rawEp);
    const network = networksByName.get(networkName);
    // API < 1.52 also mirrors the default bridge endpoint at the top level; use it only to
    // fill gaps, never to override the per-network record.
    const legacy = networkName === 'bridge' ? settings : {};
    const ipv4 = str(ep.IPAddress) ?? str(legacy.IPAddress);
    // A prefix of 0 means "no address" in the API, so it must not hide the legacy value.
    const positive = (v: unknown) => (num(v) ? num(v) : null);
    const ipv4Prefix = positive(ep.IPPrefixLen) ?? positive(legacy.IPPrefixLen);
    const ipv6 = str(ep.GlobalIPv6Address) ?? str(legacy.GlobalIPv6Address);
    const ipv6Prefix = positive(ep.GlobalIPv6PrefixLen) ?? positive(legacy.GlobalIPv6PrefixLen);
    const ipamCfg = obj(ep.IPAMConfig);
    endpoints.push({
      networkId: str(ep.NetworkID) ?? network?.id ?? '',
      networkName,
      endpointId: str(ep.EndpointID) ?? str(legacy.EndpointID),
      ipv4: address(ipv4, ipv4Prefix),
      ipv6: address(ipv6, ipv6Prefix),
      gateway: str(ep.Gateway) ?? str(legacy.Gateway),
      ipv6Gateway: str(ep.IPv6Gateway) ?? str(legacy.IPv6Gateway),
      mac: str(ep.MacAddress) ?? str(legacy.MacAddress),
      aliases: strList(ep.Aliases),
      dnsNames: dnsNamesOf(ep, containerName, containerId, networkName, network),
      links: strList(ep.Links),
      ipamConfig: ep.IPAMConfig
        ? { ipv4: str(ipamCfg.IPv4Address), ipv6: str(ipamCfg.IPv6Address) }
        : null,
    });
  }
  return endpoints.sort((a, b) => a.networkName.localeCompare(b.networkName));
}

const COMPOSE = 'com.docker.compose.';

/**
 * A container's inspect document → Container. The resolv.conf/hosts/netns sections are filled in
 * by the capture (they need more requests); here they start as unavailable.
 */
export function mapContainer(raw: unknown, hostId: string, networksByName: Map<string, Network>): Container {
  const c = obj(raw);
  const id = str(c.Id) ?? '';
  const name = (str(c.Name) ?? id.slice(0, 12)).replace(/^\//, '');
  const state = obj(c.State);
  const config = obj(c.Config);
  const hostConfig = obj(c.HostConfig);
  const settings = obj(c.NetworkSettings);
  const labels = strMap(config.Labels);
  const running = state.Running === true;
  const pid = num(state.Pid);
  const exposedPorts = Object.keys(obj(config.ExposedPorts))
    .map(parsePortKey)
    .filter((p): p is PortSpec => p !== null)
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
  const compose = labels[`${COMPOSE}project`]
    ? {
        project: labels[`${COMPOSE}project`]!,
        service: labels[`${COMPOSE}service`] ?? '',
        containerNumber: labels[`${COMPOSE}container-number`] ?? null,
        oneoff: (labels[`${COMPOSE}oneoff`] ?? '').toLowerCase() === 'true',
      }
    : null;
  const unavailable = { status: 'unavailable' as const, source: 'not captured', reason: 'not captured', value: null };
  return {
    id,
    name,
    hostId,
    image: str(config.Image) ?? str(c.Image) ?? '',
    state: str(state.Status) ?? (running ? 'running' : 'unknown'),
    running,
    pid: running && pid && pid > 0 ? pid : null,
    networkMode: parseNetworkMode(str(hostConfig.NetworkMode)),
    endpoints: mapEndpoints(settings, name, id, networksByName),
    exposedPorts,
    portBindings: mapPortMap(hostConfig.PortBindings),
    publishedPorts: running ? mapPortMap(settings.Ports) : [],
    publishAll: hostConfig.PublishAllPorts === true,
    dns: {
      servers: strList(hostConfig.Dns),
      search: strList(hostConfig.DnsSearch),
      options: strList(hostConfig.DnsOptions),
    },
    extraHosts: strList(hostConfig.ExtraHosts)
      .map(parseExtraHost)
      .filter((h): h is { name: string; address: string } => h !== null),
    labels,
    compose,
    hostname: str(config.Hostname),
    domainname: str(config.Domainname),
    sandboxKey: str(settings.SandboxKey),
    restartCount: num(c.RestartCount) ?? 0,
    health: str(obj(state.Health).Status),
    resolvConf: { ...unavailable },
    hostsFile: { ...unavailable },
    netns: { ...unavailable },
  };
}
