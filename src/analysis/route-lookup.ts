// Linux policy routing, as the kernel does it (fib_rules_lookup + fib_table_lookup), over the
// model's Route[] and PolicyRule[]. Pure: no I/O.
//
// - Rules are scanned in priority order. A rule matches when every selector it has matches (from,
//   to, iif, oif, fwmark/mask); `not` inverts the whole match. Locally generated packets carry
//   iif `lo` and, without a bound source, a source of 0.0.0.0 / :: — so `from` selectors narrower
//   than /0 do not match them (what `ip route get DST` shows).
// - Actions: lookup TABLE, goto PRIORITY (to the first rule at that priority; a missing target
//   falls through), nop, and the terminal blackhole (EINVAL), unreachable (ENETUNREACH) and
//   prohibit (EACCES).
// - A table lookup takes the longest matching prefix, then the lowest metric; with an output
//   interface requested, routes through other devices are skipped (the kernel backtracks to
//   shorter prefixes). A `throw` route, or no match, continues with the next rule; blackhole /
//   unreachable / prohibit routes end the lookup with EINVAL / EHOSTUNREACH / EACCES.
// - `suppress_prefixlength N` discards a successful result whose prefix is N bits or shorter and
//   continues with the next rule (error results are never suppressed).
// - When every rule is exhausted: ENETUNREACH ("Network is unreachable").

import type { AddressFamily, PolicyRule, Route } from '../model/types.js';
import { type Addr, containsAddr, parseAddr, parsePrefix } from '../net/addr.js';
import { LpmTable } from '../net/lpm.js';

export interface Packet {
  /** Source address; null/absent for a locally generated packet with no bound source. */
  src?: string | null;
  dst: string;
  /** Input interface. Absent means locally generated (the kernel uses `lo`). */
  iif?: string | null;
  /** Output interface requested (SO_BINDTODEVICE / `ip route get ... oif X`). */
  oif?: string | null;
  fwmark?: number | null;
}

export type RouteErrno = 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EINVAL';
export type FailureKind = 'no-route' | 'unreachable' | 'prohibit' | 'blackhole';

export const ERRNO_MESSAGE: Record<RouteErrno, string> = {
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
};

export interface RuleStep {
  priority: number;
  /** The rule as `ip rule` prints it, roughly. */
  rule: string;
  matched: boolean;
  /** Why it was skipped, or what its action led to. */
  outcome: string;
}

export interface LookupSuccess {
  ok: true;
  route: Route;
  table: string;
  rule: PolicyRule;
  /** Source address the kernel would pick (prefsrc), when known. */
  src: string | null;
  steps: RuleStep[];
}

export interface LookupFailure {
  ok: false;
  errno: RouteErrno;
  kind: FailureKind;
  /** The route (blackhole/unreachable/prohibit) or rule that ended the lookup, if any. */
  route: Route | null;
  table: string | null;
  rule: PolicyRule | null;
  steps: RuleStep[];
}

export type LookupResult = LookupSuccess | LookupFailure;

function makeDefaultRules(family: AddressFamily): readonly PolicyRule[] {
  const r = (priority: number, table: string): PolicyRule =>
    Object.freeze({
      family, priority, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null,
      action: 'lookup', table, target: null, suppressPrefixLength: null,
    } as PolicyRule);
  return Object.freeze(family === 'ipv4' ? [r(0, 'local'), r(32766, 'main'), r(32767, 'default')] : [r(0, 'local'), r(32766, 'main')]);
}
const DEFAULT_RULES = { ipv4: makeDefaultRules('ipv4'), ipv6: makeDefaultRules('ipv6') };

/** The rules a fresh network namespace starts with (one shared, frozen array per family). */
export function defaultRules(family: AddressFamily): readonly PolicyRule[] {
  return DEFAULT_RULES[family];
}

interface CompiledRule {
  rule: PolicyRule;
  text: string;
  from: ReturnType<typeof parsePrefix>;
  to: ReturnType<typeof parsePrefix>;
  mark: number | null;
  mask: number;
}

interface Compiled {
  tables: Map<string, LpmTable<Route>>;
  rules: CompiledRule[];
}

const compiledCache = new WeakMap<readonly Route[], WeakMap<readonly PolicyRule[], Map<AddressFamily, Compiled>>>();

function parseMark(text: string): { mark: number; mask: number } {
  const [m, k] = text.split('/');
  return { mark: Number(m) >>> 0, mask: k === undefined ? 0xffffffff : Number(k) >>> 0 };
}

function compile(routes: readonly Route[], rules: readonly PolicyRule[], family: AddressFamily): Compiled {
  let byRules = compiledCache.get(routes);
  if (!byRules) compiledCache.set(routes, (byRules = new WeakMap()));
  let byFamily = byRules.get(rules);
  if (!byFamily) byRules.set(rules, (byFamily = new Map()));
  const hit = byFamily.get(family);
  if (hit) return hit;
  const tables = new Map<string, LpmTable<Route>>();
  for (const r of routes) {
    if (r.family !== family) continue;
    const p = parsePrefix(r.dst);
    if (!p || p.family !== family) continue;
    let t = tables.get(r.table);
    if (!t) tables.set(r.table, (t = new LpmTable<Route>(family)));
    t.insert(p, r);
  }
  const crules = rules
    .filter((r) => r.family === family)
    .map((rule, i) => ({ rule, i }))
    .sort((a, b) => a.rule.priority - b.rule.priority || a.i - b.i)
    .map(({ rule }) => {
      const fm = rule.fwmark ? parseMark(rule.fwmark) : null;
      return { rule, text: describeRule(rule), from: rule.from ? parsePrefix(rule.from) : null, to: rule.to ? parsePrefix(rule.to) : null, mark: fm?.mark ?? null, mask: fm?.mask ?? 0 };
    });
  const out = { tables, rules: crules };
  byFamily.set(family, out);
  return out;
}

export function describeRule(r: PolicyRule): string {
  const sel: string[] = [];
  if (r.invert) sel.push('not');
  sel.push(`from ${r.from ?? 'all'}`);
  if (r.to) sel.push(`to ${r.to}`);
  if (r.fwmark) sel.push(`fwmark ${r.fwmark}`);
  if (r.iif) sel.push(`iif ${r.iif}`);
  if (r.oif) sel.push(`oif ${r.oif}`);
  let act: string;
  if (r.action === 'lookup') act = `lookup ${r.table ?? 'main'}`;
  else if (r.action === 'goto') act = `goto ${r.target ?? 'none'}`;
  else act = r.action;
  if (r.suppressPrefixLength !== null) act += ` suppress_prefixlength ${r.suppressPrefixLength}`;
  return `${r.priority}: ${sel.join(' ')} ${act}`;
}

function ruleMatches(c: CompiledRule, src: Addr | null, dst: Addr, pkt: Packet, family: AddressFamily): string | null {
  // Returns null when it matches, else the reason it does not (before inversion).
  const r = c.rule;
  if (r.iif !== null && r.iif !== (pkt.iif ?? 'lo')) return `iif is ${pkt.iif ?? 'lo'}, not ${r.iif}`;
  if (r.oif !== null && r.oif !== (pkt.oif ?? null)) return `oif is ${pkt.oif ?? 'unset'}, not ${r.oif}`;
  if (c.mark !== null && (((pkt.fwmark ?? 0) ^ c.mark) & c.mask) !== 0) return `fwmark 0x${(pkt.fwmark ?? 0).toString(16)} does not match ${r.fwmark}`;
  if (c.from) {
    const s = src ?? { family, value: 0n };
    if (!containsAddr(c.from, s)) return `source ${src ? pkt.src : 'unset (0)'} is not in ${r.from}`;
  }
  if (c.to && !containsAddr(c.to, dst)) return `destination ${pkt.dst} is not in ${r.to}`;
  return null;
}

const ROUTE_ERRORS: Partial<Record<Route['type'], { errno: RouteErrno; kind: FailureKind }>> = {
  blackhole: { errno: 'EINVAL', kind: 'blackhole' },
  unreachable: { errno: 'EHOSTUNREACH', kind: 'unreachable' },
  prohibit: { errno: 'EACCES', kind: 'prohibit' },
};

const RULE_ERRORS: Record<'blackhole' | 'unreachable' | 'prohibit', { errno: RouteErrno; kind: FailureKind }> = {
  blackhole: { errno: 'EINVAL', kind: 'blackhole' },
  unreachable: { errno: 'ENETUNREACH', kind: 'unreachable' },
  prohibit: { errno: 'EACCES', kind: 'prohibit' },
};

function metricOf(r: Route): number {
  return r.metric ?? 0;
}

type TableResult = { kind: 'route'; route: Route; length: number } | { kind: 'throw'; route: Route } | { kind: 'none' };

function lookupTable(t: LpmTable<Route> | undefined, dst: Addr, pkt: Packet): TableResult {
  if (!t) return NONE;
  return (
    t.firstMatch<TableResult>(dst, (length, values) => {
      const sorted = values.length > 1 ? [...values].sort((a, b) => metricOf(a) - metricOf(b)) : values;
      for (const r of sorted) {
        if (r.type === 'throw') return { kind: 'throw', route: r };
        if (ROUTE_ERRORS[r.type]) return { kind: 'route', route: r, length };
        // An output interface was requested: routes through other devices do not qualify.
        if (pkt.oif && r.dev !== null && r.dev !== pkt.oif) continue;
        return { kind: 'route', route: r, length };
      }
      return undefined;
    }) ?? NONE
  );
}

const NONE: TableResult = { kind: 'none' };

/**
 * Looks `packet` up in the routes and rules of one namespace. `rules` null means "not captured":
 * callers decide whether to assume the defaults (see defaultRules).
 */
export function routeLookup(routes: readonly Route[], rules: readonly PolicyRule[], packet: Packet): LookupResult {
  const dst = parseAddr(packet.dst);
  if (!dst) throw new Error(`invalid destination address: ${packet.dst}`);
  const family: AddressFamily = dst.family;
  const src = packet.src ? parseAddr(packet.src) : null;
  if (packet.src && (!src || src.family !== family)) throw new Error(`invalid source address for ${family}: ${packet.src}`);
  const c = compile(routes, rules, family);
  const steps: RuleStep[] = [];
  let gotoTarget: number | null = null;
  for (let i = 0; i < c.rules.length; i++) {
    const cr = c.rules[i]!;
    const r = cr.rule;
    if (gotoTarget !== null) {
      if (r.priority < gotoTarget) continue;
      gotoTarget = null;
    }
    const why = ruleMatches(cr, src, dst, packet, family);
    const matched = r.invert ? why !== null : why === null;
    const text = cr.text;
    if (!matched) {
      steps.push({ priority: r.priority, rule: text, matched: false, outcome: r.invert ? 'skipped: selector matched and the rule is inverted (not)' : `skipped: ${why}` });
      continue;
    }
    switch (r.action) {
      case 'nop':
        steps.push({ priority: r.priority, rule: text, matched: true, outcome: 'nop: continue' });
        continue;
      case 'goto': {
        const t = r.target;
        const exists = t !== null && c.rules.some((x) => x.rule.priority === t);
        if (!exists || t === null || t <= r.priority) {
          steps.push({ priority: r.priority, rule: text, matched: true, outcome: `goto ${t ?? 'none'}: no such rule, continue` });
          continue;
        }
        steps.push({ priority: r.priority, rule: text, matched: true, outcome: `goto ${t}` });
        gotoTarget = t;
        continue;
      }
      case 'blackhole':
      case 'unreachable':
      case 'prohibit': {
        const e = RULE_ERRORS[r.action];
        steps.push({ priority: r.priority, rule: text, matched: true, outcome: `${r.action}: ${e.errno}` });
        return { ok: false, errno: e.errno, kind: e.kind, route: null, table: null, rule: r, steps };
      }
      case 'lookup': {
        const tname = r.table ?? 'main';
        const res = lookupTable(c.tables.get(tname), dst, packet);
        if (res.kind === 'none') {
          steps.push({ priority: r.priority, rule: text, matched: true, outcome: `table ${tname}: no matching route, continue` });
          continue;
        }
        if (res.kind === 'throw') {
          steps.push({ priority: r.priority, rule: text, matched: true, outcome: `table ${tname}: throw ${res.route.dst}, continue` });
          continue;
        }
        const e = ROUTE_ERRORS[res.route.type];
        if (e) {
          steps.push({ priority: r.priority, rule: text, matched: true, outcome: `table ${tname}: ${res.route.type} ${res.route.dst}: ${e.errno}` });
          return { ok: false, errno: e.errno, kind: e.kind, route: res.route, table: tname, rule: r, steps };
        }
        if (r.suppressPrefixLength !== null && res.length <= r.suppressPrefixLength) {
          steps.push({ priority: r.priority, rule: text, matched: true, outcome: `table ${tname}: ${res.route.dst} suppressed (/${res.length} ≤ ${r.suppressPrefixLength}), continue` });
          continue;
        }
        steps.push({ priority: r.priority, rule: text, matched: true, outcome: `table ${tname}: ${res.route.type} ${res.route.dst}${res.route.dev ? ` dev ${res.route.dev}` : ''}${res.route.gateway ? ` via ${res.route.gateway}` : ''}` });
        return { ok: true, route: res.route, table: tname, rule: r, src: packet.src ?? res.route.prefsrc, steps };
      }
    }
  }
  return { ok: false, errno: 'ENETUNREACH', kind: 'no-route', route: null, table: null, rule: null, steps };
}
