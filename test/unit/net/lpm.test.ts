import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { containsAddr, containsPrefix, formatAddr, formatPrefix, overlaps, parseAddr, parsePrefix } from '../../../src/net/addr.js';
import { LpmTable } from '../../../src/net/lpm.js';

describe('address math', () => {
  it('parses and normalizes prefixes (host bits cleared), v4 and v6', () => {
    expect(formatPrefix(parsePrefix('10.1.2.3/8')!)).toBe('10.0.0.0/8');
    expect(formatPrefix(parsePrefix('fd21:ee75:f000:1::5/48')!)).toBe('fd21:ee75:f000::/48');
    expect(formatPrefix(parsePrefix('10.0.0.1')!)).toBe('10.0.0.1/32');
    expect(formatPrefix(parsePrefix('::1')!)).toBe('::1/128');
    expect(parsePrefix('10.0.0.0/33')).toBeNull();
    expect(parsePrefix('10.0.0.256/8')).toBeNull();
    expect(parsePrefix('010.0.0.1/8')).toBeNull();
    expect(parsePrefix('1::2::3/64')).toBeNull();
    expect(parsePrefix('fe80::1%eth0')).toBeNull();
    expect(parseAddr('garbage')).toBeNull();
  });
  it('formats IPv6 per RFC 5952', () => {
    expect(formatAddr(parseAddr('FD21:EE75:0:0:0:0:0:1')!)).toBe('fd21:ee75::1');
    expect(formatAddr(parseAddr('1:0:0:2:0:0:0:3')!)).toBe('1:0:0:2::3');
    expect(formatAddr(parseAddr('::')!)).toBe('::');
    expect(formatAddr(parseAddr('1:2:3:4:5:6:7:8')!)).toBe('1:2:3:4:5:6:7:8');
    expect(formatAddr(parseAddr('1:0:2:3:4:5:6:7')!)).toBe('1:0:2:3:4:5:6:7');
  });
  it('contains and overlaps', () => {
    const a = parsePrefix('10.0.0.0/8')!;
    const b = parsePrefix('10.5.0.0/16')!;
    const c = parsePrefix('11.0.0.0/8')!;
    expect(containsPrefix(a, b)).toBe(true);
    expect(containsPrefix(b, a)).toBe(false);
    expect(overlaps(a, b) && overlaps(b, a)).toBe(true);
    expect(overlaps(a, c)).toBe(false);
    expect(containsAddr(a, parseAddr('10.255.0.1')!)).toBe(true);
    expect(containsAddr(a, parseAddr('::1')!)).toBe(false);
    expect(overlaps(parsePrefix('fd00::/8')!, parsePrefix('fd21::/16')!)).toBe(true);
  });
});

describe('LpmTable', () => {
  it('finds the longest match and backtracks through shorter ones', () => {
    const t = new LpmTable<string>('ipv4');
    t.insert('0.0.0.0/0', 'default');
    t.insert('10.0.0.0/8', 'ten');
    t.insert('10.1.0.0/16', 'ten-one');
    expect(t.lookup(parseAddr('10.1.2.3')!)?.values).toEqual(['ten-one']);
    expect(t.lookup(parseAddr('10.2.2.3')!)?.values).toEqual(['ten']);
    expect([...t.matches(parseAddr('10.1.2.3')!)].map((m) => m.length)).toEqual([16, 8, 0]);
    expect(t.lookup(parseAddr('::1')!)).toBeNull();
  });
  it('IPv6', () => {
    const t = new LpmTable<string>('ipv6');
    t.insert('::/0', 'default');
    t.insert('fd21:ee75::/32', 'pool');
    t.insert('fd21:ee75:f000::/48', 'mine');
    t.insert('fd21:ee75:f000::1/128', 'host');
    expect(t.lookup(parseAddr('fd21:ee75:f000::1')!)?.values).toEqual(['host']);
    expect(t.lookup(parseAddr('fd21:ee75:f000::2')!)?.values).toEqual(['mine']);
    expect(t.lookup(parseAddr('fd21:ee75:1::2')!)?.values).toEqual(['pool']);
    expect(t.lookup(parseAddr('2001:db8::1')!)?.values).toEqual(['default']);
  });

  const naive = (prefixes: string[], addr: string): number | null => {
    const a = parseAddr(addr)!;
    let best: number | null = null;
    for (const p of prefixes) {
      const q = parsePrefix(p)!;
      if (containsAddr(q, a) && (best === null || q.length > best)) best = q.length;
    }
    return best;
  };

  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`agrees with a linear scan on random ${family} prefixes (fast-check)`, () => {
      const bits = family === 'ipv4' ? 32 : 128;
      // Addresses drawn near each other so prefixes actually nest.
      const addr = fc.bigInt({ min: 0n, max: (1n << 12n) - 1n }).map((low) => {
        const base = family === 'ipv4' ? 0x0ad78000n : 0xfd21ee75f000n << 80n;
        return formatAddr({ family, value: base | (low << BigInt(bits - 12 > 20 ? bits - 40 : 0)) | low });
      });
      const prefix = fc.tuple(addr, fc.integer({ min: 0, max: bits })).map(([a, l]) => formatPrefix(parsePrefix(`${a}/${l}`)!));
      fc.assert(
        fc.property(fc.array(prefix, { maxLength: 40 }), fc.array(addr, { minLength: 1, maxLength: 20 }), (prefixes, addrs) => {
          const t = new LpmTable<string>(family);
          for (const p of prefixes) t.insert(p, p);
          for (const a of addrs) {
            const got = t.lookup(parseAddr(a)!);
            expect(got?.length ?? null).toBe(naive(prefixes, a));
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});
