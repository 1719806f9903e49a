// The lean fast path of the compiled engine: verdict and deciding rule only, allocation-free.
// It walks the flat program that compile.ts builds (layout: program.ts — typed arrays per rule,
// interned interfaces, int-keyed decision trees) with the packet held in module-level ints, and
// returns a verdict code (see `codeVerdict`, `codeDecidedBy`). `evaluate(..., {explain: false})`
// wraps the code in a result whose other fields (path, NAT steps, reasons, hooks, final packet,
// branches) the full walk computes when first read.
//
// Whenever the walk meets something it does not model — a rule whose matches cannot be decided
// (the full walk explores both branches), REDIRECT, NAT to an address range, an unknown target,
// a loop, malformed input, a re-entrant call from a route callback — it gives up (-1) and the
// caller runs the full walk, so the answer is always the full walk's.

import { formatAddr, parseIPv4, parseAddr } from './addr.js';
import { protocolNumber } from './parse-iptables.js';
import { InputError } from '../model/errors.js';
import {
  CT_BITS,
  F_CT,
  F_CT_NEG,
  F_DPORT,
  F_DPORT_NEG,
  F_DST,
  F_DST_NEG,
  F_IN,
  F_IN_NEG,
  F_IN_WILD,
  F_NEVER,
  F_OUT,
  F_OUT_NEG,
  F_OUT_WILD,
  F_PROTO,
  F_PROTO_NEG,
  F_REST,
  F_SPORT,
  F_SPORT_NEG,
  F_SRC,
  F_SRC_NEG,
  NODE_LEAF,
  HASH_STRIDE,
  R_AFFECTS,
  R_CT,
  R_DP_FROM,
  R_DP_TO,
  R_DST,
  R_DST_MASK,
  R_FLAGS,
  R_IN,
  R_JUMP,
  R_OUT,
  R_PROTO,
  R_SP_FROM,
  R_SP_TO,
  R_SRC,
  R_SRC_MASK,
  R_TARGET,
  RULE_STRIDE,
  T_ACCEPT,
  T_CONNMARK,
  T_DROP,
  T_GOTO,
  T_JUMP,
  T_MARK,
  T_MASQ,
  T_DNAT,
  T_SNAT,
  NAT_STRIDE,
  NAT_TO,
  NAT_ADDR,
  NAT_PORTS,
  CHAIN_FILTER,
  CHAIN_NFT,
  T_NONE,
  T_NOTRACK,
  T_REJECT,
  T_RETURN,
  type Program,
} from './program.js';
import { hasPorts, NO, NO_PORT, UNK, UNKNOWN_PORT, YES, TCP_FLAG_BITS, type EvalCtx, type PState } from './match.js';
import { mutateNat, reroute } from './nat.js';
import { applyMark, MAX_DEPTH, policyDecided, ruleDecided, runEvaluation, type CTarget, type Engine } from './walk.js';
import type { DecidedBy, EvaluateOptions, EvaluationResult, Hook, Packet, PacketBatch, PacketView, PathKind, Reason, TraceStep, Verdict } from './types.js';

// ---------------------------------------------------------------------------------------------
// Verdict codes: code = decider * 4 + verdict. decider 0 = none; 1 + (g * 5 + hook) for rule g;
// 1 + ((nRules + c) * 5 + hook) for the policy of chain c.

const VERDICTS: readonly Verdict[] = ['ACCEPT', 'DROP', 'REJECT', 'unknown'];
const V_ACCEPT = 0;
const V_DROP = 1;
const V_REJECT = 2;
const HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
const H_PRE = 0;
const H_INPUT = 1;
const H_FORWARD = 2;
const H_OUTPUT = 3;
const H_POST = 4;

export function codeVerdict(code: number): Verdict {
  return VERDICTS[code & 3]!;
}

/** The shared, frozen record of what decided a verdict code. */
export function codeDecidedBy(pr: Program, code: number): DecidedBy | null {
  return deciderOf(pr, code >>> 2);
}

function deciderOf(pr: Program, d: number): DecidedBy | null {
  if (d === 0) return null;
  return pr.decided[d] ?? (pr.decided[d] = makeDecider(pr, d));
}

function makeDecider(pr: Program, d: number): DecidedBy {
  const x = d - 1;
  const hook = HOOKS[x % 5]!;
  const id = Math.floor(x / 5);
  if (id < pr.nRules) return ruleDecided(pr.rules[id]!, hook, pr.chains[pr.ruleChain[id]!]!.name);
  return policyDecided(pr.chains[id - pr.nRules]!, hook);
}

/** The code of a full-walk result (for packets the fast path gave up on). */
export function resultCode(pr: Program, r: EvaluationResult): number {
  const v = VERDICTS.indexOf(r.verdict);
  const d = r.decidedBy;
  if (!d) return v;
  const c = pr.chainId.get(`${d.table}\u0000${d.chain}`);
  const h = HOOKS.indexOf(d.hook);
  if (c === undefined || h < 0) return v;
  const id = d.policy || d.index === null ? pr.nRules + c : pr.chainBase[c]! + d.index - 1;
  return (1 + id * 5 + h) * 4 + v;
}

// ---------------------------------------------------------------------------------------------
// Packet state: the reference PState (for NAT, rerouting and the closures of rare matches) and
// its int view the rule tests read.

const P: PState = newPState();
// The int view lives in one Int32Array (module-level number variables would box addresses
// outside the small-int range on every store).
const S = new Int32Array(16);
const SRC = 0;
const SRC_OK = 1;
const DST = 2;
const DST_OK = 3;
const PROTO = 4;
const PORTS = 5;
const SPORT = 6;
const DPORT = 7;
/** Interface id; -1 unknown (null), -2 none (''). */
const IIF = 8;
const OIF = 9;
const CT = 10;
/** Id of P.routedOif (the out interface once PREROUTING is done), cached for roifName. */
const ROIF = 11;
let roifName: string | null = null;
let WILD = new Uint8Array(0);
let STRIDE = 1;
let busy = false;
let ifaceFull = false;

function newPState(): PState {
  return {
    family: 'ipv4',
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
}

const SRC4 = [0];
const DST4 = [0];

function ifaceId(pr: Program, name: string | null): number {
  if (name === null) return -1;
  if (name === '') return -2;
  const t = pr.ifaces;
  let id = t.ids.get(name);
  if (id === undefined) {
    id = t.id(name);
    if (id < 0) {
      ifaceFull = true;
      return -1;
    }
  }
  return id;
}

/** Re-derive the addresses, ports and conntrack state of the int view from P (after NAT). */
function syncAddrs(pr: Program): void {
  const p = P;
  if (pr.family === 'ipv4') {
    S[SRC_OK] = p.src !== null ? 1 : 0;
    S[SRC] = p.src !== null ? p.src[0]! | 0 : 0;
    S[DST_OK] = p.dst !== null ? 1 : 0;
    S[DST] = p.dst !== null ? p.dst[0]! | 0 : 0;
  }
  S[SPORT] = p.sport;
  S[DPORT] = p.dport;
}

/** Re-derive the whole int view from P (after rerouting, which may change interfaces). */
function sync(pr: Program): void {
  syncAddrs(pr);
  S[CT] = CT_BITS[P.ct]!;
  S[IIF] = ifaceId(pr, P.iif);
  S[OIF] = ifaceId(pr, P.oif);
  S[ROIF] = ifaceId(pr, P.routedOif);
  roifName = P.routedOif;
  WILD = pr.ifaces.wild;
  STRIDE = pr.ifaces.stride;
}

/** Fill P and its int view from a packet; false when something unusual needs the full path's checks. */
function fill(pr: Program, pk: Packet): boolean {
  const family = pr.family;
  if (pk.family !== family) return false;
  const p = P;
  if (typeof pk.src !== 'string' || typeof pk.dst !== 'string') return false;
  if (family === 'ipv4') {
    const a = parseIPv4(pk.src);
    const b = parseIPv4(pk.dst);
    if (a < 0 || b < 0) return false;
    SRC4[0] = a;
    DST4[0] = b;
    p.src = SRC4;
    p.dst = DST4;
  } else {
    p.src = parseAddr(pk.src, family);
    p.dst = parseAddr(pk.dst, family);
    if (!p.src || !p.dst) return false;
  }
  const proto = protocolNumber(pk.protocol);
  if (proto === null || proto === 0) return false;
  let sport: number;
  let dport: number;
  const ports = hasPorts(proto);
  if (!ports) sport = dport = NO_PORT;
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
  // Rare (loopback re-entry): the full walk handles NAT already bound by conntrack.
  if (pk.natBound === true) return false;
  const ct = pk.ctState;
  if (ct !== 'NEW' && ct !== 'ESTABLISHED' && ct !== 'RELATED' && ct !== 'INVALID') return false;
  p.family = family;
  p.proto = proto;
  p.sport = sport;
  p.dport = dport;
  const iif = path === 'output' ? '' : pk.inIface === undefined ? null : pk.inIface;
  const oif = path === 'input' ? '' : pk.outIface === undefined ? null : pk.outIface;
  if ((iif !== null && typeof iif !== 'string') || (oif !== null && typeof oif !== 'string')) return false;
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
  S[PROTO] = proto;
  S[PORTS] = ports ? 1 : 0;
  ifaceFull = false;
  sync(pr);
  return !ifaceFull;
}

// ---------------------------------------------------------------------------------------------
// Rule test: the array part, then the closure of any other matches. Ternary AND, as evalRule.

function testRule(pr: Program, g: number, cx: EvalCtx): number {
  const R = pr.rule;
  const b = g * RULE_STRIDE;
  const f = R[b + R_FLAGS]!;
  if (f === 0) return YES;
  if (f & F_NEVER) return NO;
  let unk = false;
  if (f & F_PROTO) {
    if ((S[PROTO] === R[b + R_PROTO]!) === ((f & F_PROTO_NEG) !== 0)) return NO;
  }
  if (f & F_OUT) {
    if (S[OIF] === -1) unk = true;
    else if (S[OIF] === -2) {
      if (!(f & F_OUT_NEG)) return NO;
    } else {
      const hit = f & F_OUT_WILD ? WILD[S[OIF] * STRIDE + R[b + R_OUT]!] === 1 : S[OIF] === R[b + R_OUT]!;
      if (hit === ((f & F_OUT_NEG) !== 0)) return NO;
    }
  }
  if (f & F_IN) {
    if (S[IIF] === -1) unk = true;
    else if (S[IIF] === -2) {
      if (!(f & F_IN_NEG)) return NO;
    } else {
      const hit = f & F_IN_WILD ? WILD[S[IIF] * STRIDE + R[b + R_IN]!] === 1 : S[IIF] === R[b + R_IN]!;
      if (hit === ((f & F_IN_NEG) !== 0)) return NO;
    }
  }
  if (f & F_DST) {
    if (!S[DST_OK]) unk = true;
    else if (((S[DST] & R[b + R_DST_MASK]!) === R[b + R_DST]!) === ((f & F_DST_NEG) !== 0)) return NO;
  }
  if (f & F_SRC) {
    if (!S[SRC_OK]) unk = true;
    else if (((S[SRC] & R[b + R_SRC_MASK]!) === R[b + R_SRC]!) === ((f & F_SRC_NEG) !== 0)) return NO;
  }
  if (f & F_DPORT) {
    // A port match never matches a protocol without ports, negated or not.
    if (!S[PORTS]) return NO;
    if (S[DPORT] === UNKNOWN_PORT) unk = true;
    else {
      const r = pr.ranges;
      let hit = false;
      for (let i = R[b + R_DP_FROM]!, e = R[b + R_DP_TO]!; i < e; i += 2) {
        if (S[DPORT] >= r[i]! && S[DPORT] <= r[i + 1]!) {
          hit = true;
          break;
        }
      }
      if (hit === ((f & F_DPORT_NEG) !== 0)) return NO;
    }
  }
  if (f & F_SPORT) {
    if (!S[PORTS]) return NO;
    if (S[SPORT] === UNKNOWN_PORT) unk = true;
    else {
      const r = pr.ranges;
      let hit = false;
      for (let i = R[b + R_SP_FROM]!, e = R[b + R_SP_TO]!; i < e; i += 2) {
        if (S[SPORT] >= r[i]! && S[SPORT] <= r[i + 1]!) {
          hit = true;
          break;
        }
      }
      if (hit === ((f & F_SPORT_NEG) !== 0)) return NO;
    }
  }
  if (f & F_CT) {
    if (((S[CT] & R[b + R_CT]!) !== 0) === ((f & F_CT_NEG) !== 0)) return NO;
  }
  if (f & F_REST) {
    const r = pr.rest[g]!(P, cx);
    if (r === NO) return NO;
    if (r === UNK) unk = true;
  }
  return unk ? UNK : YES;
}

// ---------------------------------------------------------------------------------------------
// Candidate rules of a chain for the packet: the decision tree's lists (global rule ids, each in
// chain order), merged into the chain's scratch area when there are several. A chain is never on
// the jump stack twice (netfilter rejects loops), so its scratch is free while it is looked up.

const MAX_LISTS = 4096;
const LO = new Int32Array(MAX_LISTS);
const LN = new Int32Array(MAX_LISTS);
let nL = 0;
let C_OFF = 0;
let C_LEN = 0;
let listsOverflow = false;

function push(off: number, len: number): void {
  if (len === 0) return;
  if (nL === MAX_LISTS) {
    listsOverflow = true;
    return;
  }
  LO[nL] = off;
  LN[nL++] = len;
}

function collect(pr: Program, node: number): void {
  const N = pr.nodes;
  for (;;) {
    if (N[node] === NODE_LEAF) {
      push(N[node + 1]!, N[node + 2]!);
      return;
    }
    let key: number;
    let known = true;
    switch (N[node + 1]) {
      case 0:
        key = S[PROTO];
        break;
      case 1:
        key = S[IIF];
        known = S[IIF] !== -1;
        break;
      case 2:
        key = S[OIF];
        known = S[OIF] !== -1;
        break;
      case 3:
        key = S[DPORT];
        known = S[DPORT] !== UNKNOWN_PORT;
        break;
      case 4:
        key = S[DST] & N[node + 2]!;
        known = S[DST_OK] === 1;
        break;
      default:
        key = S[SRC] & N[node + 2]!;
        known = S[SRC_OK] === 1;
        break;
    }
    if (!known) {
      push(N[node + 4]!, N[node + 5]!);
      return;
    }
    // Open addressing, linear probing (program.ts HASH_STRIDE slots).
    const H = pr.hash;
    const hoff = N[node + 7]!;
    const shift = N[node + 8]!;
    const mask = (1 << (32 - shift)) - 1;
    let h = Math.imul(key, 0x9e3779b1) >>> shift;
    for (;;) {
      const e = hoff + h * HASH_STRIDE;
      const v = H[e + 1]!;
      if (v === 0) break;
      if (H[e] === key) {
        const len = H[e + 3]!;
        if (len >= 0) {
          // A leaf child: its list is in the slot. Merged: the wild rules are in it too.
          push(H[e + 2]!, len);
          if (N[node + 6] === 1) return;
        } else collect(pr, v - 1);
        break;
      }
      h = (h + 1) & mask;
    }
    node = N[node + 3]!;
  }
}

function mergeInto(L: Int32Array, a: number, an: number, b: number, bn: number, out: number): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < an && j < bn) {
    const x = L[a + i]!;
    const y = L[b + j]!;
    if (x < y) {
      L[out + n++] = x;
      i++;
    } else {
      L[out + n++] = y;
      j++;
    }
  }
  while (i < an) L[out + n++] = L[a + i++]!;
  while (j < bn) L[out + n++] = L[b + j++]!;
  return n;
}

function lookup(pr: Program, c: number): void {
  nL = 0;
  collect(pr, pr.chainRoot[c]!);
  if (nL <= 1) {
    C_OFF = nL ? LO[0]! : 0;
    C_LEN = nL ? LN[0]! : 0;
    return;
  }
  const L = pr.lists;
  const size = pr.chainBase[c + 1]! - pr.chainBase[c]!;
  let cur = pr.scratch[c]!;
  let other = cur + size;
  let n = mergeInto(L, LO[0]!, LN[0]!, LO[1]!, LN[1]!, cur);
  for (let i = 2; i < nL; i++) {
    n = mergeInto(L, cur, n, LO[i]!, LN[i]!, other);
    const t = cur;
    cur = other;
    other = t;
  }
  C_OFF = cur;
  C_LEN = n;
}

// ---------------------------------------------------------------------------------------------
// The walk.

const STACK_C = new Int32Array(MAX_DEPTH);
const STACK_OFF = new Int32Array(MAX_DEPTH);
const STACK_LEN = new Int32Array(MAX_DEPTH);
const STACK_K = new Int32Array(MAX_DEPTH);
const ACC_ID: number[] = [];
let nAcc = 0;
const GIVE_UP = -1;
const CONTINUE = -2;

function accept(id: number): number {
  ACC_ID[nAcc++] = id;
  return CONTINUE;
}

// NAT for IPv4 without allocation: mutateNat's semantics, with the new address written to one of
// two scratch words so that p.dst changes identity as it does in the full walk (runHook reroutes
// on that).
const NAT_SRC = [[0], [0]];
const NAT_DST = [[0], [0]];
let natFlip = 0;

/** portsOf (nat.ts) on the NAT record's port range. */
function natPort(has: boolean, lo: number, hi: number, cur: number): number {
  if (!has || cur === NO_PORT) return cur;
  if (lo === hi) return lo;
  if (cur >= lo && cur <= hi) return cur;
  return UNKNOWN_PORT;
}

function nat4(pr: Program, g: number, code: number, cx: EvalCtx): void {
  const p = P;
  const X = pr.nat;
  const o = g * NAT_STRIDE;
  const fl = X[o + 1]!;
  natFlip ^= 1;
  if (code === T_DNAT) {
    if (fl & NAT_TO) {
      if (fl & NAT_ADDR) {
        // targetCode (program.ts) sends address ranges to the full walk: here the address is one.
        const w = NAT_DST[natFlip]!;
        w[0] = X[o]! >>> 0;
        p.dst = w;
      }
      p.dport = natPort((fl & NAT_PORTS) !== 0, X[o + 2]!, X[o + 3]!, p.dport);
    }
    p.dnat = true;
    p.dstChanged = true;
  } else if (code === T_SNAT) {
    if (fl & NAT_TO) {
      if (fl & NAT_ADDR) {
        const w = NAT_SRC[natFlip]!;
        w[0] = X[o]! >>> 0;
        p.src = w;
      }
      p.sport = natPort((fl & NAT_PORTS) !== 0, X[o + 2]!, X[o + 3]!, p.sport);
    }
    p.snat = true;
    p.srcChanged = true;
  } else {
    const out = p.oif;
    const a = out && cx.ifaceAddress ? cx.ifaceAddress(out) : null;
    const v = typeof a === 'string' ? parseIPv4(a) : -1;
    if (v >= 0) {
      const w = NAT_SRC[natFlip]!;
      w[0] = v;
      p.src = w;
    } else p.src = a ? parseAddr(a, 'ipv4') : null;
    p.sport = natPort((fl & NAT_PORTS) !== 0, X[o + 2]!, X[o + 3]!, p.sport);
    p.snat = true;
    p.srcChanged = true;
  }
}

/**
 * pickAccept (walk.ts) on the decider ids of the terminal ACCEPTs: the same choice, read from
 * the program's ints instead of the DecidedBy records.
 */
function pickAcceptId(pr: Program, path: PathKind): number {
  const main = path === 'forward' ? H_FORWARD : path === 'input' ? H_INPUT : H_OUTPUT;
  const n = nAcc;
  let firstFilter = -1;
  for (let i = 0; i < n; i++) {
    const x = ACC_ID[i]! - 1;
    const hook = x % 5;
    const idx = (x - hook) / 5;
    const policy = idx >= pr.nRules;
    const cf = pr.chainFlags[policy ? idx - pr.nRules : pr.ruleChain[idx]!]!;
    if (cf & CHAIN_FILTER && hook === main) {
      if (!policy) return ACC_ID[i]!;
      firstFilter = i;
      break;
    }
  }
  let nftAny = -1;
  for (let i = 0; i < n; i++) {
    const x = ACC_ID[i]! - 1;
    const hook = x % 5;
    if (hook !== main) continue;
    const idx = (x - hook) / 5;
    const policy = idx >= pr.nRules;
    const cf = pr.chainFlags[policy ? idx - pr.nRules : pr.ruleChain[idx]!]!;
    if (!(cf & CHAIN_NFT)) continue;
    if (!policy) return ACC_ID[i]!;
    if (nftAny < 0) nftAny = i;
  }
  if (firstFilter >= 0) return ACC_ID[firstFilter]!;
  if (nftAny >= 0) return ACC_ID[nftAny]!;
  for (let i = n - 1; i >= 0; i--) {
    const x = ACC_ID[i]! - 1;
    const idx = (x - (x % 5)) / 5;
    const policy = idx >= pr.nRules;
    if (pr.chainFlags[policy ? idx - pr.nRules : pr.ruleChain[idx]!]! & CHAIN_FILTER) return ACC_ID[i]!;
  }
  return n ? ACC_ID[n - 1]! : 0;
}

/** Walk one table's base chain; a verdict code when decided, CONTINUE, or GIVE_UP. */
function runTable(pr: Program, hook: number, start: number, nat: boolean, cx: EvalCtx): number {
  if (nat && P.ct !== 'NEW') return CONTINUE;
  const hk = HOOKS[hook]!;
  let c = start;
  lookup(pr, c);
  let off = C_OFF;
  let len = C_LEN;
  let k = 0;
  let depth = 0;
  const L = pr.lists;
  const R = pr.rule;
  for (;;) {
    if (listsOverflow) return GIVE_UP;
    if (k >= len) {
      if (depth > 0) {
        depth--;
        c = STACK_C[depth]!;
        off = STACK_OFF[depth]!;
        len = STACK_LEN[depth]!;
        k = STACK_K[depth]!;
        continue;
      }
      const ch = pr.chains[start]!;
      const id = 1 + (pr.nRules + start) * 5 + hook;
      if (ch.policy === 'DROP') return id * 4 + V_DROP;
      return accept(id);
    }
    const g = L[off + k++]!;
    const b = g * RULE_STRIDE;
    const m = testRule(pr, g, cx);
    if (m === NO) continue;
    if (m === UNK) {
      if (R[b + R_AFFECTS]!) return GIVE_UP;
      continue;
    }
    switch (R[b + R_TARGET]!) {
      case T_NONE:
        continue;
      case T_ACCEPT:
        return accept(1 + g * 5 + hook);
      case T_DROP:
        return (1 + g * 5 + hook) * 4 + V_DROP;
      case T_REJECT:
        return (1 + g * 5 + hook) * 4 + V_REJECT;
      case T_RETURN:
        if (depth > 0) {
          depth--;
          c = STACK_C[depth]!;
          off = STACK_OFF[depth]!;
          len = STACK_LEN[depth]!;
          k = STACK_K[depth]!;
        } else k = len; // RETURN from a built-in chain: its policy.
        continue;
      case T_JUMP:
        if (depth >= MAX_DEPTH) return GIVE_UP;
        STACK_C[depth] = c;
        STACK_OFF[depth] = off;
        STACK_LEN[depth] = len;
        STACK_K[depth] = k;
        depth++;
        c = R[b + R_JUMP]!;
        lookup(pr, c);
        off = C_OFF;
        len = C_LEN;
        k = 0;
        continue;
      case T_GOTO:
        c = R[b + R_JUMP]!;
        lookup(pr, c);
        off = C_OFF;
        len = C_LEN;
        k = 0;
        continue;
      case T_DNAT:
      case T_SNAT:
      case T_MASQ: {
        const code = R[b + R_TARGET]!;
        if (pr.family === 'ipv4') nat4(pr, g, code, cx);
        else mutateNat(P, pr.rules[g]!.target as Extract<CTarget, { kind: 'dnat' | 'snat' | 'masquerade' }>, hk, cx);
        syncAddrs(pr);
        return accept(1 + g * 5 + hook);
      }
      case T_NOTRACK:
        P.ct = 'UNTRACKED';
        S[CT] = CT_BITS.UNTRACKED!;
        continue;
      case T_MARK:
        P.mark = applyMark(P.mark, pr.rules[g]!.target as Extract<CTarget, { kind: 'mark' }>);
        continue;
      case T_CONNMARK:
        if ((pr.rules[g]!.target as Extract<CTarget, { kind: 'connmark' }>).restore) P.mark = null;
        continue;
      default:
        return GIVE_UP;
    }
  }
}

function runHook(pr: Program, hook: number, cx: EvalCtx, opts: EvaluateOptions): number {
  const p = P;
  if (hook === H_PRE) {
    p.oif = '';
    S[OIF] = -2;
  }
  const chains = pr.hookChains[hook]!;
  const nat = pr.hookNat[hook]!;
  for (let i = 0; i < chains.length; i++) {
    const dstBefore = p.dst;
    const r = runTable(pr, hook, chains[i]!, nat[i] === 1, cx);
    if (r !== CONTINUE) return r;
    if ((hook === H_PRE || hook === H_OUTPUT) && p.dst !== dstBefore) {
      if (p.dst === null) return GIVE_UP;
      reroute(p, HOOKS[hook]!, cx, opts, null);
      sync(pr);
      if (ifaceFull) return GIVE_UP;
    }
  }
  if (hook === H_PRE) {
    p.routed = true;
    p.oif = p.routedOif;
    S[OIF] = p.oif === roifName ? S[ROIF]! : ifaceId(pr, p.oif);
    if (ifaceFull) return GIVE_UP;
  }
  return CONTINUE;
}

/** The walk for the packet in P; a verdict code or GIVE_UP. */
function run(pr: Program, cx: EvalCtx, opts: EvaluateOptions): number {
  listsOverflow = false;
  nAcc = 0;
  let r: number;
  if (P.path === 'output') {
    r = runHook(pr, H_OUTPUT, cx, opts);
    if (r === CONTINUE) r = runHook(pr, H_POST, cx, opts);
  } else {
    r = runHook(pr, H_PRE, cx, opts);
    if (r === CONTINUE) {
      if (P.path === 'forward') {
        r = runHook(pr, H_FORWARD, cx, opts);
        if (r === CONTINUE) r = runHook(pr, H_POST, cx, opts);
      } else r = runHook(pr, H_INPUT, cx, opts);
    }
  }
  if (r === GIVE_UP) return GIVE_UP;
  if (r === CONTINUE) {
    return pickAcceptId(pr, P.path) * 4 + V_ACCEPT;
  }
  return r;
}

/**
 * The fast path: a verdict code, or -1 when the packet needs the full walk (undecidable matches,
 * exotic targets, malformed input — the full walk then reports it with its reasons or errors).
 */
export function fastCode(pr: Program, packet: Packet, cx: EvalCtx, opts: EvaluateOptions): number {
  // A route callback that evaluates again while this walk is under way: full walk.
  if (busy) return GIVE_UP;
  busy = true;
  try {
    if (!fill(pr, packet)) return GIVE_UP;
    return run(pr, cx, opts);
  } finally {
    busy = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Batches: packets as columns of typed arrays, for whole-matrix analyses (no packet objects).

const PATHS: readonly PathKind[] = ['forward', 'input', 'output'];
const CTS: readonly Packet['ctState'][] = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'];

/** Row i of a batch as a Packet (for the full walk and for explanations). */
export function batchPacket(b: PacketBatch, i: number): Packet {
  const pk: Packet = {
    family: b.family,
    src: formatAddr([b.src[i]!], 'ipv4'),
    dst: formatAddr([b.dst[i]!], 'ipv4'),
    protocol: b.proto[i]!,
    ctState: CTS[b.ctState[i]!] ?? (String(b.ctState[i]) as Packet['ctState']),
    path: PATHS[b.path[i]!] ?? (String(b.path[i]) as PathKind),
  };
  const ii = b.inIface[i]!;
  const oi = b.outIface[i]!;
  if (ii >= b.ifaces.length || oi >= b.ifaces.length) throw new InputError(`packet ${i} of the batch: interface index ${Math.max(ii, oi)} is not in its ifaces`);
  if (ii >= 0) pk.inIface = b.ifaces[ii]!;
  if (oi >= 0) pk.outIface = b.ifaces[oi]!;
  if (b.sport[i]! >= 0) pk.sport = b.sport[i]!;
  if (b.dport[i]! >= 0) pk.dport = b.dport[i]!;
  return pk;
}

function fillRow(pr: Program, b: PacketBatch, i: number, ifMap: Int32Array): boolean {
  const p = P;
  const proto = b.proto[i]!;
  if (proto === 0) return false;
  const ports = hasPorts(proto);
  let sport = NO_PORT;
  let dport = NO_PORT;
  if (ports) {
    sport = b.sport[i]!;
    dport = b.dport[i]!;
    if (sport > 65535 || dport > 65535) return false;
    if (sport < 0) sport = UNKNOWN_PORT;
    if (dport < 0) dport = UNKNOWN_PORT;
  }
  const path = PATHS[b.path[i]!];
  const ct = CTS[b.ctState[i]!];
  if (path === undefined || ct === undefined) return false;
  const ii = b.inIface[i]!;
  const oi = b.outIface[i]!;
  if (ii >= ifMap.length || oi >= ifMap.length) return false;
  SRC4[0] = b.src[i]!;
  DST4[0] = b.dst[i]!;
  p.src = SRC4;
  p.dst = DST4;
  p.family = 'ipv4';
  p.proto = proto;
  p.sport = sport;
  p.dport = dport;
  const iif = path === 'output' ? '' : ii < 0 ? null : b.ifaces[ii]!;
  const oif = path === 'input' ? '' : oi < 0 ? null : b.ifaces[oi]!;
  p.iif = iif;
  p.oif = oif;
  p.ct = ct;
  p.mark = null;
  p.origSrc = p.src;
  p.origDst = p.dst;
  p.origSport = sport;
  p.origDport = dport;
  p.dnat = false;
  p.snat = false;
  p.srcChanged = false;
  p.dstChanged = false;
  p.srcLocalHint = undefined;
  p.dstLocalHint = undefined;
  p.icmpType = -1;
  p.icmpCode = -1;
  p.tcpFlags = -1;
  p.physdev = undefined;
  p.path = path;
  p.routed = path === 'output';
  p.givenOut = path === 'input' ? (oi < 0 ? null : b.ifaces[oi]!) : null;
  p.routedOif = oif;
  S[PROTO] = proto;
  S[PORTS] = ports ? 1 : 0;
  syncAddrs(pr);
  S[IIF] = path === 'output' ? -2 : ii < 0 ? -1 : ifMap[ii]!;
  S[OIF] = path === 'input' ? -2 : oi < 0 ? -1 : ifMap[oi]!;
  S[ROIF] = S[OIF]!;
  S[CT] = 1 << b.ctState[i]!;
  roifName = oif;
  WILD = pr.ifaces.wild;
  STRIDE = pr.ifaces.stride;
  return true;
}

/**
 * Codes for every row of a batch into out; rows the lean path does not model get the code of
 * `full(i)` (the caller's full walk).
 */
export function fastBatch(pr: Program, b: PacketBatch, cx: EvalCtx, opts: EvaluateOptions, out: Int32Array, full: (i: number) => number): void {
  const ifMap = new Int32Array(b.ifaces.length);
  ifaceFull = false;
  let ok = !busy;
  for (let j = 0; j < b.ifaces.length; j++) {
    const name = b.ifaces[j];
    if (typeof name !== 'string') ok = false;
    else ifMap[j] = ifaceId(pr, name);
  }
  if (ifaceFull) ok = false;
  if (!ok) {
    for (let i = 0; i < b.length; i++) out[i] = full(i);
    return;
  }
  // Busy for the whole batch: an evaluation from inside (a route callback, the full walk of a
  // row handed over) takes the full walk instead of clobbering this walk's state.
  busy = true;
  try {
    for (let i = 0; i < b.length; i++) {
      const code = fillRow(pr, b, i, ifMap) ? run(pr, cx, opts) : GIVE_UP;
      out[i] = code >= 0 ? code : full(i);
    }
  } finally {
    busy = false;
  }
}

/** The lazily completed result of the fast path (evaluate with explain: false). */
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

/** The fast path wrapped as an EvaluationResult, or null when it gave up. */
export function fastEvaluate(pr: Program, engine: Engine, packet: Packet, cx: EvalCtx, opts: EvaluateOptions): EvaluationResult | null {
  const code = fastCode(pr, packet, cx, opts);
  if (code < 0) return null;
  // The lazy completion re-reads the packet: keep a copy so later changes by the caller do not
  // leak into it.
  return new FastResult(codeVerdict(code), codeDecidedBy(pr, code), engine, { ...packet }, cx, opts);
}
