import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Route, Snapshot } from '../../../src/model/types.js';
import { traceRoute } from '../../../src/analysis/route.js';
import { SubjectError } from '../../../src/model/view.js';
import { dockerSubnetsOverlap, missingDefaultRoute, mtuMismatch, routeFindings, subnetOverlapsHostRoute } from '../../../src/analysis/route-findings.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';
import { EXAMPLE } from '../../support/cli.js';

const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot;
const S = example.state;

describe('traceRoute on the bundled example', () => {
  it('container → container on a shared network is delivered on the bridge', () => {
    const t = traceRoute(S, 'shop-web-1', 'shop-db-1');
    expect(t.verdict).toBe('routed');
    expect(t.hops.map((h) => h.step)).toEqual(['lookup', 'deliver']);
    expect(t.hops[0]!.oif).toBe('eth1');
    expect(t.hops[1]!.note).toMatch(/shop-db-1/);
  });
  it('container → other network goes through the host tables, arriving on the bridge', () => {
    const t = traceRoute(S, 'shop-proxy-1', 'shop-db-1');
    expect(t.verdict).toBe('routed');
    expect(t.hops[1]).toMatchObject({ where: 'host', iif: 'br-60398d2b7110', oif: 'br-6ad83018d545', table: 'main' });
    expect(t.hops[2]!.step).toBe('deliver');
  });
  it('egress through the uplink notes MASQUERADE and the MTU drop', () => {
    const t = traceRoute(S, 'shop-proxy-1', '8.8.8.8');
    expect(t.verdict).toBe('routed');
    const last = t.hops.at(-1)!;
    expect(last).toMatchObject({ step: 'egress', oif: 'eth0', gateway: '192.0.2.1', mtu: 1400 });
    expect(last.nat?.kind).toBe('masquerade');
    expect(last.nat?.rule).toContain('-s 10.214.10.0/24');
    expect(t.pathMtu).toBe(1400);
    expect(t.reasons.map((r) => r.code)).toContain('MTU_MISMATCH');
  });
  it('none-mode container: no route (ENETUNREACH)', () => {
    const t = traceRoute(S, 'offline-batch', 'shop-db-1');
    expect(t).toMatchObject({ verdict: 'no-route', error: { errno: 'ENETUNREACH' } });
  });
  it('stopped container: unknown, naming the missing routes', () => {
    const t = traceRoute(S, 'old-proxy', 'host');
    expect(t.verdict).toBe('unknown');
    expect(t.reasons[0]!.code).toBe('EVIDENCE_MISSING_ROUTES');
  });
  it('container → host is local delivery at the gateway; host-mode and container: mode', () => {
    expect(traceRoute(S, 'legacy-app', 'host').hops.at(-1)!.step).toBe('local');
    expect(traceRoute(S, 'node-exporter', 'shop-proxy-1').hops[0]!.where).toMatch(/^host/);
    expect(traceRoute(S, 'shop-web-sidecar', 'shop-cache-1').hops[0]!.where).toMatch(/namespace of shop-web-1/);
  });
  it('ids, addresses and errors', () => {
    expect(traceRoute(S, '09d4f6767edc', '10.214.11.4').to).toBe('10.214.11.4');
    expect(traceRoute(S, '10.214.10.2', 'shop-db-1').from).toBe('shop-proxy-1');
    expect(() => traceRoute(S, 'nope', 'host')).toThrow(SubjectError);
  });
});

describe('traceRoute: missing evidence and failures on the host', () => {
  const net = network('app', '172.30.0.0/24');
  const routesIn: Route[] = [
    { family: 'ipv4', table: 'main', type: 'unicast', dst: '0.0.0.0/0', dev: 'eth0', gateway: '172.30.0.1', prefsrc: null, metric: 0, scope: 'global', protocol: 'boot', mtu: null },
    { family: 'ipv4', table: 'main', type: 'unicast', dst: '172.30.0.0/24', dev: 'eth0', gateway: null, prefsrc: '172.30.0.2', metric: 0, scope: 'link', protocol: 'kernel', mtu: null },
  ];
  const c = container('a', net, '172.30.0.2', { netns: { status: 'ok', source: 't', value: { interfaces: [{ name: 'eth0', index: 2, kind: 'veth', mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4', address: '172.30.0.2', prefixLength: 24 }] }], routes: routesIn, listeners: [] } } });
  const hostIfaces = { status: 'ok' as const, source: 't', value: [{ name: 'br-app', index: 3, kind: 'bridge', mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4' as const, address: '172.30.0.1', prefixLength: 24 }] }] };
  it('host rules missing → unknown naming the section', () => {
    const s = snapshot({ hosts: [host({ interfaces: hostIfaces, routes: { status: 'ok', source: 't', value: [] } })], networks: [net], containers: [c] });
    const t = traceRoute(s.state, 'a', '8.8.8.8');
    expect(t.verdict).toBe('unknown');
    expect(t.reasons[0]!.message).toMatch(/host policy rules unavailable/);
  });
  it('a blackhole on the host → blackhole verdict with EINVAL', () => {
    const hr: Route[] = [{ ...routesIn[1]!, dev: 'br-app', prefsrc: '172.30.0.1' }, { ...routesIn[0]!, type: 'blackhole', dev: null, gateway: null }];
    const s = snapshot({
      hosts: [host({ interfaces: hostIfaces, routes: { status: 'ok', source: 't', value: hr }, rules: { status: 'ok', source: 't', value: [{ family: 'ipv4', priority: 32766, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'lookup', table: 'main', target: null, suppressPrefixLength: null }] } })],
      networks: [net],
      containers: [c],
    });
    const t = traceRoute(s.state, 'a', '8.8.8.8');
    expect(t).toMatchObject({ verdict: 'blackhole', error: { errno: 'EINVAL', kind: 'blackhole' } });
    expect(t.hops[1]).toMatchObject({ where: 'host', iif: 'br-app', step: 'fail' });
  });
});

describe('route findings', () => {
  const hostRoutes = (routes: Array<Partial<Route> & { dst: string }>) =>
    host({ routes: { status: 'ok', source: 't', value: routes.map((r) => ({ family: 'ipv4', table: 'main', type: 'unicast', dev: 'tun0', gateway: null, prefsrc: null, metric: 0, scope: 'global', protocol: 'boot', mtu: null, ...r }) as Route) } });
  it('SUBNET_OVERLAPS_HOST_ROUTE: VPN route inside (error) or around (warning) a Docker subnet', () => {
    const n = network('app', '172.20.0.0/16');
    const inner = subnetOverlapsHostRoute(snapshot({ hosts: [hostRoutes([{ dst: '172.20.5.0/24' }])], networks: [n] }).state);
    expect(inner).toHaveLength(1);
    expect(inner[0]).toMatchObject({ code: 'SUBNET_OVERLAPS_HOST_ROUTE', severity: 'error', subjects: ['app'] });
    const outer = subnetOverlapsHostRoute(snapshot({ hosts: [hostRoutes([{ dst: '172.16.0.0/12' }])], networks: [n] }).state);
    expect(outer[0]!.severity).toBe('warning');
    // the network's own connected route and the default route are not overlaps
    expect(subnetOverlapsHostRoute(snapshot({ hosts: [hostRoutes([{ dst: '172.20.0.0/16', dev: 'br-app' }, { dst: '0.0.0.0/0' }])], networks: [n] }).state)).toEqual([]);
  });
  it('DOCKER_SUBNETS_OVERLAP', () => {
    const f = dockerSubnetsOverlap(snapshot({ networks: [network('a', '10.1.0.0/16'), network('b', '10.1.2.0/24'), network('c', '10.2.0.0/16')] }).state);
    expect(f.map((x) => x.subjects)).toEqual([['a', 'b']]);
  });
  it('MISSING_DEFAULT_ROUTE only for non-internal networks', () => {
    const mk = (internal: boolean) => {
      const n = network('app', '172.30.0.0/24', { internal });
      const c = container('a', n, '172.30.0.2', { netns: { status: 'ok', source: 't', value: { interfaces: [], routes: [{ family: 'ipv4', table: 'main', type: 'unicast', dst: '172.30.0.0/24', dev: 'eth0', gateway: null, prefsrc: null, metric: 0, scope: 'link', protocol: 'kernel', mtu: null }], listeners: [] } } });
      return missingDefaultRoute(snapshot({ networks: [n], containers: [c] }).state);
    };
    expect(mk(false).map((f) => f.code)).toEqual(['MISSING_DEFAULT_ROUTE']);
    expect(mk(true)).toEqual([]);
  });
  it('MTU_MISMATCH on the example (container 1500, uplink 1400), grouped per network', () => {
    const f = mtuMismatch(S);
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => x.code === 'MTU_MISMATCH')).toBe(true);
    expect(f.find((x) => x.subjects[0] === 'shop_front')?.evidence.join(' ')).toMatch(/eth0 MTU 1400/);
    expect(routeFindings(S).some((x) => x.code === 'SUBNET_OVERLAPS_HOST_ROUTE')).toBe(false);
  });
});
