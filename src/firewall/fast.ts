// The lean fast path of the compiled engine (`evaluate(..., {explain: false})`): one walk, no
// branches, verdict and deciding rule only, with no per-call allocation in the common case.
//
// - The packet state is one mutable PState per engine, refilled for every call (IPv4 addresses
//   parsed straight into reused one-word arrays).
// - Candidate rules come from the compiled decision trees without allocation (compile.ts CAND).
// - The jump stack is three preallocated parallel arrays.
// - The result's verdict and decidedBy are set directly; everything else in EvaluationResult
//   (NAT steps with before/after, reasons, hooks, final packet, branches) is computed lazily by
//   the full walk on first access, from a copy of the packet taken at call time.
//
// Whenever the walk meets something the lean path does not model — a rule whose matches cannot
// be decided (branches), an unknown target, REDIRECT, NAT to an address range, a loop — it gives
// up (returns null) and the caller runs the full walk, so the result is always the full walk's.

import { parseIPv4, parseAddr } from './addr.js';
import { protocolNumber } from './parse-iptables.js';
import { CAND } from './compile.js';
import { hasPorts, NO, NO_PORT, UNK, UNKNOWN_PORT, TCP_FLAG_BITS, type EvalCtx, type PState } from './match.js';
import {
  applyMark,
  MAX_DEPTH,
  mutateNat,
  pickAccept,
  policyDecided,
  reroute,
  ruleDecided,
  runEvaluation,
  type CChain,
  type Engine,
  type HookEntry,
} from './walk.js';
import type { DecidedBy, EvaluateOptions, EvaluationResult, Hook, Packet, PacketView, Reason, TraceStep, Verdict } from './types.js';

interface Scratch {
  p: PState;
  src4: number[];
  dst4: number[];
  stackChain: CChain[];
  stackCands: Int32Array[];
  stackLen: Int32Array;
  stackK: Int32Array;
  accepts: DecidedBy[];
  busy: boolean;
}

const scratchOf = new WeakMap<Engine, Scratch>();

function newScratch(engine: Engine): Scratch {
  const p: PState = {
    family: engine.family,
    src: null,
    dst: null,
    proto: 0,
    sport: 0,
    dport: 0,
    iif: null,
    oif: null,
    ct: 'NEW',
    mark: null,
    origSrc: null,
    origDst: null,
    origSport: 0,
    origDport: 0,
    dnat: false,
    snat: false,
    srcChanged: false,
    dstChanged: false,
    srcLocalHint: undefined,
    dstLocalHint: undefined,
    icmpType: -1,
    icmpCode: -1,
    tcpFlags: -1,
    physdev: undefined,
    path: 'forward',
    routed: false,
    givenOut: null,
    routedOif: null,
  };
  return {
    p,
    src4: [0],
    dst4: [0],
    stackChain: new Array<CChain>(MAX_DEPTH),
    stackCands: new Array<Int32Array>(MAX_DEPTH),
    stackLen: new Int32Array(MAX_DEPTH),
    stackK: new Int32Array(MAX_DEPTH),
    accepts: [],
    busy: false,
  };
}

/** Fill the reused state from a packet; false when something unusual needs the full path's checks. */
function fill(s: Scratch, pk: Packet, family: Engine['family']): boolean {
  if (pk.family !== family) return false;
  const p = s.p;
  if (typeof pk.src !== 'string' || typeof pk.dst !== 'string') return false;
  if (family === 'ipv4') {
    const a = parseIPv4(pk.src);
    const b = parseIPv4(pk.dst);
    if (a < 0 || b < 0) return false;
    s.src4[0] = a;
    s.dst4[0] = b;
    p.src = s.src4;
    p.dst = s.dst4;
  } else {
    p.src = parseAddr(pk.src, family);
    p.dst = parseAddr(pk.dst, family);
    if (!p.src || !p.dst) return false;
  }
  const proto = protocolNumber(pk.protocol);
  if (proto === null || proto === 0) return false;
  let sport: number;
  let dport: number;
  if (!hasPorts(proto)) sport = dport = NO_PORT;
  else {
    const sp = pk.sport;
    const dp = pk.dport;
    if (sp === null || sp === undefined) sport = UNKNOWN_PORT;
    else if (Number.isInteger(sp) && sp >= 0 && sp <= 65535) sport = sp;
    else return false;
    if (dp === null || dp === undefined) dport = UNKNOWN_PORT;
    else if (Number.isInteger(dp) && dp >= 0 && dp <= 65535) dport = dp;
    else return false;
  }
  const path = pk.path;
  if (path !== 'forward' && path !== 'input' && path !== 'output') return false;
  const ct = pk.ctState;
  if (ct !== 'NEW' && ct !== 'ESTABLISHED' && ct !== 'RELATED' && ct !== 'INVALID') return false;
  p.family = family;
  p.proto = proto;
  p.sport = sport;
  p.dport = dport;
  const iif = path === 'output' ? '' : pk.inIface === undefined ? null : pk.inIface;
  const oif = path === 'input' ? '' : pk.outIface === undefined ? null : pk.outIface;
  p.iif = iif;
  p.oif = oif;
  p.ct = ct;
  p.mark = pk.mark ?? null;
  p.origSrc = p.src;
  p.origDst = p.dst;
  p.origSport = sport;
  p.origDport = dport;
  p.dnat = false;
  p.snat = false;
  p.srcChanged = false;
  p.dstChanged = false;
  p.srcLocalHint = pk.srcLocal;
  p.dstLocalHint = pk.dstLocal;
  p.icmpType = pk.icmpType ?? -1;
  p.icmpCode = pk.icmpCode ?? -1;
  let flags = -1;
  if (pk.tcpFlags) {
    flags = 0;
    for (const f of pk.tcpFlags) flags |= TCP_FLAG_BITS[f.toUpperCase()] ?? 0;
  }
  p.tcpFlags = flags;
  p.physdev = pk.physdev;
  p.path = path;
  p.routed = path === 'output';
  p.givenOut = path === 'input' ? (pk.outIface ?? null) : null;
  p.routedOif = oif;
  return true;
}

const GIVE_UP = 1;
const DECIDED = 2;
const CONTINUE = 0;

/** Walk one table's base chain; sets out.verdict/decidedBy when decided. */
function runTable(s: Scratch, hook: Hook, entry: HookEntry, cx: EvalCtx, out: { verdict: Verdict; decidedBy: DecidedBy | null }): number {
  const p = s.p;
  if (entry.nat && p.ct !== 'NEW') return CONTINUE;
  const start = entry.chain;
  let chain = start;
  let cands = chain.fast!(p);
  let len = CAND.len;
  let k = 0;
  let depth = 0;
  for (;;) {
    if (k >= len) {
      if (depth > 0) {
        depth--;
        chain = s.stackChain[depth]!;
        cands = s.stackCands[depth]!;
        len = s.stackLen[depth]!;
        k = s.stackK[depth]!;
        continue;
      }
      const d = policyDecided(start, hook);
      if (start.policy === 'DROP') {
        out.verdict = 'DROP';
        out.decidedBy = d;
        return DECIDED;
      }
      s.accepts.push(d);
      return CONTINUE;
    }
    const cr = chain.rules[cands[k++]!]!;
    const m = cr.test(p, cx);
    if (m === NO) continue;
    if (m === UNK) {
      if (cr.affects) return GIVE_UP;
      continue;
    }
    const t = cr.target;
    switch (t.kind) {
      case 'none':
      case 'continue':
        continue;
      case 'verdict':
        if (t.verdict === 'ACCEPT') {
          s.accepts.push(ruleDecided(cr, hook, chain.name));
          return CONTINUE;
        }
        out.verdict = t.verdict;
        out.decidedBy = ruleDecided(cr, hook, chain.name);
        return DECIDED;
      case 'return':
        if (depth > 0) {
          depth--;
          chain = s.stackChain[depth]!;
          cands = s.stackCands[depth]!;
          len = s.stackLen[depth]!;
          k = s.stackK[depth]!;
        } else k = len;
        continue;
      case 'jump':
        if (depth >= MAX_DEPTH) return GIVE_UP;
        s.stackChain[depth] = chain;
        s.stackCands[depth] = cands;
        s.stackLen[depth] = len;
        s.stackK[depth] = k;
        depth++;
        chain = t.chain;
        cands = chain.fast!(p);
        len = CAND.len;
        k = 0;
        continue;
      case 'goto':
        chain = t.chain;
        cands = chain.fast!(p);
        len = CAND.len;
        k = 0;
        continue;
      case 'dnat':
      case 'snat':
        if (t.to && t.to.addrFrom && t.to.addrTo) {
          const a = t.to.addrFrom;
          const b = t.to.addrTo;
          for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return GIVE_UP;
        }
        mutateNat(p, t, hook, cx);
        s.accepts.push(ruleDecided(cr, hook, chain.name));
        return CONTINUE;
      case 'masquerade':
        mutateNat(p, t, hook, cx);
        s.accepts.push(ruleDecided(cr, hook, chain.name));
        return CONTINUE;
      case 'notrack':
        p.ct = 'UNTRACKED';
        continue;
      case 'mark':
        p.mark = applyMark(p.mark, t);
        continue;
      case 'connmark':
        if (t.restore) p.mark = null;
        continue;
      default:
        // redirect, unknown targets
        return GIVE_UP;
    }
  }
}

function runHook(s: Scratch, engine: Engine, hook: Hook, cx: EvalCtx, opts: EvaluateOptions, out: { verdict: Verdict; decidedBy: DecidedBy | null }): number {
  const p = s.p;
  if (hook === 'PREROUTING') p.oif = '';
  const entries = engine.hookChains[hook];
  for (let i = 0; i < entries.length; i++) {
    const dstBefore = p.dst;
    const r = runTable(s, hook, entries[i]!, cx, out);
    if (r !== CONTINUE) return r;
    if ((hook === 'PREROUTING' || hook === 'OUTPUT') && p.dst !== dstBefore) {
      if (p.dst === null) return GIVE_UP;
      reroute(p, hook, cx, opts, null);
    }
  }
  if (hook === 'PREROUTING') {
    p.routed = true;
    p.oif = p.routedOif;
  }
  return CONTINUE;
}

/** The lazily completed result of the fast path. */
class FastResult implements EvaluationResult {
  verdict: Verdict;
  decidedBy: DecidedBy | null;
  #full: EvaluationResult | null = null;
  readonly #engine: Engine;
  readonly #packet: Packet;
  readonly #cx: EvalCtx;
  readonly #opts: EvaluateOptions;
  constructor(verdict: Verdict, decidedBy: DecidedBy | null, engine: Engine, packet: Packet, cx: EvalCtx, opts: EvaluateOptions) {
    this.verdict = verdict;
    this.decidedBy = decidedBy;
    this.#engine = engine;
    this.#packet = packet;
    this.#cx = cx;
    this.#opts = opts;
  }
  #complete(): EvaluationResult {
    return (this.#full ??= runEvaluation(this.#engine, this.#packet, this.#cx, this.#opts, false));
  }
  get path(): TraceStep[] {
    return this.#complete().path;
  }
  get natSteps() {
    return this.#complete().natSteps;
  }
  get reasons(): Reason[] {
    return this.#complete().reasons;
  }
  get hooks(): Hook[] {
    return this.#complete().hooks;
  }
  get finalPacket(): PacketView {
    return this.#complete().finalPacket;
  }
  get branches() {
    return this.#complete().branches;
  }
  toJSON(): EvaluationResult {
    const f = this.#complete();
    return { ...f, verdict: this.verdict, decidedBy: this.decidedBy ? { ...this.decidedBy } : null };
  }
}

const OUT: { verdict: Verdict; decidedBy: DecidedBy | null } = { verdict: 'ACCEPT', decidedBy: null };

/**
 * The fast path. Returns null when the packet needs the full walk (undecidable matches, exotic
 * targets, malformed input — the full walk then reports it with its reasons or errors).
 */
export function fastEvaluate(engine: Engine, packet: Packet, cx: EvalCtx, opts: EvaluateOptions): EvaluationResult | null {
  let s = scratchOf.get(engine);
  if (!s) scratchOf.set(engine, (s = newScratch(engine)));
  // A route callback that evaluates again on the same engine gets its own state.
  if (s.busy) s = newScratch(engine);
  if (!fill(s, packet, engine.family)) return null;
  s.busy = true;
  try {
    s.accepts.length = 0;
    OUT.decidedBy = null;
    const p = s.p;
    let r: number;
    if (p.path === 'output') {
      r = runHook(s, engine, 'OUTPUT', cx, opts, OUT);
      if (r === CONTINUE) r = runHook(s, engine, 'POSTROUTING', cx, opts, OUT);
    } else {
      r = runHook(s, engine, 'PREROUTING', cx, opts, OUT);
      if (r === CONTINUE) {
        if (p.path === 'forward') {
          r = runHook(s, engine, 'FORWARD', cx, opts, OUT);
          if (r === CONTINUE) r = runHook(s, engine, 'POSTROUTING', cx, opts, OUT);
        } else r = runHook(s, engine, 'INPUT', cx, opts, OUT);
      }
    }
    if (r === GIVE_UP) return null;
    if (r === CONTINUE) {
      OUT.verdict = 'ACCEPT';
      OUT.decidedBy = pickAccept(s.accepts, p.path);
    }
    // The lazy completion re-reads the packet: keep a copy so later changes by the caller do not
    // leak into it.
    return new FastResult(OUT.verdict, OUT.decidedBy, engine, { ...packet }, cx, opts);
  } finally {
    s.busy = false;
  }
}
