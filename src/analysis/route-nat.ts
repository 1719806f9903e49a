// Source NAT at the host's egress, read from raw `iptables-save` text. Deliberately simple and
// honest: only nat/POSTROUTING rules whose matches are -s/-d/-o/-i (optionally negated) are
// evaluated, in order; a rule with other matches (ports, modules) is skipped and listed, and a
// jump to a user chain is not followed. The answer says which rule decided, or why NAT was not
// evaluated.

import type { Host } from '../model/types.js';
import { type Addr, containsAddr, parseAddr, parsePrefix } from '../net/addr.js';

export interface NatNote {
  /** masquerade / snat: applied per `rule`; none: no rule applies; unknown: not evaluated. */
  kind: 'masquerade' | 'snat' | 'none' | 'unknown';
  rule: string | null;
  message: string;
}

interface PostRule {
  text: string;
  s: { neg: boolean; p: ReturnType<typeof parsePrefix> } | null;
  d: { neg: boolean; p: ReturnType<typeof parsePrefix> } | null;
  o: { neg: boolean; dev: string } | null;
  target: string;
  toSource: string | null;
  unsupported: string[];
}

const parsedCache = new WeakMap<object, Map<string, PostRule[]>>();

function ifaceMatch(pattern: string, dev: string): boolean {
  return pattern.endsWith('+') ? dev.startsWith(pattern.slice(0, -1)) : pattern === dev;
}

function parsePostrouting(text: string): PostRule[] {
  const out: PostRule[] = [];
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    if (table !== 'nat' || !line.startsWith('-A POSTROUTING ')) continue;
    const tok = line.split(/\s+/).slice(2);
    const rule: PostRule = { text: line, s: null, d: null, o: null, target: '', toSource: null, unsupported: [] };
    let neg = false;
    for (let i = 0; i < tok.length; i++) {
      const t = tok[i]!;
      if (t === '!') {
        neg = true;
        continue;
      }
      const v = tok[i + 1] ?? '';
      if (t === '-s' || t === '--source') (rule.s = { neg, p: parsePrefix(v) }), i++;
      else if (t === '-d' || t === '--destination') (rule.d = { neg, p: parsePrefix(v) }), i++;
      else if (t === '-o' || t === '--out-interface') (rule.o = { neg, dev: v }), i++;
      else if (t === '-j') (rule.target = v), i++;
      else if (t === '--to-source') (rule.toSource = v), i++;
      else if (t === '-m' && v === 'comment') {
        i += 1;
        if (tok[i + 1] === '--comment') i += 2;
      } else if (rule.target && t.startsWith('--')) {
        // target options (e.g. --random): ignore
        if (tok[i + 1] && !tok[i + 1]!.startsWith('-')) i++;
      } else {
        rule.unsupported.push(t === '-m' || t === '-p' ? `${t} ${v}` : t);
        if (tok[i + 1] && !tok[i + 1]!.startsWith('-') && tok[i + 1] !== '!') i++;
      }
      neg = false;
    }
    out.push(rule);
  }
  return out;
}

function prefixMatch(m: PostRule['s'], a: Addr): boolean | null {
  if (!m) return true;
  if (!m.p) return null;
  const hit = containsAddr(m.p, a);
  return m.neg ? !hit : hit;
}

/** Source NAT for a packet from `src` to `dst` leaving the host through `oif`. */
export function egressNat(host: Host, src: string, dst: string, oif: string): NatNote {
  const fw = host.firewall;
  if (fw.status === 'unavailable' || !fw.value) {
    return { kind: 'unknown', rule: null, message: `NAT not evaluated: firewall unavailable${fw.reason ? ` (${fw.reason})` : ''}` };
  }
  const s = parseAddr(src);
  const d = parseAddr(dst);
  if (!s || !d) return { kind: 'unknown', rule: null, message: 'NAT not evaluated: addresses not parseable' };
  const text = s.family === 'ipv4' ? fw.value.iptablesSave : fw.value.ip6tablesSave;
  if (!text) {
    return { kind: 'unknown', rule: null, message: `NAT not evaluated: no ${s.family === 'ipv4' ? 'iptables-save' : 'ip6tables-save'} evidence${fw.value.nftJson ? ' (nft rulesets are not evaluated here)' : ''}` };
  }
  let byText = parsedCache.get(fw.value);
  if (!byText) parsedCache.set(fw.value, (byText = new Map()));
  let rules = byText.get(text);
  if (!rules) byText.set(text, (rules = parsePostrouting(text)));
  const skipped: string[] = [];
  for (const r of rules) {
    const sm = prefixMatch(r.s, s);
    const dm = prefixMatch(r.d, d);
    const om = r.o ? ifaceMatch(r.o.dev, oif) !== r.o.neg : true;
    if (sm === false || dm === false || !om) continue;
    if (sm === null || dm === null) {
      return { kind: 'unknown', rule: r.text, message: `NAT not evaluated: cannot parse an address in rule "${r.text}"` };
    }
    if (r.unsupported.length > 0) {
      skipped.push(r.text);
      continue;
    }
    if (r.target === 'MASQUERADE') {
      return { kind: 'masquerade', rule: r.text, message: `masquerade per rule "${r.text}" (source becomes ${oif}'s address)` };
    }
    if (r.target === 'SNAT') {
      return { kind: 'snat', rule: r.text, message: `SNAT to ${r.toSource ?? '?'} per rule "${r.text}"` };
    }
    if (r.target === 'ACCEPT' || r.target === 'RETURN') {
      return { kind: 'none', rule: r.text, message: `no source NAT: rule "${r.text}" accepts first` };
    }
    return { kind: 'unknown', rule: r.text, message: `NAT not evaluated: rule "${r.text}" jumps to ${r.target || '(nothing)'}, which is not followed` };
  }
  const tail = skipped.length > 0 ? ` (${skipped.length} rule(s) with port/module matches not evaluated)` : '';
  return { kind: skipped.length > 0 ? 'unknown' : 'none', rule: null, message: `no source NAT rule applies in nat/POSTROUTING${tail}` };
}
