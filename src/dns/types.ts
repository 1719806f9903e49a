// Shapes of the DNS wire client: what a query asks and what a response holds, as plain JSON
// (the probe agent prints them across a process boundary).

export const QUERY_TYPES = ['A', 'AAAA', 'SRV', 'PTR', 'MX', 'TXT', 'CNAME', 'NS', 'SOA', 'CAA', 'ANY'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

export interface QueryOptions {
  server: string;
  port?: number;
  name: string;
  type: QueryType;
  /** Start with TCP instead of UDP. */
  tcp?: boolean;
  /** RD bit; default true. */
  recurse?: boolean;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Further attempts after a timeout (UDP and TCP). */
  retries?: number;
  /** EDNS(0) OPT record with this UDP payload size; false for none. Default 1232. */
  edns?: number | false;
  /** Fixed query id (tests); random otherwise. */
  id?: number;
}

export interface DnsRecord {
  name: string;
  type: string;
  class: string;
  ttl: number;
  /** Presentation form of the RDATA (dig-like): an address, a name, "10 mx.example.", quoted TXT strings. */
  data: string;
}

export interface WireIssue {
  code: string;
  message: string;
}

export interface DnsFlags {
  qr: boolean;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
}

/** A decoded DNS message, as the wire parser returns it. */
export interface DnsMessage {
  id: number;
  opcode: string;
  rcode: string;
  flags: DnsFlags;
  question: { name: string; type: string; class: string } | null;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  /** Additional records without the OPT pseudo-record (see `edns`). */
  additionals: DnsRecord[];
  edns: { udpPayloadSize: number; version: number; do: boolean; extendedRcode: number } | null;
  /** Size of the message in bytes. */
  size: number;
  /** Non-fatal oddities: ignored packets with a wrong id, trailing bytes, EDNS fallback... */
  issues: WireIssue[];
}

/** A message plus how it was obtained (server, transport, timing). */
export interface DnsResponse extends DnsMessage {
  server: string;
  port: number;
  transport: 'udp' | 'tcp';
  latencyMs: number;
  /** Attempts made on the transport that answered (1 = first try). */
  attempts: number;
  /** True when a UDP answer came back with TC set (the result is then the TCP retry, if it worked). */
  truncated: boolean;
}
