// `ipset save` output: the sets `-m set --match-set NAME src|dst` refers to.

import { parseAddr, parseCidr, inNet } from './addr.js';
import { FirewallParseError } from './errors.js';
import type { Family, Words } from './types.js';

export interface IpsetEntry {
  words: Words;
  mask: Words;
  nomatch: boolean;
  proto?: number;
  port?: number;
  iface?: string;
}

export interface Ipset {
  name: string;
  type: string;
  family: Family;
  entries: IpsetEntry[];
  /** The set type is one the engine evaluates (hash:ip, hash:net, hash:ip,port, hash:net,port, hash:net,iface). */
  supported: boolean;
}

const SUPPORTED = new Set(['hash:ip', 'hash:net', 'hash:ip,port', 'hash:net,port', 'hash:net,iface']);
const PROTO: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, udplite: 136 };

export function parseIpsetSave(text: string): Map<string, Ipset> {
  const sets = new Map<string, Ipset>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    const [cmd, name] = parts;
    if (cmd === 'create' || cmd === '-N') {
      const type = parts[2];
      if (!name || !type) throw new FirewallParseError(i + 1, 'ipset create needs a name and a type');
      const fi = parts.indexOf('family');
      const family: Family = fi >= 0 && parts[fi + 1] === 'inet6' ? 'ipv6' : 'ipv4';
      sets.set(name, { name, type, family, entries: [], supported: SUPPORTED.has(type) });
      continue;
    }
    if (cmd === 'add' || cmd === '-A') {
      const set = name ? sets.get(name) : undefined;
      if (!set) throw new FirewallParseError(i + 1, `ipset add to unknown set ${name ?? ''}`);
      const elem = parts[2];
      if (!elem) throw new FirewallParseError(i + 1, 'ipset add needs an element');
      const nomatch = parts.includes('nomatch');
      if (!set.supported) continue;
      const dims = elem.split(',');
      const cidr = parseCidr(dims[0]!, set.family);
      if (!cidr) throw new FirewallParseError(i + 1, `bad ipset element "${elem}"`);
      const e: IpsetEntry = { words: cidr.words, mask: cidr.mask, nomatch };
      if (set.type.endsWith(',port')) {
        const m = /^(?:(\w+):)?(\d+)$/.exec(dims[1] ?? '');
        if (!m) throw new FirewallParseError(i + 1, `bad ipset port element "${elem}"`);
        e.proto = m[1] ? (PROTO[m[1]] ?? -1) : 6;
        e.port = Number(m[2]);
      } else if (set.type.endsWith(',iface')) {
        e.iface = dims[1] ?? '';
      }
      set.entries.push(e);
      continue;
    }
    // other commands (flush, destroy, swap) are not part of `ipset save`.
    throw new FirewallParseError(i + 1, `unexpected ipset line "${line.slice(0, 40)}"`);
  }
  return sets;
}

/** Look up a packet in a set: true / false / null when the set type is not evaluated. */
export function ipsetTest(
  set: Ipset,
  addr: Words,
  proto: number,
  port: number,
  iface: string | null,
): boolean | null {
  if (!set.supported) return null;
  let best: IpsetEntry | null = null;
  let bestLen = -1;
  for (const e of set.entries) {
    if (!inNet(addr, e.words, e.mask)) continue;
    if (e.port !== undefined && (e.port !== port || e.proto !== proto)) continue;
    if (e.iface !== undefined) {
      if (iface === null) return null;
      if (e.iface !== iface) continue;
    }
    // Most specific prefix wins (nomatch entries carve holes out of larger ones).
    let len = 0;
    for (const w of e.mask) len += popcount(w);
    if (len > bestLen) {
      best = e;
      bestLen = len;
    }
  }
  return best !== null && !best.nomatch;
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export { parseAddr };
