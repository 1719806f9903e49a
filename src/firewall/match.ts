// Packet state during a walk, and the reference (interpreted) semantics of every match.
// Results are ternary: 0 = no match, 1 = match, 2 = cannot be decided from the evidence.

import { formatAddr, inNet, cmpWords, parseAddr } from './addr.js';
import { ipsetTest, type Ipset } from './ipset.js';
import { describeMatch, protocolName } from './parse-iptables.js';
import type { CtState, Family, IfaceSpec, Match, Packet, PathKind, Rule, Words } from './types.js';

export const NO = 0;
export const YES = 1;
export const UNK = 2;
export type Tri = 0 | 1 | 2;

/** sport/dport value for a protocol without ports. */
export const NO_PORT = -1;
/** sport/dport value when not known. */
export const UNKNOWN_PORT = -2;

export const TCP_FLAG_BITS: Record<string, number> = {
  FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128, ALL: 255, NONE: 0,
};

export interface PState {
  family: Family;
  src: Words | null;
  dst: Words | null;
  proto: number;
  sport: number;
  dport: number;
  /** '' = no interface (locally generated / not yet routed); null = unknown. */
  iif: string | null;
  oif: string | null;
  ct: CtState;
  mark: number | null;
  origSrc: Words | null;
  origDst: Words | null;
  origSport: number;
  origDport: number;
  dnat: boolean;
  snat: boolean;
  /** NAT already bound by conntrack (see Packet.natBound): nat chains are skipped. */
  natBound?: boolean;
  srcChanged: boolean;
  dstChanged: boolean;
  srcLocalHint: boolean | undefined;
  dstLocalHint: boolean | undefined;
  icmpType: number;
  icmpCode: number;
  /** Bitmask of TCP flags; -1 unknown. */
  tcpFlags: number;
  physdev: Packet['physdev'];
  path: PathKind;
  /** True once routing happened (PREROUTING done / output): oif meaningful. */
  routed: boolean;
  /** The out interface the caller gave for an `input` packet (used if DNAT makes it forwarded). */
  givenOut: string | null;
  /** Out interface after routing; `oif` is '' while in PREROUTING (not routed yet). */
  routedOif: string | null;
}

export interface EvalCtx {
  family: Family;
  /** IPv4 local addresses (numbers) or IPv6 keys; null when not given. */
  local4: Set<number> | null;
  local6: Set<string> | null;
  ipsets: Map<string, Ipset> | null;
  ipsetGiven: boolean;
  ifaceAddress: ((name: string) => string | null | undefined) | null;
}

export function clonePState(p: PState): PState {
  return { ...p };
}

export function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132 || proto === 136 || proto === 33;
}

export function ifaceMatches(spec: IfaceSpec, name: string): boolean {
  return spec.wildcard ? name.startsWith(spec.name) : name === spec.name;
}

export function key6(w: Words): string {
  return `${w[0]},${w[1]},${w[2]},${w[3]}`;
}

/** Is an address host-local? ternary. */
export function isLocal(w: Words | null, hint: boolean | undefined, changed: boolean, cx: EvalCtx): Tri {
  if (w === null) return UNK;
  if (!changed && hint !== undefined) return hint ? YES : NO;
  if (cx.family === 'ipv4') {
    if (w[0]! >>> 24 === 127) return YES;
    if (cx.local4) return cx.local4.has(w[0]!) ? YES : NO;
    return UNK;
  }
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 1) return YES;
  if (cx.local6) return cx.local6.has(key6(w)) ? YES : NO;
  return UNK;
}

function isMulticast(w: Words, fam: Family): boolean {
  return fam === 'ipv4' ? w[0]! >>> 28 === 14 : w[0]! >>> 24 === 0xff;
}

function addrTypeOne(t: string, w: Words | null, local: Tri, fam: Family): Tri {
  if (w === null) return UNK;
  switch (t) {
    case 'LOCAL':
      return local;
    case 'MULTICAST':
      return isMulticast(w, fam) ? YES : NO;
    case 'BROADCAST':
      if (fam === 'ipv6') return NO;
      if (w[0] === 0xffffffff) return YES;
      if (isMulticast(w, fam) || local === YES) return NO;
      return UNK;
    case 'UNICAST':
      if (isMulticast(w, fam) || local === YES) return NO;
      if (fam === 'ipv4' && w[0] === 0xffffffff) return NO;
      return UNK;
    default:
      if (local === YES && t !== 'LOCAL') return NO;
      return UNK;
  }
}

function neg(r: Tri, n: boolean): Tri {
  if (r === UNK || !n) return r;
  return r === YES ? NO : YES;
}

function inRanges(v: number, ranges: Array<[number, number]>): boolean {
  for (const [a, b] of ranges) if (v >= a && v <= b) return true;
  return false;
}

function ipsetLookup(m: Match & { kind: 'set' }, p: PState, cx: EvalCtx): Tri {
  if (m.extra.some((e) => !e.startsWith('! '))) return UNK;
  const set = cx.ipsets?.get(m.name);
  if (!set || !set.supported || set.family !== cx.family) return UNK;
  const d0 = m.flags[0]!;
  const addr = d0 === 'src' ? p.src : p.dst;
  if (addr === null) return UNK;
  let port = NO_PORT;
  let iface: string | null = null;
  if (set.type.endsWith(',port')) {
    const d1 = m.flags[1] ?? d0;
    port = d1 === 'src' ? p.sport : p.dport;
    if (port === UNKNOWN_PORT) return UNK;
    if (!hasPorts(p.proto)) return NO;
  } else if (set.type.endsWith(',iface')) {
    const d1 = m.flags[1] ?? d0;
    iface = d1 === 'src' ? p.iif : p.oif;
    if (iface === null) return UNK;
  }
  const r = ipsetTest(set, addr, p.proto, port, iface);
  if (r === null) return UNK;
  return r ? YES : NO;
}

function ctStateHas(s: string, p: PState): Tri {
  switch (s) {
    case 'NEW':
    case 'ESTABLISHED':
    case 'RELATED':
    case 'INVALID':
    case 'UNTRACKED':
      return p.ct === s ? YES : NO;
    case 'DNAT':
      if (p.ct === 'UNTRACKED' || p.ct === 'INVALID') return NO;
      return p.ct === 'NEW' ? (p.dnat ? YES : NO) : UNK;
    case 'SNAT':
      if (p.ct === 'UNTRACKED' || p.ct === 'INVALID') return NO;
      return p.ct === 'NEW' ? (p.snat ? YES : NO) : UNK;
  }
  return UNK;
}

/** The reference semantics of one match. */
export function evalMatch(m: Match, p: PState, cx: EvalCtx): Tri {
  switch (m.kind) {
    case 'addr': {
      const a = m.dir === 'src' ? p.src : p.dst;
      if (a === null) return UNK;
      return neg(inNet(a, m.words, m.mask) ? YES : NO, m.neg);
    }
    case 'iface': {
      const v = m.dir === 'in' ? p.iif : p.oif;
      if (v === null) return UNK;
      if (v === '') return m.neg ? YES : NO;
      return neg(ifaceMatches(m.iface, v) ? YES : NO, m.neg);
    }
    case 'proto':
      return neg(m.proto === 0 || p.proto === m.proto ? YES : NO, m.neg);
    case 'port': {
      if (!hasPorts(p.proto)) return NO;
      if (m.dir === 'any') {
        if (p.sport === UNKNOWN_PORT || p.dport === UNKNOWN_PORT) {
          if (p.sport !== UNKNOWN_PORT && inRanges(p.sport, m.ranges)) return neg(YES, m.neg);
          if (p.dport !== UNKNOWN_PORT && inRanges(p.dport, m.ranges)) return neg(YES, m.neg);
          return UNK;
        }
        return neg(inRanges(p.sport, m.ranges) || inRanges(p.dport, m.ranges) ? YES : NO, m.neg);
      }
      const v = m.dir === 'src' ? p.sport : p.dport;
      if (v === UNKNOWN_PORT) return UNK;
      return neg(inRanges(v, m.ranges) ? YES : NO, m.neg);
    }
    case 'ctstate': {
      let r: Tri = NO;
      for (const s of m.states) {
        const x = ctStateHas(s, p);
        if (x === YES) {
          r = YES;
          break;
        }
        if (x === UNK) r = UNK;
      }
      return neg(r, m.neg);
    }
    case 'ctorigaddr': {
      if (p.ct !== 'NEW') return UNK;
      const a = m.dir === 'src' ? p.origSrc : p.origDst;
      if (a === null) return UNK;
      return neg(inNet(a, m.words, m.mask) ? YES : NO, m.neg);
    }
    case 'ctorigport': {
      if (p.ct !== 'NEW') return UNK;
      if (!hasPorts(p.proto)) return NO;
      const v = m.dir === 'src' ? p.origSport : p.origDport;
      if (v === UNKNOWN_PORT) return UNK;
      return neg(inRanges(v, m.ranges) ? YES : NO, m.neg);
    }
    case 'ctproto':
      if (p.ct === 'UNTRACKED' || p.ct === 'INVALID') return UNK;
      return neg(p.proto === m.proto ? YES : NO, m.neg);
    case 'addrtype': {
      if (m.limitIface !== null) return UNK;
      const a = m.dir === 'src' ? p.src : p.dst;
      const local = m.dir === 'src' ? isLocal(p.src, p.srcLocalHint, p.srcChanged, cx) : isLocal(p.dst, p.dstLocalHint, p.dstChanged, cx);
      let r: Tri = NO;
      for (const t of m.types) {
        const x = addrTypeOne(t, a, local, cx.family);
        if (x === YES) {
          r = YES;
          break;
        }
        if (x === UNK) r = UNK;
      }
      return neg(r, m.neg);
    }
    case 'comment':
      return YES;
    case 'set':
      return neg(ipsetLookup(m, p, cx), m.neg);
    case 'mark':
      if (p.mark === null) return UNK;
      return neg(((p.mark & m.mask) >>> 0) === ((m.value & m.mask) >>> 0) ? YES : NO, m.neg);
    case 'physdev': {
      const pd = p.physdev;
      if (!pd) return UNK;
      if (!pd.bridged) {
        // xt_physdev without bridge info: any non-inverted option fails, inverted ones pass.
        if (m.isBridged === true || m.isIn === true || m.isOut === true) return NO;
        if (m.inIface && !m.inIface.neg) return NO;
        if (m.outIface && !m.outIface.neg) return NO;
        return YES;
      }
      let r: Tri = YES;
      const and = (x: Tri) => {
        if (x === NO) r = NO;
        else if (x === UNK && r === YES) r = UNK;
      };
      const outKnown = pd.outPort !== undefined;
      if (m.isBridged !== null) and(outKnown ? (m.isBridged ? YES : NO) : UNK);
      if (m.isIn !== null) and((pd.inPort !== undefined) === m.isIn ? YES : NO);
      if (m.isOut !== null) and(outKnown ? (m.isOut ? YES : NO) : UNK);
      if (m.inIface) and(pd.inPort === undefined ? (m.inIface.neg ? YES : NO) : neg(ifaceMatches(m.inIface.iface, pd.inPort) ? YES : NO, m.inIface.neg));
      if (m.outIface) and(pd.outPort === undefined ? UNK : neg(ifaceMatches(m.outIface.iface, pd.outPort) ? YES : NO, m.outIface.neg));
      return r;
    }
    case 'icmp': {
      if (p.proto !== (m.v6 ? 58 : 1)) return NO;
      if (m.type === null) return neg(YES, m.neg);
      if (p.icmpType < 0) return UNK;
      if (p.icmpType !== m.type) return neg(NO, m.neg);
      if (m.codeLo === 0 && m.codeHi === 255) return neg(YES, m.neg);
      if (p.icmpCode < 0) return UNK;
      return neg(p.icmpCode >= m.codeLo && p.icmpCode <= m.codeHi ? YES : NO, m.neg);
    }
    case 'tcpflags': {
      if (p.proto !== 6) return NO;
      if (p.tcpFlags < 0) return UNK;
      let mask = 0;
      let comp = 0;
      for (const f of m.mask) mask |= TCP_FLAG_BITS[f] ?? 0;
      for (const f of m.comp) comp |= TCP_FLAG_BITS[f] ?? 0;
      return neg((p.tcpFlags & mask) === (comp & mask) ? YES : NO, m.neg);
    }
    case 'iprange': {
      const a = m.dir === 'src' ? p.src : p.dst;
      if (a === null) return UNK;
      return neg(cmpWords(a, m.from) >= 0 && cmpWords(a, m.to) <= 0 ? YES : NO, m.neg);
    }
    case 'fragment':
      // Packets are modelled whole (unfragmented / first fragment).
      return m.neg ? YES : NO;
    case 'addrset': {
      const a = m.dir === 'src' ? p.src : p.dst;
      if (a === null) return UNK;
      let hit = false;
      for (const n of m.nets) if (inNet(a, n.words, n.mask)) { hit = true; break; }
      return neg(hit ? YES : NO, m.neg);
    }
    case 'unknown':
      return UNK;
  }
}

/** Reference semantics of a whole rule: AND of its matches (false dominates unknown). */
export function evalRule(rule: Rule, p: PState, cx: EvalCtx): Tri {
  let r: Tri = YES;
  for (const m of rule.matches) {
    const x = evalMatch(m, p, cx);
    if (x === NO) return NO;
    if (x === UNK) r = UNK;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Explanations

export function fmtAddr(w: Words | null, fam: Family): string {
  return w === null ? 'unknown' : formatAddr(w, fam);
}

function fmtPort(v: number): string {
  return v === UNKNOWN_PORT ? 'unknown' : v === NO_PORT ? 'none' : String(v);
}

function actual(m: Match, p: PState, cx: EvalCtx): string {
  switch (m.kind) {
    case 'addr':
    case 'iprange':
    case 'addrset':
      return fmtAddr(m.dir === 'src' ? p.src : p.dst, cx.family);
    case 'iface': {
      const v = m.dir === 'in' ? p.iif : p.oif;
      return v === null ? 'unknown' : v === '' ? '(no interface)' : v;
    }
    case 'proto':
      return protocolName(p.proto);
    case 'port':
      if (!hasPorts(p.proto)) return `${protocolName(p.proto)} (no ports)`;
      return m.dir === 'src' ? fmtPort(p.sport) : m.dir === 'dst' ? fmtPort(p.dport) : `${fmtPort(p.sport)}→${fmtPort(p.dport)}`;
    case 'ctstate': {
      const extra = p.ct === 'NEW' ? [p.dnat ? 'DNAT' : '', p.snat ? 'SNAT' : ''].filter(Boolean) : [];
      return [p.ct, ...extra].join(',');
    }
    case 'ctorigaddr':
      return `original ${m.dir} ${fmtAddr(m.dir === 'src' ? p.origSrc : p.origDst, cx.family)}`;
    case 'ctorigport':
      return `original ${m.dir} port ${fmtPort(m.dir === 'src' ? p.origSport : p.origDport)}`;
    case 'ctproto':
      return protocolName(p.proto);
    case 'addrtype': {
      const l = m.dir === 'src' ? isLocal(p.src, p.srcLocalHint, p.srcChanged, cx) : isLocal(p.dst, p.dstLocalHint, p.dstChanged, cx);
      return `${fmtAddr(m.dir === 'src' ? p.src : p.dst, cx.family)} (${l === YES ? 'LOCAL' : l === NO ? 'not LOCAL' : 'locality unknown'})`;
    }
    case 'mark':
      return p.mark === null ? 'unknown' : `0x${p.mark.toString(16)}`;
    case 'physdev':
      return p.physdev ? (p.physdev.bridged ? `bridged ${p.physdev.inPort ?? '?'}→${p.physdev.outPort ?? '?'}` : 'not bridged') : 'unknown';
    case 'icmp':
      return p.proto === (m.v6 ? 58 : 1) ? (p.icmpType < 0 ? 'unknown type' : `type ${p.icmpType}${p.icmpCode >= 0 ? `/${p.icmpCode}` : ''}`) : protocolName(p.proto);
    case 'tcpflags':
      if (p.proto !== 6) return protocolName(p.proto);
      if (p.tcpFlags < 0) return 'unknown';
      return Object.entries(TCP_FLAG_BITS).filter(([k, b]) => k !== 'ALL' && k !== 'NONE' && (p.tcpFlags & b) !== 0).map(([k]) => k).join(',') || 'none';
    case 'set':
      return `${m.flags.join(',')} ${fmtAddr(m.flags[0] === 'src' ? p.src : p.dst, cx.family)}`;
    case 'fragment':
      return 'not a fragment';
    default:
      return '';
  }
}

/** Why a match failed, e.g. `-o br-1234 ≠ docker0`. */
export function explainFail(m: Match, p: PState, cx: EvalCtx): string {
  const d = describeMatch(m);
  const a = actual(m, p, cx);
  const negated = 'neg' in m && (m as { neg: boolean }).neg;
  if (m.kind === 'port' && !hasPorts(p.proto)) return `${d}: packet is ${a}`;
  if ((m.kind === 'icmp' && p.proto !== (m.v6 ? 58 : 1)) || (m.kind === 'tcpflags' && p.proto !== 6)) return `${d}: packet is ${a}`;
  return negated ? `${d}, but packet has ${a}` : `${d} ≠ ${a}`;
}

/** Why a match cannot be decided. */
export function explainUnknown(m: Match, p: PState, cx: EvalCtx): { code: string; text: string } {
  const d = describeMatch(m);
  switch (m.kind) {
    case 'unknown':
      return { code: 'FW_UNKNOWN_MATCH', text: `${d}: match module "${m.module}" is not modelled` };
    case 'set': {
      if (m.extra.some((e) => !e.startsWith('! '))) return { code: 'FW_UNKNOWN_MATCH', text: `${d}: set counters/options are not modelled` };
      const s = cx.ipsets?.get(m.name);
      if (!s) return { code: 'FW_IPSET_MISSING', text: `${d}: ipset ${m.name} ${cx.ipsetGiven ? 'is not in the captured `ipset save`' : 'contents were not captured (no `ipset save`)'}` };
      if (!s.supported) return { code: 'FW_UNKNOWN_MATCH', text: `${d}: ipset type ${s.type} is not modelled` };
      return { code: 'FW_UNKNOWN_MATCH', text: `${d}: packet field is unknown` };
    }
    case 'addrtype':
      if (m.limitIface) return { code: 'FW_UNKNOWN_MATCH', text: `${d}: per-interface address types are not modelled` };
      return { code: 'FW_LOCAL_ADDRESSES_UNKNOWN', text: `${d}: ${actual(m, p, cx)}; host-local addresses not given` };
    case 'mark':
      return { code: 'FW_MARK_UNKNOWN', text: `${d}: the packet mark is unknown` };
    case 'physdev':
      return { code: 'FW_UNKNOWN_MATCH', text: `${d}: whether the packet is bridged (br_netfilter) is unknown` };
    case 'ctorigaddr':
    case 'ctorigport':
    case 'ctstate':
      return { code: 'FW_CONNTRACK_UNKNOWN', text: `${d}: conntrack entry of a ${p.ct} packet is not known` };
    case 'tcpflags':
      return { code: 'FW_UNKNOWN_MATCH', text: `${d}: the packet's TCP flags were not given` };
    case 'icmp':
      return { code: 'FW_UNKNOWN_MATCH', text: `${d}: the packet's ICMP type was not given` };
    default:
      return { code: 'FW_UNKNOWN_MATCH', text: `${d}: packet ${actual(m, p, cx)} (field unknown after NAT or not given)` };
  }
}

export interface RuleExplanation {
  failed?: string;
  unknown?: Array<{ code: string; text: string }>;
}

export function explainRule(rule: Rule, p: PState, cx: EvalCtx): RuleExplanation {
  const unknown: Array<{ code: string; text: string }> = [];
  for (const m of rule.matches) {
    const x = evalMatch(m, p, cx);
    if (x === NO) return { failed: explainFail(m, p, cx) };
    if (x === UNK) unknown.push(explainUnknown(m, p, cx));
  }
  return unknown.length ? { unknown } : {};
}

export function parseAddrOrNull(s: string, fam: Family): Words | null {
  return parseAddr(s, fam);
}
