// Domain errors: what went wrong, in the analysis's own terms, with a stable code. They carry no
// exit code: only src/cli maps an error's kind to the process's exit status (docs/cli.md).

/** input: the user's request or file is wrong; source: the state could not be read; gate: an expectation was not met. */
export type ErrorKind = 'input' | 'source' | 'gate';

export interface ErrorOptions {
  cause?: unknown;
  /** A stable code (e.g. SUBJECT_NOT_FOUND, RULESET_UNPARSEABLE); the kind's default otherwise. */
  code?: string;
}

const DEFAULT_CODE: Record<ErrorKind, string> = { input: 'BAD_INPUT', source: 'SOURCE_UNAVAILABLE', gate: 'GATE_FAILED' };

/** Base for every error reported as one line instead of a stack trace. */
export class NetsleuthError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  /** A short suggestion of what to try next, printed after the message. */
  readonly hint: string | undefined;
  constructor(message: string, kind: ErrorKind, hint?: string, options?: ErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.kind = kind;
    this.code = options?.code ?? DEFAULT_CODE[kind];
    this.hint = hint;
  }
}

/** Bad usage or bad input: an unknown container name, a malformed ruleset or snapshot. */
export class InputError extends NetsleuthError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, 'input', hint, options);
  }
}

/** The source could not be reached or read: daemon down, permission denied, timeout. */
export class SourceError extends NetsleuthError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super(message, 'source', hint, options);
  }
}

/** A gate (an --expect, a --fail-on threshold, a policy) was not met. */
export class GateFailure extends NetsleuthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'gate', undefined, options);
  }
}
