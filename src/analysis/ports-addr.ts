// Address helpers for the port analysis: family detection, canonical form, wildcard and loopback
// tests, and the overlap rule the kernel (and dockerd's port allocator) applies to bound sockets.
import { parseAddr, type Family } from '../net/addr.js';

export type { Family };

export function familyOf(ip: string): Family | null {
  // Fast paths for the addresses that make up nearly every binding.
  if (ip === '0.0.0.0' || ip === '127.0.0.1') return 'ipv4';
  if (ip === '::' || ip === '::1') return 'ipv6';
  // A zone (fe80::1%eth0) does not change the family; parseAddr takes the bare address.
  const pct = ip.indexOf('%');
  return parseAddr(pct > 0 && pct < ip.length - 1 && ip.includes(':') ? ip.slice(0, pct) : ip)?.family ?? null;
}

const CANON = new Map<string, string>();

/** Canonical text: IPv4 as is; IPv6 compressed (RFC 5952 style); IPv4-mapped IPv6 as IPv4. Memoized. */
export function canonical(ip: string): string {
  let c = CANON.get(ip);
  if (c === undefined) {
    c = canonical1(ip);
    if (CANON.size > 100_000) CANON.clear();
    CANON.set(ip, c);
  }
  return c;
}

function canonical1(ip: string): string {
  const s = ip.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (s === '') return '0.0.0.0';
  const fam = familyOf(s);
  if (fam !== 'ipv6') return s;
  const lower = s.toLowerCase();
  // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 address for overlap purposes.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return mapped[1]!;
  let text = lower;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  const full = groups.map((g) => parseInt(g || '0', 16).toString(16));
  // Compress the longest run of zero groups, like RFC 5952, so output stays readable.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < full.length; ) {
    if (full[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < full.length && full[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return full.join(':');
  return `${full.slice(0, best).join(':')}::${full.slice(best + bestLen).join(':')}`;
}

export function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

export function isLoopback(ip: string): boolean {
  return ip === '::1' || /^127\./.test(ip);
}

export interface OverlapContext {
  /** net.ipv6.bindv6only=1: a socket on :: does not also take IPv4. */
  bindv6only: boolean;
}

/**
 * Do two bound addresses (canonical) collide on the same port and protocol?
 * 0.0.0.0 overlaps every IPv4 address; :: overlaps every IPv6 address and, unless bindv6only,
 * every IPv4 address too (a dual-stack socket); a specific address overlaps only itself.
 */
export function addressesOverlap(a: string, b: string, ctx: OverlapContext): boolean {
  if (a === b) return true;
  const fa = familyOf(a);
  const fb = familyOf(b);
  if (fa === fb) return a === '0.0.0.0' || a === '::' || b === '0.0.0.0' || b === '::';
  // Different families: only a dual-stack :: reaches into IPv4.
  if (ctx.bindv6only) return false;
  return (a === '::' && fb === 'ipv4') || (b === '::' && fa === 'ipv4');
}

/** The narrower of two overlapping addresses: where the collision actually happens. */
export function intersection(a: string, b: string): string {
  if (!isWildcard(a)) return a;
  if (!isWildcard(b)) return b;
  if (a === '0.0.0.0' || b === '0.0.0.0') return '0.0.0.0';
  return '::';
}

export function formatHostPort(ip: string, port: number | null, end?: number | null): string {
  const host = familyOf(ip) === 'ipv6' ? `[${ip}]` : ip;
  const p = port === null ? '*' : end != null && end !== port ? `${port}-${end}` : String(port);
  return `${host}:${p}`;
}
