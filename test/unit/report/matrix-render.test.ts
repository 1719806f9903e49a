// renderMatrix fitted to a terminal: a wide matrix at 80 columns stays readable (a packed grid
// with truncated names, or the list of pairs that are not OPEN), and no line is wider.
import { describe, expect, it } from 'vitest';
import type { MatrixCell, MatrixResult } from '../../../src/analysis/matrix.js';
import { renderMatrix } from '../../../src/report/matrix.js';
import { displayWidth, makeTerm } from '../../../src/report/term.js';

function matrixOf(n: number, nameLen: number): MatrixResult {
  const containers = Array.from({ length: n }, (_, i) => `svc-${String(i + 1).padStart(2, '0')}-${'x'.repeat(Math.max(0, nameLen - 7))}`);
  const cells: MatrixCell[] = [];
  const outcomes = { OPEN: 0, REFUSED: 0, BLOCKED: 0, UNKNOWN: 0 };
  for (const from of containers) {
    for (const to of containers) {
      if (from === to) continue;
      const k = (from.length + to.charCodeAt(5) + to.charCodeAt(6)) % 4;
      const outcome = (['OPEN', 'REFUSED', 'BLOCKED', 'UNKNOWN'] as const)[k]!;
      outcomes[outcome]++;
      const verdict = outcome === 'BLOCKED' ? 'blocked' : outcome === 'UNKNOWN' ? 'unknown' : 'reachable';
      cells.push({ from, to, port: 80, protocol: 'tcp', outcome, verdict, listening: outcome === 'OPEN' ? true : outcome === 'REFUSED' ? false : 'unknown', code: outcome === 'BLOCKED' ? 'FW_DROPPED' : outcome === 'UNKNOWN' ? 'FW_EVIDENCE_UNAVAILABLE' : null, cause: outcome === 'OPEN' ? null : outcome === 'REFUSED' ? 'LISTENER_NONE' : outcome === 'BLOCKED' ? 'FW_DROPPED' : 'FW_EVIDENCE_UNAVAILABLE' });
    }
  }
  const pairs = cells.length;
  return { network: null, port: 80, protocol: 'tcp', containers, skipped: [], cells, counts: { pairs, reachable: outcomes.OPEN + outcomes.REFUSED, blocked: outcomes.BLOCKED, unknown: outcomes.UNKNOWN }, outcomes, stats: { classes: n, fromClasses: n, toClasses: n, walks: pairs } };
}

const over = (text: string, width: number) => text.split('\n').filter((l) => displayWidth(l) > width);

describe('renderMatrix at a terminal width', () => {
  it('a small matrix: a spaced grid with whole names', () => {
    const out = renderMatrix(matrixOf(5, 12), { term: makeTerm({ width: 80 }) });
    expect(out).toMatch(/^ 1 svc-01-xxxxx - [ORX?] [ORX?] [ORX?] [ORX?]$/m);
    expect(over(out, 80)).toEqual([]);
  });

  it('30 containers with 40-column names at 80 columns: a spaced grid, names truncated to fit, two header rows', () => {
    const m = matrixOf(30, 40);
    const out = renderMatrix(m, { term: makeTerm({ width: 80 }) });
    expect(over(out, 80)).toEqual([]);
    const rows = out.split('\n').filter((l) => /^\s?\d+ svc-/.test(l));
    expect(rows).toHaveLength(30);
    expect(rows[0]).toMatch(/^ 1 svc-01-x{9}… - [ORX?]( [ORX?]){28}$/);
    expect(out).toMatch(/^ +(1 ){10}(2 ){10}3$/m);
    expect(out).toMatch(/BLOCKED FW_DROPPED: \d+ pair\(s\)/);
    // without a width limit the names are whole
    expect(renderMatrix(m)).toContain(`30 ${m.containers[29]} `);
  });

  it('36 containers with 50-column names at 80 columns: packed grid (one column a pair), nothing wider', () => {
    const out = renderMatrix(matrixOf(36, 50), { term: makeTerm({ width: 80 }) });
    expect(over(out, 80)).toEqual([]);
    const rows = out.split('\n').filter((l) => /^\s?\d+ svc-/.test(l));
    expect(rows).toHaveLength(36);
    expect(rows[0]).toMatch(/… -[ORX?]{35}$/);
    expect(out).toMatch(/^ +1{10}2{10}3{7}$/m);
  });

  it('40 containers at 40 columns: no grid, a note, the pairs that are not OPEN; nothing wider', () => {
    const out = renderMatrix(matrixOf(40, 30), { term: makeTerm({ width: 40 }) });
    expect(out).toMatch(/no grid: 40 columns do not fit in 40/);
    expect(out).toMatch(/REFUSED LISTENER_NONE: \d+ pair\(s\)/);
    expect(over(out, 40)).toEqual([]);
  });
});
