import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeDst, parseIpRoutes } from '../../../src/sources/host/parse-route.js';
import { HostParseError } from '../../../src/sources/host/parse-util.js';
import { fixture } from './fixtures.js';

describe('parseIpRoutes (captured, IPv4)', () => {
  const warnings: string[] = [];
  const routes = parseIpRoutes(fixture('netns-rich/ip-route-4.json'), 'ipv4', warnings);
  const find = (dst: string, table = 'main') => routes.find((r) => r.dst === dst && r.table === table);

  it('normalizes the default route and fills in the defaults iproute2 omits', () => {
    expect(find('0.0.0.0/0')).toEqual({
      family: 'ipv4', table: 'main', type: 'unicast', dst: '0.0.0.0/0', dev: 'up0', gateway: '10.99.0.254',
      prefsrc: null, metric: 300, scope: 'global', protocol: 'boot', mtu: null,
    });
    expect(find('0.0.0.0/0', '100')).toMatchObject({ gateway: '10.99.0.254', metric: 0 });
  });

  it('reads connected routes with scope, protocol and prefsrc', () => {
    expect(find('10.98.0.0/24')).toMatchObject({ dev: 'br0', scope: 'link', protocol: 'kernel', prefsrc: '10.98.0.1' });
  });

  it('reads blackhole, unreachable, prohibit and throw routes', () => {
    expect(find('10.200.0.0/16')).toMatchObject({ type: 'blackhole', dev: null, gateway: null });
    expect(find('10.201.0.0/16')).toMatchObject({ type: 'unreachable' });
    expect(find('10.202.0.0/16')).toMatchObject({ type: 'prohibit', metric: 5 });
    expect(find('10.203.0.0/16', '100')).toMatchObject({ type: 'throw' });
  });

  it('reads mtu from metrics, numeric tables, named protocols', () => {
    expect(find('10.204.0.0/16')).toMatchObject({ mtu: 1400, metric: 50, protocol: 'static' });
    expect(find('10.208.0.0/16', '1234')).toMatchObject({ dev: 'br0', scope: 'link' });
  });

  it('gives host routes a /32 and reads the local table', () => {
    expect(find('10.206.0.1/32')).toMatchObject({ scope: 'link', prefsrc: '10.99.0.1' });
    expect(find('127.0.0.1/32', 'local')).toMatchObject({ type: 'local', scope: 'host', dev: 'lo' });
    expect(find('10.98.0.255/32', 'local')).toMatchObject({ type: 'broadcast' });
  });

  it('keeps the first nexthop of a multipath route and warns', () => {
    expect(find('10.205.0.0/16')).toMatchObject({ dev: 'up0', gateway: '10.99.0.253' });
    expect(warnings).toEqual(['route 10.205.0.0/16 (table main) has 2 nexthops; only the first is recorded']);
  });
});

describe('parseIpRoutes (captured, IPv6)', () => {
  const routes = parseIpRoutes(fixture('netns-rich/ip-route-6.json'), 'ipv6');
  const find = (dst: string, table = 'main') => routes.find((r) => r.dst === dst && r.table === table);

  it('normalizes ::/0 and host routes to /128', () => {
    expect(find('::/0')).toMatchObject({ family: 'ipv6', gateway: 'fd99::fe', dev: 'up0', metric: 100 });
    expect(find('fd93::1/128')).toMatchObject({ dev: 'up0', metric: 1024 });
    expect(find('::1/128', 'local')).toMatchObject({ type: 'local' });
  });

  it('reads IPv6 blackhole/unreachable/prohibit and mtu', () => {
    expect(find('fd97::/64')).toMatchObject({ type: 'blackhole', dev: 'lo' });
    expect(find('fd96::/64')).toMatchObject({ type: 'unreachable' });
    expect(find('fd95::/64', '100')).toMatchObject({ type: 'prohibit' });
    expect(find('fd94::/64')).toMatchObject({ mtu: 1280, gateway: 'fd99::fe' });
    expect(find('ff00::/8', 'local')).toMatchObject({ type: 'multicast' });
  });

  it('parses the live host capture', () => {
    const v4 = parseIpRoutes(fixture('this-host/ip-route-4.json'), 'ipv4');
    expect(v4.some((r) => r.dst === '0.0.0.0/0')).toBe(true);
    expect(v4.every((r) => r.family === 'ipv4' && r.dst.includes('/'))).toBe(true);
    parseIpRoutes(fixture('this-host/ip-route-6.json'), 'ipv6');
  });
});

describe('parseIpRoutes edge cases', () => {
  it('reads RTA_VIA gateways, nexthop objects and empty output', () => {
    const w: string[] = [];
    const [via, nh] = parseIpRoutes(
      JSON.stringify([
        { dst: '10.0.0.0/8', via: { family: 'inet6', host: 'fe80::1' }, dev: 'eth0' },
        { dst: '10.1.0.0/16', nhid: 7, flags: [] },
      ]),
      'ipv4',
      w,
    );
    expect(via).toMatchObject({ gateway: 'fe80::1', dev: 'eth0' });
    expect(nh).toMatchObject({ dev: null, gateway: null });
    expect(w).toEqual(['route 10.1.0.0/16 (table main) uses nexthop object 7; its device and gateway are not recorded']);
    expect(parseIpRoutes('', 'ipv6')).toEqual([]);
    expect(parseIpRoutes('[]\n', 'ipv6')).toEqual([]);
  });

  it('normalizes destinations', () => {
    expect(normalizeDst('default', 'ipv4')).toBe('0.0.0.0/0');
    expect(normalizeDst('default', 'ipv6')).toBe('::/0');
    expect(normalizeDst('10.0.0.1', 'ipv4')).toBe('10.0.0.1/32');
    expect(normalizeDst('fd00::1', 'ipv6')).toBe('fd00::1/128');
    expect(normalizeDst('10.0.0.0/8', 'ipv4')).toBe('10.0.0.0/8');
  });

  it('rejects malformed output with a clear error', () => {
    expect(() => parseIpRoutes('[{"dev":"eth0"}]', 'ipv4')).toThrow('ip -4 -j route show table all: route 0 has no dst');
    expect(() => parseIpRoutes('[{"dst":"1.2.3.0/24","type":"xresolve"}]', 'ipv4')).toThrow(/unknown type "xresolve"/);
    expect(() => parseIpRoutes('[{"dst":', 'ipv6')).toThrow(/ip -6 -j route show table all: output is not valid JSON/);
  });

  it('never throws anything but HostParseError (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.constantFrom('dst', 'type', 'table', 'metric', 'nexthops', 'via', 'metrics', 'dev'), fc.jsonValue())), (arr) => {
        try {
          for (const r of parseIpRoutes(JSON.stringify(arr), 'ipv4')) expect(r.dst).toContain('/');
        } catch (err) {
          expect(err).toBeInstanceOf(HostParseError);
        }
      }),
    );
  });
});
