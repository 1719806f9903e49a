// Native nftables JSON (`nft -j list ruleset`), e.g. Docker 29's `ip docker-bridges` table.
//
// Tables of the requested family (ip / ip6, and inet for both) become tables named
// `family:name`; chains keep their hook, priority, type and policy, so the walk runs every base
// chain registered at a hook in priority order (an accept ends only that chain; a drop anywhere
// is final). Rule expressions become the engine's Match / Target: payload ip/ip6 saddr/daddr
// (addresses, prefixes, ranges, anonymous and named sets), meta iifname/oifname (with `*`
// wildcards), meta l4proto/nfproto, th/tcp/udp/sctp sport/dport (values, ranges, sets), ct state,
// fib daddr/saddr type local, counter, comment, log/limit-free verdicts (accept, drop, reject,
// jump, goto, return), dnat/snat/masquerade/redirect, mark. A verdict map (`oifname vmap @m`) is
// expanded into one rule per element (their keys are disjoint, so order and effect are kept).
// Anything else is kept as an `unknown` match or target, so verdicts that depend on it are
// `unknown` and lint reports it.
//
// The iptables-nft compatibility tables (ip/ip6 filter, nat, mangle, raw, security) are left
// out when `skipIptablesTables` is set: they are the same rules `iptables-save` shows.

import { InputError } from '../model/errors.js';
import { parseAddr, parseCidr, prefixMask, formatAddr } from './addr.js';
import { FirewallParseError } from './errors.js';
import { protocolNumber } from './parse-iptables.js';
import type { Chain, Family, Hook, Match, NatTo, ParseOptions, PortRange, Rule, Ruleset, Target, UnknownConstruct, Words } from './types.js';

export interface NftParseOptions extends ParseOptions {
  /** Leave out iptables-nft's own tables (filter, nat, mangle, raw, security in ip/ip6). */
  skipIptablesTables?: boolean;
}

const HOOKS: Record<string, Hook> = { prerouting: 'PREROUTING', input: 'INPUT', forward: 'FORWARD', output: 'OUTPUT', postrouting: 'POSTROUTING' };
const IPT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);

interface NamedSet {
  type: string;
  elem: unknown[];
  map: string | null;
}

class Unsupported extends Error {}

function fail(why: string): never {
  throw new Unsupported(why);
}

export function parseNftJson(text: string, opts: NftParseOptions = {}): Ruleset {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const pos = m ? Number(m[1]) : 0;
    const line = text.slice(0, pos).split('\n').length;
    throw new FirewallParseError(line, `not valid nft JSON: ${(e as Error).message}`);
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) throw new FirewallParseError(1, 'not an `nft -j list ruleset` document (no "nftables" array)');
  const family: Family = opts.family ?? 'ipv4';
  const fams = family === 'ipv4' ? ['ip', 'inet'] : ['ip6', 'inet'];
  const rs: Ruleset = { family, format: 'nft-json', backend: 'nf_tables', tables: {}, unknowns: [], warnings: [], nftHooks: [] };
  const sets = new Map<string, NamedSet>();
  const items = doc.nftables as unknown[];
  const tkey = (f: string, t: string) => `${f}:${t}`;
  const wanted = (f: unknown, t: unknown) =>
    typeof f === 'string' && typeof t === 'string' && fams.includes(f) && !(opts.skipIptablesTables && f !== 'inet' && IPT_TABLES.has(t));
  // Pass 1: tables, chains, sets and maps.
  items.forEach((it, i) => {
    if (!isObj(it)) return;
    if (isObj(it.table) && wanted(it.table.family, it.table.name)) {
      const k = tkey(it.table.family as string, it.table.name as string);
      rs.tables[k] ??= { name: k, line: i + 1, chains: {}, chainOrder: [] };
    } else if (isObj(it.chain) && wanted(it.chain.family, it.chain.table)) {
      const c = it.chain;
      const k = tkey(c.family as string, c.table as string);
      const t = (rs.tables[k] ??= { name: k, line: i + 1, chains: {}, chainOrder: [] });
      const name = String(c.name);
      const chain: Chain = { name, builtin: false, policy: null, counters: null, line: i + 1, rules: [] };
      if (typeof c.hook === 'string') {
        const hook = HOOKS[c.hook];
        if (!hook) rs.warnings.push({ line: i + 1, message: `chain ${k}/${name}: hook ${c.hook} is not modelled; chain ignored` });
        else {
          chain.builtin = true;
          chain.hook = hook;
          chain.priority = typeof c.prio === 'number' ? c.prio : 0;
          chain.type = c.type === 'nat' ? 'nat' : c.type === 'route' ? 'route' : 'filter';
          chain.policy = c.policy === 'drop' ? 'DROP' : 'ACCEPT';
          rs.nftHooks!.push({ table: k, chain: name, hook, priority: chain.priority, family: String(c.family) });
        }
      }
      t.chains[name] = chain;
      t.chainOrder.push(name);
    } else if ((isObj(it.set) || isObj(it.map)) && wanted(((it.set ?? it.map) as J).family, ((it.set ?? it.map) as J).table)) {
      const s = (it.set ?? it.map) as J;
      sets.set(`${tkey(s.family as string, s.table as string)}/${String(s.name)}`, {
        type: String(s.type),
        elem: Array.isArray(s.elem) ? s.elem : [],
        map: typeof s.map === 'string' ? s.map : null,
      });
    }
  });
  // Pass 2: rules.
  const counts = new Map<string, number>();
  items.forEach((it, i) => {
    if (!isObj(it) || !isObj(it.rule) || !wanted(it.rule.family, it.rule.table)) return;
    const r = it.rule;
    const tk = tkey(r.family as string, r.table as string);
    const chainName = String(r.chain);
    const chain = rs.tables[tk]?.chains[chainName];
    if (!chain) throw new FirewallParseError(i + 1, `rule in unknown chain ${tk}/${chainName}`);
    const ck = `${tk}/${chainName}`;
    const index = (counts.get(ck) ?? 0) + 1;
    counts.set(ck, index);
    for (const rule of translateRule(r, tk, chainName, index, i + 1, family, sets, rs)) chain.rules.push(rule);
  });
  // Jumps to chains that do not exist are an error, as in the kernel.
  for (const t of Object.values(rs.tables)) {
    for (const c of Object.values(t.chains)) {
      for (const rule of c.rules) {
        if ((rule.target.kind === 'jump' || rule.target.kind === 'goto') && !t.chains[rule.target.chain]) {
          throw new FirewallParseError(rule.line, `rule ${rule.index} in ${t.name}/${c.name} jumps to missing chain ${rule.target.chain}`);
        }
      }
    }
  }
  rs.nftHooks!.sort((a, b) => a.priority - b.priority);
  return rs;
}

function exprText(e: unknown): string {
  return JSON.stringify(e).slice(0, 200);
}

function translateRule(r: J, table: string, chain: string, index: number, line: number, family: Family, sets: Map<string, NamedSet>, rs: Ruleset): Rule[] {
  const exprs = Array.isArray(r.expr) ? (r.expr as unknown[]) : [];
  const matches: Match[] = [];
  const unknown: UnknownConstruct[] = [];
  let target: Target = { kind: 'none' };
  let targetText = '';
  const parts: string[] = [];
  let vmap: { key: 'in' | 'out'; elems: Array<[string, Target, string]> } | null = null;
  const unk = (kind: UnknownConstruct['kind'], name: string, e: unknown) => {
    const u: UnknownConstruct = { line, kind, name, text: exprText(e), table, chain };
    unknown.push(u);
    rs.unknowns.push(u);
    if (kind !== 'target') matches.push({ kind: 'unknown', module: name, text: exprText(e), line });
  };
  for (const e of exprs) {
    if (!isObj(e)) continue;
    const key = Object.keys(e)[0]!;
    const v = e[key];
    try {
      switch (key) {
        case 'match': {
          const ms = translateMatch(v as J, family, sets, table);
          matches.push(...ms);
          parts.push(matchText(v as J));
          break;
        }
        case 'counter':
          parts.push('counter');
          break;
        case 'accept':
        case 'drop':
          target = { kind: 'verdict', verdict: key === 'accept' ? 'ACCEPT' : 'DROP' };
          targetText = key;
          break;
        case 'reject':
          target = { kind: 'verdict', verdict: 'REJECT' };
          targetText = 'reject';
          break;
        case 'return':
          target = { kind: 'return' };
          targetText = 'return';
          break;
        case 'jump':
        case 'goto':
          target = { kind: key, chain: String((v as J).target) };
          targetText = `${key} ${String((v as J).target)}`;
          break;
        case 'masquerade':
          target = { kind: 'masquerade', ports: null };
          targetText = 'masquerade';
          break;
        case 'dnat':
        case 'snat':
        case 'redirect': {
          const to = natTo(v, family);
          target = key === 'redirect' ? { kind: 'redirect', ports: to?.ports ?? null } : { kind: key, to };
          targetText = `${key}${to ? ` to ${to.text}` : ''}`;
          break;
        }
        case 'log':
          parts.push('log');
          if (target.kind === 'none') target = { kind: 'continue', name: 'log' };
          break;
        case 'notrack':
          target = { kind: 'notrack', name: 'notrack' };
          targetText = 'notrack';
          break;
        case 'vmap': {
          const vm = v as J;
          const k = isObj(vm.key) && isObj(vm.key.meta) ? (vm.key.meta as J).key : null;
          if (k !== 'iifname' && k !== 'oifname') fail('vmap key');
          let elems: unknown[] = [];
          if (typeof vm.data === 'string' && vm.data.startsWith('@')) elems = sets.get(`${table}/${vm.data.slice(1)}`)?.elem ?? fail('missing map');
          else if (isObj(vm.data) && Array.isArray(vm.data.set)) elems = vm.data.set as unknown[];
          else fail('vmap data');
          vmap = {
            key: k === 'iifname' ? 'in' : 'out',
            elems: elems.map((el) => {
              if (!Array.isArray(el) || typeof el[0] !== 'string' || !isObj(el[1])) fail('vmap element');
              const vk = Object.keys(el[1])[0]!;
              const vv = (el[1] as J)[vk] as J | null;
              const t: Target =
                vk === 'jump' || vk === 'goto'
                  ? { kind: vk, chain: String(vv!.target) }
                  : vk === 'accept' || vk === 'drop'
                    ? { kind: 'verdict', verdict: vk === 'accept' ? 'ACCEPT' : 'DROP' }
                    : vk === 'return'
                      ? { kind: 'return' }
                      : fail(`vmap verdict ${vk}`);
              return [el[0], t, vk === 'jump' || vk === 'goto' ? `${vk} ${String(vv!.target)}` : vk];
            }),
          };
          parts.push(`${k} vmap ${typeof vm.data === 'string' ? vm.data : '{…}'}`);
          break;
        }
        case 'mangle': {
          const m = v as J;
          if (isObj(m.key) && isObj(m.key.meta) && (m.key.meta as J).key === 'mark' && typeof m.value === 'number') {
            target = { kind: 'mark', op: 'set', value: m.value >>> 0, mask: 0xffffffff };
            targetText = `meta mark set ${m.value}`;
          } else fail('mangle');
          break;
        }
        default:
          fail(key);
      }
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      const isTarget = ['queue', 'tproxy', 'fwd', 'dup', 'synproxy', 'vmap', 'mangle', 'ct helper'].includes(key);
      unk(isTarget ? 'target' : key === 'match' ? 'match' : 'expression', key === 'match' ? `match (${err.message})` : key, e);
      if (isTarget) {
        target = { kind: 'unknown', name: key, text: exprText(e) };
        targetText = key;
      }
      parts.push(`<${key}?>`);
    }
  }
  if (typeof r.comment === 'string') matches.push({ kind: 'comment', text: r.comment });
  const base = parts.join(' ');
  const text = `${base}${targetText ? `${base ? ' ' : ''}${targetText}` : ''}${typeof r.comment === 'string' ? ` comment "${r.comment}"` : ''}`;
  const mk = (ms: Match[], t: Target, tt: string, txt: string): Rule => ({
    table,
    chain,
    index,
    line,
    text: txt,
    matches: ms,
    target: t,
    targetText: tt,
    counters: null,
    unknown,
    handle: typeof r.handle === 'number' ? r.handle : undefined,
  });
  const vm = vmap as { key: 'in' | 'out'; elems: Array<[string, Target, string]> } | null;
  if (vm) {
    return vm.elems.map(([name, t, tt]) =>
      mk([...matches, ifaceMatch(vm.key, false, name)], t, tt, `${text} [${vm.key === 'in' ? 'iifname' : 'oifname'} "${name}" : ${tt}]`),
    );
  }
  return [mk(matches, target, targetText, text)];
}

function ifaceMatch(dir: 'in' | 'out', neg: boolean, name: string): Match {
  const wildcard = name.endsWith('*') && !name.endsWith('\\*');
  return { kind: 'iface', dir, neg, iface: { name: wildcard ? name.slice(0, -1) : name, wildcard } };
}

function matchText(m: J): string {
  const l = m.left;
  let left = '?';
  if (isObj(l)) {
    if (isObj(l.payload)) left = `${String((l.payload as J).protocol)} ${String((l.payload as J).field)}`;
    else if (isObj(l.meta)) left = `meta ${String((l.meta as J).key)}`;
    else if (isObj(l.ct)) left = `ct ${String((l.ct as J).key)}`;
    else if (isObj(l.fib)) left = `fib ${((l.fib as J).flags as string[] | undefined)?.join(' ') ?? ''} ${String((l.fib as J).result)}`;
    else left = Object.keys(l)[0] ?? '?';
  }
  const op = m.op === '==' || m.op === 'in' ? '' : `${String(m.op)} `;
  return `${left} ${op}${valueText(m.right)}`;
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return /^[@\w.:/-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(valueText).join(',');
  if (isObj(v)) {
    if (isObj(v.prefix)) return `${String((v.prefix as J).addr)}/${String((v.prefix as J).len)}`;
    if (Array.isArray(v.range)) return `${valueText(v.range[0])}-${valueText(v.range[1])}`;
    if (Array.isArray(v.set)) return `{ ${(v.set as unknown[]).map(valueText).join(', ')} }`;
  }
  return JSON.stringify(v);
}

/** Elements of a set value (anonymous set, named set, or a single value). */
function elements(v: unknown, sets: Map<string, NamedSet>, table: string): unknown[] {
  if (typeof v === 'string' && v.startsWith('@')) {
    const s = sets.get(`${table}/${v.slice(1)}`);
    if (!s) fail(`set ${v} not in the ruleset`);
    return s.elem;
  }
  if (isObj(v) && Array.isArray(v.set)) return v.set as unknown[];
  if (Array.isArray(v)) return v;
  return [v];
}

function netOf(v: unknown, family: Family): Array<{ words: Words; mask: Words }> {
  if (typeof v === 'string') {
    const c = parseCidr(v, family);
    if (!c) fail(`address ${v}`);
    return [{ words: c.words, mask: c.mask }];
  }
  if (isObj(v) && isObj(v.prefix)) {
    const c = parseCidr(`${String((v.prefix as J).addr)}/${String((v.prefix as J).len)}`, family);
    if (!c) fail('prefix');
    return [{ words: c.words, mask: c.mask }];
  }
  if (isObj(v) && isObj(v.elem)) return netOf((v.elem as J).val, family);
  if (isObj(v) && Array.isArray(v.range) && family === 'ipv4') {
    // Split an IPv4 range into prefixes.
    const a = parseAddr(String(v.range[0]), family);
    const b = parseAddr(String(v.range[1]), family);
    if (!a || !b) fail('range');
    const out: Array<{ words: Words; mask: Words }> = [];
    let lo = a[0]!;
    const hi = b[0]!;
    while (lo <= hi) {
      let len = 32;
      while (len > 0) {
        const size = 2 ** (32 - (len - 1));
        if (lo % size !== 0 || lo + size - 1 > hi) break;
        len--;
      }
      out.push({ words: [lo], mask: prefixMask(len, 'ipv4') });
      lo += 2 ** (32 - len);
      if (out.length > 64) fail('range too fragmented');
    }
    return out;
  }
  return fail('address value');
}

function portRanges(v: unknown, sets: Map<string, NamedSet>, table: string): PortRange[] {
  return elements(v, sets, table).map((el): PortRange => {
    const x = isObj(el) && isObj(el.elem) ? (el.elem as J).val : el;
    if (typeof x === 'number') return [x, x];
    if (isObj(x) && Array.isArray(x.range) && typeof x.range[0] === 'number' && typeof x.range[1] === 'number') return [x.range[0], x.range[1]];
    return fail('port value');
  });
}

function translateMatch(m: J, family: Family, sets: Map<string, NamedSet>, table: string): Match[] {
  const op = m.op;
  if (op !== '==' && op !== '!=' && op !== 'in') fail(`operator ${String(op)}`);
  const neg = op === '!=';
  const l = m.left;
  const r = m.right;
  if (!isObj(l)) fail('left side');
  if (isObj(l.payload)) {
    const p = l.payload as J;
    const proto = String(p.protocol);
    const field = String(p.field);
    if ((proto === 'ip' || proto === 'ip6') && (field === 'saddr' || field === 'daddr')) {
      if ((proto === 'ip') !== (family === 'ipv4')) fail('address family');
      const dir = field === 'saddr' ? 'src' : 'dst';
      const els = elements(r, sets, table);
      const nets = els.flatMap((x) => netOf(x, family));
      if (nets.length === 1 && els.length === 1) {
        const n = nets[0]!;
        const len = n.mask.reduce((a, w) => a + (w >>> 0).toString(2).replace(/0/g, '').length, 0);
        return [{ kind: 'addr', dir, neg, cidr: `${formatAddr(n.words, family)}/${len}`, words: n.words, mask: n.mask }];
      }
      return [{ kind: 'addrset', dir, neg, nets, text: valueText(r) }];
    }
    if ((proto === 'tcp' || proto === 'udp' || proto === 'sctp' || proto === 'th' || proto === 'udplite') && (field === 'dport' || field === 'sport')) {
      const out: Match[] = [];
      if (proto !== 'th') out.push({ kind: 'proto', neg: false, proto: protocolNumber(proto)!, name: proto });
      out.push({ kind: 'port', dir: field === 'dport' ? 'dst' : 'src', neg, ranges: portRanges(r, sets, table), module: proto === 'th' ? 'th' : proto });
      return out;
    }
    fail(`payload ${proto} ${field}`);
  }
  if (isObj(l.meta)) {
    const key = String((l.meta as J).key);
    if (key === 'iifname' || key === 'oifname') {
      const els = elements(r, sets, table);
      if (els.length !== 1 || typeof els[0] !== 'string') fail('interface set');
      return [ifaceMatch(key === 'iifname' ? 'in' : 'out', neg, els[0])];
    }
    if (key === 'l4proto' || key === 'protocol') {
      const els = elements(r, sets, table);
      if (els.length !== 1) fail('protocol set');
      const n = protocolNumber(els[0] as string | number);
      if (n === null) fail('protocol');
      return [{ kind: 'proto', neg, proto: n, name: String(els[0]) }];
    }
    if (key === 'nfproto') {
      const fam = String(r);
      const is = (fam === 'ipv4') === (family === 'ipv4');
      // A packet of the other family never reaches this ruleset's evaluation.
      return is !== neg ? [] : [{ kind: 'fragment', neg: false }];
    }
    if (key === 'mark' && typeof r === 'number') return [{ kind: 'mark', neg, value: r >>> 0, mask: 0xffffffff }];
    fail(`meta ${key}`);
  }
  if (isObj(l.ct)) {
    const key = String((l.ct as J).key);
    if (key === 'state') {
      const states = elements(r, sets, table).map((s) => String(s).toUpperCase());
      return [{ kind: 'ctstate', neg, states, module: 'conntrack' }];
    }
    if (key === 'status') {
      const states = elements(r, sets, table).map((s) => String(s).toUpperCase()).filter((s) => s === 'DNAT' || s === 'SNAT');
      if (states.length === 0) fail('ct status');
      return [{ kind: 'ctstate', neg, states, module: 'conntrack' }];
    }
    fail(`ct ${key}`);
  }
  if (isObj(l.fib)) {
    const f = l.fib as J;
    const flags = Array.isArray(f.flags) ? (f.flags as string[]) : [];
    if (f.result === 'type' && flags.length === 1 && (flags[0] === 'daddr' || flags[0] === 'saddr')) {
      const types = elements(r, sets, table).map((t) => String(t).toUpperCase());
      return [{ kind: 'addrtype', dir: flags[0] === 'daddr' ? 'dst' : 'src', neg, types, limitIface: null }];
    }
    fail('fib');
  }
  return fail(Object.keys(l)[0] ?? 'expression');
}

function natTo(v: unknown, family: Family): NatTo | null {
  if (!isObj(v)) return null;
  const addr = v.addr;
  let from: Words | null = null;
  let to: Words | null = null;
  let text = '';
  if (typeof addr === 'string') {
    from = to = parseAddr(addr, family);
    if (!from) fail('nat address');
    text = addr;
  } else if (isObj(addr) && Array.isArray(addr.range)) {
    from = parseAddr(String(addr.range[0]), family);
    to = parseAddr(String(addr.range[1]), family);
    if (!from || !to) fail('nat range');
    text = `${String(addr.range[0])}-${String(addr.range[1])}`;
  } else if (addr !== undefined) fail('nat address');
  let ports: PortRange | null = null;
  if (typeof v.port === 'number') ports = [v.port, v.port];
  else if (isObj(v.port) && Array.isArray(v.port.range)) ports = [Number(v.port.range[0]), Number(v.port.range[1])];
  if (ports) text += `${text && family === 'ipv6' ? '' : ''}:${ports[0] === ports[1] ? ports[0] : `${ports[0]}-${ports[1]}`}`;
  return { addrFrom: from, addrTo: to, ports, text };
}

/** iptables tables as nft base chains, with the kernel's standard priorities. */
const STD_PRIO: Record<string, Partial<Record<Hook, number>>> = {
  raw: { PREROUTING: -300, OUTPUT: -300 },
  mangle: { PREROUTING: -150, INPUT: -150, FORWARD: -150, OUTPUT: -150, POSTROUTING: -150 },
  nat: { PREROUTING: -100, OUTPUT: -100, INPUT: 100, POSTROUTING: 100 },
  filter: { INPUT: 0, FORWARD: 0, OUTPUT: 0 },
  security: { INPUT: 50, FORWARD: 50, OUTPUT: 50 },
};

/**
 * One ruleset evaluating iptables' tables and native nftables base chains together, each at its
 * hook in priority order (iptables tables at their standard priorities).
 */
export function mergeWithIptables(ipt: Ruleset, nft: Ruleset): Ruleset {
  if (ipt.family !== nft.family) throw new InputError('iptables and nftables rulesets of different families');
  const out: Ruleset = { family: ipt.family, format: 'nft-json', backend: 'nf_tables', tables: {}, unknowns: [...ipt.unknowns, ...nft.unknowns], warnings: [...ipt.warnings, ...nft.warnings], nftHooks: [] };
  for (const [name, t] of Object.entries(ipt.tables)) {
    const chains: Record<string, Chain> = {};
    for (const [cn, c] of Object.entries(t.chains)) {
      const prio = c.builtin ? STD_PRIO[name]?.[cn as Hook] : undefined;
      chains[cn] = prio === undefined ? c : { ...c, hook: cn as Hook, priority: prio, type: name === 'nat' ? 'nat' : 'filter' };
      if (prio !== undefined) out.nftHooks!.push({ table: name, chain: cn, hook: cn as Hook, priority: prio, family: 'iptables' });
    }
    out.tables[name] = { ...t, chains };
  }
  for (const [name, t] of Object.entries(nft.tables)) out.tables[name] = t;
  out.nftHooks!.push(...(nft.nftHooks ?? []));
  out.nftHooks!.sort((a, b) => a.priority - b.priority);
  return out;
}
