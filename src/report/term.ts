// The terminal a human report is drawn for: its width, whether colour is on, and whether detail
// was asked for. Renderers take a Term and stay pure (no process or env access here except in
// termFor, which the CLI calls once). Width-aware string handling (wide glyphs, ANSI colour codes)
// goes through string-width and wrap-ansi so a CJK container name or a coloured word counts as
// the columns it really takes.

import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';
import { createColors } from 'picocolors';

export type Colors = ReturnType<typeof createColors>;

export interface Term {
  /** Columns available; every line of a default report fits in it. */
  width: number;
  /** Colour codes on (a TTY, no NO_COLOR/CI, or FORCE_COLOR). */
  color: boolean;
  /** Detail asked for with --verbose: long rule text, non-matching rules, evidence. */
  verbose: boolean;
  /** Paint functions: identity when colour is off. */
  c: Colors;
}

/** The narrowest width we lay out for; below it tables would be unreadable whatever we do. */
export const MIN_WIDTH = 40;
/** Width when neither COLUMNS nor a TTY says (a pipe, a file, CI logs). */
export const DEFAULT_WIDTH = 80;

export function makeTerm(opts: { width?: number; color?: boolean; verbose?: boolean } = {}): Term {
  const color = opts.color ?? false;
  return {
    width: Math.max(MIN_WIDTH, Math.floor(opts.width ?? DEFAULT_WIDTH)),
    color,
    verbose: opts.verbose ?? false,
    c: createColors(color),
  };
}

/** No width limit and no colour: for tests and for text that goes into files. */
export const PLAIN: Term = { width: Number.POSITIVE_INFINITY, color: false, verbose: false, c: createColors(false) };

/**
 * Width: COLUMNS (as set by the shell or the user), else the TTY's width, else 80.
 * Colour: FORCE_COLOR (non-zero) forces it on, FORCE_COLOR=0 / NO_COLOR / CI / --json / a pipe
 * turn it off (https://no-color.org, https://force-color.org).
 */
export function termFor(opts: { json?: boolean; verbose?: boolean; env?: NodeJS.ProcessEnv; stream?: { isTTY?: boolean; columns?: number } } = {}): Term {
  const env = opts.env ?? process.env;
  const stream = opts.stream ?? process.stdout;
  const cols = Number.parseInt(env.COLUMNS ?? '', 10);
  const width = Number.isFinite(cols) && cols > 0 ? cols : stream.isTTY && stream.columns ? stream.columns : DEFAULT_WIDTH;
  return makeTerm({ width, color: colorWanted(env, stream.isTTY === true, opts.json === true), verbose: opts.verbose });
}

export function colorWanted(env: NodeJS.ProcessEnv, isTTY: boolean, json: boolean): boolean {
  if (json) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.CI === 'true' || env.CI === '1') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

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
