// The `gate` result: JSON shape (docs/gate.md) and the human table. Every name from the state or
// the policy passes through sanitize() (renderTable sanitizes its cells).

import type { GateReport, GateResult } from '../analysis/gate.js';
import { fitTable, paintVerdict } from './paint.js';
import { sanitize } from './sanitize.js';
import { hang, makeTerm, type Term } from './term.js';

export interface GateOutput extends GateReport {
  policy: string;
  source: string;
  origin: 'snapshot' | 'live';
}

const STATUS: Record<GateResult['status'], string> = { pass: 'PASS', fail: 'FAIL', unknown: 'UNKNOWN' };

export function renderGate(r: GateOutput, term: Term = makeTerm()): string {
  const out: string[] = [];
  const para = (text: string, first = '', indent = first.length) => out.push(...hang(sanitize(text), term.width, first, indent));
  para(r.policy, 'Policy  ');
  para(`${r.source} (${r.origin})`, 'Source  ');
  out.push('');
  out.push(
    fitTable(term, r.results, [
      { header: 'STATUS', value: (x) => STATUS[x.status], paint: (t) => paintVerdict(term, t) },
      { header: 'LINE', value: (x) => String(x.line), align: 'right' },
      { header: 'EXPECTATION', value: (x) => (x.label ? `${x.label}: ` : '') + x.expectation, shrink: 'wrap', min: 16 },
      { header: 'RESULT', value: (x) => x.message, shrink: 'wrap', min: 16 },
    ]),
  );
  // Evidence for what did not pass (all of it with --verbose).
  const explain = r.results.filter((x) => term.verbose || x.status !== 'pass').filter((x) => x.evidence.length);
  for (const x of explain) {
    out.push('');
    const head = hang(sanitize(`line ${x.line}: ${x.label ? `${x.label}: ` : ''}${x.expectation}`), term.width, `${STATUS[x.status]} `, 2);
    out.push(paintVerdict(term, STATUS[x.status]) + head[0]!.slice(STATUS[x.status].length), ...head.slice(1));
    for (const ev of x.evidence) para(ev, '  ', 4);
  }
  out.push('', `${r.passed ? term.c.green('Gate passed') : term.c.red('Gate FAILED')}: ${r.counts.pass} passed, ${r.counts.fail} failed, ${r.counts.unknown} unknown`);
  return out.join('\n');
}
