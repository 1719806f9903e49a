// Flag builders shared by the commands, so each value is validated in one place and the commands
// stay thin: a flag's parse() turns the text into the value the command uses, or throws an
// InputError (exit 2, one line) naming the flag.

import { Flags } from '@oclif/core';
import { InputError } from '../model/errors.js';
import { SEVERITIES, type Severity } from '../model/finding.js';
import { parsePortNumber, parsePortSpec, type PortSpec } from '../model/port.js';

export type { PortSpec } from '../model/port.js';

/**
 * A parse() that refuses an empty or blank value. `--snapshot "$SNAP"` with SNAP unset must not
 * quietly mean "no --snapshot" (that would analyse the live daemon instead).
 */
export function nonEmpty(flag: string, what: string): (input: string) => Promise<string> {
  return async (input) => {
    if (input.trim() === '') throw new InputError(`--${flag} is empty: give ${what} (is a shell variable unset?)`, `Leave --${flag} out entirely if you did not mean to give one.`);
    return input;
  };
}

/** `--port N`, `N/tcp` or `N/udp` (tcp when no protocol is given) → {port, protocol}. */
export const portFlag = Flags.custom<PortSpec>({
  char: 'p',
  helpValue: 'N[/tcp|udp]',
  description: 'Destination port: N/tcp, N/udp or N (tcp).',
  parse: async (input) => parsePortSpec(input, '--port'),
});

/** A bare port number (1-65535), e.g. a DNS server's port. */
export const portNumberFlag = Flags.custom<number>({
  char: 'p',
  helpValue: 'N',
  parse: async (input) => parsePortNumber(input, '--port'),
});

/**
 * `-o/--output FILE`: where a command writes its report (through src/sources/output-file.ts, see
 * NetsleuthCommand.emit); `-` is stdout.
 */
export const outputFlag = Flags.custom<string>({
  char: 'o',
  helpValue: 'FILE',
  description: 'Write the report to FILE (atomically) instead of stdout; "-" is stdout.',
  parse: nonEmpty('output', 'a file name, or "-" for stdout'),
});

/**
 * `--fail-on error|warning|info|none`: the severity at which findings fail the run (exit 1); `none`
 * (null) never fails. Every command that reports findings defaults to `error` (docs/cli.md, "Flags").
 */
export function failOnFlag(opts: { default?: Severity } = {}) {
  return Flags.custom<Severity | null>({
    description: 'Exit 1 when a finding of this severity or worse exists; none: never.',
    options: [...SEVERITIES, 'none'],
    parse: async (input) => (input === 'none' ? null : (input as Severity)),
    default: opts.default ?? 'error',
  })();
}

/**
 * `-f/--format`: one flag for every command with more outputs than table and json; the values are
 * the command's subset of table|json|markdown|sarif|junit|dot|mermaid|svg. `--json` is the same as
 * `--format json` (see resolveFormatFlag).
 */
export function formatFlag<const F extends string>(formats: readonly F[], opts: { default?: F; description?: string } = {}) {
  const flag = Flags.custom<F>({
    char: 'f',
    helpValue: formats.join('|'),
    description: opts.description ?? 'Output format (--json is --format json).',
    options: [...formats],
  });
  return opts.default ? flag({ default: opts.default }) : flag();
}

/** --format and --json together: --json means json; asking for two different outputs is bad usage. */
export function resolveFormatFlag<F extends string>(format: F | undefined, json: boolean, fallback: F): F | 'json' {
  if (json && format !== undefined && format !== 'json') {
    throw new InputError(`--json and --format ${format} ask for two different outputs: pick one`);
  }
  return json ? 'json' : (format ?? fallback);
}

/** `--from` and `--to` for the path commands (reach, route, firewall trace): the same as the positional FROM TO. */
export const pathFlags = {
  from: Flags.string({ description: 'Source (the same as the positional FROM).', helpValue: 'FROM' }),
  to: Flags.string({ description: 'Destination (the same as the positional TO).', helpValue: 'TO' }),
};

/**
 * FROM and TO from the positional arguments and/or --from/--to. Positionals fill whatever the flags
 * left open, in order (`reach --from web db` is web → db); a value given both ways must agree.
 */
export function pathEnds(args: { from?: string; to?: string }, flags: { from?: string; to?: string }): { from: string; to: string } {
  const pos = [args.from, args.to].filter((v): v is string => v !== undefined);
  let from = flags.from;
  let to = flags.to;
  const twice = (what: 'FROM' | 'TO', flag: string, arg: string) =>
    new InputError(`${what} is given twice and differs: "${arg}" as an argument, "${flag}" as --${what.toLowerCase()}`, 'Give it once, as an argument or as the flag.');
  if (pos.length === 2) {
    if (from !== undefined && from !== pos[0]) throw twice('FROM', from, pos[0]!);
    if (to !== undefined && to !== pos[1]) throw twice('TO', to, pos[1]!);
    [from, to] = pos as [string, string];
  } else if (pos.length === 1) {
    if (from === undefined) from = pos[0];
    else if (to === undefined) to = pos[0];
    else if (from !== pos[0]) throw twice('FROM', from, pos[0]!);
  }
  if (from === undefined) throw new InputError('FROM is missing: give the source as the first argument (or --from)');
  if (to === undefined) throw new InputError('TO is missing: give the destination as the second argument (or --to)');
  return { from, to };
}

/** One value that may be given as a positional argument or as a flag (`snapshot show FILE` or `-s FILE`). */
export function argOrFlag(arg: string | undefined, flag: string | undefined, names: { arg: string; flag: string }): string {
  if (arg !== undefined && flag !== undefined && arg !== flag) {
    throw new InputError(`${names.arg} is given twice and differs: "${arg}" as an argument, "${flag}" as --${names.flag}`, 'Give it once, as an argument or as the flag.');
  }
  const v = arg ?? flag;
  if (v === undefined) throw new InputError(`${names.arg} is missing: give it as an argument or with --${names.flag}`);
  return v;
}

/** The units a duration may carry; a bare number is in the flag's own historical unit. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

export interface DurationOptions {
  /** The unit of a bare number (`--timeout 10` meant seconds, `--probe-timeout 2000` milliseconds). */
  bare: 's' | 'ms';
  /** Bounds, in milliseconds. */
  min: number;
  max: number;
}

function showMs(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * A duration: `2s`, `500ms`, `1m`, `1.5s`; a bare number is in `opts.bare` (back-compat) → milliseconds.
 * Anything else, or a value out of bounds, is an InputError naming the flag.
 */
export function parseDuration(input: string, flag: string, opts: DurationOptions): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/i.exec(input.trim());
  if (!m) throw new InputError(`--${flag} "${input}" is not a duration: use e.g. 2s, 500ms or 1m`);
  const unit = (m[2]?.toLowerCase() ?? opts.bare) as keyof typeof UNIT_MS;
  const ms = Math.round(Number(m[1]) * UNIT_MS[unit]);
  if (!(ms >= opts.min && ms <= opts.max)) throw new InputError(`--${flag} ${input.trim()} is out of range (${showMs(opts.min)} to ${showMs(opts.max)})`);
  return ms;
}

/**
 * A duration flag named `name` (its value in milliseconds). `opts.default` is in milliseconds;
 * help shows it as a duration (`10s`) and says what a bare number means.
 */
export function durationFlag(name: string, opts: DurationOptions & { description: string; default: number }) {
  const bareWord = opts.bare === 's' ? 'seconds' : 'milliseconds';
  const flag = Flags.custom<number>({
    helpValue: 'DURATION',
    description: `${opts.description} A duration: 2s, 500ms, 1m (a bare number is ${bareWord}).`,
    parse: async (input) => parseDuration(input, name, opts),
  });
  return (extra: { helpGroup?: string; aliases?: string[] } = {}) => flag({ default: opts.default, defaultHelp: async () => showMs(opts.default), ...extra });
}
