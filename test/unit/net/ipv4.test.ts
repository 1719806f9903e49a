import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/net/ipv4.js';
import { parseIPv4 as firewallParseIPv4 } from '../../../src/firewall/addr.js';

describe('parseIPv4 (the one dotted-quad parser)', () => {
  it('parses valid addresses and rejects malformed or ambiguous ones', () => {
    expect(parseIPv4('10.214.0.1')).toBe(0x0ad60001);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('0.0.0.0')).toBe(0);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '010.0.0.1', '1.2.3.a', ' 1.2.3.4']) {
      expect(parseIPv4(bad), bad).toBe(-1);
    }
  });
  it('is the same function the firewall engine uses', () => {
    expect(firewallParseIPv4).toBe(parseIPv4);
  });
});
