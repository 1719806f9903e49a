import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIpRules } from '../../../src/sources/host/parse-rule.js';
import { HostParseError } from '../../../src/sources/host/parse-util.js';
import { fixture } from './fixtures.js';

const base = { invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, table: null, target: null, suppressPrefixLength: null };

describe('parseIpRules (captured, IPv4)', () => {
  const warnings: string[] = [];
  const rules = parseIpRules(fixture('netns-rich/ip-rule-4.json'), 'ipv4', warnings);
  const at = (p: number) => rules.find((r) => r.priority === p);

  it('keeps dump order and the default rules', () => {
    expect(rules.map((r) => r.priority)).toEqual([0, 100, 110, 120, 130, 140, 141, 142, 150, 200, 210, 32766, 32767]);
    expect(at(0)).toEqual({ ...base, family: 'ipv4', priority: 0, action: 'lookup', table: 'local' });
    expect(at(32767)).toMatchObject({ action: 'lookup', table: 'default' });
    expect(warnings).toEqual([]);
  });

  it('reads from/to prefixes, not and fwmark/mask', () => {
    expect(at(100)).toMatchObject({ from: '10.98.0.0/24', table: '100' });
    expect(at(110)).toMatchObject({ invert: true, from: null, to: '10.0.0.0/8', fwmark: '0x1/0xff', table: '200' });
    expect(at(210)).toMatchObject({ fwmark: '0x10', table: '100' });
  });

  it('reads goto, iif/oif, nop and the terminal actions', () => {
    expect(at(120)).toMatchObject({ action: 'goto', target: 200, iif: 'br0', table: null });
    expect(at(130)).toMatchObject({ action: 'lookup', oif: 'up0', table: '1234' });
    expect(at(140)).toMatchObject({ action: 'unreachable', from: '10.97.0.0/16' });
    expect(at(141)).toMatchObject({ action: 'prohibit' });
    expect(at(142)).toMatchObject({ action: 'blackhole' });
    expect(at(150)).toMatchObject({ action: 'nop', table: null });
  });

  it('reads suppress_prefixlength', () => {
    expect(at(200)).toMatchObject({ action: 'lookup', table: 'main', suppressPrefixLength: 0 });
  });
});

describe('parseIpRules (captured, IPv6)', () => {
  const rules = parseIpRules(fixture('netns-rich/ip-rule-6.json'), 'ipv6');
  it('reads IPv6 selectors, not + suppress and goto', () => {
    expect(rules.find((r) => r.priority === 100)).toMatchObject({ family: 'ipv6', from: 'fd98::/64', table: '100' });
    expect(rules.find((r) => r.priority === 110)).toMatchObject({
      invert: true, from: 'fd97::/64', to: 'fd96::/64', table: 'main', suppressPrefixLength: 0,
    });
    expect(rules.find((r) => r.priority === 120)).toMatchObject({ action: 'goto', target: 32766 });
  });

  it('parses the live host capture', () => {
    expect(parseIpRules(fixture('this-host/ip-rule-4.json'), 'ipv4').map((r) => r.table)).toContain('main');
    expect(parseIpRules(fixture('this-host/ip-rule-6.json'), 'ipv6').length).toBeGreaterThan(0);
  });
});

describe('parseIpRules edge cases', () => {
  it('handles host selectors without length, "action": "goto", numeric marks', () => {
    const [a, b] = parseIpRules(
      JSON.stringify([
        { priority: 5, src: '10.0.0.1', dst: '10.0.0.2', table: 7 },
        { priority: 6, src: 'all', action: 'goto', goto: 9, fwmark: 16, fwmask: 255 },
      ]),
      'ipv4',
    );
    expect(a).toMatchObject({ from: '10.0.0.1/32', to: '10.0.0.2/32', table: '7' });
    expect(b).toMatchObject({ action: 'goto', target: 9, fwmark: '0x10/0xff' });
    const [c] = parseIpRules('[{"priority":1,"src":"fd00::1","dst":"0","dstlen":0,"table":"main"}]', 'ipv6');
    expect(c).toMatchObject({ from: 'fd00::1/128', to: '::/0' });
  });

  it('warns about selectors the model cannot represent', () => {
    const w: string[] = [];
    parseIpRules('[{"priority":7,"src":"all","ipproto":"tcp","dport":80,"table":"100"}]', 'ipv4', w);
    expect(w).toEqual(['rule 7 has selectors the model does not represent: ipproto, dport']);
  });

  it('rejects malformed output with a clear error', () => {
    expect(() => parseIpRules('[{"src":"all"}]', 'ipv4')).toThrow('ip -4 -j rule show: rule 0 has no priority');
    expect(() => parseIpRules('[{"priority":1,"action":"tunnel"}]', 'ipv6')).toThrow(/rule 1 has unknown action "tunnel"/);
    expect(() => parseIpRules('<html>', 'ipv4')).toThrow(HostParseError);
  });

  it('never throws anything but HostParseError (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.constantFrom('priority', 'src', 'srclen', 'not', 'goto', 'action', 'fwmark', 'fwmask', 'table'), fc.jsonValue())), (arr) => {
        try {
          parseIpRules(JSON.stringify(arr), 'ipv6');
        } catch (err) {
          expect(err).toBeInstanceOf(HostParseError);
        }
      }),
    );
  });
});
