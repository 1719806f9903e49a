// Human rendering of a route trace: a hop table, the verdict with the kernel's errno, notes
// (NAT, delivery), reasons, assumptions and related findings. Every name is sanitized.

import type { RouteTrace } from '../analysis/route.js';
import type { Finding } from '../model/finding.js';
import { fitTable, paintSeverity, paintVerdict } from './paint.js';
import { sanitize } from './sanitize.js';
import type { Column } from './table.js';
import { hang, makeTerm, type Term } from './term.js';

export function renderRoute(t: RouteTrace, findings: Finding[], term: Term = makeTerm()): string {
  const out: string[] = [];
  const para = (text: string, first = '', indent = first.length) => out.push(...hang(sanitize(text), term.width, first, indent));
  const verdict = t.verdict.toUpperCase() + (t.error ? ` (${t.error.kind}: ${t.error.errno} "${t.error.message}")` : '');
  para(`route ${t.from} → ${t.to}  [${t.src ?? '?'} → ${t.dst}, ${t.family}]`, '', 2);
  const head = hang(`${sanitize(verdict)}${t.pathMtu !== null ? `   path MTU: ${t.pathMtu}` : ''}`, term.width, 'verdict: ', 9);
  out.push(head[0]!.replace(t.verdict.toUpperCase(), paintVerdict(term, t.verdict.toUpperCase())), ...head.slice(1));
  out.push('');
  type Row = { h: RouteTrace['hops'][number]; i: number };
  const rows: Row[] = t.hops.map((h, i) => ({ h, i }));
  const route = ({ h }: Row) => (h.route ? `${h.route.type === 'unicast' ? '' : `${h.route.type} `}${h.route.dst}${h.route.metric ? ` metric ${h.route.metric}` : ''}` : h.error ? h.error.errno : '-');
  // In and out interface in one column (the same device is said once); the policy rule and the
  // table are detail for --verbose; a column with nothing in any hop is left out.
  const dev = ({ h }: Row) => (h.iif && h.oif && h.iif !== h.oif ? `${h.iif} → ${h.oif}` : (h.oif ?? h.iif ?? '-'));
  const cols: Array<Column<Row> & { keep?: boolean }> = [
    { header: '#', value: ({ i }) => String(i + 1), align: 'right', keep: true },
    { header: 'WHERE', value: ({ h }) => h.where, shrink: 'truncate', min: 10, keep: true },
    { header: 'STEP', value: ({ h }) => h.step, keep: true },
    ...(term.verbose
      ? [
          { header: 'RULE', value: ({ h }: Row) => (h.rule ? String(h.rule.priority) : '-') },
          { header: 'TABLE', value: ({ h }: Row) => h.table ?? '-' },
        ]
      : []),
    { header: 'ROUTE', value: route, shrink: 'wrap', min: Math.min(18, Math.max(10, ...rows.map((r) => route(r).length))), keep: true, paint: (x, { h }) => (h.error ? term.c.red(x) : x) },
    // An interface name is at most 15 characters (IFNAMSIZ): the column keeps "→ name" whole.
    { header: 'DEV', value: dev, shrink: 'wrap', min: rows.some((r) => dev(r).includes('→')) ? 17 : 15 },
    { header: 'VIA', value: ({ h }) => h.gateway ?? '-' },
    // The source address is in the heading (and a NAT that changes it in the notes).
    ...(term.verbose ? [{ header: 'SRC', value: ({ h }: Row) => h.src ?? '-' }] : []),
    { header: 'MTU', value: ({ h }) => (h.mtu === null ? '-' : String(h.mtu)), align: 'right' },
  ];
  out.push(fitTable(term, rows, cols.filter((c) => c.keep || rows.some((r) => c.value(r) !== '-'))));
  const notes: string[] = [];
  t.hops.forEach((h, i) => {
    if (h.note) notes.push(`  ${i + 1}. ${h.note}`);
    if (h.error) notes.push(`  ${i + 1}. ${h.error.kind}: ${h.error.errno} (${h.error.message})${h.rule ? ` — rule ${h.rule.selector}` : ''}`);
    if (h.nat) notes.push(`  ${i + 1}. NAT: ${h.nat.message}`);
    if (term.verbose && h.rules.length > 0) {
      notes.push(`  ${i + 1}. policy rules in ${h.where}:`);
      for (const s of h.rules) notes.push(`       ${s.matched ? 'match' : 'skip '} ${s.rule} → ${s.outcome}`);
    }
  });
  if (notes.length) {
    out.push('', 'notes:');
    for (const n of notes) {
      const lead = /^\s*\d+\.\s+/.exec(n)?.[0] ?? '  ';
      // Policy rule text is cut to the width (whole with --verbose, which is where it appears).
      if (term.verbose) out.push(sanitize(n));
      else para(n.slice(lead.length), lead);
    }
  }
  if (t.reasons.length) {
    out.push('', 'reasons:');
    for (const r of t.reasons) para(`${r.code}: ${r.message}`, '  ', 4);
  }
  if (t.assumptions.length) {
    out.push('', 'assumptions:');
    for (const a of t.assumptions) para(a, '  - ');
  }
  if (findings.length) {
    out.push('', 'findings:');
    for (const f of findings) {
      const h = hang(sanitize(`${f.code}: ${f.title}`), term.width, `  [${f.severity}] `, 6);
      out.push(h[0]!.replace(`[${f.severity}]`, `[${paintSeverity(term, f.severity)}]`), ...h.slice(1));
      para(f.remediation, '      ');
    }
  }
  if (!term.verbose && t.hops.some((h) => h.rules.length > 0)) out.push('', '(--verbose shows every policy rule visited)');
  return out.join('\n');
}
