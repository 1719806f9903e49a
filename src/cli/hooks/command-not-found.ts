// oclif's command_not_found hook: `netsleuth reahc` → `netsleuth: no command "reahc" (did you
// mean "reach"?)`, exit 2, in the same one-line form as every other error (docs/cli.md). oclif
// joins every word before the first flag into one colon-separated id ("reahc:a:b"); only the
// words up to the first one that is no topic are the command the user meant, so only those are
// named, with spaces.
import type { Hook } from '@oclif/core';
import { EXIT } from '../errors.js';
import { wantsJson } from '../base.js';

/** The closest command for `words` among `ids` (colon-separated): what was typed, and suggestions. */
export async function commandSuggestion(words: readonly string[], ids: readonly string[]): Promise<{ typed: string; topic: string; near: string[] }> {
  const { suggest } = await import('../../model/view.js');
  const split = ids.map((id) => id.split(':'));
  // The longest prefix of the words that is a topic (a command id starts with it and goes on).
  let depth = 0;
  while (depth < words.length - 1 && split.some((s) => s.length > depth + 1 && s.slice(0, depth + 1).join(':') === words.slice(0, depth + 1).join(':'))) depth++;
  const prefix = words.slice(0, depth);
  const typed = words.slice(0, depth + 1).join(' ');
  const next = new Set(split.filter((s) => s.length > depth && s.slice(0, depth).join(':') === prefix.join(':')).map((s) => s[depth]!));
  const near = suggest(words[depth] ?? '', next, 3).map((w) => [...prefix, w].join(' '));
  return { typed, topic: prefix.join(' '), near };
}

const hook: Hook<'command_not_found'> = async function (opts) {
  const words = opts.id.split(':').filter(Boolean);
  const { typed, topic, near } = await commandSuggestion(words, opts.config.commandIDs);
  const { sanitize } = await import('../../report/sanitize.js');
  const message = `no command "${sanitize(typed)}"${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(' or ')}?)` : ''}`;
  const hint = `See: ${[opts.config.bin, topic].filter(Boolean).join(' ')} --help`;
  process.stderr.write(`netsleuth: ${message}\n  hint: ${hint}\n`);
  if (wantsJson(opts.argv ?? [])) process.stdout.write(JSON.stringify({ error: { exitCode: EXIT.badInput, message, hint } }, null, 2) + '\n');
  process.exitCode = EXIT.badInput;
};

export default hook;
