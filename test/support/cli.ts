// Runs the built CLI (bin/run.js → dist/) as a user would: a separate process, real exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'bin', 'run.js');
export const EXAMPLE = join(ROOT, 'docs', 'examples', 'example.snapshot.json');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'commands')) || !existsSync(join(ROOT, 'oclif.manifest.json'))) {
    throw new Error('the CLI is not built: run `npm run build` first (npm test does it)');
  }
}

export interface RunCliOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
  /** Called once the process has started (e.g. to signal it later). */
  onSpawn?: (pid: number) => void;
  /** Run as another uid/gid (root only), to test permission handling for real. */
  uid?: number;
  gid?: number;
}

export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: opts.uid,
      gid: opts.gid,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('spawn', () => opts.onSpawn?.(child.pid!));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** An error line from the CLI: exactly `netsleuth: ...` plus at most one `  hint: ...` line, no stack. */
export function expectOneLineError(r: CliResult): string {
  const lines = r.stderr.trimEnd().split('\n');
  if (!lines[0]!.startsWith('netsleuth: ')) throw new Error(`stderr does not start with "netsleuth: ": ${r.stderr}`);
  if (lines.length > 2 || (lines[1] !== undefined && !lines[1].startsWith('  hint: '))) {
    throw new Error(`more than one error line (+hint) on stderr:\n${r.stderr}`);
  }
  if (/\n\s+at .+:\d+:\d+/.test(r.stderr)) throw new Error(`stack trace on stderr:\n${r.stderr}`);
  return lines[0]!;
}
