// reach: verdicts combined from route, forwarding, firewall (request and reply), docker-proxy,
// drivers and listeners — on the bundled example (a real Docker 20.10 capture whose iptables-save
// text each expectation was checked against) and on small snapshots built here.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeReach, expectationMet } from '../../../src/analysis/reach.js';
import { InputError } from '../../../src/cli/errors.js';
import type { Container, Listener, NetworkState, Snapshot } from '../../../src/model/types.js';
import { EXAMPLE } from '../../support/cli.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';
import { readFixture } from './fixture.js';

const ex = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;
const reach = (s: NetworkState, from: string, to: string, port: number | null = 80, protocol: 'tcp' | 'udp' = 'tcp') => analyzeReach(s, { from, to, port, protocol });

describe('reach on the bundled example', () => {
  it('same user-defined network: reachable, something listens, reply checked', () => {
    const r = reach(ex, 'shop-web-1', 'shop-db-1', 5432);
    expect(r.verdict).toBe('reachable');
    expect(r.listening).toBe(true);
    expect(r.destination).toMatchObject({ kind: 'container', name: 'shop-db-1', address: '10.214.11.4', port: 5432 });
    expect(r.hops.map((h) => h.stage)).toEqual(['route', 'firewall', 'return', 'return', 'listener']);
    expect(r.probe).toBeNull();
    expect(r.agreement).toBeNull();
  });

  it('across networks: blocked by Docker isolation; every blocking stage listed, the first flagged', () => {
    const r = reach(ex, 'shop-proxy-1', 'shop-db-1', 5432);
    expect(r.verdict).toBe('blocked');
    expect(r.blocking.length).toBeGreaterThanOrEqual(2);
    expect(r.blocking[0]).toMatchObject({ stage: 'firewall', code: 'FW_DROPPED', first: true });
    expect(r.blocking[0]!.message).toContain('DOCKER-ISOLATION-STAGE-1');
    expect(r.blocking.slice(1).every((b) => !b.first)).toBe(true);
    expect(r.blocking.some((b) => b.stage === 'return' && b.code === 'FW_REPLY_DROPPED')).toBe(true);
  });

  it('ICC disabled: blocked by the FORWARD -i br -o br DROP; the listener answer is separate', () => {
    const r = reach(ex, 'quarantine-a', 'quarantine-b', 80);
    expect(r.verdict).toBe('blocked');
    expect(r.blocking[0]!.message).toMatch(/-A FORWARD -i br-2baf6e6d576d -o br-2baf6e6d576d -j DROP/);
    expect(r.listening).toBe(false);
  });

  it('container: mode shares the namespace: loopback, no firewall stage', () => {
    const r = reach(ex, 'shop-web-sidecar', 'shop-web-1', 80);
    expect(r.hops[0]!.stage).toBe('namespace');
    expect(r.hops.some((h) => h.stage === 'firewall')).toBe(false);
    expect(r.verdict).toBe('reachable');
    expect(r.listening).toBe(false);
  });

  it('network mode none and a stopped destination are blocked at the source stage', () => {
    expect(reach(ex, 'offline-batch', 'shop-db-1', null).blocking[0]!.code).toBe('REACH_NO_NETWORK');
    expect(reach(ex, 'shop-web-1', 'old-proxy', 80).blocking[0]!.code).toBe('REACH_DEST_NOT_RUNNING');
  });

  it('a published port from the default bridge is answered by docker-proxy, which opens its own leg', () => {
    const r = reach(ex, 'legacy-app', 'host', 8080);
    expect(r.verdict).toBe('reachable');
    const proxy = r.hops.filter((h) => h.stage === 'proxy');
    expect(proxy[0]!.detail).toMatch(/docker-proxy .* shop-proxy-1 10\.214\.10\.2:80/);
    expect(r.destination).toMatchObject({ name: 'shop-proxy-1', port: 80 });
    expect(r.listening).toBe(true);
  });

  it('from outside to a published port: DNAT to the container, listener checked at the container port', () => {
    const r = reach(ex, '198.51.100.7', 'host', 8080);
    const dnat = r.hops.find((h) => h.detail.startsWith('DNAT'));
    expect(dnat?.detail).toContain('→ 10.214.10.2:80');
    expect(r.destination).toMatchObject({ kind: 'container', name: 'shop-proxy-1', port: 80 });
    // The test host's egress guard drops replies from the test pools leaving by eth0: a real
    // reply drop, caught on the return path.
    expect(r.blocking[0]).toMatchObject({ stage: 'return', code: 'FW_REPLY_DROPPED' });
    expect(r.blocking[0]!.message).toContain('NETSLEUTH-GUARD');
  });

  it('a host-network container is the host: OUTPUT path to a container', () => {
    const r = reach(ex, 'node-exporter', 'shop-db-1', 5432);
    expect(r.verdict).toBe('reachable');
    expect(r.hops.find((h) => h.stage === 'firewall')!.where).toContain('OUTPUT');
  });

  it('without --port: ICMP echo through the firewall, request and reply', () => {
    const r = reach(ex, 'shop-web-1', 'shop-cache-1', null);
    expect(r.protocol).toBe('icmp');
    expect(r.port).toBeNull();
    expect(r.verdict).toBe('reachable');
    expect(r.hops.filter((h) => h.stage === 'return').length).toBeGreaterThan(0);
  });

  it('ICMP is a protocol of its own in the request: no port; a port with icmp is bad input', () => {
    const r = analyzeReach(ex, { from: 'shop-web-1', to: 'shop-cache-1', protocol: 'icmp' });
    expect(r).toMatchObject({ protocol: 'icmp', port: null, verdict: 'reachable', listening: true });
    expect(r).toEqual(reach(ex, 'shop-web-1', 'shop-cache-1', null));
    expect(() => analyzeReach(ex, { from: 'shop-web-1', to: 'shop-cache-1', port: 80, protocol: 'icmp' })).toThrow(InputError);
    expect(() => reach(ex, 'shop-web-1', 'shop-cache-1', 0)).toThrow('port 0 is out of range (1-65535)');
  });

  it('the host to its own IPv6 addresses: an IPv6 packet over lo, walked by the ip6tables ruleset', () => {
    for (const to of ['::1', 'fd00::2']) {
      const r = reach(ex, 'host', to, 6379);
      expect(r.family).toBe('ipv6');
      expect(r.verdict).toBe('reachable');
      expect(r.destination).toMatchObject({ kind: 'host', address: to, port: 6379 });
      expect(r.hops.map((h) => h.stage)).toEqual(['firewall', 'namespace', 'firewall', 'listener']);
    }
    expect(reach(ex, 'node-exporter', '::1', null)).toMatchObject({ protocol: 'icmp', family: 'ipv6', verdict: 'reachable', listening: true });
  });

  it('unknown names are bad input', () => {
    expect(() => reach(ex, 'no-such', 'host', 80)).toThrow(InputError);
  });

  it('--expect: reachable needs a listener when that is known; blocked needs a blocked path', () => {
    expect(expectationMet(reach(ex, 'shop-web-1', 'shop-db-1', 5432), 'reachable')).toBeNull();
    expect(expectationMet(reach(ex, 'quarantine-a', 'quarantine-b', 80), 'reachable')).toMatch(/blocked/);
    expect(expectationMet(reach(ex, 'shop-web-sidecar', 'shop-web-1', 80), 'reachable')).toMatch(/nothing listens/);
    expect(expectationMet(reach(ex, 'quarantine-a', 'quarantine-b', 80), 'blocked')).toBeNull();
    expect(expectationMet(reach(ex, 'shop-web-1', 'shop-db-1', 5432), 'blocked')).toMatch(/expected .* to be blocked, but it is reachable/);
  });
});

// ---------------------------------------------------------------------------------------------

const ok = <T>(value: T) => ({ status: 'ok' as const, source: 'test', value });
const iface = (name: string, address: string, prefixLength: number, kind = 'bridge') => ({ name, index: null, kind, mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4' as const, address, prefixLength }] });
const route = (dst: string, dev: string, gateway: string | null = null, table = 'main') => ({ family: 'ipv4' as const, table, type: 'unicast' as const, dst, dev, gateway, prefsrc: null, metric: 0, scope: null, protocol: null, mtu: null });
const listen = (address: string, port: number, protocol: 'tcp' | 'udp' = 'tcp'): Listener => ({ protocol, family: 'ipv4', address, port, process: null });

function withNetns(c: Container, ip: string, gw: string, listeners: Listener[] | null): Container {
  if (listeners === null) return { ...c, netns: { status: 'unavailable', source: 'test', reason: 'not root', value: null } };
  return {
    ...c,
    netns: ok({
      interfaces: [iface('lo', '127.0.0.1', 8, 'loopback'), iface('eth0', ip, 16, 'veth')],
      routes: [route('0.0.0.0/0', 'eth0', gw), route(`${ip.split('.').slice(0, 2).join('.')}.0.0/16`, 'eth0')],
      listeners,
    }),
  };
}

interface Opts {
  /** web's app bound to 127.0.0.1 instead of 0.0.0.0. */
  webLoopback?: boolean;
  rules?: string | null;
  forward?: '0' | '1' | null;
  bnf?: '0' | '1';
  listeners?: boolean;
}

function world(o: Opts = {}) {
  const netA = network('a', '172.18.0.0/16', { bridgeName: 'br-a' });
  const netB = network('b', '172.19.0.0/16', { bridgeName: 'br-b' });
  const mac = network('lan', '192.168.50.0/24', { driver: 'macvlan', bridgeName: null, options: { parent: 'eth0' } });
  const macPriv = network('lanpriv', '192.168.60.0/24', { driver: 'macvlan', bridgeName: null, options: { parent: 'eth0', macvlan_mode: 'private' } });
  const weave = network('weave', '10.32.0.0/12', { driver: 'weaveworks/net-plugin:latest', bridgeName: null });
  const L = o.listeners !== false;
  const web = withNetns(
    container('web', netA, '172.18.0.2', { publishedPorts: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: null }] }),
    '172.18.0.2',
    '172.18.0.1',
    L ? [listen(o.webLoopback ? '127.0.0.1' : '0.0.0.0', 80)] : null,
  );
  const db = withNetns(container('db', netA, '172.18.0.3'), '172.18.0.3', '172.18.0.1', L ? [listen('127.0.0.1', 5432), listen('0.0.0.0', 6000, 'udp')] : null);
  const other = withNetns(container('other', netB, '172.19.0.2'), '172.19.0.2', '172.19.0.1', L ? [listen('0.0.0.0', 80)] : null);
  const m1 = container('m1', mac, '192.168.50.10');
  const m2 = container('m2', mac, '192.168.50.11');
  const p1 = container('p1', macPriv, '192.168.60.10');
  const p2 = container('p2', macPriv, '192.168.60.11');
  const w1 = container('w1', weave, '10.32.0.2');
  const w2 = container('w2', weave, '10.32.0.3');
  const sysctls: Record<string, string> = { 'net.bridge.bridge-nf-call-iptables': o.bnf ?? '1' };
  if (o.forward !== null) sysctls['net.ipv4.ip_forward'] = o.forward ?? '1';
  const rules = o.rules === undefined ? readFixture('docker-27.rules') : o.rules;
  const h = host({
    interfaces: ok([iface('eth0', '203.0.113.10', 24, 'device'), iface('br-a', '172.18.0.1', 16), iface('br-b', '172.19.0.1', 16)]),
    routes: ok([route('0.0.0.0/0', 'eth0', '203.0.113.1'), route('203.0.113.0/24', 'eth0'), route('172.18.0.0/16', 'br-a'), route('172.19.0.0/16', 'br-b')]),
    rules: ok([
      { family: 'ipv4' as const, priority: 0, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'lookup' as const, table: 'local', target: null, suppressPrefixLength: null },
      { family: 'ipv4' as const, priority: 32766, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'lookup' as const, table: 'main', target: null, suppressPrefixLength: null },
    ]),
    firewall: rules === null ? { status: 'unavailable', source: 'test', reason: 'not root', value: null } : ok({ iptablesSave: rules, ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: 'legacy' as const }),
    listeners: L ? ok([listen('0.0.0.0', 22), { ...listen('0.0.0.0', 8080), process: { name: 'docker-proxy', pid: 77 } }]) : { status: 'unavailable', source: 'test', reason: 'not root', value: null },
    sysctls: ok(sysctls),
  });
  if (o.forward === null) h.daemon = { ...h.daemon, value: { ...h.daemon.value!, ipv4Forwarding: null } };
  return snapshot({ hosts: [h], networks: [netA, netB, mac, macPriv, weave], containers: [web, db, other, m1, m2, p1, p2, w1, w2] }).state;
}

describe('reach on built snapshots', () => {
  it('an app bound to 127.0.0.1 inside the container: the path is open, listening is false', () => {
    const r = reach(world(), 'web', 'db', 5432);
    expect(r.verdict).toBe('reachable');
    expect(r.listening).toBe(false);
    expect(r.reasons.map((x) => x.code)).toContain('LISTENER_LOOPBACK_ONLY');
  });

  it('UDP listener found; nothing on a TCP port gives LISTENER_NONE', () => {
    expect(reach(world(), 'web', 'db', 6000, 'udp').listening).toBe(true);
    const r = reach(world(), 'db', 'web', 81);
    expect(r.listening).toBe(false);
    expect(r.reasons.map((x) => x.code)).toContain('LISTENER_NONE');
  });

  it('no firewall evidence: unknown naming it, never reachable', () => {
    const r = reach(world({ rules: null }), 'web', 'db', 5432);
    expect(r.verdict).toBe('unknown');
    expect(r.reasons.map((x) => x.code)).toContain('FW_EVIDENCE_UNAVAILABLE');
  });

  it('no listener evidence: listening unknown (and no route evidence inside the container: unknown path)', () => {
    const r = reach(world({ listeners: false }), 'web', 'db', 5432);
    expect(r.listening).toBe('unknown');
    expect(r.reasons.map((x) => x.code)).toContain('LISTENER_EVIDENCE_MISSING');
  });

  it('ip_forward=0 blocks routed traffic but not traffic bridged on one network', () => {
    const across = reach(world({ forward: '0', rules: readFixture('docker-27.rules').replace('-A DOCKER-ISOLATION-STAGE-2 -o br-a -j DROP', '').replace('-A DOCKER-ISOLATION-STAGE-2 -o br-b -j DROP', '') }), 'web', 'other', 80);
    expect(across.blocking.map((b) => b.code)).toContain('IP_FORWARD_OFF');
    expect(reach(world({ forward: '0' }), 'web', 'db', 5432).blocking).toEqual([]);
  });

  it('ip_forward not captured: routed traffic is unknown, not reachable', () => {
    const rules = readFixture('docker-27.rules').replace(/-A DOCKER-ISOLATION-STAGE-2 -o br-[ab] -j DROP\n/g, '');
    const r = reach(world({ forward: null, rules }), 'web', 'other', 80);
    expect(r.verdict).toBe('unknown');
    expect(r.reasons.map((x) => x.code)).toContain('EVIDENCE_MISSING_SYSCTL');
  });

  it('a DROP in DOCKER-USER decides, and names the rule', () => {
    const rules = readFixture('docker-27.rules').replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -s 172.18.0.2/32 -d 172.18.0.3/32 -p tcp -m tcp --dport 5432 -j DROP\n-A DOCKER-USER -j RETURN');
    const r = reach(world({ rules }), 'web', 'db', 5432);
    expect(r.verdict).toBe('blocked');
    expect(r.blocking[0]!.message).toContain('DOCKER-USER');
    expect(reach(world({ rules }), 'web', 'db', 5433).verdict).toBe('reachable');
  });

  it('a reply dropped is as fatal as a request dropped', () => {
    const rules = readFixture('docker-27.rules').replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -s 172.18.0.3/32 -d 172.18.0.2/32 -j DROP\n-A DOCKER-USER -j RETURN');
    const r = reach(world({ rules }), 'web', 'db', 5432);
    expect(r.verdict).toBe('blocked');
    expect(r.blocking[0]).toMatchObject({ stage: 'return', code: 'FW_REPLY_DROPPED' });
  });

  it('bridge-nf-call-iptables=0: bridged traffic bypasses iptables (the ICC-style DROP does not apply)', () => {
    const rules = readFixture('docker-27.rules').replace('-A FORWARD -i br-a -o br-a -j ACCEPT', '-A FORWARD -i br-a -o br-a -j DROP');
    expect(reach(world({ rules }), 'web', 'db', 5432).verdict).toBe('blocked');
    expect(reach(world({ rules, bnf: '0' }), 'web', 'db', 5432).verdict).toBe('reachable');
  });

  it('macvlan: bridge mode endpoints reach each other, private mode does not, the host cannot reach them', () => {
    expect(reach(world(), 'm1', 'm2', null).verdict).toBe('reachable');
    expect(reach(world(), 'p1', 'p2', null).blocking[0]!.code).toBe('MACVLAN_PRIVATE');
    expect(reach(world(), 'host', 'm1', null).blocking[0]!.code).toBe('MACVLAN_HOST_ISOLATION');
    expect(reach(world(), 'm1', 'host', null).blocking[0]!.code).toBe('MACVLAN_HOST_ISOLATION');
  });

  it('the host to its own address on a published port: DNAT in nat OUTPUT to the container (not docker-proxy)', () => {
    const r = reach(world(), 'host', '203.0.113.10', 8080);
    expect(r.hops.some((h) => h.detail.includes('translated in OUTPUT'))).toBe(true);
    expect(r.hops.some((h) => h.where.includes('FORWARD'))).toBe(false);
    expect(r.destination).toMatchObject({ kind: 'container', name: 'web', port: 80 });
    expect(r.verdict).toBe('reachable');
    expect(r.listening).toBe(true);
    // The app inside listens on 127.0.0.1 only: the DNATed SYN is refused.
    const lo = reach(world({ webLoopback: true }), 'host', '203.0.113.10', 8080);
    expect(lo.listening).toBe(false);
    expect(lo.reasons.map((x) => x.code)).toContain('LISTENER_LOOPBACK_ONLY');
  });

  it('the host to 127.0.0.1 on a published port: no DNAT (! -d 127.0.0.0/8), docker-proxy answers and its leg decides', () => {
    const r = reach(world(), 'host', '127.0.0.1', 8080);
    expect(r.hops.some((h) => h.detail.startsWith('DNAT'))).toBe(false);
    expect(r.hops.some((h) => h.stage === 'proxy')).toBe(true);
    expect(r.destination).toMatchObject({ kind: 'container', name: 'web', port: 80 });
    expect(r.listening).toBe(true);
    expect(reach(world({ webLoopback: true }), 'host', '127.0.0.1', 8080).listening).toBe(false);
  });

  it('the host to a host port with nothing behind it: lo, INPUT, no socket', () => {
    const r = reach(world(), 'host', '203.0.113.10', 9);
    expect(r.destination).toMatchObject({ kind: 'host', port: 9 });
    expect(r.listening).toBe(false);
    expect(r.hops.filter((h) => h.stage === 'firewall').map((h) => h.detail)).toEqual(['request (OUTPUT) accepted by filter/OUTPUT policy', 'request (in on lo) accepted by filter/INPUT policy']);
  });

  it('a plug-in driver is unknown, naming the driver', () => {
    const r = reach(world(), 'w1', 'w2', 80);
    expect(r.verdict).toBe('unknown');
    expect(r.reasons[0]!.message).toContain('weaveworks/net-plugin');
  });
});

describe('reach on a Docker 28.0.0 host (raw-table protection, ipset FORWARD rules)', () => {
  const br = network('bridge1', '192.0.2.0/24', { bridgeName: 'bridge1' });
  const web = withNetns(container('web', br, '192.0.2.2', { publishedPorts: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: null }] }), '192.0.2.2', '192.0.2.1', [listen('0.0.0.0', 80), listen('0.0.0.0', 22)]);
  const admin = withNetns(container('admin', br, '192.0.2.3', { publishedPorts: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 9090, hostPortEnd: null }] }), '192.0.2.3', '192.0.2.1', [listen('0.0.0.0', 80)]);
  const rules = readFixture('docker-28.0.0.rules').replace(
    '-A DOCKER ! -i bridge1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80',
    '-A DOCKER ! -i bridge1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80\n-A DOCKER -d 127.0.0.1/32 ! -i bridge1 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 192.0.2.3:80',
  );
  const h = host({
    interfaces: ok([iface('eth0', '203.0.113.10', 24, 'device'), iface('bridge1', '192.0.2.1', 24)]),
    routes: ok([route('0.0.0.0/0', 'eth0', '203.0.113.1'), route('203.0.113.0/24', 'eth0'), route('192.0.2.0/24', 'bridge1')]),
    rules: ok([
      { family: 'ipv4' as const, priority: 0, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'lookup' as const, table: 'local', target: null, suppressPrefixLength: null },
      { family: 'ipv4' as const, priority: 32766, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'lookup' as const, table: 'main', target: null, suppressPrefixLength: null },
    ]),
    firewall: ok({ iptablesSave: rules, ip6tablesSave: null, nftJson: null, ipsetSave: readFixture('docker-28.0.0.ipset'), iptablesBackend: 'legacy' as const }),
    listeners: ok([
      { protocol: 'tcp' as const, family: 'ipv4' as const, address: '0.0.0.0', port: 8080, process: { name: 'docker-proxy', pid: 9 } },
      { protocol: 'tcp' as const, family: 'ipv4' as const, address: '127.0.0.1', port: 9090, process: { name: 'docker-proxy', pid: 10 } },
    ]),
    sysctls: ok({ 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1' }),
  });
  const s = snapshot({ hosts: [h], networks: [br], containers: [web, admin] }).state;

  it('direct routed access to a published container port from outside: dropped in raw PREROUTING', () => {
    const r = reach(s, '198.51.100.5', 'web', 80);
    expect(r.verdict).toBe('blocked');
    expect(r.blocking[0]!.message).toMatch(/raw\/PREROUTING/);
  });

  it('direct routed access to an unpublished port: dropped by DOCKER ! -i bridge1 -o bridge1', () => {
    const r = reach(s, '198.51.100.5', 'web', 22);
    expect(r.verdict).toBe('blocked');
    expect(r.blocking[0]!.message).toContain('-A DOCKER ! -i bridge1 -o bridge1 -j DROP');
  });

  it('the published port via the host address: DNAT, then accepted; the listener is the container\'s', () => {
    const r = reach(s, '198.51.100.5', '203.0.113.10', 8080);
    expect(r.hops.some((x) => x.detail.startsWith('DNAT 203.0.113.10:8080 → 192.0.2.2:80'))).toBe(true);
    expect(r.blocking).toEqual([]);
    expect(r.destination).toMatchObject({ kind: 'container', name: 'web', port: 80 });
    expect(r.listening).toBe(true);
  });

  it('a port published on 127.0.0.1 only: no DNAT from outside, and only loopback listens on the host', () => {
    const r = reach(s, '198.51.100.5', '203.0.113.10', 9090);
    expect(r.hops.some((x) => x.detail.startsWith('DNAT'))).toBe(false);
    expect(r.destination).toMatchObject({ kind: 'host', port: 9090 });
    expect(r.listening).toBe(false);
    expect(r.reasons.map((x) => x.code)).toContain('LISTENER_LOOPBACK_ONLY');
  });

  it('to an outside address: never reachable by our evidence alone; says what happens at the uplink', () => {
    const r = reach(s, 'web', '198.51.100.5', 443);
    expect(r.verdict).toBe('unknown');
    expect(r.reasons[0]!.code).toBe('REACH_BEYOND_HOST');
    expect(r.reasons[0]!.message).toContain('MASQUERADE');
  });
});

describe('the outcome, its cause and the fixes', () => {
  it('REFUSED: the path is open but the service listens on loopback only; the fix names 0.0.0.0 and the container', () => {
    const r = reach(ex, 'shop-proxy-1', 'shop-cache-1', 6379);
    expect(r.outcome).toBe('REFUSED');
    // verdict and listening keep their meaning
    expect(r.verdict).toBe('reachable');
    expect(r.listening).toBe(false);
    expect(r.cause).toMatchObject({ code: 'LISTENER_LOOPBACK_ONLY', stage: 'listener' });
    expect(r.fixes).toHaveLength(1);
    expect(r.fixes[0]!.code).toBe('LISTENER_LOOPBACK_ONLY');
    expect(r.fixes[0]!.fix).toMatch(/in shop-cache-1 listen on 0\.0\.0\.0:6379 \(or 10\.214\.10\.4:6379\) instead of 127\.0\.0\.1:6379/);
  });

  it('BLOCKED: the ICC drop is in reasons (FW_DROPPED and FW_ICC_DISABLED), the cause names hop and rule, the fix the network option', () => {
    const r = reach(ex, 'quarantine-a', 'quarantine-b', 80);
    expect(r.outcome).toBe('BLOCKED');
    const codes = r.reasons.map((x) => x.code);
    expect(codes).toEqual(['FW_DROPPED', 'FW_ICC_DISABLED', 'LISTENER_NONE']);
    expect(r.reasons[1]!.message).toMatch(/inter-container communication is disabled on network quarantine/);
    expect(r.cause).toMatchObject({ stage: 'firewall', at: 'firewall', by: 'filter/FORWARD rule 15 (FW_ICC_DISABLED)' });
    expect(r.hops.find((h) => h.first)!.rule).toMatchObject({ table: 'filter', chain: 'FORWARD', index: 15, match: '-s 10.214.12.2 -d 10.214.12.3 -p tcp --dport 80' });
    expect(r.fixes.map((f) => f.code)).toEqual(['FW_ICC_DISABLED', 'LISTENER_NONE']);
    expect(r.fixes[0]!.fix).toMatch(/network quarantine has com\.docker\.network\.bridge\.enable_icc=false/);
    expect(r.fixes[0]!.fix).toMatch(/docker network connect NET quarantine-a/);
    expect(r.fixes[1]!.fix).toMatch(/start the service in quarantine-b on 0\.0\.0\.0:80\/tcp/);
  });

  it('BLOCKED across an internal network: one fix for the request and the reply drop', () => {
    const r = reach(ex, 'shop-proxy-1', 'shop-db-1', 5432);
    expect(r.outcome).toBe('BLOCKED');
    expect(r.blocking.length).toBe(2);
    expect(r.fixes.map((f) => f.code)).toEqual(['FW_INTERNAL_NETWORK']);
    expect(r.fixes[0]!.fix).toMatch(/docker network connect shop_back shop-proxy-1/);
  });

  it('OPEN: path open and something listens (and ICMP echo with an open path); no cause, no fix', () => {
    const r = reach(ex, 'shop-web-1', 'shop-db-1', 5432);
    expect(r).toMatchObject({ outcome: 'OPEN', cause: null, fixes: [] });
    expect(reach(ex, 'shop-web-1', 'shop-db-1', null).outcome).toBe('OPEN');
  });

  it('BLOCKED at the source: the fix says what to start or recreate', () => {
    const stopped = reach(ex, 'shop-web-1', 'old-proxy', 80);
    expect(stopped.outcome).toBe('BLOCKED');
    expect(stopped.fixes).toEqual([{ code: 'REACH_DEST_NOT_RUNNING', fix: 'docker start old-proxy' }]);
    expect(reach(ex, 'offline-batch', 'shop-db-1', null).fixes[0]!.fix).toMatch(/offline-batch runs with network mode none/);
  });

  it('UNKNOWN names the missing evidence: sockets not captured, or no firewall ruleset', () => {
    const noSockets = reach(world({ listeners: false }), 'web', 'db', 5432);
    expect(noSockets.verdict === 'reachable' || noSockets.verdict === 'unknown').toBe(true);
    expect(noSockets.outcome).toBe('UNKNOWN');
    expect(noSockets.cause?.missing).toBeTruthy();
    const noFw = reach(world({ rules: null }), 'web', 'db', 5432);
    expect(noFw.outcome).toBe('UNKNOWN');
    expect(noFw.cause).toMatchObject({ code: 'FW_EVIDENCE_UNAVAILABLE', missing: "the host's firewall ruleset" });
    expect(noFw.fixes).toEqual([]);
  });

  it('UNKNOWN when the path is open but the destination sockets were not captured', () => {
    expect(reach(ex, 'shop-web-1', 'host', 9999).outcome).toBe('REFUSED');
    const s = structuredClone(ex);
    s.hosts[0]!.listeners = { status: 'unavailable', value: null, reason: 'not root' } as (typeof s.hosts)[0]['listeners'];
    const r = reach(s, 'shop-web-1', 'host', 9999);
    expect(r.verdict).toBe('reachable');
    expect(r.listening).toBe('unknown');
    expect(r.outcome).toBe('UNKNOWN');
    expect(r.cause).toMatchObject({ code: 'LISTENER_EVIDENCE_MISSING', missing: "the host's listening sockets" });
  });

  it('a DROP in DOCKER-USER: the fix inserts an ACCEPT before that rule', () => {
    const rules = readFixture('docker-27.rules').replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -s 172.18.0.2/32 -d 172.18.0.3/32 -p tcp -m tcp --dport 5432 -j DROP\n-A DOCKER-USER -j RETURN');
    const r = reach(world({ rules }), 'web', 'db', 5432);
    expect(r.outcome).toBe('BLOCKED');
    expect(r.fixes[0]!.code).toBe('FW_DOCKER_USER_DROP');
    expect(r.fixes[0]!.fix).toMatch(/iptables -I DOCKER-USER 1 -s 172\.18\.0\.2 -d 172\.18\.0\.3 -p tcp --dport 5432 -j ACCEPT/);
  });

  it('--expect takes the outcomes; reachable and blocked keep their meaning', () => {
    const refused = reach(ex, 'shop-proxy-1', 'shop-cache-1', 6379);
    expect(expectationMet(refused, 'refused')).toBeNull();
    expect(expectationMet(refused, 'open')).toMatch(/to be OPEN, but it is REFUSED \(LISTENER_LOOPBACK_ONLY\)/);
    expect(expectationMet(refused, 'reachable')).toMatch(/nothing listens/);
    expect(expectationMet(refused, 'blocked')).toMatch(/to be blocked, but it is reachable/);
    expect(expectationMet(reach(ex, 'quarantine-a', 'quarantine-b', 80), 'blocked')).toBeNull();
    expect(expectationMet(reach(world({ rules: null }), 'web', 'db', 5432), 'unknown')).toBeNull();
  });
});
