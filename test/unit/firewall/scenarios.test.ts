// Expected verdicts for Docker scenarios, on hand-written rule sets in the layouts Docker ≤27,
// 28.0.0 and 29 write (fixtures modelled on moby's generated rule sets).

import { describe, expect, it } from 'vitest';
import { compileRuleset, detectDockerDialect, evaluate, evaluateNaive, parseIptablesSave } from '../../../src/firewall/index.js';
import type { EvaluateOptions, Packet } from '../../../src/firewall/index.js';
import { fixture } from './helpers.js';

const fwd = (p: Partial<Packet>): Packet => ({
  family: 'ipv4',
  src: '0.0.0.0',
  dst: '0.0.0.0',
  protocol: 'tcp',
  sport: 40000,
  dport: 80,
  ctState: 'NEW',
  path: 'forward',
  ...p,
});

function both(text: string, pk: Packet, opts: EvaluateOptions = {}) {
  const rs = parseIptablesSave(text);
  const c = compileRuleset(rs);
  const a = evaluate(c, pk, opts);
  const fast = evaluate(c, pk, { ...opts, explain: false });
  const b = evaluateNaive(rs, pk, opts);
  expect(fast.verdict).toBe(a.verdict);
  expect(fast.decidedBy).toEqual(a.decidedBy);
  expect(b.verdict).toBe(a.verdict);
  return a;
}

describe('Docker ≤27 layout', () => {
  const text = fixture('docker-27.rules');
  const host = { localAddresses: ['203.0.113.10', '172.17.0.1', '172.18.0.1', '172.19.0.1'], ifaceAddress: (n: string) => (n === 'eth0' ? '203.0.113.10' : null) };

  it('is recognised as ≤27', () => {
    expect(detectDockerDialect(parseIptablesSave(text)).dialect).toBe('docker-le-27');
  });

  it('container → container on the same network: ACCEPT', () => {
    const r = both(text, fwd({ inIface: 'br-a', outIface: 'br-a', src: '172.18.0.2', dst: '172.18.0.3', dport: 5432 }), host);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy).toMatchObject({ table: 'filter', chain: 'FORWARD', index: 6 });
    expect(r.reasons[0]!.code).toBe('FW_RULE_ACCEPT');
    // The walk shows the non-matching rules and why.
    const iso = r.path.find((s) => s.chain === 'DOCKER-ISOLATION-STAGE-1' && s.index === 3)!;
    expect(iso.matched).toBe(false);
    expect(iso.failed).toBe('! -o br-a, but packet has br-a');
    const dk = r.path.find((s) => s.chain === 'DOCKER' && s.index === 1)!;
    expect(dk.failed).toContain('-d 172.18.0.2/32 ≠ 172.18.0.3');
  });

  it('container → container on different networks: DROP by isolation', () => {
    const r = both(text, fwd({ inIface: 'br-a', outIface: 'br-b', src: '172.18.0.2', dst: '172.19.0.2' }), host);
    expect(r.verdict).toBe('DROP');
    expect(r.decidedBy).toMatchObject({ chain: 'DOCKER-ISOLATION-STAGE-2', index: 2 });
    expect(r.reasons[0]!.code).toBe('FW_DOCKER_ISOLATION');
  });

  it('ICC disabled: DROP', () => {
    const r = both(text, fwd({ inIface: 'br-noicc', outIface: 'br-noicc', src: '172.20.0.2', dst: '172.20.0.3' }), host);
    expect(r.verdict).toBe('DROP');
    expect(r.reasons[0]!.code).toBe('FW_ICC_DISABLED');
  });

  it('internal network: egress DROP, inside ACCEPT', () => {
    const out = both(text, fwd({ inIface: 'br-int', outIface: 'eth0', src: '172.21.0.2', dst: '198.51.100.10', dport: 443 }), host);
    expect(out.verdict).toBe('DROP');
    expect(out.reasons[0]!.code).toBe('FW_INTERNAL_NETWORK');
    const inside = both(text, fwd({ inIface: 'br-int', outIface: 'br-int', src: '172.21.0.2', dst: '172.21.0.3' }), host);
    expect(inside.verdict).toBe('ACCEPT');
  });

  it('published port: DNAT in PREROUTING, then ACCEPT in DOCKER', () => {
    const r = both(text, fwd({ inIface: 'eth0', outIface: 'br-a', src: '198.51.100.20', dst: '203.0.113.10', dport: 8080 }), host);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.natSteps).toHaveLength(1);
    expect(r.natSteps[0]).toMatchObject({
      kind: 'DNAT',
      chain: 'DOCKER',
      before: { dst: '203.0.113.10', dport: 8080 },
      after: { dst: '172.18.0.2', dport: 80 },
    });
    expect(r.decidedBy).toMatchObject({ chain: 'DOCKER', index: 1 });
    expect(r.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    expect(r.path.find((s) => s.table === 'nat' && s.chain === 'DOCKER' && s.index === 5)!.packet).toMatchObject({ dst: '172.18.0.2', dport: 80 });
  });

  it('published port with the packet given as `input` and a route lookup: becomes forwarded', () => {
    const r = both(text, { ...fwd({ inIface: 'eth0', src: '198.51.100.20', dst: '203.0.113.10', dport: 8080 }), path: 'input' }, {
      ...host,
      route: (dst) => (dst === '172.18.0.2' ? { local: false, outIface: 'br-a' } : { local: true, outIface: null }),
    });
    expect(r.verdict).toBe('ACCEPT');
    expect(r.hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
  });

  it('unpublished container port from outside: FORWARD policy DROP', () => {
    const r = both(text, fwd({ inIface: 'eth0', outIface: 'br-a', src: '198.51.100.20', dst: '172.18.0.2', dport: 22 }), host);
    expect(r.verdict).toBe('DROP');
    expect(r.reasons[0]!.code).toBe('FW_CHAIN_POLICY_DROP');
    expect(r.decidedBy).toMatchObject({ chain: 'FORWARD', index: null, policy: true });
  });

  it('container egress is masqueraded to the out-interface address', () => {
    const r = both(text, fwd({ inIface: 'br-a', outIface: 'eth0', src: '172.18.0.2', dst: '198.51.100.10', dport: 443 }), host);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.natSteps[0]).toMatchObject({ kind: 'MASQUERADE', before: { src: '172.18.0.2' }, after: { src: '203.0.113.10' } });
    expect(r.finalPacket.src).toBe('203.0.113.10');
    const noAddr = both(text, fwd({ inIface: 'br-a', outIface: 'eth0', src: '172.18.0.2', dst: '198.51.100.10', dport: 443 }), { localAddresses: host.localAddresses });
    expect(noAddr.natSteps[0]!.note).toBe('masqueraded to the address of eth0');
  });

  it('established reply into a container: ACCEPT by conntrack, nat not traversed', () => {
    const r = both(text, fwd({ inIface: 'eth0', outIface: 'br-a', src: '198.51.100.10', dst: '172.18.0.2', sport: 443, dport: 40000, ctState: 'ESTABLISHED' }), host);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy).toMatchObject({ chain: 'FORWARD', index: 3 });
    expect(r.reasons.some((x) => x.code === 'FW_NAT_NOT_TRAVERSED')).toBe(true);
  });

  it('without host-local addresses the addrtype rule is undecidable → verdict names it', () => {
    const r = both(text, fwd({ inIface: 'eth0', outIface: 'br-a', src: '198.51.100.20', dst: '203.0.113.10', dport: 8080 }));
    expect(r.verdict).toBe('unknown');
    expect(r.reasons.some((x) => x.code === 'FW_LOCAL_ADDRESSES_UNKNOWN' && x.message.includes('nat/PREROUTING'))).toBe(true);
    expect(r.branches!.length).toBe(2);
    // Given the locality directly on the packet, it is decided.
    const r2 = both(text, fwd({ inIface: 'eth0', outIface: 'br-a', src: '198.51.100.20', dst: '203.0.113.10', dport: 8080, dstLocal: true }));
    expect(r2.verdict).toBe('ACCEPT');
  });
});

describe('Docker 28.0.0 layout (ipset)', () => {
  const text = fixture('docker-28.0.0.rules');
  const ipsetSave = fixture('docker-28.0.0.ipset');
  const host = { localAddresses: ['203.0.113.10'], ipsetSave };

  it('is recognised as 28.0.0', () => {
    expect(detectDockerDialect(parseIptablesSave(text)).dialect).toBe('docker-28.0.0');
  });

  it('published port: ACCEPT with the ipset captured', () => {
    const r = both(text, fwd({ inIface: 'eth0', outIface: 'bridge1', src: '198.51.100.20', dst: '203.0.113.10', dport: 8080 }), host);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.decidedBy).toMatchObject({ chain: 'DOCKER', index: 1 });
  });

  it('direct access to the container port from outside: dropped in raw PREROUTING', () => {
    const r = both(text, fwd({ inIface: 'eth0', outIface: 'bridge1', src: '198.51.100.20', dst: '192.0.2.2', dport: 80 }), host);
    expect(r.verdict).toBe('DROP');
    expect(r.decidedBy).toMatchObject({ table: 'raw', chain: 'PREROUTING', index: 1 });
    expect(r.reasons[0]!.code).toBe('FW_UNPUBLISHED_PORT');
  });

  it('without the ipset the verdict is unknown and names the missing set', () => {
    const r = both(text, fwd({ inIface: 'eth0', outIface: 'bridge1', src: '198.51.100.20', dst: '192.0.2.3', dport: 22 }), { localAddresses: ['203.0.113.10'] });
    expect(r.verdict).toBe('unknown');
    expect(r.reasons.some((x) => x.code === 'FW_IPSET_MISSING' && x.message.includes('docker-ext-bridges-v4'))).toBe(true);
    const r2 = both(text, fwd({ inIface: 'eth0', outIface: 'bridge1', src: '198.51.100.20', dst: '192.0.2.3', dport: 22 }), host);
    expect(r2.verdict).toBe('DROP');
    expect(r2.reasons[0]!.code).toBe('FW_UNPUBLISHED_PORT');
  });
});

describe('Docker 29 layout', () => {
  const text = fixture('docker-29.rules');
  const host = { localAddresses: ['203.0.113.10'] };

  it('is recognised as 29', () => {
    expect(detectDockerDialect(parseIptablesSave(text)).dialect).toBe('docker-29');
  });

  it('same network ACCEPT; ICC disabled DROP; cross-network to unpublished port DROP', () => {
    expect(both(text, fwd({ inIface: 'bridge1', outIface: 'bridge1', src: '192.0.2.2', dst: '192.0.2.3' }), host).verdict).toBe('ACCEPT');
    const noicc = both(text, fwd({ inIface: 'bridge2', outIface: 'bridge2', src: '198.51.100.2', dst: '198.51.100.3' }), host);
    expect(noicc.verdict).toBe('DROP');
    expect(noicc.reasons[0]!.code).toBe('FW_ICC_DISABLED');
    const cross = both(text, fwd({ inIface: 'bridge2', outIface: 'bridge1', src: '198.51.100.2', dst: '192.0.2.3' }), host);
    expect(cross.verdict).toBe('DROP');
    expect(cross.reasons[0]!.code).toBe('FW_UNPUBLISHED_PORT');
  });

  it('internal network egress: DROP by DOCKER-INTERNAL', () => {
    const r = both(text, fwd({ inIface: 'bridgeInt', outIface: 'eth0', src: '10.99.0.2', dst: '198.51.100.99' }), host);
    expect(r.verdict).toBe('DROP');
    expect(r.reasons[0]!.code).toBe('FW_INTERNAL_NETWORK');
  });

  it('published port: raw PREROUTING drop does not fire for the host address; DNAT then ACCEPT', () => {
    const r = both(text, fwd({ inIface: 'eth0', outIface: 'bridge1', src: '198.51.100.20', dst: '203.0.113.10', dport: 8080 }), host);
    expect(r.verdict).toBe('ACCEPT');
    expect(r.natSteps[0]!.after).toMatchObject({ dst: '192.0.2.2', dport: 80 });
    const direct = both(text, fwd({ inIface: 'eth0', outIface: 'bridge1', src: '198.51.100.20', dst: '192.0.2.2', dport: 80 }), host);
    expect(direct.verdict).toBe('DROP');
    expect(direct.reasons[0]!.code).toBe('FW_UNPUBLISHED_PORT');
  });

  it('a DOCKER-USER drop decides first', () => {
    const t2 = text.replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -s 198.51.100.20/32 -j DROP\n-A DOCKER-USER -j RETURN');
    const r = both(t2, fwd({ inIface: 'eth0', outIface: 'bridge1', src: '198.51.100.20', dst: '203.0.113.10', dport: 8080 }), host);
    expect(r.verdict).toBe('DROP');
    expect(r.reasons[0]!.code).toBe('FW_DOCKER_USER_DROP');
  });
});

describe('ufw host: published ports bypass INPUT', () => {
  const text = fixture('ufw-docker.rules');
  const host = { localAddresses: ['203.0.113.10'] };
  it('INPUT to the host port 8080 is dropped, but the published port is forwarded and accepted', () => {
    const inp = both(text, { ...fwd({ inIface: 'eth0', src: '198.51.100.77', dst: '203.0.113.10', dport: 9090 }), path: 'input' }, host);
    expect(inp.verdict).toBe('DROP');
    expect(inp.reasons[0]!.code).toBe('FW_CHAIN_POLICY_DROP');
    // The LOG rule's `-m limit` cannot be decided but does not change the verdict.
    expect(inp.path.find((s) => s.rule.includes('limit'))!.matched).toBe('unknown');
    const pub = both(text, { ...fwd({ inIface: 'eth0', src: '192.0.2.77', dst: '203.0.113.10', dport: 8080 }), path: 'input' }, {
      ...host,
      route: (d) => (d === '172.18.0.2' ? { local: false, outIface: 'br-a' } : { local: true, outIface: null }),
    });
    expect(pub.verdict).toBe('ACCEPT');
    expect(pub.hooks).toContain('FORWARD');
    const ssh = both(text, { ...fwd({ inIface: 'eth0', src: '192.0.2.77', dst: '203.0.113.10', dport: 22 }), path: 'input' }, host);
    expect(ssh.verdict).toBe('ACCEPT');
    expect(ssh.decidedBy).toMatchObject({ chain: 'ufw-user-input', index: 1 });
  });
});
