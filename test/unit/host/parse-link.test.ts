import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseInterfaces, parseIpAddr } from '../../../src/sources/host/parse-link.js';
import { HostParseError } from '../../../src/sources/host/parse-util.js';
import { fixture } from './fixtures.js';

describe('parseInterfaces (captured: netns with bridges, veths, vxlan, macvlan)', () => {
  const ifs = parseInterfaces(fixture('netns-rich/ip-link.json'), fixture('netns-rich/ip-addr.json'));
  const byName = new Map(ifs.map((i) => [i.name, i]));

  it('lists every link with its kind', () => {
    expect(ifs.map((i) => [i.name, i.kind])).toEqual([
      ['lo', 'device'],
      ['up0', 'bridge'],
      ['br0', 'bridge'],
      ['vh0', 'veth'],
      ['vb', 'veth'],
      ['va', 'veth'],
      ['vx0', 'vxlan'],
      ['mv0', 'macvlan'],
    ]);
  });

  it('reads a bridge port: master, peer in another namespace, netns id', () => {
    expect(byName.get('vh0')).toMatchObject({
      index: 4,
      master: 'br0',
      peerIndex: 2,
      linkNetnsId: 0,
      mtu: 1500,
      operState: 'UP',
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    });
    expect(byName.get('vh0')!.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  });

  it('resolves a veth peer in the same namespace by name', () => {
    expect(byName.get('va')).toMatchObject({ index: 6, peerIndex: 5, linkNetnsId: null });
    expect(byName.get('vb')).toMatchObject({ index: 5, peerIndex: 6 });
  });

  it('does not take a macvlan lower device for a veth peer', () => {
    expect(byName.get('mv0')).toMatchObject({ kind: 'macvlan', peerIndex: null, operState: 'DOWN' });
  });

  it('joins addresses by ifindex with their prefix (local side of a point-to-point address)', () => {
    expect(byName.get('up0')!.addresses).toEqual([
      { family: 'ipv4', address: '10.99.0.1', prefixLength: 24 },
      { family: 'ipv4', address: '203.0.113.5', prefixLength: 32 },
      { family: 'ipv6', address: 'fd99::1', prefixLength: 64 },
      { family: 'ipv6', address: expect.stringMatching(/^fe80::/), prefixLength: 64 },
    ]);
    expect(byName.get('br0')).toMatchObject({ mtu: 1450 });
    expect(byName.get('lo')!.addresses).toEqual([
      { family: 'ipv4', address: '127.0.0.1', prefixLength: 8 },
      { family: 'ipv6', address: '::1', prefixLength: 128 },
    ]);
  });

  it('reads the container side of a veth (peer on the host, netns id 0)', () => {
    const peer = parseInterfaces(fixture('netns-peer/ip-link.json'), fixture('netns-peer/ip-addr.json'));
    expect(peer.find((i) => i.name === 'vc0')).toMatchObject({
      kind: 'veth',
      peerIndex: 4,
      linkNetnsId: 0,
      addresses: [
        { family: 'ipv4', address: '10.98.0.2', prefixLength: 24 },
        { family: 'ipv6', address: 'fd98::2', prefixLength: 64 },
        { family: 'ipv6', address: expect.stringMatching(/^fe80::/), prefixLength: 64 },
      ],
    });
  });

  it('parses the live host capture (docker0 bridge)', () => {
    const host = parseInterfaces(fixture('this-host/ip-link.json'), fixture('this-host/ip-addr.json'));
    expect(host.find((i) => i.name === 'lo')).toBeDefined();
    expect(host.find((i) => i.name === 'docker0')).toMatchObject({ kind: 'bridge' });
  });
});

describe('parseInterfaces edge cases', () => {
  it('works without the address dump', () => {
    const ifs = parseInterfaces('[{"ifindex":1,"ifname":"lo","flags":[],"mtu":65536,"operstate":"UNKNOWN","address":"00:00:00:00:00:00"}]', null);
    expect(ifs).toEqual([
      {
        name: 'lo', index: 1, kind: 'device', mtu: 65536, operState: 'UNKNOWN', flags: [], mac: '00:00:00:00:00:00',
        master: null, peerIndex: null, linkNetnsId: null, addresses: [],
      },
    ]);
  });

  it('keeps a non-MAC link address out of mac and resolves ifN peers', () => {
    const [tun, veth] = parseInterfaces(
      JSON.stringify([
        { ifindex: 9, ifname: 'ipip0', flags: [], mtu: 1480, operstate: 'UNKNOWN', address: '0.0.0.0', linkinfo: { info_kind: 'ipip' } },
        { ifindex: 10, ifname: 'veth1', link: 'if33', flags: [], operstate: 'UP', linkinfo: { info_kind: 'veth' } },
      ]),
      '[{"ifindex":10,"addr_info":[{}]}]',
    );
    expect(tun).toMatchObject({ kind: 'ipip', mac: null });
    expect(veth).toMatchObject({ peerIndex: 33, mtu: null, addresses: [] });
  });

  it('rejects malformed output with a clear error', () => {
    expect(() => parseInterfaces('not json', null)).toThrow(/ip -j -d link show: output is not valid JSON/);
    expect(() => parseInterfaces('{"ifname":"x"}', null)).toThrow(/expected a JSON array/);
    expect(() => parseInterfaces('[{"ifindex":1}]', null)).toThrow(/entry 0 has no ifname/);
    expect(() => parseIpAddr('[{"ifname":"x"}]')).toThrow(/ip -j addr show: entry 0 has no ifindex/);
    expect(() => parseInterfaces('[1]', null)).toThrow(HostParseError);
  });

  it('never throws anything but HostParseError (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        try {
          parseInterfaces(JSON.stringify([a].flat()), JSON.stringify([b].flat()));
        } catch (err) {
          expect(err).toBeInstanceOf(HostParseError);
        }
      }),
    );
  });
});
