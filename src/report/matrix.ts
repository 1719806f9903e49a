// Human rendering of a reach matrix: the outcome counts, a grid of outcomes (row = from, column =
// to) fitted to the terminal — one symbol per pair, spaced when it fits, packed otherwise, names
// truncated; none when even that does not fit — then the pairs that are not OPEN, grouped by
// outcome and the code that decides it. Every name is sanitized before colour is applied.

import type { ReachOutcome } from '../analysis/reach.js';
import type { MatrixCell, MatrixResult } from '../analysis/matrix.js';
import { paintOutcome } from './paint.js';
import { sanitize } from './sanitize.js';
import { type Term, PLAIN, displayWidth, fitLines, hang, pad, truncate } from './term.js';

const GRID_MAX = 40;
/** Names are cut to no fewer columns than this before the grid gives up. */
const NAME_MIN = 12;

const SYMBOL: Record<ReachOutcome, string> = { OPEN: 'O', REFUSED: 'R', BLOCKED: 'X', UNKNOWN: '?' };
const ORDER: ReachOutcome[] = ['OPEN', 'REFUSED', 'BLOCKED', 'UNKNOWN'];

/** How the grid is laid out at this width: cell pitch (2 spaced, 1 packed) and name width; null: no grid. */
function gridLayout(n: number, nameWidth: number, width: number): { pitch: 1 | 2; name: number } | null {
  // A row: "NN name  cells" (index 2, a space, the name, a space).
  for (const pitch of [2, 1] as const) {
    const cells = pitch === 2 ? 2 * n - 1 : n;
    const room = width - 4 - cells;
    if (room >= Math.min(nameWidth, NAME_MIN)) return { pitch, name: Math.min(nameWidth, room) };
  }
  return null;
}

export function renderMatrix(m: MatrixResult, opts: { limit?: number; term?: Term } = {}): string {
  const limit = opts.limit ?? 10;
  const term = opts.term ?? PLAIN;
  const width = term.width;
  const { c } = term;
  const what = m.port === null ? 'icmp echo' : `${m.port}/${m.protocol}`;
  const out: string[] = [];
  const para = (text: string, first = '', indent = first.length + 2) => out.push(...hang(sanitize(text), width, first, indent));
  para(`matrix ${what}${m.network ? ` on network ${m.network}` : ''}: ${m.containers.length} containers, ${m.counts.pairs} pairs`);
  out.push(ORDER.map((o) => `${paintOutcome(term, o, o)} ${m.outcomes[o]}`).join('   '));
  const n = m.containers.length;
  const names = m.containers.map(sanitize);
  const layout = n > 0 && n <= GRID_MAX ? gridLayout(n, Math.max(...names.map(displayWidth)), width) : null;
  if (layout) {
    const idx = new Map<string, number>();
    m.containers.forEach((name, i) => idx.set(name, i));
    const grid: Array<Array<MatrixCell | null>> = names.map(() => names.map(() => null));
    for (const cell of m.cells) grid[idx.get(cell.from)!]![idx.get(cell.to)!] = cell;
    const sep = layout.pitch === 2 ? ' ' : '';
    const lead = ' '.repeat(layout.name + 4);
    out.push('');
    if (n >= 10) out.push(lead + names.map((_, j) => (j + 1 >= 10 ? String(Math.floor((j + 1) / 10)) : ' ')).join(sep));
    out.push(lead + names.map((_, j) => String((j + 1) % 10)).join(sep));
    names.forEach((nm, i) => {
      const row = grid[i]!.map((cell) => (cell ? paintOutcome(term, cell.outcome, SYMBOL[cell.outcome]) : c.dim('-'))).join(sep);
      out.push(`${String(i + 1).padStart(2)} ${pad(truncate(nm, layout.name), layout.name)} ${row}`);
    });
    out.push('');
    para(`column j is row j's container.  ${ORDER.map((o) => `${SYMBOL[o]} ${o}`).join('  ')}  - self.  OPEN: something listens; REFUSED: the path is open but nothing listens (or only on loopback); BLOCKED: a stage stops it; UNKNOWN: evidence is missing`);
  } else if (n > 0) {
    out.push('');
    para(`(no grid: ${n > GRID_MAX ? `more than ${GRID_MAX} containers` : `${n} columns do not fit in ${width}`}; the pairs that are not OPEN follow, --json lists every pair)`);
  }
  const bad = m.cells.filter((cell) => cell.outcome !== 'OPEN');
  if (bad.length) {
    const groups = new Map<string, { outcome: ReachOutcome; code: string; cells: MatrixCell[] }>();
    for (const cell of bad) {
      const code = cell.cause ?? '-';
      const k = `${cell.outcome} ${code}`;
      const g = groups.get(k);
      if (g) g.cells.push(cell);
      else groups.set(k, { outcome: cell.outcome, code, cells: [cell] });
    }
    out.push('', 'not OPEN, by outcome and the code that decides it:');
    const sorted = [...groups.values()].sort((a, b) => ORDER.indexOf(a.outcome) - ORDER.indexOf(b.outcome) || b.cells.length - a.cells.length);
    for (const g of sorted) {
      out.push(`  ${paintOutcome(term, g.outcome, g.outcome)} ${sanitize(g.code)}: ${g.cells.length} pair(s)`);
      for (const cell of g.cells.slice(0, limit)) para(`${cell.from} → ${cell.to}`, '    ', 6);
      if (g.cells.length > limit) out.push(`    … ${g.cells.length - limit} more (--json lists every pair)`);
    }
  }
  const probed = m.cells as Array<MatrixCell & { probe?: { method: string | null; result: string } | null; agreement?: boolean | null }>;
  if (probed.some((cell) => cell.probe !== undefined)) {
    const agree = probed.filter((cell) => cell.agreement === true).length;
    const dis = probed.filter((cell) => cell.agreement === false);
    out.push('', `live probes: ${agree} agree, ${dis.length} disagree, ${probed.length - agree - dis.length} not compared`);
    for (const cell of dis.slice(0, limit)) para(`DISAGREE ${cell.from} → ${cell.to}: predicted ${cell.outcome} (${cell.verdict}${cell.listening === false ? ', nothing listening' : ''}), probe saw ${cell.probe?.result ?? '?'}`, '  ', 4);
    if (dis.length > limit) out.push(`  … ${dis.length - limit} more (--json lists every pair)`);
    if (dis.length) para('(netsleuth reach FROM TO on the live daemon names the suspect hop and the next check)', '  ', 4);
    const nb = (m as { probeSummary?: { neighbour?: { charged: number; reclaimPasses: number; reclaimed: number } } }).probeSummary?.neighbour;
    if (nb && nb.reclaimPasses > 0) {
      para(`the mesh needed more neighbour (ARP) entries than the kernel's table holds: ${nb.reclaimed} entries the probes created were deleted again (${nb.reclaimPasses} passes)`, '  ', 4);
    }
  }
  if (m.skipped.length) {
    out.push('');
    para(`not in the matrix: ${m.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`, '', 2);
  }
  out.push('', c.dim('(netsleuth reach FROM TO explains any one pair hop by hop, with a fix)'));
  return fitLines(out.join('\n'), width);
}
