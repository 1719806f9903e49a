// The `gate` result: JSON shape (docs/gate.md) and the human table. Every name from the state or
// the policy passes through sanitize() (renderTable sanitizes its cells).

import type { GateReport, GateResult } from '../analysis/gate.js';
import { sanitize } from './sanitize.js';
import { renderTable } from './table.js';

export interface GateOutput extends GateReport {
  policy: string;
  source: string;
  origin: 'snapshot' | 'live';
}

const STATUS: Record<GateResult['status'], string> = { pass: 'PASS', fail: 'FAIL', unknown: 'UNKNOWN' };

export function renderGate(r: GateOutput, opts: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  out.push(sanitize(`Policy  ${r.policy}`));
  out.push(sanitize(`Source  ${r.source} (${r.origin})`));
  out.push('');
  out.push(
    renderTable(r.results, [
      { header: 'STATUS', value: (x) => STATUS[x.status] },
      { header: 'LINE', value: (x) => String(x.line), align: 'right' },
      { header: 'EXPECTATION', value: (x) => (x.label ? `${x.label}: ` : '') + x.expectation },
      { header: 'RESULT', value: (x) => x.message },
    ]),
  );
  // Evidence for what did not pass (all of it with --verbose).
  const explain = r.results.filter((x) => opts.verbose || x.status !== 'pass').filter((x) => x.evidence.length);
  for (const x of explain) {
    out.push('', sanitize(`${STATUS[x.status]} line ${x.line}: ${x.label ? `${x.label}: ` : ''}${x.expectation}`));
    for (const ev of x.evidence) out.push(sanitize(`  ${ev}`));
  }
  out.push('', `${r.passed ? 'Gate passed' : 'Gate FAILED'}: ${r.counts.pass} passed, ${r.counts.fail} failed, ${r.counts.unknown} unknown`);
  return out.join('\n');
}
