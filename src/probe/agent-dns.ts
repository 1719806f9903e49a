// The agent's `dns` subcommand: replays a resolver's walk on the wire from inside a namespace.
//
// Request (DnsAgentRequest): the candidate names in search order, the nameservers in resolv.conf
// order, the question type and wire options, and the resolver flavour whose stop rules apply.
// For each candidate, servers are tried in order until one gives a usable answer (timeouts,
// refused connections, SERVFAIL and REFUSED move on to the next server, like glibc and musl); the
// walk then continues to the next candidate or stops according to `continuesAfter`.

import { tryQuery } from '../dns/client.js';
import { continuesAfter, outcomeOf, type CandidateOutcome, type ResolverFlavour } from '../dns/search.js';
import { QUERY_TYPES, type DnsResponse, type QueryType } from '../dns/types.js';
import { AgentRequestError } from './agent-errors.js';
import type { AgentResult, AgentTarget } from './types.js';

export interface DnsAgentRequest {
  candidates: string[];
  servers: string[];
  type: QueryType;
  port?: number;
  tcp?: boolean;
  recurse?: boolean;
  timeoutMs?: number;
  retries?: number;
  edns?: number | false;
  flavour?: ResolverFlavour;
  /** false: ask every candidate regardless of the outcome (default true: stop like the resolver). */
  stop?: boolean;
}

export interface DnsAgentStep {
  name: string;
  server: string;
  outcome: CandidateOutcome;
  response: DnsResponse | null;
  error: { code: string; kind: string; message: string; offset: number | null } | null;
  wallMs: number;
}

export interface DnsAgentResult {
  steps: DnsAgentStep[];
  /** Index into steps of the step that decided the result, or null when none answered. */
  decidedBy: number | null;
  outcome: CandidateOutcome;
}

function validate(r: unknown): DnsAgentRequest {
  const o = r as Partial<DnsAgentRequest> | null;
  if (!o || typeof o !== 'object') throw new AgentRequestError('the dns request must be an object');
  if (!Array.isArray(o.candidates) || o.candidates.length === 0 || o.candidates.length > 16 || !o.candidates.every((c) => typeof c === 'string')) {
    throw new AgentRequestError('candidates must be 1-16 names');
  }
  if (!Array.isArray(o.servers) || o.servers.length === 0 || o.servers.length > 8 || !o.servers.every((s) => typeof s === 'string')) {
    throw new AgentRequestError('servers must be 1-8 addresses');
  }
  if (typeof o.type !== 'string' || !(QUERY_TYPES as readonly string[]).includes(o.type)) throw new AgentRequestError(`type must be one of ${QUERY_TYPES.join(', ')}`);
  return o as DnsAgentRequest;
}

export async function resolveWalk(req: DnsAgentRequest): Promise<DnsAgentResult> {
  const flavour = req.flavour ?? 'glibc';
  const steps: DnsAgentStep[] = [];
  let decidedBy: number | null = null;
  let outcome: CandidateOutcome = 'error';
  for (const name of req.candidates) {
    let candidateOutcome: CandidateOutcome = 'error';
    for (const server of req.servers) {
      const started = Date.now();
      const r = await tryQuery({
        server,
        port: req.port,
        name,
        type: req.type,
        tcp: req.tcp,
        recurse: req.recurse,
        timeoutMs: req.timeoutMs,
        retries: req.retries,
        edns: req.edns,
      });
      const wallMs = Date.now() - started;
      if (r.ok) {
        const oc = outcomeOf(r.response.rcode, r.response.answers.filter((a) => a.type === req.type || req.type === 'ANY' || a.type === 'CNAME').length);
        steps.push({ name, server, outcome: oc, response: r.response, error: null, wallMs });
        candidateOutcome = oc;
        if (oc !== 'servfail' && oc !== 'refused') break;
      } else {
        const oc: CandidateOutcome = r.error.code === 'TIMEOUT' ? 'timeout' : r.error.code === 'CONNECTION_REFUSED' ? 'refused' : 'error';
        steps.push({ name, server, outcome: oc, response: null, error: r.error, wallMs });
        candidateOutcome = oc;
      }
    }
    outcome = candidateOutcome;
    decidedBy = steps.length - 1;
    if (req.stop !== false && !continuesAfter(candidateOutcome, flavour)) break;
  }
  if (outcome !== 'answer') {
    // glibc reports NODATA over NXDOMAIN when any candidate had the name.
    if (outcome === 'nxdomain' && steps.some((s) => s.outcome === 'nodata')) {
      outcome = 'nodata';
      decidedBy = steps.findIndex((s) => s.outcome === 'nodata');
    }
  }
  return { steps, decidedBy, outcome };
}

export async function run(request: unknown): Promise<Record<string, unknown>> {
  const result = await resolveWalk(validate(request));
  return result as unknown as Record<string, unknown>;
}

/**
 * One question to one server, as a probe of the common runner (kind `dns`): `answered` with the
 * rcode and answers whenever a DNS response came back, whatever its rcode; the transport failures
 * map to the runner's results (ICMP port-unreachable → refused). One attempt: a retry would only
 * double the timeout, and the runner reports silence as `timeout`.
 */
export async function probeDns(t: AgentTarget, timeoutMs: number): Promise<AgentResult> {
  const started = process.hrtime.bigint();
  const type = (t.qtype ?? 'A') as QueryType;
  const r = await tryQuery({ server: t.address, port: t.port ?? 53, name: t.name!, type, timeoutMs, retries: 0 });
  if (r.ok) {
    const res = r.response;
    // Names without the root's trailing dot, as busybox nslookup prints them (the shell methods).
    const bare = (n: string): string => (n.length > 1 ? n.replace(/\.$/, '') : n);
    const records = res.answers.map((a) => ({ name: bare(a.name), type: a.type, data: a.type === 'TXT' ? a.data : bare(a.data) }));
    const detail = `${res.rcode}, ${records.length} answer(s) over ${res.transport}${res.truncated ? ' (truncated over UDP, retried over TCP)' : ''}`;
    return { result: 'answered', latencyMs: res.latencyMs, rcode: res.rcode, answers: records.map((a) => a.data), records, detail };
  }
  const latencyMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
  const e = r.error;
  switch (e.code) {
    case 'TIMEOUT':
      return { result: 'timeout', latencyMs, errno: 'ETIMEDOUT', detail: e.message };
    case 'CONNECTION_REFUSED':
      return { result: 'refused', latencyMs, errno: 'ECONNREFUSED', detail: 'ICMP port unreachable: nothing listens on that UDP port' };
    case 'NETWORK_UNREACHABLE':
      return { result: 'unreachable', latencyMs, errno: /EHOSTUNREACH/.test(e.message) ? 'EHOSTUNREACH' : 'ENETUNREACH', detail: e.message };
    default:
      return { result: 'error', latencyMs: null, errno: e.code, detail: e.message };
  }
}
