// Errors that end a command with a documented exit code and one line of explanation.
// Exit codes (DESIGN.md, CLI contract): 0 success; 1 a gate failed; 2 bad usage or bad input;
// 3 the source (daemon, file system) could not be reached or read.

export const EXIT = {
  ok: 0,
  gateFailed: 1,
  badInput: 2,
  sourceUnavailable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Base for every error the CLI reports as a single line instead of a stack trace. */
export class NetsleuthError extends Error {
  readonly exitCode: ExitCode;
  /** A short suggestion of what to try next, printed after the message. */
  readonly hint: string | undefined;
  constructor(message: string, exitCode: ExitCode, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Bad usage or bad input: an unknown container name, a malformed or invalid snapshot. Exit 2. */
export class InputError extends NetsleuthError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, EXIT.badInput, hint, options);
  }
}

/** The source could not be reached or read: daemon down, permission denied, timeout. Exit 3. */
export class SourceError extends NetsleuthError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, EXIT.sourceUnavailable, hint, options);
  }
}

/** A gate (an --expect, a --fail-on threshold, a policy) was not met. Exit 1. */
export class GateFailure extends NetsleuthError {
  constructor(message: string) {
    super(message, EXIT.gateFailed);
  }
}
