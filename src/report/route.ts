// Human rendering of a route trace: a hop table, the verdict with the kernel's errno, notes
// (NAT, delivery), reasons, assumptions and related findings. Every name is sanitized.

import type { RouteTrace } from '../analysis/route.js';
import type { Finding } from '../model/finding.js';
import { sanitize } from './sanitize.js';
import { renderTable } from './table.js';

export function renderRoute(t: RouteTrace, findings: Finding[], opts: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  const verdict = t.verdict.toUpperCase() + (t.error ? ` (${t.error.kind}: ${t.error.errno} "${t.error.message}")` : '');
  out.push(sanitize(`route ${t.from} → ${t.to}  [${t.src ?? '?'} → ${t.dst}, ${t.family}]`));
  out.push(`verdict: ${sanitize(verdict)}${t.pathMtu !== null ? `   path MTU: ${t.pathMtu}` : ''}`);
  out.push('');
  const rows = t.hops.map((h, i) => ({ h, i }));
  out.push(
    renderTable(rows, [
      { header: '#', value: ({ i }) => String(i + 1), align: 'right' },
      { header: 'WHERE', value: ({ h }) => h.where },
      { header: 'STEP', value: ({ h }) => h.step },
      { header: 'RULE', value: ({ h }) => (h.rule ? String(h.rule.priority) : '-') },
      { header: 'TABLE', value: ({ h }) => h.table ?? '-' },
      { header: 'ROUTE', value: ({ h }) => (h.route ? `${h.route.type === 'unicast' ? '' : `${h.route.type} `}${h.route.dst}${h.route.metric ? ` metric ${h.route.metric}` : ''}` : h.error ? h.error.errno : '-') },
      { header: 'IIF', value: ({ h }) => h.iif ?? '-' },
      { header: 'OIF', value: ({ h }) => h.oif ?? '-' },
      { header: 'VIA', value: ({ h }) => h.gateway ?? '-' },
      { header: 'SRC', value: ({ h }) => h.src ?? '-' },
      { header: 'MTU', value: ({ h }) => (h.mtu === null ? '-' : String(h.mtu)), align: 'right' },
    ]),
  );
  const notes: string[] = [];
  t.hops.forEach((h, i) => {
    if (h.note) notes.push(`  ${i + 1}. ${h.note}`);
    if (h.error) notes.push(`  ${i + 1}. ${h.error.kind}: ${h.error.errno} (${h.error.message})${h.rule ? ` — rule ${h.rule.selector}` : ''}`);
    if (h.nat) notes.push(`  ${i + 1}. NAT: ${h.nat.message}`);
    if (opts.verbose && h.rules.length > 0) {
      notes.push(`  ${i + 1}. policy rules in ${h.where}:`);
      for (const s of h.rules) notes.push(`       ${s.matched ? 'match' : 'skip '} ${s.rule} → ${s.outcome}`);
    }
  });
  if (notes.length) out.push('', 'notes:', ...notes.map(sanitize));
  if (t.reasons.length) out.push('', 'reasons:', ...t.reasons.map((r) => sanitize(`  ${r.code}: ${r.message}`)));
  if (t.assumptions.length) out.push('', 'assumptions:', ...t.assumptions.map((a) => sanitize(`  - ${a}`)));
  if (findings.length) {
    out.push('', 'findings:');
    for (const f of findings) {
      out.push(sanitize(`  [${f.severity}] ${f.code}: ${f.title}`));
      out.push(sanitize(`      ${f.remediation}`));
    }
  }
  if (!opts.verbose && t.hops.some((h) => h.rules.length > 0)) out.push('', '(--verbose shows every policy rule visited)');
  return out.join('\n');
}
