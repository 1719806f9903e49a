// `ip -4|-6 -j rule show` → PolicyRule[].
//
// Shapes seen in iproute2 JSON: `"src": "all"` for no selector, a prefix split into
// `src`/`srclen` (no srclen: a host address), `"not": null` for negation, `"nop": null`,
// `"goto": N` (older and newer releases also print `"action": "goto"`), `"action": "blackhole"`
// etc. for terminal rules, `fwmark` + `fwmask`, and `suppress_prefixlen`.

import type { AddressFamily, PolicyRule } from '../../model/types.js';
import { HostParseError, type Json, int, parseJsonArray, str } from './parse-util.js';

const TERMINAL = new Set(['blackhole', 'unreachable', 'prohibit']);

// Keys the model represents, plus ones that do not change what a rule matches.
const MODELLED = new Set([
  'priority', 'src', 'srclen', 'dst', 'dstlen', 'not', 'iif', 'oif', 'fwmark', 'fwmask', 'table', 'action',
  'goto', 'nop', 'suppress_prefixlen', 'protocol', 'iif_detached', 'oif_detached', 'unresolved', 'flags',
]);

/**
 * Rules in order of the dump (which is priority order). Selectors the model cannot hold (ipproto,
 * sport/dport, uidrange, tos, l3mdev, ...) are described in `warnings`: dropping them silently
 * would make a narrow rule look like it matches everything.
 */
export function parseIpRules(json: string, family: AddressFamily, warnings?: string[]): PolicyRule[] {
  const what = `ip ${family === 'ipv4' ? '-4' : '-6'} -j rule show`;
  return parseJsonArray(json, what).map((r, i) => {
    const priority = int(r.priority);
    if (priority === null) throw new HostParseError(`${what}: rule ${i} has no priority`);
    const { action, table, target } = actionOf(r, `${what}: rule ${priority}`);
    const supp = int(r.suppress_prefixlen);
    const extra = Object.keys(r).filter((k) => !MODELLED.has(k));
    if (extra.length > 0) warnings?.push(`rule ${priority} has selectors the model does not represent: ${extra.join(', ')}`);
    return {
      family,
      priority,
      invert: 'not' in r,
      from: prefix(r, 'src', 'srclen', family),
      to: prefix(r, 'dst', 'dstlen', family),
      iif: str(r.iif),
      oif: str(r.oif),
      fwmark: fwmarkOf(r),
      action,
      table,
      target,
      // -1 is the kernel's "unset"; iproute2 should not print it, but be safe.
      suppressPrefixLength: supp !== null && supp >= 0 ? supp : null,
    };
  });
}

function actionOf(r: Json, where: string): Pick<PolicyRule, 'action' | 'table' | 'target'> {
  const action = str(r.action);
  if ('goto' in r || action === 'goto') {
    // `"goto": "none"` is a goto to a rule that does not exist (yet); the lookup falls through.
    return { action: 'goto', table: null, target: int(r.goto) };
  }
  if ('nop' in r || action === 'nop') return { action: 'nop', table: null, target: null };
  if (action !== null && TERMINAL.has(action)) {
    return { action: action as 'blackhole' | 'unreachable' | 'prohibit', table: null, target: null };
  }
  if (action !== null && action !== 'lookup' && action !== 'to_tbl') {
    throw new HostParseError(`${where} has unknown action "${action}"`);
  }
  const table = typeof r.table === 'number' ? String(r.table) : str(r.table);
  return { action: 'lookup', table, target: null };
}

function prefix(r: Json, key: string, lenKey: string, family: AddressFamily): string | null {
  const addr = str(r[key]);
  if (addr === null || addr === 'all') return null;
  const len = int(r[lenKey]);
  const host = family === 'ipv4' ? 32 : 128;
  // A selector of length 0 printed as an address ("0/0") matches everything.
  if (addr === '0') return family === 'ipv4' ? `0.0.0.0/${len ?? 0}` : `::/${len ?? 0}`;
  return `${addr}/${len ?? host}`;
}

function fwmarkOf(r: Json): string | null {
  const mark = typeof r.fwmark === 'number' ? `0x${r.fwmark.toString(16)}` : str(r.fwmark);
  if (mark === null) return null;
  const mask = typeof r.fwmask === 'number' ? `0x${r.fwmask.toString(16)}` : str(r.fwmask);
  // A full mask is iproute2's default and is not printed; keep `mark/mask` only when narrowed.
  return mask === null || mask === '0xffffffff' ? mark : `${mark}/${mask}`;
}
