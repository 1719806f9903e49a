// Docker's own generated rule sets (moby iptablesdoc pages and TestIptabler golden files, read
// from ../shared/docker-rules at test time) must parse without error, and their dialect must be
// recognised. Skipped with a note when the folder is absent.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRuleset, detectDockerDialect, evaluate, evaluateNaive, parseIptablesSave } from '../../../src/firewall/index.js';
import { mdToSave, SHARED_RULES, sharedRulesAvailable, walk } from './helpers.js';

const available = sharedRulesAvailable();

describe.skipIf(!available)('Docker reference rule sets (../shared/docker-rules)', () => {
  const golden = walk(SHARED_RULES, (p) => p.endsWith('.golden') && p.includes('TestIptabler'));
  const docs = walk(SHARED_RULES, (p) => p.endsWith('.md') && p.includes(join('iptablesdoc', 'generated')));

  it('finds the files', () => {
    expect(golden.length).toBeGreaterThan(200);
    expect(docs.length).toBeGreaterThanOrEqual(27);
  });

  it('parses every TestIptabler golden file (iptables-save format) without error or unknowns', () => {
    for (const f of golden) {
      const text = readFileSync(f, 'utf8');
      const rs = parseIptablesSave(text, { family: f.includes('__ip6tables') ? 'ipv6' : 'ipv4' });
      expect(rs.unknowns, basename(f)).toEqual([]);
      const nRules = text.split('\n').filter((l) => l.startsWith('-A ')).length;
      const parsed = Object.values(rs.tables).reduce((s, t) => s + Object.values(t.chains).reduce((a, c) => a + c.rules.length, 0), 0);
      expect(parsed, basename(f)).toBe(nRules);
      const d = detectDockerDialect(rs).dialect;
      if (!f.includes('cleaned')) expect(['docker-29', 'none'], basename(f)).toContain(d);
      compileRuleset(rs);
    }
  });

  it('parses every generated iptablesdoc page and recognises its dialect', () => {
    for (const f of docs) {
      const save = mdToSave(readFileSync(f, 'utf8'));
      const rs = parseIptablesSave(save);
      expect(Object.keys(rs.tables).length, f).toBeGreaterThan(0);
      const d = detectDockerDialect(rs).dialect;
      // Some pages give only the raw table as commands (filter/nat as `iptables -L` listings).
      if (!rs.tables['filter']) continue;
      const expected = f.includes('v28.0.0') ? 'docker-28.0.0' : f.includes('v28.5.2') ? 'docker-28.0.1+' : 'docker-29';
      expect(d, f).toBe(expected);
    }
  });

  it('compiled and naive evaluators agree on a sweep of packets over every golden ruleset', () => {
    const addrs = ['192.168.0.2', '192.168.0.3', '10.0.0.5', '203.0.113.7', '127.0.0.1'];
    const ifs = ['br-dummy', 'eth0', 'docker0'];
    let n = 0;
    for (const f of golden.filter((g) => g.includes('__iptables'))) {
      const rs = parseIptablesSave(readFileSync(f, 'utf8'));
      const c = compileRuleset(rs);
      const opts = { localAddresses: ['203.0.113.7', '192.168.0.1'], explain: false };
      for (const src of addrs) for (const dst of addrs) for (const i of ifs) for (const o of ifs) for (const dport of [80, 8080]) {
        const pk = { family: 'ipv4' as const, inIface: i, outIface: o, src, dst, protocol: 'tcp', sport: 40000, dport, ctState: 'NEW' as const, path: 'forward' as const };
        const a = evaluate(c, pk, opts);
        const b = evaluateNaive(rs, pk, opts);
        expect({ v: a.verdict, d: a.decidedBy, n: a.natSteps }).toEqual({ v: b.verdict, d: b.decidedBy, n: b.natSteps });
        n++;
      }
    }
    expect(n).toBeGreaterThan(1000);
  });
});
