// Human rendering of a reach answer. It leads with the outcome (OPEN, REFUSED, BLOCKED at a hop
// by a rule or reason, UNKNOWN with the missing evidence), then one `why:` line and the `fix:`
// lines, then the hops as a table fitted to the terminal (WHAT DECIDED IT wraps, WHERE
// truncates), every other blocking stage and reason, and the assumptions, wrapped. --verbose adds
// the evidence and the full rule text (evidence lines are not wrapped: they are for copying). Every name is sanitized before colour is applied.

import type { ReachHop, ReachOutcome, ReachResult } from '../analysis/reach.js';
import { paintOutcome } from './paint.js';
import { sanitize } from './sanitize.js';
import { renderTable } from './table.js';
import { type Term, PLAIN, displayWidth, hang } from './term.js';

const MARK: Record<string, string> = { pass: 'ok', block: 'BLOCK', unknown: '?', info: '-' };

/** The headline's outcome word: the shared outcome colour, in bold. */
function paintHeadline(t: Term, o: ReachOutcome, text: string): string {
  return t.c.bold(paintOutcome(t, o, text));
}

function paintStatus(t: Term, h: ReachHop, text: string): string {
  const { c } = t;
  if (h.status === 'pass') return c.green(text);
  if (h.status === 'block') return c.red(text);
  if (h.status === 'unknown') return c.magenta(text);
  if (h.stage === 'listener' && h.code && h.code !== 'LISTENER_FOUND') return c.yellow(text);
  return c.dim(text);
}

/** `shop-proxy-1 → shop-cache-1 6379/tcp` */
function question(r: ReachResult): string {
  const what = r.port === null ? 'icmp echo' : `${r.port}/${r.protocol}`;
  return `${r.from} → ${r.to} ${what}`;
}

/** The outcome and what it rests on: `BLOCKED at firewall by filter/FORWARD rule 15 (FW_ICC_DISABLED)`. */
export function outcomeText(r: ReachResult): string {
  const k = r.cause;
  if (r.outcome === 'BLOCKED' && k) return `BLOCKED at ${k.at ?? k.stage ?? '?'} by ${k.by ?? k.code}`;
  if (r.outcome === 'UNKNOWN' && k) return `UNKNOWN (missing: ${k.missing ?? k.code})`;
  return r.outcome;
}

/** The first line: the question and its answer (plain text, sanitized). */
export function reachHeadline(r: ReachResult): string {
  return sanitize(`${question(r)}  ${outcomeText(r)}`);
}

/** One sentence: why this outcome. */
function whyText(r: ReachResult): string {
  if (r.cause) return r.cause.message;
  const l = [...r.hops].reverse().find((h) => h.stage === 'listener');
  return `the path is open${l ? `; ${l.detail}` : ''}`;
}

/** A hop's detail for the table: the rule's text only with --verbose, the engine's reading otherwise. */
function hopDetail(h: ReachHop, verbose: boolean): string {
  if (verbose || !h.rule) return h.detail;
  if (h.cause) return h.cause.message;
  return h.detail.replace(`: ${h.rule.text}`, '');
}

/** `netfilter PREROUTING→FORWARD` is `netfilter` unless --verbose (the hooks are detail). */
function hopWhere(h: ReachHop, verbose: boolean): string {
  return !verbose && h.where.startsWith('netfilter ') && !h.where.includes('/') ? 'netfilter' : h.where;
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

export function renderReach(r: ReachResult, opts: { term?: Term; verbose?: boolean; probeCheck?: ProbeCheckView | null } = {}): string {
  const term = opts.term ?? PLAIN;
  const verbose = opts.verbose ?? term.verbose;
  const { c } = term;
  const width = term.width;
  const para = (text: string, first: string, indent = 2): string[] => hang(sanitize(text), width, first, indent);
  const out: string[] = [];

  // The answer first.
  const q = sanitize(question(r));
  const answer = sanitize(outcomeText(r));
  // The answer starts with the outcome word, which alone is coloured; too long for one line, it goes under the question.
  const word = answer.slice(0, r.outcome.length);
  const rest = answer.slice(r.outcome.length);
  if (displayWidth(`${q}  ${answer}`) <= width) out.push(`${q}  ${paintHeadline(term, r.outcome, word)}${rest}`);
  else {
    out.push(...hang(q, width, '', 2));
    const lines = hang(answer, width, '  ', 4);
    lines[0] = `  ${paintHeadline(term, r.outcome, word)}${lines[0]!.slice(2 + word.length)}`;
    out.push(...lines);
  }
  out.push(...para(whyText(r), `${c.dim('why:')} `, 5));
  for (const f of r.fixes) out.push(...para(f.fix, `${c.cyan('fix:')} `, 5));
  const listen = r.port === null ? '' : `listening: ${r.listening === 'unknown' ? 'unknown' : r.listening ? 'yes' : 'NO'}`;
  const dest = r.destination ? `destination: ${r.destination.kind === 'host' ? 'host' : r.destination.kind === 'outside' ? 'outside' : (r.destination.name ?? '?')} ${r.destination.address ?? '?'}${r.destination.port !== null ? `:${r.destination.port}` : ''}` : '';
  out.push(...para([`path: ${r.verdict}`, listen, dest].filter(Boolean).join('   '), '', 2));
  if (r.probe) out.push(...para(`probe (${r.probe.method}): ${r.probe.result}${r.probe.latencyMs !== null ? ` in ${r.probe.latencyMs} ms` : ''}   agreement: ${r.agreement === null ? 'n/a' : r.agreement ? 'yes' : 'NO'}`, '', 2));

  // The hops, fitted to the width.
  out.push('');
  const whatMin = Number.isFinite(width) ? Math.max(24, Math.floor(width * 0.4)) : undefined;
  out.push(
    renderTable(
      r.hops.map((h, i) => ({ h, i })),
      [
        { header: '#', value: ({ i }) => String(i + 1), align: 'right' },
        { header: 'STAGE', value: ({ h }) => h.stage },
        { header: 'WHERE', value: ({ h }) => hopWhere(h, verbose), shrink: 'truncate', min: 10 },
        { header: 'RESULT', value: ({ h }) => (h.first ? 'BLOCK (first)' : (MARK[h.status] ?? h.status)), paint: (text, { h }) => paintStatus(term, h, text) },
        { header: 'WHAT DECIDED IT', value: ({ h }) => hopDetail(h, verbose), shrink: 'wrap', ...(whatMin ? { min: whatMin } : {}) },
      ],
      { width },
    ),
  );
  if (verbose) {
    const ev: string[] = [];
    r.hops.forEach((h, i) => {
      // Rule text, routes and sockets whole (one per line, to copy), not wrapped.
      for (const e of h.evidence) ev.push(sanitize(`  ${i + 1}. ${e}`));
    });
    if (ev.length) out.push('', 'evidence:', ...ev);
  }
  if (r.blocking.length > 1) {
    out.push('', `blocking stages (${r.blocking.length}; fixing the first reveals the next):`);
    for (const b of r.blocking) out.push(...para(`${b.stage} ${b.code}: ${verbose ? b.message : b.message.replace(/: -A .*$/, '')}`, `  ${b.first ? '*' : ' '} `, 6));
  }
  // Reasons not shown already (as a blocking stage, or as the why line).
  const other = r.reasons.filter((x) => !r.blocking.some((b) => b.code === x.code && b.message === x.message) && x.message !== r.cause?.message);
  if (other.length) {
    out.push('', 'reasons:');
    for (const x of other) out.push(...para(`${x.code}: ${x.message}`, '  ', 4));
  }
  const pc = opts.probeCheck;
  if (pc) {
    out.push('', 'live probe:');
    const line = (text: string) => out.push(...para(text, '  ', 4));
    if (pc.skipped) line(`not probed: ${pc.skipped}`);
    else if (pc.outcome) {
      line(`${pc.outcome.method ?? 'no method'}: ${pc.outcome.result}${pc.outcome.latencyMs !== null ? ` in ${pc.outcome.latencyMs} ms` : ''}${pc.outcome.detail ? ` — ${pc.outcome.detail}` : ''}`);
      for (const s of pc.outcome.skipped) line(`(${s.method} not used: ${s.reason})`);
    }
    if (pc.agreement === true) line(`agrees with the prediction (expected ${pc.expected?.join(' or ')})`);
    else if (pc.agreement === false) {
      line(`DISAGREES with the prediction (expected ${pc.expected?.join(' or ')})`);
      if (pc.suspect) line(`suspect: ${pc.suspect.stage} at ${pc.suspect.where} — ${pc.suspect.why}`);
      for (const n of pc.next ?? []) line(`next: ${n}`);
    } else if (pc.note) line(`no comparison: ${pc.note}`);
  }
  if (r.assumptions.length) {
    out.push('', 'assumptions:');
    for (const a of r.assumptions) out.push(...para(a, '  - ', 4));
  }
  if (!verbose && r.hops.some((h) => h.evidence.length > 0)) out.push('', c.dim('(--verbose shows the rules, routes and sockets behind each step)'));
  return out.join('\n');
}
