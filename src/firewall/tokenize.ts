// Splits one iptables-save line into words the way iptables-restore does: whitespace separates,
// double or single quotes group (`--comment "a b"`), a backslash escapes a quote or backslash
// inside double quotes.

import { FirewallParseError } from './errors.js';

export interface Token {
  value: string;
  /** The word was (at least partly) quoted, so it is always a value, never an option. */
  quoted: boolean;
}

export function tokenizeLine(line: string, lineNo: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    let value = '';
    let quoted = false;
    while (i < n && line[i] !== ' ' && line[i] !== '\t') {
      const ch = line[i]!;
      if (ch === '"' || ch === "'") {
        quoted = true;
        const q = ch;
        i++;
        let closed = false;
        while (i < n) {
          const d = line[i]!;
          if (d === '\\' && q === '"' && i + 1 < n && (line[i + 1] === '"' || line[i + 1] === '\\')) {
            value += line[i + 1];
            i += 2;
            continue;
          }
          if (d === q) {
            closed = true;
            i++;
            break;
          }
          value += d;
          i++;
        }
        if (!closed) throw new FirewallParseError(lineNo, `unterminated ${q === '"' ? 'double' : 'single'} quote`);
      } else {
        value += ch;
        i++;
      }
    }
    out.push({ value, quoted });
  }
  return out;
}
