// Result shapes of the DNS predictor and the DNS consistency checks.

import type { ResolverFlavour } from '../../dns/search.js';
import type { Finding } from '../../model/finding.js';

export type DnsVerdict = 'resolved' | 'nxdomain' | 'servfail' | 'timeout' | 'unknown';

/** Why a prediction came out as it did: the code, severity and message of a Finding. */
export type DnsReason = Pick<Finding, 'code' | 'severity' | 'message'>;

export interface PredictedAnswer {
  name: string;
  type: string;
  data: string;
  ttl: number | null;
  /** hosts: /etc/hosts (or the extra hosts it is generated from); embedded: Docker's 127.0.0.11. */
  source: 'hosts' | 'embedded';
  /** The container (and network) the record belongs to, when known. */
  container?: string;
  network?: string;
}

export type StepOutcome =
  | 'answer'
  | 'nxdomain'
  | 'nodata'
  | 'servfail'
  | 'forward'
  | 'unreachable'
  | 'timeout'
  | 'skip'
  | 'unknown';

export interface PredictedStep {
  index: number;
  /** hosts: files lookup; embedded: 127.0.0.11; upstream: the embedded server forwarding; nameserver: a resolv.conf server asked directly. */
  kind: 'hosts' | 'embedded' | 'upstream' | 'nameserver';
  /** Name asked at this step, without a trailing dot. */
  name: string;
  /** /etc/hosts, 127.0.0.11, or the server's address. */
  server: string;
  outcome: StepOutcome;
  answers: string[];
  detail: string;
}

export interface ResolverView {
  flavour: ResolverFlavour;
  nameservers: string[];
  search: string[];
  ndots: number;
  options: string[];
  /** 127.0.0.11 is the container's (first usable) nameserver and the embedded DNS exists for it. */
  embedded: boolean;
  /** Where the embedded DNS forwards to (from the `# ExtServers:` footer, else derived). */
  upstreams: Array<{ address: string; from: 'host' | 'container' }>;
  /** Where the view came from: the container's own resolv.conf, or --server. */
  source: 'resolv.conf' | 'server-flag';
}

export interface DnsPrediction {
  name: string;
  type: string;
  /** The question actually asked (PTR of an address becomes its reverse name). */
  qname: string;
  from: { id: string; name: string } | null;
  verdict: DnsVerdict;
  /** certain: from evidence alone; inferred: assumes upstream servers do not know Docker names / answer NXDOMAIN for search expansions; unknown: depends on an upstream. */
  certainty: 'certain' | 'inferred' | 'unknown';
  answers: PredictedAnswer[];
  /** exact: these answers; any-order: all of them, shuffled (round robin); one-of: the answers of one of several networks. */
  answerMode: 'exact' | 'any-order' | 'one-of';
  candidates: string[];
  steps: PredictedStep[];
  reasons: DnsReason[];
  resolver: ResolverView | null;
  /** Evidence that was needed and missing. */
  missing: string[];
}

/** One wire exchange observed from inside the container (the probe agent's step, structurally). */
export interface ObservedStep {
  name: string;
  server: string;
  outcome: 'answer' | 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'error';
  response: {
    rcode: string;
    transport: 'udp' | 'tcp';
    latencyMs: number;
    truncated: boolean;
    /** ttl null: the tool that asked did not report it (busybox nslookup). */
    answers: Array<{ name: string; type: string; ttl: number | null; data: string; class: string }>;
    issues: Array<{ code: string; message: string }>;
  } | null;
  error: { code: string; message: string } | null;
}

export interface ObservedWalk {
  steps: ObservedStep[];
  decidedBy: number | null;
  outcome: ObservedStep['outcome'];
}

export interface Comparison {
  /** agree; disagree; unpredicted: the prediction depended on an upstream, nothing to compare. */
  agreement: 'agree' | 'disagree' | 'unpredicted';
  disagreements: Array<{ code: string; message: string }>;
  observedVerdict: DnsVerdict;
  observedAnswers: Array<{ name: string; type: string; ttl: number | null; data: string }>;
}
