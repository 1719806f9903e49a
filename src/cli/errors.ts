// Exit codes for domain errors (src/model/errors.ts), documented in docs/cli.md: 0 success;
// 1 a gate failed; 2 bad usage or bad input; 3 the source (daemon, file system) could not be
// reached or read.
import type { ErrorKind, NetsleuthError } from '../model/errors.js';

export const EXIT = {
  ok: 0,
  gateFailed: 1,
  badInput: 2,
  sourceUnavailable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export { NetsleuthError, InputError, SourceError, GateFailure } from '../model/errors.js';
export type { ErrorKind } from '../model/errors.js';

const EXIT_OF_KIND: Record<ErrorKind, ExitCode> = { input: EXIT.badInput, source: EXIT.sourceUnavailable, gate: EXIT.gateFailed };

/** The exit status for a domain error: the one place kinds become exit codes. */
export function exitCodeOf(err: NetsleuthError): ExitCode {
  return EXIT_OF_KIND[err.kind];
}
