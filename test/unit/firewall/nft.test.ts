// nftables JSON (`nft -j list ruleset`): a hand-written ruleset in the layout Docker 29's nftables
// backend writes (`ip docker-bridges`: verdict maps per bridge, fib-type-local DNAT, per-network
// forward chains), plus an operator's `inet` table at a lower priority on the same hook.

import { describe, expect, it } from 'vitest';
import { compileRuleset, detectDockerDialect, evaluate, evaluateNaive, lintRuleset, mergeWithIptables, parseIptablesSave, parseNftJson } from '../../../src/firewall/index.js';
import { FirewallParseError } from '../../../src/firewall/errors.js';
import type { EvaluateOptions, Packet } from '../../../src/firewall/index.js';
import { fixture } from './helpers.js';

const text = fixture('docker-29-nft.json');
const pk = (p: Partial<Packet>): Packet => ({ family: 'ipv4', src: '10.20.0.3', dst: '10.20.0.2', protocol: 'tcp', sport: 40000, dport: 80, ctState: 'NEW', path: 'forward', ...p });
const opts: EvaluateOptions = {
  localAddresses: ['203.0.113.10', '10.20.0.1'],
  ifaceAddress: (n) => (n === 'eth0' ? '203.0.113.10' : null),
  route: (d) => (d.startsWith('10.20.0.') ? { local: false, outIface: 'br-aaa' } : { local: d === '203.0.113.10', outIface: 'eth0' }),
};

function both(p: Packet) {
  const rs = parseNftJson(text);
  const c = compileRuleset(rs);
  const a = evaluate(c, p, opts);
  const f = evaluate(c, p, { ...opts, explain: false });
  const n = evaluateNaive(rs, p, opts);
  expect(f.verdict).toBe(a.verdict);
  expect(f.decidedBy).toEqual(a.decidedBy);
  expect(n.verdict).toBe(a.verdict);
  return a;
}

describe('parseNftJson', () => {
  it('reads tables, base chains (hook, priority, type, policy) and rules', () => {
    const rs = parseNftJson(text);
    expect(rs.format).toBe('nft-json');
    expect(Object.keys(rs.tables)).toEqual(['ip:docker-bridges', 'inet:operator']);
    const fwd = rs.tables['ip:docker-bridges']!.chains['filter-FORWARD']!;
    expect(fwd).toMatchObject({ builtin: true, hook: 'FORWARD', priority: 0, type: 'filter', policy: 'ACCEPT' });
    expect(rs.tables['ip:docker-bridges']!.chains['nat-PREROUTING']).toMatchObject({ hook: 'PREROUTING', priority: -100, type: 'nat' });
    // The vmap rule is expanded into one rule per element, same index.
    expect(fwd.rules.map((r) => [r.index, r.target.kind === 'jump' ? r.target.chain : r.target.kind])).toEqual([
      [1, 'filter-forward-in__docker0'],
      [1, 'filter-forward-in__br-aaa'],
      [2, 'filter-forward-out__docker0'],
      [2, 'filter-forward-out__br-aaa'],
    ]);
    expect(rs.nftHooks!.filter((h) => h.hook === 'FORWARD').map((h) => h.table)).toEqual(['inet:operator', 'ip:docker-bridges']);
    expect(detectDockerDialect(rs).dialect).toBe('docker-29-nftables');
  });

  it('keeps unknown expressions and flags them (lint too)', () => {
    const rs = parseNftJson(text);
    expect(rs.unknowns.map((u) => u.name)).toEqual(['queue']);
    expect(lintRuleset(rs).some((f) => f.code === 'FW_UNKNOWN_TARGET')).toBe(true);
  });

  it('only the requested family: ip6 sees the inet table only', () => {
    const rs = parseNftJson(text, { family: 'ipv6' });
    expect(Object.keys(rs.tables)).toEqual(['inet:operator']);
  });

  it('rejects bad JSON with a line, and a jump to a missing chain', () => {
    expect(() => parseNftJson('{"nftables": [\n{"table": }]}')).toThrow(FirewallParseError);
    expect(() => parseNftJson('{"x": 1}')).toThrow(/nftables/);
    const bad = { nftables: [{ table: { family: 'ip', name: 't' } }, { chain: { family: 'ip', table: 't', name: 'c', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } }, { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ jump: { target: 'nope' } }] } }] };
    expect(() => parseNftJson(JSON.stringify(bad))).toThrow(/missing chain nope/);
  });
});

describe('evaluating Docker 29 nftables rules', () => {
  it('container → container on br-aaa: ICC accept', () => {
    const r = both(pk({ inIface: 'br-aaa', outIface: 'br-aaa' }));
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy).toMatchObject({ table: 'ip:docker-bridges', chain: 'filter-forward-in__br-aaa', index: 2 });
  });

  it('outside → unpublished container port: UNPUBLISHED PORT DROP', () => {
    const r = both(pk({ inIface: 'eth0', outIface: 'br-aaa', src: '192.0.2.9', dport: 22 }));
    expect(r.verdict).toBe('unknown'); // the operator's queue rule on eth0 is not modelled
    const clean = parseNftJson(text.replace('"queue": {"num": 1}', '"counter": null'));
    const c = compileRuleset(clean);
    const x = evaluate(c, pk({ inIface: 'eth0', outIface: 'br-aaa', src: '192.0.2.9', dport: 22 }), opts);
    expect(x.verdict).toBe('DROP');
    expect(x.decidedBy).toMatchObject({ chain: 'filter-forward-in__br-aaa', index: 4 });
    // Published port: fib daddr type local → DNAT to 10.20.0.2:80, then forwarded and accepted.
    const p = evaluate(c, pk({ path: 'input', inIface: 'eth0', src: '192.0.2.9', dst: '203.0.113.10', dport: 8080 }), opts);
    expect(p.natSteps[0]).toMatchObject({ kind: 'DNAT', after: { dst: '10.20.0.2', dport: 80 } });
    expect(p.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    expect(p.verdict).toBe('ACCEPT');
    expect(p.decidedBy).toMatchObject({ chain: 'filter-forward-in__br-aaa', index: 3 });
  });

  it('a drop in a lower-priority base chain is final (operator table before Docker\'s)', () => {
    const r = both(pk({ inIface: 'br-aaa', outIface: 'docker0', src: '198.51.100.5', dst: '172.17.0.2' }));
    expect(r.verdict).toBe('DROP');
    expect(r.decidedBy).toMatchObject({ table: 'inet:operator', chain: 'fwd', index: 1 });
    const ok = both(pk({ inIface: 'br-aaa', outIface: 'docker0', src: '10.20.0.3', dst: '172.17.0.2' }));
    // Out of br-aaa: OUTGOING accept; into docker0 from elsewhere: UNPUBLISHED PORT DROP.
    expect(ok.verdict).toBe('DROP');
    expect(ok.decidedBy).toMatchObject({ chain: 'filter-forward-in__docker0', index: 3 });
  });

  it('egress is masqueraded', () => {
    const clean = compileRuleset(parseNftJson(text.replace('"queue": {"num": 1}', '"counter": null')));
    const r = evaluate(clean, pk({ inIface: 'br-aaa', outIface: 'eth0', dst: '198.51.100.200', dport: 443 }), opts);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.natSteps[0]).toMatchObject({ kind: 'MASQUERADE', after: { src: '203.0.113.10' } });
  });

  it('merged with iptables: both run at the hook by priority, a drop anywhere is final', () => {
    const ipt = parseIptablesSave(['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A FORWARD -s 10.20.0.3/32 -j DROP', 'COMMIT', ''].join('\n'));
    const merged = mergeWithIptables(ipt, parseNftJson(text));
    const c = compileRuleset(merged);
    const r = evaluate(c, pk({ inIface: 'br-aaa', outIface: 'br-aaa' }), opts);
    expect(r.verdict).toBe('DROP');
    expect(r.decidedBy).toMatchObject({ table: 'filter', chain: 'FORWARD', index: 1 });
    const other = evaluate(c, pk({ inIface: 'br-aaa', outIface: 'br-aaa', src: '10.20.0.4' }), opts);
    expect(other.verdict).toBe('ACCEPT');
    expect(other.decidedBy).toMatchObject({ table: 'ip:docker-bridges', chain: 'filter-forward-in__br-aaa' });
  });
});
