// Hand-written rule sets covering each match and target, evaluated with both engines.

import { describe, expect, it } from 'vitest';
import { compileRuleset, evaluate, evaluateNaive, parseIptablesSave } from '../../../src/firewall/index.js';
import type { EvaluateOptions, Packet, Verdict } from '../../../src/firewall/index.js';

const base: Packet = {
  family: 'ipv4',
  inIface: 'eth0',
  outIface: 'br-1234',
  src: '10.1.2.3',
  dst: '172.18.0.2',
  protocol: 'tcp',
  sport: 40000,
  dport: 80,
  ctState: 'NEW',
  path: 'forward',
};

/** A filter table whose FORWARD chain holds `rules` and has `policy`. */
function filter(rules: string[], policy = 'ACCEPT', extra = ''): string {
  return `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n${extra}${rules.map((r) => `-A FORWARD ${r}`).join('\n')}\nCOMMIT\n`;
}

function verdict(text: string, p: Partial<Packet>, opts: EvaluateOptions = {}): Verdict {
  const rs = parseIptablesSave(text);
  const pk = { ...base, ...p } as Packet;
  const a = evaluate(compileRuleset(rs), pk, { ...opts, explain: false });
  const b = evaluateNaive(rs, pk, opts);
  expect(a.verdict).toBe(b.verdict);
  expect(a.decidedBy).toEqual(b.decidedBy);
  return b.verdict;
}

const cases: Array<[string, string[], Partial<Packet>, Verdict, EvaluateOptions?]> = [
  ['-s prefix match', ['-s 10.0.0.0/8 -j DROP'], {}, 'DROP'],
  ['-s prefix miss', ['-s 10.0.0.0/16 -j DROP'], {}, 'ACCEPT'],
  ['! -s', ['! -s 10.1.0.0/16 -j DROP'], {}, 'ACCEPT'],
  ['! -s hit', ['! -s 192.168.0.0/16 -j DROP'], {}, 'DROP'],
  ['-d dotted mask', ['-d 172.18.0.0/255.255.0.0 -j DROP'], {}, 'DROP'],
  ['-d /32', ['-d 172.18.0.3/32 -j DROP'], {}, 'ACCEPT'],
  ['-i exact', ['-i eth0 -j DROP'], {}, 'DROP'],
  ['-i wildcard', ['-i eth+ -j DROP'], {}, 'DROP'],
  ['-o wildcard miss', ['-o docker+ -j DROP'], {}, 'ACCEPT'],
  ['! -o wildcard', ['! -o br-+ -j DROP'], {}, 'ACCEPT'],
  ['-i unknown', ['-i eth0 -j DROP'], { inIface: undefined }, 'unknown'],
  ['-p udp miss', ['-p udp -j DROP'], {}, 'ACCEPT'],
  ['-p 6', ['-p 6 -j DROP'], {}, 'DROP'],
  ['! -p icmp', ['! -p icmp -j DROP'], {}, 'DROP'],
  ['--dport', ['-p tcp -m tcp --dport 80 -j DROP'], {}, 'DROP'],
  ['--dport range', ['-p tcp -m tcp --dport 1:1024 -j DROP'], {}, 'DROP'],
  ['--dport open range', ['-p tcp -m tcp --dport 1025: -j DROP'], {}, 'ACCEPT'],
  ['! --dport', ['-p tcp -m tcp ! --dport 80 -j DROP'], {}, 'ACCEPT'],
  ['--sport', ['-p tcp -m tcp --sport 40000 -j DROP'], {}, 'DROP'],
  ['implicit tcp module', ['-p tcp --dport 80 -j DROP'], {}, 'DROP'],
  ['--dport on udp rule, tcp packet', ['-p udp -m udp --dport 80 -j DROP'], {}, 'ACCEPT'],
  ['--dport unknown port', ['-p tcp -m tcp --dport 80 -j DROP'], { dport: null }, 'unknown'],
  ['multiport hit', ['-p tcp -m multiport --dports 22,80,443:445 -j DROP'], {}, 'DROP'],
  ['multiport range', ['-p tcp -m multiport --dports 22,443:445 -j DROP'], { dport: 444 }, 'DROP'],
  ['multiport miss', ['-p tcp -m multiport --dports 22,443 -j DROP'], {}, 'ACCEPT'],
  ['multiport --ports (src)', ['-p tcp -m multiport --ports 40000 -j DROP'], {}, 'DROP'],
  ['conntrack NEW', ['-m conntrack --ctstate NEW -j DROP'], {}, 'DROP'],
  ['conntrack EST miss', ['-m conntrack --ctstate RELATED,ESTABLISHED -j DROP'], {}, 'ACCEPT'],
  ['conntrack EST hit', ['-m conntrack --ctstate RELATED,ESTABLISHED -j DROP'], { ctState: 'RELATED' }, 'DROP'],
  ['! ctstate', ['-m conntrack ! --ctstate NEW -j DROP'], {}, 'ACCEPT'],
  ['state module', ['-m state --state NEW -j DROP'], {}, 'DROP'],
  ['ctstate INVALID', ['-m conntrack --ctstate INVALID -j DROP'], { ctState: 'INVALID' }, 'DROP'],
  ['ctorigdst (NEW, no DNAT)', ['-m conntrack --ctorigdst 172.18.0.2 -j DROP'], {}, 'DROP'],
  ['ctorigdstport', ['-p tcp -m conntrack --ctorigdstport 80 -j DROP'], {}, 'DROP'],
  ['ctorigdst on ESTABLISHED: unknown', ['-m conntrack --ctorigdst 172.18.0.2 -j DROP'], { ctState: 'ESTABLISHED' }, 'unknown'],
  ['ctstate DNAT (no DNAT happened)', ['-m conntrack --ctstate DNAT -j DROP'], {}, 'ACCEPT'],
  ['addrtype LOCAL with set', ['-m addrtype --dst-type LOCAL -j DROP'], {}, 'ACCEPT', { localAddresses: ['203.0.113.1'] }],
  ['addrtype LOCAL hit', ['-m addrtype --dst-type LOCAL -j DROP'], { dst: '203.0.113.1' }, 'DROP', { localAddresses: ['203.0.113.1'] }],
  ['addrtype LOCAL unknown', ['-m addrtype --dst-type LOCAL -j DROP'], {}, 'unknown'],
  ['addrtype loopback always LOCAL', ['-m addrtype --dst-type LOCAL -j DROP'], { dst: '127.0.0.5' }, 'DROP'],
  ['addrtype ! LOCAL via hint', ['-m addrtype ! --dst-type LOCAL -j DROP'], { dstLocal: false }, 'DROP'],
  ['addrtype MULTICAST', ['-m addrtype --dst-type MULTICAST -j DROP'], { dst: '224.0.0.251' }, 'DROP'],
  ['comment', ['-m comment --comment "allow web, \\"quoted\\"" -j DROP'], {}, 'DROP'],
  ['mark unknown', ['-m mark --mark 0x1 -j DROP'], {}, 'unknown'],
  ['mark given', ['-m mark --mark 0x1/0xff -j DROP'], { mark: 0x101 }, 'DROP'],
  ['! mark given', ['-m mark ! --mark 0x1 -j DROP'], { mark: 0x1 }, 'ACCEPT'],
  ['physdev unknown', ['-m physdev --physdev-is-bridged -j DROP'], {}, 'unknown'],
  ['physdev not bridged', ['-m physdev --physdev-is-bridged -j DROP'], { physdev: { bridged: false } }, 'ACCEPT'],
  ['physdev negated, not bridged', ['-m physdev ! --physdev-is-bridged -j DROP'], { physdev: { bridged: false } }, 'DROP'],
  ['physdev in port', ['-m physdev --physdev-in veth1 -j DROP'], { physdev: { bridged: true, inPort: 'veth1', outPort: 'veth2' } }, 'DROP'],
  ['icmp type', ['-p icmp -m icmp --icmp-type 8 -j DROP'], { protocol: 'icmp', icmpType: 8 }, 'DROP'],
  ['icmp name', ['-p icmp -m icmp --icmp-type echo-request -j DROP'], { protocol: 'icmp', icmpType: 0 }, 'ACCEPT'],
  ['icmp type unknown', ['-p icmp -m icmp --icmp-type 8 -j DROP'], { protocol: 'icmp' }, 'unknown'],
  ['icmp any', ['-p icmp -m icmp --icmp-type any -j DROP'], { protocol: 'icmp' }, 'DROP'],
  ['tcp flags SYN', ['-p tcp -m tcp --tcp-flags SYN,RST,ACK,FIN SYN -j DROP'], { tcpFlags: ['SYN'] }, 'DROP'],
  ['tcp --syn vs ACK', ['-p tcp -m tcp --syn -j DROP'], { tcpFlags: ['ACK'] }, 'ACCEPT'],
  ['tcp flags unknown', ['-p tcp -m tcp --syn -j DROP'], {}, 'unknown'],
  ['iprange', ['-m iprange --src-range 10.1.2.0-10.1.2.10 -j DROP'], {}, 'DROP'],
  ['set with ipset', ['-m set --match-set blocked src -j DROP'], {}, 'DROP', { ipsetSave: 'create blocked hash:net family inet\nadd blocked 10.1.0.0/16\n' }],
  ['set nomatch hole', ['-m set --match-set blocked src -j DROP'], {}, 'ACCEPT', { ipsetSave: 'create blocked hash:net family inet\nadd blocked 10.1.0.0/16\nadd blocked 10.1.2.0/24 nomatch\n' }],
  ['set hash:ip,port', ['-m set --match-set svc dst,dst -j DROP'], {}, 'DROP', { ipsetSave: 'create svc hash:ip,port family inet\nadd svc 172.18.0.2,tcp:80\n' }],
  ['set missing', ['-m set --match-set blocked src -j DROP'], {}, 'unknown'],
  ['fragment', ['-f -j DROP'], {}, 'ACCEPT'],
  ['unknown module → unknown', ['-m hashlimit --hashlimit-above 10/sec --hashlimit-name x -j DROP'], {}, 'unknown'],
  ['unknown module on LOG: no effect', ['-m limit --limit 3/min -j LOG --log-prefix "x "', '-j DROP'], {}, 'DROP'],
  ['REJECT', ['-p tcp -j REJECT --reject-with tcp-reset'], {}, 'REJECT'],
  ['policy DROP', [], {}, 'DROP'],
  ['no target: counter only', ['-s 10.0.0.0/8'], {}, 'ACCEPT'],
  ['NFLOG/TRACE continue', ['-j NFLOG --nflog-group 5', '-j TRACE', '-j DROP'], {}, 'DROP'],
  ['unknown target → unknown', ['-j TPROXY_X'], {}, 'unknown'],
];

describe('matches and targets', () => {
  for (const [name, rules, p, expected, opts] of cases) {
    it(name, () => {
      expect(verdict(filter(rules, name === 'policy DROP' ? 'DROP' : 'ACCEPT'), p, opts)).toBe(expected);
    });
  }

  it('jump, RETURN, goto and fall-through', () => {
    const extra = ':A - [0:0]\n:B - [0:0]\n:C - [0:0]\n-A A -s 10.1.0.0/16 -j RETURN\n-A A -j DROP\n-A B -g C\n-A B -j DROP\n-A C -p udp -j DROP\n';
    expect(verdict(filter(['-j A', '-j B', '-j REJECT'], 'ACCEPT', extra), {})).toBe('REJECT');
    // goto C: C falls off → returns to FORWARD (not to B), so B's DROP is skipped.
    expect(verdict(filter(['-j B', '-j ACCEPT'], 'DROP', extra), {})).toBe('ACCEPT');
    expect(verdict(filter(['-j A'], 'ACCEPT', extra), { src: '10.2.0.1' })).toBe('DROP');
  });

  it('goto from a built-in chain: falling off the target chain applies the built-in policy', () => {
    const extra = ':C - [0:0]\n-A C -p udp -j ACCEPT\n';
    expect(verdict(filter(['-g C', '-j ACCEPT'], 'DROP', extra), {})).toBe('DROP');
  });

  it('RETURN in a built-in chain applies its policy', () => {
    expect(verdict(filter(['-j RETURN', '-j ACCEPT'], 'DROP'), {})).toBe('DROP');
  });

  it('MARK then -m mark (packet mark tracked through mangle)', () => {
    const text = `*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -s 10.1.0.0/16 -j MARK --set-xmark 0x5/0xffffffff\nCOMMIT\n${filter(['-m mark --mark 0x5 -j DROP'])}`;
    expect(verdict(text, {})).toBe('DROP');
    expect(verdict(text, { src: '10.9.0.1' })).toBe('unknown');
    expect(verdict(text, { src: '10.9.0.1', mark: 0 })).toBe('ACCEPT');
  });

  it('CONNMARK --restore-mark makes the mark unknown', () => {
    const text = `*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff\nCOMMIT\n${filter(['-m mark --mark 0x5 -j DROP'])}`;
    expect(verdict(text, { mark: 5 })).toBe('unknown');
  });

  it('NOTRACK / CT --notrack: untracked, nat skipped, ctstate UNTRACKED matches', () => {
    const raw = '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j CT --notrack\nCOMMIT\n';
    expect(verdict(raw + filter(['-m conntrack --ctstate UNTRACKED -j DROP']), {})).toBe('DROP');
    const raw2 = '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -j NOTRACK\nCOMMIT\n';
    expect(verdict(raw2 + filter(['-m state --state NEW -j DROP']), {})).toBe('ACCEPT');
  });

  it('raw-table DROP decides before nat and filter', () => {
    const raw = '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -d 172.18.0.2/32 ! -i br-1234 -j DROP\nCOMMIT\n';
    const rs = parseIptablesSave(raw + filter(['-j ACCEPT']));
    const r = evaluate(compileRuleset(rs), base);
    expect(r.verdict).toBe('DROP');
    expect(r.decidedBy).toMatchObject({ table: 'raw', chain: 'PREROUTING', index: 1 });
  });

  it('DNAT with port range, SNAT, REDIRECT, OUTPUT path', () => {
    const nat = (rules: string) => `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${rules}COMMIT\n`;
    const t1 = nat('-A POSTROUTING -o eth1 -j SNAT --to-source 192.0.2.9\n') + filter([]);
    const r1 = evaluate(compileRuleset(parseIptablesSave(t1)), { ...base, outIface: 'eth1' });
    expect(r1.natSteps[0]).toMatchObject({ kind: 'SNAT', hook: 'POSTROUTING', after: { src: '192.0.2.9', sport: 40000 } });
    const t2 = nat('-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 3128\n') + filter([], 'DROP');
    const r2 = evaluate(compileRuleset(parseIptablesSave(t2)), base, { ifaceAddress: () => '10.0.0.1' });
    expect(r2.hooks).toEqual(['PREROUTING', 'INPUT']);
    expect(r2.verdict).toBe('ACCEPT');
    expect(r2.natSteps[0]!.after).toMatchObject({ dst: '10.0.0.1', dport: 3128 });
    const t3 = nat('-A OUTPUT -d 198.51.100.1/32 -p tcp -j DNAT --to-destination 172.18.0.9-172.18.0.10:80\n') + filter([]);
    const r3 = evaluate(compileRuleset(parseIptablesSave(t3)), { ...base, path: 'output', dst: '198.51.100.1', outIface: 'eth0', inIface: undefined });
    expect(r3.natSteps[0]!.after.dst).toBeNull();
    expect(r3.natSteps[0]!.note).toContain('address range');
  });

  it('IPv6 rulesets', () => {
    const text = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -s fd00:1::/64 -d fd00:2::1/128 -p tcp -m tcp --dport 443 -j DROP\n-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT\nCOMMIT\n';
    const rs = parseIptablesSave(text);
    expect(rs.family).toBe('ipv6');
    const p6: Packet = { family: 'ipv6', inIface: 'eth0', outIface: 'eth1', src: 'fd00:1::5', dst: 'fd00:2::1', protocol: 'tcp', sport: 1000, dport: 443, ctState: 'NEW', path: 'forward' };
    expect(evaluate(compileRuleset(rs), p6).verdict).toBe('DROP');
    expect(evaluate(compileRuleset(rs), { ...p6, dst: 'fd00:2::2' }).verdict).toBe('ACCEPT');
  });
});
