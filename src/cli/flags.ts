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
  helpValue: 'N',
  parse: async (input) => parsePortNumber(input, '--port'),
});

/** `-o/--output FILE`: where a command writes its file (through src/sources/output-file.ts). */
export const outputFlag = Flags.custom<string>({
  char: 'o',
  helpValue: 'FILE',
  parse: nonEmpty('output', 'a file name, or "-" for stdout'),
});

/** `--fail-on error|warning|info`: the severity at which findings fail the run (exit 1). */
export function failOnFlag(opts: { default?: Severity } = {}) {
  // oclif prints a default itself; without one, say that nothing fails the run.
  const description = opts.default ? 'Exit 1 when a finding of this severity or worse exists.' : 'Exit 1 when a finding of this severity or worse exists (default: never).';
  return Flags.custom<Severity>({ description, options: [...SEVERITIES], ...(opts.default ? { default: opts.default } : {}) })();
}
