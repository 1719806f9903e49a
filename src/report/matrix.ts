// Human rendering of a reach matrix: a grid when it fits a terminal (row = from, column = to),
// otherwise counts; then the pairs that are not reachable, grouped by the stage code that stops
// them. Every name is sanitized.

import type { MatrixResult } from '../analysis/matrix.js';
import { sanitize } from './sanitize.js';

const GRID_MAX = 40;

function mark(c: MatrixResult['cells'][number]): string {
  if (c.verdict === 'blocked') return 'X';
  if (c.verdict === 'unknown') return '?';
  return c.listening === false ? 'o' : c.listening === 'unknown' ? 'r' : 'R';
}

export function renderMatrix(m: MatrixResult, opts: { limit?: number } = {}): string {
  const limit = opts.limit ?? 10;
  const what = m.port === null ? 'icmp echo' : `${m.port}/${m.protocol}`;
  const out: string[] = [sanitize(`matrix ${what}${m.network ? ` on network ${m.network}` : ''}: ${m.containers.length} containers, ${m.counts.pairs} pairs`)];
  out.push(`reachable ${m.counts.reachable}   blocked ${m.counts.blocked}   unknown ${m.counts.unknown}`);
  const n = m.containers.length;
  if (n > 0 && n <= GRID_MAX) {
    const names = m.containers.map(sanitize);
    const w = Math.max(...names.map((x) => x.length));
    const idx = new Map<string, number>();
    m.containers.forEach((c, i) => idx.set(c, i));
    const grid = names.map(() => names.map(() => '-'));
    for (const c of m.cells) grid[idx.get(c.from)!]![idx.get(c.to)!] = mark(c);
    out.push('');
    out.push(`${' '.repeat(w + 4)}${names.map((_, j) => String((j + 1) % 10)).join(' ')}   (column j = row j's container)`);
    names.forEach((nm, i) => out.push(`${String(i + 1).padStart(2)} ${nm.padEnd(w)} ${grid[i]!.join(' ')}`));
    out.push('', 'R reachable, something listens   o reachable, nothing listens   r reachable, listeners unknown   X blocked   ? unknown   - self');
  }
  const bad = m.cells.filter((c) => c.verdict !== 'reachable');
  if (bad.length) {
    const byCode = new Map<string, typeof bad>();
    for (const c of bad) {
      const k = `${c.verdict} ${c.code ?? '-'}`;
      const l = byCode.get(k);
      if (l) l.push(c);
      else byCode.set(k, [c]);
    }
    out.push('', 'not reachable, by the stage that stops them:');
    for (const [k, l] of [...byCode].sort((a, b) => b[1].length - a[1].length)) {
      out.push(sanitize(`  ${k}: ${l.length} pair(s)`));
      for (const c of l.slice(0, limit)) out.push(sanitize(`    ${c.from} → ${c.to}`));
      if (l.length > limit) out.push(`    … ${l.length - limit} more (--json lists every pair)`);
    }
  }
  const probed = m.cells as Array<MatrixResult['cells'][number] & { probe?: { method: string | null; result: string } | null; agreement?: boolean | null }>;
  if (probed.some((c) => c.probe !== undefined)) {
    const agree = probed.filter((c) => c.agreement === true).length;
    const dis = probed.filter((c) => c.agreement === false);
    out.push('', `live probes: ${agree} agree, ${dis.length} disagree, ${probed.length - agree - dis.length} not compared`);
    for (const c of dis.slice(0, limit)) out.push(sanitize(`  DISAGREE ${c.from} → ${c.to}: predicted ${c.verdict}${c.listening === false ? ' (nothing listening)' : ''}, probe saw ${c.probe?.result ?? '?'}`));
    if (dis.length > limit) out.push(`  … ${dis.length - limit} more (--json lists every pair)`);
    if (dis.length) out.push('  (netsleuth reach FROM TO on the live daemon names the suspect hop and the next check)');
    const nb = (m as { probeSummary?: { neighbour?: { charged: number; reclaimPasses: number; reclaimed: number } } }).probeSummary?.neighbour;
    if (nb && nb.reclaimPasses > 0) {
      out.push(`  the mesh needed more neighbour (ARP) entries than the kernel's table holds: ${nb.reclaimed} entries the probes created were deleted again (${nb.reclaimPasses} passes)`);
    }
  }
  if (m.skipped.length) out.push('', sanitize(`not in the matrix: ${m.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`));
  out.push('', "(netsleuth reach FROM TO explains any one pair hop by hop)");
  return out.join('\n');
}
