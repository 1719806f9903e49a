// The human rendering of findings (doctor's default table format): a summary line, then the
// findings grouped by severity, each with subjects, evidence and the fix. Sanitized.

import { SEVERITIES } from '../../model/finding.js';
import { sanitize } from '../sanitize.js';
import { summaryLine, type FindingsReport } from './types.js';

export function renderFindings(r: FindingsReport, opts: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  out.push(sanitize(`netsleuth ${r.command}: ${r.source.origin} ${r.source.label}`));
  out.push(summaryLine(r));
  for (const sev of SEVERITIES) {
    const fs = r.findings.filter((f) => f.severity === sev);
    if (!fs.length) continue;
    out.push('');
    out.push(`${sev.toUpperCase()} (${fs.length})`);
    for (const f of fs) {
      out.push(sanitize(`  ${f.code}  ${f.title}`));
      out.push(sanitize(`    ${f.message}`));
      if (f.subjects.length) out.push(sanitize(`    subjects: ${f.subjects.slice(0, 10).join(', ')}${f.subjects.length > 10 ? `, … (${f.subjects.length - 10} more)` : ''}`));
      const ev = opts.verbose ? f.evidence : f.evidence.slice(0, 4);
      for (const e of ev) out.push(sanitize(`    evidence: ${e}`));
      if (ev.length < f.evidence.length) out.push(`    evidence: … (${f.evidence.length - ev.length} more; --format json shows all)`);
      out.push(sanitize(`    fix: ${f.remediation}`));
      out.push(`    docs: docs/findings/${f.code}.md`);
    }
  }
  const incomplete = r.checks.filter((c) => c.status === 'run' && c.reason);
  if (incomplete.length) {
    out.push('');
    out.push(`not fully checked (${incomplete.length}): ${incomplete.map((c) => c.code).join(', ')} — see the EVIDENCE_MISSING findings`);
  }
  if (r.findings.length === 0) {
    out.push('');
    out.push('no findings');
  }
  return out.join('\n');
}
