// iptables-save parser: structure, dialects, error reporting, and fast-check fuzzing
// (malformed / truncated input gives FirewallParseError with a line number, nothing else).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirewallParseError, parseIptablesSave } from '../../../src/firewall/index.js';
import { InputError, exitCodeOf } from '../../../src/cli/errors.js';
import { fixture } from './helpers.js';

function err(text: string): FirewallParseError {
  try {
    parseIptablesSave(text);
  } catch (e) {
    expect(e).toBeInstanceOf(FirewallParseError);
    return e as FirewallParseError;
  }
  throw new Error('expected a parse error');
}

describe('parseIptablesSave', () => {
  it('keeps tables, chains, policies, counters, positions, lines and original text', () => {
    const rs = parseIptablesSave(fixture('docker-27.rules'));
    expect(Object.keys(rs.tables)).toEqual(['raw', 'mangle', 'nat', 'filter']);
    const nat = rs.tables['nat']!;
    expect(nat.chains['PREROUTING']).toMatchObject({ builtin: true, policy: 'ACCEPT', counters: { packets: 10, bytes: 600 } });
    expect(nat.chains['DOCKER']).toMatchObject({ builtin: false, policy: null });
    const dnat = nat.chains['DOCKER']!.rules[4]!;
    expect(dnat).toMatchObject({ table: 'nat', chain: 'DOCKER', index: 5, line: 31, text: '-A DOCKER ! -i br-a -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80' });
    expect(dnat.target).toMatchObject({ kind: 'dnat', to: { addrFrom: [0xac120002], ports: [80, 80] } });
    expect(rs.backend).toBe('nf_tables');
  });

  it('tokenizes quoted comments with spaces and escaped quotes', () => {
    const rs = parseIptablesSave(fixture('ufw-docker.rules'));
    const r = rs.tables['filter']!.chains['ufw-user-input']!.rules[0]!;
    expect(r.matches.find((m) => m.kind === 'comment')).toEqual({ kind: 'comment', text: '"allow ssh" from anywhere' });
    expect(rs.unknowns).toEqual([{ line: 17, kind: 'match', name: 'limit', text: '-m limit --limit 3/min --limit-burst 10', table: 'filter', chain: 'INPUT' }]);
  });

  it('accepts rule counters ([p:b] -A ...), iptables-nft warnings, CRLF and implicit base chains', () => {
    const rs = parseIptablesSave('# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\r\n*filter\r\n:INPUT DROP [1:2]\r\n[5:300] -A INPUT -i lo -j ACCEPT\r\n-A FORWARD -j DROP\r\nCOMMIT\r\n');
    expect(rs.backend).toBe('nf_tables');
    expect(rs.tables['filter']!.chains['INPUT']!.rules[0]!.counters).toEqual({ packets: 5, bytes: 300 });
    expect(rs.tables['filter']!.chains['FORWARD']!.rules).toHaveLength(1);
    expect(rs.tables['filter']!.chains['OUTPUT']!.policy).toBe('ACCEPT');
  });

  it('keeps unknown modules, options and targets, flagged with their line', () => {
    const rs = parseIptablesSave('*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m socket --transparent -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1\n-A PREROUTING -m conntrack --ctexpire 10:20 -j ACCEPT\nCOMMIT\n');
    expect(rs.unknowns.map((u) => [u.line, u.kind, u.name])).toEqual([
      [3, 'match', 'socket'],
      [3, 'target', 'TPROXY'],
      [4, 'option', '--ctexpire'],
    ]);
    expect(rs.tables['mangle']!.chains['PREROUTING']!.rules[0]!.target).toEqual({ kind: 'unknown', name: 'TPROXY', text: '-j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1' });
  });

  it('old-style negation (-s ! addr) and --option ! value', () => {
    const rs = parseIptablesSave('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -s ! 10.0.0.0/8 -p tcp --dport ! 22 -j DROP\nCOMMIT\n');
    const m = rs.tables['filter']!.chains['FORWARD']!.rules[0]!.matches;
    expect(m[0]).toMatchObject({ kind: 'addr', neg: true });
    expect(m[2]).toMatchObject({ kind: 'port', neg: true });
  });

  const bad: Array<[string, string, number, RegExp]> = [
    ['missing COMMIT', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n', 3, /missing COMMIT/],
    ['rule for undeclared chain', '*filter\n:INPUT ACCEPT [0:0]\n-A FOO -j ACCEPT\nCOMMIT\n', 3, /undeclared chain FOO/],
    ['jump to undeclared chain', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DOCKER-USER\nCOMMIT\n', 3, /undeclared chain DOCKER-USER/],
    ['bad option', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -z 1 -j ACCEPT\nCOMMIT\n', 3, /unknown option "-z"/],
    ['bad address', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.300 -j ACCEPT\nCOMMIT\n', 3, /bad IPv4 address/],
    ['bad port', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 70000 -j ACCEPT\nCOMMIT\n', 3, /bad port/],
    ['stray word', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT garbage\nCOMMIT\n', 3, /unexpected word/],
    ['rule outside table', '-A INPUT -j ACCEPT\n', 1, /outside a table/],
    ['table inside table', '*filter\n:INPUT ACCEPT [0:0]\n*nat\nCOMMIT\n', 3, /before COMMIT/],
    ['unknown table', '*bogus\nCOMMIT\n', 1, /unknown table/],
    ['bad policy', '*filter\n:INPUT MAYBE [0:0]\nCOMMIT\n', 2, /policy/],
    ['truncated quote', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "abc\n', 3, /unterminated/],
    ['option without value', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s\nCOMMIT\n', 3, /needs a value/],
    ['dport without -p', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m tcp --dport 22 -j ACCEPT\nCOMMIT\n', 3, /needs -p/],
    ['duplicate chain', '*filter\n:X - [0:0]\n:X - [0:0]\nCOMMIT\n', 3, /declared twice/],
    ['bad counters', '*filter\n:INPUT ACCEPT [a:b]\nCOMMIT\n', 2, /bad counters/],
    ['DNAT outside nat', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DNAT --to-destination 1.2.3.4\nCOMMIT\n', 3, /only valid in the nat table/],
    ['COMMIT without table', 'COMMIT\n', 1, /COMMIT outside/],
  ];
  for (const [name, text, line, re] of bad) {
    it(`error: ${name} → line ${line}`, () => {
      const e = err(text);
      expect(e.line).toBe(line);
      expect(e.message).toMatch(re);
      expect(e.message.startsWith(`line ${line}: `)).toBe(true);
      expect(e.message).not.toContain('\n');
      expect(e).toBeInstanceOf(InputError);
      expect(exitCodeOf(e)).toBe(2);
    });
  }
});

describe('parser fuzzing (fast-check)', () => {
  const valid = fixture('docker-27.rules');
  const lines = valid.split('\n');

  function check(text: string): 'ok' | 'error' {
    try {
      parseIptablesSave(text);
      return 'ok';
    } catch (e) {
      if (!(e instanceof FirewallParseError)) throw e;
      expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
      expect(e.line).toBeLessThanOrEqual(Math.max(1, text.split('\n').length));
      expect(e.message).not.toContain('\n');
      return 'error';
    }
  }

  it('truncation anywhere: a parse error with a line number unless it ends right after a COMMIT', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length }), (cut) => {
        const t = valid.slice(0, cut);
        const r = check(t);
        const tail = t.trimEnd().split('\n');
        const last = tail[tail.length - 1]!.trim();
        const endsClean = last === 'COMMIT' || last === '' || last.startsWith('#');
        if (!endsClean) expect(r).toBe('error');
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('random line edits: only FirewallParseError, never another exception', () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('!', '! !', '-m', '-j', '--dport', '"', "'", '-A', ':X', '*nat', 'COMMIT', '-p tcp --dport 1:0', '-s 1.2.3.4/99', '-m set --match-set', '-j DNAT --to-destination', '[1:2]', '\u0000', '-g NOPE', '-m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16'),
    );
    fc.assert(
      fc.property(fc.nat(lines.length - 1), fc.nat(200), junk, fc.constantFrom('insert', 'replace', 'append'), (li, pos, j, how) => {
        const ls = lines.slice();
        const l = ls[li]!;
        const p = Math.min(pos, l.length);
        ls[li] = how === 'insert' ? l.slice(0, p) + j + l.slice(p) : how === 'replace' ? j : `${l} ${j}`;
        check(ls.join('\n'));
      }),
      { numRuns: 1500, seed: 7 },
    );
  });

  it('arbitrary text: only FirewallParseError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        check(s);
        check(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${s}\nCOMMIT\n`);
      }),
      { numRuns: 1000, seed: 3 },
    );
  });
});
