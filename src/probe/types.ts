// Shapes shared by the probe agent (which runs inside a container's namespace) and the runner.
// No imports: the agent loads this on its start-up path.

export type ProbeKind = 'tcp' | 'udp' | 'http' | 'icmp' | 'dns';
export const PROBE_KINDS: readonly ProbeKind[] = ['tcp', 'udp', 'http', 'icmp', 'dns'];

export type ProbeMethod = 'nsenter' | 'sidecar' | 'exec';
export const PROBE_METHODS: readonly ProbeMethod[] = ['nsenter', 'sidecar', 'exec'];

/**
 * What a probe saw.
 * - connected: a TCP handshake completed (tcp), or an HTTP response arrived (http; see status).
 * - refused: a TCP RST, or for UDP an ICMP port-unreachable reported on the socket.
 * - timeout: nothing came back within the timeout (a DROP rule, a host that is down, isolation).
 * - unreachable: the kernel said EHOSTUNREACH/ENETUNREACH (no route, ARP failed, ICMP host unreachable).
 * - answered: a UDP reply datagram, an ICMP echo reply, or (dns) a DNS response of any rcode.
 * - no-answer: UDP or ICMP silence. For UDP this proves nothing: most services ignore
 *   unexpected datagrams, and a DROP rule looks the same.
 * - error: the probe could not be run or gave an unclassified failure (see detail/errno).
 */
export type ProbeResultCode = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'answered' | 'no-answer' | 'error';

/** One target inside a batch request to the agent. */
export interface AgentTarget {
  kind: ProbeKind;
  /** The peer; for dns the DNS server to ask. */
  address: string;
  /** tcp/udp/http/dns (dns: default 53); ignored for icmp. */
  port?: number;
  /** dns: the name to ask (an IP address with qtype PTR asks its reverse name). */
  name?: string;
  /** dns: the question type, one of src/dns/types.ts QUERY_TYPES (default A). */
  qtype?: string;
  /** http: the request path (default "/"). */
  path?: string;
  /** http: use TLS. */
  tls?: boolean;
  /** http over TLS: the SNI/Host name to present (default the address). */
  serverName?: string;
  /** udp: the datagram to send, hex (default empty). */
  payloadHex?: string;
}

export interface AgentBatchRequest {
  targets: AgentTarget[];
  timeoutMs: number;
  concurrency?: number;
  /** Probes not started within this many ms of the agent's start are reported as `deadline` errors. */
  budgetMs?: number;
  /** http over TLS: do not verify the server certificate (off by default). */
  insecure?: boolean;
}

export interface AgentResult {
  result: ProbeResultCode;
  /** Time from the first packet to the outcome; null when nothing was sent. */
  latencyMs: number | null;
  errno?: string;
  /** http: the status code. */
  status?: number;
  /** dns, answered: the response code (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...). */
  rcode?: string;
  /** dns, answered: the answer section's data, in order (addresses, names, ...). */
  answers?: string[];
  /** dns, answered: the answer section as records (type as the tool reported it). */
  records?: DnsProbeRecord[];
  /** One line, for humans. */
  detail?: string;
}

/** One answer record of a dns probe. */
export interface DnsProbeRecord {
  name: string;
  type: string;
  data: string;
}

export interface AgentBatchResult {
  results: AgentResult[];
}
