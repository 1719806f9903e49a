import { describe, expect, it } from 'vitest';
import { reverseName } from '../../../src/dns/names.js';

describe('reverseName', () => {
  it('spells the in-addr.arpa / ip6.arpa name of any address spelling the address module accepts', () => {
    expect(reverseName('10.1.2.3')).toBe('3.2.1.10.in-addr.arpa');
    const v6 = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa';
    expect(reverseName('2001:db8::1')).toBe(v6);
    expect(reverseName('2001:0DB8:0:0:0:0:0:0001')).toBe(v6);
    expect(reverseName('::ffff:10.1.2.3')).toBe('3.0.2.0.1.0.a.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa');
  });
  it('is null for text that is not an address', () => {
    for (const s of ['010.1.2.3', '256.1.1.1', 'fe80::1%eth0', '1::2::3', 'db', '']) expect(reverseName(s), s).toBeNull();
  });
});
