// lintRuleset: shadowed rules, dead chains, rules after Docker's accepts, ufw bypass.

import { describe, expect, it } from 'vitest';
import { lintRuleset, parseIptablesSave } from '../../../src/firewall/index.js';
import { fixture } from './helpers.js';

const filter = (body: string, policy = 'ACCEPT') => `*filter\n:INPUT ${policy} [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${body}COMMIT\n`;

describe('lintRuleset', () => {
  it('finds shadowed rules and says which rule shadows them and whether the action differs', () => {
    const rs = parseIptablesSave(filter('-A INPUT -s 10.0.0.0/8 -j DROP\n-A INPUT -s 10.1.2.3/32 -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 80:90 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 85 -j ACCEPT\n-A INPUT -i eth+ -j REJECT\n-A INPUT -i eth0 -p udp -j DROP\n-A INPUT -s 192.168.0.0/16 -p tcp -j ACCEPT\n'));
    const f = lintRuleset(rs).filter((x) => x.code === 'FW_SHADOWED_RULE');
    expect(f.map((x) => [x.rules[0]!.index, x.rules[1]!.index, x.severity])).toEqual([
      [2, 1, 'warning'],
      [4, 3, 'info'],
      [6, 5, 'warning'],
    ]);
    expect(f[0]!.message).toContain('rule 1 before it matches every packet it would');
    expect(f[0]!.message).toContain('ACCEPT');
  });

  it('negations: ! -s disjoint nets shadow; overlapping do not', () => {
    const rs = parseIptablesSave(filter('-A INPUT ! -s 10.0.0.0/8 -j DROP\n-A INPUT -s 192.168.1.0/24 -j ACCEPT\n-A INPUT -s 10.5.0.0/16 -j ACCEPT\n'));
    const f = lintRuleset(rs).filter((x) => x.code === 'FW_SHADOWED_RULE');
    expect(f.map((x) => x.rules[0]!.index)).toEqual([2]);
  });

  it('finds chains nothing jumps to', () => {
    const rs = parseIptablesSave(fixture('ufw-docker.rules'));
    const f = lintRuleset(rs).filter((x) => x.code === 'FW_DEAD_CHAIN');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('filter/ufw-not-local');
  });

  it('flags operator DROP rules in FORWARD after Docker rules', () => {
    const rs = parseIptablesSave(fixture('ufw-docker.rules'));
    const f = lintRuleset(rs).filter((x) => x.code === 'FW_RULE_AFTER_DOCKER_ACCEPT');
    expect(f).toHaveLength(1);
    expect(f[0]!.rules[0]).toMatchObject({ chain: 'FORWARD', index: 7, text: '-A FORWARD -s 198.51.100.0/24 -j DROP' });
    expect(f[0]!.message).toContain('DOCKER-USER');
  });

  it('flags published ports bypassing an INPUT DROP policy (ufw)', () => {
    const rs = parseIptablesSave(fixture('ufw-docker.rules'));
    const f = lintRuleset(rs).filter((x) => x.code === 'FW_UFW_BYPASS');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('port(s) 8080');
    expect(f[0]!.rules[0]!.chain).toBe('DOCKER');
    // Not flagged when INPUT accepts.
    expect(lintRuleset(parseIptablesSave(fixture('docker-27.rules'))).some((x) => x.code === 'FW_UFW_BYPASS')).toBe(false);
  });

  it('lists unknown constructs', () => {
    const rs = parseIptablesSave(fixture('ufw-docker.rules'));
    const f = lintRuleset(rs).filter((x) => x.code === 'FW_UNKNOWN_MATCH');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('line 17');
  });

  it('Docker rule sets lint cleanly of shadowing', () => {
    for (const name of ['docker-27.rules', 'docker-29.rules', 'docker-28.0.0.rules']) {
      const f = lintRuleset(parseIptablesSave(fixture(name)));
      expect(f.filter((x) => x.code === 'FW_SHADOWED_RULE' || x.code === 'FW_DEAD_CHAIN'), name).toEqual([]);
    }
  });
});
