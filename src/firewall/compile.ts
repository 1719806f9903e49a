// Compilation for speed. Each chain gets a small decision tree over packet fields (protocol,
// in/out interface, destination port, destination/source prefix): a node picks the field that
// best splits the chain's rules into buckets keyed on that field's value, plus a "wild" branch
// for rules that do not constrain it; both are split further. A packet's candidates are the
// union (merged back into chain order) of its bucket and the wild branch at each level. A rule
// that is not a candidate definitely does not match, so walking the candidates in order gives
// the same result as walking the whole chain. The full walk's rule tests are closures; the fast
// path walks the flat program (layout: program.ts) built at the end of this file.
//
// The naive engine (linear scan, interpreted matches) in evaluate.ts is the reference.

import { maskLength, prefixMask } from './addr.js';
import { evalMatch, hasPorts, NO, UNK, UNKNOWN_PORT, YES, type EvalCtx, type PState, type Tri } from './match.js';
import {
  CHAIN_FILTER,
  CHAIN_NFT,
  CT_BITS,
  DIM_CODE,
  F_CT,
  F_CT_NEG,
  F_DPORT,
  F_DST,
  F_IN,
  F_NEVER,
  F_OUT,
  F_PROTO,
  F_PROTO_NEG,
  F_REST,
  F_SPORT,
  F_SRC,
  HASH_STRIDE,
  HOOK_ORDER,
  IfaceTable,
  NAT_ADDR,
  NAT_PORTS,
  NAT_STRIDE,
  NAT_TO,
  NODE_INNER,
  NODE_LEAF,
  packRules,
  targetCode,
  type Program,
} from './program.js';
import { buildEngine, type CRule, type Engine } from './walk.js';
import type { DecidedBy, Family, Match, Rule, Ruleset } from './types.js';

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
  /** The flat form the allocation-free fast path walks (fast.ts). */
  readonly program: Program;
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

/**
 * What each rule pins per tree dimension, computed once per chain (the tree builder tries every
 * dimension at every node). A rule is keyed by a positive match only: the packet's field must
 * then equal the key for the rule to match, so a rule not in the packet's bucket cannot match.
 */
interface KeyInfo {
  proto: number;
  iif: string | null;
  oif: string | null;
  dports: number[] | null;
  /** IPv4 only; len -1 = no usable positive match. */
  dstAddr: number;
  dstLen: number;
  srcAddr: number;
  srcLen: number;
}

function keyInfo(rule: Rule, family: Family): KeyInfo {
  const k: KeyInfo = { proto: -1, iif: null, oif: null, dports: null, dstAddr: 0, dstLen: -1, srcAddr: 0, srcLen: -1 };
  for (const m of rule.matches) {
    if (m.kind === 'proto') {
      if (k.proto < 0 && !m.neg && m.proto !== 0) k.proto = m.proto;
    } else if (m.kind === 'iface') {
      if (m.neg || m.iface.wildcard) continue;
      if (m.dir === 'in') k.iif ??= m.iface.name;
      else k.oif ??= m.iface.name;
    } else if (m.kind === 'port') {
      if (k.dports || m.neg || m.dir !== 'dst') continue;
      let span = 0;
      for (const [a, b] of m.ranges) span += b - a + 1;
      if (span > 64) continue;
      const keys: number[] = [];
      for (const [a, b] of m.ranges) for (let x = a; x <= b; x++) if (keys[keys.length - 1] !== x) keys.push(x);
      k.dports = keys;
    } else if (m.kind === 'addr' && family === 'ipv4' && !m.neg) {
      const len = maskLength(m.mask);
      if (len <= 0) continue;
      if (m.dir === 'dst' && k.dstLen < 0) {
        k.dstAddr = m.words[0]!;
        k.dstLen = len;
      } else if (m.dir === 'src' && k.srcLen < 0) {
        k.srcAddr = m.words[0]!;
        k.srcLen = len;
      }
    }
  }
  return k;
}

function prefixLens(infos: KeyInfo[], idx: number[], dim: 'dst' | 'src'): number[] {
  const lens = new Set<number>();
  for (const i of idx) {
    const l = dim === 'dst' ? infos[i]!.dstLen : infos[i]!.srcLen;
    if (l > 0) lens.add(l);
  }
  return [...lens].sort((a, b) => a - b);
}

interface Budget {
  entries: number;
}


function buildNode(infos: KeyInfo[], idx: number[], depth: number, used: Set<Dim>, family: Family, o: Required<CompileOptions>, budget: Budget): Node {
  const all = Int32Array.from(idx);
  budget.entries += idx.length;
  if (idx.length <= o.leafSize || depth >= o.maxDepth || budget.entries > 8_000_000) return { leaf: true, list: all };
  let best: { dim: Dim; mask: number; buckets: Map<number | string, number[]>; wild: number[]; cost: number } | null = null;
  for (const dim of DIMS) {
    if (used.has(dim)) continue;
    const lens = dim === 'dst' || dim === 'src' ? prefixLens(infos, idx, dim) : [0];
    for (const len of lens) {
      if ((dim === 'dst' || dim === 'src') && (family !== 'ipv4' || len === 0)) continue;
      const buckets = new Map<number | string, number[]>();
      const wild: number[] = [];
      const add = (k: number | string, i: number) => {
        let b = buckets.get(k);
        if (!b) buckets.set(k, (b = []));
        if (b[b.length - 1] !== i) b.push(i);
      };
      const pm = len > 0 ? prefixMask(len, 'ipv4')[0]! : 0;
      for (const i of idx) {
        const inf = infos[i]!;
        switch (dim) {
          case 'proto':
            if (inf.proto >= 0) add(inf.proto, i);
            else wild.push(i);
            break;
          case 'iif':
            if (inf.iif !== null) add(inf.iif, i);
            else wild.push(i);
            break;
          case 'oif':
            if (inf.oif !== null) add(inf.oif, i);
            else wild.push(i);
            break;
          case 'dport':
            if (inf.dports) for (const k of inf.dports) add(k, i);
            else wild.push(i);
            break;
          case 'dst':
            if (inf.dstLen >= len) add((inf.dstAddr & pm) >>> 0, i);
            else wild.push(i);
            break;
          case 'src':
            if (inf.srcLen >= len) add((inf.srcAddr & pm) >>> 0, i);
            else wild.push(i);
            break;
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
  for (const [k, b] of best.buckets) map.set(k, buildNode(infos, b, depth + 1, nu, family, o, budget));
  const wild = buildNode(infos, best.wild, depth + 1, nu, family, o, budget);
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
  const roots = new Map<string, Node>();
  const engine = buildEngine(
    ruleset,
    (_table, _name, rules) => {
      chains++;
      rulesN += rules.length;
      const idx = rules.map((_, i) => i);
      const root = buildNode(
        rules.map((r) => keyInfo(r.rule, ruleset.family)),
        idx,
        0,
        new Set(),
        ruleset.family,
        o,
        budget,
      );
      const key = `${_table}\u0000${_name}`;
      roots.set(key, root);
      if (root.leaf) {
        const list = root.list;
        return () => list;
      }
      indexed++;
      return (p) => lookup(root, p);
    },
    // The full walk (explain: false without the fast path, and packets the fast path hands over)
    // compiles a rule's test on first use: most rules are never tested by it.
    (rule) => {
      let f: MFn | null = null;
      return (p, cx) => (f ??= compileRuleTest(rule, ruleset.family))(p, cx);
    },
  );
  const program = buildProgram(engine, roots, ruleset.family);
  return {
    kind: 'compiled',
    ruleset,
    engine,
    program,
    stats: { chains, rules: rulesN, indexedChains: indexed, bucketEntries: budget.entries, compileMs: performance.now() - t0 },
  };
}

// ---------------------------------------------------------------------------------------------
// The engine and decision trees → the flat program (layout and field meanings: program.ts).

function buildProgram(engine: Engine, roots: Map<string, Node>, family: Family): Program {
  const chains = [...engine.chains.values()];
  const chainId = new Map<string, number>();
  const chainBase = new Int32Array(chains.length + 1);
  let n = 0;
  chains.forEach((c, i) => {
    chainId.set(`${c.table}\u0000${c.name}`, i);
    chainBase[i] = n;
    n += c.rules.length;
  });
  chainBase[chains.length] = n;
  const ifaces = new IfaceTable();
  // Wildcard prefixes first (the wild-hit rows need the full list), then exact names.
  for (const c of chains) for (const cr of c.rules) for (const m of cr.rule.matches) if (m.kind === 'iface' && m.iface.wildcard) ifaces.prefix(m.iface.name);
  ifaces.seal();
  const flags = new Int32Array(n);
  const src = new Int32Array(n);
  const srcMask = new Int32Array(n);
  const dst = new Int32Array(n);
  const dstMask = new Int32Array(n);
  const proto = new Int32Array(n);
  const inIf = new Int32Array(n);
  const outIf = new Int32Array(n);
  const dpFrom = new Int32Array(n);
  const dpTo = new Int32Array(n);
  const spFrom = new Int32Array(n);
  const spTo = new Int32Array(n);
  const ct = new Int32Array(n);
  const target = new Int32Array(n);
  const jump = new Int32Array(n).fill(-1);
  const affects = new Uint8Array(n);
  const rest: Program['rest'] = new Array(n).fill(null);
  const rules: CRule[] = new Array(n);
  const ruleChain = new Int32Array(n);
  const ranges: number[] = [];
  const nat = new Int32Array(n * NAT_STRIDE);
  const chainFlags = new Uint8Array(chains.length);
  chains.forEach((c, ci) => {
    chainFlags[ci] = (c.table === 'filter' ? CHAIN_FILTER : 0) | (c.table.includes(':') && !/nat/i.test(c.name) ? CHAIN_NFT : 0);
    c.rules.forEach((cr, pos) => {
      const g = chainBase[ci]! + pos;
      rules[g] = cr;
      const t = cr.target;
      if (t.kind === 'dnat' || t.kind === 'snat') {
        if (t.to) {
          nat[g * NAT_STRIDE + 1] = NAT_TO | (t.to.addrFrom ? NAT_ADDR : 0) | (t.to.ports ? NAT_PORTS : 0);
          if (t.to.addrFrom) nat[g * NAT_STRIDE] = t.to.addrFrom[0]! | 0;
          if (t.to.ports) {
            nat[g * NAT_STRIDE + 2] = t.to.ports[0];
            nat[g * NAT_STRIDE + 3] = t.to.ports[1];
          }
        }
      } else if (t.kind === 'masquerade' && t.ports) {
        nat[g * NAT_STRIDE + 1] = NAT_PORTS;
        nat[g * NAT_STRIDE + 2] = t.ports[0];
        nat[g * NAT_STRIDE + 3] = t.ports[1];
      }
      ruleChain[g] = ci;
      target[g] = targetCode(cr.target);
      if (cr.target.kind === 'jump' || cr.target.kind === 'goto') jump[g] = chainId.get(`${cr.target.chain.table}\u0000${cr.target.chain.name}`)!;
      affects[g] = cr.affects ? 1 : 0;
      let f = 0;
      const others: Match[] = [];
      for (const m of cr.rule.matches) {
        switch (m.kind) {
          case 'comment':
            continue;
          case 'addr':
            if (family === 'ipv4') {
              const bit = m.dir === 'src' ? F_SRC : F_DST;
              if (!(f & bit)) {
                f |= bit | (m.neg ? bit << 1 : 0);
                if (m.dir === 'src') {
                  src[g] = m.words[0]! | 0;
                  srcMask[g] = m.mask[0]! | 0;
                } else {
                  dst[g] = m.words[0]! | 0;
                  dstMask[g] = m.mask[0]! | 0;
                }
                continue;
              }
            }
            break;
          case 'proto':
            if (m.proto === 0) {
              // `-p all` matches everything; `! -p all` nothing.
              if (m.neg) f |= F_NEVER;
              continue;
            }
            if (!(f & F_PROTO)) {
              f |= F_PROTO | (m.neg ? F_PROTO_NEG : 0);
              proto[g] = m.proto;
              continue;
            }
            break;
          case 'iface': {
            const bit = m.dir === 'in' ? F_IN : F_OUT;
            if (!(f & bit)) {
              f |= bit | (m.neg ? bit << 1 : 0) | (m.iface.wildcard ? bit << 2 : 0);
              const id = m.iface.wildcard ? ifaces.prefix(m.iface.name) : ifaces.id(m.iface.name);
              if (m.dir === 'in') inIf[g] = id;
              else outIf[g] = id;
              continue;
            }
            break;
          }
          case 'port': {
            if (m.dir === 'any') break;
            const bit = m.dir === 'dst' ? F_DPORT : F_SPORT;
            if (!(f & bit)) {
              f |= bit | (m.neg ? bit << 1 : 0);
              const from = ranges.length;
              for (const [lo, hi] of m.ranges) ranges.push(lo, hi);
              if (m.dir === 'dst') {
                dpFrom[g] = from;
                dpTo[g] = ranges.length;
              } else {
                spFrom[g] = from;
                spTo[g] = ranges.length;
              }
              continue;
            }
            break;
          }
          case 'ctstate': {
            if (f & F_CT) break;
            let bits = 0;
            let ok = true;
            for (const st of m.states) {
              const b = CT_BITS[st];
              if (b === undefined) ok = false;
              else bits |= b;
            }
            if (!ok) break;
            f |= F_CT | (m.neg ? F_CT_NEG : 0);
            ct[g] = bits;
            continue;
          }
          default:
            break;
        }
        others.push(m);
      }
      if (others.length) {
        f |= F_REST;
        rest[g] = compileRuleTest({ ...cr.rule, matches: others }, family);
      }
      flags[g] = f;
    });
  });

  // Decision trees → int records.
  const nodes: number[] = [];
  const hash: number[] = [];
  const lists: number[] = [];
  const addList = (l: Int32Array): number => {
    const off = lists.length;
    for (let i = 0; i < l.length; i++) lists.push(l[i]!);
    return off;
  };
  const flatten = (node: Node, base: number): number => {
    const at = nodes.length;
    if (node.leaf) {
      nodes.push(NODE_LEAF, 0, 0, 0, 0, 0, 0, 0, 0);
      nodes[at + 1] = addList(node.list.map((x) => x + base));
      nodes[at + 2] = node.list.length;
      return at;
    }
    nodes.push(NODE_INNER, DIM_CODE[node.dim], node.mask | 0, 0, 0, node.all.length, node.merged ? 1 : 0, 0, 0);
    nodes[at + 4] = addList(node.all.map((x) => x + base));
    const entries: Array<[number, number]> = [];
    for (const [k, child] of node.map) {
      const key = typeof k === 'string' ? ifaces.id(k) : k | 0;
      entries.push([key, flatten(child, base)]);
    }
    nodes[at + 3] = flatten(node.wild, base);
    let bits = 1;
    while (1 << bits < entries.length * 2) bits++;
    const size = 1 << bits;
    const hoff = hash.length;
    for (let i = 0; i < size * HASH_STRIDE; i++) hash.push(0);
    for (const [key, child] of entries) {
      let h = Math.imul(key, 0x9e3779b1) >>> (32 - bits);
      while (hash[hoff + h * HASH_STRIDE + 1] !== 0) h = (h + 1) & (size - 1);
      const e = hoff + h * HASH_STRIDE;
      hash[e] = key;
      hash[e + 1] = child + 1;
      const leaf = nodes[child] === NODE_LEAF;
      hash[e + 2] = leaf ? nodes[child + 1]! : 0;
      hash[e + 3] = leaf ? nodes[child + 2]! : -1;
    }
    nodes[at + 7] = hoff;
    nodes[at + 8] = 32 - bits;
    return at;
  };
  const chainRoot = new Int32Array(chains.length);
  const scratchAt: number[] = [];
  chains.forEach((c, ci) => {
    const root = roots.get(`${c.table}\u0000${c.name}`);
    chainRoot[ci] = flatten(root ?? { leaf: true, list: Int32Array.from(c.rules.map((_, i) => i)) }, chainBase[ci]!);
    scratchAt.push(root && !root.leaf ? -1 : 0);
  });
  // Merge scratch: two areas of the chain's length, for chains with an inner root.
  const scratch = new Int32Array(chains.length);
  chains.forEach((c, ci) => {
    if (scratchAt[ci] === -1) {
      scratch[ci] = lists.length;
      for (let i = 0; i < 2 * c.rules.length; i++) lists.push(0);
    }
  });
  const hookChains: Int32Array[] = [];
  const hookNat: Uint8Array[] = [];
  for (const h of HOOK_ORDER) {
    const es = engine.hookChains[h];
    hookChains.push(Int32Array.from(es.map((e) => chainId.get(`${e.chain.table}\u0000${e.chain.name}`)!)));
    hookNat.push(Uint8Array.from(es.map((e) => (e.nat ? 1 : 0))));
  }
  return {
    family,
    nRules: n,
    rule: packRules(n, [flags, src, srcMask, dst, dstMask, proto, inIf, outIf, dpFrom, dpTo, spFrom, spTo, ct, target, jump, affects]),
    ranges: Int32Array.from(ranges),
    nat,
    chainFlags,
    rest,
    rules,
    ruleChain,
    chains,
    chainBase,
    chainRoot,
    chainId,
    nodes: Int32Array.from(nodes),
    hash: Int32Array.from(hash),
    lists: Int32Array.from(lists),
    scratch,
    hookChains,
    hookNat,
    ifaces,
    decided: new Array<DecidedBy | null>((n + chains.length) * 5 + 1).fill(null),
  };
}
