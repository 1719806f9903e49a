// `ip -4|-6 -j route show table all` → Route[].
//
// iproute2 omits fields holding the kernel's default, so absence has a meaning that is filled in
// here: no `table` is main, no `type` is unicast, no `protocol` is boot, no `scope` is global
// (universe), and an IPv4 route without `metric` has priority 0 (the kernel sends no
// RTA_PRIORITY for 0; IPv6 always reports one).

import type { AddressFamily, Route, RouteType } from '../../model/types.js';
import { HostParseError, type Json, int, isObj, parseJsonArray, str } from './parse-util.js';

const ROUTE_TYPES: ReadonlySet<string> = new Set<RouteType>([
  'unicast', 'local', 'broadcast', 'multicast', 'anycast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat',
]);

/** Normalizes a destination to CIDR form: `default` → 0.0.0.0/0 or ::/0; a bare host gets /32 or /128. */
export function normalizeDst(dst: string, family: AddressFamily): string {
  if (dst === 'default') return family === 'ipv4' ? '0.0.0.0/0' : '::/0';
  if (dst.includes('/')) return dst;
  return `${dst}/${family === 'ipv4' ? 32 : 128}`;
}

/**
 * `family` is the one the command asked for (-4/-6): a `default` destination carries none.
 * Routes the model can only approximate (multipath, nexthop objects) are described in `warnings`.
 */
export function parseIpRoutes(json: string, family: AddressFamily, warnings?: string[]): Route[] {
  const what = `ip ${family === 'ipv4' ? '-4' : '-6'} -j route show table all`;
  return parseJsonArray(json, what).map((r, i) => {
    const dst = str(r.dst);
    if (dst === null) throw new HostParseError(`${what}: route ${i} has no dst`);
    const type = str(r.type) ?? 'unicast';
    if (!ROUTE_TYPES.has(type)) throw new HostParseError(`${what}: route ${i} to ${dst} has unknown type "${type}"`);
    // Multipath routes carry dev/gateway per nexthop; the model holds one, so the first is kept.
    const hop = Array.isArray(r.nexthops) && isObj(r.nexthops[0]) ? r.nexthops[0] : r;
    const table = tableName(r.table);
    if (Array.isArray(r.nexthops) && r.nexthops.length > 1) {
      warnings?.push(`route ${dst} (table ${table}) has ${r.nexthops.length} nexthops; only the first is recorded`);
    }
    if (r.nhid !== undefined && str(hop.dev) === null && str(r.dev) === null) {
      warnings?.push(`route ${dst} (table ${table}) uses nexthop object ${String(r.nhid)}; its device and gateway are not recorded`);
    }
    return {
      family,
      table,
      type: type as RouteType,
      dst: normalizeDst(dst, family),
      dev: str(hop.dev) ?? str(r.dev),
      gateway: gatewayOf(hop) ?? gatewayOf(r),
      prefsrc: str(r.prefsrc),
      metric: int(r.metric) ?? (family === 'ipv4' ? 0 : null),
      scope: str(r.scope) ?? 'global',
      protocol: str(r.protocol) ?? 'boot',
      mtu: mtuOf(r.metrics),
    };
  });
}

function tableName(v: unknown): string {
  if (typeof v === 'number') return String(v);
  return str(v) ?? 'main';
}

function gatewayOf(r: Json): string | null {
  // RTA_VIA (an IPv4 route via an IPv6 next hop) is printed as {"via": {"family", "host"}}.
  return str(r.gateway) ?? (isObj(r.via) ? str(r.via.host) : null);
}

function mtuOf(metrics: unknown): number | null {
  // `metrics` is a list of one-key objects, e.g. [{"mtu": 1400}, {"advmss": 1360}].
  if (!Array.isArray(metrics)) return isObj(metrics) ? int(metrics.mtu) : null;
  for (const m of metrics) if (isObj(m) && int(m.mtu) !== null) return int(m.mtu);
  return null;
}
