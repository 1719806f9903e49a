import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzePorts, type PortsResult } from '../../../src/analysis/ports.js';
import type { PlannedBinding } from '../../../src/model/plan.js';
import { addressesOverlap, canonical } from '../../../src/analysis/ports-addr.js';
import type { Container, Listener, PortBinding, Snapshot } from '../../../src/model/types.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';
import { EXAMPLE } from '../../support/cli.js';

const front = network('front', '172.20.0.0/16');
const bind = (hostIp: string, hostPort: number | null, containerPort: number, protocol: PortBinding['protocol'] = 'tcp', hostPortEnd: number | null = null): PortBinding => ({
  hostIp,
  hostPort,
  hostPortEnd,
  containerPort,
  protocol,
});
/** A running container publishing `b` (effective = configured). */
const running = (name: string, bs: PortBinding[], over: Partial<Container> = {}) =>
  container(name, front, '172.20.0.2', { portBindings: bs, publishedPorts: bs, ...over });
const stopped = (name: string, bs: PortBinding[]) =>
  container(name, front, null, { state: 'exited', running: false, pid: null, portBindings: bs, publishedPorts: [] });
const ok = <T>(value: T) => ({ status: 'ok' as const, source: 'test', value });
const listener = (address: string, port: number, proc: { name: string; pid: number } | null, protocol: 'tcp' | 'udp' = 'tcp'): Listener => ({
  protocol,
  family: address.includes(':') ? 'ipv6' : 'ipv4',
  address,
  port,
  process: proc,
});
const plan = (hostIp: string, hostPort: number | null, over: Partial<PlannedBinding> = {}): PlannedBinding => ({
  project: 'app',
  service: 'web',
  hostIp,
  hostPort,
  hostPortEnd: null,
  containerPort: 80,
  containerPortEnd: null,
  protocol: 'tcp',
  mode: null,
  source: 'compose.yaml:5',
  ...over,
});
const withListeners = (ls: Listener[], sysctls: Record<string, string> = { 'net.ipv4.ip_local_port_range': '32768 60999' }) =>
  host({ listeners: ok(ls), sysctls: ok(sysctls) });

function run(containers: Container[], opts: { listeners?: Listener[]; sysctls?: Record<string, string>; planned?: PlannedBinding[] } = {}): PortsResult {
  const s = snapshot({ hosts: [withListeners(opts.listeners ?? [], opts.sysctls)], networks: [front], containers });
  return analyzePorts(s.state, { planned: opts.planned });
}
const codes = (r: PortsResult) => r.findings.map((f) => f.code);

describe('address overlap rules', () => {
  const v = { bindv6only: false };
  const v6only = { bindv6only: true };
  it.each([
    ['0.0.0.0', '10.0.0.1', v, true],
    ['0.0.0.0', '127.0.0.1', v, true],
    ['0.0.0.0', '0.0.0.0', v, true],
    ['10.0.0.1', '10.0.0.1', v, true],
    ['10.0.0.1', '10.0.0.2', v, false],
    ['127.0.0.1', '10.0.0.1', v, false],
    ['::', '::1', v, true],
    ['::', 'fd00::1', v, true],
    ['::1', 'fd00::1', v, false],
    ['::', '0.0.0.0', v, true],
    ['::', '10.0.0.1', v, true],
    ['::', '10.0.0.1', v6only, false],
    ['::', '0.0.0.0', v6only, false],
    ['0.0.0.0', '::1', v, false],
    ['0.0.0.0', '::', v6only, false],
    ['127.0.0.1', '::1', v, false],
  ])('%s vs %s (%o) → %s', (a, b, ctx, want) => {
    expect(addressesOverlap(a, b, ctx)).toBe(want);
    expect(addressesOverlap(b, a, ctx)).toBe(want);
  });
  it('canonicalizes IPv6 and IPv4-mapped addresses', () => {
    expect(canonical('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonical('[::]')).toBe('::');
    expect(canonical('FD00:0:0::0001')).toBe('fd00::1');
    expect(canonical('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonical('')).toBe('0.0.0.0');
    // Any spelling of a mapped address, and a zone from ss output, as the one address module reads them.
    expect(canonical('0:0:0:0:0:FFFF:7F00:1')).toBe('127.0.0.1');
    expect(canonical('[fe80::0001%eth0]')).toBe('fe80::1');
    expect(canonical('db')).toBe('db');
  });
});

describe('conflicts between claims', () => {
  it('0.0.0.0 against a specific address on the same port collides, at the specific address', () => {
    const r = run([running('a', [bind('0.0.0.0', 8080, 80)]), stopped('b', [bind('10.0.0.5', 8080, 80)])]);
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]).toMatchObject({ hostIp: '10.0.0.5', hostPort: 8080, protocol: 'tcp' });
    expect(r.conflicts[0]!.claimants.map((c) => [c.name, c.active])).toEqual([['a', true], ['b', false]]);
  });
  it('two different specific addresses do not collide', () => {
    const r = run([running('a', [bind('10.0.0.1', 8080, 80)]), stopped('b', [bind('10.0.0.2', 8080, 80)])]);
    expect(r.conflicts).toEqual([]);
  });
  it('different protocols do not collide', () => {
    const r = run([running('a', [bind('0.0.0.0', 53, 53, 'tcp')]), stopped('b', [bind('0.0.0.0', 53, 53, 'udp')])]);
    expect(r.conflicts).toEqual([]);
  });
  it('different ports do not collide', () => {
    const r = run([running('a', [bind('0.0.0.0', 8080, 80)]), stopped('b', [bind('0.0.0.0', 8081, 80)])]);
    expect(r.conflicts).toEqual([]);
  });
  it(':: collides with IPv4 unless bindv6only', () => {
    const cs = [running('a', [bind('::', 8080, 80)]), stopped('b', [bind('127.0.0.1', 8080, 80)])];
    expect(run(cs).conflicts).toHaveLength(1);
    expect(run(cs, { sysctls: { 'net.ipv6.bindv6only': '1' } }).conflicts).toEqual([]);
  });
  it(':: against a specific IPv6 address collides; 0.0.0.0 against IPv6 does not', () => {
    expect(run([running('a', [bind('::', 9000, 80)]), stopped('b', [bind('fd00::5', 9000, 80)])]).conflicts[0]).toMatchObject({ hostIp: 'fd00::5' });
    expect(run([running('a', [bind('0.0.0.0', 9000, 80)]), stopped('b', [bind('::1', 9000, 80)])]).conflicts).toEqual([]);
  });
  it('the dual-stack pair of one container is not a conflict with itself', () => {
    const r = run([running('a', [bind('0.0.0.0', 8080, 80), bind('::', 8080, 80)])]);
    expect(r.conflicts).toEqual([]);
  });
  it('ranges collide port by port and consecutive ports merge into one conflict', () => {
    const r = run([running('a', [bind('0.0.0.0', 8000, 8000, 'tcp', 8010)]), stopped('b', [bind('0.0.0.0', 8005, 8005, 'tcp', 8020)])]);
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]).toMatchObject({ hostPort: 8005, hostPortEnd: 8010 });
    const single = run([running('a', [bind('0.0.0.0', 8000, 8000, 'tcp', 8010)]), stopped('b', [bind('0.0.0.0', 8010, 80)])]);
    expect(single.conflicts[0]).toMatchObject({ hostPort: 8010, hostPortEnd: null });
    expect(run([running('a', [bind('0.0.0.0', 8000, 8000, 'tcp', 8010)]), stopped('b', [bind('0.0.0.0', 8011, 80)])]).conflicts).toEqual([]);
  });
  it('every claimant is listed, including a third one', () => {
    const r = run([running('a', [bind('0.0.0.0', 8080, 80)]), stopped('b', [bind('0.0.0.0', 8080, 80)]), stopped('c', [bind('127.0.0.1', 8080, 80)])]);
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]!.claimants.map((c) => c.name).sort()).toEqual(['a', 'b', 'c']);
  });
  it('bindings with a Docker-picked host port (hostPort null) are not claims while stopped', () => {
    const r = run([running('a', [bind('0.0.0.0', 8080, 80)]), stopped('b', [bind('0.0.0.0', null, 80)])]);
    expect(r.conflicts).toEqual([]);
  });
  it('multiple hosts: the same port on two hosts is no conflict', () => {
    const h2 = { ...withListeners([]), id: 'host2', name: 'host2' };
    const a = running('a', [bind('0.0.0.0', 8080, 80)]);
    const b = { ...stopped('b', [bind('0.0.0.0', 8080, 80)]), hostId: 'host2' };
    const s = snapshot({ hosts: [withListeners([]), h2], networks: [front], containers: [a, b] });
    expect(analyzePorts(s.state).conflicts).toEqual([]);
  });
});

describe('findings (each with a fixture that triggers it and one that does not)', () => {
  it('PORT_CONFLICT_STOPPED_CONTAINER', () => {
    const r = run([running('a', [bind('0.0.0.0', 8080, 80)]), stopped('b', [bind('0.0.0.0', 8080, 80)])]);
    const f = r.findings.find((x) => x.code === 'PORT_CONFLICT_STOPPED_CONTAINER')!;
    expect(f.severity).toBe('warning');
    expect(f.subjects).toEqual(['b', 'a']);
    expect(f.message).toContain('port is already allocated');
    expect(f.evidence.some((e) => e.startsWith('containers[b].portBindings[0]'))).toBe(true);
    expect(codes(run([running('a', [bind('0.0.0.0', 8080, 80)]), stopped('b', [bind('0.0.0.0', 8081, 80)])]))).not.toContain('PORT_CONFLICT_STOPPED_CONTAINER');
  });
  it('PORT_ALLOCATED_BY_CONTAINER for a planned binding on a running container\'s port', () => {
    const r = run([running('a', [bind('127.0.0.1', 18080, 80)])], { planned: [plan('127.0.0.1', 18080)] });
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]!.claimants.map((c) => c.kind)).toEqual(['container', 'planned']);
    const f = r.findings.find((x) => x.code === 'PORT_ALLOCATED_BY_CONTAINER')!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain('Bind for 127.0.0.1:18080 failed: port is already allocated');
    expect(codes(run([running('a', [bind('127.0.0.1', 18080, 80)])], { planned: [plan('127.0.0.1', 18081)] }))).not.toContain('PORT_ALLOCATED_BY_CONTAINER');
  });
  it('a planned binding does not collide with the running container of the same compose service', () => {
    const mine = running('app-web-1', [bind('0.0.0.0', 8080, 80)], { compose: { project: 'app', service: 'web', containerNumber: '1', oneoff: false } });
    expect(run([mine], { planned: [plan('', 8080)] }).conflicts).toEqual([]);
    const other = running('x-web-1', [bind('0.0.0.0', 8080, 80)], { compose: { project: 'x', service: 'web', containerNumber: '1', oneoff: false } });
    expect(run([other], { planned: [plan('', 8080)] }).conflicts).toHaveLength(1);
  });
  it('PORT_ALLOCATED_BY_CONTAINER between two running containers (should not happen, but is reported)', () => {
    const r = run([running('a', [bind('0.0.0.0', 8080, 80)]), running('b', [bind('0.0.0.0', 8080, 80)])]);
    expect(codes(r)).toContain('PORT_ALLOCATED_BY_CONTAINER');
  });
  it('PLANNED_PORT_DUPLICATE', () => {
    const r = run([], { planned: [plan('', 8080), plan('', 8080, { service: 'api' })] });
    expect(codes(r)).toContain('PLANNED_PORT_DUPLICATE');
    expect(codes(run([], { planned: [plan('', 8080), plan('', 8081, { service: 'api' })] }))).not.toContain('PLANNED_PORT_DUPLICATE');
  });
  it('PORT_BOUND_BY_HOST_PROCESS: a host process on a planned or configured port', () => {
    const ls = [listener('127.0.0.1', 9999, { name: 'node', pid: 4242 })];
    const r = run([], { listeners: ls, planned: [plan('127.0.0.1', 9999)] });
    expect(r.conflicts[0]!.claimants.map((c) => [c.kind, c.name])).toEqual([['host-process', 'node'], ['planned', 'app/web']]);
    const f = r.findings.find((x) => x.code === 'PORT_BOUND_BY_HOST_PROCESS')!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain('address already in use');
    expect(codes(run([stopped('b', [bind('0.0.0.0', 9999, 80)])], { listeners: ls }))).toContain('PORT_BOUND_BY_HOST_PROCESS');
    expect(codes(run([], { listeners: ls, planned: [plan('127.0.0.1', 9998)] }))).not.toContain('PORT_BOUND_BY_HOST_PROCESS');
    expect(codes(run([], { listeners: ls, planned: [plan('10.0.0.1', 9999)] }))).not.toContain('PORT_BOUND_BY_HOST_PROCESS');
  });
  it('docker-proxy listeners that match a binding are that binding; a stray one is a claimant', () => {
    const a = running('a', [bind('0.0.0.0', 8080, 80)]);
    const proxy = [listener('0.0.0.0', 8080, { name: 'docker-proxy', pid: 10 })];
    const r = run([a], { listeners: proxy });
    expect(r.conflicts).toEqual([]);
    expect(r.claims['host-process']).toBe(0);
    const stray = run([stopped('b', [bind('0.0.0.0', 7070, 80)])], { listeners: [listener('0.0.0.0', 7070, { name: 'docker-proxy', pid: 11 })] });
    expect(stray.conflicts[0]!.claimants.find((c) => c.kind === 'host-process')!.name).toContain('docker-proxy');
  });
  it('a listener with no known process exactly on a published binding is taken as its proxy (and noted)', () => {
    const r = run([running('a', [bind('0.0.0.0', 8080, 80)])], { listeners: [listener('0.0.0.0', 8080, null)] });
    expect(r.conflicts).toEqual([]);
    expect(r.notes.join(' ')).toContain('docker-proxy');
  });
  it('PUBLISH_HOST_MODE_CONFLICT: a host-network container listening on a port another container is configured for', () => {
    const hn = container('exporter', null, null, { networkMode: { kind: 'host' }, pid: 500 });
    const ls = [listener('0.0.0.0', 9100, { name: 'node_exporter', pid: 500 })];
    const r = run([hn, stopped('b', [bind('0.0.0.0', 9100, 9100)])], { listeners: ls });
    expect(r.conflicts[0]!.claimants.map((c) => c.kind).sort()).toEqual(['container', 'host-network-container']);
    expect(codes(r)).toContain('PUBLISH_HOST_MODE_CONFLICT');
    expect(codes(r)).not.toContain('PORT_BOUND_BY_HOST_PROCESS');
    expect(codes(run([hn, stopped('b', [bind('0.0.0.0', 9101, 9100)])], { listeners: ls }))).not.toContain('PUBLISH_HOST_MODE_CONFLICT');
  });
  it('host-network listeners are also taken from the container\'s namespace when the host list lacks them', () => {
    const hn = container('exporter', null, null, {
      networkMode: { kind: 'host' },
      pid: 500,
      netns: ok({ interfaces: [], routes: [], listeners: [listener('0.0.0.0', 9100, { name: 'node_exporter', pid: 500 })] }),
    });
    const r = run([hn], { planned: [plan('', 9100)] });
    expect(codes(r)).toContain('PUBLISH_HOST_MODE_CONFLICT');
  });
  it('PUBLISH_IGNORED_HOST_MODE', () => {
    const hn = container('h', null, null, { networkMode: { kind: 'host' }, portBindings: [bind('0.0.0.0', 80, 80)] });
    expect(codes(run([hn]))).toContain('PUBLISH_IGNORED_HOST_MODE');
    expect(codes(run([container('h', null, null, { networkMode: { kind: 'host' } })]))).not.toContain('PUBLISH_IGNORED_HOST_MODE');
  });
  it('PUBLISH_LOOPBACK_ONLY (info)', () => {
    const f = run([running('a', [bind('127.0.0.1', 5432, 5432)])]).findings.find((x) => x.code === 'PUBLISH_LOOPBACK_ONLY')!;
    expect(f.severity).toBe('info');
    expect(codes(run([running('a', [bind('10.0.0.1', 5432, 5432)])]))).not.toContain('PUBLISH_LOOPBACK_ONLY');
  });
  it('PUBLISH_LISTENER_LOOPBACK_ONLY (error) and PUBLISH_NO_LISTENER', () => {
    const ns = (ls: Listener[]) => ok({ interfaces: [], routes: [], listeners: ls });
    const lo = running('a', [bind('0.0.0.0', 6379, 6379)], { netns: ns([listener('127.0.0.1', 6379, { name: 'redis', pid: 1 })]) });
    const f = run([lo]).findings.find((x) => x.code === 'PUBLISH_LISTENER_LOOPBACK_ONLY')!;
    expect(f.severity).toBe('error');
    expect(f.evidence.join('\n')).toContain('127.0.0.1:6379');
    const wild = running('a', [bind('0.0.0.0', 6379, 6379)], { netns: ns([listener('0.0.0.0', 6379, null)]) });
    expect(codes(run([wild]))).not.toContain('PUBLISH_LISTENER_LOOPBACK_ONLY');
    const both = running('a', [bind('0.0.0.0', 6379, 6379)], { netns: ns([listener('127.0.0.1', 6379, null), listener('172.20.0.2', 6379, null)]) });
    expect(codes(run([both]))).not.toContain('PUBLISH_LISTENER_LOOPBACK_ONLY');
    const none = running('a', [bind('0.0.0.0', 8080, 80)], { netns: ns([]) });
    expect(codes(run([none]))).toContain('PUBLISH_NO_LISTENER');
    expect(codes(run([wild]))).not.toContain('PUBLISH_NO_LISTENER');
  });
  it('RISKY_EXPOSURE for internal services on all addresses only', () => {
    for (const p of [5432, 3306, 6379, 27017, 9200, 11211, 2375, 2376, 8500]) {
      const r = run([running('a', [bind('0.0.0.0', p, p)])]);
      expect(r.findings.filter((x) => x.code === 'RISKY_EXPOSURE')).toHaveLength(1);
    }
    expect(codes(run([running('a', [bind('0.0.0.0', 15432, 5432)])]))).toContain('RISKY_EXPOSURE'); // by container port
    expect(codes(run([running('a', [bind('127.0.0.1', 5432, 5432)])]))).not.toContain('RISKY_EXPOSURE');
    expect(codes(run([running('a', [bind('0.0.0.0', 8080, 80)])]))).not.toContain('RISKY_EXPOSURE');
    // one finding for the dual-stack pair
    expect(run([running('a', [bind('0.0.0.0', 6379, 6379), bind('::', 6379, 6379)])]).findings.filter((x) => x.code === 'RISKY_EXPOSURE')).toHaveLength(1);
    expect(codes(run([], { planned: [plan('', 27017, { containerPort: 27017 })] }))).toContain('RISKY_EXPOSURE');
  });
  it('EPHEMERAL_RANGE_PORT: random ports (info) and fixed ports (warning) inside ip_local_port_range', () => {
    const random = running('a', [bind('0.0.0.0', 49153, 80)], { portBindings: [bind('0.0.0.0', null, 80)] });
    const f = run([random]).findings.find((x) => x.code === 'EPHEMERAL_RANGE_PORT')!;
    expect(f.severity).toBe('info');
    expect(f.evidence.join(' ')).toContain('32768 60999');
    const pa = running('a', [], { publishAll: true, publishedPorts: [bind('0.0.0.0', 32770, 80)] });
    expect(run([pa]).findings.find((x) => x.code === 'EPHEMERAL_RANGE_PORT')!.severity).toBe('info');
    const fixed = running('a', [bind('0.0.0.0', 40000, 80)]);
    expect(run([fixed]).findings.find((x) => x.code === 'EPHEMERAL_RANGE_PORT')!.severity).toBe('warning');
    expect(codes(run([fixed], { sysctls: { 'net.ipv4.ip_local_port_range': '50000 60000' } }))).not.toContain('EPHEMERAL_RANGE_PORT');
    expect(codes(run([running('a', [bind('0.0.0.0', 8080, 80)])]))).not.toContain('EPHEMERAL_RANGE_PORT');
  });
  it('EPHEMERAL_RANGE_PORT without the sysctl assumes the Linux default and says so', () => {
    const s = snapshot({ hosts: [host({ listeners: ok([]) })], networks: [front], containers: [running('a', [bind('0.0.0.0', 40000, 80)])] });
    const r = analyzePorts(s.state);
    expect(codes(r)).toContain('EPHEMERAL_RANGE_PORT');
    expect(r.notes.join(' ')).toContain('ip_local_port_range not captured');
  });
  it('PRIVILEGED_PORT (info)', () => {
    expect(run([running('a', [bind('0.0.0.0', 80, 80)])]).findings.find((x) => x.code === 'PRIVILEGED_PORT')!.severity).toBe('info');
    expect(codes(run([running('a', [bind('0.0.0.0', 1024, 80)])]))).not.toContain('PRIVILEGED_PORT');
  });
  it('PUBLISH_NOT_IN_EFFECT names internal networks', () => {
    const internal = network('back', '172.21.0.0/16', { internal: true });
    const c = container('db', internal, '172.21.0.2', { portBindings: [bind('127.0.0.1', 5432, 5432)], publishedPorts: [] });
    const s = snapshot({ hosts: [withListeners([])], networks: [internal], containers: [c] });
    const f = analyzePorts(s.state).findings.find((x) => x.code === 'PUBLISH_NOT_IN_EFFECT')!;
    expect(f.message).toContain('internal network');
    expect(codes(run([running('a', [bind('127.0.0.1', 5432, 5432)])]))).not.toContain('PUBLISH_NOT_IN_EFFECT');
  });
  it('EVIDENCE_MISSING when host listeners are not captured — never a silent skip', () => {
    const s = snapshot({ networks: [front], containers: [running('a', [bind('0.0.0.0', 8080, 80)])] });
    const r = analyzePorts(s.state, { planned: [plan('', 9000)] });
    const f = r.findings.find((x) => x.code === 'EVIDENCE_MISSING' && /host-process/.test(x.title))!;
    expect(f.severity).toBe('info');
    expect(f.evidence[0]).toContain('listeners: unavailable');
    expect(r.findings.some((x) => x.code === 'EVIDENCE_MISSING' && x.subjects.includes('a'))).toBe(true); // netns too
    expect(codes(run([]))).not.toContain('EVIDENCE_MISSING');
  });
  it('EVIDENCE_MISSING for swarm ingress ports on a swarm node', () => {
    const h = withListeners([]);
    h.daemon.value!.swarm = { state: 'active', nodeId: 'n1', nodeAddr: '10.0.0.1' };
    const s = snapshot({ hosts: [h], networks: [front, network('ingress', '10.0.0.0/24', { driver: 'overlay', ingress: true, scope: 'swarm' })] });
    expect(analyzePorts(s.state).findings.some((x) => x.code === 'EVIDENCE_MISSING' && /[Ss]warm/.test(x.title))).toBe(true);
  });
  it('every finding carries code, severity, title, message, subjects, evidence and remediation', () => {
    const r = run([running('a', [bind('0.0.0.0', 6379, 6379)]), stopped('b', [bind('0.0.0.0', 6379, 6379)])], { listeners: [listener('127.0.0.1', 70, { name: 'x', pid: 1 })] });
    for (const f of r.findings) {
      expect(Object.keys(f).sort()).toEqual(['code', 'evidence', 'message', 'remediation', 'severity', 'subjects', 'title']);
      expect(f.evidence.length).toBeGreaterThan(0);
    }
  });
});

describe('the bundled example snapshot', () => {
  const snap = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot;
  const r = analyzePorts(snap.state);
  it('holds what the assertions rely on', () => {
    const by = (n: string) => snap.state.containers.find((c) => c.name === n)!;
    expect(by('shop-proxy-1').publishedPorts.map((b) => `${b.hostIp}:${b.hostPort}`).sort()).toEqual(['0.0.0.0:8080', ':::8080']);
    expect(by('old-proxy')).toMatchObject({ state: 'created', running: false });
    expect(by('old-proxy').portBindings[0]).toMatchObject({ hostIp: '0.0.0.0', hostPort: 8080 });
    expect(by('shop-db-1').portBindings[0]).toMatchObject({ hostIp: '127.0.0.1', hostPort: 5432 });
    expect(by('node-exporter').networkMode.kind).toBe('host');
  });
  it('one conflict: 8080/tcp between running shop-proxy-1 and created old-proxy', () => {
    expect(r.conflicts).toHaveLength(1);
    const c = r.conflicts[0]!;
    expect(c).toMatchObject({ hostIp: '0.0.0.0', hostPort: 8080, protocol: 'tcp' });
    expect([...new Set(c.claimants.map((x) => `${x.name}:${x.active}`))]).toEqual(['shop-proxy-1:true', 'old-proxy:false']);
  });
  it('findings: stopped-container conflict, loopback-only listener behind 6379, Redis exposed, db not published', () => {
    expect(codes(r).sort()).toEqual(['PORT_CONFLICT_STOPPED_CONTAINER', 'PUBLISH_LISTENER_LOOPBACK_ONLY', 'PUBLISH_NOT_IN_EFFECT', 'RISKY_EXPOSURE']);
    expect(r.findings.find((f) => f.code === 'PUBLISH_LISTENER_LOOPBACK_ONLY')!.subjects).toEqual(['shop-cache-1']);
    expect(r.findings.find((f) => f.code === 'RISKY_EXPOSURE')!.subjects).toEqual(['shop-cache-1']);
    expect(r.findings.find((f) => f.code === 'PUBLISH_NOT_IN_EFFECT')!.subjects).toEqual(['shop-db-1']);
  });
  it('attributes node-exporter\'s 127.0.0.1:19100 to the host-network container and the docker-proxy sockets to their bindings', () => {
    expect(r.claims).toEqual({ container: 5, 'host-network-container': 1, 'host-process': 1, planned: 0 });
  });
  it('a planned 127.0.0.1:19100 collides with node-exporter; a planned 8080 with shop-proxy-1; 2024 with an unknown host process', () => {
    const p = analyzePorts(snap.state, { planned: [plan('127.0.0.1', 19100), plan('', 8080, { service: 'front' }), plan('', 2024, { service: 'ssh' })] });
    expect(codes(p)).toEqual(expect.arrayContaining(['PUBLISH_HOST_MODE_CONFLICT', 'PORT_ALLOCATED_BY_CONTAINER', 'PORT_BOUND_BY_HOST_PROCESS']));
    const c2024 = p.conflicts.find((c) => c.hostPort === 2024)!;
    expect(c2024.claimants.find((c) => c.kind === 'host-process')!.name).toBe('unknown process');
  });
});
