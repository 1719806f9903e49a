// Address math for routing: IPv4 and IPv6 addresses as bigints, prefixes, containment, overlap.
//
// IPv6 parsing and validation go through ip-num (the project's address library). ip-num is
// CommonJS and costs ~65 ms to import, so it is loaded lazily and synchronously (createRequire)
// the first time an IPv6 string is parsed; IPv4 — the hot path for thousands of containers — is
// parsed with plain integer math. Parsed values are cached by string.

import { parseIPv4 } from './ipv4.js';
// eslint-disable-next-line netsleuth/layers -- the one builtin in src/net: ip-num is CommonJS and costs 15-60 ms to import, so it is loaded synchronously on the first IPv6 parse and never on IPv4-only runs
import { createRequire } from 'node:module';

export type Family = 'ipv4' | 'ipv6';

export interface Addr {
  family: Family;
  value: bigint;
}

export interface Prefix {
  family: Family;
  /** Network address (host bits cleared). */
  network: bigint;
  length: number;
}

type IpNum = typeof import('ip-num');
let ipnum: IpNum | null = null;
function ipNum(): IpNum {
  if (ipnum === null) ipnum = createRequire(import.meta.url)('ip-num') as IpNum;
  return ipnum;
}

export const bitsOf = (f: Family): number => (f === 'ipv4' ? 32 : 128);

const V4_ALL = (1n << 32n) - 1n;
const V6_ALL = (1n << 128n) - 1n;
const maskCache: bigint[][] = [[], []];

/** The network mask for a prefix length, as a bigint. */
export function maskOf(family: Family, length: number): bigint {
  const fi = family === 'ipv4' ? 0 : 1;
  const cached = maskCache[fi]![length];
  if (cached !== undefined) return cached;
  const bits = bitsOf(family);
  const all = family === 'ipv4' ? V4_ALL : V6_ALL;
  const m = length === 0 ? 0n : (all >> BigInt(bits - length)) << BigInt(bits - length);
  maskCache[fi]![length] = m;
  return m;
}

const addrCache = new Map<string, Addr | null>();

/** Parses an IPv4 or IPv6 address (no prefix, no zone); null when invalid. */
export function parseAddr(text: string): Addr | null {
  const hit = addrCache.get(text);
  if (hit !== undefined) return hit;
  let out: Addr | null = null;
  if (text.includes(':')) {
    const ipn = ipNum();
    if (!text.includes('%') && ipn.Validator.isValidIPv6String(text)[0]) {
      out = { family: 'ipv6', value: ipn.IPv6.fromString(text).getValue() };
    }
  } else {
    const v = parseIPv4(text);
    if (v >= 0) out = { family: 'ipv4', value: BigInt(v) };
  }
  if (addrCache.size > 200_000) addrCache.clear();
  addrCache.set(text, out);
  return out;
}

const prefixCache = new Map<string, Prefix | null>();

/**
 * Parses `addr/len` (or a bare address: a host prefix) and normalizes it: host bits are cleared,
 * so `10.1.2.3/8` is 10.0.0.0/8, as the kernel stores it. null when invalid.
 */
export function parsePrefix(text: string): Prefix | null {
  const hit = prefixCache.get(text);
  if (hit !== undefined) return hit;
  let out: Prefix | null = null;
  const slash = text.indexOf('/');
  const a = parseAddr(slash < 0 ? text : text.slice(0, slash));
  if (a) {
    const bits = bitsOf(a.family);
    let len = bits;
    if (slash >= 0) {
      const l = text.slice(slash + 1);
      len = /^\d{1,3}$/.test(l) ? Number(l) : -1;
    }
    if (len >= 0 && len <= bits) out = { family: a.family, network: a.value & maskOf(a.family, len), length: len };
  }
  if (prefixCache.size > 200_000) prefixCache.clear();
  prefixCache.set(text, out);
  return out;
}

export function containsAddr(p: Prefix, a: Addr): boolean {
  return p.family === a.family && (a.value & maskOf(p.family, p.length)) === p.network;
}

/** True when `outer` contains every address of `inner`. */
export function containsPrefix(outer: Prefix, inner: Prefix): boolean {
  return outer.family === inner.family && outer.length <= inner.length && (inner.network & maskOf(outer.family, outer.length)) === outer.network;
}

/** Two prefixes overlap exactly when one contains the other. */
export function overlaps(a: Prefix, b: Prefix): boolean {
  return containsPrefix(a, b) || containsPrefix(b, a);
}

export function formatAddr(a: Addr): string {
  if (a.family === 'ipv4') {
    const v = Number(a.value);
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  // RFC 5952: lower case, no leading zeros, the longest run (≥2) of zero groups as `::`.
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr({ family: p.family, value: p.network })}/${p.length}`;
}

/** Validates a CIDR string with ip-num's own validators (for user-facing input). */
export function isValidCidr(text: string): boolean {
  const ipn = ipNum();
  return text.includes(':') ? ipn.Validator.isValidIPv6CidrRange(text)[0] : parsePrefix(text) !== null && text.includes('/');
}

/** 'ipv4', 'ipv6', or null when the text is not an address. */
export function familyOf(text: string): Family | null {
  return parseAddr(text)?.family ?? null;
}

const canonCache = new Map<string, string>();
/**
 * The canonical text of an address (dotted quad; RFC 5952 for IPv6), usable as a map key so that
 * `fd00::0001` and `fd00::1` are one address. Text that is not an address comes back unchanged.
 */
export function canonicalAddr(text: string): string {
  const hit = canonCache.get(text);
  if (hit !== undefined) return hit;
  const a = parseAddr(text);
  const out = a ? formatAddr(a) : text;
  if (canonCache.size > 200_000) canonCache.clear();
  canonCache.set(text, out);
  return out;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopback(text: string): boolean {
  const a = parseAddr(text);
  if (!a) return false;
  if (a.family === 'ipv4') return a.value >> 24n === 127n;
  return a.value === 1n || a.value >> 24n === 0xffff7fn;
}
