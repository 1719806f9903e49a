// The one address module (src/net/addr.ts) against independent oracles: Node's net.isIP for what
// is an address, Node's BlockList for loopback and link-local, the WHATWG URL serializer for the
// RFC 5952 text, and ip-num for the numeric value. The tests may import node:net; src/net may not.
//
// Decisions pinned here:
// - Leading zeros in an IPv4 octet (`01.2.3.4`, also in an IPv6 tail) are rejected, as Go's net/netip
//   (so Docker) and Node's net.isIP do; `010` means 8 to inet_aton and 10 to others.
// - A zone (`fe80::1%eth0`) is not an address here (net.isIP accepts it): familyOf and parseAddr
//   say null, canonicalAddr returns the text unchanged, isLoopback/isLinkLocal say false.

import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bigintToWords,
  canonicalAddr,
  familyOf,
  isLinkLocal,
  isLoopback,
  isUnspecified,
  isValidCidr,
  parseAddr,
  parseIPv6Words,
  parsePrefix,
  unmap,
  wordsToBigint,
} from '../../../src/net/addr.js';
import { formatAddr as formatWords, familyOf as firewallFamilyOf, parseAddr as parseWords } from '../../../src/firewall/addr.js';

const ipnum = createRequire(import.meta.url)('ip-num') as typeof import('ip-num');

const RUNS = 1000;
const nodeFamily = (s: string): 'ipv4' | 'ipv6' | null => ({ 4: 'ipv4', 6: 'ipv6' })[isIP(s)] as 'ipv4' | 'ipv6' | null ?? null;

// ---- generators -------------------------------------------------------------------------------

const octet = fc.integer({ min: 0, max: 255 });
const v4Octets = fc.tuple(octet, octet, octet, octet);
const dotted = (o: number[]): string => o.join('.');

/** A 16-bit group, zero often enough to give runs worth compressing. */
const group = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xff }) });
const groups8 = fc.array(group, { minLength: 8, maxLength: 8 });
const valueOf = (g: number[]): bigint => g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);

/** Every zero run (start, length ≥ 1): `::` may replace any of them (RFC 4291), not only the longest. */
function zeroRuns(g: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < 8; i++) for (let j = i; j < 8 && g[j] === 0; j++) out.push([i, j - i + 1]);
  return out;
}

interface Spelling {
  text: string;
  groups: number[];
}

interface SpellOptions {
  pad: boolean;
  upper: boolean[];
  runPick: number;
  compress: boolean;
  v4tail: boolean;
}
const spellOptions: fc.Arbitrary<SpellOptions> = fc.record({
  pad: fc.boolean(),
  upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  runPick: fc.nat(),
  compress: fc.boolean(),
  v4tail: fc.boolean(),
});

/** Spells the address of eight groups in one valid textual form. */
function spell(g: number[], o: SpellOptions): string {
  const hex = g.map((x, i) => {
    const h = o.pad ? x.toString(16).padStart(4, '0') : x.toString(16);
    return o.upper[i] ? h.toUpperCase() : h;
  });
  const parts = o.v4tail ? [...hex.slice(0, 6), dotted([g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255])] : hex;
  // `::` may replace any run of zero groups (RFC 4291), not only the longest; with a dotted tail,
  // only a run in the six hex groups.
  const runs = zeroRuns(g).filter(([st, l]) => !o.v4tail || st + l <= 6);
  if (!o.compress || runs.length === 0) return parts.join(':');
  const [st, l] = runs[o.runPick % runs.length]!;
  return `${parts.slice(0, st).join(':')}::${parts.slice(st + l).join(':')}`;
}

/** One IPv6 address in one of its valid textual forms; a third of them IPv4-mapped. */
const v6Spelling: fc.Arbitrary<Spelling> = fc
  .tuple(groups8, spellOptions, fc.nat({ max: 2 }))
  .map(([g0, o, k]) => {
    const g = k === 0 ? [0, 0, 0, 0, 0, 0xffff, g0[6]!, g0[7]!] : g0;
    return { text: spell(g, o), groups: g };
  });

const v4Spelling = v4Octets.map((o) => ({ text: dotted(o), value: BigInt(((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!) }));

/** Text near addresses: valid spellings mutated, and short strings over the addresses' alphabet. */
const ALPHABET = '0123456789abcdefABCDEF:.%/[] gx-'.split('');
const mutate = (s: string) =>
  fc.tuple(fc.nat({ max: Math.max(0, s.length) }), fc.constantFrom(...ALPHABET), fc.constantFrom('insert', 'delete', 'replace', 'dup')).map(([i, c, op]) => {
    if (op === 'insert') return s.slice(0, i) + c + s.slice(i);
    if (op === 'delete') return s.slice(0, i) + s.slice(i + 1);
    if (op === 'dup') return s.slice(0, i) + s.slice(i, i + 3) + s.slice(i);
    return s.slice(0, i) + c + s.slice(i + 1);
  });
const nearAddress = fc.oneof(
  v6Spelling.chain((sp) => mutate(sp.text)),
  v4Spelling.chain((sp) => mutate(sp.text)),
  fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 46 }),
  // Leading zeros in an octet, alone and as an IPv6 tail.
  fc.tuple(v4Octets, fc.nat({ max: 3 })).map(([o, k]) => o.map((x, i) => (i === k ? `0${x}` : String(x))).join('.')),
  fc.tuple(v4Octets, fc.nat({ max: 3 })).map(([o, k]) => `::ffff:${o.map((x, i) => (i === k ? `0${x}` : String(x))).join('.')}`),
);
const anyText = fc.oneof(nearAddress, v6Spelling.map((s) => s.text), v4Spelling.map((s) => s.text), fc.string({ maxLength: 50 }));

// ---- properties -------------------------------------------------------------------------------

describe('familyOf agrees with node:net isIP', () => {
  it('on valid spellings of every form (compressed, padded, mixed case, IPv4 tail, ::ffff:a.b.c.d)', () => {
    fc.assert(
      fc.property(v6Spelling, (sp) => {
        expect(isIP(sp.text), sp.text).toBe(6);
        expect(familyOf(sp.text), sp.text).toBe('ipv6');
      }),
      { numRuns: RUNS },
    );
    fc.assert(fc.property(v4Spelling, (sp) => familyOf(sp.text) === 'ipv4' && isIP(sp.text) === 4), { numRuns: RUNS });
  });
  it('on text near addresses and on arbitrary text (a zone is not an address here)', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const want = s.includes('%') ? null : nodeFamily(s);
        expect(familyOf(s), JSON.stringify(s)).toBe(want);
        expect(parseAddr(s)?.family ?? null, JSON.stringify(s)).toBe(want);
        expect(firewallFamilyOf(s)).toBe(want);
      }),
      { numRuns: RUNS * 5 },
    );
  });
  it('rejects leading zeros in IPv4 octets, like net.isIP and Docker (Go netip)', () => {
    for (const s of ['01.2.3.4', '1.2.3.04', '00.0.0.0', '1.02.3.4', '::ffff:01.2.3.4', '1:2:3:4:5:6:1.2.3.010']) {
      expect(isIP(s), s).toBe(0);
      expect(familyOf(s), s).toBeNull();
      expect(parseAddr(s), s).toBeNull();
    }
    expect(familyOf('0.0.0.0')).toBe('ipv4');
    expect(familyOf('10.0.0.100')).toBe('ipv4');
  });
  it('knows the edges of `::` and the IPv4 tail', () => {
    const cases: Array<[string, 'ipv6' | null]> = [
      ['::', 'ipv6'],
      ['1::', 'ipv6'],
      ['::1', 'ipv6'],
      ['1:2:3:4:5:6:7::', 'ipv6'],
      ['::2:3:4:5:6:7:8', 'ipv6'],
      ['1:2:3:4:5:6:7::8', null], // `::` must stand for at least one group
      ['1:2:3:4:5:6::1.2.3.4', null],
      ['1:2:3:4:5::1.2.3.4', 'ipv6'],
      ['1:2:3:4:5:6:1.2.3.4', 'ipv6'],
      ['1:2:3:4:5:6:7:1.2.3.4', null],
      ['::1.2.3.4', 'ipv6'],
      ['1.2.3.4::', null],
      ['1::1.2.3.4:5', null],
      [':::', null],
      [':1::2', null],
      ['1::2:', null],
      ['1::2::3', null],
      ['00000::1', null],
      ['0000::1', 'ipv6'],
      ['1:2:3:4:5:6:7:8:9', null],
      ['[::1]', null],
      [' ::1', null],
      ['::1 ', null],
      ['::ffff:1.2.3', null],
    ];
    for (const [s, want] of cases) {
      expect(familyOf(s), s).toBe(want);
      expect(nodeFamily(s), `node: ${s}`).toBe(want);
    }
  });
});

describe('zones', () => {
  it('are not addresses: null family, no value, canonical text unchanged, not loopback', () => {
    for (const s of ['fe80::1%eth0', '::1%lo', 'fe80::1%1', '::1%']) {
      expect(familyOf(s), s).toBeNull();
      expect(parseAddr(s), s).toBeNull();
      expect(parseIPv6Words(s), s).toBeNull();
      expect(canonicalAddr(s), s).toBe(s);
      expect(isLoopback(s), s).toBe(false);
      expect(isLinkLocal(s), s).toBe(false);
      expect(parsePrefix(`${s}/64`), s).toBeNull();
    }
  });
});

describe('values', () => {
  it('IPv6 text parses to the value of its groups, and ip-num agrees', () => {
    fc.assert(
      fc.property(v6Spelling, (sp) => {
        const want = valueOf(sp.groups);
        expect(parseAddr(sp.text)?.value, sp.text).toBe(want);
        expect(ipnum.IPv6.fromString(sp.text).getValue(), `ip-num: ${sp.text}`).toBe(want);
      }),
      { numRuns: RUNS },
    );
  });
  it('the firewall word form equals the bigint form, and both reject the same text', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const a = parseAddr(s);
        const w6 = parseWords(s, 'ipv6');
        const w4 = parseWords(s, 'ipv4');
        expect(w6 === null ? null : wordsToBigint(w6), s).toBe(a?.family === 'ipv6' ? a.value : null);
        expect(w4 === null ? null : BigInt(w4[0]!), s).toBe(a?.family === 'ipv4' ? a.value : null);
        if (a?.family === 'ipv6') {
          expect(bigintToWords(a.value)).toEqual(w6);
          expect(formatWords(w6!, 'ipv6')).toBe(canonicalAddr(s));
        }
        if (a?.family === 'ipv4') expect(formatWords(w4!, 'ipv4')).toBe(canonicalAddr(s));
        for (const w of [w4, w6]) for (const x of w ?? []) expect(Number.isInteger(x) && x >= 0 && x <= 0xffffffff).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('canonicalAddr', () => {
  it('is RFC 5952 text: the WHATWG URL serializer agrees, except IPv4-mapped, which is ::ffff:a.b.c.d', () => {
    fc.assert(
      fc.property(v6Spelling, (sp) => {
        const c = canonicalAddr(sp.text);
        const v = valueOf(sp.groups);
        if (v >> 32n === 0xffffn) {
          expect(c).toBe(`::ffff:${[24n, 16n, 8n, 0n].map((k) => (v >> k) & 255n).join('.')}`);
        } else {
          expect(c, sp.text).toBe(new URL(`http://[${sp.text}]/`).hostname.slice(1, -1));
        }
      }),
      { numRuns: RUNS },
    );
  });
  it('is idempotent, and equal exactly for equal addresses', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        const ca = canonicalAddr(a);
        expect(canonicalAddr(ca)).toBe(ca);
        const pa = parseAddr(a);
        const pb = parseAddr(b);
        if (pa && pb) expect(ca === canonicalAddr(b)).toBe(pa.family === pb.family && pa.value === pb.value);
        if (!pa) expect(ca).toBe(a);
        else expect(parseAddr(ca)).toEqual(pa);
      }),
      { numRuns: RUNS * 2 },
    );
  });
  it('maps every spelling of one address to one text', () => {
    fc.assert(
      fc.property(groups8, fc.array(spellOptions, { minLength: 2, maxLength: 5 }), (g, opts) => {
        const texts = opts.map((o) => spell(g, o));
        for (const t of texts) expect(parseAddr(t)?.value, t).toBe(valueOf(g));
        expect(new Set(texts.map(canonicalAddr)).size, texts.join(' ')).toBe(1);
      }),
      { numRuns: RUNS / 2 },
    );
    expect(canonicalAddr('FD21:EE75:0:0:0:0:0:1')).toBe('fd21:ee75::1');
    expect(canonicalAddr('2001:0db8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(canonicalAddr('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalAddr('0:0:0:0:0:FFFF:7F00:1')).toBe('::ffff:127.0.0.1');
    expect(canonicalAddr('::1.2.3.4')).toBe('::102:304');
    expect(canonicalAddr('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalAddr('db')).toBe('db');
    expect(canonicalAddr('')).toBe('');
  });
});

describe('classification', () => {
  const loop = new BlockList();
  loop.addSubnet('127.0.0.0', 8, 'ipv4');
  loop.addAddress('::1', 'ipv6');
  const link = new BlockList();
  link.addSubnet('169.254.0.0', 16, 'ipv4');
  link.addSubnet('fe80::', 10, 'ipv6');
  // BlockList checks an IPv4-mapped address against the IPv4 rules too, as isLoopback/isLinkLocal do.
  const special = fc.oneof(
    v4Octets.map(([, b, c, d]) => `127.${b}.${c}.${d}`),
    v4Octets.map(([, , c, d]) => `169.254.${c}.${d}`),
    v4Octets.map(([, b, c, d]) => `::ffff:127.${b}.${c}.${d}`),
    v4Octets.map(([, , c, d]) => `::FFFF:169.254.${c}.${d}`),
    fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), groups8).map(([h, g]) => [h, ...g.slice(1)].map((x) => x.toString(16)).join(':')),
    fc.constantFrom('::1', '0:0:0:0:0:0:0:1', '::0:1', '::2', '::', '0.0.0.0', 'fec0::1', '169.253.255.255', '126.255.255.255', '128.0.0.0'),
  );
  it('isLoopback and isLinkLocal agree with node:net BlockList', () => {
    fc.assert(
      fc.property(fc.oneof(special, anyText), (s) => {
        const f = familyOf(s);
        expect(isLoopback(s), s).toBe(f !== null && loop.check(s, f));
        expect(isLinkLocal(s), s).toBe(f !== null && link.check(s, f));
      }),
      { numRuns: RUNS * 2 },
    );
  });
  it('isUnspecified is 0.0.0.0 and :: in any spelling, not ::ffff:0.0.0.0 (as Go netip)', () => {
    for (const s of ['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '0::0', '::0.0.0.0']) expect(isUnspecified(s), s).toBe(true);
    for (const s of ['::ffff:0.0.0.0', '::1', '0.0.0.1', '', 'any', '::%eth0']) expect(isUnspecified(s), s).toBe(false);
  });
  it('unmap turns ::ffff:a.b.c.d into the IPv4 address and leaves the rest', () => {
    expect(unmap(parseAddr('::ffff:10.1.2.3')!)).toEqual(parseAddr('10.1.2.3'));
    const v6 = parseAddr('::102:304')!;
    expect(unmap(v6)).toBe(v6);
  });
});

describe('prefixes', () => {
  it('parsePrefix takes the same address text as parseAddr', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 128 }), (s, len) => {
        const a = parseAddr(s);
        const p = parsePrefix(`${s}/${len}`);
        expect(p !== null, s).toBe(a !== null && len <= (a.family === 'ipv4' ? 32 : 128));
        expect(isValidCidr(`${s}/${len}`)).toBe(p !== null);
      }),
      { numRuns: RUNS },
    );
    expect(isValidCidr('10.0.0.0')).toBe(false);
    expect(isValidCidr('fd00::/8')).toBe(true);
    expect(isValidCidr('fd00::%eth0/8')).toBe(false);
  });
});
