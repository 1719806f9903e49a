// Probe safety: who owns an address in the model. An active probe may only go to an address that
// belongs to something the model describes (a container endpoint, a Docker network's gateway or
// subnet, a host interface, or the probing namespace's own loopback); anything else is "external"
// and is refused unless the user explicitly allows it. A CI gate must never stumble off the host.
// Pure: no I/O.

import type { NetworkState } from '../model/types.js';
import { containsAddr, formatAddr, parseAddr, parsePrefix } from '../net/addr.js';

export type AddressOwner =
  | { kind: 'container'; address: string; container: string; containerId: string; network: string }
  | { kind: 'gateway'; address: string; network: string }
  | { kind: 'subnet'; address: string; network: string; subnet: string }
  | { kind: 'host'; address: string; host: string; interface: string }
  | { kind: 'loopback'; address: string };

/** What in the model owns `ip`, most specific first; null when nothing does (or `ip` is not an address). */
export function addressOwner(state: NetworkState, ip: string): AddressOwner | null {
  const a = parseAddr(ip);
  if (!a) return null;
  const address = formatAddr(a);
  const same = (text: string | null | undefined): boolean => {
    if (!text) return false;
    const b = parseAddr(text.split('/')[0]!);
    return !!b && b.family === a.family && b.value === a.value;
  };

  for (const c of state.containers) {
    for (const ep of c.endpoints) {
      if (same(ep.ipv4?.address) || same(ep.ipv6?.address)) {
        return { kind: 'container', address, container: c.name, containerId: c.id, network: ep.networkName };
      }
    }
  }
  for (const n of state.networks) {
    for (const cfg of n.ipam.configs) {
      if (same(cfg.gateway)) return { kind: 'gateway', address, network: n.name };
    }
  }
  for (const h of state.hosts) {
    for (const i of h.interfaces.value ?? []) {
      if (i.addresses.some((x) => same(x.address))) return { kind: 'host', address, host: h.name, interface: i.name };
    }
  }
  // Loopback is the probing namespace itself (the source container's own lo).
  const lo = parsePrefix(a.family === 'ipv4' ? '127.0.0.0/8' : '::1/128')!;
  if (containsAddr(lo, a)) return { kind: 'loopback', address };
  for (const n of state.networks) {
    for (const cfg of n.ipam.configs) {
      const p = cfg.subnet ? parsePrefix(cfg.subnet) : null;
      if (p && containsAddr(p, a)) return { kind: 'subnet', address, network: n.name, subnet: cfg.subnet! };
    }
  }
  return null;
}

/** One line saying who owns the address, for probe details. */
export function describeOwner(o: AddressOwner): string {
  switch (o.kind) {
    case 'container':
      return `${o.address} is container ${o.container} on ${o.network}`;
    case 'gateway':
      return `${o.address} is the gateway of network ${o.network}`;
    case 'subnet':
      return `${o.address} is inside ${o.subnet} of network ${o.network}`;
    case 'host':
      return `${o.address} is on interface ${o.interface} of host ${o.host}`;
    case 'loopback':
      return `${o.address} is loopback (the probing namespace itself)`;
  }
}

/**
 * Why a probe to `ip` must not be sent, or null when it may. `allowExternal` lets an operator
 * probe an address the model does not know (never the default).
 */
export function probeScopeRefusal(state: NetworkState, ip: string, allowExternal = false): string | null {
  if (!parseAddr(ip)) return `${JSON.stringify(ip)} is not an IP address`;
  if (allowExternal) return null;
  if (addressOwner(state, ip)) return null;
  return `${ip} belongs to no container, Docker network or host interface in the model; probing it needs allowExternal (--allow-external)`;
}
