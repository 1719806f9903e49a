import { describe, expect, it } from 'vitest';
import type { PolicyRule, Route } from '../../../src/model/types.js';
import { defaultRules, routeLookup } from '../../../src/analysis/route.js';

const r4 = (dst: string, over: Partial<Route> = {}): Route => ({
  family: 'ipv4', table: 'main', type: 'unicast', dst, dev: 'eth0', gateway: null, prefsrc: null, metric: 0, scope: 'global', protocol: 'boot', mtu: null, ...over,
});
const rule = (priority: number, over: Partial<PolicyRule> = {}): PolicyRule => ({
  family: 'ipv4', priority, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'lookup', table: 'main', target: null, suppressPrefixLength: null, ...over,
});

const base: Route[] = [
  r4('192.0.2.1/32', { table: 'local', type: 'local', dev: 'eth0' }),
  r4('0.0.0.0/0', { gateway: '192.0.2.254' }),
  r4('192.0.2.0/24', { scope: 'link', prefsrc: '192.0.2.1' }),
  r4('10.0.0.0/8', { table: '100', gateway: '192.0.2.2' }),
  r4('10.9.0.0/16', { table: '100', type: 'throw', dev: null }),
  r4('198.51.100.0/24', { type: 'blackhole', dev: null }),
  r4('203.0.113.0/25', { type: 'unreachable', dev: null }),
  r4('203.0.113.128/25', { type: 'prohibit', dev: null }),
];

const ok = (res: ReturnType<typeof routeLookup>) => {
  if (!res.ok) throw new Error(`expected a route, got ${res.errno}`);
  return res;
};

describe('routeLookup: tables and route types', () => {
  const rules = defaultRules('ipv4');
  it('default route, connected route, local table first', () => {
    expect(ok(routeLookup(base, rules, { dst: '8.8.8.8' })).route.gateway).toBe('192.0.2.254');
    const c = ok(routeLookup(base, rules, { dst: '192.0.2.77' }));
    expect([c.route.dst, c.src]).toEqual(['192.0.2.0/24', '192.0.2.1']);
    const l = ok(routeLookup(base, rules, { dst: '192.0.2.1' }));
    expect([l.route.type, l.table]).toEqual(['local', 'local']);
  });
  it('blackhole → EINVAL, unreachable → EHOSTUNREACH, prohibit → EACCES, nothing → ENETUNREACH', () => {
    expect(routeLookup(base, rules, { dst: '198.51.100.7' })).toMatchObject({ ok: false, errno: 'EINVAL', kind: 'blackhole' });
    expect(routeLookup(base, rules, { dst: '203.0.113.7' })).toMatchObject({ ok: false, errno: 'EHOSTUNREACH', kind: 'unreachable' });
    expect(routeLookup(base, rules, { dst: '203.0.113.200' })).toMatchObject({ ok: false, errno: 'EACCES', kind: 'prohibit' });
    const noDefault = base.filter((r) => r.dst !== '0.0.0.0/0');
    expect(routeLookup(noDefault, rules, { dst: '8.8.8.8' })).toMatchObject({ ok: false, errno: 'ENETUNREACH', kind: 'no-route' });
  });
  it('lowest metric wins among equal prefixes', () => {
    const routes = [...base, r4('10.20.0.0/16', { metric: 100, dev: 'a' }), r4('10.20.0.0/16', { metric: 5, dev: 'b' })];
    expect(ok(routeLookup(routes, rules, { dst: '10.20.1.1' })).route.dev).toBe('b');
  });
  it('an output interface skips routes through other devices (backtracking to shorter prefixes)', () => {
    const routes = [...base, r4('10.20.0.0/16', { dev: 'wg0' })];
    expect(ok(routeLookup(routes, rules, { dst: '10.20.1.1', oif: 'eth0' })).route.dst).toBe('0.0.0.0/0');
  });
  it('IPv6 longest prefix', () => {
    const v6: Route[] = [
      { ...r4('::/0', { gateway: 'fd00::1' }), family: 'ipv6' },
      { ...r4('fd21:ee75::/32', { dev: 'br0' }), family: 'ipv6' },
      { ...r4('fd21:ee75:f000::/48', { type: 'blackhole', dev: null }), family: 'ipv6' },
    ];
    const rules6 = defaultRules('ipv6');
    expect(ok(routeLookup(v6, rules6, { dst: 'fd21:ee75:1::1' })).route.dev).toBe('br0');
    expect(routeLookup(v6, rules6, { dst: 'fd21:ee75:f000::1' })).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(ok(routeLookup(v6, rules6, { dst: '2001:db8::1' })).route.gateway).toBe('fd00::1');
  });
});

describe('routeLookup: policy rules', () => {
  const rules = (...extra: PolicyRule[]) => [...defaultRules('ipv4'), ...extra];
  it('from: matches only a bound source (unset source is 0.0.0.0)', () => {
    const rs = rules(rule(1000, { from: '192.0.2.1/32', to: '10.0.0.0/8', table: '100' }));
    expect(ok(routeLookup(base, rs, { dst: '10.1.2.3' })).route.gateway).toBe('192.0.2.254');
    const viaRule = ok(routeLookup(base, rs, { dst: '10.1.2.3', src: '192.0.2.1' }));
    expect([viaRule.table, viaRule.route.gateway, viaRule.rule.priority]).toEqual(['100', '192.0.2.2', 1000]);
  });
  it('throw continues with the next rule', () => {
    const rs = rules(rule(1000, { table: '100' }));
    const r = ok(routeLookup(base, rs, { dst: '10.9.1.1' }));
    expect([r.table, r.route.gateway]).toEqual(['main', '192.0.2.254']);
    expect(r.steps.find((s) => s.priority === 1000)?.outcome).toMatch(/throw 10\.9\.0\.0\/16/);
  });
  it('fwmark with and without mask', () => {
    const rs = rules(rule(1001, { fwmark: '0x1/0xff', table: '100' }));
    expect(ok(routeLookup(base, rs, { dst: '10.1.2.3', fwmark: 0x101 })).table).toBe('100');
    expect(ok(routeLookup(base, rs, { dst: '10.1.2.3', fwmark: 0x2 })).table).toBe('main');
    const exact = rules(rule(1001, { fwmark: '0x1', table: '100' }));
    expect(ok(routeLookup(base, exact, { dst: '10.1.2.3', fwmark: 0x101 })).table).toBe('main');
  });
  it('iif: locally generated packets come from lo; oif', () => {
    const rs = rules(rule(10, { iif: 'lo', to: '10.0.0.0/8', table: '100' }), rule(20, { oif: 'eth1', action: 'prohibit', table: null }));
    expect(ok(routeLookup(base, rs, { dst: '10.1.1.1' })).table).toBe('100');
    expect(ok(routeLookup(base, rs, { dst: '10.1.1.1', iif: 'br0', src: '172.18.0.2' })).table).toBe('main');
    expect(routeLookup(base, rs, { dst: '8.8.8.8', oif: 'eth1' })).toMatchObject({ ok: false, errno: 'EACCES' });
  });
  it('not inverts the whole selector', () => {
    const rs = rules(rule(10, { invert: true, to: '192.0.2.0/24', action: 'unreachable', table: null }));
    expect(routeLookup(base, rs, { dst: '8.8.8.8' })).toMatchObject({ ok: false, errno: 'ENETUNREACH', kind: 'unreachable' });
    expect(ok(routeLookup(base, rs, { dst: '192.0.2.9' })).route.dst).toBe('192.0.2.0/24');
  });
  it('rule actions: blackhole EINVAL, unreachable ENETUNREACH, prohibit EACCES, nop continues', () => {
    for (const [action, errno] of [['blackhole', 'EINVAL'], ['unreachable', 'ENETUNREACH'], ['prohibit', 'EACCES']] as const) {
      expect(routeLookup(base, rules(rule(10, { action, table: null })), { dst: '8.8.8.8' })).toMatchObject({ ok: false, errno });
    }
    expect(ok(routeLookup(base, rules(rule(10, { action: 'nop', table: null })), { dst: '8.8.8.8' })).table).toBe('main');
  });
  it('goto skips the rules in between; a missing target falls through', () => {
    const rs = rules(rule(10, { action: 'goto', target: 30, table: null }), rule(20, { action: 'prohibit', table: null }), rule(30, { table: '100' }));
    expect(ok(routeLookup(base, rs, { dst: '10.1.1.1' })).table).toBe('100');
    const missing = rules(rule(10, { action: 'goto', target: 25, table: null }), rule(20, { action: 'prohibit', table: null }));
    expect(routeLookup(base, missing, { dst: '10.1.1.1' })).toMatchObject({ ok: false, errno: 'EACCES' });
  });
  it('suppress_prefixlength discards short successful matches but never errors', () => {
    const rs = [rule(0, { table: 'local' }), rule(100, { suppressPrefixLength: 0 }), rule(200, { table: '100' }), rule(32766)];
    const r = ok(routeLookup(base, rs, { dst: '10.1.1.1' }));
    expect([r.table, r.rule.priority]).toEqual(['100', 200]);
    expect(ok(routeLookup(base, rs, { dst: '192.0.2.9' })).rule.priority).toBe(100);
    expect(routeLookup(base, rs, { dst: '198.51.100.1' })).toMatchObject({ ok: false, errno: 'EINVAL' });
  });
  it('a lookup in a table that does not exist continues', () => {
    expect(ok(routeLookup(base, rules(rule(10, { table: '999' })), { dst: '8.8.8.8' })).table).toBe('main');
  });
});
