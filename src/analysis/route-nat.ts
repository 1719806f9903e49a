// Source NAT at the host's egress, from the host's ruleset as the firewall engine parsed it (one
// parser for all). Deliberately simple and honest: only nat/POSTROUTING rules whose matches are
// source, destination and interfaces (optionally negated) are evaluated, in order; a rule with
// other matches (ports, modules) is skipped and listed, and a jump to a user chain is not
// followed. The answer says which rule decided, or why NAT was not evaluated. Pure: no I/O.

import { inNet, parseAddr as parseWords } from '../firewall/addr.js';
import type { Rule } from '../firewall/index.js';
import type { Host } from '../model/types.js';
import { familyOf } from '../net/addr.js';
import { hostRuleset } from './firewall-flow.js';

export interface NatNote {
  /** masquerade / snat: applied per `rule`; none: no rule applies; unknown: not evaluated. */
  kind: 'masquerade' | 'snat' | 'none' | 'unknown';
  rule: string | null;
  message: string;
}

/** Whether the rule's source/destination/interface matches hold; null when it has other matches. */
function simpleMatch(r: Rule, src: number[], dst: number[], oif: string): boolean | null {
  let supported = true;
  for (const m of r.matches) {
    if (m.kind === 'comment') continue;
    if (m.kind === 'addr') {
      const hit = inNet(m.dir === 'src' ? src : dst, m.words, m.mask);
      if (hit === m.neg) return false;
    } else if (m.kind === 'iface' && m.dir === 'out') {
      const hit = m.iface.wildcard ? oif.startsWith(m.iface.name) : oif === m.iface.name;
      if (hit === m.neg) return false;
    } else supported = false;
  }
  return supported ? true : null;
}

/** Source NAT for a packet from `src` to `dst` leaving the host through `oif`. */
export function egressNat(host: Host, src: string, dst: string, oif: string): NatNote {
  const fw = host.firewall;
  if (fw.status === 'unavailable' || !fw.value) {
    return { kind: 'unknown', rule: null, message: `NAT not evaluated: firewall unavailable${fw.reason ? ` (${fw.reason})` : ''}` };
  }
  const family = familyOf(src);
  const s = family ? parseWords(src, family) : null;
  const d = family ? parseWords(dst, family) : null;
  if (!family || !s || !d) return { kind: 'unknown', rule: null, message: 'NAT not evaluated: addresses not parseable' };
  const text = family === 'ipv4' ? fw.value.iptablesSave : fw.value.ip6tablesSave;
  if (!text) {
    return { kind: 'unknown', rule: null, message: `NAT not evaluated: no ${family === 'ipv4' ? 'iptables-save' : 'ip6tables-save'} evidence${fw.value.nftJson ? ' (nft rulesets are not evaluated here)' : ''}` };
  }
  const hr = hostRuleset(host, family);
  if (!hr.ruleset) return { kind: 'unknown', rule: null, message: `NAT not evaluated: ${hr.unavailable?.message ?? 'no ruleset'}` };
  const rules = hr.ruleset.tables['nat']?.chains['POSTROUTING']?.rules ?? [];
  const skipped: string[] = [];
  for (const r of rules) {
    const m = simpleMatch(r, s, d, oif);
    if (m === false) continue;
    if (m === null) {
      skipped.push(r.text);
      continue;
    }
    const t = r.target;
    if (t.kind === 'masquerade') return { kind: 'masquerade', rule: r.text, message: `masquerade per rule "${r.text}" (source becomes ${oif}'s address)` };
    if (t.kind === 'snat') return { kind: 'snat', rule: r.text, message: `SNAT to ${t.to?.text ?? '?'} per rule "${r.text}"` };
    if ((t.kind === 'verdict' && t.verdict === 'ACCEPT') || t.kind === 'return') return { kind: 'none', rule: r.text, message: `no source NAT: rule "${r.text}" accepts first` };
    if (t.kind === 'none' || t.kind === 'continue') continue;
    const to = t.kind === 'jump' || t.kind === 'goto' ? t.chain : r.targetText || '(nothing)';
    return { kind: 'unknown', rule: r.text, message: `NAT not evaluated: rule "${r.text}" jumps to ${to}, which is not followed` };
  }
  const tail = skipped.length > 0 ? ` (${skipped.length} rule(s) with port/module matches not evaluated)` : '';
  return { kind: skipped.length > 0 ? 'unknown' : 'none', rule: null, message: `no source NAT rule applies in nat/POSTROUTING${tail}` };
}
