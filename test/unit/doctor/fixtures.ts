// One fixture pair per finding code: a state that triggers it and a nearby state that does not.
// Each pair differs in the one fact the code is about, so a check that ignores that fact fails.
import type { Container, DaemonConfig, Host, Listener, NetworkState, PortBinding, ResolvConf, Route, NetInterface, Section } from '../../../src/model/types.js';
import type { PlannedBinding } from '../../../src/model/plan.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';

export const ok = <T>(value: T): Section<T> => ({ status: 'ok', source: 'test', value });

export function bind(hostPort: number, containerPort: number, hostIp = '0.0.0.0', protocol: PortBinding['protocol'] = 'tcp'): PortBinding {
  return { containerPort, protocol, hostIp, hostPort, hostPortEnd: null };
}

export function publishing(name: string, net: ReturnType<typeof network>, ip: string, b: PortBinding[], over: Partial<Container> = {}): Container {
  return container(name, net, ip, { portBindings: b, publishedPorts: b, ...over });
}

const listener = (port: number, address = '0.0.0.0', proc: Listener['process'] = null): Listener => ({ protocol: 'tcp', family: 'ipv4', address, port, process: proc });

export function rc(nameservers: string[], extra: Partial<ResolvConf> = {}): Section<ResolvConf> {
  const raw = [...nameservers.map((n) => `nameserver ${n}`), ...(extra.search?.length ? [`search ${extra.search.join(' ')}`] : []), ...(extra.options?.length ? [`options ${extra.options.join(' ')}`] : []), extra.raw ?? ''].join('\n');
  return ok({ nameservers, search: extra.search ?? [], options: extra.options ?? [], raw });
}

function iface(name: string, addr: string, prefixLength: number, mtu = 1500, kind = 'device'): NetInterface {
  return { name, index: null, kind, mtu, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4', address: addr, prefixLength }] };
}

function route(dst: string, dev: string, gateway: string | null = null, type: Route['type'] = 'unicast'): Route {
  return { family: 'ipv4', table: 'main', type, dst, dev, gateway, prefsrc: null, metric: null, scope: null, protocol: null, mtu: null };
}

/** A 20.10-style Docker ruleset for one bridge network br-app (10.9.0.0/24) publishing 8080 → 10.9.0.2:80. */
export function dockerRuleset(o: { masquerade?: boolean; dnat?: boolean; userDrop?: boolean } = {}): string {
  const { masquerade = true, dnat = true, userDrop = false } = o;
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
    ...(masquerade ? ['-A POSTROUTING -s 10.9.0.0/24 ! -o br-app -j MASQUERADE'] : []),
    '-A DOCKER -i br-app -j RETURN',
    ...(dnat ? ['-A DOCKER ! -i br-app -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.9.0.2:80'] : []),
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
    ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
    ':DOCKER-USER - [0:0]',
    '-A FORWARD -j DOCKER-USER',
    '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
    '-A FORWARD -o br-app -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A FORWARD -o br-app -j DOCKER',
    '-A FORWARD -i br-app ! -o br-app -j ACCEPT',
    '-A FORWARD -i br-app -o br-app -j ACCEPT',
    '-A DOCKER -d 10.9.0.2/32 ! -i br-app -o br-app -p tcp -m tcp --dport 80 -j ACCEPT',
    '-A DOCKER-ISOLATION-STAGE-1 -i br-app ! -o br-app -j DOCKER-ISOLATION-STAGE-2',
    '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
    '-A DOCKER-ISOLATION-STAGE-2 -o br-app -j DROP',
    '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
    ...(userDrop ? ['-A DOCKER-USER -d 10.9.0.2/32 -p tcp -m tcp --dport 80 -j DROP'] : []),
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
    '',
  ].join('\n');
}

/** A host whose firewall, routes, interfaces, sysctls and listeners were all captured. */
export function fullHost(o: { iptables?: string; sysctls?: Record<string, string>; listeners?: Listener[]; routes?: Route[]; ifaces?: NetInterface[] } = {}): Host {
  return host({
    firewall: ok({ iptablesSave: o.iptables ?? dockerRuleset(), ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: 'legacy' }),
    interfaces: ok(o.ifaces ?? [iface('eth0', '192.0.2.10', 24), iface('br-app', '10.9.0.1', 24, 1500, 'bridge')]),
    routes: ok(o.routes ?? [route('0.0.0.0/0', 'eth0', '192.0.2.1'), route('192.0.2.0/24', 'eth0'), route('10.9.0.0/24', 'br-app')]),
    rules: ok([]),
    listeners: ok(o.listeners ?? []),
    sysctls: ok({ 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1', 'net.ipv4.ip_local_port_range': '32768 60999', ...(o.sysctls ?? {}) }),
  });
}

export const app = network('app', '10.9.0.0/24', { bridgeName: 'br-app' });
const user = network('user', '10.20.0.0/24');
const bridge = network('bridge', '10.212.0.0/24', { options: { 'com.docker.network.bridge.default_bridge': 'true' } });
const internal = network('back', '10.30.0.0/24', { internal: true });
const noicc = network('quiet', '10.40.0.0/24', { options: { 'com.docker.network.bridge.enable_icc': 'false' } });

const state = (parts: { hosts?: Host[]; networks?: ReturnType<typeof network>[]; containers?: Container[] }): NetworkState => snapshot(parts).state;
const netns = (listeners: Listener[], routes: Route[] = [route('0.0.0.0/0', 'eth0', '10.9.0.1')], mtu = 1500) => ok({ interfaces: [iface('eth0', '10.9.0.2', 24, mtu, 'veth')], routes, listeners });

/** A running container of compose project p on network app, exposing 80/tcp. */
const composed = (service: string, ip: string): Container =>
  container(service, app, ip, { compose: { project: 'p', service, containerNumber: '1', oneoff: false }, exposedPorts: [{ port: 80, protocol: 'tcp' }], netns: ok({ interfaces: [iface('eth0', ip, 24, 1500, 'veth')], routes: [route('0.0.0.0/0', 'eth0', '10.9.0.1'), route('10.9.0.0/24', 'eth0')], listeners: [listener(80)] }) });

export interface CodeCase {
  yes: () => NetworkState;
  no: () => NetworkState;
  /** Producers that need more than the state (ports --compose). */
  planned?: PlannedBinding[];
}

function daemonConfig(over: Partial<DaemonConfig>): DaemonConfig {
  return { raw: {}, iptables: null, ip6tables: null, ipForward: null, ipMasq: null, userlandProxy: null, icc: null, bip: null, mtu: null, dns: [], dnsSearch: [], dnsOpts: [], defaultAddressPools: [], firewallBackend: null, ...over };
}

const planned = (service: string, hostPort: number): PlannedBinding => ({ project: 'p', service, hostIp: '', hostPort, hostPortEnd: null, containerPort: 80, containerPortEnd: null, protocol: 'tcp', mode: null, source: `compose.yaml:${hostPort}` });

export const CASES: Record<string, CodeCase> = {
  // ---- ports
  PORT_ALLOCATED_BY_CONTAINER: {
    yes: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)]), publishing('b', app, '10.9.0.3', [bind(8080, 80)])] }),
    no: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)]), publishing('b', app, '10.9.0.3', [bind(8081, 80)])] }),
  },
  PORT_BOUND_BY_HOST_PROCESS: {
    yes: () => state({ hosts: [host({ listeners: ok([listener(8080, '0.0.0.0', { name: 'nginx', pid: 77 })]) })], networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)])] }),
    no: () => state({ hosts: [host({ listeners: ok([listener(9090, '0.0.0.0', { name: 'nginx', pid: 77 })]) })], networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)])] }),
  },
  PORT_CONFLICT_STOPPED_CONTAINER: {
    yes: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)]), container('old', app, '10.9.0.3', { state: 'exited', running: false, portBindings: [bind(8080, 80)] })] }),
    no: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)]), container('old', app, '10.9.0.3', { state: 'exited', running: false, portBindings: [bind(8082, 80)] })] }),
  },
  PUBLISH_HOST_MODE_CONFLICT: {
    yes: () => state({ hosts: [host({ listeners: ok([listener(8080, '0.0.0.0', { name: 'app', pid: 4242 })]) })], networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)]), container('hostapp', null, null, { networkMode: { kind: 'host' }, pid: 4242 })] }),
    no: () => state({ hosts: [host({ listeners: ok([listener(9000, '0.0.0.0', { name: 'app', pid: 4242 })]) })], networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)]), container('hostapp', null, null, { networkMode: { kind: 'host' }, pid: 4242 })] }),
  },
  PLANNED_PORT_DUPLICATE: {
    yes: () => state({}),
    no: () => state({}),
    planned: [planned('web', 8080), planned('api', 8080)],
  },
  PUBLISH_LISTENER_LOOPBACK_ONLY: {
    yes: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)], { netns: netns([listener(80, '127.0.0.1')]) })] }),
    no: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)], { netns: netns([listener(80, '0.0.0.0')]) })] }),
  },
  PUBLISH_NO_LISTENER: {
    yes: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)], { netns: netns([listener(81)]) })] }),
    no: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)], { netns: netns([listener(80)]) })] }),
  },
  PUBLISH_NOT_IN_EFFECT: {
    yes: () => state({ networks: [app], containers: [container('a', app, '10.9.0.2', { portBindings: [bind(8080, 80)], publishedPorts: [] })] }),
    no: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)])] }),
  },
  PUBLISH_IGNORED_HOST_MODE: {
    yes: () => state({ containers: [container('h', null, null, { networkMode: { kind: 'host' }, portBindings: [bind(8080, 80)] })] }),
    no: () => state({ containers: [container('h', null, null, { networkMode: { kind: 'host' } })] }),
  },
  PUBLISH_IGNORED_SHARED_NETNS: {
    yes: () => state({ networks: [app], containers: [container('a', app, '10.9.0.2'), container('side', null, null, { networkMode: { kind: 'container', container: 'a' }, portBindings: [bind(8080, 80)] })] }),
    no: () => state({ networks: [app], containers: [container('a', app, '10.9.0.2'), container('side', null, null, { networkMode: { kind: 'container', container: 'a' } })] }),
  },
  RISKY_EXPOSURE: {
    yes: () => state({ networks: [app], containers: [publishing('redis', app, '10.9.0.2', [bind(6379, 6379)])] }),
    no: () => state({ networks: [app], containers: [publishing('redis', app, '10.9.0.2', [bind(6379, 6379, '127.0.0.1')])] }),
  },
  EPHEMERAL_RANGE_PORT: {
    yes: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(40000, 80)])] }),
    no: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)])] }),
  },
  PUBLISH_LOOPBACK_ONLY: {
    yes: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80, '127.0.0.1')])] }),
    no: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)])] }),
  },
  PRIVILEGED_PORT: {
    yes: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(80, 80)])] }),
    no: () => state({ networks: [app], containers: [publishing('a', app, '10.9.0.2', [bind(8080, 80)])] }),
  },
  EVIDENCE_MISSING: {
    yes: () => state({}),
    no: () => state({ hosts: [fullHost()] }),
  },

  // ---- firewall lint
  FW_SHADOWED_RULE: {
    yes: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -j DROP\n-A FORWARD -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n' })] }),
    no: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -s 10.0.0.0/8 -j ACCEPT\n-A FORWARD -j DROP\nCOMMIT\n' })] }),
  },
  FW_DEAD_CHAIN: {
    yes: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:BLOCKLIST - [0:0]\n-A BLOCKLIST -s 203.0.113.0/24 -j DROP\nCOMMIT\n' })] }),
    no: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:BLOCKLIST - [0:0]\n-A INPUT -j BLOCKLIST\n-A BLOCKLIST -s 203.0.113.0/24 -j DROP\nCOMMIT\n' })] }),
  },
  FW_RULE_AFTER_DOCKER_ACCEPT: {
    yes: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER - [0:0]\n-A FORWARD -o docker0 -j DOCKER\n-A FORWARD -s 203.0.113.0/24 -j DROP\nCOMMIT\n' })] }),
    no: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER - [0:0]\n-A FORWARD -s 203.0.113.0/24 -j DROP\n-A FORWARD -o docker0 -j DOCKER\nCOMMIT\n' })] }),
  },
  FW_UFW_BYPASS: {
    yes: () => state({ hosts: [fullHost({ iptables: dockerRuleset().replace(':INPUT ACCEPT [0:0]\n:FORWARD DROP', ':INPUT DROP [0:0]\n:FORWARD DROP') })] }),
    no: () => state({ hosts: [fullHost()] }),
  },
  FW_UNKNOWN_TARGET: {
    yes: () => state({ hosts: [fullHost({ iptables: '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1\nCOMMIT\n' })] }),
    no: () => state({ hosts: [fullHost({ iptables: '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j ACCEPT\nCOMMIT\n' })] }),
  },
  FW_UNKNOWN_MATCH: {
    yes: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m bpf --bytecode "4,48 0 0 9" -j DROP\nCOMMIT\n' })] }),
    no: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -j DROP\nCOMMIT\n' })] }),
  },
  FW_RULESET_UNPARSEABLE: {
    yes: () => state({ hosts: [fullHost({ iptables: '*filter\n:INPUT ACCEPT [0:0]\n-A NOSUCHCHAIN -j DROP\nCOMMIT\n' })] }),
    no: () => state({ hosts: [fullHost()] }),
  },

  // ---- routes
  SUBNET_OVERLAPS_HOST_ROUTE: {
    yes: () => state({ hosts: [fullHost({ routes: [route('0.0.0.0/0', 'eth0', '192.0.2.1'), route('10.9.0.0/16', 'tun0')] })], networks: [app] }),
    no: () => state({ hosts: [fullHost({ routes: [route('0.0.0.0/0', 'eth0', '192.0.2.1'), route('172.30.0.0/16', 'tun0')] })], networks: [app] }),
  },
  DOCKER_SUBNETS_OVERLAP: {
    yes: () => state({ networks: [network('a', '10.50.0.0/16'), network('b', '10.50.2.0/24')] }),
    no: () => state({ networks: [network('a', '10.50.0.0/24'), network('b', '10.50.2.0/24')] }),
  },
  MISSING_DEFAULT_ROUTE: {
    yes: () => state({ networks: [app], containers: [container('a', app, '10.9.0.2', { netns: netns([], [route('10.9.0.0/24', 'eth0')]) })] }),
    no: () => state({ networks: [app], containers: [container('a', app, '10.9.0.2', { netns: netns([]) })] }),
  },
  MTU_MISMATCH: {
    yes: () => state({ hosts: [fullHost({ ifaces: [iface('eth0', '192.0.2.10', 24, 1400)] })], networks: [app], containers: [container('a', app, '10.9.0.2', { netns: netns([]) })] }),
    no: () => state({ hosts: [fullHost({ ifaces: [iface('eth0', '192.0.2.10', 24, 1500)] })], networks: [app], containers: [container('a', app, '10.9.0.2', { netns: netns([]) })] }),
  },

  // ---- dns
  DNS_NAME_COLLISION: {
    yes: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { endpoints: [{ ...container('a', user, '10.20.0.2').endpoints[0]!, aliases: ['db'], dnsNames: ['a', 'db'] }] }), container('db', user, '10.20.0.3')] }),
    no: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { endpoints: [{ ...container('a', user, '10.20.0.2').endpoints[0]!, aliases: ['db'], dnsNames: ['a', 'db'] }] }), container('dbx', user, '10.20.0.3')] }),
  },
  DNS_INCONSISTENT_ANSWER: {
    yes: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { hostsFile: ok([{ address: '10.20.0.4', names: ['b'] }]) }), container('b', user, '10.20.0.3'), container('c', user, '10.20.0.4')] }),
    no: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { hostsFile: ok([{ address: '10.20.0.3', names: ['b'] }]) }), container('b', user, '10.20.0.3'), container('c', user, '10.20.0.4')] }),
  },
  DNS_STALE_HOSTS_ENTRY: {
    yes: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { extraHosts: [{ name: 'olddb', address: '10.20.0.50' }] })] }),
    no: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { extraHosts: [{ name: 'olddb', address: '10.20.0.3' }] }), container('db', user, '10.20.0.3')] }),
  },
  DEFAULT_BRIDGE_NO_DNS: {
    yes: () => state({ networks: [bridge], containers: [container('a', bridge, '10.212.0.2'), container('b', bridge, '10.212.0.3')] }),
    no: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2'), container('b', user, '10.20.0.3')] }),
  },
  HOST_STUB_RESOLVER: {
    yes: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { resolvConf: rc(['127.0.0.53']) })] }),
    no: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { resolvConf: rc(['127.0.0.11'], { raw: '# ExtServers: [host(127.0.0.53)]' }) })] }),
  },
  DNS_RESOLVER_UNREACHABLE: {
    yes: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { resolvConf: rc([]) })] }),
    no: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { resolvConf: rc(['127.0.0.11'], { raw: '# ExtServers: [host(192.0.2.53)]' }) })] }),
  },
  EMBEDDED_DNS_ABSENT: {
    yes: () => state({ networks: [bridge], containers: [container('a', bridge, '10.212.0.2', { resolvConf: rc(['127.0.0.11']) })] }),
    no: () => state({ networks: [bridge], containers: [container('a', bridge, '10.212.0.2', { resolvConf: rc(['192.0.2.53']) })] }),
  },
  EMBEDDED_NO_UPSTREAM: {
    yes: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { resolvConf: rc(['127.0.0.11'], { raw: '# ExtServers: []' }) })] }),
    no: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { resolvConf: rc(['127.0.0.11'], { raw: '# ExtServers: [host(192.0.2.53)]' }) })] }),
  },
  DNS_PUBLIC_FALLBACK: {
    yes: () => state({ networks: [bridge], containers: [container('a', bridge, '10.212.0.2', { resolvConf: rc(['8.8.8.8', '8.8.4.4']) })] }),
    no: () => state({ networks: [bridge], containers: [container('a', bridge, '10.212.0.2', { resolvConf: rc(['192.0.2.53']) })] }),
  },
  NDOTS_EXPANSION: {
    yes: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { resolvConf: rc(['127.0.0.11'], { search: ['corp.example'], options: ['ndots:3'], raw: '# ExtServers: [host(192.0.2.53)]' }) })] }),
    no: () => state({ networks: [user], containers: [container('a', user, '10.20.0.2', { resolvConf: rc(['127.0.0.11'], { search: ['corp.example'], options: ['ndots:1'], raw: '# ExtServers: [host(192.0.2.53)]' }) })] }),
  },

  // ---- state checks
  INTERNAL_NETWORK_PUBLISHED_PORT: {
    yes: () => state({ networks: [internal], containers: [container('db', internal, '10.30.0.2', { portBindings: [bind(5432, 5432, '127.0.0.1')] })] }),
    no: () => state({ networks: [internal, app], containers: [container('db', internal, '10.30.0.2', { portBindings: [bind(5432, 5432, '127.0.0.1')], endpoints: [...container('db', internal, '10.30.0.2').endpoints, ...container('db', app, '10.9.0.9').endpoints] })] }),
  },
  ICC_DISABLED_ISOLATION: {
    yes: () => state({ networks: [noicc], containers: [container('x', noicc, '10.40.0.2'), container('y', noicc, '10.40.0.3')] }),
    no: () => state({ networks: [noicc, user], containers: [container('x', noicc, '10.40.0.2', { endpoints: [...container('x', noicc, '10.40.0.2').endpoints, ...container('x', user, '10.20.0.2').endpoints] }), container('y', noicc, '10.40.0.3', { endpoints: [...container('y', noicc, '10.40.0.3').endpoints, ...container('y', user, '10.20.0.3').endpoints] })] }),
  },
  IP_FORWARD_DISABLED: {
    yes: () => state({ hosts: [fullHost({ sysctls: { 'net.ipv4.ip_forward': '0' } })], networks: [app] }),
    no: () => state({ hosts: [fullHost()], networks: [app] }),
  },
  MASQUERADE_MISSING: {
    yes: () => state({ hosts: [fullHost({ iptables: dockerRuleset({ masquerade: false }) })], networks: [app], containers: [container('a', app, '10.9.0.2')] }),
    no: () => state({ hosts: [fullHost()], networks: [app], containers: [container('a', app, '10.9.0.2')] }),
  },
  BR_NETFILTER_DISABLED: {
    yes: () => state({ hosts: [fullHost({ sysctls: { 'net.bridge.bridge-nf-call-iptables': '0' } })], networks: [noicc] }),
    no: () => state({ hosts: [fullHost()], networks: [noicc] }),
  },
  DOCKER_NAT_RULE_MISSING: {
    yes: () => state({ hosts: [fullHost({ iptables: dockerRuleset({ dnat: false }) })], networks: [app], containers: [publishing('web', app, '10.9.0.2', [bind(8080, 80)])] }),
    no: () => state({ hosts: [fullHost()], networks: [app], containers: [publishing('web', app, '10.9.0.2', [bind(8080, 80)])] }),
  },
  PUBLISHED_PORT_FIREWALL_BLOCKED: {
    yes: () => state({ hosts: [fullHost({ iptables: dockerRuleset({ userDrop: true }) })], networks: [app], containers: [publishing('web', app, '10.9.0.2', [bind(8080, 80)])] }),
    no: () => state({ hosts: [fullHost()], networks: [app], containers: [publishing('web', app, '10.9.0.2', [bind(8080, 80)])] }),
  },
  COMPOSE_SIBLING_UNREACHABLE: {
    // db exposes 80 at 10.9.0.2; the DOCKER-USER drop in dockerRuleset({userDrop}) stops web → db.
    yes: () => state({ hosts: [fullHost({ iptables: dockerRuleset({ userDrop: true }) })], networks: [app], containers: [composed('db', '10.9.0.2'), composed('web', '10.9.0.3')] }),
    no: () => state({ hosts: [fullHost()], networks: [app], containers: [composed('db', '10.9.0.2'), composed('web', '10.9.0.3')] }),
  },
  STOPPED_CONTAINER_NAME_CLASH: {
    yes: () => state({ networks: [user], containers: [container('web', user, '10.20.0.2', { endpoints: [{ ...container('web', user, '10.20.0.2').endpoints[0]!, aliases: ['api'], dnsNames: ['web', 'api'] }] }), container('old', user, null, { state: 'exited', running: false, endpoints: [{ ...container('old', user, '10.20.0.9').endpoints[0]!, ipv4: null, aliases: ['api'], dnsNames: [] }] })] }),
    no: () => state({ networks: [user], containers: [container('web', user, '10.20.0.2', { endpoints: [{ ...container('web', user, '10.20.0.2').endpoints[0]!, aliases: ['api'], dnsNames: ['web', 'api'] }] }), container('old', user, null, { state: 'exited', running: false, endpoints: [{ ...container('old', user, '10.20.0.9').endpoints[0]!, ipv4: null, aliases: ['legacy'], dnsNames: [] }] })] }),
  },
  LOOPBACK_PUBLISH_LAN_EXPOSED: {
    yes: () => state({ networks: [app], containers: [publishing('admin', app, '10.9.0.2', [bind(8080, 80, '127.0.0.1')])] }),
    no: () => state({ hosts: [host({ daemon: { ...host().daemon, value: { ...host().daemon.value!, version: '28.0.1' } } })], networks: [app], containers: [publishing('admin', app, '10.9.0.2', [bind(8080, 80, '127.0.0.1')])] }),
  },
  IPTABLES_DISABLED: {
    yes: () => state({ hosts: [host({ daemonConfig: ok(daemonConfig({ iptables: false })) })], networks: [app], containers: [publishing('web', app, '10.9.0.2', [bind(8080, 80)])] }),
    no: () => state({ hosts: [host({ daemonConfig: ok(daemonConfig({ iptables: true })) })], networks: [app], containers: [publishing('web', app, '10.9.0.2', [bind(8080, 80)])] }),
  },
  MACVLAN_PARENT_MISSING: {
    yes: () => state({ hosts: [fullHost()], networks: [network('lan', '192.0.2.0/24', { driver: 'macvlan', bridgeName: null, options: { parent: 'eth0.42' } })] }),
    no: () => state({ hosts: [fullHost()], networks: [network('lan', '192.0.2.0/24', { driver: 'macvlan', bridgeName: null, options: { parent: 'eth0' } })] }),
  },
  NETWORK_ENDPOINT_LIMIT: {
    yes: () => state({ networks: [network('big', '10.60.0.0/20')], containers: Array.from({ length: 1000 }, (_, i) => container(`c${i}`, network('big', '10.60.0.0/20'), `10.60.${Math.floor(i / 250)}.${(i % 250) + 2}`)) }),
    no: () => state({ networks: [network('big', '10.60.0.0/20')], containers: Array.from({ length: 999 }, (_, i) => container(`c${i}`, network('big', '10.60.0.0/20'), `10.60.${Math.floor(i / 250)}.${(i % 250) + 2}`)) }),
  },
};
