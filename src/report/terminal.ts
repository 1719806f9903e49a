// The terminal a human report is drawn for: its width, whether colour is on, and whether detail
// was asked for. Renderers take a Term and stay pure (no process or env access here except in
// termFor, which the CLI calls once). This module is on every command's start-up path (the base
// class builds the Term), so it loads only picocolors; the width-aware string handling lives in
// term.ts, which only renderers load.

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
