// Name helpers that need no DNS library (the snapshot-only path must not load dns-packet).

import { formatAddr, parseAddr } from '../net/addr.js';

/** The reverse-lookup name (in-addr.arpa / ip6.arpa) of an address; null when `ip` is not one. */
export function reverseName(ip: string): string | null {
  const a = parseAddr(ip);
  if (!a) return null;
  if (a.family === 'ipv4') return `${formatAddr(a).split('.').reverse().join('.')}.in-addr.arpa`;
  const nibbles = a.value.toString(16).padStart(32, '0').split('');
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** Why `name` cannot be asked as a DNS question, or null when it can. */
export function nameProblem(name: string): string | null {
  const n = name === '.' ? '' : name.replace(/\.$/, '');
  if (n.length > 253) return 'name is longer than 253 characters';
  if (n !== '' && n.split('.').some((l) => l.length === 0)) return `"${name}" has an empty label`;
  if (n !== '' && n.split('.').some((l) => Buffer.byteLength(l) > 63)) return `"${name}" has a label longer than 63 bytes`;
  return null;
}
