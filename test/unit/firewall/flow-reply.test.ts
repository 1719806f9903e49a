// firewall-flow: ICMP echo built as a protocol of its own, and the reply of a connection derived
// from the request and its trace (replyFlow), on the bundled example (a real Docker 20.10 capture).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFlow, replyFlow, traceBuilt, traceFlow } from '../../../src/analysis/firewall-flow.js';
import { InputError } from '../../../src/cli/errors.js';
import type { Snapshot } from '../../../src/model/types.js';
import { EXAMPLE } from '../../support/cli.js';

const ex = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;

describe('ICMP flows', () => {
  it('an echo request: protocol icmp, type 8 code 0, no ports', () => {
    const b = buildFlow(ex, { from: 'shop-web-1', to: 'shop-cache-1', port: null, protocol: 'icmp' });
    expect(b.packet).toMatchObject({ protocol: 'icmp', icmpType: 8, icmpCode: 0, sport: null, dport: null, path: 'forward', src: '10.214.10.3', dst: '10.214.10.4' });
  });

  it('IPv6: ICMPv6 echo request (type 128)', () => {
    const b = buildFlow(ex, { from: 'host', to: 'host', port: null, protocol: 'icmp', family: 'ipv6' });
    expect(b.family).toBe('ipv6');
    expect(b.packet).toMatchObject({ protocol: 'icmpv6', icmpType: 128, icmpCode: 0, src: '::1', dst: '::1' });
  });

  it('is traced like any flow; a TCP/UDP trace still needs a valid port', () => {
    const t = traceFlow(ex, { from: 'shop-web-1', to: 'shop-cache-1', port: null, protocol: 'icmp' });
    expect(t.verdict).toBe('ACCEPT');
    expect(t.port).toBeNull();
    expect(() => traceFlow(ex, { from: 'shop-web-1', to: 'shop-cache-1', port: 0, protocol: 'tcp' })).toThrow(/port 0 is out of range \(1-65535\)/);
    expect(() => traceFlow(ex, { from: 'shop-web-1', to: 'shop-cache-1', port: null, protocol: 'tcp' })).toThrow(InputError);
  });
});

describe('replyFlow', () => {
  const request = (from: string, to: string, port: number | null, protocol: 'tcp' | 'udp' | 'icmp' = 'tcp') => {
    const built = buildFlow(ex, { from, to, port, protocol });
    if (built.packet && protocol !== 'icmp') built.packet.sport = 40000;
    return { built, trace: traceBuilt(ex, built, { from, to, port, protocol }) };
  };

  it('bridged: addresses, ports and interfaces swap; ESTABLISHED', () => {
    const { built, trace } = request('shop-web-1', 'shop-db-1', 5432);
    const r = replyFlow(ex, built, trace)!;
    expect(r.family).toBe('ipv4');
    expect(r.packet).toMatchObject({ src: '10.214.11.4', dst: '10.214.11.2', sport: 5432, dport: 40000, ctState: 'ESTABLISHED', path: 'forward', inIface: 'br-6ad83018d545', outIface: 'br-6ad83018d545', srcLocal: false, dstLocal: false, protocol: 'tcp' });
    expect(r.from).toBe(built.to);
    expect(r.to).toBe(built.from);
  });

  it('after DNAT: the reply comes from the container the request was sent to, in on its bridge', () => {
    const { built, trace } = request('198.51.100.7', 'host', 8080);
    expect(trace.finalPacket).toMatchObject({ dst: '10.214.10.2', dport: 80 });
    const r = replyFlow(ex, built, trace)!;
    expect(r.packet).toMatchObject({ src: '10.214.10.2', sport: 80, dst: '198.51.100.7', dport: 40000, path: 'forward', inIface: 'br-60398d2b7110', outIface: 'eth0', ctState: 'ESTABLISHED' });
  });

  it('to the host: the reply is locally generated (OUTPUT) and leaves where the request came in', () => {
    const { built, trace } = request('shop-web-1', 'host', 53, 'udp');
    const r = replyFlow(ex, built, trace)!;
    expect(r.packet).toMatchObject({ path: 'output', src: '10.214.10.1', dst: '10.214.10.3', inIface: null, outIface: 'br-60398d2b7110', srcLocal: true, dstLocal: false, sport: 53, dport: 40000 });
  });

  it('from the host: the reply is delivered to it (INPUT)', () => {
    const { built, trace } = request('host', 'shop-proxy-1', 80);
    const r = replyFlow(ex, built, trace)!;
    expect(r.packet).toMatchObject({ path: 'input', src: '10.214.10.2', inIface: 'br-60398d2b7110', outIface: null, srcLocal: false, dstLocal: true });
  });

  it('ICMP: an echo reply (type 0), no ports', () => {
    const { built, trace } = request('shop-web-1', 'shop-cache-1', null, 'icmp');
    const r = replyFlow(ex, built, trace)!;
    expect(r.packet).toMatchObject({ protocol: 'icmp', icmpType: 0, icmpCode: 0, sport: null, dport: null, src: '10.214.10.4', dst: '10.214.10.3', ctState: 'ESTABLISHED' });
  });

  it('the host to itself: the reply stays on lo (none); no request packet: none', () => {
    const { built, trace } = request('host', 'host', 22);
    expect(replyFlow(ex, built, trace)).toBeNull();
    const stopped = buildFlow(ex, { from: 'shop-web-1', to: 'old-proxy', port: 80, protocol: 'tcp' });
    expect(stopped.packet).toBeNull();
    expect(replyFlow(ex, stopped, null)).toBeNull();
  });
});
