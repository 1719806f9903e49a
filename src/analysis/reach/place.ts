// Where a subject's packets start or end: the network namespace it lives in. Built on the view's
// namespace owners (`netnsOf`), plus the two places reach also meets: an address nobody on this
// host holds, and a container whose `container:` namespace owner is not in the state.

import type { Container } from '../../model/types.js';
import { type StateView, type Subject, bareName } from '../../model/view.js';
import { canonicalAddr } from '../../net/addr.js';

export type Place =
  /** The host's own namespace (the host, a host-network container, a host address). */
  | { kind: 'host' }
  /** The namespace a container owns (`owner` is where `container:` mode leads). */
  | { kind: 'container'; owner: Container }
  /** An address no container and no host interface holds: somewhere beyond this host. */
  | { kind: 'outside'; address: string }
  /** A container whose namespace owner is missing from the state (or a `container:` cycle). */
  | { kind: 'missing'; container: Container };

/** A place whose sockets the state may hold. */
export type LocalPlace = Extract<Place, { kind: 'host' | 'container' }>;

export const HOST_PLACE: Place = { kind: 'host' };

export function placeOfContainer(view: StateView, c: Container): Place {
  const ns = view.netnsOf(c);
  if (!ns) return { kind: 'missing', container: c };
  return ns.kind === 'host' ? HOST_PLACE : { kind: 'container', owner: ns.owner };
}

/** Who holds an address: a container's namespace, the host, or nobody here. */
export function placeOfAddress(view: StateView, address: string): Place {
  const c = view.containerByAddress(address);
  if (c) return placeOfContainer(view, c);
  if (view.hostHasAddress(address)) return HOST_PLACE;
  return { kind: 'outside', address: canonicalAddr(address) };
}

export function placeOf(view: StateView, s: Subject): Place {
  if (s.kind === 'host') return HOST_PLACE;
  if (s.kind === 'container') return placeOfContainer(view, s.container);
  return placeOfAddress(view, s.address);
}

export function samePlace(a: Place, b: Place): boolean {
  switch (a.kind) {
    case 'host':
      return b.kind === 'host';
    case 'container':
      return b.kind === 'container' && a.owner.id === b.owner.id;
    case 'outside':
      return b.kind === 'outside' && a.address === b.address;
    case 'missing':
      return b.kind === 'missing' && a.container.id === b.container.id;
  }
}

/** `container:web` or `host`: the `where` of hops in a place. */
export function placeLabel(p: LocalPlace): string {
  return p.kind === 'host' ? 'host' : `container:${bareName(p.owner.name)}`;
}
