import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSsListenerSockets, parseSsListeners } from '../../../src/sources/host/parse-ss.js';
import { HostParseError } from '../../../src/sources/host/parse-util.js';
import { fixture } from './fixtures.js';

describe('parseSsListeners (captured: sockets bound every way in a netns)', () => {
  const ls = parseSsListeners(fixture('netns-peer/ss-listen.txt'));
  const find = (protocol: string, port: number) => ls.filter((l) => l.protocol === protocol && l.port === port);

  it('reads IPv4 and IPv6 wildcards and owners', () => {
    expect(find('tcp', 8080)).toEqual([
      { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 8080, process: { name: 'python3', pid: expect.any(Number) } },
      { protocol: 'tcp', family: 'ipv6', address: '::', port: 8080, process: { name: 'python3', pid: expect.any(Number) } },
    ]);
    expect(find('udp', 5353)).toMatchObject([{ family: 'ipv4', address: '0.0.0.0' }]);
  });

  it('claims both families for a dual-stack "*" socket', () => {
    expect(find('tcp', 8082).map((l) => [l.family, l.address])).toEqual([
      ['ipv4', '0.0.0.0'],
      ['ipv6', '::'],
    ]);
  });

  it('treats a v4-mapped bind as the IPv4 address it is', () => {
    expect(find('tcp', 9000)).toMatchObject([{ family: 'ipv4', address: '127.0.0.1' }]);
  });

  it('strips %iface device bindings', () => {
    expect(find('tcp', 53)).toMatchObject([{ family: 'ipv4', address: '127.0.0.53' }]);
    expect(find('udp', 53)).toMatchObject([{ family: 'ipv4', address: '127.0.0.53' }]);
    expect(find('udp', 68)).toMatchObject([{ family: 'ipv4', address: '0.0.0.0' }]);
    expect(find('tcp', 443)).toMatchObject([{ family: 'ipv6', address: 'fd98::2' }]);
  });

  it('reads loopback-only and embedded-DNS-style listeners', () => {
    expect(find('tcp', 5432)).toMatchObject([{ address: '127.0.0.1' }]);
    expect(find('tcp', 35000)).toMatchObject([{ address: '127.0.0.11' }]);
    expect(find('udp', 5354)).toMatchObject([{ family: 'ipv6', address: '::1' }]);
    expect(ls).toHaveLength(15);
  });

  it('skips the header line of output taken without -H', () => {
    expect(parseSsListeners(fixture('netns-peer/ss-listen-header.txt'))).toEqual(ls);
  });

  it('parses the live host capture', () => {
    expect(parseSsListeners(fixture('this-host/ss-listen.txt')).every((l) => l.port > 0)).toBe(true);
  });
});

describe('parseSsListeners edge cases', () => {
  it('reads users with several owners, names with spaces, and no owner', () => {
    const text = [
      'tcp   LISTEN 0      4096         0.0.0.0:8080      0.0.0.0:*    users:(("docker-proxy",pid=2211,fd=4))',
      'tcp   LISTEN 0      4096       127.0.0.1:5000      0.0.0.0:*    users:(("Web Content",pid=9,fd=3),("other",pid=10,fd=3))',
      'udp   UNCONN 0      0          [fe80::1]%eth0:123     [::]:*',
      'tcp   ESTAB  0      0          10.0.0.1:22       10.0.0.2:5555',
      'raw   UNCONN 0      0          0.0.0.0:1           0.0.0.0:*',
      '',
    ].join('\n');
    expect(parseSsListeners(text)).toEqual([
      { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 8080, process: { name: 'docker-proxy', pid: 2211 } },
      { protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 5000, process: { name: 'Web Content', pid: 9 } },
      { protocol: 'udp', family: 'ipv6', address: 'fe80::1', port: 123, process: null },
    ]);
  });

  it('reads socket inodes of `ss -e` (with or without -p), and the same listeners as before', () => {
    const text = [
      // as iproute2 6.1 prints `ss -H -ltun -e`
      'udp UNCONN 0      0              *:7792       *:* ino:637566 sk:179 cgroup:/ v6only:0 <->',
      'tcp LISTEN 0      128    127.0.0.1:7791 0.0.0.0:* uid:1000 ino:637565 sk:17a cgroup:/docker/abc <->         ',
      // -p and -e together: the owner from users:, the inode after it (a name that looks like one is ignored)
      'tcp LISTEN 0      128    127.0.0.1:7793 0.0.0.0:* users:(("ino:1",pid=4022,fd=3)) ino:637567 sk:17b cgroup:/ <->',
      // ino:0 (no inode) and none at all
      'tcp LISTEN 0      128    127.0.0.1:7794 0.0.0.0:* ino:0 sk:1 <->',
      'tcp LISTEN 0      128    127.0.0.1:7795 0.0.0.0:*',
    ].join('\n');
    expect(parseSsListenerSockets(text).map((s) => [s.listener.port, s.listener.family, s.inode, s.listener.process])).toEqual([
      [7792, 'ipv4', 637566, null],
      [7792, 'ipv6', 637566, null],
      [7791, 'ipv4', 637565, null],
      [7793, 'ipv4', 637567, { name: 'ino:1', pid: 4022 }],
      [7794, 'ipv4', null, null],
      [7795, 'ipv4', null, null],
    ]);
    expect(parseSsListeners(text)).toEqual(parseSsListenerSockets(text).map((s) => s.listener));
    // The -p form parses exactly as before.
    const withP = fixture('netns-peer/ss-listen.txt');
    expect(parseSsListenerSockets(withP).every((s) => s.inode === null && s.listener.process !== null)).toBe(true);
  });

  it('accepts output without the Netid column when told the protocol', () => {
    const text = 'LISTEN 0      128    [::]:22 [::]:*\n';
    expect(parseSsListeners(text, 'tcp')).toEqual([{ protocol: 'tcp', family: 'ipv6', address: '::', port: 22, process: null }]);
    expect(() => parseSsListeners(text)).toThrow(/no Netid column/);
  });

  it('rejects malformed lines with a clear error', () => {
    expect(() => parseSsListeners('garbage')).toThrow(/ss: line 1 is not in the expected format/);
    expect(() => parseSsListeners('tcp LISTEN 0 1 nothost:80 0.0.0.0:*')).toThrow(/"nothost" is not an IP address/);
    expect(() => parseSsListeners('tcp LISTEN 0 1 0.0.0.0:http 0.0.0.0:*')).toThrow(/"http" .* is not a port number/);
    expect(() => parseSsListeners('tcp LISTEN 0 1 0.0.0.0:70000 0.0.0.0:*')).toThrow(/not a port number/);
  });

  it('never throws anything but HostParseError (property)', () => {
    const token = fc.oneof(fc.constantFrom('tcp', 'udp', 'LISTEN', 'UNCONN', '0', '[::]:80', '*:*', '%lo', 'users:(("a",pid=1,fd=2))'), fc.string());
    fc.assert(
      fc.property(fc.array(fc.array(token, { maxLength: 8 }).map((t) => t.join(' '))), (lines) => {
        try {
          for (const l of parseSsListeners(lines.join('\n'))) expect(l.port).toBeLessThanOrEqual(65535);
        } catch (err) {
          expect(err).toBeInstanceOf(HostParseError);
        }
      }),
    );
  });
});
