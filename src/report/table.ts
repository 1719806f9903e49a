import { sanitize } from './sanitize.js';
import { displayWidth, pad, truncate, wrap } from './term.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
  /**
   * How the column gives way when the table is wider than the terminal: 'wrap' continues the
   * cell on the next lines, 'truncate' cuts it with "…". Columns without it keep their width
   * unless nothing else can give. The last column wraps by default.
   */
  shrink?: 'wrap' | 'truncate';
  /** Narrowest width the column is shrunk to (default: its header, at least 6). */
  min?: number;
  /** Colour for the (already sanitized, fitted) cell text; the width is measured without it. */
  paint?: (text: string, row: T) => string;
}

export interface TableOptions {
  /** Columns available (default: unlimited). */
  width?: number;
}

const GAP = 2;

/** Plain aligned columns, every cell sanitized; no box drawing so output pastes well into tickets. */
export function renderTable<T>(rows: readonly T[], columns: Column<T>[], opts: TableOptions = {}): string {
  const cells = rows.map((r) => columns.map((c) => sanitize(c.value(r))));
  const natural = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i]!))));
  const widths = fitWidths(columns, natural, opts.width ?? Number.POSITIVE_INFINITY);
  const shrinkOf = (i: number) => columns[i]!.shrink ?? (i === columns.length - 1 ? 'wrap' : 'truncate');

  const lines: string[] = [];
  const emit = (values: string[], row: T | null) => {
    const parts = values.map((v, i) => {
      if (displayWidth(v) <= widths[i]!) return [v];
      return shrinkOf(i) === 'wrap' ? wrap(v, widths[i]!) : [truncate(v, widths[i]!)];
    });
    const height = Math.max(...parts.map((p) => p.length));
    for (let k = 0; k < height; k++) {
      const line = parts
        .map((p, i) => {
          const text = p[k] ?? '';
          const col = columns[i]!;
          const padded = pad(text, widths[i]!, col.align === 'right');
          return row !== null && col.paint && text ? padded.replace(text, col.paint(text, row)) : padded;
        })
        .join(' '.repeat(GAP))
        .trimEnd();
      lines.push(line);
    }
  };
  emit(
    columns.map((c) => c.header),
    null,
  );
  cells.forEach((row, r) => emit(row, rows[r]!));
  return lines.join('\n');
}

/**
 * Column widths that fit `width`: shrink the widest column that may give way (wrap columns
 * first, then truncate columns, then any column) one step at a time until the row fits or every
 * column is at its minimum.
 */
function fitWidths<T>(columns: Column<T>[], natural: number[], width: number): number[] {
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  if (total() <= width) return widths;
  const minOf = (i: number) => Math.min(natural[i]!, columns[i]!.min ?? Math.max(6, displayWidth(columns[i]!.header)));
  const tiers: Array<(i: number) => boolean> = [
    (i) => (columns[i]!.shrink ?? (i === columns.length - 1 ? 'wrap' : undefined)) === 'wrap',
    (i) => columns[i]!.shrink === 'truncate',
    () => true,
  ];
  for (const may of tiers) {
    while (total() > width) {
      let pick = -1;
      for (let i = 0; i < widths.length; i++) {
        if (may(i) && widths[i]! > minOf(i) && (pick < 0 || widths[i]! > widths[pick]!)) pick = i;
      }
      if (pick < 0) break;
      // Shrink the widest down to the next widest (or just enough), never below its minimum, so
      // two long columns share the room instead of one being crushed.
      const over = total() - width;
      let second = 0;
      for (let i = 0; i < widths.length; i++) if (i !== pick && may(i) && widths[i]! > minOf(i)) second = Math.max(second, widths[i]!);
      let target = Math.max(minOf(pick), widths[pick]! - over, second);
      if (target >= widths[pick]!) target = widths[pick]! - 1;
      widths[pick] = target;
    }
    if (total() <= width) break;
  }
  return widths;
}
