// Real `nft -j list ruleset` output: load a Docker-29-style ruleset into a private network
// namespace with `nft -f`, list it as JSON, and check the parser and evaluator on what nft really
// prints (expression shapes, vmaps, sets, implicit protocol dependencies). Needs root, `ip netns`
// and `nft`; skipped with a note otherwise. The namespace is deleted in afterAll.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRuleset, evaluate, parseNftJson } from '../../src/firewall/index.js';

const NS = `fwnft${process.pid % 100000}`;
const RULES = `
table ip docker-bridges {
  map filter-forward-in-jumps { type ifname : verdict; elements = { "br-t1" : jump filter-forward-in__br-t1 } }
  set blocked { type ipv4_addr; flags interval; elements = { 192.0.2.0/28, 198.51.100.7 } }
  chain filter-FORWARD { type filter hook forward priority filter; policy accept;
    ip saddr @blocked counter drop
    oifname vmap @filter-forward-in-jumps
  }
  chain nat-PREROUTING { type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local counter jump nat-prerouting-and-output
  }
  chain nat-prerouting-and-output {
    iifname != "br-t1" tcp dport { 8080, 8443 } counter dnat to 10.30.0.2:80 comment "DNAT"
  }
  chain filter-forward-in__br-t1 {
    ct state established,related counter accept
    iifname "br-t1" counter accept comment "ICC"
    ip daddr 10.30.0.2 tcp dport 80 counter accept
    meta l4proto udp th dport 5000-5010 counter reject
    counter drop comment "UNPUBLISHED PORT DROP"
  }
}
`;

function sh(args: string[], input?: string): string {
  return execFileSync(args[0]!, args.slice(1), { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
}

function blocker(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root';
  try {
    sh(['nft', '--version']);
  } catch {
    return 'nft unavailable';
  }
  return null;
}
const why = blocker();
if (why) console.warn(`[firewall-nft] SKIP: ${why}`);

describe.skipIf(!!why)('parseNftJson on real nft -j output (private netns)', () => {
  let json = '';
  beforeAll(() => {
    sh(['ip', 'netns', 'add', NS]);
    sh(['ip', 'netns', 'exec', NS, 'nft', '-f', '-'], RULES);
    json = sh(['ip', 'netns', 'exec', NS, 'nft', '-j', 'list', 'ruleset']);
  });
  afterAll(() => {
    try {
      sh(['ip', 'netns', 'del', NS]);
    } catch {
      /* not created */
    }
  });

  it('parses everything nft printed, with no unknown constructs', () => {
    const rs = parseNftJson(json);
    expect(rs.unknowns).toEqual([]);
    const t = rs.tables['ip:docker-bridges']!;
    expect(t.chains['filter-FORWARD']).toMatchObject({ hook: 'FORWARD', priority: 0, policy: 'ACCEPT' });
    expect(t.chains['nat-PREROUTING']).toMatchObject({ hook: 'PREROUTING', priority: -100, type: 'nat' });
    expect(t.chains['filter-forward-in__br-t1']!.rules).toHaveLength(5);
  });

  it('evaluates the flows the ruleset is written for', () => {
    const c = compileRuleset(parseNftJson(json));
    const o = { localAddresses: ['203.0.113.1'], route: (d: string) => (d.startsWith('10.30.') ? { local: false, outIface: 'br-t1' } : { local: d === '203.0.113.1', outIface: 'eth0' }) };
    const f = (p: object) => evaluate(c, { family: 'ipv4', protocol: 'tcp', sport: 40000, dport: 80, ctState: 'NEW', path: 'forward', inIface: 'eth0', outIface: 'br-t1', src: '203.0.113.50', dst: '10.30.0.2', ...p } as never, o);
    expect(f({}).verdict).toBe('ACCEPT');
    expect(f({ dport: 22 }).verdict).toBe('DROP');
    expect(f({ src: '192.0.2.9' }).decidedBy).toMatchObject({ chain: 'filter-FORWARD', index: 1 });
    expect(f({ protocol: 'udp', dport: 5005 }).verdict).toBe('REJECT');
    expect(f({ inIface: 'br-t1', src: '10.30.0.3' }).verdict).toBe('ACCEPT');
    const pub = f({ path: 'input', outIface: undefined, dst: '203.0.113.1', dport: 8443 });
    expect(pub.natSteps[0]).toMatchObject({ kind: 'DNAT', after: { dst: '10.30.0.2', dport: 80 } });
    expect(pub.verdict).toBe('ACCEPT');
  });
});
