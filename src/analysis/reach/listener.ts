// The listener stage: does a socket in the destination's namespace accept the (post-DNAT)
// address and port? For ICMP, whether the destination kernel answers echo requests.

import type { Listener } from '../../model/types.js';
import type { StateView } from '../../model/view.js';
import { canonicalAddr, isLoopback, parseAddr } from '../../net/addr.js';
import type { PortProtocol } from '../firewall-flow.js';
import { type ReachContext, type StageResult, NOTHING, bare } from './context.js';
import type { Delivery } from './firewall.js';
import { type LocalPlace, placeLabel } from './place.js';
import type { Listening } from './types.js';

/** The sockets of a place, or why they are not known (and whether they are only partly known). */
export function listenersIn(view: StateView, place: LocalPlace): { list: Listener[] | null; why: string | null; where: string } {
  if (place.kind === 'host') {
    const sec = view.host()?.listeners;
    if (!sec || sec.status === 'unavailable' || !sec.value) return { list: null, why: `the host's listening sockets were not captured${sec?.reason ? ` (${sec.reason})` : ''}`, where: 'host' };
    return { list: sec.value, why: sec.status === 'partial' ? `the host's listening sockets are partial${sec.reason ? ` (${sec.reason})` : ''}` : null, where: 'host' };
  }
  const c = place.owner;
  const sec = c.netns;
  if (sec.status === 'unavailable' || !sec.value) return { list: null, why: `the sockets inside ${bare(c.name)} were not captured${sec.reason ? ` (${sec.reason})` : ''}`, where: placeLabel(place) };
  return { list: sec.value.listeners, why: null, where: placeLabel(place) };
}

export function fmtListener(l: Listener): string {
  const a = l.address.includes(':') ? `[${l.address}]` : l.address;
  return `${l.protocol} ${a}:${l.port}${l.process ? ` (${l.process.name}, pid ${l.process.pid})` : ''}`;
}

interface ListenerCheck {
  listening: Listening;
  code: string;
  detail: string;
  evidence: string[];
  fix?: string;
}

/** `shop-db-1` or `the host`: who runs the service, in a fix. */
function whoRuns(place: LocalPlace): string {
  return place.kind === 'host' ? 'on the host' : `in ${bare(place.owner.name)}`;
}

/** The wildcard address:port for dst's family (0.0.0.0:80, [::]:80) and dst:port itself. */
function bindTargets(dst: string, port: number): { any: string; own: string } {
  const v6 = parseAddr(dst)?.family === 'ipv6';
  return { any: v6 ? `[::]:${port}` : `0.0.0.0:${port}`, own: v6 ? `[${dst}]:${port}` : `${dst}:${port}` };
}

/** What the place does listen on (protocol, not loopback), for a fix that names the other ports. */
function otherPorts(list: Listener[], protocol: PortProtocol): string {
  const ports = [...new Set(list.filter((l) => l.protocol === protocol && !isLoopback(l.address)).map((l) => l.port))].sort((a, b) => a - b);
  if (!ports.length) return '';
  const shown = ports.slice(0, 6).map((p) => `${p}/${protocol}`).join(', ');
  return ` (it listens on ${shown}${ports.length > 6 ? ', …' : ''})`;
}

/** Does a socket in `place` accept `protocol` packets for dst:port? */
function checkListener(view: StateView, place: LocalPlace, dst: string, port: number, protocol: PortProtocol): ListenerCheck {
  const { list, why, where } = listenersIn(view, place);
  if (!list) return { listening: 'unknown', code: 'LISTENER_EVIDENCE_MISSING', detail: why!, evidence: [] };
  const d = parseAddr(dst);
  const loop = isLoopback(dst);
  const onPort = list.filter((l) => l.protocol === protocol && l.port === port);
  const accepts = (l: Listener): boolean => {
    const la = parseAddr(l.address);
    if (!la || !d) return false;
    if (la.value === 0n) {
      // 0.0.0.0 takes IPv4; :: takes IPv6 and (bindv6only=0, the default) IPv4 too.
      return la.family === d.family || (la.family === 'ipv6' && d.family === 'ipv4');
    }
    if (la.family === 'ipv6' && d.family === 'ipv4' && l.address.toLowerCase().startsWith('::ffff:')) {
      return canonicalAddr(l.address.slice(7)) === canonicalAddr(dst);
    }
    return canonicalAddr(l.address) === canonicalAddr(dst);
  };
  const hit = onPort.filter(accepts);
  if (hit.length > 0) {
    return { listening: true, code: 'LISTENER_FOUND', detail: `${where}: ${fmtListener(hit[0]!)} accepts ${dst}:${port}`, evidence: hit.map(fmtListener) };
  }
  if (onPort.length > 0) {
    const lo = onPort.every((l) => isLoopback(l.address));
    const t = bindTargets(dst, port);
    const proc = onPort.find((l) => l.process)?.process?.name;
    const svc = proc ? `${proc} (the service on ${port}/${protocol})` : `the service on ${port}/${protocol}`;
    const bound = onPort.map((l) => (l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`)).join(', ');
    if (lo && !loop) {
      return {
        listening: false,
        code: 'LISTENER_LOOPBACK_ONLY',
        detail: `${where}: the socket on port ${port} is bound to loopback only (${onPort.map(fmtListener).join(', ')}), so packets for ${dst} are refused`,
        evidence: onPort.map(fmtListener),
        fix: `make ${svc} ${whoRuns(place)} listen on ${t.any} (or ${t.own}) instead of ${bound}`,
      };
    }
    return {
      listening: false,
      code: 'LISTENER_OTHER_ADDRESS',
      detail: `${where}: port ${port}/${protocol} is bound to other addresses (${onPort.map(fmtListener).join(', ')}), not ${dst}`,
      evidence: onPort.map(fmtListener),
      fix: `make ${svc} ${whoRuns(place)} listen on ${t.any} (or ${t.own}) instead of ${bound}, or connect to the address it is bound to`,
    };
  }
  const tail = why ? ` (${why})` : '';
  if (why) return { listening: 'unknown', code: 'LISTENER_EVIDENCE_PARTIAL', detail: `${where}: no socket seen on ${port}/${protocol}${tail}`, evidence: [] };
  return {
    listening: false,
    code: 'LISTENER_NONE',
    detail: `${where}: nothing listens on ${port}/${protocol}${protocol === 'tcp' ? ' (the connection is refused with a RST)' : ' (an ICMP port-unreachable comes back)'}`,
    evidence: [],
    fix: `start the service ${whoRuns(place)} on ${bindTargets(dst, port).any}/${protocol}${otherPorts(list, protocol) ? `, or connect to a port it serves${otherPorts(list, protocol)}` : ` (nothing ${place.kind === 'host' ? 'there' : 'in it'} listens on ${protocol} outside loopback)`}`,
  };
}

/** The listener hop for a packet delivered to dst:port in `place` (port null: ICMP echo). */
export function listenerStage(cx: ReachContext, place: LocalPlace, dst: string, port: number | null): StageResult {
  const { view, protocol, family } = cx;
  if (port === null || protocol === 'icmp') {
    const ignore = place.kind === 'host' ? view.host()?.sysctls.value?.[family === 'ipv4' ? 'net.ipv4.icmp_echo_ignore_all' : 'net.ipv6.icmp.echo_ignore_all'] : undefined;
    if (ignore === '1') {
      const key = family === 'ipv4' ? 'net.ipv4.icmp_echo_ignore_all' : 'net.ipv6.icmp.echo_ignore_all';
      return {
        listening: false,
        hops: [{ stage: 'listener', where: 'host', status: 'info', code: 'ICMP_ECHO_IGNORED', detail: 'the host ignores echo requests (icmp_echo_ignore_all=1)', evidence: [`icmp_echo_ignore_all=1`], fix: `sysctl -w ${key}=0 on the host (and drop it from /etc/sysctl.d), or test with a TCP port instead of ping` }],
        reasons: [{ code: 'ICMP_ECHO_IGNORED', message: 'the host ignores echo requests (icmp_echo_ignore_all=1)' }],
      };
    }
    return {
      listening: true,
      assumptions: ['the kernel answers ICMP echo requests itself (echo is not ignored inside the destination namespace)'],
      hops: [{ stage: 'listener', where: listenersIn(view, place).where, status: 'info', detail: 'the destination kernel answers the echo request', evidence: [] }],
    };
  }
  const l = checkListener(view, place, dst, port, protocol);
  return {
    listening: l.listening,
    hops: [{ stage: 'listener', where: placeLabel(place), status: 'info', code: l.code, detail: l.detail, evidence: l.evidence, ...(l.fix ? { fix: l.fix } : {}) }],
    ...(l.listening !== true ? { reasons: [{ code: l.code, message: l.detail }] } : {}),
  };
}

/** The listener stage of the forwarded path: where the packet was delivered (outside: not known). */
export function deliveredStage(cx: ReachContext, d: Delivery): StageResult {
  const { place } = d;
  if (place.kind === 'host' || place.kind === 'container') return listenerStage(cx, place, d.address, d.port);
  if (cx.protocol === 'icmp') return NOTHING;
  return { listening: 'unknown', hops: [{ stage: 'listener', where: d.address, status: 'info', detail: `${d.address} is outside this host's state: whether something listens there is not known`, evidence: [] }] };
}
