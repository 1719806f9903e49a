// The flat program the fast path (fast.ts) walks: its data layout — rule records, NAT records,
// decision-tree node and hash records, the per-chain and per-hook arrays, interned interfaces —
// and the codes stored in them. compile.ts builds a Program from a parsed ruleset; fast.ts reads
// one; nothing here depends on either.
//
// Why this shape: a profile of the object-graph fast path showed its time going to memory
// latency (rule objects, closures, Map lookups keyed by strings and by heap-number addresses)
// rather than to rule tests. Here every rule becomes one fixed-size int record in a typed array,
// indexed by a global rule id (the walk tests one rule at a time, so a rule's fields share a
// cache line rather than one array per field), interface names are interned to small ints (with
// a precomputed row of `+` wildcard hits per interface), and each decision tree becomes int
// records with open-addressing int hash tables. Matches the arrays cannot express (sets,
// addrtype, mark, physdev, ...) stay as a per-rule closure over the packet state, tested after
// the array part, so a rule's result is still exactly the reference AND of its matches.

import type { EvalCtx, PState, Tri } from './match.js';
import type { CChain, CRule, CTarget } from './walk.js';
import type { DecidedBy, Family, Hook } from './types.js';

/** Rule flag bits (record field R_FLAGS). */
export const F_SRC = 1 << 0;
export const F_SRC_NEG = 1 << 1;
export const F_DST = 1 << 2;
export const F_DST_NEG = 1 << 3;
export const F_PROTO = 1 << 4;
export const F_PROTO_NEG = 1 << 5;
export const F_IN = 1 << 6;
export const F_IN_NEG = 1 << 7;
export const F_IN_WILD = 1 << 8;
export const F_OUT = 1 << 9;
export const F_OUT_NEG = 1 << 10;
export const F_OUT_WILD = 1 << 11;
export const F_DPORT = 1 << 12;
export const F_DPORT_NEG = 1 << 13;
export const F_SPORT = 1 << 14;
export const F_SPORT_NEG = 1 << 15;
export const F_CT = 1 << 16;
export const F_CT_NEG = 1 << 17;
/** Other matches: test Program.rest[g] too. */
export const F_REST = 1 << 18;
/** The rule can never match (`! -p all`). */
export const F_NEVER = 1 << 19;

/** Conntrack state bits (Program.ct). */
export const CT_BITS: Readonly<Record<string, number>> = { NEW: 1, ESTABLISHED: 2, RELATED: 4, INVALID: 8, UNTRACKED: 16 };

/** Target codes (Program.target). */
export const T_NONE = 0;
export const T_ACCEPT = 1;
export const T_DROP = 2;
export const T_REJECT = 3;
export const T_RETURN = 4;
export const T_JUMP = 5;
export const T_GOTO = 6;
export const T_DNAT = 7;
export const T_MASQ = 8;
export const T_SNAT = 13;
export const T_NOTRACK = 9;
export const T_MARK = 10;
export const T_CONNMARK = 11;
/** REDIRECT, unknown targets, DNAT/SNAT to an address range: the full walk handles them. */
export const T_GIVE_UP = 12;

/** Tree dimensions as ints (node record field 1). */
export const DIM_CODE: Readonly<Record<'proto' | 'iif' | 'oif' | 'dport' | 'dst' | 'src', number>> = { proto: 0, iif: 1, oif: 2, dport: 3, dst: 4, src: 5 };
export const NODE_LEAF = 0;
export const NODE_INNER = 1;
/** Words per node record: [type, dim, mask, wild, allOff, allLen, merged, hashOff, hashShift]; a leaf uses [type, listOff, listLen]. */
export const NODE_SIZE = 9;

export const RULE_STRIDE = 16;
export const R_FLAGS = 0;
export const R_SRC = 1;
export const R_SRC_MASK = 2;
export const R_DST = 3;
export const R_DST_MASK = 4;
export const R_PROTO = 5;
export const R_IN = 6;
export const R_OUT = 7;
export const R_DP_FROM = 8;
export const R_DP_TO = 9;
export const R_SP_FROM = 10;
export const R_SP_TO = 11;
export const R_CT = 12;
export const R_TARGET = 13;
/** Jump / goto target chain id. */
export const R_JUMP = 14;
export const R_AFFECTS = 15;

export const NAT_STRIDE = 4;
export const NAT_TO = 1;
export const NAT_ADDR = 2;
export const NAT_PORTS = 4;
/** The chain is in the iptables filter table. */
export const CHAIN_FILTER = 1;
/** The chain is in a native nftables table and is not a nat chain (walk.ts pickAccept). */
export const CHAIN_NFT = 2;

export const HASH_STRIDE = 4;

export interface Program {
  family: Family;
  nRules: number;
  /**
   * Per rule (global id g = chainBase[c] + position): RULE_STRIDE ints from g * RULE_STRIDE,
   * fields R_*. One rule's fields share a cache line: the walk tests rules one at a time.
   * Port ranges are [lo, hi] pairs in `ranges` from R_DP_FROM (inclusive) to R_DP_TO (exclusive).
   */
  rule: Int32Array;
  ranges: Int32Array;
  /**
   * NAT targets, NAT_STRIDE ints per rule: [address, flags (NAT_TO, NAT_ADDR, NAT_PORTS), port
   * lo, port hi] — read only when a NAT rule matches, so kept out of the rule records.
   */
  nat: Int32Array;
  /** Per chain: CHAIN_FILTER, CHAIN_NFT (for picking the deciding ACCEPT without objects). */
  chainFlags: Uint8Array;
  rest: Array<((p: PState, cx: EvalCtx) => Tri) | null>;
  rules: CRule[];
  ruleChain: Int32Array;
  /** Per chain (id c). */
  chains: CChain[];
  chainBase: Int32Array;
  chainRoot: Int32Array;
  chainId: Map<string, number>;
  /**
   * Decision trees: node records; hash tables of HASH_STRIDE ints per slot [key, node + 1 (0 =
   * empty), list offset, list length] where the last two repeat a leaf child's list (length -1
   * for an inner child) so a lookup need not read the child; rule-id lists + merge scratch.
   */
  nodes: Int32Array;
  hash: Int32Array;
  lists: Int32Array;
  /** Per chain: offset in `lists` of two scratch areas of the chain's length (for merging). */
  scratch: Int32Array;
  /** Per hook (PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING): base chain ids and nat flags. */
  hookChains: Int32Array[];
  hookNat: Uint8Array[];
  /** Interface interning: names in the ruleset get ids at compile time, others on first sight. */
  ifaces: IfaceTable;
  /** DecidedBy records by decider id (fast.ts), filled on first use. */
  decided: Array<DecidedBy | null>;
}

export class IfaceTable {
  readonly ids = new Map<string, number>();
  readonly prefixes: string[] = [];
  readonly prefixIds = new Map<string, number>();
  /** wild[id * stride + w] = 1 when interface `id` matches wildcard prefix `w`. */
  wild = new Uint8Array(0);
  stride = 1;
  size = 0;
  static readonly MAX = 1 << 16;

  prefix(name: string): number {
    let w = this.prefixIds.get(name);
    if (w === undefined) {
      w = this.prefixes.length;
      this.prefixes.push(name);
      this.prefixIds.set(name, w);
    }
    return w;
  }
  /** Freeze the prefix list; call before interning names. */
  seal(): void {
    this.stride = Math.max(1, this.prefixes.length);
    this.wild = new Uint8Array(this.stride * 16);
  }
  /** The id of a (non-empty) interface name; -1 when the table is full. */
  id(name: string): number {
    const v = this.ids.get(name);
    if (v !== undefined) return v;
    if (this.size >= IfaceTable.MAX) return -1;
    const id = this.size++;
    if ((id + 1) * this.stride > this.wild.length) {
      const w = new Uint8Array(this.wild.length * 2);
      w.set(this.wild);
      this.wild = w;
    }
    for (let i = 0; i < this.prefixes.length; i++) this.wild[id * this.stride + i] = name.startsWith(this.prefixes[i]!) ? 1 : 0;
    this.ids.set(name, id);
    return id;
  }
}

/** Hook order of Program.hookChains / hookNat. */
export const HOOK_ORDER: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** A target's code for the rule record (T_GIVE_UP for what the fast path leaves to the full walk). */
export function targetCode(t: CTarget): number {
  switch (t.kind) {
    case 'none':
    case 'continue':
      return T_NONE;
    case 'verdict':
      return t.verdict === 'ACCEPT' ? T_ACCEPT : t.verdict === 'DROP' ? T_DROP : T_REJECT;
    case 'return':
      return T_RETURN;
    case 'jump':
      return T_JUMP;
    case 'goto':
      return T_GOTO;
    case 'dnat':
    case 'snat':
      if (t.to && t.to.addrFrom && t.to.addrTo) {
        for (let i = 0; i < t.to.addrFrom.length; i++) if (t.to.addrFrom[i] !== t.to.addrTo[i]) return T_GIVE_UP;
      }
      return t.kind === 'dnat' ? T_DNAT : T_SNAT;
    case 'masquerade':
      return T_MASQ;
    case 'notrack':
      return T_NOTRACK;
    case 'mark':
      return T_MARK;
    case 'connmark':
      return T_CONNMARK;
    default:
      return T_GIVE_UP;
  }
}

/** Column arrays in R_* field order → RULE_STRIDE-int records. */
export function packRules(n: number, cols: Array<Int32Array | Uint8Array>): Int32Array {
  const out = new Int32Array(n * RULE_STRIDE);
  for (let g = 0; g < n; g++) for (let f = 0; f < cols.length; f++) out[g * RULE_STRIDE + f] = cols[f]![g]!;
  return out;
}
