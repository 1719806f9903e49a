// A ruleset that cannot be parsed: bad input, exit code 2, with the line it failed on.

import { InputError } from '../model/errors.js';

export class FirewallParseError extends InputError {
  /** 1-based line of the input where parsing failed. */
  readonly line: number;
  /** The message without the `line N:` prefix. */
  readonly detail: string;
  constructor(line: number, detail: string, hint?: string) {
    super(`line ${line}: ${detail}`, hint, { code: 'RULESET_UNPARSEABLE' });
    this.line = line;
    this.detail = detail;
  }
}
