// Human renderings of `firewall trace` and `firewall lint`. Rule text, chain and container names
// come from the captured host and the daemon: every cell goes through sanitize().

import type { FirewallTrace, FlowEnd } from '../analysis/firewall-flow.js';
import type { LintJsonFinding } from '../analysis/firewall-ruleset.js';
import { countBySeverity } from '../model/finding.js';
import type { PacketView, TraceStep } from '../firewall/types.js';
import { fitTable, paintSeverity, paintVerdict } from './paint.js';
import { sanitize } from './sanitize.js';
import { hang, makeTerm, truncate, type Term } from './term.js';

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

/** Rule text under its chain column: the leading "-A CHAIN" says what the column already does. */
function ruleText(s: TraceStep): string {
  const prefix = `-A ${s.chain} `;
  return s.rule.startsWith(prefix) ? s.rule.slice(prefix.length) : s.rule;
}

export function renderTrace(t: FirewallTrace, sourceLabel: string, term: Term = makeTerm()): string {
  const out: string[] = [];
  const para = (text: string, first = '', indent = first.length || 2) => out.push(...hang(sanitize(text), term.width, first, indent));
  // Long rule text is cut to the width; --verbose prints it whole.
  const cut = (text: string, first: string) => (term.verbose ? [sanitize(first + text)] : [truncate(sanitize(first + text), term.width)]);
  para(`firewall trace: ${endText(t.from)} → ${endText(t.to)}  ${t.port === null ? t.protocol : `${t.port}/${t.protocol}`} ${t.state}`);
  para(`source: ${sourceLabel}${t.rulesetSource ? ` (${t.rulesetSource}${t.dialect ? `, Docker layout: ${t.dialect.dialect}` : ''})` : ''}`);
  if (t.packet) {
    const p = t.packet;
    const ifs = p.path === 'output' ? `out ${p.outIface ?? '?'}` : p.path === 'input' ? `in ${p.inIface ?? '?'}` : `in ${p.inIface ?? '?'} → out ${p.outIface ?? '?'}`;
    para(`packet: ${p.path}, ${ifs}, ${p.src} → ${p.dst}${p.dport !== null && p.dport !== undefined ? `:${p.dport}` : ''} ${p.protocol} (${p.ctState})`);
    for (const n of p.notes) para(n, '  ');
  }
  out.push('');
  if (t.path.length) {
    // By default the steps that matched, decided, or could not be decided; the rules the packet
    // passed without matching only with --verbose (then with every column, rule text whole).
    const d0 = t.decidedBy;
    const deciding = (s: TraceStep) => d0 !== null && s.table === d0.table && s.chain === d0.chain && s.index === d0.index && s.hook === d0.hook;
    const rows = term.verbose ? t.path : t.path.filter((s) => s.matched !== false || deciding(s));
    const hidden = t.path.length - rows.length;
    const matchedCol = { header: 'MATCHED', value: matchedText, paint: (x: string) => (x === 'unknown' ? term.c.yellow(x) : x) };
    out.push(
      term.verbose
        ? fitTable(
            term,
            rows,
            [
              { header: 'HOOK', value: (s) => s.hook },
              { header: 'TABLE', value: (s) => s.table },
              { header: 'CHAIN', value: (s) => s.chain },
              { header: '#', value: (s) => (s.index === null ? '-' : String(s.index)), align: 'right' },
              { header: 'RULE', value: (s) => s.rule },
              matchedCol,
              { header: 'ACTION', value: (s) => (s.matched === false ? '' : s.action) },
              { header: 'WHY NOT', value: whyNot },
            ],
            { verboseFull: true },
          )
        : fitTable(term, rows, [
            { header: 'HOOK', value: (s) => s.hook, min: 11 },
            { header: 'CHAIN', value: (s) => `${s.table}/${s.chain}`, shrink: 'truncate', min: 14 },
            { header: '#', value: (s) => (s.index === null ? '-' : String(s.index)), align: 'right' },
            { header: 'RULE', value: ruleText, shrink: 'truncate', min: 12 },
            matchedCol,
            ...(rows.some((s) => whyNot(s)) ? [{ header: 'WHY NOT', value: whyNot, shrink: 'wrap' as const, min: 12 }] : []),
          ]),
    );
    if (hidden) out.push(...hang(`(${hidden} rule(s) the packet did not match are hidden; --verbose shows every rule walked)`, term.width, '', 1).map((l) => term.c.dim(l)));
    out.push('');
  }
  const d = t.decidedBy;
  const vline = hang(sanitize(`${t.verdict}${d ? ` — ${d.policy ? `policy of ${d.table}/${d.chain}` : `rule ${d.index} in ${d.table}/${d.chain}`} (${d.hook})` : ''}`), term.width, 'verdict: ', 2);
  out.push('verdict: ' + paintVerdict(term, t.verdict) + vline[0]!.slice('verdict: '.length + t.verdict.length), ...vline.slice(1));
  if (d && !d.policy) out.push(...cut(d.rule, '  deciding rule: '));
  if (t.natSteps.length) {
    out.push('NAT:');
    for (const s of t.natSteps) para(`${s.kind} in ${s.table}/${s.chain} rule ${s.index} (${s.hook}): ${view(s.before)}  ⇒  ${view(s.after)}${s.note ? ` — ${s.note}` : ''}`, '  ', 4);
  }
  if (t.finalPacket && t.natSteps.length) para(`leaves as ${view(t.finalPacket)}`, '  ');
  if (t.reasons.length) {
    out.push('reasons:');
    for (const r of t.reasons) para(`${r.code}: ${r.message}`, '  ', 4);
  }
  return out.join('\n');
}

export function renderLint(findings: LintJsonFinding[], sourceLabel: string, summary: string[], term: Term = makeTerm()): string {
  const out: string[] = [];
  const para = (text: string, first = '', indent = first.length || 2) => out.push(...hang(sanitize(text), term.width, first, indent));
  para(`firewall lint: ${sourceLabel}`);
  for (const s of summary) para(s, '  ', 4);
  out.push('');
  if (findings.length === 0) {
    out.push(term.c.green('no findings'));
    return out.join('\n');
  }
  out.push(
    fitTable(term, findings, [
      { header: 'SEVERITY', value: (f) => f.severity, paint: (x, f) => paintSeverity(term, f.severity, x) },
      { header: 'CODE', value: (f) => f.code, shrink: 'truncate', min: 16 },
      { header: 'FAMILY', value: (f) => f.family },
      { header: 'RULES', value: (f) => f.rules.map((r) => `${r.table}/${r.chain}#${r.index}`).join(', '), shrink: 'truncate', min: 12 },
    ]),
  );
  out.push('');
  findings.forEach((f, i) => {
    const head = hang(sanitize(`${f.code}: ${f.message}`), term.width, `${i + 1}. [${f.severity}] `, 3);
    out.push(head[0]!.replace(`[${f.severity}]`, `[${paintSeverity(term, f.severity)}]`), ...head.slice(1));
    for (const r of f.rules.slice(0, 5)) {
      const line = sanitize(`     ${r.table}/${r.chain} #${r.index}: ${r.text}`);
      out.push(term.verbose ? line : truncate(line, term.width));
    }
    if (f.rules.length > 5) out.push(`     … and ${f.rules.length - 5} more`);
  });
  const counts = countBySeverity(findings);
  out.push('');
  out.push(`${findings.length} finding(s): ${counts.error} error, ${counts.warning} warning, ${counts.info} info`);
  return out.join('\n');
}
