// matrix: the class-shared computation must give exactly the cells of walking every pair, on the
// bundled example and on generated hosts (Docker ≤27 rules, published ports, ICC-off networks,
// operator drops); plus the ephemeral-port representative it rests on.

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeMatrix } from '../../../src/analysis/matrix.js';
import { SubjectError } from '../../../src/model/view.js';
import { analyzeReach } from '../../../src/analysis/reach.js';
import { ephemeralRepresentative } from '../../../src/analysis/ephemeral.js';
import { parseIptablesSave } from '../../../src/firewall/index.js';
import type { NetworkState, Snapshot } from '../../../src/model/types.js';
import { EXAMPLE } from '../../support/cli.js';
// @ts-expect-error -- plain .mjs bench helpers, no types
import { generateSnapshot } from '../../../bench/gen-snapshot.mjs';
// @ts-expect-error -- plain .mjs bench helpers, no types
import { addNetworkEvidence } from '../../../bench/gen-network.mjs';

const ex = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;

function generated(containers: number, networks: number, seed: number): NetworkState {
  return (addNetworkEvidence(generateSnapshot({ containers, networks, seed, conflicts: 1 }), { seed, iccOff: 0.3, userDrops: 6 }) as Snapshot).state;
}

describe('matrix on the bundled example', () => {
  for (const port of [null, 80, 5432, 6379]) {
    it(`port ${port ?? 'icmp'}: class-shared cells equal every pair walked`, () => {
      const shared = analyzeMatrix(ex, { port });
      const every = analyzeMatrix(ex, { port }, { exhaustive: true });
      expect(shared.cells).toEqual(every.cells);
      expect(shared.stats.walks).toBeLessThanOrEqual(every.stats.walks);
    });
  }

  it('each cell is what reach answers for that pair', () => {
    const m = analyzeMatrix(ex, { port: 80 });
    for (const c of m.cells) {
      const r = analyzeReach(ex, { from: c.from, to: c.to, port: 80 });
      expect({ verdict: c.verdict, listening: c.listening }).toEqual({ verdict: r.verdict, listening: r.listening });
    }
  });

  it('--network keeps the containers attached to it (and those sharing their namespace); stopped ones are listed', () => {
    const m = analyzeMatrix(ex, { network: 'shop_front', port: 80 });
    expect(m.containers).toEqual(['shop-cache-1', 'shop-proxy-1', 'shop-web-1', 'shop-web-sidecar']);
    expect(m.cells).toHaveLength(12);
    expect(m.skipped).toEqual([{ name: 'old-proxy', reason: 'created, not running' }]);
    expect(() => analyzeMatrix(ex, { network: 'nope' })).toThrow(SubjectError);
    expect(() => analyzeMatrix(ex, { network: 'shop_frnt' })).toThrow(/did you mean "shop_front"/);
  });
});

describe('matrix on generated hosts', () => {
  it('80 containers over 4 networks: classes share walks and agree with every pair walked', () => {
    const s = generated(80, 4, 3);
    for (const port of [80, 5432, null]) {
      const shared = analyzeMatrix(s, { port });
      const every = analyzeMatrix(s, { port }, { exhaustive: true });
      expect(shared.cells).toEqual(every.cells);
      expect(shared.stats.walks).toBeLessThan(every.stats.walks / 4);
      // The generated host has both outcomes: the check is not vacuous.
      expect(shared.counts.reachable).toBeGreaterThan(0);
      expect(shared.counts.blocked).toBeGreaterThan(0);
    }
  });

  it('ipset members are atoms: a set-based DOCKER-USER drop singles out its member', () => {
    const s = generated(20, 2, 11);
    const victim = s.containers.find((c) => c.name === 'svc4')!; // not svc0: its loopback listener makes it a class of its own anyway
    const fw = s.hosts[0]!.firewall.value!;
    fw.iptablesSave = fw.iptablesSave!.replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -m set --match-set quarantined src -j DROP\n-A DOCKER-USER -j RETURN');
    fw.ipsetSave = `create quarantined hash:ip family inet hashsize 1024 maxelem 65536\nadd quarantined ${victim.endpoints[0]!.ipv4!.address}\n`;
    const shared = analyzeMatrix(s, { port: 80 });
    expect(shared.cells).toEqual(analyzeMatrix(s, { port: 80 }, { exhaustive: true }).cells);
    const out = shared.cells.filter((c) => c.from === victim.name);
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((c) => c.verdict === 'blocked')).toBe(true);
  });

  it('property: for random hosts and ports the shared matrix equals the walked one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 8, max: 24 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(80, 8080, 3000, 5432, 6379, null), (seed, n, nets, port) => {
        const s = generated(n, nets, seed);
        expect(analyzeMatrix(s, { port }).cells).toEqual(analyzeMatrix(s, { port }, { exhaustive: true }).cells);
      }),
      { numRuns: 12 },
    );
  });
});

describe('ephemeral representative', () => {
  const rs = (rules: string) => parseIptablesSave(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 40001 -j DNAT --to-destination 10.0.0.2:80\nCOMMIT\n`);
  it('no filter rule names an ephemeral port: the range start stands for all (nat --dport is the service port)', () => {
    expect(ephemeralRepresentative(rs('-A FORWARD -p tcp -m tcp --dport 80 -j ACCEPT'), [32768, 60999])).toBe(32768);
  });
  it('a rule covering the whole range does not split it', () => {
    expect(ephemeralRepresentative(rs('-A FORWARD -p tcp -m tcp --dport 1024:65535 -j ACCEPT'), [32768, 60999])).toBe(32768);
  });
  it('a rule naming one ephemeral port splits it: the client port stays unknown', () => {
    expect(ephemeralRepresentative(rs('-A FORWARD -p tcp -m tcp --dport 40000 -j DROP'), [32768, 60999])).toBeNull();
    expect(ephemeralRepresentative(rs('-A FORWARD -p tcp -m multiport --sports 50000:50010 -j DROP'), [32768, 60999])).toBeNull();
  });
});
