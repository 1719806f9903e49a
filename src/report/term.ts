// Width-aware string handling for renderers: wide glyphs and ANSI colour codes count as the columns
// they really take (string-width, wrap-ansi), so a CJK container name or a coloured word fits.
// The Term itself (width, colour, detail) is terminal.ts, re-exported here for renderers.

import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

export * from './terminal.js';

/** Columns a string takes on screen (ANSI codes take none, wide glyphs two). */
export function displayWidth(s: string): number {
  return stringWidth(s);
}

/** Pad to `width` display columns (left-aligned unless `right`). */
export function pad(s: string, width: number, right = false): string {
  const gap = Math.max(0, width - displayWidth(s));
  return right ? ' '.repeat(gap) + s : s + ' '.repeat(gap);
}

/** Cut to `width` columns, ending with "…" when something was cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(s) <= width) return s;
  // wrap-ansi with hard wrapping keeps ANSI codes balanced; take its first line and make room.
  const first = wrapAnsi(s, Math.max(1, width - 1), { hard: true, trim: false, wordWrap: false }).split('\n')[0] ?? '';
  return first + '…';
}

/** Word-wrap to `width` columns (words longer than a line are broken). */
export function wrap(s: string, width: number): string[] {
  if (!Number.isFinite(width) || displayWidth(s) <= width) return [s];
  return wrapAnsi(s, Math.max(1, width), { hard: true, trim: true }).split('\n');
}

/**
 * A paragraph that fits: the first line starts with `first`, continuation lines are indented by
 * `indent` spaces (a hanging indent under the first word, as `dig` and `kubectl describe` do).
 */
export function hang(text: string, width: number, first = '', indent = first.length): string[] {
  const lines = wrap(text, width - displayWidth(first));
  if (lines.length <= 1) return [first + text];
  const rest = wrap(lines.slice(1).join(' '), width - indent);
  return [first + lines[0], ...rest.map((l) => ' '.repeat(indent) + l)];
}

/** Every line of `text` fitted to the width: wrapped with its own leading indent kept. */
export function fitLines(text: string, width: number): string {
  if (!Number.isFinite(width)) return text;
  return text
    .split('\n')
    .flatMap((line) => {
      if (displayWidth(line) <= width) return [line];
      const lead = /^\s*(?:[-*•]\s+|\d+[.)]\s+)?/.exec(line)![0];
      return hang(line.slice(lead.length), width, lead, lead.length);
    })
    .join('\n');
}
