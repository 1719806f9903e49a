// The shapes `reach` answers with (its JSON document is built from ReachResult: fields may be
// added, never renamed or removed) and the request it takes.

import type { AddressFamily } from '../../model/types.js';
import type { Subject, SubjectRef } from '../../model/view.js';
import type { FlowProtocol, PortProtocol } from '../firewall-flow.js';

export type ReachVerdict = 'reachable' | 'blocked' | 'unknown';
/**
 * The one answer a person reads first (docs/reach.md "Outcome"): OPEN (path open, something
 * listens; ICMP echo: the path is open), REFUSED (path open, nothing listens or only on loopback),
 * BLOCKED (a named stage stops it), UNKNOWN (a named piece of evidence is missing). Derived from
 * `verdict` and `listening`, which keep their meaning.
 */
export type ReachOutcome = 'OPEN' | 'REFUSED' | 'BLOCKED' | 'UNKNOWN';
export type Listening = true | false | 'unknown';
/** tcp, udp, or icmp (an echo request: ping). */
export type ReachProtocol = FlowProtocol;
export type ReachStage = 'source' | 'namespace' | 'driver' | 'route' | 'forwarding' | 'firewall' | 'proxy' | 'return' | 'listener';
export type HopStatus = 'pass' | 'block' | 'unknown' | 'info';

export interface ReachRequest {
  /** A subject's text (resolved by the state view; TO as FROM's embedded DNS would) or a resolved subject. */
  from: string | Subject;
  to: string | Subject;
  /** null/absent: ICMP echo (ping). */
  port?: number | null;
  /** tcp (the default with a port), udp, or icmp (which takes no port). */
  protocol?: PortProtocol | 'icmp';
}

export interface ReachOptions {
  /** Skip the rule-by-rule explanation of firewall walks (matrix): same verdicts, less detail. */
  lean?: boolean;
}

export interface ReachHop {
  stage: ReachStage;
  /** Where the packet is: `container:web`, `host`, `bridge:br-1a2b`, `netfilter`, ... */
  where: string;
  status: HopStatus;
  /** One sentence: what decided this step. */
  detail: string;
  /** Rule text, route, sysctl, socket: what proves it. */
  evidence: string[];
  /** Set on a blocking hop: its reason code, and whether it is the first block on the path. */
  code?: string;
  first?: boolean;
  /**
   * A firewall hop decided by a rule or policy: which one (`filter/FORWARD rule 15`), its text, and
   * the packet as iptables match options (`-s … -d … -p tcp --dport 80`) as it met the rule.
   */
  rule?: { label: string; table: string; chain: string; index: number | null; text: string; match: string };
  /** A finer reason than `code` when the firewall engine recognises the rule (FW_ICC_DISABLED, FW_DOCKER_ISOLATION, ...). */
  cause?: ReachReason;
  /** What to change so this hop passes (set on blocking and refusing hops when one can be named). */
  fix?: string;
}

export interface ReachReason {
  code: string;
  message: string;
}

/** A suggested change for one blocking reason or refusal, specific to the case. */
export interface ReachFix {
  code: string;
  fix: string;
}

/** What the outcome rests on (null for OPEN). */
export interface ReachCause {
  code: string;
  message: string;
  stage: ReachStage | null;
  /** Where it happens, short: `firewall`, `firewall (reply)`, `source container:web`, `listener container:db`. */
  at: string | null;
  /** What decided it, short: a rule (`filter/FORWARD rule 15`) or a reason code. */
  by: string | null;
  /** UNKNOWN: the piece of evidence that is missing (`sockets inside shop-db-1`). */
  missing: string | null;
}

export interface ReachDestination {
  /** What finally receives the packet (after DNAT and docker-proxy). */
  kind: 'container' | 'host' | 'outside';
  name: string | null;
  address: string | null;
  port: number | null;
}

/** The address and port FROM actually sends to (before any DNAT): what a live probe targets. */
export interface ReachTarget {
  address: string;
  port: number | null;
}

export interface ReachResult {
  from: string;
  to: string;
  /** FROM and TO by id, for consumers that act on them (probes); renderers use the labels. */
  fromRef: SubjectRef;
  toRef: SubjectRef;
  port: number | null;
  protocol: ReachProtocol;
  family: AddressFamily;
  /** The answer for people, from verdict and listening (see ReachOutcome). */
  outcome: ReachOutcome;
  /** What the outcome rests on: the first blocking stage, the missing evidence, the refusing listener; null when OPEN. */
  cause: ReachCause | null;
  verdict: ReachVerdict;
  listening: Listening;
  hops: ReachHop[];
  reasons: ReachReason[];
  /** Every blocking stage, in path order; the first is where the packet dies today. */
  blocking: Array<{ stage: ReachStage; where: string; code: string; message: string; first: boolean }>;
  /** One suggested fix per blocking stage and per refusal, in path order (empty when OPEN or nothing can be named). */
  fixes: ReachFix[];
  destination: ReachDestination | null;
  /** The address and port FROM actually sends to (before any DNAT): what a live probe targets. */
  target: ReachTarget | null;
  assumptions: string[];
  probe: null | { method: string; result: string; latencyMs: number | null };
  agreement: null | boolean;
}
