// Builds small, schema-valid snapshots for unit tests, so each test states only what matters to it.
import type { Container, Host, Network, Section, Snapshot } from '../../src/model/types.js';
import { SNAPSHOT_SCHEMA } from '../../src/model/types.js';

const ok = <T>(value: T, source = 'test'): Section<T> => ({ status: 'ok', source, value });
const missing = <T>(reason = 'not captured in this test'): Section<T> => ({ status: 'unavailable', source: 'test', reason, value: null });

export function host(over: Partial<Host> = {}): Host {
  return {
    id: 'host1',
    name: 'host1',
    daemon: ok({
      version: '20.10.24',
      apiVersion: '1.41',
      minApiVersion: '1.12',
      negotiatedApiVersion: '1.41',
      os: 'Debian GNU/Linux 12',
      osType: 'linux',
      arch: 'x86_64',
      kernelVersion: '6.1.0',
      name: 'host1',
      id: 'host1',
      ipv4Forwarding: true,
      bridgeNfIptables: true,
      bridgeNfIp6tables: true,
      firewallBackend: null,
      defaultAddressPools: [],
      warnings: [],
      swarm: null,
    }),
    daemonConfig: missing(),
    interfaces: missing(),
    routes: missing(),
    rules: missing(),
    firewall: missing(),
    listeners: missing(),
    sysctls: missing(),
    resolvConf: missing(),
    raw: {},
    ...over,
  };
}

export function network(name: string, subnet: string, over: Partial<Network> = {}): Network {
  const gateway = subnet.replace(/\.0\/\d+$/, '.1');
  return {
    id: `${name}-id`.padEnd(64, '0'),
    name,
    hostId: 'host1',
    driver: 'bridge',
    scope: 'local',
    internal: false,
    attachable: false,
    ingress: false,
    enableIPv4: null,
    enableIPv6: false,
    ipam: { driver: 'default', configs: [{ subnet, ipRange: null, gateway, auxAddresses: {} }], options: {} },
    options: {},
    labels: {},
    created: null,
    configOnly: false,
    configFrom: null,
    bridgeName: name === 'bridge' ? 'docker0' : `br-${name}`,
    ...over,
  };
}

export function container(name: string, net: Network | null, ip: string | null, over: Partial<Container> = {}): Container {
  return {
    id: `${name}-cid`.padEnd(64, 'f'),
    name,
    hostId: 'host1',
    image: 'busybox',
    state: 'running',
    running: true,
    pid: 1000,
    networkMode: net ? { kind: 'network', network: net.name } : { kind: 'none' },
    endpoints:
      net && ip
        ? [
            {
              networkId: net.id,
              networkName: net.name,
              endpointId: `${name}-ep`,
              ipv4: { family: 'ipv4', address: ip, prefixLength: Number(net.ipam.configs[0]!.subnet!.split('/')[1]) },
              ipv6: null,
              gateway: net.ipam.configs[0]!.gateway,
              ipv6Gateway: null,
              mac: null,
              aliases: [],
              dnsNames: [name],
              links: [],
              ipamConfig: null,
            },
          ]
        : [],
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
    resolvConf: missing(),
    hostsFile: missing(),
    netns: missing(),
    ...over,
  };
}

export function snapshot(parts: { hosts?: Host[]; networks?: Network[]; containers?: Container[] } = {}): Snapshot {
  return {
    schema: SNAPSHOT_SCHEMA,
    capture: {
      time: '2026-11-24T00:00:00.000Z',
      durationMs: 1,
      tool: { name: 'netsleuth', version: 'test' },
      by: { user: 'test', hostname: 'test' },
      source: { kind: 'docker', endpoint: 'unix:///var/run/docker.sock', context: null },
      vanished: [],
      warnings: [],
    },
    state: { hosts: parts.hosts ?? [host()], networks: parts.networks ?? [], containers: parts.containers ?? [] },
  };
}
