// One colour rule for the words every report leads with: verdicts and severities. Green means the
// thing works (ACCEPT, resolved, routed, pass), red that it does not (DROP, REJECT, nxdomain,
// no-route, fail), yellow that we could not tell (unknown) or should look (warning); info is cyan.
// Paint is applied to text that is already sanitized and fitted (its width is measured without
// the codes); with colour off (term.c is the identity) every function returns its input.

import type { ReachOutcome } from '../analysis/reach.js';
import type { Severity } from '../model/finding.js';
import { displayWidth, truncate, type Term } from './term.js';
import { renderTable, type Column } from './table.js';

const GOOD = new Set(['accept', 'accepted', 'resolved', 'routed', 'pass', 'passed', 'reachable', 'open', 'yes', 'valid', 'agree']);
const BAD = new Set([
  'drop',
  'reject',
  'blocked',
  'nxdomain',
  'servfail',
  'timeout',
  'no-route',
  'blackhole',
  'fail',
  'failed',
  'error',
  'refused',
  'disagree',
]);
const UNSURE = new Set(['unknown', 'warning', 'partial', 'unavailable']);

/** The four reach outcomes (reach's headline, matrix's grid and legend): one colour each. */
export function paintOutcome(term: Term, o: ReachOutcome, text: string = o): string {
  const { c } = term;
  return o === 'OPEN' ? c.green(text) : o === 'REFUSED' ? c.yellow(text) : o === 'BLOCKED' ? c.red(text) : c.magenta(text);
}

/** Green, red or yellow by what the word means; anything else unchanged. */
export function paintVerdict(term: Term, word: string): string {
  const key = word.trim().toLowerCase();
  if (GOOD.has(key)) return term.c.green(word);
  if (BAD.has(key)) return term.c.red(word);
  if (UNSURE.has(key)) return term.c.yellow(word);
  return word;
}

/** error red (bold), warning yellow, info cyan. */
export function paintSeverity(term: Term, severity: Severity | string, text: string = severity): string {
  if (severity === 'error') return term.c.bold(term.c.red(text));
  if (severity === 'warning') return term.c.yellow(text);
  if (severity === 'info') return term.c.cyan(text);
  return text;
}

/** Replace the first `word` in an already sanitized line by its painted form. */
export function paintIn(line: string, word: string, painted: string): string {
  const at = line.indexOf(word);
  return at < 0 ? line : line.slice(0, at) + painted + line.slice(at + word.length);
}

/**
 * A table fitted to the terminal: renderTable's shrinking, then (only when the columns' minimum
 * widths still do not fit, e.g. at 40 columns) each line cut to the width. With --verbose the
 * table keeps its natural width when `verboseFull` is set (full rule text is what was asked for).
 */
export function fitTable<T>(term: Term, rows: readonly T[], columns: Column<T>[], opts: { verboseFull?: boolean } = {}): string {
  const width = opts.verboseFull && term.verbose ? Number.POSITIVE_INFINITY : term.width;
  return clampLines(renderTable(rows, columns, { width }), width);
}

/** Last resort: any line still wider than `width` is cut with "…". */
export function clampLines(text: string, width: number): string {
  if (!Number.isFinite(width)) return text;
  return text
    .split('\n')
    .map((l) => (displayWidth(l) > width ? truncate(l, width) : l))
    .join('\n');
}
