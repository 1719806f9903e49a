// The project's one address module: IPv4 and IPv6 text parsing, the bigint and 32-bit-word forms,
// canonical text, classification (loopback, link-local, unspecified), prefixes, containment and
// overlap. Every other module that needs to know what an address is asks this one.
//
// One parser per family, hand-written and strict, with no dependency and nothing loaded lazily:
// - IPv4: `parseIPv4` (./ipv4.ts): dotted quad only; leading zeros are rejected ("010" is octal to
//   inet_aton, decimal to others), as Go's net/netip (so Docker) and Node's net.isIP do.
// - IPv6: `parseIPv6Words` below: RFC 4291 text (one `::` standing for at least one zero group,
//   1–4 hex digits a group, either case, an IPv4 tail in the last 32 bits). A zone (`fe80::1%eth0`)
//   is not an address here: it names an interface, and nothing in a snapshot is keyed by it; callers
//   that meet zoned text (ss output) strip the zone first. Brackets and blanks are not part of an
//   address either.
// The firewall's per-packet form (4 words of 32 bits) comes straight from the IPv6 parser; the
// bigint form used by route tables is built from those words. Parsed values are cached by string.
// ip-num (the project's address library, ~65 ms to import) is not needed to parse: the unit
// tests use it as an independent oracle for these parsers.

import { parseIPv4 } from './ipv4.js';

export { parseIPv4 };

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

// Scratch for the eight 16-bit groups of the address being parsed (parsing is synchronous).
const G = [0, 0, 0, 0, 0, 0, 0, 0];

/** Parses IPv6 text into G; false when the text is not an IPv6 address. */
function parse6(s: string): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    if (count === 8) return false;
    const start = i;
    let v = 0;
    let d = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      let h: number;
      if (c >= 48 && c <= 57) h = c - 48;
      else if (c >= 97 && c <= 102) h = c - 87;
      else if (c >= 65 && c <= 70) h = c - 55;
      else break;
      if (++d > 4) return false;
      v = v * 16 + h;
    }
    if (i < n && s.charCodeAt(i) === 46) {
      // An IPv4 tail: the rest of the text, taking the last two groups.
      if (count > 6) return false;
      const v4 = parseIPv4(start === 0 ? s : s.slice(start));
      if (v4 < 0) return false;
      G[count++] = v4 >>> 16;
      G[count++] = v4 & 0xffff;
      break;
    }
    if (d === 0) return false;
    G[count++] = v;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i === n) return false;
    if (s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    }
  }
  if (gap < 0) return count === 8;
  if (count > 7) return false;
  // Move the groups after `::` to the end and zero the gap.
  const tail = count - gap;
  for (let k = tail - 1; k >= 0; k--) G[8 - tail + k] = G[gap + k]!;
  for (let k = gap; k < 8 - tail; k++) G[k] = 0;
  return true;
}

/**
 * Parses an IPv6 address to four 32-bit words, most significant first (the firewall's per-packet
 * form); null when invalid. The one IPv6 text parser.
 */
export function parseIPv6Words(s: string): number[] | null {
  if (!parse6(s)) return null;
  return [((G[0]! << 16) | G[1]!) >>> 0, ((G[2]! << 16) | G[3]!) >>> 0, ((G[4]! << 16) | G[5]!) >>> 0, ((G[6]! << 16) | G[7]!) >>> 0];
}

/** The bigint value of an IPv6 address given as four 32-bit words. */
export function wordsToBigint(w: readonly number[]): bigint {
  return (BigInt(w[0]!) << 96n) | (BigInt(w[1]!) << 64n) | (BigInt(w[2]!) << 32n) | BigInt(w[3]!);
}

/** Four 32-bit words of an IPv6 address given as a bigint. */
export function bigintToWords(v: bigint): number[] {
  return [Number((v >> 96n) & 0xffffffffn), Number((v >> 64n) & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}

/** 'ipv4', 'ipv6', or null when the text is not an address (zoned, bracketed, padded: null). */
export function familyOf(text: string): Family | null {
  if (parseIPv4(text) >= 0) return 'ipv4';
  return parse6(text) ? 'ipv6' : null;
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
  const v = parseIPv4(text);
  if (v >= 0) out = { family: 'ipv4', value: BigInt(v) };
  else {
    const w = parseIPv6Words(text);
    if (w) out = { family: 'ipv6', value: wordsToBigint(w) };
  }
  if (addrCache.size > 200_000) addrCache.clear();
  addrCache.set(text, out);
  return out;
}

const canonCache = new Map<string, string>();

/**
 * The canonical text of an address, usable as a map key: IPv4 as a dotted quad, IPv6 per RFC 5952
 * (lower case, no leading zeros, the longest run of two or more zero groups as `::`, IPv4-mapped
 * as `::ffff:a.b.c.d`). Text that is not an address (a zone, a name) is returned unchanged.
 */
export function canonicalAddr(text: string): string {
  let c = canonCache.get(text);
  if (c === undefined) {
    const a = parseAddr(text);
    c = a ? formatAddr(a) : text;
    if (canonCache.size > 200_000) canonCache.clear();
    canonCache.set(text, c);
  }
  return c;
}

const MAPPED = 0xffffn;

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d); any other address as is. */
export function unmap(a: Addr): Addr {
  return a.family === 'ipv6' && a.value >> 32n === MAPPED ? { family: 'ipv4', value: a.value & 0xffffffffn } : a;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x (as Go's netip). False for anything not an address. */
export function isLoopback(text: string): boolean {
  const a0 = parseAddr(text);
  if (!a0) return false;
  const a = unmap(a0);
  return a.family === 'ipv4' ? a.value >> 24n === 127n : a.value === 1n;
}

/** Link-local unicast: 169.254.0.0/16, fe80::/10, and IPv4-mapped 169.254.x.x (as Go's netip). */
export function isLinkLocal(text: string): boolean {
  const a0 = parseAddr(text);
  if (!a0) return false;
  const a = unmap(a0);
  return a.family === 'ipv4' ? a.value >> 16n === 0xa9fen : a.value >> 118n === 0x3fan;
}

/** 0.0.0.0 or :: (any spelling). ::ffff:0.0.0.0 is not: as Go's netip, a mapped address is not unmapped here. */
export function isUnspecified(text: string): boolean {
  const a = parseAddr(text);
  return a !== null && a.value === 0n;
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
  if (a.family === 'ipv4') return formatIPv4(Number(a.value));
  return formatIPv6Words(bigintToWords(a.value));
}

export function formatIPv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/**
 * RFC 5952 text of an IPv6 address given as four 32-bit words: lower case, no leading zeros, the
 * first longest run (≥2) of zero groups as `::`, and an IPv4-mapped address as `::ffff:a.b.c.d`
 * (section 5; Go's netip, so Docker, and iproute2 print it so too).
 */
export function formatIPv6Words(w: readonly number[]): string {
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return `::ffff:${formatIPv4(w[3]!)}`;
  const groups: number[] = [];
  for (const x of w) groups.push(x >>> 16, x & 0xffff);
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

/** Is this `address/length` text (a length is required) a valid prefix? Host bits may be set. */
export function isValidCidr(text: string): boolean {
  return text.includes('/') && parsePrefix(text) !== null;
}

