// firewall-flow: packets built from the model and traced through the host's captured ruleset,
// on small snapshots built in the test and on the bundled example (a real Docker 20.10 capture).
// Each expectation on the example was checked against its iptables-save text.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFlow, hostFacts, traceFlow } from '../../../src/analysis/firewall-flow.js';
import { parsePortSpec } from '../../../src/model/port.js';
import { InputError } from '../../../src/cli/errors.js';
import type { Snapshot } from '../../../src/model/types.js';
import { EXAMPLE } from '../../support/cli.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';
import { fixture } from './helpers.js';

const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot;
const ex = example.state;
const tcp = (from: string, to: string, port: number) => traceFlow(ex, { from, to, port, protocol: 'tcp' });

describe('firewall-flow on the bundled example (Docker 20.10, iptables-nft)', () => {
  it('shop-web-1 → shop-api-1 on shop_back (internal network, both attached): ACCEPT by FORWARD -i br -o br', () => {
    const t = tcp('shop-web-1', 'shop-api-1', 80);
    expect(t.packet).toMatchObject({ path: 'forward', inIface: 'br-6ad83018d545', outIface: 'br-6ad83018d545', src: '10.214.11.2', dst: '10.214.11.3' });
    expect(t.verdict).toBe('ACCEPT');
    expect(t.decidedBy).toMatchObject({ table: 'filter', chain: 'FORWARD', index: 6 });
    expect(t.dialect?.dialect).toBe('docker-le-27');
  });

  it('quarantine-a → quarantine-b port 80: DROP, ICC disabled (the last FORWARD rule)', () => {
    const t = tcp('quarantine-a', 'quarantine-b', 80);
    expect(t.verdict).toBe('DROP');
    expect(t.decidedBy).toMatchObject({ chain: 'FORWARD', index: 15, rule: '-A FORWARD -i br-2baf6e6d576d -o br-2baf6e6d576d -j DROP' });
    expect(t.reasons[0]!.code).toBe('FW_ICC_DISABLED');
  });

  it('shop-api-1 (internal network) → an outside IP: DROP by DOCKER-ISOLATION-STAGE-1', () => {
    const t = tcp('shop-api-1', '198.51.100.7', 443);
    expect(t.packet).toMatchObject({ inIface: 'br-6ad83018d545', outIface: 'eth0', path: 'forward' });
    expect(t.verdict).toBe('DROP');
    expect(t.decidedBy).toMatchObject({ chain: 'DOCKER-ISOLATION-STAGE-1', index: 3 });
    expect(t.reasons[0]!.code).toBe('FW_INTERNAL_NETWORK');
  });

  it('legacy-app (default bridge) → shop-proxy-1 across bridges: DROP by isolation stage 2', () => {
    const t = tcp('legacy-app', 'shop-proxy-1', 80);
    expect(t.packet).toMatchObject({ inIface: 'docker0', outIface: 'br-60398d2b7110', src: '10.212.0.2', dst: '10.214.10.2' });
    expect(t.verdict).toBe('DROP');
    expect(t.decidedBy).toMatchObject({ chain: 'DOCKER-ISOLATION-STAGE-2', index: 2 });
    expect(t.reasons[0]!.code).toBe('FW_DOCKER_ISOLATION');
  });

  it('outside → host port 8080: in on the uplink, DNAT to shop-proxy-1:80, then ACCEPT in filter/DOCKER', () => {
    for (const to of ['host', '192.0.2.2']) {
      const t = tcp('198.51.100.7', to, 8080);
      expect(t.packet).toMatchObject({ path: 'input', inIface: 'eth0', dst: '192.0.2.2', dport: 8080 });
      expect(t.natSteps).toHaveLength(1);
      expect(t.natSteps[0]).toMatchObject({ kind: 'DNAT', chain: 'DOCKER', index: 4, after: { dst: '10.214.10.2', dport: 80 } });
      expect(t.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
      expect(t.verdict).toBe('ACCEPT');
      expect(t.decidedBy).toMatchObject({ chain: 'DOCKER', index: 1 });
    }
  });

  it('outside → an unpublished host port: INPUT policy ACCEPT (nothing filters INPUT on this host)', () => {
    const t = tcp('198.51.100.7', 'host', 9999);
    expect(t.natSteps).toHaveLength(0);
    expect(t.hooks).toEqual(['PREROUTING', 'INPUT']);
    expect(t.verdict).toBe('ACCEPT');
  });

  it('multi-homed shop-web-1 leaves by its non-internal network; its egress hits the test egress guard (mangle DROP)', () => {
    const t = tcp('shop-web-1', '198.51.100.7', 443);
    expect(t.packet).toMatchObject({ inIface: 'br-60398d2b7110', outIface: 'eth0', src: '10.214.10.3' });
    expect(t.verdict).toBe('DROP');
    expect(t.decidedBy).toMatchObject({ table: 'mangle', chain: 'NETSLEUTH-GUARD' });
  });

  it('container → host: INPUT to its gateway; host → container: OUTPUT from the bridge address', () => {
    const a = traceFlow(ex, { from: 'shop-web-1', to: 'host', port: 53, protocol: 'udp' });
    expect(a.packet).toMatchObject({ path: 'input', inIface: 'br-60398d2b7110', dst: '10.214.10.1' });
    expect(a.verdict).toBe('ACCEPT');
    const b = tcp('host', 'shop-proxy-1', 80);
    expect(b.packet).toMatchObject({ path: 'output', outIface: 'br-60398d2b7110', src: '10.214.10.1', dst: '10.214.10.2' });
    expect(b.hooks).toEqual(['OUTPUT', 'POSTROUTING']);
  });

  it('a container on the same bridge as the published port reaches the host port without DNAT (nat DOCKER RETURN)', () => {
    const t = tcp('shop-web-1', '192.0.2.2', 8080);
    expect(t.natSteps).toHaveLength(0);
    expect(t.path.some((s) => s.chain === 'DOCKER' && s.table === 'nat' && s.index === 2 && s.matched === true)).toBe(true);
  });

  it('a container in another container\'s namespace traces as that container; a stopped one is unknown', () => {
    const side = tcp('shop-web-sidecar', 'shop-api-1', 80);
    expect(side.from.name).toBe('shop-web-sidecar');
    expect(side.packet!.src).toBe('10.214.11.2');
    expect(side.verdict).toBe('ACCEPT');
    const stopped = tcp('old-proxy', 'shop-api-1', 80);
    expect(stopped.verdict).toBe('unknown');
    expect(stopped.reasons[0]!.code).toBe('FLOW_CONTAINER_NOT_RUNNING');
    const none = tcp('offline-batch', 'shop-api-1', 80);
    expect(none.reasons[0]!.code).toBe('FLOW_NO_NETWORK');
  });

  it('containers by id prefix and by IP', () => {
    expect(tcp('eded12', '10.214.12.3', 80).verdict).toBe('DROP');
    expect(tcp('eded12', '10.214.12.3', 80).to.name).toBe('quarantine-b');
  });

  it('unknown container: InputError (exit 2)', () => {
    expect(() => tcp('no-such', 'shop-api-1', 80)).toThrow(InputError);
    expect(() => tcp('no-such', 'shop-api-1', 80)).toThrow(/no container, alias, Compose service, address or "host" called "no-such"/);
  });

  it('host facts: local addresses, uplink, route lookup', () => {
    const f = hostFacts(ex.hosts[0]!, ex);
    expect(f.localAddresses).toContain('192.0.2.2');
    expect(f.uplink('ipv4')).toBe('eth0');
    expect(f.route('10.214.10.2', 'ipv4')).toEqual({ local: false, outIface: 'br-60398d2b7110' });
    expect(f.route('10.214.10.1', 'ipv4')).toEqual({ local: true, outIface: null });
    expect(f.route('8.8.8.8', 'ipv4')).toEqual({ local: false, outIface: 'eth0' });
    expect(f.ifaceAddress('eth0')).toBe('192.0.2.2');
  });
});

describe('firewall-flow on built snapshots', () => {
  const netA = network('a', '172.18.0.0/16', { bridgeName: 'br-a' });
  const netB = network('b', '172.19.0.0/16', { bridgeName: 'br-b' });
  const web = container('web', netA, '172.18.0.2');
  const db = container('db', netA, '172.18.0.3');
  const other = container('other', netB, '172.19.0.2');
  const rules = fixture('docker-27.rules');
  const fw = { status: 'ok' as const, source: 'test', value: { iptablesSave: rules, ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: 'legacy' as const } };
  const ifaces = {
    status: 'ok' as const,
    source: 'test',
    value: [
      { name: 'eth0', index: 2, kind: 'device', mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4' as const, address: '203.0.113.10', prefixLength: 24 }] },
      { name: 'br-a', index: 3, kind: 'bridge', mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4' as const, address: '172.18.0.1', prefixLength: 16 }] },
      { name: 'br-b', index: 4, kind: 'bridge', mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4' as const, address: '172.19.0.1', prefixLength: 16 }] },
    ],
  };
  const routes = {
    status: 'ok' as const,
    source: 'test',
    value: [{ family: 'ipv4' as const, table: 'main', type: 'unicast' as const, dst: '0.0.0.0/0', dev: 'eth0', gateway: '203.0.113.1', prefsrc: null, metric: 0, scope: null, protocol: null, mtu: null }],
  };
  const full = snapshot({
    hosts: [host({ firewall: fw, interfaces: ifaces, routes })],
    networks: [netA, netB],
    containers: [
      web,
      db,
      other,
      container('pub', netA, '172.18.0.2', { name: 'pub', id: 'pub'.padEnd(64, 'e'), endpoints: [], networkMode: { kind: 'none' } }),
    ],
  }).state;

  it('same network ACCEPT, across networks DROP (≤27 fixture)', () => {
    expect(traceFlow(full, { from: 'web', to: 'db', port: 5432, protocol: 'tcp' }).verdict).toBe('ACCEPT');
    const x = traceFlow(full, { from: 'web', to: 'other', port: 80, protocol: 'tcp' });
    expect(x.packet).toMatchObject({ inIface: 'br-a', outIface: 'br-b' });
    expect(x.verdict).toBe('DROP');
  });

  it('egress: out interface from the default route, MASQUERADE to the uplink address', () => {
    const t = traceFlow(full, { from: 'web', to: '198.51.100.10', port: 443, protocol: 'tcp' });
    expect(t.packet).toMatchObject({ inIface: 'br-a', outIface: 'eth0' });
    expect(t.verdict).toBe('ACCEPT');
    expect(t.natSteps[0]).toMatchObject({ kind: 'MASQUERADE', after: { src: '203.0.113.10' } });
  });

  it('outside → published 8080 on the host: DNAT to web:80 (route lookup moves it to FORWARD)', () => {
    const t = traceFlow(full, { from: '198.51.100.20', to: 'host', port: 8080, protocol: 'tcp' });
    expect(t.packet).toMatchObject({ path: 'input', inIface: 'eth0', dst: '203.0.113.10' });
    expect(t.natSteps[0]).toMatchObject({ kind: 'DNAT', after: { dst: '172.18.0.2', dport: 80 } });
    expect(t.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    expect(t.verdict).toBe('ACCEPT');
  });

  it('ESTABLISHED state: conntrack accepts, nat not traversed', () => {
    const t = traceFlow(full, { from: '198.51.100.20', to: 'web', port: 40000, protocol: 'tcp', ctState: 'ESTABLISHED' });
    expect(t.verdict).toBe('ACCEPT');
    expect(t.reasons.some((r) => r.code === 'FW_NAT_NOT_TRAVERSED')).toBe(true);
  });

  it('firewall not captured: unknown with the reason, packet still built', () => {
    const s = snapshot({ hosts: [host({ firewall: { status: 'unavailable', source: 'iptables-save', reason: 'not running as root', value: null } })], networks: [netA], containers: [web, db] }).state;
    const t = traceFlow(s, { from: 'web', to: 'db', port: 80, protocol: 'tcp' });
    expect(t.verdict).toBe('unknown');
    expect(t.reasons[0]).toMatchObject({ code: 'FW_EVIDENCE_UNAVAILABLE' });
    expect(t.reasons[0]!.message).toContain('not running as root');
    expect(t.packet).toMatchObject({ inIface: 'br-a', outIface: 'br-a' });
  });

  it('without host interfaces/routes the bridges come from the Docker networks (and it says so)', () => {
    const s = snapshot({ hosts: [host({ firewall: fw })], networks: [netA, netB], containers: [web, db, other] }).state;
    const t = traceFlow(s, { from: 'web', to: 'other', port: 80, protocol: 'tcp' });
    expect(t.verdict).toBe('DROP');
    expect(t.reasons.some((r) => r.code === 'FW_HOST_FACTS_PARTIAL')).toBe(true);
    const h = traceFlow(s, { from: 'web', to: 'host', port: 22, protocol: 'tcp' });
    expect(h.packet).toMatchObject({ path: 'input', dst: '172.18.0.1' });
  });

  it('bridge-nf-call-iptables=0: same-bridge traffic is not filtered by iptables → unknown, said why', () => {
    const s = snapshot({
      hosts: [host({ firewall: fw, sysctls: { status: 'ok', source: 'test', value: { 'net.bridge.bridge-nf-call-iptables': '0' } } })],
      networks: [netA],
      containers: [web, db],
    }).state;
    const t = traceFlow(s, { from: 'web', to: 'db', port: 80, protocol: 'tcp' });
    expect(t.verdict).toBe('unknown');
    expect(t.reasons.some((r) => r.code === 'FW_BRIDGE_NF_OFF')).toBe(true);
  });

  it('a non-bridge network (macvlan) is unknown with the reason', () => {
    const mac = network('mv', '192.168.50.0/24', { driver: 'macvlan', bridgeName: null });
    const s = snapshot({ hosts: [host({ firewall: fw })], networks: [mac], containers: [container('m1', mac, '192.168.50.2'), container('m2', mac, '192.168.50.3')] }).state;
    const t = traceFlow(s, { from: 'm1', to: 'm2', port: 80, protocol: 'tcp' });
    expect(t.verdict).toBe('unknown');
    expect(t.reasons[0]!.code).toBe('FLOW_NOT_BRIDGE');
  });

  it('buildFlow: an IP of this host as --from is a usage error', () => {
    expect(() => buildFlow(full, { from: '203.0.113.10', to: 'web', port: 80, protocol: 'tcp' })).toThrow(/use --from host/);
  });
});

describe('parsePortSpec', () => {
  it('accepts N/tcp, N/udp, N', () => {
    expect(parsePortSpec('5432/tcp')).toEqual({ port: 5432, protocol: 'tcp' });
    expect(parsePortSpec('53/UDP')).toEqual({ port: 53, protocol: 'udp' });
    expect(parsePortSpec('80')).toEqual({ port: 80, protocol: 'tcp' });
  });
  it('rejects the rest with one line', () => {
    for (const bad of ['x', '80/icmp', '0/tcp', '70000/tcp', '80/tcp/x', '']) expect(() => parsePortSpec(bad)).toThrow(InputError);
  });
});
