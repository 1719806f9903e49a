import { describe, expect, it } from 'vitest';
import { predictResolution } from '../../../src/analysis/dns/predict.js';
import { dnsChecks } from '../../../src/analysis/dns/checks.js';
import { compareWithObserved } from '../../../src/analysis/dns/compare.js';
import { searchCandidates } from '../../../src/dns/search.js';
import type { Container, NetworkState, ResolvConf, Section } from '../../../src/model/types.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';

const ok = <T>(value: T): Section<T> => ({ status: 'ok', source: 'test', value });
const resolv = (nameservers: string[], extra: Partial<ResolvConf> = {}, footer = ''): Section<ResolvConf> =>
  ok({ nameservers, search: [], options: [], raw: `${nameservers.map((n) => `nameserver ${n}`).join('\n')}\n${footer}`, ...extra });
const embedded = (up = '10.214.1.1', extra: Partial<ResolvConf> = {}) => resolv(['127.0.0.11'], { options: ['ndots:0'], ...extra }, `# ExtServers: [${up}]`);
const hosts = (entries: Array<[string, ...string[]]> = []) => ok(entries.map(([address, ...names]) => ({ address, names })));

const app = network('app', '10.214.1.0/24');
const other = network('other', '10.214.2.0/24');
const bridge = network('bridge', '10.212.0.0/24', { options: { 'com.docker.network.bridge.default_bridge': 'true' } });

function state(containers: Container[], networks = [app, other, bridge]): NetworkState {
  return snapshot({ networks, containers }).state;
}

function withAlias(c: Container, ...aliases: string[]): Container {
  c.endpoints[0]!.aliases = aliases;
  c.endpoints[0]!.dnsNames = [c.name, ...aliases, c.id.slice(0, 12)];
  return c;
}

const client = () => container('client', app, '10.214.1.2', { resolvConf: embedded(), hostsFile: hosts([['127.0.0.1', 'localhost']]) });

describe('predictResolution', () => {
  it('answers a container name on a shared user-defined network from the embedded DNS', () => {
    const s = state([client(), container('web', app, '10.214.1.3')]);
    const p = predictResolution(s, { from: 'client', name: 'web', type: 'A' });
    expect(p.verdict).toBe('resolved');
    expect(p.certainty).toBe('certain');
    expect(p.answers).toEqual([expect.objectContaining({ data: '10.214.1.3', source: 'embedded', container: 'web', network: 'app', ttl: 600 })]);
    expect(p.steps.map((x) => [x.kind, x.outcome])).toEqual([
      ['hosts', 'nxdomain'],
      ['embedded', 'answer'],
    ]);
  });

  it('answers network aliases and name.network, case-insensitively', () => {
    const s = state([client(), withAlias(container('web', app, '10.214.1.3'), 'www')]);
    expect(predictResolution(s, { from: 'client', name: 'WWW', type: 'A' }).answers[0]!.data).toBe('10.214.1.3');
    expect(predictResolution(s, { from: 'client', name: 'web.app', type: 'A' }).answers[0]!.data).toBe('10.214.1.3');
  });

  it('returns every address of a shared alias (round robin) and flags unrelated owners as ambiguous', () => {
    const a = withAlias(container('a', app, '10.214.1.3'), 'pool');
    const b = withAlias(container('b', app, '10.214.1.4'), 'pool');
    let p = predictResolution(state([client(), a, b]), { from: 'client', name: 'pool', type: 'A' });
    expect(p.answerMode).toBe('any-order');
    expect(p.answers.map((x) => x.data).sort()).toEqual(['10.214.1.3', '10.214.1.4']);
    expect(p.reasons.map((r) => r.code)).toContain('SHARED_ALIAS');

    const c1 = withAlias(container('p1-db-1', app, '10.214.1.5', { compose: { project: 'p1', service: 'db', containerNumber: '1', oneoff: false } }), 'db');
    const c2 = withAlias(container('p2-db-1', app, '10.214.1.6', { compose: { project: 'p2', service: 'db', containerNumber: '1', oneoff: false } }), 'db');
    p = predictResolution(state([client(), c1, c2]), { from: 'client', name: 'db', type: 'A' });
    expect(p.reasons.map((r) => r.code)).toContain('AMBIGUOUS_ALIAS');
    const findings = dnsChecks(state([client(), c1, c2]));
    expect(findings.map((f) => f.code)).toContain('DNS_NAME_COLLISION');

    const r1 = withAlias(container('p-web-1', app, '10.214.1.7', { compose: { project: 'p', service: 'web', containerNumber: '1', oneoff: false } }), 'web');
    const r2 = withAlias(container('p-web-2', app, '10.214.1.8', { compose: { project: 'p', service: 'web', containerNumber: '2', oneoff: false } }), 'web');
    p = predictResolution(state([client(), r1, r2]), { from: 'client', name: 'web', type: 'A' });
    expect(p.reasons.map((r) => r.code)).toContain('ROUND_ROBIN');
  });

  it('does not answer names on a network the querier is not attached to', () => {
    const s = state([client(), container('db', other, '10.214.2.3')]);
    const p = predictResolution(s, { from: 'client', name: 'db', type: 'A' });
    expect(p.verdict).toBe('nxdomain');
    expect(p.certainty).toBe('inferred');
    expect(p.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['NAME_NOT_ON_SHARED_NETWORK', 'UPSTREAM_DOES_NOT_KNOW_CONTAINERS']));
    expect(p.steps.map((x) => x.kind)).toEqual(['hosts', 'embedded', 'upstream']);
  });

  it('explains that the default bridge has no embedded DNS', () => {
    const legacy = container('legacy', bridge, '10.212.0.2', { resolvConf: resolv(['10.214.1.1']), hostsFile: hosts() });
    const p = predictResolution(state([legacy, container('web', bridge, '10.212.0.3', { endpoints: [] })]), { from: 'legacy', name: 'web', type: 'A' });
    expect(p.reasons.map((r) => r.code)).toContain('DEFAULT_BRIDGE_NO_DNS');
    expect(p.verdict).toBe('nxdomain');
    expect(p.steps.at(-1)).toEqual(expect.objectContaining({ kind: 'nameserver', server: '10.214.1.1', outcome: 'forward' }));
  });

  it('flags 127.0.0.11 without a user-defined network and the host stub resolver', () => {
    const a = container('a', bridge, '10.212.0.2', { resolvConf: resolv(['127.0.0.11']), hostsFile: hosts() });
    let p = predictResolution(state([a]), { from: 'a', name: 'example.test', type: 'A' });
    expect(p.reasons.map((r) => r.code)).toContain('EMBEDDED_DNS_ABSENT');
    expect(p.verdict).toBe('timeout');
    const b = container('b', bridge, '10.212.0.3', { resolvConf: resolv(['127.0.0.53']), hostsFile: hosts() });
    p = predictResolution(state([b]), { from: 'b', name: 'example.test', type: 'A' });
    expect(p.reasons.map((r) => r.code)).toContain('HOST_STUB_RESOLVER');
    expect(p.verdict).toBe('timeout');
    expect(dnsChecks(state([b])).map((f) => f.code)).toContain('HOST_STUB_RESOLVER');
    // Via the embedded DNS, a host stub upstream is reached from the host namespace: fine.
    const c = container('c', app, '10.214.1.9', { resolvConf: resolv(['127.0.0.11'], {}, '# ExtServers: [host(127.0.0.53)]'), hostsFile: hosts() });
    p = predictResolution(state([c]), { from: 'c', name: 'example.test', type: 'A' });
    expect(p.verdict).toBe('unknown');
    expect(p.reasons.map((r) => r.code)).toContain('HOST_STUB_VIA_EMBEDDED');
  });

  it('answers from /etc/hosts (and --add-host) before DNS', () => {
    const c = container('c', app, '10.214.1.2', {
      resolvConf: embedded(),
      hostsFile: hosts([['10.214.99.99', 'pinned.test']]),
      extraHosts: [{ name: 'pinned.test', address: '10.214.99.99' }],
    });
    const p = predictResolution(state([c]), { from: 'c', name: 'pinned.test', type: 'A' });
    expect(p.verdict).toBe('resolved');
    expect(p.answers).toEqual([expect.objectContaining({ source: 'hosts', data: '10.214.99.99' })]);
    expect(p.reasons.map((r) => r.code)).toContain('EXTRA_HOSTS_ANSWER');
    expect(p.steps).toHaveLength(1);
    // AAAA: a v4-only hosts entry does not answer; the question goes on to DNS.
    expect(predictResolution(state([c]), { from: 'c', name: 'pinned.test', type: 'AAAA' }).steps.length).toBeGreaterThan(1);
  });

  it('gives NODATA for AAAA of a container without IPv6 (not forwarded)', () => {
    const p = predictResolution(state([client(), container('web', app, '10.214.1.3')]), { from: 'client', name: 'web', type: 'AAAA' });
    expect(p.verdict).toBe('nxdomain');
    expect(p.reasons.map((r) => r.code)).toContain('NODATA');
    expect(p.steps.at(-1)!.outcome).toBe('nodata');
  });

  it('expands search domains with ndots like glibc and flags the cost', () => {
    const c = container('c', app, '10.214.1.2', { resolvConf: embedded('10.214.1.1', { search: ['corp.test', 'svc.test'], options: ['ndots:5'] }), hostsFile: hosts() });
    const s = state([c, container('web', app, '10.214.1.3')]);
    const p = predictResolution(s, { from: 'c', name: 'web', type: 'A' });
    expect(p.candidates).toEqual(['web.corp.test', 'web.svc.test', 'web']);
    expect(p.verdict).toBe('resolved');
    expect(p.certainty).toBe('inferred');
    expect(p.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['NDOTS_EXPANSION', 'ASSUMES_UPSTREAM_NXDOMAIN']));
    expect(dnsChecks(s).map((f) => f.code)).toContain('NDOTS_EXPANSION');
  });

  it('says unknown, naming the evidence, when resolv.conf was not captured', () => {
    const c = container('c', app, '10.214.1.2', { hostsFile: hosts() });
    const p = predictResolution(state([c, container('web', app, '10.214.1.3')]), { from: 'c', name: 'web', type: 'A' });
    expect(p.verdict).toBe('unknown');
    expect(p.missing.join(' ')).toMatch(/resolv\.conf/);
    expect(p.reasons.map((r) => r.code)).toContain('RESOLV_CONF_UNAVAILABLE');
  });

  it('answers PTR for a container address on a shared network', () => {
    const p = predictResolution(state([client(), container('web', app, '10.214.1.3')]), { from: 'client', name: '10.214.1.3', type: 'PTR' });
    expect(p.qname).toBe('3.1.214.10.in-addr.arpa');
    expect(p.answers[0]!.data).toBe('web.app.');
  });

  it('ignores stopped containers and says so', () => {
    const web = container('web', app, '10.214.1.3', { running: false, state: 'exited' });
    const p = predictResolution(state([client(), web]), { from: 'client', name: 'web', type: 'A' });
    expect(p.reasons.map((r) => r.code)).toContain('TARGET_NOT_RUNNING');
  });

  it('refuses internal-only forwarding on Docker ≥ 26 and rejects unknown containers', () => {
    const internal = network('int', '10.214.3.0/24', { internal: true });
    const c = container('c', internal, '10.214.3.2', { resolvConf: embedded() });
    const s = snapshot({ hosts: [host()], networks: [internal], containers: [c] }).state;
    s.hosts[0]!.daemon.value!.version = '27.5.1';
    const p = predictResolution(s, { from: 'c', name: 'example.test', type: 'A' });
    expect(p.verdict).toBe('servfail');
    expect(p.reasons.map((r) => r.code)).toContain('INTERNAL_NETWORK_NO_FORWARD');
    expect(() => predictResolution(s, { from: 'nope', name: 'x', type: 'A' })).toThrow(/no container/);
  });

  it('compares with the wire: agreement and disagreement', () => {
    const s = state([client(), container('web', app, '10.214.1.3')]);
    const p = predictResolution(s, { from: 'client', name: 'web', type: 'A' });
    const step = (data: string) => ({
      name: 'web',
      server: '127.0.0.11',
      outcome: 'answer' as const,
      response: { rcode: 'NOERROR', transport: 'udp' as const, latencyMs: 1, truncated: false, answers: [{ name: 'web.', type: 'A', ttl: 600, data, class: 'IN' }], issues: [] },
      error: null,
    });
    expect(compareWithObserved(p, { steps: [step('10.214.1.3')], decidedBy: 0, outcome: 'answer' }).agreement).toBe('agree');
    const bad = compareWithObserved(p, { steps: [step('10.214.1.99')], decidedBy: 0, outcome: 'answer' });
    expect(bad.agreement).toBe('disagree');
    expect(bad.disagreements[0]!.code).toBe('ANSWERS');
  });
});

describe('searchCandidates', () => {
  const cfg = { search: ['a.test', 'b.test'], ndots: 1 };
  it('follows glibc, musl and busybox', () => {
    expect(searchCandidates('web', cfg, 'glibc')).toEqual(['web.a.test', 'web.b.test', 'web']);
    expect(searchCandidates('x.y', cfg, 'glibc')).toEqual(['x.y', 'x.y.a.test', 'x.y.b.test']);
    expect(searchCandidates('x.y', cfg, 'musl')).toEqual(['x.y']);
    expect(searchCandidates('x.y.', cfg, 'glibc')).toEqual(['x.y']);
    expect(searchCandidates('web', { ...cfg, ndots: 0 }, 'glibc')).toEqual(['web', 'web.a.test', 'web.b.test']);
    expect(searchCandidates('web', { ...cfg, noTldQuery: true }, 'glibc')).toEqual(['web.a.test', 'web.b.test']);
    expect(searchCandidates('x.y', { ...cfg, ndots: 5 }, 'busybox')).toEqual(['x.y']);
    expect(searchCandidates('web', cfg, 'busybox')).toEqual(['web.a.test', 'web.b.test', 'web']);
  });
});

describe('dnsChecks', () => {
  it('finds stale hosts entries, unreachable resolvers and default-bridge-only groups', () => {
    const c = container('c', app, '10.214.1.2', {
      resolvConf: embedded(),
      hostsFile: hosts([['10.214.1.50', 'web']]),
      extraHosts: [{ name: 'old', address: '10.214.1.77' }],
    });
    const web = container('web', app, '10.214.1.3');
    const l1 = container('l1', bridge, '10.212.0.2', { resolvConf: resolv(['127.0.0.1']) });
    const l2 = container('l2', bridge, '10.212.0.3');
    const codes = dnsChecks(state([c, web, l1, l2])).map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['DNS_STALE_HOSTS_ENTRY', 'DEFAULT_BRIDGE_NO_DNS', 'DNS_RESOLVER_UNREACHABLE']));
    for (const f of dnsChecks(state([c, web, l1, l2]))) {
      expect(f).toEqual(expect.objectContaining({ title: expect.any(String), message: expect.any(String), remediation: expect.any(String) }));
      expect(f.subjects.length).toBeGreaterThan(0);
    }
  });
});
