// Property test: the compiled evaluator (decision-tree candidates, closure matches) gives the
// same result as the naive reference evaluator (linear scan, interpreted matches) on random
// DOCKER-USER / FORWARD / nat rules over a small address and port space.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleset, evaluate, evaluateNaive, parseIptablesSave } from '../../../src/firewall/index.js';
import type { Packet } from '../../../src/firewall/index.js';

const ADDRS = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '10.1.0.1', '192.168.0.1', '203.0.113.5'];
const NETS = ['10.0.0.1/32', '10.0.0.2/32', '10.0.0.0/24', '10.0.0.0/16', '10.0.0.0/8', '192.168.0.0/16', '203.0.113.5/32', '0.0.0.0/0'];
const IFS = ['eth0', 'br-a', 'br-b', 'docker0'];
const PORTS = [22, 53, 80, 443, 8080];

const neg = fc.boolean();
const matchArb = fc.oneof(
  fc.tuple(neg, fc.constantFrom('-s', '-d'), fc.constantFrom(...NETS)).map(([n, o, v]) => `${n ? '! ' : ''}${o} ${v}`),
  fc.tuple(neg, fc.constantFrom('-i', '-o'), fc.constantFrom(...IFS, 'br-+', 'docker+')).map(([n, o, v]) => `${n ? '! ' : ''}${o} ${v}`),
  fc.constantFrom('-m conntrack --ctstate NEW', '-m conntrack --ctstate RELATED,ESTABLISHED', '-m state ! --state NEW', '-m comment --comment "x y"', '-m mark --mark 0x1', '-m addrtype --dst-type LOCAL'),
);
const portMatch = fc.oneof(
  fc.tuple(neg, fc.constantFrom(...PORTS)).map(([n, p]) => `-m tcp ${n ? '! ' : ''}--dport ${p}`),
  fc.tuple(fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 500 })).map(([p, w]) => `-m tcp --dport ${p}:${p + w}`),
  fc.subarray(PORTS, { minLength: 1 }).map((ps) => `-m multiport --dports ${ps.join(',')}`),
  fc.constantFrom(...PORTS).map((p) => `-m tcp --sport ${p}`),
);
const protoPart = fc.oneof(
  fc.constant(''),
  fc.tuple(fc.constantFrom('tcp', 'udp'), portMatch).map(([p, m]) => `-p ${p} ${m.replace('-m tcp', `-m ${p}`)}`),
  fc.constantFrom('-p tcp', '-p udp', '-p icmp', '! -p tcp'),
);
const ruleBody = fc.tuple(fc.array(matchArb, { maxLength: 3 }), protoPart).map(([ms, p]) => {
  // One of each generic option at most.
  const seen = new Set<string>();
  const keep = ms.filter((m) => {
    const k = m.replace(/^! /, '').split(' ')[0]! + (m.includes('-m ') ? m : '');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return [...keep, p].filter(Boolean).join(' ');
});

function target(userChains: string[]) {
  return fc.oneof(
    fc.constantFrom('-j ACCEPT', '-j DROP', '-j REJECT', '-j RETURN', '-j LOG --log-prefix "p "', ''),
    fc.constantFrom(...userChains).map((c) => `-j ${c}`),
    fc.constantFrom(...userChains).map((c) => `-g ${c}`),
  );
}

const rulesetArb = fc
  .record({
    forward: fc.array(fc.tuple(ruleBody, target(['DOCKER-USER', 'C1', 'C2'])), { maxLength: 25 }),
    user: fc.array(fc.tuple(ruleBody, target(['C1', 'C2'])), { maxLength: 25 }),
    c1: fc.array(fc.tuple(ruleBody, target(['C2'])), { maxLength: 15 }),
    c2: fc.array(fc.tuple(ruleBody, fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN', '')), { maxLength: 15 }),
    dnat: fc.array(fc.tuple(fc.constantFrom(...PORTS), fc.constantFrom(...ADDRS), fc.constantFrom(...PORTS), fc.constantFrom(...IFS)), { maxLength: 8 }),
    policy: fc.constantFrom('ACCEPT', 'DROP'),
  })
  .map((g) => {
    const lines = (chain: string, rs: Array<[string, string]>) => rs.map(([b, t]) => `-A ${chain} ${b} ${t}`.replace(/\s+/g, ' ').trim());
    return [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':DOCKER - [0:0]',
      '-A PREROUTING -j DOCKER',
      ...g.dnat.map(([p, a, q, i]) => `-A DOCKER ! -i ${i} -p tcp -m tcp --dport ${p} -j DNAT --to-destination ${a}:${q}`),
      '-A POSTROUTING -s 10.0.0.0/16 ! -o br-a -j MASQUERADE',
      'COMMIT',
      '*filter',
      ':INPUT ACCEPT [0:0]',
      `:FORWARD ${g.policy} [0:0]`,
      ':OUTPUT ACCEPT [0:0]',
      ':DOCKER-USER - [0:0]',
      ':C1 - [0:0]',
      ':C2 - [0:0]',
      ...lines('FORWARD', g.forward),
      ...lines('DOCKER-USER', g.user),
      ...lines('C1', g.c1),
      ...lines('C2', g.c2),
      'COMMIT',
      '',
    ].join('\n');
  });

const packetArb = fc.record({
  family: fc.constant('ipv4' as const),
  inIface: fc.constantFrom(...IFS),
  outIface: fc.constantFrom(...IFS),
  src: fc.constantFrom(...ADDRS),
  dst: fc.constantFrom(...ADDRS),
  protocol: fc.constantFrom('tcp', 'udp', 'icmp'),
  sport: fc.constantFrom(...PORTS, 40000),
  dport: fc.constantFrom(...PORTS, 300, 600),
  ctState: fc.constantFrom('NEW' as const, 'ESTABLISHED' as const),
  path: fc.constant('forward' as const),
  mark: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
});

describe('compiled evaluator == naive evaluator (fast-check)', () => {
  it('on random DOCKER-USER / FORWARD / nat rulesets', () => {
    let indexed = 0;
    let fast = 0;
    let total = 0;
    fc.assert(
      fc.property(rulesetArb, fc.array(packetArb, { minLength: 10, maxLength: 30 }), fc.integer({ min: 1, max: 8 }), (text, packets, leafSize) => {
        const rs = parseIptablesSave(text);
        const c = compileRuleset(rs, { leafSize, maxDepth: 4 });
        indexed += c.stats.indexedChains;
        const opts = { localAddresses: ['203.0.113.5'], explain: false, ifaceAddress: (n: string) => (n === 'eth0' ? '203.0.113.5' : null) };
        for (const p of packets) {
          const pk = p as Packet;
          const a = evaluate(c, pk, opts);
          const b = evaluateNaive(rs, pk, opts);
          expect({ v: a.verdict, d: a.decidedBy, nat: a.natSteps, f: a.finalPacket, r: a.reasons, br: a.branches }).toEqual({
            v: b.verdict,
            d: b.decidedBy,
            nat: b.natSteps,
            f: b.finalPacket,
            r: b.reasons,
            br: b.branches,
          });
          // The explained walk agrees too.
          const e = evaluate(c, pk, { ...opts, explain: true });
          expect(e.verdict).toBe(b.verdict);
          // The lean fast path (when it does not give up) equals the full compiled walk.
          const full = evaluate(c, pk, { ...opts, fastPath: false });
          if (a.constructor.name === 'FastResult') fast++;
          expect({ v: a.verdict, d: a.decidedBy, j: JSON.parse(JSON.stringify(a)) }).toEqual({ v: full.verdict, d: full.decidedBy, j: JSON.parse(JSON.stringify(full)) });
          total++;
        }
      }),
      { numRuns: 300, seed: 20240601 },
    );
    // The decision trees were actually exercised.
    expect(indexed).toBeGreaterThan(100);
    // ... and the fast path decided most packets itself (it gives up only on undecidable rules).
    expect(fast / total).toBeGreaterThan(0.3);
  });
});
