// Several commands run by one shell, their outputs told apart by marker lines.
//
// The script runs each command and then prints, on stdout and on stderr,
//   \n@@netsleuth:<nonce>@@ <key> <exit status>\n
// The leading newline makes the marker start a line even when the command's output did not end
// with one; the splitter removes exactly that newline again, so each part is the command's output
// byte for byte. The nonce is random per run, so nothing a container controls (interface aliases,
// cgroup paths in `ss -e`) can forge a marker.

import { randomBytes } from 'node:crypto';

export interface ScriptCommand {
  key: string;
  /** argv; every word must be a plain shell word (letters, digits, `-`, `_`, `.`, `/`, `:`). */
  argv: readonly string[];
}

export interface MarkedPart {
  /** What the command printed (on the stream that was split). */
  text: string;
  /** The command's exit status, as the shell reported it. */
  status: number;
}

export interface SplitOutput {
  /** Parts by key, only for commands whose marker was seen (i.e. that finished). */
  parts: Map<string, MarkedPart>;
  /** Text after the last marker (before the first one when there is none): e.g. nsenter's own error. */
  rest: string;
}

const WORD_RE = /^[A-Za-z0-9_./:-]+$/;
const KEY_RE = /^[A-Za-z0-9_.-]+$/;

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

export function markerPrefix(nonce: string): string {
  return `@@netsleuth:${nonce}@@`;
}

/** A POSIX sh script running `commands` one after another, each followed by its marker lines. */
export function markedScript(commands: readonly ScriptCommand[], nonce: string): string {
  if (!/^[0-9a-f]+$/.test(nonce)) throw new Error(`invalid nonce ${JSON.stringify(nonce)}`);
  const lines = [
    `M='${markerPrefix(nonce)}'`,
    `m() { printf '\\n%s %s %d\\n' "$M" "$1" "$2"; printf '\\n%s %s %d\\n' "$M" "$1" "$2" >&2; }`,
  ];
  for (const c of commands) {
    if (!KEY_RE.test(c.key)) throw new Error(`invalid key ${JSON.stringify(c.key)}`);
    for (const w of c.argv) if (!WORD_RE.test(w)) throw new Error(`not a plain shell word: ${JSON.stringify(w)}`);
    lines.push(`${c.argv.join(' ')}; m ${c.key} $?`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Splits one stream of a marked script's output. Never throws. A key seen twice keeps its first
 * part (a later marker for it cannot come from the script, which prints each key once).
 */
export function splitMarked(text: string, nonce: string): SplitOutput {
  const parts = new Map<string, MarkedPart>();
  const prefix = `\n${markerPrefix(nonce)} `;
  let pos = 0;
  let search = 0;
  for (;;) {
    const at = text.indexOf(prefix, search);
    if (at < 0) break;
    const lineStart = at + prefix.length;
    const nl = text.indexOf('\n', lineStart);
    const m = nl < 0 ? null : /^([A-Za-z0-9_.-]+) (\d{1,9})$/.exec(text.slice(lineStart, nl));
    if (!m) {
      // Not a complete marker line (e.g. output cut off by a timeout): keep looking after it.
      search = at + 1;
      continue;
    }
    if (!parts.has(m[1]!)) parts.set(m[1]!, { text: text.slice(pos, at), status: Number(m[2]) });
    pos = nl + 1;
    search = pos;
  }
  return { parts, rest: text.slice(pos) };
}
