// The `snapshot diff` result: its JSON shape (documented in docs/diff.md, stable) and the human
// rendering, grouped by kind with +/-/~ markers like a unified diff. Every name from either
// snapshot passes through sanitize() before reaching a terminal.

import { KIND_ORDER, type Change, type ChangeKind, type StateDiff } from '../analysis/snapshot-diff.js';
import { sanitize } from './sanitize.js';
import { hang, makeTerm, type Term } from './term.js';

export interface SnapshotSide {
  file: string;
  capturedAt: string;
  host: string | null;
}

export interface SnapshotDiffReport extends StateDiff {
  a: SnapshotSide;
  b: SnapshotSide;
  /** Which consequence analyses ran (`findings`, `verdicts`). */
  compared: string[];
}

const HEADINGS: Record<ChangeKind, string> = {
  container: 'CONTAINERS',
  endpoint: 'ENDPOINTS',
  port: 'PUBLISHED PORTS',
  network: 'NETWORKS',
  firewall: 'FIREWALL RULES',
  route: 'ROUTES',
  daemon: 'DAEMON AND HOST SETTINGS',
  finding: 'FINDINGS',
  verdict: 'VERDICTS',
};

export const MARK: Record<Change['op'], string> = { added: '+', removed: '-', changed: '~' };

export function renderSnapshotDiff(r: SnapshotDiffReport, term: Term = makeTerm()): string {
  const out: string[] = [];
  const para = (text: string, first = '', indent = first.length) => out.push(...hang(sanitize(text), term.width, first, indent));
  const PAINT: Record<Change['op'], (s: string) => string> = { added: term.c.green, removed: term.c.red, changed: term.c.yellow };
  para(`${r.a.file}  (captured ${r.a.capturedAt}${r.a.host ? ` on ${r.a.host}` : ''})`, '--- A  ');
  para(`${r.b.file}  (captured ${r.b.capturedAt}${r.b.host ? ` on ${r.b.host}` : ''})`, '+++ B  ');
  if (r.identical) out.push('', 'No differences.');
  for (const kind of KIND_ORDER) {
    const list = r.changes.filter((c) => c.kind === kind);
    if (!list.length) continue;
    out.push('', `${HEADINGS[kind]} (${list.length})`);
    for (const c of list) {
      const [first, ...rest] = hang(sanitize(c.message), term.width, `${MARK[c.op]} `);
      out.push(PAINT[c.op](MARK[c.op]) + first!.slice(1), ...rest);
    }
  }
  if (r.notes.length) {
    out.push('', 'NOT COMPARED');
    for (const n of r.notes) para(n, '  ', 4);
  }
  const { added, removed, changed } = r.counts;
  out.push('');
  para(`${r.changes.length} difference(s): ${added} added, ${removed} removed, ${changed} changed` + (r.compared.length ? ` (consequences: ${r.compared.join(', ')})` : ''));
  return out.join('\n');
}
