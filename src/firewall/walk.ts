// The walk: netfilter hooks and tables in kernel order, chains with jump / goto / RETURN /
// policy, DNAT before the filter decision and SNAT / MASQUERADE after (what a NAT target does,
// and when nat chains are skipped: nat.ts). Shared by the naive (reference) engine and the
// compiled engine; they differ only in how a chain yields its candidate rules and how a rule's
// matches are tested.
//
// Undecidable matches on rules whose target matters are explored both ways (match / no match);
// the verdict is decided only if every branch agrees, otherwise it is `unknown` and the
// branches are reported.

import { parseAddr } from './addr.js';
import { InputError } from '../model/errors.js';
import { protocolNumber } from './parse-iptables.js';
import { parseIpsetSave } from './ipset.js';
import {
  explainRule,
  explainUnknown,
  hasPorts,
  key6,
  NO,
  NO_PORT,
  TCP_FLAG_BITS,
  UNK,
  UNKNOWN_PORT,
  YES,
  type EvalCtx,
  type PState,
  type Tri,
} from './match.js';
import type {
  BranchOutcome,
  DecidedBy,
  EvaluateOptions,
  EvaluationResult,
  Family,
  Hook,
  NatStep,
  Packet,
  Reason,
  Rule,
  Ruleset,
  TraceStep,
  Verdict,
  Words,
} from './types.js';
import { applyNat, natSkipped, natStepReason, packetView, reroute, type NatTarget } from './nat.js';

// ---------------------------------------------------------------------------------------------
// Engine structures

export type CTarget =
  | { kind: 'none' }
  | { kind: 'continue' }
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'REJECT' }
  | { kind: 'return' }
  | { kind: 'jump'; chain: CChain }
  | { kind: 'goto'; chain: CChain }
  | NatTarget
  | { kind: 'notrack' }
  | { kind: 'mark'; op: 'set' | 'xset' | 'and' | 'or' | 'xor'; value: number; mask: number }
  | { kind: 'connmark'; restore: boolean }
  | { kind: 'unknown'; name: string };

export interface CRule {
  rule: Rule;
  test: (p: PState, cx: EvalCtx) => Tri;
  target: CTarget;
  /** Whether the target can change the outcome (false for LOG, comment-only, no target). */
  affects: boolean;
  /** DecidedBy records per hook, built once (frozen, shared between evaluations). */
  dec?: Partial<Record<Hook, DecidedBy>>;
}

export interface CChain {
  table: string;
  name: string;
  builtin: boolean;
  policy: 'ACCEPT' | 'DROP' | null;
  rules: CRule[];
  /** Positions (0-based) of rules that may match p, in order. */
  candidates: (p: PState) => ArrayLike<number>;
  /** Policy DecidedBy records per hook (frozen, shared). */
  policyDec?: Partial<Record<Hook, DecidedBy>>;
}

export function ruleDecided(cr: CRule, hook: Hook, chain: string): DecidedBy {
  const d = (cr.dec ??= {});
  return (d[hook] ??= Object.freeze({ hook, table: cr.rule.table, chain, index: cr.rule.index, rule: cr.rule.text }));
}

export function policyDecided(c: CChain, hook: Hook): DecidedBy {
  const d = (c.policyDec ??= {});
  return (d[hook] ??= Object.freeze({ hook, table: c.table, chain: c.name, index: null, rule: `:${c.name} ${c.policy ?? 'ACCEPT'}`, policy: true }));
}

export interface HookEntry {
  table: string;
  chain: CChain;
  /** A nat chain: traversed only by the first packet of a connection. */
  nat: boolean;
}

export interface Engine {
  ruleset: Ruleset;
  family: Family;
  /** For each hook, the base chains in kernel (priority) order. */
  hookChains: Record<Hook, HookEntry[]>;
  chains: Map<string, CChain>;
}

export function targetOf(rule: Rule, resolve: (chain: string) => CChain): CTarget {
  const t = rule.target;
  switch (t.kind) {
    case 'none':
      return { kind: 'none' };
    case 'continue':
      return { kind: 'continue' };
    case 'verdict':
      return { kind: 'verdict', verdict: t.verdict };
    case 'return':
      return { kind: 'return' };
    case 'jump':
      return { kind: 'jump', chain: resolve(t.chain) };
    case 'goto':
      return { kind: 'goto', chain: resolve(t.chain) };
    case 'dnat':
      return { kind: 'dnat', to: t.to };
    case 'snat':
      return { kind: 'snat', to: t.to };
    case 'masquerade':
      return { kind: 'masquerade', ports: t.ports };
    case 'redirect':
      return { kind: 'redirect', ports: t.ports };
    case 'notrack':
      return { kind: 'notrack' };
    case 'mark':
      return { kind: 'mark', op: t.op, value: t.value, mask: t.mask };
    case 'connmark':
      return { kind: 'connmark', restore: t.restore };
    case 'unknown':
      return { kind: 'unknown', name: t.name };
  }
}

export function targetAffects(t: CTarget): boolean {
  return !(t.kind === 'none' || t.kind === 'continue' || (t.kind === 'connmark' && !t.restore));
}

/**
 * Build an engine's chain graph. `makeChain` supplies candidates/test for each chain.
 */
export function buildEngine(
  rs: Ruleset,
  makeChain: (table: string, name: string, rules: CRule[]) => (p: PState) => ArrayLike<number>,
  makeTest: (rule: Rule) => (p: PState, cx: EvalCtx) => Tri,
): Engine {
  const chains = new Map<string, CChain>();
  const hookChains: Engine['hookChains'] = { PREROUTING: [], INPUT: [], FORWARD: [], OUTPUT: [], POSTROUTING: [] };
  const nftBase: Array<{ e: HookEntry; hook: Hook; prio: number }> = [];
  for (const [tname, table] of Object.entries(rs.tables)) {
    for (const cname of table.chainOrder) {
      const c = table.chains[cname]!;
      chains.set(`${tname}\u0000${cname}`, {
        table: tname,
        name: cname,
        builtin: c.builtin,
        policy: c.policy,
        rules: [],
        candidates: () => [],
      });
    }
  }
  for (const [tname, table] of Object.entries(rs.tables)) {
    for (const cname of table.chainOrder) {
      const c = table.chains[cname]!;
      const cc = chains.get(`${tname}\u0000${cname}`)!;
      cc.rules = c.rules.map((r) => {
        const target = targetOf(r, (name) => {
          const t = chains.get(`${tname}\u0000${name}`);
          if (!t) throw new InputError(`rule ${r.index} in ${tname}/${cname} refers to missing chain ${name}`);
          return t;
        });
        return { rule: r, test: makeTest(r), target, affects: targetAffects(target) };
      });
      cc.candidates = makeChain(tname, cname, cc.rules);
      if (rs.format === 'nft-json' && c.hook) {
        nftBase.push({ e: { table: tname, chain: cc, nat: c.type === 'nat' }, hook: c.hook, prio: c.priority ?? 0 });
      }
    }
  }
  if (rs.format === 'nft-json') {
    nftBase.sort((a, b) => a.prio - b.prio);
    for (const b of nftBase) hookChains[b.hook].push(b.e);
  } else {
    for (const hook of Object.keys(hookChains) as Hook[]) {
      for (const table of TABLES_BY_HOOK[hook]) {
        const cc = chains.get(`${table}\u0000${hook}`);
        if (cc && cc.builtin) hookChains[hook].push({ table, chain: cc, nat: table === 'nat' });
      }
    }
  }
  return { ruleset: rs, family: rs.family, hookChains, chains };
}

// ---------------------------------------------------------------------------------------------
// Packet preparation

export function makeCtx(family: Family, opts: EvaluateOptions, cache?: { ctx?: EvalCtx; key?: unknown }): EvalCtx {
  let local4: Set<number> | null = null;
  let local6: Set<string> | null = null;
  if (opts.localAddresses) {
    local4 = new Set();
    local6 = new Set();
    for (const a of opts.localAddresses) {
      const bare = a.split('/')[0]!;
      const w4 = parseAddr(bare, 'ipv4');
      if (w4) local4.add(w4[0]!);
      else {
        const w6 = parseAddr(bare, 'ipv6');
        if (w6) local6.add(key6(w6));
      }
    }
  }
  void cache;
  return {
    family,
    local4,
    local6,
    ipsets: opts.ipsetSave ? parseIpsetSave(opts.ipsetSave) : null,
    ipsetGiven: !!opts.ipsetSave,
    ifaceAddress: opts.ifaceAddress ?? null,
  };
}

export function initPState(pk: Packet, family: Family): PState {
  if (pk.family !== family) throw new InputError(`packet is ${pk.family} but the ruleset is ${family}`);
  const src = parseAddr(pk.src, family);
  const dst = parseAddr(pk.dst, family);
  if (!src) throw new InputError(`bad source address "${String(pk.src).slice(0, 60)}"`);
  if (!dst) throw new InputError(`bad destination address "${String(pk.dst).slice(0, 60)}"`);
  const proto = protocolNumber(pk.protocol);
  if (proto === null || proto === 0) throw new InputError(`bad protocol "${String(pk.protocol).slice(0, 20)}"`);
  const ports = hasPorts(proto);
  const port = (v: number | null | undefined) => {
    if (!ports) return NO_PORT;
    if (v === null || v === undefined) return UNKNOWN_PORT;
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new InputError(`bad port ${String(v)}`);
    return v;
  };
  const sport = port(pk.sport);
  const dport = port(pk.dport);
  const path = pk.path;
  if (path !== 'forward' && path !== 'input' && path !== 'output') throw new InputError(`bad path "${String(path)}"`);
  const ct = pk.ctState;
  if (ct !== 'NEW' && ct !== 'ESTABLISHED' && ct !== 'RELATED' && ct !== 'INVALID') throw new InputError(`bad conntrack state "${String(ct)}"`);
  let iif: string | null;
  let oif: string | null;
  if (path === 'output') iif = '';
  else iif = pk.inIface === undefined ? null : pk.inIface;
  if (path === 'input') oif = '';
  else oif = pk.outIface === undefined ? null : pk.outIface;
  let tcpFlags = -1;
  if (pk.tcpFlags) {
    tcpFlags = 0;
    for (const f of pk.tcpFlags) tcpFlags |= TCP_FLAG_BITS[f.toUpperCase()] ?? 0;
  }
  return {
    family,
    src,
    dst,
    proto,
    sport,
    dport,
    iif,
    oif,
    ct,
    mark: pk.mark ?? null,
    origSrc: src,
    origDst: dst,
    origSport: sport,
    origDport: dport,
    dnat: false,
    snat: false,
    natBound: pk.natBound === true,
    srcChanged: false,
    dstChanged: false,
    srcLocalHint: pk.srcLocal,
    dstLocalHint: pk.dstLocal,
    icmpType: pk.icmpType ?? -1,
    icmpCode: pk.icmpCode ?? -1,
    tcpFlags,
    physdev: pk.physdev,
    path,
    routed: path === 'output',
    givenOut: path === 'input' ? (pk.outIface ?? null) : null,
    routedOif: oif,
  };
}

// ---------------------------------------------------------------------------------------------
// One branch

interface UnknownPoint {
  hook: Hook;
  table: string;
  chain: string;
  index: number;
  rule: string;
  assumed: boolean;
  why: Array<{ code: string; text: string }>;
}

interface Leaf {
  verdict: Verdict;
  decidedBy: DecidedBy | null;
  steps: TraceStep[];
  natSteps: NatStep[];
  points: UnknownPoint[];
  notes: Reason[];
  hooks: Hook[];
  final: PState;
  /** Terminal ACCEPT decisions per (hook, table), for the final decidedBy. */
  accepts: DecidedBy[];
  stopReason: Reason | null;
}

interface WalkCtl {
  decisions: boolean[];
  pointIdx: number;
  explain: boolean;
}

export const TABLES_BY_HOOK: Record<Hook, readonly string[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

export const MAX_DEPTH = 128;

class Stop {
  constructor(
    readonly verdict: Verdict,
    readonly decidedBy: DecidedBy | null,
  ) {}
}

function actionText(cr: CRule): string {
  const r = cr.rule;
  if (r.targetText) return r.targetText;
  return cr.target.kind === 'none' ? '(no target: counters only)' : r.target.kind;
}

function walkOnce(engine: Engine, p: PState, cx: EvalCtx, opts: EvaluateOptions, ctl: WalkCtl): Leaf {
  const leaf: Leaf = {
    verdict: 'ACCEPT',
    decidedBy: null,
    steps: [],
    natSteps: [],
    points: [],
    notes: [],
    hooks: [],
    final: p,
    accepts: [],
    stopReason: null,
  };
  const explain = ctl.explain;

  /** Returns true when the packet's fate is decided (DROP / REJECT / unknown). */
  const runTable = (hook: Hook, entry: HookEntry): boolean => {
    const start = entry.chain;
    const table = entry.table;
    if (entry.nat && natSkipped(p, start.rules.length, leaf.notes)) return false;
    let chain = start;
    let cands = chain.candidates(p);
    let k = 0;
    let stack: Array<{ chain: CChain; cands: ArrayLike<number>; k: number }> | null = null;
    for (;;) {
      if (k >= cands.length) {
        const top = stack?.pop();
        if (top) {
          chain = top.chain;
          cands = top.cands;
          k = top.k;
          continue;
        }
        // Fell off the built-in chain (directly or via goto): its policy.
        const pol = start.policy ?? 'ACCEPT';
        const d = policyDecided(start, hook);
        if (explain) {
          leaf.steps.push({ hook, table, chain: start.name, index: null, rule: `:${start.name} ${pol}`, matched: true, action: `policy ${pol}`, policy: true });
        }
        if (pol === 'DROP') return decide(leaf, 'DROP', d);
        leaf.accepts.push(d);
        return false;
      }
      const pos = cands[k++]!;
      const cr = chain.rules[pos]!;
      let m = cr.test(p, cx);
      let assumed: boolean | null = null;
      if (m === UNK && cr.affects) {
        const idx = ctl.pointIdx++;
        if (idx >= ctl.decisions.length) ctl.decisions.push(false);
        assumed = ctl.decisions[idx]!;
        leaf.points.push({
          hook,
          table,
          chain: chain.name,
          index: cr.rule.index,
          rule: cr.rule.text,
          assumed,
          why: explainRule(cr.rule, p, cx).unknown ?? [],
        });
      }
      if (explain) {
        const ex = m === YES ? {} : explainRule(cr.rule, p, cx);
        const step: TraceStep = {
          hook,
          table,
          chain: chain.name,
          index: cr.rule.index,
          rule: cr.rule.text,
          matched: m === YES ? true : m === NO ? false : 'unknown',
          action: actionText(cr),
          line: cr.rule.line,
        };
        if (ex.failed) step.failed = ex.failed;
        if (ex.unknown) step.unknown = ex.unknown.map((u) => u.text + (assumed !== null ? ` (this branch assumes it ${assumed ? 'matches' : 'does not match'})` : ' (no effect on the verdict)'));
        leaf.steps.push(step);
      }
      if (m === UNK) {
        if (assumed === null || !assumed) continue;
        m = YES;
      }
      if (m === NO) continue;
      const t = cr.target;
      switch (t.kind) {
        case 'none':
        case 'continue':
          continue;
        case 'verdict':
          if (t.verdict === 'ACCEPT') {
            leaf.accepts.push(ruleDecided(cr, hook, chain.name));
            return false;
          }
          return decide(leaf, t.verdict, ruleDecided(cr, hook, chain.name));
        case 'return': {
          const top = stack?.pop();
          if (top) {
            chain = top.chain;
            cands = top.cands;
            k = top.k;
            continue;
          }
          k = cands.length; // RETURN from a built-in chain: its policy.
          continue;
        }
        case 'jump':
          stack ??= [];
          if (stack.length >= MAX_DEPTH) throw stop(leaf, 'FW_CHAIN_LOOP', `jumps nest deeper than ${MAX_DEPTH} (loop?) at ${table}/${chain.name} rule ${cr.rule.index}`);
          stack.push({ chain, cands, k });
          chain = t.chain;
          cands = chain.candidates(p);
          k = 0;
          continue;
        case 'goto':
          chain = t.chain;
          cands = chain.candidates(p);
          k = 0;
          continue;
        case 'dnat':
        case 'snat':
        case 'masquerade':
        case 'redirect':
          applyNat(p, t, cr.rule, hook, chain.name, leaf, cx, explain);
          leaf.accepts.push(ruleDecided(cr, hook, chain.name));
          return false;
        case 'notrack':
          p.ct = 'UNTRACKED';
          continue;
        case 'mark':
          p.mark = applyMark(p.mark, t);
          continue;
        case 'connmark':
          if (t.restore) p.mark = null;
          continue;
        case 'unknown':
          throw stop(leaf, 'FW_UNKNOWN_TARGET', `target ${t.name} of rule ${cr.rule.index} in ${table}/${chain.name} is not modelled (${cr.rule.text})`);
      }
    }
  };

  const runHook = (hook: Hook): boolean => {
    leaf.hooks.push(hook);
    if (hook === 'PREROUTING') p.oif = '';
    for (const entry of engine.hookChains[hook]) {
      const dstBefore = p.dst;
      if (runTable(hook, entry)) return true;
      if ((hook === 'PREROUTING' || hook === 'OUTPUT') && p.dst !== dstBefore) {
        reroute(p, hook, cx, opts, leaf);
      }
    }
    if (hook === 'PREROUTING') {
      p.routed = true;
      p.oif = p.routedOif;
    }
    return false;
  };

  try {
    let done: boolean;
    if (p.path === 'output') {
      done = runHook('OUTPUT') || runHook('POSTROUTING');
    } else {
      done = runHook('PREROUTING') || (p.path === 'forward' ? runHook('FORWARD') || runHook('POSTROUTING') : runHook('INPUT'));
    }
    if (!done) {
      leaf.verdict = 'ACCEPT';
      leaf.decidedBy = pickAccept(leaf.accepts, p.path);
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    leaf.verdict = e.verdict;
    leaf.decidedBy = e.decidedBy;
  }
  leaf.final = p;
  return leaf;
}

function decide(leaf: Leaf, verdict: Verdict, d: DecidedBy): true {
  leaf.verdict = verdict;
  leaf.decidedBy = d;
  return true;
}

function stop(leaf: Leaf, code: string, message: string): Stop {
  leaf.stopReason = { code, message };
  return new Stop('unknown', null);
}

export function pickAccept(accepts: DecidedBy[], path: string, n: number = accepts.length): DecidedBy | null {
  const main: Hook = path === 'forward' ? 'FORWARD' : path === 'input' ? 'INPUT' : 'OUTPUT';
  for (let i = 0; i < n; i++) {
    const a = accepts[i]!;
    if (a.table === 'filter' && a.hook === main) {
      if (!a.policy) return a;
      // nftables: an explicit accept in a native table's chain at this hook says more than the
      // iptables filter chain's policy.
      for (let j = 0; j < n; j++) {
        const b = accepts[j]!;
        if (b.hook === main && !b.policy && b.table.includes(':') && !/nat/i.test(b.chain)) return b;
      }
      return a;
    }
  }
  for (let i = 0; i < n; i++) {
    const a = accepts[i]!;
    if (a.hook === main && !a.policy && a.table.includes(':') && !/nat/i.test(a.chain)) return a;
  }
  for (let i = 0; i < n; i++) {
    const a = accepts[i]!;
    if (a.hook === main && a.table.includes(':') && !/nat/i.test(a.chain)) return a;
  }
  for (let i = n - 1; i >= 0; i--) if (accepts[i]!.table === 'filter') return accepts[i]!;
  return n ? accepts[n - 1]! : null;
}

export function applyMark(mark: number | null, t: Extract<CTarget, { kind: 'mark' }>): number | null {
  switch (t.op) {
    case 'xset':
      if (mark === null) return t.mask === 0xffffffff ? t.value >>> 0 : null;
      return (((mark & ~t.mask) ^ t.value) >>> 0);
    case 'set':
      if (mark === null) return t.mask === 0xffffffff ? t.value >>> 0 : null;
      return (((mark & ~t.mask) | t.value) >>> 0);
    case 'and':
      if (mark === null) return t.value === 0 ? 0 : null;
      return (mark & t.value) >>> 0;
    case 'or':
      if (mark === null) return t.value === 0xffffffff ? 0xffffffff : null;
      return (mark | t.value) >>> 0;
    case 'xor':
      return mark === null ? null : (mark ^ t.value) >>> 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Driver: explore branches, combine.

export function runEvaluation(engine: Engine, packet: Packet, cx: EvalCtx, opts: EvaluateOptions, explain: boolean): EvaluationResult {
  const maxBranches = Math.max(1, opts.maxBranches ?? 64);
  const leaves: Leaf[] = [];
  const decisions: boolean[] = [];
  let overflow = false;
  for (;;) {
    const ctl: WalkCtl = { decisions, pointIdx: 0, explain: explain && leaves.length === 0 };
    const leaf = walkOnce(engine, initPState(packet, engine.family), cx, opts, ctl);
    leaves.push(leaf);
    // Backtrack: flip the last `false` decision to `true`, drop the rest.
    decisions.length = Math.min(decisions.length, ctl.pointIdx);
    let j = decisions.length - 1;
    while (j >= 0 && decisions[j]) j--;
    if (j < 0) break;
    decisions[j] = true;
    decisions.length = j + 1;
    if (leaves.length >= maxBranches) {
      overflow = true;
      break;
    }
  }
  return combine(leaves, overflow, maxBranches);
}

function sameDecided(a: DecidedBy | null, b: DecidedBy | null): boolean {
  if (a === null || b === null) return a === b;
  return a.hook === b.hook && a.table === b.table && a.chain === b.chain && a.index === b.index;
}

function samePacket(a: PState, b: PState): boolean {
  const eq = (x: Words | null, y: Words | null) => (x === null || y === null ? x === y : x.every((v, i) => v === y[i]));
  return eq(a.src, b.src) && eq(a.dst, b.dst) && a.sport === b.sport && a.dport === b.dport && a.path === b.path && a.oif === b.oif;
}

function combine(leaves: Leaf[], overflow: boolean, maxBranches: number): EvaluationResult {
  const first = leaves[0]!;
  const reasons: Reason[] = [];
  const addReason = (r: Reason) => {
    if (!reasons.some((x) => x.code === r.code && x.message === r.message)) reasons.push(r);
  };
  let verdict: Verdict = first.verdict;
  let decidedBy = first.decidedBy;
  let agree = !overflow;
  for (const l of leaves) {
    if (l.verdict !== verdict || l.verdict === 'unknown' || !samePacket(l.final, first.final)) agree = false;
    if (!sameDecided(l.decidedBy, decidedBy)) decidedBy = null;
  }
  if (!agree) verdict = 'unknown';
  if (verdict === 'unknown') decidedBy = leaves.length === 1 ? first.decidedBy : null;

  if (verdict !== 'unknown') {
    addReason(verdictReason(verdict, first.decidedBy ?? decidedBy));
  } else {
    if (overflow) addReason({ code: 'FW_TOO_MANY_UNKNOWNS', message: `more than ${maxBranches} combinations of undecidable rules; verdict not computed` });
    for (const l of leaves) if (l.stopReason) addReason(l.stopReason);
  }
  // Every undecidable point (deduplicated), with what each branch led to.
  const seen = new Set<string>();
  for (const l of leaves) {
    for (const pt of l.points) {
      const key = `${pt.table}/${pt.chain}/${pt.index}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const outcomes = new Set<string>();
      for (const l2 of leaves) {
        const q = l2.points.find((x) => `${x.table}/${x.chain}/${x.index}` === key);
        if (q) outcomes.add(`${q.assumed ? 'if it matches' : 'if not'} → ${l2.verdict}`);
      }
      for (const w of pt.why.length ? pt.why : [{ code: 'FW_UNKNOWN_MATCH', text: pt.rule }]) {
        addReason({
          code: w.code,
          message: `rule ${pt.index} in ${pt.table}/${pt.chain} cannot be decided: ${w.text}${verdict === 'unknown' ? ` (${[...outcomes].join('; ')})` : '; every branch gives the same verdict'}`,
        });
      }
    }
  }
  for (const l of leaves) for (const n of l.notes) addReason(n);
  for (const s of first.natSteps) addReason(natStepReason(s));
  const res: EvaluationResult = {
    verdict,
    path: first.steps,
    decidedBy: decidedBy ? { ...decidedBy } : null,
    natSteps: first.natSteps,
    reasons,
    hooks: first.hooks,
    finalPacket: packetView(first.final),
  };
  if (leaves.length > 1 || first.points.length > 0) {
    res.branches = leaves.map((l): BranchOutcome => ({
      verdict: l.verdict,
      decidedBy: l.decidedBy,
      assumptions: l.points.map((pt) => ({ table: pt.table, chain: pt.chain, index: pt.index, rule: pt.rule, assumedMatch: pt.assumed })),
    }));
  }
  return res;
}

/** Reason for a decided verdict, Docker-aware (analysis-anchors §8). */
const reasonCache = new WeakMap<DecidedBy, Map<Verdict, Reason>>();

/** Reason for a decided verdict (cached per shared DecidedBy record). */
export function verdictReason(verdict: Verdict, d: DecidedBy | null): Reason {
  if (!d || !Object.isFrozen(d)) return computeReason(verdict, d);
  let m = reasonCache.get(d);
  if (!m) reasonCache.set(d, (m = new Map()));
  let r = m.get(verdict);
  if (!r) m.set(verdict, (r = computeReason(verdict, d)));
  return { ...r };
}

function computeReason(verdict: Verdict, d: DecidedBy | null): Reason {
  if (!d) return { code: verdict === 'ACCEPT' ? 'FW_NO_RULES' : 'FW_RULE_DROP', message: `${verdict}: no rule or policy decided (no matching chains)` };
  const where = `${d.table}/${d.chain}`;
  if (d.policy) {
    return verdict === 'DROP'
      ? { code: 'FW_CHAIN_POLICY_DROP', message: `no rule in ${where} accepted the packet; the chain policy is DROP` }
      : { code: 'FW_CHAIN_POLICY_ACCEPT', message: `no rule in ${where} decided; the chain policy is ACCEPT` };
  }
  const what = `rule ${d.index} in ${where}: ${d.rule}`;
  if (verdict === 'ACCEPT') return { code: 'FW_RULE_ACCEPT', message: `accepted by ${what}` };
  const verb = verdict === 'REJECT' ? 'rejected' : 'dropped';
  const c = d.chain;
  let code = verdict === 'REJECT' ? 'FW_RULE_REJECT' : 'FW_RULE_DROP';
  let why = '';
  const text = ` ${d.rule} `;
  const sameIf = /\s-i (\S+) -o \1\s/.test(text) && !/!\s+-[io]/.test(text);
  if (c === 'DOCKER-USER') {
    code = 'FW_DOCKER_USER_DROP';
    why = ' (an operator rule in DOCKER-USER)';
  } else if (c === 'DOCKER-INTERNAL' || (c === 'DOCKER-ISOLATION-STAGE-1' && /!\s+-[sd]\s/.test(text))) {
    code = 'FW_INTERNAL_NETWORK';
    why = ' (Docker internal network: no traffic in or out of its subnet)';
  } else if (c.startsWith('DOCKER-ISOLATION')) {
    code = 'FW_DOCKER_ISOLATION';
    why = ' (Docker network isolation: containers on different bridge networks cannot talk)';
  } else if ((c === 'DOCKER-FORWARD' || c === 'FORWARD') && sameIf) {
    code = 'FW_ICC_DISABLED';
    why = ' (inter-container communication is disabled on this network)';
  } else if ((c === 'DOCKER' && /!\s+-i (\S+) -o \1\s/.test(text)) || (d.table === 'raw' && d.chain === 'PREROUTING' && /\s-d \S+\/(32|128)\s/.test(text) && /!\s+-i\s/.test(text))) {
    code = 'FW_UNPUBLISHED_PORT';
    why = ' (Docker blocks direct access to container ports that are not published)';
  }
  return { code, message: `${verb} by ${what}${why}` };
}

export { explainUnknown };
