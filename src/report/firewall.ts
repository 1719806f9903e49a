// Human renderings of `firewall trace` and `firewall lint`. Rule text, chain and container names
// come from the captured host and the daemon: every cell goes through sanitize().

import type { FirewallTrace, FlowEnd } from '../analysis/firewall-flow.js';
import type { LintJsonFinding } from '../analysis/firewall-ruleset.js';
import { countBySeverity } from '../model/finding.js';
import type { PacketView, TraceStep } from '../firewall/types.js';
import { sanitize } from './sanitize.js';
import { renderTable } from './table.js';

function endText(e: FlowEnd): string {
  const parts: string[] = [];
  if (e.kind === 'container') parts.push(e.name ?? e.spec);
  else if (e.kind === 'host') parts.push('host');
  else parts.push(e.spec);
  const detail: string[] = [];
  if (e.ip && e.ip !== e.spec) detail.push(e.ip);
  if (e.network) detail.push(`on ${e.network}`);
  if (e.iface) detail.push(`via ${e.iface}`);
  return detail.length ? `${parts.join('')} (${detail.join(' ')})` : parts.join('');
}

function view(v: PacketView | null): string {
  if (!v) return '?';
  const hp = (a: string | null, p: number | null) => `${a ?? '?'}${p !== null ? `:${p}` : ''}`;
  return `${hp(v.src, v.sport)} → ${hp(v.dst, v.dport)}`;
}

function matchedText(s: TraceStep): string {
  if (s.policy) return 'policy';
  return s.matched === true ? 'yes' : s.matched === false ? 'no' : 'unknown';
}

function whyNot(s: TraceStep): string {
  if (s.failed) return s.failed;
  if (s.unknown?.length) return s.unknown.join('; ');
  return '';
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

export function renderTrace(t: FirewallTrace, sourceLabel: string, opts: { all?: boolean; width?: number } = {}): string {
  const out: string[] = [];
  out.push(sanitize(`firewall trace: ${endText(t.from)} → ${endText(t.to)}  ${t.port === null ? t.protocol : `${t.port}/${t.protocol}`} ${t.state}`));
  out.push(sanitize(`source: ${sourceLabel}${t.rulesetSource ? ` (${t.rulesetSource}${t.dialect ? `, Docker layout: ${t.dialect.dialect}` : ''})` : ''}`));
  if (t.packet) {
    const p = t.packet;
    const ifs = p.path === 'output' ? `out ${p.outIface ?? '?'}` : p.path === 'input' ? `in ${p.inIface ?? '?'}` : `in ${p.inIface ?? '?'} → out ${p.outIface ?? '?'}`;
    out.push(sanitize(`packet: ${p.path}, ${ifs}, ${p.src} → ${p.dst}${p.dport !== null && p.dport !== undefined ? `:${p.dport}` : ''} ${p.protocol} (${p.ctState})`));
    for (const n of p.notes) out.push(sanitize(`  ${n}`));
  }
  out.push('');
  if (t.path.length) {
    // Steps that matched, decided, or could not be decided are always shown; with many rules,
    // the non-matching ones in long chains are still listed (that is the point of a trace).
    const rows = t.path;
    out.push(
      renderTable(rows, [
        { header: 'HOOK', value: (s) => s.hook },
        { header: 'TABLE', value: (s) => s.table },
        { header: 'CHAIN', value: (s) => s.chain },
        { header: '#', value: (s) => (s.index === null ? '-' : String(s.index)), align: 'right' },
        { header: 'RULE', value: (s) => clip(s.rule, opts.width ?? 90) },
        { header: 'MATCHED', value: matchedText },
        { header: 'ACTION', value: (s) => (s.matched === false ? '' : clip(s.action, 48)) },
        { header: 'WHY NOT', value: (s) => clip(whyNot(s), 80) },
      ]),
    );
    out.push('');
  }
  const d = t.decidedBy;
  out.push(sanitize(`verdict: ${t.verdict}${d ? ` — ${d.policy ? `policy of ${d.table}/${d.chain}` : `rule ${d.index} in ${d.table}/${d.chain}`} (${d.hook})` : ''}`));
  if (d && !d.policy) out.push(sanitize(`  deciding rule: ${d.rule}`));
  if (t.natSteps.length) {
    out.push('NAT:');
    for (const s of t.natSteps) out.push(sanitize(`  ${s.kind} in ${s.table}/${s.chain} rule ${s.index} (${s.hook}): ${view(s.before)}  ⇒  ${view(s.after)}${s.note ? ` — ${s.note}` : ''}`));
  }
  if (t.finalPacket && t.natSteps.length) out.push(sanitize(`  leaves as ${view(t.finalPacket)}`));
  if (t.reasons.length) {
    out.push('reasons:');
    for (const r of t.reasons) out.push(sanitize(`  ${r.code}: ${r.message}`));
  }
  return out.join('\n');
}

export function renderLint(findings: LintJsonFinding[], sourceLabel: string, summary: string[]): string {
  const out: string[] = [sanitize(`firewall lint: ${sourceLabel}`)];
  for (const s of summary) out.push(sanitize(`  ${s}`));
  out.push('');
  if (findings.length === 0) {
    out.push('no findings');
    return out.join('\n');
  }
  out.push(
    renderTable(findings, [
      { header: 'SEVERITY', value: (f) => f.severity },
      { header: 'CODE', value: (f) => f.code },
      { header: 'FAMILY', value: (f) => f.family },
      { header: 'RULES', value: (f) => clip(f.rules.map((r) => `${r.table}/${r.chain}#${r.index}`).join(', '), 40) },
    ]),
  );
  out.push('');
  findings.forEach((f, i) => {
    out.push(sanitize(`${i + 1}. [${f.severity}] ${f.code}: ${f.message}`));
    for (const r of f.rules.slice(0, 5)) out.push(sanitize(`     ${r.table}/${r.chain} #${r.index}: ${r.text}`));
    if (f.rules.length > 5) out.push(`     … and ${f.rules.length - 5} more`);
  });
  const counts = countBySeverity(findings);
  out.push('');
  out.push(`${findings.length} finding(s): ${counts.error} error, ${counts.warning} warning, ${counts.info} info`);
  return out.join('\n');
}
