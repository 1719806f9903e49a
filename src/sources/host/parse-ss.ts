// `ss -H -l -n -t -u -p` (or `ss -H -ltunp`) text → Listener[]; with `-e` (`ss -H -ltun -e`) each
// socket's inode (`ino:NNN`) is read too, so its owner can be found in /proc without `-p`.
//
// Address forms ss prints for a local socket:
//   0.0.0.0:53  127.0.0.11:35000  [::]:80  [::1]:53  [::ffff:127.0.0.1]:9000
//   127.0.0.53%lo:53  0.0.0.0%eth0:68  [fe80::1]%eth0:123   (socket bound to a device)
//   *:80        an IPv6 wildcard socket without IPV6_V6ONLY: it accepts IPv4 too
// The `%iface` binding is dropped (the model has no field for it); see the report/README.

import { isIP } from 'node:net';
import type { AddressFamily, Listener } from '../../model/types.js';
import { HostParseError } from './parse-util.js';

const LINE_RE = /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/;
// Without a netid column (only one of -t/-u given) the line starts with the state.
const LINE_NO_NETID_RE = /^(\S+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/;
const USERS_RE = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=\d+\)/;
// `users:((...))` first when both -p and -e are given; `ino:` is searched after it.
const USERS_BLOCK_RE = /users:\(\(.*?\)\)(?=\s|$)/;
const INO_RE = /(?:^|\s)ino:(\d+)(?=\s|$)/;
const LISTENING_STATES = new Set(['LISTEN', 'UNCONN']);

/** A listener and the inode of its socket (`ino:` of `ss -e`; null without -e or when 0). */
export interface SsListenerSocket {
  listener: Listener;
  inode: number | null;
}

/**
 * `defaultProtocol` is needed only for output without the netid column (`ss -ltn`, `ss -lun`);
 * lines for other socket types (raw, sctp, mptcp) are not listeners of the model and are skipped.
 */
export function parseSsListeners(text: string, defaultProtocol?: 'tcp' | 'udp'): Listener[] {
  return parseSsListenerSockets(text, defaultProtocol).map((s) => s.listener);
}

/** As parseSsListeners, with each listener's socket inode (a dual-stack `*` socket gives two). */
export function parseSsListenerSockets(text: string, defaultProtocol?: 'tcp' | 'udp'): SsListenerSocket[] {
  const out: SsListenerSocket[] = [];
  const lines = text.split('\n');
  for (const [i, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (line === '' || /^(Netid|State)\s/.test(line)) continue; // blank, or header without -H
    let netid: string;
    let state: string;
    let local: string;
    let rest: string | undefined;
    const m = LINE_RE.exec(line);
    if (m && !/^\d+$/.test(m[2]!)) {
      netid = m[1]!;
      state = m[2]!;
      local = m[5]!;
      rest = m[7];
    } else {
      const n = LINE_NO_NETID_RE.exec(line);
      if (!n) throw new HostParseError(`ss: line ${i + 1} is not in the expected format: ${line.slice(0, 120)}`);
      if (!defaultProtocol) throw new HostParseError(`ss: line ${i + 1} has no Netid column; run ss with both -t and -u`);
      netid = defaultProtocol;
      state = n[1]!;
      local = n[4]!;
      rest = n[6];
    }
    if (netid !== 'tcp' && netid !== 'udp') continue;
    if (!LISTENING_STATES.has(state)) continue;
    const process = parseProcess(rest);
    const inode = parseInode(rest);
    for (const { family, address, port } of parseLocal(local, i + 1)) {
      out.push({ listener: { protocol: netid, family, address, port, process }, inode });
    }
  }
  return out;
}

function parseLocal(local: string, lineNo: number): Array<{ family: AddressFamily; address: string; port: number }> {
  const colon = local.lastIndexOf(':');
  if (colon <= 0) throw new HostParseError(`ss: line ${lineNo}: cannot split "${local}" into address and port`);
  const portText = local.slice(colon + 1);
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new HostParseError(`ss: line ${lineNo}: "${portText}" in "${local}" is not a port number`);
  }
  const port = Number(portText);
  // Drop a device binding, outside (`[fe80::1]%eth0`, `127.0.0.53%lo`) or inside brackets.
  let addr = local.slice(0, colon).replace(/%[^\]%]*$/, '');
  if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1);
  addr = addr.replace(/%.*$/, '');
  if (addr === '*') {
    // Dual-stack wildcard: one socket takes both families, so both are claimed.
    return [
      { family: 'ipv4', address: '0.0.0.0', port },
      { family: 'ipv6', address: '::', port },
    ];
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  // A v4-mapped bind is an IPv4 listener in effect: it only ever receives IPv4 traffic.
  if (mapped && isIP(mapped[1]!) === 4) return [{ family: 'ipv4', address: mapped[1]!, port }];
  const v = isIP(addr);
  if (v === 4) return [{ family: 'ipv4', address: addr, port }];
  if (v === 6) return [{ family: 'ipv6', address: addr.toLowerCase(), port }];
  throw new HostParseError(`ss: line ${lineNo}: "${addr}" is not an IP address`);
}

function parseProcess(rest: string | undefined): Listener['process'] {
  if (!rest) return null;
  const m = USERS_RE.exec(rest);
  if (!m) return null;
  return { name: m[1]!, pid: Number(m[2]) };
}

function parseInode(rest: string | undefined): number | null {
  if (!rest) return null;
  const m = INO_RE.exec(rest.replace(USERS_BLOCK_RE, ''));
  if (!m) return null;
  const ino = Number(m[1]);
  return Number.isSafeInteger(ino) && ino > 0 ? ino : null;
}
