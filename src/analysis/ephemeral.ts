// The client side of a connection uses an ephemeral port (net.ipv4.ip_local_port_range). Its exact
// value is unknowable, but when no firewall rule names a port inside that range, every ephemeral
// port walks the ruleset identically, so one representative decides for all of them — and the
// reply (dport = the client's port) is decided instead of "unknown". Pure: no I/O.

import type { Ruleset } from '../firewall/index.js';
// The range itself is read once, by the state view (view.ephemeralRange).

const cache = new WeakMap<Ruleset, Map<string, number | null>>();

/**
 * A port that stands for every port of `range` in this ruleset, or null when some rule's port
 * match splits the range (then the client port must stay unknown).
 */
export function ephemeralRepresentative(rs: Ruleset, range: [number, number]): number | null {
  const key = `${range[0]}-${range[1]}`;
  const hit = cache.get(rs)?.get(key);
  if (hit !== undefined) return hit;
  const [lo, hi] = range;
  let split = false;
  outer: for (const t of Object.values(rs.tables)) {
    // The nat table sees only the first packet of a connection (the request), where the client
    // port is the source port: its --dport matches test the service port, never the client's.
    const natOnly = t.name === 'nat';
    for (const ch of Object.values(t.chains)) {
      const nat = natOnly || ch.type === 'nat';
      for (const r of ch.rules) {
        for (const m of r.matches) {
          if (m.kind !== 'port' && m.kind !== 'ctorigport') continue;
          if (nat && m.kind === 'port' && m.dir === 'dst') continue;
          for (const [a, b] of m.ranges) {
            const overlaps = a <= hi && b >= lo;
            const covers = a <= lo && b >= hi;
            if (overlaps && !covers) {
              split = true;
              break outer;
            }
          }
        }
        // NAT targets can map ports too (--to-ports): a source port range inside the ephemeral range splits it.
        const tg = r.target;
        const ports = tg.kind === 'masquerade' ? tg.ports : tg.kind === 'snat' ? (tg.to?.ports ?? null) : null;
        if (ports && ports[0] <= hi && ports[1] >= lo && !(ports[0] <= lo && ports[1] >= hi)) {
          split = true;
          break outer;
        }
      }
    }
  }
  const v = split ? null : lo;
  const m = cache.get(rs) ?? new Map<string, number | null>();
  m.set(key, v);
  cache.set(rs, m);
  return v;
}
