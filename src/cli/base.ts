// Base class for every netsleuth command: shared flags, one-line errors with documented exit
// codes (never a stack trace), and JSON/TTY output rules.

import { Command, Flags, Errors, type Interfaces } from '@oclif/core';

// oclif's own names for parse()'s generic bounds (not exported by @oclif/core).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ParsedValues = { [name: string]: any };
import { EXIT, GateFailure, NetsleuthError, exitCodeOf } from './errors.js';
import { atLeast, type Severity } from '../model/finding.js';
import { outputMode, type OutputMode } from './output.js';
import { termFor, type Term } from '../report/terminal.js';
import { envelope, NO_SOURCE, openedSource, type Envelope, type JsonSource, type Payload } from '../report/json.js';
import { durationFlag, nonEmpty } from './flags.js';
import type { OpenedSource, OpenOptions, SourceFlags } from '../sources/open.js';

export const jsonFlag = {
  json: Flags.boolean({ description: 'Print machine-readable JSON on stdout (nothing else is written there).', default: false }),
};

/** Where the state comes from: a snapshot file, or a live daemon. */
export const sourceFlags = {
  snapshot: Flags.string({
    char: 's',
    helpValue: 'FILE',
    description: 'Analyse a captured snapshot file (.json or .json.gz) instead of a live daemon.',
    helpGroup: 'SOURCE',
    // An empty value is a mistake (an unset variable), never "use the live daemon".
    parse: nonEmpty('snapshot', 'a snapshot file'),
  }),
  host: Flags.string({
    char: 'H',
    helpValue: 'URL',
    description: 'Docker daemon to use: unix:///path, tcp://host:port (TLS via DOCKER_TLS_VERIFY/DOCKER_CERT_PATH). Default: DOCKER_HOST, the current context, then unix:///var/run/docker.sock.',
    helpGroup: 'SOURCE',
    exclusive: ['snapshot'],
  }),
  context: Flags.string({
    helpValue: 'NAME',
    description: 'Docker CLI context to use (overrides DOCKER_CONTEXT).',
    helpGroup: 'SOURCE',
    exclusive: ['snapshot', 'host'],
  }),
  // In milliseconds. `--daemon-timeout` (dns's old name for it) stays accepted, unlisted.
  timeout: durationFlag('timeout', { description: 'How long to wait for each daemon request.', bare: 's', min: 100, max: 600_000, default: 10_000 })({
    helpGroup: 'SOURCE',
    aliases: ['daemon-timeout'],
  }),
};

/**
 * oclif rewrites the message of an error thrown by a flag's parse() into
 * "Parsing --NAME \n\t<message>\nSee more help with --help"; our own errors already name the flag.
 */
export function unwrapFlagParse(message: string): string {
  const m = /^Parsing --\S+ \n\t([\s\S]*)\nSee more help with --help$/.exec(message);
  return m ? m[1]! : message;
}

/** --json among the arguments (before a `--` that ends the flags). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** A flag name as typed (`--prot=5` → `--prot`). */
function flagWord(arg: string): string {
  return arg.replace(/=.*$/, '');
}

/**
 * "unknown flag --prot (did you mean --port?)" from oclif's NonExistentFlagsError (it carries the
 * flags as typed); the candidates are the command's flags, their aliases and --no- forms.
 */
export async function unknownFlagMessage(typed: readonly string[], flags: Record<string, { aliases?: string[]; allowNo?: boolean; type?: string; hidden?: boolean }>): Promise<string> {
  const { suggest } = await import('../model/view.js');
  const names: string[] = [];
  for (const [name, f] of Object.entries(flags)) {
    if (f.hidden) continue;
    names.push(name, ...(f.aliases ?? []));
    if (f.type === 'boolean' && f.allowNo) names.push(`no-${name}`);
  }
  const words = typed.map(flagWord);
  const parts = words.map((w) => {
    const long = /^--[^-]/.test(w) ? w.slice(2) : null;
    const near = long ? suggest(long, names, 2) : [];
    return near.length ? `${w} (did you mean ${near.map((n) => `--${n}`).join(' or ')}?)` : w;
  });
  return `unknown flag${words.length > 1 ? 's' : ''} ${parts.join(', ')}`;
}

export abstract class NetsleuthCommand extends Command {
  protected mode: OutputMode = outputMode(false);
  /** What the JSON envelope says the answer came from; set when a source is opened (or named). */
  private jsonSource: JsonSource | null = null;

  /** `-o/--output` as parsed: where emit() writes the report (undefined or "-": stdout). */
  protected outputTarget: string | undefined;

  /** Parses as oclif does, and remembers -o/--output for emit(). */
  protected override async parse<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv);
    const o = (out.flags as { output?: unknown }).output;
    this.outputTarget = typeof o === 'string' ? o : undefined;
    return out;
  }

  /**
   * The one way a report leaves the command: on stdout, or — with `-o FILE` — into FILE through
   * the atomic writer (src/sources/output-file.ts). `-o -` is stdout.
   */
  protected async emit(text: string): Promise<void> {
    const t = text.endsWith('\n') ? text : text + '\n';
    const target = this.outputTarget;
    if (target === undefined || target === '-') {
      process.stdout.write(t);
      return;
    }
    const { writeFileAtomic } = await import('../sources/output-file.js');
    await writeFileAtomic(target, t);
  }

  /** A JSON report through emit(). */
  protected emitJson(value: unknown): Promise<void> {
    return this.emit(JSON.stringify(value, null, 2));
  }

  protected setOutput(json: boolean): OutputMode {
    this.mode = outputMode(json);
    return this.mode;
  }

  /**
   * The state to analyse, from the source flags (--snapshot, else the live daemon per --host,
   * --context, --timeout). The source module is imported only now, so --help stays cheap.
   */
  protected async openSource(flags: SourceFlags, opts: Omit<OpenOptions, 'toolVersion'> = {}): Promise<OpenedSource> {
    const { openSource } = await import('../sources/open.js');
    // Until it is open, an error document still says which source was asked for.
    this.jsonSource = flags.snapshot !== undefined ? { kind: 'snapshot', label: flags.snapshot, capturedAt: null } : { kind: 'daemon', label: flags.host ?? null, capturedAt: null };
    // --timeout is parsed to milliseconds; the source takes seconds.
    const timeout = flags.timeout === undefined ? undefined : flags.timeout / 1000;
    const opened = await openSource({ snapshot: flags.snapshot, host: flags.host, context: flags.context, timeout }, { toolVersion: this.config.version, ...opts });
    this.jsonSource = openedSource(opened);
    return opened;
  }

  /** Name the source for commands that read their input themselves (a snapshot file, a ruleset). */
  protected useSource(source: JsonSource): void {
    this.jsonSource = source;
  }

  /** `snapshot show`, `firewall trace`: the command as typed, words separated by spaces. */
  protected get commandName(): string {
    return this.id?.replace(/:/g, ' ') ?? 'netsleuth';
  }

  /** The --json document: the one envelope (docs/cli.md "JSON output") around the command's fields. */
  protected document(payload: Payload): Envelope {
    return envelope(this.commandName, this.jsonSource ?? NO_SOURCE, payload);
  }

  /** The --json document, through emit() (stdout, or -o FILE). */
  protected printDocument(payload: Payload): Promise<void> {
    return this.emitJson(this.document(payload));
  }

  /**
   * The --fail-on gate, one rule for every command: findings at or above `failOn` fail the run
   * (exit 1). A table run reports it as the one-line error; a machine document (json, sarif, ...)
   * is already on stdout, so the gate is said on stderr only.
   */
  protected gateOnFindings(findings: readonly { severity: Severity; code: string }[], failOn: Severity | null | undefined, format: string): void {
    if (!failOn) return;
    const hits = findings.filter((f) => atLeast(f.severity, failOn));
    if (!hits.length) return;
    const msg = `${hits.length} finding(s) at or above ${failOn} (first: ${hits[0]!.code})`;
    if (format === 'table') throw new GateFailure(msg);
    process.stderr.write(`netsleuth: ${msg}\n`);
    process.exitCode = EXIT.gateFailed;
  }

  /** The terminal a human report is drawn for: width (COLUMNS, the TTY, else 80), colour, detail. */
  protected term(opts: { verbose?: boolean } = {}): Term {
    return termFor({ json: this.mode.json, verbose: opts.verbose });
  }

  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  protected print(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    // `this.exit()` and help/version end the command through oclif's own errors: let them pass.
    if (err instanceof Errors.ExitError) throw err;
    // A flag-parsing failure leaves oclif thinking parse() was never called, and in a source
    // checkout it then warns about that; the one-line error below is all the user should see.
    (this as unknown as { parsed: boolean }).parsed = true;
    let code: number;
    let message: string;
    let hint: string | undefined;
    if (err instanceof NetsleuthError) {
      code = exitCodeOf(err);
      message = unwrapFlagParse(err.message);
      hint = err.hint;
    } else if (err instanceof Errors.CLIError || err.oclif) {
      // Flag and argument parsing errors from oclif: bad usage.
      code = EXIT.badInput;
      const unknown = (err as { flags?: unknown }).flags;
      message = Array.isArray(unknown) && /^Nonexistent flag/.test(err.message)
        ? await unknownFlagMessage(unknown as string[], this.ctor.flags ?? {})
        : err.message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
      hint = `See: ${this.config.bin} ${this.id?.replace(/:/g, ' ') ?? ''} --help`.trimEnd();
    } else {
      // A bug in netsleuth. Still one line by default; NETSLEUTH_DEBUG=1 shows the stack.
      code = EXIT.sourceUnavailable;
      message = `internal error: ${err.message}`;
      hint = 'This is a netsleuth bug; rerun with NETSLEUTH_DEBUG=1 for details and report it.';
      if (process.env.NETSLEUTH_DEBUG) process.stderr.write(`${err.stack}\n`);
    }
    const oneLine = message.replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`netsleuth: ${oneLine}\n`);
    if (hint) process.stderr.write(`  hint: ${hint}\n`);
    // A flag that failed to parse (a bad --port, an empty --snapshot) ends the command before
    // run() has read --json: look at the arguments themselves then.
    const json = this.mode.json || wantsJson(this.argv);
    if (json) this.printJson(this.document({ error: { exitCode: code, message: oneLine, hint: hint ?? null } }));
    process.exitCode = code;
  }
}
