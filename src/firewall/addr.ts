// Address math on 32-bit words: IPv4 is one word, IPv6 four. Plain integer arithmetic for the
// per-packet path. Text is parsed and printed by the project's one address module (src/net/addr.ts);
// this module holds the word-form operations (masks, containment, ordering) on top of it.

import type { Family, Words } from './types.js';
import { familyOf, formatIPv4, formatIPv6Words, parseIPv4, parseIPv6Words } from '../net/addr.js';

export { familyOf, parseIPv4 };

/** Parse an address for a family into words; null when invalid. */
export function parseAddr(s: string, family: Family): Words | null {
  if (family === 'ipv4') {
    const v = parseIPv4(s);
    return v < 0 ? null : [v];
  }
  return parseIPv6Words(s);
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
  return family === 'ipv4' ? formatIPv4(w[0]!) : formatIPv6Words(w);
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
