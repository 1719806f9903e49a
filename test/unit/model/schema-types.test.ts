// Ties docs/snapshot.schema.json to the model's TypeScript types (src/model/types.ts).
//
// The objects below are typed literals: TypeScript makes each carry every key its type requires
// and no key the type lacks, and `Required<Section<…>>` adds the one optional key (`reason`). Every
// nullable field appears both null and non-null, every union member once. They are validated with
// Ajv against two strict variants of the published schema:
// - closed: `additionalProperties: false` on every object the schema describes, so a field the
//   type has and the schema does not declare fails;
// - closed and complete: also every declared property required, so a field the schema declares
//   and the type does not have fails (the literal cannot hold it).
// The published schema itself stays open (extra properties are allowed, so newer writers stay
// readable: docs/snapshot.md); the literals must pass it too, and so must the bundled example.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import type {
  Container,
  ContainerNetns,
  DaemonConfig,
  DaemonInfo,
  Endpoint,
  FirewallEvidence,
  Host,
  HostsEntry,
  Listener,
  NetInterface,
  Network,
  NetworkMode,
  PolicyRule,
  ResolvConf,
  Route,
  Section,
  Snapshot,
} from '../../../src/model/types.js';
import { SNAPSHOT_SCHEMA } from '../../../src/model/types.js';
import { ROOT } from '../../support/cli.js';

type Json = Record<string, unknown>;
const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'snapshot.schema.json'), 'utf8')) as Json;

/**
 * A strict copy of the schema. Object schemas that only add to another (members of `allOf`, and
 * `if`/`then`/`else`) are partial and left open; everything they contain is complete.
 */
function strict(node: unknown, complete: boolean, partial = false): unknown {
  if (Array.isArray(node)) return node.map((x) => strict(x, complete));
  if (!node || typeof node !== 'object') return node;
  const n = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(n)) {
    if (k === 'allOf') out[k] = (v as unknown[]).map((x) => strict(x, complete, true));
    else if (k === 'if' || k === 'then' || k === 'else') out[k] = strict(v, complete, true);
    else if (k === 'properties' || k === 'definitions') out[k] = Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, strict(s, complete)]));
    else if (k === 'const' || k === 'enum' || k === 'required') out[k] = v;
    else out[k] = strict(v, complete);
  }
  if (n.properties && !partial && n.additionalProperties === undefined) {
    out.additionalProperties = false;
    if (complete) out.required = Object.keys(n.properties as Json);
  }
  return out;
}

// ajv is CommonJS: under NodeNext its default import is the module object.
const ajv = new AjvModule.default({ allErrors: true, strict: false });
const published = ajv.compile(schema);
const closed = ajv.compile({ ...(strict(schema, false) as Json), $id: 'closed' });
const complete = ajv.compile({ ...(strict(schema, true) as Json), $id: 'complete' });
/** Ajv's errors, one per distinct place and problem (array indexes folded to `*`). */
const errorsOf = (v: typeof published): string[] => [...new Set((v.errors ?? []).map((e) => `${e.instancePath.replace(/\/\d+/g, '/*') || '$'} ${e.message} ${JSON.stringify(e.params)}`))];

// ---- typed literals ------------------------------------------------------------------------------

const ok = <T>(value: T): Required<Section<T>> => ({ status: 'ok', reason: 'full capture', source: 'test', value });
const partial = <T>(value: T): Section<T> => ({ status: 'partial', reason: 'some of it', source: 'test', value });
const gone = <T>(): Required<Section<T>> => ({ status: 'unavailable', reason: 'not captured', source: 'test', value: null });

const ifaces: NetInterface[] = [
  {
    name: 'eth0',
    index: 2,
    kind: 'device',
    mtu: 1500,
    operState: 'UP',
    flags: ['BROADCAST', 'UP'],
    mac: '02:42:ac:11:00:02',
    master: 'br0',
    peerIndex: 7,
    linkNetnsId: 1,
    addresses: [
      { family: 'ipv4', address: '10.0.0.5', prefixLength: 24 },
      { family: 'ipv6', address: 'fd00::5', prefixLength: 64 },
    ],
  },
  { name: 'lo', index: null, kind: 'device', mtu: null, operState: 'UNKNOWN', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [] },
];

const routes: Route[] = [
  { family: 'ipv4', table: 'main', type: 'unicast', dst: '0.0.0.0/0', dev: 'eth0', gateway: '10.0.0.1', prefsrc: '10.0.0.5', metric: 100, scope: 'global', protocol: 'dhcp', mtu: 1400 },
  { family: 'ipv6', table: '100', type: 'blackhole', dst: '::/0', dev: null, gateway: null, prefsrc: null, metric: null, scope: null, protocol: null, mtu: null },
];

const rules: PolicyRule[] = [
  { family: 'ipv4', priority: 100, invert: true, from: '10.0.0.0/8', to: '10.1.0.0/16', iif: 'eth0', oif: 'eth1', fwmark: '0x1/0xff', action: 'lookup', table: '100', target: null, suppressPrefixLength: 0 },
  { family: 'ipv6', priority: 200, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'goto', table: null, target: 300, suppressPrefixLength: null },
];

const listeners: Listener[] = [
  { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 80, process: { name: 'nginx', pid: 42 } },
  { protocol: 'udp', family: 'ipv6', address: '::', port: 53, process: null },
];

const resolv: ResolvConf = { nameservers: ['127.0.0.11'], search: ['example.com'], options: ['ndots:0'], raw: 'nameserver 127.0.0.11\n' };
const hostsFile: HostsEntry[] = [{ address: '127.0.0.1', names: ['localhost'] }];

const firewalls: FirewallEvidence[] = [
  { iptablesSave: '*filter\nCOMMIT\n', ip6tablesSave: '*filter\nCOMMIT\n', nftJson: '{"nftables": []}', ipsetSave: 'create x hash:ip\n', iptablesBackend: 'nf_tables' },
  { iptablesSave: null, ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: 'legacy' },
  { iptablesSave: null, ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: null },
];

const daemons: DaemonInfo[] = [
  {
    version: '28.0.0',
    apiVersion: '1.48',
    minApiVersion: '1.24',
    negotiatedApiVersion: '1.48',
    os: 'Debian GNU/Linux 12',
    osType: 'linux',
    arch: 'x86_64',
    kernelVersion: '6.1.0',
    name: 'node1',
    id: 'ABCD',
    ipv4Forwarding: true,
    bridgeNfIptables: true,
    bridgeNfIp6tables: false,
    firewallBackend: 'iptables',
    defaultAddressPools: [{ base: '10.10.0.0/16', size: 24 }],
    warnings: ['WARNING: bridge-nf-call-ip6tables is disabled'],
    swarm: { state: 'active', nodeId: 'n1', nodeAddr: '10.0.0.5' },
  },
  {
    version: null,
    apiVersion: null,
    minApiVersion: null,
    negotiatedApiVersion: null,
    os: null,
    osType: null,
    arch: null,
    kernelVersion: null,
    name: null,
    id: null,
    ipv4Forwarding: null,
    bridgeNfIptables: null,
    bridgeNfIp6tables: null,
    firewallBackend: null,
    defaultAddressPools: [],
    warnings: [],
    swarm: null,
  },
];
daemons.push({ ...daemons[1]!, ipv4Forwarding: false, bridgeNfIptables: false, swarm: { state: 'inactive', nodeId: null, nodeAddr: null } });

const daemonConfigs: DaemonConfig[] = [
  {
    raw: { bip: '172.30.0.1/16', 'userland-proxy': false },
    iptables: true,
    ip6tables: false,
    ipForward: true,
    ipMasq: true,
    userlandProxy: false,
    icc: false,
    bip: '172.30.0.1/16',
    mtu: 1400,
    dns: ['10.0.0.53'],
    dnsSearch: ['corp'],
    dnsOpts: ['ndots:2'],
    defaultAddressPools: [{ base: '10.20.0.0/16', size: 24 }],
    firewallBackend: 'nftables',
  },
  { raw: {}, iptables: null, ip6tables: null, ipForward: null, ipMasq: null, userlandProxy: null, icc: null, bip: null, mtu: null, dns: [], dnsSearch: [], dnsOpts: [], defaultAddressPools: [], firewallBackend: null },
];

function fullHost(i: number): Host {
  return {
    id: `host${i}`,
    name: `node${i}`,
    daemon: ok(daemons[i % daemons.length]!),
    daemonConfig: ok(daemonConfigs[i % daemonConfigs.length]!),
    interfaces: ok(ifaces),
    routes: ok(routes),
    rules: ok(rules),
    firewall: ok(firewalls[i % firewalls.length]!),
    listeners: ok(listeners),
    sysctls: ok({ 'net.ipv4.ip_forward': '1' }),
    resolvConf: ok(resolv),
    raw: { 'ip-route': { command: 'ip -j route', exitCode: 0, stdout: '[]', stderr: '' }, ss: { command: 'ss -lntu', exitCode: null, stdout: '', stderr: 'x' } },
  };
}

const unavailableHost: Host = {
  id: 'remote',
  name: 'remote',
  daemon: gone(),
  daemonConfig: gone(),
  interfaces: gone(),
  routes: gone(),
  rules: gone(),
  firewall: gone(),
  listeners: gone(),
  sysctls: gone(),
  resolvConf: gone(),
  raw: {},
};

const networks: Network[] = [
  {
    id: 'a'.repeat(64),
    name: 'app',
    hostId: 'host0',
    driver: 'bridge',
    scope: 'local',
    internal: true,
    attachable: true,
    ingress: false,
    enableIPv4: true,
    enableIPv6: true,
    ipam: {
      driver: 'default',
      configs: [
        { subnet: '10.9.0.0/24', ipRange: '10.9.0.128/25', gateway: '10.9.0.1', auxAddresses: { router: '10.9.0.2' } },
        { subnet: null, ipRange: null, gateway: null, auxAddresses: {} },
      ],
      options: { foo: 'bar' },
    },
    options: { 'com.docker.network.bridge.name': 'br-app' },
    labels: { 'com.docker.compose.project': 'p' },
    created: '2026-01-01T00:00:00Z',
    configOnly: true,
    configFrom: 'template',
    bridgeName: 'br-app',
  },
  {
    id: 'b'.repeat(64),
    name: 'host',
    hostId: 'host0',
    driver: 'host',
    scope: 'local',
    internal: false,
    attachable: false,
    ingress: true,
    enableIPv4: null,
    enableIPv6: false,
    ipam: { driver: 'default', configs: [], options: {} },
    options: {},
    labels: {},
    created: null,
    configOnly: false,
    configFrom: null,
    bridgeName: null,
  },
];

const endpoints: Endpoint[] = [
  {
    networkId: 'a'.repeat(64),
    networkName: 'app',
    endpointId: 'ep1',
    ipv4: { family: 'ipv4', address: '10.9.0.3', prefixLength: 24 },
    ipv6: { family: 'ipv6', address: 'fd00::3', prefixLength: 64 },
    gateway: '10.9.0.1',
    ipv6Gateway: 'fd00::1',
    mac: '02:42:0a:09:00:03',
    aliases: ['web'],
    dnsNames: ['web-1', 'web'],
    links: ['db:database'],
    ipamConfig: { ipv4: '10.9.0.3', ipv6: 'fd00::3' },
  },
  { networkId: 'a'.repeat(64), networkName: 'app', endpointId: null, ipv4: null, ipv6: null, gateway: null, ipv6Gateway: null, mac: null, aliases: [], dnsNames: [], links: [], ipamConfig: null },
  { networkId: 'a'.repeat(64), networkName: 'app', endpointId: null, ipv4: null, ipv6: null, gateway: null, ipv6Gateway: null, mac: null, aliases: [], dnsNames: [], links: [], ipamConfig: { ipv4: null, ipv6: null } },
];

const modes: NetworkMode[] = [{ kind: 'network', network: 'app' }, { kind: 'default' }, { kind: 'host' }, { kind: 'none' }, { kind: 'container', container: 'c'.repeat(64) }];
const netns: ContainerNetns = { interfaces: ifaces, routes, listeners };

function fullContainer(i: number): Container {
  return {
    id: `${i}`.padEnd(64, 'c'),
    name: `web-${i}`,
    hostId: 'host0',
    image: 'nginx:1',
    state: 'running',
    running: true,
    pid: 4242,
    networkMode: modes[i % modes.length]!,
    endpoints,
    exposedPorts: [
      { port: 80, protocol: 'tcp' },
      { port: 53, protocol: 'udp' },
      { port: 9, protocol: 'sctp' },
    ],
    portBindings: [
      { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: 8081 },
      { containerPort: 53, protocol: 'udp', hostIp: '::', hostPort: null, hostPortEnd: null },
    ],
    publishedPorts: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, hostPortEnd: null }],
    publishAll: true,
    dns: { servers: ['10.0.0.53'], search: ['corp'], options: ['ndots:1'] },
    extraHosts: [{ name: 'gw', address: 'host-gateway' }],
    labels: { a: 'b' },
    compose: i % 2 === 0 ? { project: 'p', service: 'web', containerNumber: '1', oneoff: false } : { project: 'p', service: 'job', containerNumber: null, oneoff: true },
    hostname: 'web',
    domainname: 'corp',
    sandboxKey: '/var/run/docker/netns/abc',
    restartCount: 3,
    health: 'healthy',
    resolvConf: ok(resolv),
    hostsFile: ok(hostsFile),
    netns: ok(netns),
  };
}

const bareContainer: Container = {
  id: 'd'.repeat(64),
  name: 'job',
  hostId: 'remote',
  image: '',
  state: 'exited',
  running: false,
  pid: null,
  networkMode: { kind: 'none' },
  endpoints: [],
  exposedPorts: [],
  portBindings: [],
  publishedPorts: [],
  publishAll: false,
  dns: { servers: [], search: [], options: [] },
  extraHosts: [],
  labels: {},
  compose: null,
  hostname: null,
  domainname: null,
  sandboxKey: null,
  restartCount: 0,
  health: null,
  resolvConf: gone(),
  hostsFile: gone(),
  netns: gone(),
};

const full: Snapshot = {
  schema: SNAPSHOT_SCHEMA,
  capture: {
    time: '2026-11-24T00:00:00.000Z',
    durationMs: 12.5,
    tool: { name: 'netsleuth', version: '0.1.0' },
    by: { user: 'root', hostname: 'node0' },
    source: { kind: 'docker', endpoint: 'unix:///var/run/docker.sock', context: 'default' },
    vanished: [{ id: 'e'.repeat(64), name: 'gone', reason: 'removed between list and inspect' }],
    warnings: ['w'],
  },
  state: {
    hosts: [0, 1, 2, 3, 4, 5].map(fullHost),
    networks,
    containers: modes.map((_, i) => fullContainer(i)),
  },
};

/** The same state with nothing captured beyond what is required: unavailable sections, nulls. */
const sparse: Snapshot = {
  schema: SNAPSHOT_SCHEMA,
  capture: { ...full.capture, by: { user: null, hostname: null }, source: { kind: 'docker', endpoint: 'tcp://10.0.0.5:2376', context: null }, vanished: [], warnings: [] },
  state: {
    hosts: [
      unavailableHost,
      { ...unavailableHost, id: 'partial', interfaces: partial(ifaces), routes: partial([]), sysctls: { status: 'ok', source: 'test', value: {} } },
    ],
    networks: [networks[1]!],
    containers: [bareContainer, { ...bareContainer, id: 'f'.repeat(64), netns: partial({ interfaces: [], routes: [], listeners: [] }), hostsFile: partial([]) }],
  },
};

// ---- the tests -----------------------------------------------------------------------------------

describe('docs/snapshot.schema.json and src/model/types.ts', () => {
  it('the typed literals are valid snapshots under the published schema', () => {
    for (const [name, doc] of Object.entries({ full, sparse })) {
      expect(published(doc), `${name}: ${errorsOf(published).join('; ')}`).toBe(true);
    }
  });
  it('every field of the types is declared by the schema (closed: no additional properties)', () => {
    for (const [name, doc] of Object.entries({ full, sparse })) {
      expect(closed(doc), `${name}: ${errorsOf(closed).join('; ')}`).toBe(true);
    }
  });
  it('every property the schema declares is a field of the types (all declared properties required)', () => {
    expect(complete(full), errorsOf(complete).join('; ')).toBe(true);
  });
  it('the strict variants do bite: an undeclared field, or a declared one missing, fails', () => {
    const extra = structuredClone(full) as unknown as { state: { containers: Array<Record<string, unknown>> } };
    extra.state.containers[0]!.surprise = 1;
    expect(published(extra)).toBe(true);
    expect(closed(extra)).toBe(false);
    // Also inside a nullable object (anyOf), a union member (oneOf) and a section's value (allOf).
    for (const poke of [
      (d: Snapshot) => Object.assign(d.state.hosts[0]!.listeners.value![0]!.process!, { surprise: 1 }),
      (d: Snapshot) => Object.assign(d.state.containers[0]!.networkMode, { surprise: 1 }),
      (d: Snapshot) => Object.assign(d.state.hosts[0]!.daemon.value!, { surprise: 1 }),
      (d: Snapshot) => Object.assign(d.state.hosts[0]!.daemon, { surprise: 1 }),
    ]) {
      const d = structuredClone(full);
      poke(d);
      expect(published(d)).toBe(true);
      expect(closed(d)).toBe(false);
    }
    const lacking = structuredClone(full) as unknown as { state: { hosts: Array<{ routes: { value: Array<Record<string, unknown>> } }> } };
    delete lacking.state.hosts[0]!.routes.value[0]!.scope;
    expect(published(lacking)).toBe(true);
    expect(closed(lacking)).toBe(true);
    expect(complete(lacking)).toBe(false);
  });
  it('the bundled example snapshot holds no field the schema does not declare', () => {
    const example = JSON.parse(readFileSync(join(ROOT, 'docs', 'examples', 'example.snapshot.json'), 'utf8'));
    expect(published(example), errorsOf(published).join('; ')).toBe(true);
    expect(closed(example), errorsOf(closed).slice(0, 10).join('; ')).toBe(true);
  });
});
