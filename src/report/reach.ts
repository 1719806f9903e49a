// Human rendering of a reach verdict: the verdict and listener line, the hops as a table (stage,
// where, status, what decided it), every blocking stage with the first flagged, evidence on
// request, and the assumptions. Every name is sanitized.

import type { ReachResult } from '../analysis/reach.js';
import { sanitize } from './sanitize.js';
import { renderTable } from './table.js';

const MARK: Record<string, string> = { pass: 'ok', block: 'BLOCK', unknown: '?', info: '-' };

export function reachHeadline(r: ReachResult): string {
  const what = r.port === null ? 'icmp echo' : `${r.port}/${r.protocol}`;
  return sanitize(`reach ${r.from} → ${r.to} ${what}: ${r.verdict.toUpperCase()}`);
}

export interface ProbeCheckView {
  outcome: { method: string | null; result: string; latencyMs: number | null; detail: string | null; skipped: Array<{ method: string; reason: string }> } | null;
  skipped: string | null;
  agreement?: boolean | null;
  expected?: string[];
  note?: string | null;
  suspect?: { stage: string; where: string; why: string } | null;
  next?: string[];
}

export function renderReach(r: ReachResult, opts: { verbose?: boolean; probeCheck?: ProbeCheckView | null } = {}): string {
  const out: string[] = [reachHeadline(r)];
  const listen = r.port === null ? '' : `listening: ${r.listening === 'unknown' ? 'unknown' : r.listening ? 'yes' : 'NO'}`;
  const dest = r.destination ? `destination: ${r.destination.kind === 'host' ? 'host' : r.destination.kind === 'outside' ? 'outside' : (r.destination.name ?? '?')} ${r.destination.address ?? '?'}${r.destination.port !== null ? `:${r.destination.port}` : ''}` : '';
  const line = [listen, dest].filter(Boolean).join('   ');
  if (line) out.push(sanitize(line));
  if (r.probe) out.push(sanitize(`probe (${r.probe.method}): ${r.probe.result}${r.probe.latencyMs !== null ? ` in ${r.probe.latencyMs} ms` : ''}   agreement: ${r.agreement === null ? 'n/a' : r.agreement ? 'yes' : 'NO'}`));
  out.push('');
  out.push(
    renderTable(r.hops.map((h, i) => ({ h, i })), [
      { header: '#', value: ({ i }) => String(i + 1), align: 'right' },
      { header: 'STAGE', value: ({ h }) => h.stage },
      { header: 'WHERE', value: ({ h }) => h.where },
      { header: 'RESULT', value: ({ h }) => (h.first ? 'BLOCK (first)' : MARK[h.status] ?? h.status) },
      { header: 'WHAT DECIDED IT', value: ({ h }) => h.detail },
    ]),
  );
  if (opts.verbose) {
    const ev: string[] = [];
    r.hops.forEach((h, i) => {
      for (const e of h.evidence) ev.push(`  ${i + 1}. ${e}`);
    });
    if (ev.length) out.push('', 'evidence:', ...ev.map(sanitize));
  }
  if (r.blocking.length > 1) {
    out.push('', `blocking stages (${r.blocking.length}; fixing the first reveals the next):`);
    for (const b of r.blocking) out.push(sanitize(`  ${b.first ? '*' : ' '} ${b.stage} ${b.code}: ${b.message}`));
  }
  const other = r.reasons.filter((x) => !r.blocking.some((b) => b.code === x.code && b.message === x.message));
  if (other.length) out.push('', 'reasons:', ...other.map((x) => sanitize(`  ${x.code}: ${x.message}`)));
  const pc = opts.probeCheck;
  if (pc) {
    out.push('', 'live probe:');
    if (pc.skipped) out.push(sanitize(`  not probed: ${pc.skipped}`));
    else if (pc.outcome) {
      out.push(sanitize(`  ${pc.outcome.method ?? 'no method'}: ${pc.outcome.result}${pc.outcome.latencyMs !== null ? ` in ${pc.outcome.latencyMs} ms` : ''}${pc.outcome.detail ? ` — ${pc.outcome.detail}` : ''}`));
      for (const s of pc.outcome.skipped) out.push(sanitize(`  (${s.method} not used: ${s.reason})`));
    }
    if (pc.agreement === true) out.push(sanitize(`  agrees with the prediction (expected ${pc.expected?.join(' or ')})`));
    else if (pc.agreement === false) {
      out.push(sanitize(`  DISAGREES with the prediction (expected ${pc.expected?.join(' or ')})`));
      if (pc.suspect) out.push(sanitize(`  suspect: ${pc.suspect.stage} at ${pc.suspect.where} — ${pc.suspect.why}`));
      for (const n of pc.next ?? []) out.push(sanitize(`  next: ${n}`));
    } else if (pc.note) out.push(sanitize(`  no comparison: ${pc.note}`));
  }
  if (r.assumptions.length) out.push('', 'assumptions:', ...r.assumptions.map((a) => sanitize(`  - ${a}`)));
  if (!opts.verbose && r.hops.some((h) => h.evidence.length > 0)) out.push('', '(--verbose shows the rules, routes and sockets behind each step)');
  return out.join('\n');
}
