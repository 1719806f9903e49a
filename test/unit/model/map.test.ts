import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bridgeNameOf,
  mapContainer,
  mapDaemonInfo,
  mapNetwork,
  mapPortMap,
  parseExtraHost,
  parseNetworkMode,
  parsePortKey,
} from '../../../src/sources/docker/map.js';
import type { Network } from '../../../src/model/types.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/engine/${name}`, import.meta.url), 'utf8'));

describe('mapContainer (API 1.41 shape)', () => {
  const c = mapContainer(fixture('inspect-api141.json'), 'h1', new Map());

  it('reads identity, state and compose labels', () => {
    expect(c.name).toBe('web');
    expect(c.running).toBe(true);
    expect(c.pid).toBe(2832);
    expect(c.compose).toEqual({ project: 'shop', service: 'web', containerNumber: '1', oneoff: false });
    expect(c.networkMode).toEqual({ kind: 'network', network: 'shop_front' });
  });

  it('reads every endpoint from NetworkSettings.Networks, ignoring the empty legacy top-level fields', () => {
    expect(c.endpoints.map((e) => e.networkName)).toEqual(['shop_back', 'shop_front']);
    const back = c.endpoints[0]!;
    expect(back.ipv4).toEqual({ family: 'ipv4', address: '10.214.1.10', prefixLength: 24 });
    expect(back.ipv6).toEqual({ family: 'ipv6', address: 'fd21:ee75:1::10', prefixLength: 64 });
    expect(back.ipamConfig).toEqual({ ipv4: '10.214.1.10', ipv6: null });
    // API < 1.44 has no DNSNames: derived from name, aliases and short id on user-defined networks.
    expect(back.dnsNames).toEqual(['web', 'frontend', '6d08a75ac1bb']);
    expect(c.endpoints[1]!.gateway).toBe('10.214.0.1');
  });

  it('keeps configured and effective port bindings apart, normalizing "" to all addresses', () => {
    expect(c.portBindings).toEqual([
      { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: null },
      { containerPort: 443, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: null, hostPortEnd: null },
    ]);
    expect(c.publishedPorts).toHaveLength(3);
    expect(c.publishedPorts.find((p) => p.hostIp === '::')?.hostPort).toBe(8080);
    expect(c.publishedPorts.find((p) => p.containerPort === 443)?.hostPort).toBe(49153);
    expect(c.exposedPorts).toEqual([{ port: 80, protocol: 'tcp' }, { port: 443, protocol: 'tcp' }]);
  });

  it('reads DNS settings and extra hosts (colon and = forms, IPv6 addresses)', () => {
    expect(c.dns).toEqual({ servers: ['10.214.0.1'], search: ['corp.test'], options: ['ndots:2'] });
    expect(c.extraHosts).toEqual([
      { name: 'db.legacy', address: '10.214.5.5' },
      { name: 'v6host', address: 'fd21:ee75::5' },
      { name: 'gw', address: 'host-gateway' },
    ]);
  });

  it('never captures environment variables', () => {
    expect(JSON.stringify(c)).not.toContain('do-not-capture');
  });
});

describe('mapContainer (API 1.52 shape, stopped, default bridge)', () => {
  const c = mapContainer(fixture('inspect-api152-default-bridge.json'), 'h1', new Map());
  it('has no address, no pid and no effective ports when stopped', () => {
    expect(c.running).toBe(false);
    expect(c.pid).toBeNull();
    expect(c.endpoints[0]!.ipv4).toBeNull();
    expect(c.publishedPorts).toEqual([]);
    expect(c.portBindings[0]).toMatchObject({ containerPort: 5432, hostPort: 5432, hostIp: '0.0.0.0' });
  });
  it('has no embedded-DNS names on the default bridge', () => {
    expect(c.endpoints[0]!.dnsNames).toEqual([]);
    expect(c.labels).toEqual({});
    expect(c.compose).toBeNull();
  });
});

describe('mapContainer with legacy top-level fields only (API ≤ 1.51 default bridge)', () => {
  it('fills gaps from the top-level fields for the bridge network', () => {
    const doc = fixture('inspect-api152-default-bridge.json');
    doc.State = { Status: 'running', Running: true, Pid: 99 };
    doc.NetworkSettings.IPAddress = '172.17.0.5';
    doc.NetworkSettings.IPPrefixLen = 16;
    doc.NetworkSettings.Gateway = '172.17.0.1';
    const c = mapContainer(doc, 'h1', new Map());
    expect(c.endpoints[0]!.ipv4).toEqual({ family: 'ipv4', address: '172.17.0.5', prefixLength: 16 });
    expect(c.endpoints[0]!.gateway).toBe('172.17.0.1');
  });
});

describe('small parsers', () => {
  it('parses network modes', () => {
    expect(parseNetworkMode('default')).toEqual({ kind: 'default' });
    expect(parseNetworkMode('')).toEqual({ kind: 'default' });
    expect(parseNetworkMode('host')).toEqual({ kind: 'host' });
    expect(parseNetworkMode('none')).toEqual({ kind: 'none' });
    expect(parseNetworkMode('container:abc')).toEqual({ kind: 'container', container: 'abc' });
    expect(parseNetworkMode('bridge')).toEqual({ kind: 'network', network: 'bridge' });
  });
  it('parses port keys and rejects nonsense', () => {
    expect(parsePortKey('53/udp')).toEqual({ port: 53, protocol: 'udp' });
    expect(parsePortKey('80')).toEqual({ port: 80, protocol: 'tcp' });
    expect(parsePortKey('70000/tcp')).toBeNull();
    expect(parsePortKey('http')).toBeNull();
  });
  it('keeps host port ranges', () => {
    expect(mapPortMap({ '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }] })[0]).toMatchObject({ hostPort: 8000, hostPortEnd: 8010 });
    expect(mapPortMap({ '80/tcp': null })).toEqual([]);
  });
  it('parses extra hosts and rejects entries without a name', () => {
    expect(parseExtraHost(':1.2.3.4')).toBeNull();
    expect(parseExtraHost('noaddress')).toBeNull();
  });
  it('names bridges like dockerd does', () => {
    expect(bridgeNameOf('bridge', 'bridge', 'x'.repeat(64), {})).toBe('docker0');
    expect(bridgeNameOf('bridge', 'app', 'abcdef0123456789', {})).toBe('br-abcdef012345');
    expect(bridgeNameOf('bridge', 'app', 'abcdef0123456789', { 'com.docker.network.bridge.name': 'br-app' })).toBe('br-app');
    expect(bridgeNameOf('macvlan', 'mv', 'abc', {})).toBeNull();
  });
});

describe('mapNetwork and mapDaemonInfo', () => {
  it('maps IPAM, flags and options', () => {
    const n: Network = mapNetwork(
      {
        Name: 'shop_back',
        Id: '2222222222222222',
        Driver: 'bridge',
        Scope: 'local',
        Internal: true,
        EnableIPv6: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: '10.214.1.0/24', Gateway: '10.214.1.1' }, { Subnet: 'fd21:ee75:1::/64' }] },
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
        Labels: { a: 'b' },
      },
      'h1',
    );
    expect(n.internal).toBe(true);
    expect(n.enableIPv4).toBeNull();
    expect(n.ipam.configs.map((c) => c.subnet)).toEqual(['10.214.1.0/24', 'fd21:ee75:1::/64']);
    expect(n.options['com.docker.network.bridge.enable_icc']).toBe('false');
    expect(n.bridgeName).toBe('br-222222222222');
  });
  it('maps /info and /version', () => {
    const d = mapDaemonInfo(
      {
        ID: 'X',
        Name: 'node1',
        IPv4Forwarding: false,
        DefaultAddressPools: [{ Base: '10.213.0.0/16', Size: 24 }],
        Warnings: ['WARNING: IPv4 forwarding is disabled'],
        FirewallBackend: { Driver: 'nftables' },
        Swarm: { LocalNodeState: 'inactive', NodeID: '' },
        OSType: 'linux',
      },
      { Version: '29.1.0', ApiVersion: '1.52', MinAPIVersion: '1.44' },
      '1.51',
    );
    expect(d).toMatchObject({
      version: '29.1.0',
      apiVersion: '1.52',
      negotiatedApiVersion: '1.51',
      ipv4Forwarding: false,
      firewallBackend: 'nftables',
      defaultAddressPools: [{ base: '10.213.0.0/16', size: 24 }],
      swarm: { state: 'inactive', nodeId: null, nodeAddr: null },
    });
  });
});
