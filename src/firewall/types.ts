// Types of the firewall engine: a parsed netfilter ruleset (plain data, JSON-serialisable), the
// packet the evaluator walks through it, and the evaluation / lint results.

import type { Finding } from '../model/finding.js';
import type { AddressFamily } from '../model/types.js';

export type Family = AddressFamily;
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';

/** Which generation of Docker's rule layout a ruleset carries (see analysis-anchors §6). */
export type DockerDialect =
  | 'none'
  | 'docker-le-27'
  | 'docker-28.0.0'
  | 'docker-28.0.1+'
  | 'docker-29'
  | 'docker-29-nftables'
  | 'docker-unrecognised';

/** An address as 32-bit words (1 word for IPv4, 4 for IPv6), network byte order, unsigned. */
export type Words = number[];

export interface Counters {
  packets: number;
  bytes: number;
}

/** A construct the engine does not understand; kept so verdicts touching it become `unknown`. */
export interface UnknownConstruct {
  line: number;
  kind: 'match' | 'target' | 'option' | 'expression';
  /** Module / target / option name, e.g. `limit`, `TPROXY`, `--ctexpire`. */
  name: string;
  /** The tokens it consisted of, as written. */
  text: string;
  table: string;
  chain: string;
}

export interface IfaceSpec {
  /** Name without the trailing `+`. */
  name: string;
  /** `br+`: any interface whose name starts with `name`. */
  wildcard: boolean;
}

export type PortRange = [number, number];

export type Match =
  | { kind: 'addr'; dir: 'src' | 'dst'; neg: boolean; cidr: string; words: Words; mask: Words }
  | { kind: 'iface'; dir: 'in' | 'out'; neg: boolean; iface: IfaceSpec }
  | { kind: 'proto'; neg: boolean; proto: number; name: string }
  | { kind: 'port'; dir: 'src' | 'dst' | 'any'; neg: boolean; ranges: PortRange[]; module: string }
  | { kind: 'ctstate'; neg: boolean; states: string[]; module: 'conntrack' | 'state' }
  | { kind: 'ctorigaddr'; dir: 'src' | 'dst'; neg: boolean; cidr: string; words: Words; mask: Words }
  | { kind: 'ctorigport'; dir: 'src' | 'dst'; neg: boolean; ranges: PortRange[] }
  | { kind: 'ctproto'; neg: boolean; proto: number }
  | { kind: 'addrtype'; dir: 'src' | 'dst'; neg: boolean; types: string[]; limitIface: 'in' | 'out' | null }
  | { kind: 'comment'; text: string }
  | { kind: 'set'; neg: boolean; name: string; flags: Array<'src' | 'dst'>; extra: string[] }
  | { kind: 'mark'; neg: boolean; value: number; mask: number }
  | {
      kind: 'physdev';
      inIface: { neg: boolean; iface: IfaceSpec } | null;
      outIface: { neg: boolean; iface: IfaceSpec } | null;
      isBridged: boolean | null;
      isIn: boolean | null;
      isOut: boolean | null;
    }
  | { kind: 'icmp'; v6: boolean; neg: boolean; type: number | null; codeLo: number; codeHi: number; label: string }
  | { kind: 'tcpflags'; neg: boolean; mask: string[]; comp: string[] }
  | { kind: 'iprange'; dir: 'src' | 'dst'; neg: boolean; from: Words; to: Words; text: string }
  | { kind: 'fragment'; neg: boolean }
  /** nftables: address in a set (anonymous `{ a, b/16 }` or named `@set`), as prefixes. */
  | { kind: 'addrset'; dir: 'src' | 'dst'; neg: boolean; nets: Array<{ words: Words; mask: Words }>; text: string }
  | { kind: 'unknown'; module: string; text: string; line: number };

export type Target =
  | { kind: 'none' }
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'REJECT'; rejectWith?: string }
  | { kind: 'return' }
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string }
  | { kind: 'dnat'; to: NatTo | null }
  | { kind: 'snat'; to: NatTo | null }
  | { kind: 'masquerade'; ports: PortRange | null }
  | { kind: 'redirect'; ports: PortRange | null }
  | { kind: 'notrack'; name: string }
  | { kind: 'mark'; op: 'set' | 'xset' | 'and' | 'or' | 'xor'; value: number; mask: number }
  | { kind: 'connmark'; restore: boolean }
  /** Non-terminating target with no effect on the decision (LOG, NFLOG, TRACE, CT, ...). */
  | { kind: 'continue'; name: string }
  | { kind: 'unknown'; name: string; text: string };

export interface NatTo {
  /** First and last address of the range; null when only a port is given. */
  addrFrom: Words | null;
  addrTo: Words | null;
  ports: PortRange | null;
  text: string;
}

export interface Rule {
  table: string;
  chain: string;
  /** 1-based position in its chain, as `iptables -L --line-numbers` shows it. */
  index: number;
  /** 1-based line in the input it was parsed from (0 for synthesised rules). */
  line: number;
  /** The rule as written in the input. */
  text: string;
  matches: Match[];
  target: Target;
  /** The target as written (`-j DNAT --to-destination 1.2.3.4:80`), for display. */
  targetText: string;
  counters: Counters | null;
  /** Unknown modules/targets/options in this rule. */
  unknown: UnknownConstruct[];
  /** nftables rule handle, when parsed from `nft -j`. */
  handle?: number;
}

export interface Chain {
  name: string;
  builtin: boolean;
  /** Policy of a built-in chain; null for user chains. */
  policy: 'ACCEPT' | 'DROP' | null;
  counters: Counters | null;
  line: number;
  rules: Rule[];
  /** For nft base chains: the hook, priority and type (filter / nat / route). */
  hook?: Hook;
  priority?: number;
  type?: 'filter' | 'nat' | 'route';
}

export interface Table {
  name: string;
  line: number;
  chains: Record<string, Chain>;
  /** Chain names in declaration order. */
  chainOrder: string[];
}

export interface Ruleset {
  family: Family;
  format: 'iptables-save' | 'nft-json';
  /** `legacy` or `nf_tables` when the input says so (iptables-nft-save prints a warning / comment). */
  backend: 'legacy' | 'nf_tables' | null;
  tables: Record<string, Table>;
  /** Every construct the engine does not understand, with its line. */
  unknowns: UnknownConstruct[];
  /** Non-fatal notes from parsing. */
  warnings: Array<{ line: number; message: string }>;
  /** For nft input: base chains by hook, in priority order (iptables tables are implied). */
  nftHooks?: Array<{ table: string; chain: string; hook: Hook; priority: number; family: string }>;
}

export interface ParseOptions {
  /** Family of the input; `ipv6` for ip6tables-save. Default: guessed from the addresses, else ipv4. */
  family?: Family;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export type PathKind = 'forward' | 'input' | 'output';

export interface Packet {
  family: Family;
  /** Interface the packet came in on (forward / input). Absent for locally generated packets. */
  inIface?: string | null;
  /** Interface the packet leaves by, after routing (and after any DNAT): forward / output. */
  outIface?: string | null;
  src: string;
  dst: string;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, ... or an IP protocol number. */
  protocol: string | number;
  sport?: number | null;
  dport?: number | null;
  ctState: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';
  path: PathKind;
  /** Whether the source/destination is a host-local address (addrtype LOCAL). */
  srcLocal?: boolean;
  dstLocal?: boolean;
  /** Packet mark (fwmark) on entry; unknown when absent. */
  mark?: number;
  icmpType?: number;
  icmpCode?: number;
  /** TCP flags set on the packet, e.g. ['SYN']. Unknown when absent. */
  tcpFlags?: string[];
  /**
   * The connection's NAT was already decided (a locally generated packet looping back in on lo:
   * conntrack bound its NAT in OUTPUT), so nat chains are not consulted although the state is NEW.
   */
  natBound?: boolean;
  /** Bridge-netfilter information. Absent = unknown; `{bridged: false}` = routed, not bridged. */
  physdev?: { bridged: boolean; inPort?: string; outPort?: string };
}

/**
 * Many IPv4 packets as columns (for whole-matrix analyses: no object per packet). Row i is the
 * Packet { family, src: src[i], dst: dst[i], protocol: proto[i], sport, dport, inIface,
 * outIface, ctState, path } with the encodings below; mark, srcLocal/dstLocal, ICMP type, TCP
 * flags and physdev are not given (unknown), as when a Packet omits them.
 */
export interface PacketBatch {
  family: 'ipv4';
  length: number;
  /** Addresses as unsigned 32-bit numbers. */
  src: Uint32Array;
  dst: Uint32Array;
  /** IP protocol numbers (6 tcp, 17 udp, 1 icmp, ...). */
  proto: Uint8Array;
  /** Ports; -1 = not given. */
  sport: Int32Array;
  dport: Int32Array;
  /** Index into `ifaces`; -1 = not given. */
  inIface: Int32Array;
  outIface: Int32Array;
  ifaces: string[];
  /** 0 NEW, 1 ESTABLISHED, 2 RELATED, 3 INVALID. */
  ctState: Uint8Array;
  /** 0 forward, 1 input, 2 output. */
  path: Uint8Array;
}

export interface EvaluateOptions {
  /** Host-local addresses (all families), for addrtype LOCAL. */
  localAddresses?: Iterable<string>;
  /** Primary address of an interface, for MASQUERADE / REDIRECT. */
  ifaceAddress?: (name: string) => string | null | undefined;
  /** Route lookup after DNAT: where a destination is routed. Without it, the packet's path/outIface are kept. */
  route?: (dst: string, family: Family) => { local: boolean; outIface: string | null } | null;
  /** `ipset save` output, for `-m set` matches. */
  ipsetSave?: string | null;
  /** Produce the rule-by-rule path (default true). Off, only verdict, decidedBy, natSteps, reasons. */
  explain?: boolean;
  /** With `explain: false`: use the lean allocation-free path (default true; false forces the full walk). */
  fastPath?: boolean;
  /** Maximum number of branches explored when matches are undecidable (default 64). */
  maxBranches?: number;
}

export interface PacketView {
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
}

export interface TraceStep {
  hook: Hook;
  table: string;
  chain: string;
  /** 1-based rule index; null for the chain policy. */
  index: number | null;
  rule: string;
  matched: boolean | 'unknown';
  action: string;
  /** Which condition failed, e.g. `-o br-1234 ≠ docker0`. */
  failed?: string;
  /** Conditions that could not be decided, with the reason. */
  unknown?: string[];
  /** Packet after a NAT target on this step. */
  packet?: PacketView;
  line?: number;
  policy?: boolean;
}

export interface NatStep {
  hook: Hook;
  table: string;
  chain: string;
  index: number;
  rule: string;
  kind: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT';
  before: PacketView;
  after: PacketView;
  note?: string;
}

export interface Reason {
  code: string;
  message: string;
}

export interface DecidedBy {
  hook: Hook;
  table: string;
  chain: string;
  index: number | null;
  rule: string;
  policy?: boolean;
}

export type Verdict = 'ACCEPT' | 'DROP' | 'REJECT' | 'unknown';

export interface BranchOutcome {
  verdict: Verdict;
  decidedBy: DecidedBy | null;
  /** The undecidable rules and what this branch assumed about them. */
  assumptions: Array<{ table: string; chain: string; index: number; rule: string; assumedMatch: boolean }>;
}

export interface EvaluationResult {
  verdict: Verdict;
  path: TraceStep[];
  decidedBy: DecidedBy | null;
  natSteps: NatStep[];
  reasons: Reason[];
  /** The hooks traversed, in order, after any route change by DNAT. */
  hooks: Hook[];
  /** The packet as it finally leaves (after all NAT). */
  finalPacket: PacketView;
  /** When undecidable matches were met: the outcome of each explored branch. */
  branches?: BranchOutcome[];
}

// ---------------------------------------------------------------------------------------------
// Lint

/** A ruleset lint finding: the code, severity and message of a Finding, plus the rules involved. */
export interface LintFinding extends Pick<Finding, 'code' | 'severity' | 'message'> {
  rules: Array<{ table: string; chain: string; index: number; text: string }>;
}
