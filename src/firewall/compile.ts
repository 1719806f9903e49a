// Compilation for speed. Each chain gets a small decision tree over packet fields (protocol,
// in/out interface, destination port, destination/source prefix): a node picks the field that
// best splits the chain's rules into buckets keyed on that field's value, plus a "wild" branch
// for rules that do not constrain it; both are split further. A packet's candidates are the
// union (merged back into chain order) of its bucket and the wild branch at each level. A rule
// that is not a candidate definitely does not match, so walking the candidates in order gives
// the same result as walking the whole chain. Rule tests are compiled to closures.
//
// The naive engine (linear scan, interpreted matches) in evaluate.ts is the reference.

import { maskLength, prefixMask } from './addr.js';
import { evalMatch, hasPorts, NO, UNK, UNKNOWN_PORT, YES, type EvalCtx, type PState, type Tri } from './match.js';
import { buildEngine, type CRule, type Engine } from './walk.js';
import type { Family, Match, Rule, Ruleset } from './types.js';

export interface CompileOptions {
  /** Chains with at most this many rules are scanned linearly (default 6). */
  leafSize?: number;
  /** Maximum tree depth (default 3). */
  maxDepth?: number;
}

export interface CompiledRuleset {
  readonly kind: 'compiled';
  readonly ruleset: Ruleset;
  readonly engine: Engine;
  readonly stats: { chains: number; rules: number; indexedChains: number; bucketEntries: number; compileMs: number };
  /** Lazily built reference engine, used for explanations. */
  naive?: Engine;
}

type Dim = 'proto' | 'iif' | 'oif' | 'dport' | 'dst' | 'src';
const DIMS: Dim[] = ['proto', 'iif', 'oif', 'dport', 'dst', 'src'];
const UNKNOWN_KEY = Symbol('unknown');

type Node =
  | { leaf: true; list: Int32Array }
  | {
      leaf: false;
      dim: Dim;
      /** For dst/src: the prefix mask applied to the packet's address (IPv4 only). */
      mask: number;
      /** Rules keyed on the packet's value for this field (sub-indexed). */
      map: Map<number | string, Node>;
      /** Rules that do not constrain this field (sub-indexed). */
      wild: Node;
      /** Every rule under this node, in order (used when the packet's field is unknown). */
      all: Int32Array;
      /** The (small) wild list is already merged into every bucket. */
      merged: boolean;
    };

function ruleKeys(rule: Rule, dim: Dim, family: Family, maskLen: number): Array<number | string> | null {
  for (const m of rule.matches) {
    switch (dim) {
      case 'proto':
        if (m.kind === 'proto' && !m.neg && m.proto !== 0) return [m.proto];
        break;
      case 'iif':
      case 'oif':
        if (m.kind === 'iface' && !m.neg && !m.iface.wildcard && m.dir === (dim === 'iif' ? 'in' : 'out')) return [m.iface.name];
        break;
      case 'dport':
        if (m.kind === 'port' && !m.neg && m.dir === 'dst') {
          let span = 0;
          for (const [a, b] of m.ranges) span += b - a + 1;
          if (span > 64) break;
          const keys: number[] = [];
          for (const [a, b] of m.ranges) for (let x = a; x <= b; x++) keys.push(x);
          return keys;
        }
        break;
      case 'dst':
      case 'src':
        if (family === 'ipv4' && m.kind === 'addr' && !m.neg && m.dir === dim) {
          const len = maskLength(m.mask);
          if (len >= maskLen && maskLen > 0) return [((m.words[0]! & prefixMask(maskLen, 'ipv4')[0]!) >>> 0)];
        }
        break;
    }
  }
  return null;
}

function prefixLens(rules: Rule[], dim: 'dst' | 'src'): number[] {
  const lens = new Map<number, number>();
  for (const r of rules) {
    for (const m of r.matches) {
      if (m.kind === 'addr' && !m.neg && m.dir === dim) {
        const l = maskLength(m.mask);
        if (l > 0) lens.set(l, (lens.get(l) ?? 0) + 1);
      }
    }
  }
  return [...lens.keys()].sort((a, b) => a - b);
}

interface Budget {
  entries: number;
}


function buildNode(rules: CRule[], idx: number[], depth: number, used: Set<Dim>, family: Family, o: Required<CompileOptions>, budget: Budget): Node {
  const all = Int32Array.from(idx);
  budget.entries += idx.length;
  if (idx.length <= o.leafSize || depth >= o.maxDepth || budget.entries > 8_000_000) return { leaf: true, list: all };
  let best: { dim: Dim; mask: number; buckets: Map<number | string, number[]>; wild: number[]; cost: number } | null = null;
  for (const dim of DIMS) {
    if (used.has(dim)) continue;
    const lens = dim === 'dst' || dim === 'src' ? prefixLens(idx.map((i) => rules[i]!.rule), dim) : [0];
    for (const len of lens) {
      if ((dim === 'dst' || dim === 'src') && (family !== 'ipv4' || len === 0)) continue;
      const buckets = new Map<number | string, number[]>();
      const wild: number[] = [];
      for (const i of idx) {
        const keys = ruleKeys(rules[i]!.rule, dim, family, len);
        if (keys === null) wild.push(i);
        else
          for (const k of keys) {
            let b = buckets.get(k);
            if (!b) buckets.set(k, (b = []));
            if (b[b.length - 1] !== i) b.push(i);
          }
      }
      if (buckets.size === 0) continue;
      let maxB = 0;
      for (const b of buckets.values()) maxB = Math.max(maxB, b.length);
      // The wildcard rules are split further below, so weigh them less than a bucket.
      const cost = maxB + wild.length / 2;
      if (!best || cost < best.cost) best = { dim, mask: len, buckets, wild, cost };
    }
  }
  if (!best || best.cost > idx.length * 0.6) return { leaf: true, list: all };
  const nu = new Set(used);
  nu.add(best.dim);
  const map = new Map<number | string, Node>();
  for (const [k, b] of best.buckets) map.set(k, buildNode(rules, b, depth + 1, nu, family, o, budget));
  const wild = buildNode(rules, best.wild, depth + 1, nu, family, o, budget);
  // A short wild list is copied into each leaf bucket, so a lookup returns one list, no merge.
  let merged = false;
  if (wild.leaf && wild.list.length <= 16 && [...map.values()].every((c) => c.leaf)) {
    merged = true;
    for (const [k, c] of map) {
      const list = mergeLists([(c as { list: Int32Array }).list, wild.list]);
      budget.entries += wild.list.length;
      map.set(k, { leaf: true, list });
    }
  }
  return { leaf: false, dim: best.dim, mask: best.mask > 0 ? prefixMask(best.mask, 'ipv4')[0]! : 0, map, wild, all, merged };
}

function packetKey(node: Node & { leaf: false }, p: PState): number | string | typeof UNKNOWN_KEY {
  switch (node.dim) {
    case 'proto':
      return p.proto;
    case 'iif':
      return p.iif === null ? UNKNOWN_KEY : p.iif;
    case 'oif':
      return p.oif === null ? UNKNOWN_KEY : p.oif;
    case 'dport':
      return p.dport === UNKNOWN_PORT ? UNKNOWN_KEY : p.dport;
    case 'dst':
      return p.dst === null ? UNKNOWN_KEY : (p.dst[0]! & node.mask) >>> 0;
    case 'src':
      return p.src === null ? UNKNOWN_KEY : (p.src[0]! & node.mask) >>> 0;
  }
}


const EMPTY = new Int32Array(0);

/** Candidate lists for p under node, appended to out (each sorted). */
function collect(node: Node, p: PState, out: Int32Array[]): void {
  for (;;) {
    if (node.leaf) {
      if (node.list.length) out.push(node.list);
      return;
    }
    const k = packetKey(node, p);
    if (k === UNKNOWN_KEY) {
      if (node.all.length) out.push(node.all);
      return;
    }
    const child = node.map.get(k);
    if (child) {
      if (node.merged) {
        if (child.leaf) {
          if (child.list.length) out.push(child.list);
          return;
        }
      }
      collect(child, p, out);
    }
    node = node.wild;
  }
}

function mergeLists(lists: Int32Array[]): Int32Array {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0]!;
  if (lists.length === 2) {
    const a = lists[0]!;
    const b = lists[1]!;
    const out = new Int32Array(a.length + b.length);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < a.length && j < b.length) out[n++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
    while (i < a.length) out[n++] = a[i++]!;
    while (j < b.length) out[n++] = b[j++]!;
    return out;
  }
  let total = 0;
  for (const l of lists) total += l.length;
  const out = new Int32Array(total);
  let n = 0;
  for (const l of lists) {
    out.set(l, n);
    n += l.length;
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// Allocation-free candidate lookup for the fast path: the lists are gathered into a module
// scratch array and, when there are several, merged into a buffer owned by the chain (a chain is
// never on the jump stack twice: netfilter rejects loops). The length is returned in CAND.len.

/** Length of the array the last fast candidate lookup returned. */
export const CAND = { len: 0 };
const LISTS: Int32Array[] = [];
let nLists = 0;

function collectFast(node: Node, p: PState): void {
  for (;;) {
    if (node.leaf) {
      if (node.list.length) LISTS[nLists++] = node.list;
      return;
    }
    const k = packetKey(node, p);
    if (k === UNKNOWN_KEY) {
      if (node.all.length) LISTS[nLists++] = node.all;
      return;
    }
    const child = node.map.get(k);
    if (child) {
      if (node.merged && child.leaf) {
        if (child.list.length) LISTS[nLists++] = child.list;
        return;
      }
      collectFast(child, p);
    }
    node = node.wild;
  }
}

function mergeInto(a: Int32Array, an: number, b: Int32Array, bn: number, out: Int32Array): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < an && j < bn) out[n++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
  while (i < an) out[n++] = a[i++]!;
  while (j < bn) out[n++] = b[j++]!;
  return n;
}

function fastLookup(root: Node, p: PState, bufA: Int32Array, bufB: Int32Array): Int32Array {
  nLists = 0;
  collectFast(root, p);
  if (nLists === 0) {
    CAND.len = 0;
    return EMPTY;
  }
  if (nLists === 1) {
    const l = LISTS[0]!;
    CAND.len = l.length;
    return l;
  }
  let cur = bufA;
  let other = bufB;
  let n = mergeInto(LISTS[0]!, LISTS[0]!.length, LISTS[1]!, LISTS[1]!.length, cur);
  for (let i = 2; i < nLists; i++) {
    n = mergeInto(cur, n, LISTS[i]!, LISTS[i]!.length, other);
    const t = cur;
    cur = other;
    other = t;
  }
  CAND.len = n;
  return cur;
}

function lookup(root: Node, p: PState): Int32Array {
  const lists: Int32Array[] = [];
  collect(root, p, lists);
  return mergeLists(lists);
}

// ---------------------------------------------------------------------------------------------
// Closure compilation of matches

type MFn = (p: PState, cx: EvalCtx) => Tri;

function compileMatch(m: Match, family: Family): MFn {
  switch (m.kind) {
    case 'addr': {
      if (family !== 'ipv4') break;
      const net = m.words[0]!;
      const mask = m.mask[0]!;
      const hit = m.neg ? NO : YES;
      const miss = m.neg ? YES : NO;
      if (m.dir === 'src') return (p) => (p.src === null ? UNK : ((p.src[0]! & mask) >>> 0) === net ? hit : miss);
      return (p) => (p.dst === null ? UNK : ((p.dst[0]! & mask) >>> 0) === net ? hit : miss);
    }
    case 'iface': {
      const name = m.iface.name;
      const hit = m.neg ? NO : YES;
      const miss = m.neg ? YES : NO;
      const wild = m.iface.wildcard;
      if (m.dir === 'in') {
        return wild
          ? (p) => (p.iif === null ? UNK : p.iif === '' ? miss : p.iif.startsWith(name) ? hit : miss)
          : (p) => (p.iif === null ? UNK : p.iif === '' ? miss : p.iif === name ? hit : miss);
      }
      return wild
        ? (p) => (p.oif === null ? UNK : p.oif === '' ? miss : p.oif.startsWith(name) ? hit : miss)
        : (p) => (p.oif === null ? UNK : p.oif === '' ? miss : p.oif === name ? hit : miss);
    }
    case 'proto': {
      const pr = m.proto;
      const hit = m.neg ? NO : YES;
      const miss = m.neg ? YES : NO;
      if (pr === 0) return () => hit;
      return (p) => (p.proto === pr ? hit : miss);
    }
    case 'port': {
      if (m.dir === 'any' || m.ranges.length !== 1) break;
      const [lo, hi] = m.ranges[0]!;
      const hit = m.neg ? NO : YES;
      const miss = m.neg ? YES : NO;
      if (m.dir === 'dst') return (p) => (!hasPorts(p.proto) ? NO : p.dport === UNKNOWN_PORT ? UNK : p.dport >= lo && p.dport <= hi ? hit : miss);
      return (p) => (!hasPorts(p.proto) ? NO : p.sport === UNKNOWN_PORT ? UNK : p.sport >= lo && p.sport <= hi ? hit : miss);
    }
    case 'ctstate': {
      if (m.states.some((s) => s === 'DNAT' || s === 'SNAT')) break;
      const set = new Set(m.states);
      const hit = m.neg ? NO : YES;
      const miss = m.neg ? YES : NO;
      return (p) => (set.has(p.ct) ? hit : miss);
    }
    case 'comment':
      return () => YES;
    default:
      break;
  }
  return (p, cx) => evalMatch(m, p, cx);
}

const COST: Partial<Record<Match['kind'], number>> = { iface: 0, proto: 1, port: 2, addr: 3, ctstate: 4 };

export function compileRuleTest(rule: Rule, family: Family): MFn {
  const ms = rule.matches.filter((m) => m.kind !== 'comment').slice();
  ms.sort((a, b) => (COST[a.kind] ?? 9) - (COST[b.kind] ?? 9));
  const fns = ms.map((m) => compileMatch(m, family));
  if (fns.length === 0) return () => YES;
  if (fns.length === 1) return fns[0]!;
  if (fns.length === 2) {
    const [f0, f1] = fns as [MFn, MFn];
    return (p, cx) => {
      const a = f0(p, cx);
      if (a === NO) return NO;
      const b = f1(p, cx);
      if (b === NO) return NO;
      return a === UNK || b === UNK ? UNK : YES;
    };
  }
  if (fns.length === 3) {
    const [f0, f1, f2] = fns as [MFn, MFn, MFn];
    return (p, cx) => {
      const a = f0(p, cx);
      if (a === NO) return NO;
      const b = f1(p, cx);
      if (b === NO) return NO;
      const c = f2(p, cx);
      if (c === NO) return NO;
      return a === UNK || b === UNK || c === UNK ? UNK : YES;
    };
  }
  return (p, cx) => {
    let r: Tri = YES;
    for (let i = 0; i < fns.length; i++) {
      const x = fns[i]!(p, cx);
      if (x === NO) return NO;
      if (x === UNK) r = UNK;
    }
    return r;
  };
}

/** Compile a parsed ruleset once for fast evaluation of many flows. */
export function compileRuleset(ruleset: Ruleset, opts: CompileOptions = {}): CompiledRuleset {
  const t0 = performance.now();
  const o: Required<CompileOptions> = { leafSize: opts.leafSize ?? 6, maxDepth: opts.maxDepth ?? 3 };
  let indexed = 0;
  let chains = 0;
  let rulesN = 0;
  const budget: Budget = { entries: 0 };
  const fastFns = new Map<string, (p: PState) => Int32Array>();
  const engine = buildEngine(
    ruleset,
    (_table, _name, rules) => {
      chains++;
      rulesN += rules.length;
      const idx = rules.map((_, i) => i);
      const root = buildNode(rules, idx, 0, new Set(), ruleset.family, o, budget);
      const key = `${_table}\u0000${_name}`;
      if (root.leaf) {
        const list = root.list;
        fastFns.set(key, () => {
          CAND.len = list.length;
          return list;
        });
        return () => list;
      }
      indexed++;
      const bufA = new Int32Array(rules.length);
      const bufB = new Int32Array(rules.length);
      fastFns.set(key, (p) => fastLookup(root, p, bufA, bufB));
      return (p) => lookup(root, p);
    },
    (rule) => compileRuleTest(rule, ruleset.family),
  );
  for (const [key, c] of engine.chains) {
    const f = fastFns.get(key);
    if (f) c.fast = f;
  }
  return {
    kind: 'compiled',
    ruleset,
    engine,
    stats: { chains, rules: rulesN, indexedChains: indexed, bucketEntries: budget.entries, compileMs: performance.now() - t0 },
  };
}
