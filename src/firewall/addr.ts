// Address math on 32-bit words: IPv4 is one word, IPv6 four. Plain integer arithmetic; no
// dependency (ip-num costs ~65 ms to import and is slower for per-packet work).

import type { Family, Words } from './types.js';
import { parseIPv4 } from '../net/ipv4.js';

export { parseIPv4 };

/** Parse an IPv6 address (with `::` and an optional embedded IPv4 tail) to 4 words; null if invalid. */
export function parseIPv6(s: string): Words | null {
  if (s.length === 0 || s.length > 45) return null;
  const pct = s.indexOf('%');
  if (pct >= 0) return null;
  let head = s;
  let tail: number[] = [];
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null;
    head = s.slice(0, dbl);
    const t = s.slice(dbl + 2);
    const tp = t === '' ? [] : groups(t, true);
    if (tp === null) return null;
    tail = tp;
    const hp = head === '' ? [] : groups(head, false);
    if (hp === null) return null;
    if (hp.length + tail.length > 7) return null;
    const all = [...hp, ...new Array<number>(8 - hp.length - tail.length).fill(0), ...tail];
    return toWords(all);
  }
  const g = groups(s, true);
  if (g === null || g.length !== 8) return null;
  return toWords(g);
}

function groups(s: string, allowV4Tail: boolean): number[] | null {
  const parts = s.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && allowV4Tail && p.includes('.')) {
      const v4 = parseIPv4(p);
      if (v4 < 0) return null;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
    out.push(parseInt(p, 16));
  }
  return out;
}

function toWords(g: number[]): Words {
  return [
    (g[0]! * 65536 + g[1]!) >>> 0,
    (g[2]! * 65536 + g[3]!) >>> 0,
    (g[4]! * 65536 + g[5]!) >>> 0,
    (g[6]! * 65536 + g[7]!) >>> 0,
  ];
}

export function familyOf(addr: string): Family | null {
  if (parseIPv4(addr) >= 0) return 'ipv4';
  if (parseIPv6(addr)) return 'ipv6';
  return null;
}

/** Parse an address for a family into words; null when invalid. */
export function parseAddr(s: string, family: Family): Words | null {
  if (family === 'ipv4') {
    const v = parseIPv4(s);
    return v < 0 ? null : [v];
  }
  return parseIPv6(s);
}

export function prefixMask(len: number, family: Family): Words {
  const n = family === 'ipv4' ? 1 : 4;
  const out: Words = [];
  for (let i = 0; i < n; i++) {
    const bits = Math.max(0, Math.min(32, len - 32 * i));
    out.push(bits === 0 ? 0 : bits === 32 ? 0xffffffff : ((0xffffffff << (32 - bits)) >>> 0));
  }
  return out;
}

/** Number of leading one bits if the mask is contiguous, else -1. */
export function maskLength(mask: Words): number {
  let len = 0;
  let ended = false;
  for (const w of mask) {
    for (let b = 31; b >= 0; b--) {
      const one = ((w >>> b) & 1) === 1;
      if (one) {
        if (ended) return -1;
        len++;
      } else ended = true;
    }
  }
  return len;
}

export interface Cidr {
  words: Words;
  mask: Words;
  /** Canonical text: `10.0.0.0/8`, `1.2.3.4` shown as `1.2.3.4/32`. */
  text: string;
}

/** Parse `addr`, `addr/len` or `addr/dotted-mask`; null when invalid. */
export function parseCidr(s: string, family: Family): Cidr | null {
  const slash = s.indexOf('/');
  const a = slash >= 0 ? s.slice(0, slash) : s;
  const words = parseAddr(a, family);
  if (!words) return null;
  const bitsTotal = family === 'ipv4' ? 32 : 128;
  let mask: Words;
  if (slash >= 0) {
    const m = s.slice(slash + 1);
    if (/^\d{1,3}$/.test(m)) {
      const len = Number(m);
      if (len > bitsTotal) return null;
      mask = prefixMask(len, family);
    } else {
      const mw = parseAddr(m, family);
      if (!mw) return null;
      mask = mw;
    }
  } else mask = prefixMask(bitsTotal, family);
  const net = words.map((w, i) => (w & mask[i]!) >>> 0);
  const len = maskLength(mask);
  const text = `${formatAddr(net, family)}/${len >= 0 ? len : formatAddr(mask, family)}`;
  return { words: net, mask, text };
}

export function formatAddr(w: Words, family: Family): string {
  if (family === 'ipv4') {
    const v = w[0]!;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const g: number[] = [];
  for (const x of w) g.push(x >>> 16, x & 0xffff);
  // Longest run of zero groups (length ≥ 2) becomes `::`.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] === 0) {
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    } else i++;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function inNet(addr: Words, net: Words, mask: Words): boolean {
  for (let i = 0; i < net.length; i++) if (((addr[i]! & mask[i]!) >>> 0) !== net[i]) return false;
  return true;
}

export function cmpWords(a: Words, b: Words): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

/** Is net A (a, am) a subset of net B (b, bm)? */
export function netSubset(a: Words, am: Words, b: Words, bm: Words): boolean {
  for (let i = 0; i < a.length; i++) {
    // B's mask bits must all be set in A's mask, and A's net must agree with B on B's bits.
    if (((bm[i]! & am[i]!) >>> 0) !== bm[i]) return false;
    if (((a[i]! & bm[i]!) >>> 0) !== b[i]) return false;
  }
  return true;
}

/** Do nets A and B intersect? */
export function netsIntersect(a: Words, am: Words, b: Words, bm: Words): boolean {
  for (let i = 0; i < a.length; i++) {
    const common = (am[i]! & bm[i]!) >>> 0;
    if (((a[i]! & common) >>> 0) !== ((b[i]! & common) >>> 0)) return false;
  }
  return true;
}
