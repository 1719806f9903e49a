// Property test for the flat fast path (program.ts layout built by compile.ts, fast.ts walk): on random rulesets
// over every table and hook, with the matches the fast path encodes in its rule records
// (addresses, interned interfaces with `+` wildcards and negation, protocols, port ranges,
// multiport, conntrack states) and the ones it hands to closures or to the full walk (sets with
// and without `ipset save`, addrtype, mark, ctstate DNAT/SNAT, unknown modules, REDIRECT, NAT to a
// range), `evaluateCode`, `evaluateBatch` and `evaluate(..., {explain: false})` must give exactly
// the naive reference walk's verdict and deciding rule — `unknown` included.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileRuleset,
  decidedByOfCode,
  evaluate,
  evaluateBatch,
  evaluateCode,
  evaluateNaive,
  packetOfBatch,
  parseIptablesSave,
  verdictOfCode,
} from '../../../src/firewall/index.js';
import type { EvaluateOptions, Packet, PacketBatch } from '../../../src/firewall/index.js';
import { parseIPv4 } from '../../../src/net/ipv4.js';

const ADDRS = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '10.1.0.1', '192.168.0.1', '203.0.113.5', '172.18.0.2', '127.0.0.1'];
const NETS = ['10.0.0.1/32', '10.0.0.2/32', '10.0.0.0/24', '10.0.0.0/16', '10.0.0.0/8', '192.168.0.0/16', '203.0.113.5/32', '172.18.0.0/16', '0.0.0.0/0', '128.0.0.0/1'];
// Names that share prefixes, so that `br+`, `br-a+`, `br-ab` and `br-a` tell wildcard from exact.
const IFS = ['eth0', 'br-a', 'br-ab', 'br-b', 'docker0', 'veth1'];
const IF_SPECS = [...IFS, 'br+', 'br-a+', 'docker+', 'veth+', 'e+', 'lo'];
const PORTS = [22, 53, 80, 443, 8080];
const IPSETS = 'create blocked hash:net family inet\nadd blocked 10.1.0.0/16\nadd blocked 10.1.2.0/24 nomatch\ncreate svc hash:ip,port family inet\nadd svc 172.18.0.2,tcp:80\n';

const neg = fc.boolean();
const bang = (n: boolean) => (n ? '! ' : '');
const matchArb = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(neg, fc.constantFrom('-s', '-d'), fc.constantFrom(...NETS)).map(([n, o, v]) => `${bang(n)}${o} ${v}`) },
  { weight: 4, arbitrary: fc.tuple(neg, fc.constantFrom('-i', '-o'), fc.constantFrom(...IF_SPECS)).map(([n, o, v]) => `${bang(n)}${o} ${v}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(neg, fc.subarray(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'], { minLength: 1 }))
      .map(([n, s]) => `-m conntrack ${bang(n)}--ctstate ${s.join(',')}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '-m state --state NEW',
      '-m state ! --state ESTABLISHED,RELATED',
      '-m conntrack --ctstate DNAT',
      '-m conntrack ! --ctstate SNAT',
      '-m comment --comment "x y"',
      '-m mark --mark 0x1',
      '-m addrtype --dst-type LOCAL',
      '-m addrtype ! --src-type LOCAL',
      '-m set --match-set blocked src',
      '-m set ! --match-set blocked dst',
      '-m set --match-set svc dst,dst',
      '-m set --match-set nosuch src',
      '-m limit --limit 5/sec',
    ),
  },
);
const portMatch = fc.oneof(
  fc.tuple(neg, fc.constantFrom('--dport', '--sport'), fc.constantFrom(...PORTS)).map(([n, o, p]) => `-m PROTO ${bang(n)}${o} ${p}`),
  fc.tuple(neg, fc.constantFrom('--dport', '--sport'), fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 500 })).map(([n, o, p, w]) => `-m PROTO ${bang(n)}${o} ${p}:${p + w}`),
  fc
    .tuple(neg, fc.constantFrom('--dports', '--sports', '--ports'), fc.subarray([...PORTS, '1000:2000', '30000:40000'], { minLength: 1 }))
    .map(([n, o, ps]) => `-m multiport ${bang(n)}${o} ${ps.join(',')}`),
);
const protoPart = fc.oneof(
  fc.constant(''),
  fc.tuple(fc.constantFrom('tcp', 'udp'), portMatch).map(([p, m]) => `-p ${p} ${m.replace('PROTO', p)}`),
  fc.constantFrom('-p tcp', '-p udp', '-p icmp', '! -p tcp', '-p all', '! -p udp'),
);
const ruleBody = fc.tuple(fc.array(matchArb, { maxLength: 4 }), protoPart).map(([ms, p]) => {
  // One of each option at most (iptables-save never repeats -s, -i, ...).
  const seen = new Set<string>();
  const keep = ms.filter((m) => {
    const k = m.replace(/^! /, '').split(' ')[0]! + (m.includes('-m ') ? m.split(' ')[1] : '');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return [...keep, p].filter(Boolean).join(' ');
});

function target(userChains: string[]) {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('-j ACCEPT', '-j DROP', '-j REJECT', '-j RETURN', '-j LOG --log-prefix "p "', '') },
    { weight: 2, arbitrary: fc.constantFrom(...userChains).map((c) => `-j ${c}`) },
    { weight: 1, arbitrary: fc.constantFrom(...userChains).map((c) => `-g ${c}`) },
    { weight: 1, arbitrary: fc.constantFrom('-j MARK --set-xmark 0x1/0xffffffff', '-j CONNMARK --restore-mark') },
  );
}

const natTarget = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ADDRS), fc.constantFrom(...PORTS)).map(([a, p]) => `-j DNAT --to-destination ${a}:${p}`) },
  { weight: 1, arbitrary: fc.constantFrom('-j DNAT --to-destination 10.0.0.1-10.0.0.2', '-j REDIRECT --to-ports 8080', '-j DNAT --to-destination :8080', '-j RETURN') },
);

const lines = (chain: string, rs: Array<[string, string]>) => rs.map(([b, t]) => `-A ${chain} ${b} ${t}`.replace(/\s+/g, ' ').trim());

const rulesetArb = fc
  .record({
    raw: fc.array(fc.tuple(ruleBody, fc.constantFrom('-j DROP', '-j NOTRACK', '-j ACCEPT', '')), { maxLength: 6 }),
    pre: fc.array(fc.tuple(ruleBody, natTarget), { maxLength: 6 }),
    out: fc.array(fc.tuple(ruleBody, natTarget), { maxLength: 3 }),
    post: fc.array(fc.tuple(ruleBody, fc.constantFrom('-j MASQUERADE', '-j SNAT --to-source 203.0.113.5', '-j RETURN', '')), { maxLength: 4 }),
    input: fc.array(fc.tuple(ruleBody, target(['C1'])), { maxLength: 10 }),
    forward: fc.array(fc.tuple(ruleBody, target(['DOCKER-USER', 'C1', 'C2'])), { maxLength: 25 }),
    output: fc.array(fc.tuple(ruleBody, target(['C2'])), { maxLength: 8 }),
    user: fc.array(fc.tuple(ruleBody, target(['C1', 'C2'])), { maxLength: 25 }),
    c1: fc.array(fc.tuple(ruleBody, target(['C2'])), { maxLength: 15 }),
    c2: fc.array(fc.tuple(ruleBody, fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN', '')), { maxLength: 15 }),
    policies: fc.tuple(fc.constantFrom('ACCEPT', 'DROP'), fc.constantFrom('ACCEPT', 'DROP'), fc.constantFrom('ACCEPT', 'DROP')),
  })
  .map((g) =>
    [
      '*raw',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ...lines('PREROUTING', g.raw),
      'COMMIT',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':DOCKER - [0:0]',
      '-A PREROUTING -j DOCKER',
      '-A OUTPUT -j DOCKER',
      ...lines('DOCKER', g.pre),
      ...lines('OUTPUT', g.out),
      ...lines('POSTROUTING', g.post),
      'COMMIT',
      '*filter',
      `:INPUT ${g.policies[0]} [0:0]`,
      `:FORWARD ${g.policies[1]} [0:0]`,
      `:OUTPUT ${g.policies[2]} [0:0]`,
      ':DOCKER-USER - [0:0]',
      ':C1 - [0:0]',
      ':C2 - [0:0]',
      ...lines('INPUT', g.input),
      ...lines('FORWARD', g.forward),
      ...lines('OUTPUT', g.output),
      ...lines('DOCKER-USER', g.user),
      ...lines('C1', g.c1),
      ...lines('C2', g.c2),
      'COMMIT',
      '',
    ].join('\n'),
  );

const packetArb = fc.record(
  {
    family: fc.constant('ipv4' as const),
    // Interfaces the ruleset never names (wlan0, br-zzz) get interned on first sight.
    inIface: fc.constantFrom(...IFS, 'wlan0', 'br-zzz', 'br'),
    outIface: fc.constantFrom(...IFS, 'wlan0', 'br-zzz', 'br'),
    src: fc.constantFrom(...ADDRS, '198.51.100.7'),
    dst: fc.constantFrom(...ADDRS, '198.51.100.7'),
    protocol: fc.constantFrom('tcp', 'udp', 'icmp'),
    sport: fc.constantFrom(...PORTS, 1500, 40000),
    dport: fc.constantFrom(...PORTS, 300, 600, 1999, 35000),
    ctState: fc.constantFrom('NEW' as const, 'ESTABLISHED' as const, 'RELATED' as const, 'INVALID' as const),
    path: fc.constantFrom('forward' as const, 'forward' as const, 'input' as const, 'output' as const),
    mark: fc.constantFrom(0, 1),
  },
  // Absent fields are unknown: interfaces, ports and the mark may be left out.
  { requiredKeys: ['family', 'src', 'dst', 'protocol', 'ctState', 'path'] },
);

const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

/** The packets as a batch, when they fit its encoding (no mark: a batch's mark is unknown). */
function toBatch(ps: Packet[]): PacketBatch {
  const n = ps.length;
  const ifaces: string[] = [];
  const ix = (s: string | null | undefined) => {
    if (s === undefined || s === null) return -1;
    let i = ifaces.indexOf(s);
    if (i < 0) i = ifaces.push(s) - 1;
    return i;
  };
  const b: PacketBatch = {
    family: 'ipv4',
    length: n,
    src: new Uint32Array(n),
    dst: new Uint32Array(n),
    proto: new Uint8Array(n),
    sport: new Int32Array(n),
    dport: new Int32Array(n),
    inIface: new Int32Array(n),
    outIface: new Int32Array(n),
    ifaces,
    ctState: new Uint8Array(n),
    path: new Uint8Array(n),
  };
  ps.forEach((p, i) => {
    b.src[i] = parseIPv4(p.src);
    b.dst[i] = parseIPv4(p.dst);
    b.proto[i] = PROTO_NUM[p.protocol as string]!;
    b.sport[i] = p.sport ?? -1;
    b.dport[i] = p.dport ?? -1;
    b.inIface[i] = ix(p.inIface);
    b.outIface[i] = ix(p.outIface);
    b.ctState[i] = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'].indexOf(p.ctState);
    b.path[i] = ['forward', 'input', 'output'].indexOf(p.path);
  });
  return b;
}

describe('fast path == naive evaluator (fast-check)', () => {
  it('on random rulesets over every table, with every kind of match the fast path handles or hands over', () => {
    const seen = { total: 0, fast: 0, unknown: 0, drop: 0, accept: 0, batch: 0 };
    fc.assert(
      fc.property(rulesetArb, fc.array(packetArb, { minLength: 10, maxLength: 25 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), fc.boolean(), (text, packets, leafSize, withSets, withLocal) => {
        const rs = parseIptablesSave(text);
        const c = compileRuleset(rs, { leafSize, maxDepth: 4 });
        const opts: EvaluateOptions = {
          localAddresses: withLocal ? ['203.0.113.5'] : undefined,
          explain: false,
          ifaceAddress: (n: string) => (n === 'eth0' ? '203.0.113.5' : null),
          ipsetSave: withSets ? IPSETS : undefined,
        };
        for (const pk of packets as Packet[]) {
          const n = evaluateNaive(rs, pk, opts);
          const code = evaluateCode(c, pk, opts);
          expect({ v: verdictOfCode(code), d: decidedByOfCode(c, code) }).toEqual({ v: n.verdict, d: n.decidedBy });
          const e = evaluate(c, pk, opts);
          expect({ v: e.verdict, d: e.decidedBy, nat: e.natSteps, f: e.finalPacket, r: e.reasons, br: e.branches }).toEqual({
            v: n.verdict,
            d: n.decidedBy,
            nat: n.natSteps,
            f: n.finalPacket,
            r: n.reasons,
            br: n.branches,
          });
          seen.total++;
          if (e.constructor.name === 'FastResult') seen.fast++;
          if (n.verdict === 'unknown') seen.unknown++;
          if (n.verdict === 'DROP' || n.verdict === 'REJECT') seen.drop++;
          if (n.verdict === 'ACCEPT') seen.accept++;
        }
        // The same packets as a batch (without the mark, which a batch leaves unknown).
        const unmarked = (packets as Packet[]).map(({ mark: _m, ...p }) => p as Packet);
        const b = toBatch(unmarked);
        const codes = evaluateBatch(c, b, opts);
        unmarked.forEach((pk, i) => {
          expect(packetOfBatch(b, i)).toEqual({ ...pk, protocol: PROTO_NUM[pk.protocol as string] });
          expect(codes[i]).toBe(evaluateCode(c, pk, opts));
          seen.batch++;
        });
      }),
      { numRuns: 250, seed: 20261124 },
    );
    // Every kind of outcome was exercised, and the fast path decided most packets itself.
    expect(seen.unknown).toBeGreaterThan(50);
    expect(seen.drop).toBeGreaterThan(300);
    expect(seen.accept).toBeGreaterThan(300);
    expect(seen.fast / seen.total).toBeGreaterThan(0.4);
    expect(seen.batch).toBeGreaterThan(1000);
  });

  it('batch rows that are not valid packets fail like the packet would', () => {
    const rs = parseIptablesSave('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i eth0 -j DROP\nCOMMIT\n');
    const c = compileRuleset(rs);
    const b = toBatch([{ family: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', sport: 1, dport: 2, ctState: 'NEW', path: 'forward', inIface: 'eth0' }]);
    expect(verdictOfCode(evaluateBatch(c, b)[0]!)).toBe('DROP');
    b.inIface[0] = 7;
    expect(() => evaluateBatch(c, b)).toThrow(/interface index 7/);
    b.inIface[0] = 0;
    b.dport[0] = 70000;
    expect(() => evaluateBatch(c, b)).toThrow(/bad port/);
    expect(() => evaluateBatch(c, b, {}, new Int32Array(0))).toThrow(/holds 0 codes/);
  });
});
