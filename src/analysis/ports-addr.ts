// Address helpers for the port analysis: the canonical form of a bound address, wildcard tests,
// and the overlap rule the kernel (and dockerd's port allocator) applies to bound sockets. Parsing,
// family and loopback come from the one address module (src/net/addr.ts).
import { canonicalAddr, familyOf, formatAddr, isLoopback, parseAddr, unmap, type Family } from '../net/addr.js';

export { familyOf, isLoopback, type Family };

const CANON = new Map<string, string>();

/**
 * Canonical text of a bound address: brackets and a zone dropped, empty as 0.0.0.0, IPv4-mapped
 * IPv6 as the IPv4 address (a dual-stack socket on ::ffff:a.b.c.d takes the IPv4 port), any other
 * address as canonicalAddr gives it; text that is not an address stays as it is. Memoized.
 */
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
  const a = parseAddr(s);
  if (!a) return s;
  const u = unmap(a);
  return u === a ? canonicalAddr(s) : formatAddr(u);
}

export function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
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
  // Any text with a colon is bracketed (IPv6, also with a zone), so the port stays unambiguous.
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const p = port === null ? '*' : end != null && end !== port ? `${port}-${end}` : String(port);
  return `${host}:${p}`;
}
