// The shapes `reach` answers with (its JSON document is built from ReachResult: fields may be
// added, never renamed or removed) and the request it takes.

import type { AddressFamily } from '../../model/types.js';
import type { Subject, SubjectRef } from '../../model/view.js';
import type { FlowProtocol, PortProtocol } from '../firewall-flow.js';

export type ReachVerdict = 'reachable' | 'blocked' | 'unknown';
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
}

export interface ReachReason {
  code: string;
  message: string;
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
  verdict: ReachVerdict;
  listening: Listening;
  hops: ReachHop[];
  reasons: ReachReason[];
  /** Every blocking stage, in path order; the first is where the packet dies today. */
  blocking: Array<{ stage: ReachStage; where: string; code: string; message: string; first: boolean }>;
  destination: ReachDestination | null;
  /** The address and port FROM actually sends to (before any DNAT): what a live probe targets. */
  target: ReachTarget | null;
  assumptions: string[];
  probe: null | { method: string; result: string; latencyMs: number | null };
  agreement: null | boolean;
}
