// `ip -j -d link show` + `ip -j addr show` → NetInterface[].
//
// The link dump is authoritative for which interfaces exist (it carries the kind from
// `linkinfo`, which the address dump lacks); addresses are joined in by ifindex.

import type { InterfaceAddress, NetInterface } from '../../model/types.js';
import { HostParseError, type Json, int, isObj, parseJsonArray, str } from './parse-util.js';

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i;

/** Addresses per ifindex from `ip -j addr show`. */
export function parseIpAddr(addrJson: string): Map<number, InterfaceAddress[]> {
  const out = new Map<number, InterfaceAddress[]>();
  for (const [i, link] of parseJsonArray(addrJson, 'ip -j addr show').entries()) {
    const index = int(link.ifindex);
    if (index === null) throw new HostParseError(`ip -j addr show: entry ${i} has no ifindex`);
    const list: InterfaceAddress[] = out.get(index) ?? [];
    const infos = Array.isArray(link.addr_info) ? link.addr_info : [];
    for (const a of infos) {
      // iproute2 prints `{}` placeholders for filtered addresses; they carry nothing.
      if (!isObj(a)) continue;
      const address = str(a.local);
      const prefixLength = int(a.prefixlen);
      if (address === null || prefixLength === null) continue;
      if (a.family === 'inet') list.push({ family: 'ipv4', address, prefixLength });
      else if (a.family === 'inet6') list.push({ family: 'ipv6', address, prefixLength });
    }
    out.set(index, list);
  }
  return out;
}

/**
 * Interfaces from `ip -j -d link show`, with addresses from `ip -j addr show` when given (null:
 * the address dump is not available, every interface gets `addresses: []`).
 */
export function parseInterfaces(linkJson: string, addrJson: string | null): NetInterface[] {
  const links = parseJsonArray(linkJson, 'ip -j -d link show');
  const addrs = addrJson === null ? new Map<number, InterfaceAddress[]>() : parseIpAddr(addrJson);
  const indexByName = new Map<string, number>();
  for (const l of links) {
    const name = str(l.ifname);
    const index = int(l.ifindex);
    if (name !== null && index !== null) indexByName.set(name, index);
  }
  return links.map((l, i) => {
    const name = str(l.ifname);
    if (name === null) throw new HostParseError(`ip -j -d link show: entry ${i} has no ifname`);
    const index = int(l.ifindex);
    const linkinfo = isObj(l.linkinfo) ? l.linkinfo : {};
    const kind = str(linkinfo.info_kind) ?? 'device';
    const address = str(l.address);
    return {
      name,
      index,
      kind,
      mtu: int(l.mtu),
      operState: str(l.operstate) ?? 'UNKNOWN',
      flags: Array.isArray(l.flags) ? l.flags.filter((f): f is string => typeof f === 'string') : [],
      // Tunnels (ipip, gre) report an IP address or nothing here; only a MAC is a MAC.
      mac: address !== null && MAC_RE.test(address) ? address.toLowerCase() : null,
      master: str(l.master),
      // For macvlan/vxlan/vlan the same `link` field names the lower device, not a peer.
      peerIndex: kind === 'veth' ? vethPeerIndex(l, indexByName) : null,
      linkNetnsId: int(l.link_netnsid),
      addresses: index === null ? [] : (addrs.get(index) ?? []),
    };
  });
}

function vethPeerIndex(l: Json, indexByName: Map<string, number>): number | null {
  // Peer in another namespace: iproute2 prints the raw ifindex as `link_index` (with
  // `link_netnsid`); peer in this namespace: its name as `link`, or `ifN` when it has no name here.
  const byIndex = int(l.link_index);
  if (byIndex !== null) return byIndex;
  const link = str(l.link);
  if (link === null) return null;
  const known = indexByName.get(link);
  if (known !== undefined) return known;
  const m = /^if(\d+)$/.exec(link);
  return m ? Number(m[1]) : null;
}
