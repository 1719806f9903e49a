// The `dns` command's result: JSON shape (docs/dns.md: {name, type, verdict, answers[], steps[]} plus
// prediction/observed/agreement) and its human rendering. Every name from the state or the wire
// passes through sanitize() before it reaches a terminal.

import type { Comparison, DnsPrediction, DnsReason, DnsVerdict, ObservedWalk, PredictedStep } from '../analysis/dns/types.js';
import type { DnsRecord, DnsResponse } from '../dns/types.js';
import { clampLines, fitTable, paintSeverity, paintVerdict } from './paint.js';
import { sanitize } from './sanitize.js';
import { hang, makeTerm, type Term } from './term.js';

export interface ReportStep extends PredictedStep {
  observed: {
    outcome: string;
    rcode: string | null;
    answers: string[];
    latencyMs: number | null;
    transport: string | null;
    error: string | null;
  } | null;
}

export interface DnsReport {
  name: string;
  type: string;
  qname: string;
  from: { id: string; name: string } | null;
  server: string | null;
  mode: 'snapshot' | 'live' | 'direct';
  source: string | null;
  verdict: DnsVerdict;
  answers: Array<{ name: string; type: string; data: string; ttl: number | null; source: string }>;
  steps: ReportStep[];
  reasons: DnsReason[];
  prediction: DnsPrediction | null;
  observed: ObservedWalk | null;
  agreement: Comparison['agreement'] | null;
  disagreements: Comparison['disagreements'];
  /**
   * method: what sent the wire queries (nsenter: the agent's own walk; sidecar/exec: one busybox
   * nslookup per candidate and server); skipped: methods passed over and why; note: options not applied.
   */
  liveCheck: { available: boolean; reason: string | null; method?: string | null; skipped?: string[]; note?: string } | null;
  /** Direct (--server) queries: the full response, or the error. */
  response?: DnsResponse | null;
  error?: { code: string; kind?: string; message: string } | null;
}

function fqdn(n: string): string {
  return n.endsWith('.') ? n : `${n}.`;
}

export function buildReport(args: {
  prediction: DnsPrediction;
  mode: 'snapshot' | 'live';
  source: string;
  server: string | null;
  observed: ObservedWalk | null;
  comparison: Comparison | null;
  liveCheck: DnsReport['liveCheck'];
}): DnsReport {
  const { prediction: p, observed: o, comparison: c } = args;
  const used = new Set<number>();
  const steps: ReportStep[] = p.steps.map((s) => {
    let observed: ReportStep['observed'] = null;
    if (o && s.kind !== 'hosts' && s.kind !== 'upstream') {
      const i = o.steps.findIndex((x, idx) => !used.has(idx) && x.name.toLowerCase() === s.name.toLowerCase() && x.server === s.server);
      if (i >= 0) {
        used.add(i);
        const x = o.steps[i]!;
        observed = {
          outcome: x.outcome,
          rcode: x.response?.rcode ?? null,
          answers: x.response?.answers.map((a) => `${a.type} ${a.data}`) ?? [],
          latencyMs: x.response?.latencyMs ?? null,
          transport: x.response?.transport ?? null,
          error: x.error ? `${x.error.code}: ${x.error.message}` : null,
        };
      }
    }
    return { ...s, observed };
  });
  // Wire steps the prediction did not list (e.g. it stopped earlier).
  if (o) {
    o.steps.forEach((x, i) => {
      if (used.has(i)) return;
      steps.push({
        index: steps.length,
        kind: x.server === '127.0.0.11' ? 'embedded' : 'nameserver',
        name: x.name,
        server: x.server,
        outcome: 'unknown',
        answers: [],
        detail: 'not in the prediction',
        observed: {
          outcome: x.outcome,
          rcode: x.response?.rcode ?? null,
          answers: x.response?.answers.map((a) => `${a.type} ${a.data}`) ?? [],
          latencyMs: x.response?.latencyMs ?? null,
          transport: x.response?.transport ?? null,
          error: x.error ? `${x.error.code}: ${x.error.message}` : null,
        },
      });
    });
  }
  const hostsAnswered = p.verdict === 'resolved' && p.answers.length > 0 && p.answers.every((a) => a.source === 'hosts');
  let verdict = p.verdict;
  let answers: DnsReport['answers'] = p.answers.map((a) => ({ name: fqdn(a.name), type: a.type, data: a.data, ttl: a.ttl, source: a.source }));
  if (c && !hostsAnswered) {
    verdict = c.observedVerdict;
    answers = c.observedAnswers.map((a) => ({ name: a.name, type: a.type, data: a.data, ttl: a.ttl, source: 'wire' }));
  }
  return {
    name: p.name,
    type: p.type,
    qname: p.qname,
    from: p.from,
    server: args.server,
    mode: args.mode,
    source: args.source,
    verdict,
    answers,
    steps,
    reasons: p.reasons,
    prediction: p,
    observed: o,
    agreement: c?.agreement ?? null,
    disagreements: c?.disagreements ?? [],
    liveCheck: args.liveCheck,
  };
}

export function verdictOfResponse(r: DnsResponse): DnsVerdict {
  if (r.rcode === 'NOERROR') return r.answers.length ? 'resolved' : 'nxdomain';
  if (r.rcode === 'NXDOMAIN') return 'nxdomain';
  if (r.rcode === 'SERVFAIL' || r.rcode === 'REFUSED') return 'servfail';
  return 'unknown';
}

export function buildDirectReport(args: { name: string; type: string; qname: string; server: string; response: DnsResponse | null; error: DnsReport['error'] }): DnsReport {
  const r = args.response;
  const verdict: DnsVerdict = r ? verdictOfResponse(r) : args.error?.code === 'TIMEOUT' ? 'timeout' : 'unknown';
  return {
    name: args.name,
    type: args.type,
    qname: args.qname,
    from: null,
    server: args.server,
    mode: 'direct',
    source: null,
    verdict,
    answers: r ? r.answers.map((a) => ({ name: a.name, type: a.type, data: a.data, ttl: a.ttl, source: 'wire' })) : [],
    steps: [
      {
        index: 0,
        kind: 'nameserver',
        name: args.qname,
        server: args.server,
        outcome: 'forward',
        answers: [],
        detail: 'asked directly',
        observed: {
          outcome: r ? (r.rcode === 'NOERROR' ? (r.answers.length ? 'answer' : 'nodata') : r.rcode.toLowerCase()) : args.error?.code === 'TIMEOUT' ? 'timeout' : 'error',
          rcode: r?.rcode ?? null,
          answers: r?.answers.map((a) => `${a.type} ${a.data}`) ?? [],
          latencyMs: r?.latencyMs ?? null,
          transport: r?.transport ?? null,
          error: args.error ? `${args.error.code}: ${args.error.message}` : null,
        },
      },
    ],
    reasons: [],
    prediction: null,
    observed: null,
    agreement: null,
    disagreements: [],
    liveCheck: null,
    response: r,
    error: args.error,
  };
}

// ---------------------------------------------------------------------------------------------
// human rendering

function rrLine(r: DnsRecord): string {
  return `${r.name}\t${r.ttl}\t${r.class}\t${r.type}\t${r.data}`;
}

/** dig-like rendering of one response. */
export function renderResponse(r: DnsResponse): string {
  const out: string[] = [];
  const flags = Object.entries(r.flags).filter(([, v]) => v).map(([k]) => k).join(' ');
  out.push(`;; ->>HEADER<<- opcode: ${r.opcode}, status: ${r.rcode}, id: ${r.id}`);
  out.push(`;; flags: ${flags}; QUERY: ${r.question ? 1 : 0}, ANSWER: ${r.answers.length}, AUTHORITY: ${r.authorities.length}, ADDITIONAL: ${r.additionals.length + (r.edns ? 1 : 0)}`);
  if (r.edns) out.push(`;; EDNS: version: ${r.edns.version}, flags:${r.edns.do ? ' do' : ''}; udp: ${r.edns.udpPayloadSize}`);
  if (r.question) out.push('', ';; QUESTION SECTION:', `;${fqdn(r.question.name)}\t\t${r.question.class}\t${r.question.type}`);
  const section = (title: string, rs: DnsRecord[]) => {
    if (rs.length) out.push('', `;; ${title} SECTION:`, ...rs.map(rrLine));
  };
  section('ANSWER', r.answers);
  section('AUTHORITY', r.authorities);
  section('ADDITIONAL', r.additionals);
  out.push('', `;; Query time: ${r.latencyMs} msec`, `;; SERVER: ${r.server}#${r.port}(${r.transport.toUpperCase()})${r.truncated ? ' (UDP answer was truncated; retried over TCP)' : ''}`);
  out.push(`;; MSG SIZE  rcvd: ${r.size}${r.attempts > 1 ? `, attempts: ${r.attempts}` : ''}`);
  for (const i of r.issues) out.push(`;; WARNING ${i.code}: ${i.message}`);
  return out.map(sanitize).join('\n');
}

function outcomeText(s: ReportStep): string {
  if (s.outcome === 'answer') return s.answers.join(', ') || 'answer';
  if (s.kind === 'hosts' && s.outcome === 'nxdomain') return 'no entry';
  return s.outcome;
}

function observedText(s: ReportStep): string {
  const o = s.observed;
  if (!o) return '';
  if (o.error) return o.error;
  const what = o.answers.length ? o.answers.join(', ') : o.rcode === 'NOERROR' ? 'NOERROR (no records)' : (o.rcode ?? o.outcome);
  return `${what}${o.latencyMs !== null ? ` (${o.latencyMs} ms ${o.transport})` : ''}`;
}

export function renderDnsReport(r: DnsReport, term: Term = makeTerm()): string {
  // Every line is sanitized on its own (sanitize() escapes newlines); blocks that are already
  // sanitized line by line (tables, responses) are marked and left alone.
  const lines: string[] = [];
  const safe = new Set<number>();
  const out = {
    push: (...xs: string[]) => lines.push(...xs),
    block: (x: string) => {
      safe.add(lines.length);
      lines.push(x);
    },
  };
  // Prose lines hang under their 10-column label ("Resolver  ", "  error   CODE: ..."); colour
  // goes on after sanitize and fitting.
  const finish = () =>
    lines
      .flatMap((l, i) => {
        if (safe.has(i)) return [l];
        const text = sanitize(l);
        const lead = /^(?:[A-Z][A-Za-z]* +|\s+(?:error|warning|info) +|\s+! |\s+)?/.exec(text)![0];
        const fitted = hang(text.slice(lead.length), term.width, lead, lead.trim() && !lead.startsWith(' ') ? 10 : lead.length + 2);
        const sev = /^\s+(error|warning|info)\b/.exec(fitted[0]!)?.[1];
        if (sev) fitted[0] = fitted[0]!.replace(sev, paintSeverity(term, sev));
        if (fitted[0]!.startsWith('Verdict   ')) fitted[0] = 'Verdict   ' + fitted[0]!.slice(10).replace(r.verdict, paintVerdict(term, r.verdict));
        return fitted;
      })
      .join('\n');
  const who = r.from ? `from ${r.from.name}` : r.server ? `@${r.server}` : 'from the host';
  const where = r.mode === 'direct' ? 'direct query' : `${r.mode}: ${r.source}`;
  out.push(`DNS       ${r.name}${r.qname !== r.name.toLowerCase().replace(/\.$/, '') ? ` (${r.qname})` : ''} ${r.type} ${who}  [${where}]`);
  if (r.mode === 'direct') {
    if (r.response) {
      out.push('');
      out.block(clampLines(renderResponse(r.response), term.width));
    }
    else if (r.error) out.push(`Error     ${r.error.code}: ${r.error.message}`);
    out.push('', `Verdict   ${r.verdict}`);
    return finish();
  }
  const p = r.prediction!;
  if (p.resolver) {
    const rv = p.resolver;
    out.push(
      `Resolver  ${rv.flavour}; nameserver ${rv.nameservers.join(' ')}; search ${rv.search.join(' ') || '-'}; ndots ${rv.ndots}${rv.options.length ? `; options ${rv.options.join(' ')}` : ''}`,
    );
    if (rv.embedded) out.push(`          embedded DNS forwards to ${rv.upstreams.map((u) => `${u.address}${u.from === 'host' ? ' (from host)' : ''}`).join(' ') || 'nothing'}`);
  }
  if (p.candidates.length > 1) out.push(`Search    ${p.candidates.map((c) => c || '.').join(' → ')}`);
  out.push('');
  const live = r.observed !== null;
  const cols = [
    { header: '#', value: (s: ReportStep) => String(s.index + 1), align: 'right' as const },
    { header: 'STEP', value: (s: ReportStep) => s.kind },
    { header: 'NAME', value: (s: ReportStep) => s.name || '.', shrink: 'truncate' as const, min: 10 },
    { header: 'SERVER', value: (s: ReportStep) => s.server },
    { header: 'PREDICTED', value: outcomeText, shrink: 'wrap' as const, min: 9 },
    ...(live ? [{ header: 'OBSERVED', value: observedText, shrink: 'wrap' as const, min: 10 }] : []),
    { header: 'DETAIL', value: (s: ReportStep) => s.detail, shrink: 'wrap' as const, min: 16 },
  ];
  out.block(fitTable(term, r.steps, cols));
  out.push('');
  out.push(`Verdict   ${r.verdict}${live || p.certainty === 'unknown' ? '' : ` (${p.certainty})`}${live && p.verdict !== r.verdict ? `  [predicted ${p.verdict}]` : ''}`);
  if (r.agreement) out.push(`Agreement ${r.agreement}${r.disagreements.length ? '' : ' — the wire matches the prediction'}`);
  for (const d of r.disagreements) out.push(`  ! ${d.code}: ${d.message}`);
  if (r.liveCheck && !r.liveCheck.available) out.push(`Live      not checked: ${r.liveCheck.reason}`);
  if (r.liveCheck?.available && r.liveCheck.method) {
    const how = r.liveCheck.method === 'nsenter' ? "netsleuth's probe agent in the container's namespace" : 'busybox nslookup, one query per name and server';
    out.push(`Live      checked on the wire with ${r.liveCheck.method} (${how})`);
    for (const s of r.liveCheck.skipped ?? []) out.push(`          skipped ${s}`);
    if (r.liveCheck.note) out.push(`          note: ${r.liveCheck.note}`);
  }
  if (r.answers.length) {
    out.push('Answers');
    for (const a of r.answers) out.push(`  ${a.name}  ${a.ttl ?? '-'}  IN  ${a.type}  ${a.data}  (${a.source})`);
  }
  if (p.missing.length) out.push(`Missing   ${p.missing.join('; ')}`);
  if (r.reasons.length) {
    out.push('Reasons');
    for (const x of r.reasons) out.push(`  ${x.severity.padEnd(7)} ${x.code}: ${x.message}`);
  }
  return finish();
}
