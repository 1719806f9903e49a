import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/net/ipv4.js';
import { formatAddr, parseAddr as parseWords } from '../../../src/firewall/addr.js';
import { parseAddr } from '../../../src/net/addr.js';

const octet = fc.integer({ min: 0, max: 255 });
/** Dotted text near IPv4 addresses: valid quads, and quads with one part bent out of shape. */
const nearQuad = fc.oneof(
  fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
  fc
    .tuple(fc.array(fc.oneof(octet.map(String), fc.constantFrom('', '0', '00', '01', '256', '999', '1a', '-1', ' 1', '4294967296')), { minLength: 1, maxLength: 6 }))
    .map(([parts]) => parts.join('.')),
  fc.string({ unit: fc.constantFrom(...'0123456789.'.split('')), maxLength: 20 }),
);

describe('parseIPv4 (the one dotted-quad parser)', () => {
  it('parses valid addresses and rejects malformed or ambiguous ones', () => {
    expect(parseIPv4('10.214.0.1')).toBe(0x0ad60001);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('0.0.0.0')).toBe(0);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '010.0.0.1', '1.2.3.a', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/32', '0x1.2.3.4', '::1']) {
      expect(parseIPv4(bad), bad).toBe(-1);
    }
  });
  it('accepts exactly what node:net isIP calls IPv4, with the value of its four octets', () => {
    fc.assert(
      fc.property(nearQuad, (s) => {
        const v = parseIPv4(s);
        expect(v >= 0, JSON.stringify(s)).toBe(isIP(s) === 4);
        if (v >= 0) expect(v).toBe(s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0));
      }),
      { numRuns: 2000 },
    );
  });
  it('gives the firewall word form and the route bigint form the same value, and prints back', () => {
    fc.assert(
      fc.property(nearQuad, (s) => {
        const v = parseIPv4(s);
        const w = parseWords(s, 'ipv4');
        const a = parseAddr(s);
        if (v < 0) {
          expect(w).toBeNull();
          expect(a).toBeNull();
        } else {
          expect(w).toEqual([v]);
          expect(a).toEqual({ family: 'ipv4', value: BigInt(v) });
          expect(formatAddr(w!, 'ipv4')).toBe(s);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
