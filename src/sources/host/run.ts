// Runs a host command without a shell and reports failure as data, never as a throw: the
// collectors turn every failure into an `unavailable`/`partial` section with a precise reason.

import { execFile } from 'node:child_process';

export type CommandError = 'not-found' | 'timeout' | 'permission' | 'other';

export interface CommandResult {
  /** Exit status; null when the process never ran, timed out or died from a signal. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Set only when the command could not complete; a non-zero exit is not an `error`. */
  error?: CommandError;
}

export type CommandRunner = (
  file: string,
  args: string[],
  opts?: { timeoutMs?: number },
) => Promise<CommandResult>;

export const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_BUFFER = 64 * 1024 * 1024;

// ip, ss, iptables-save and nsenter live in sbin directories that a non-login or non-root PATH
// often lacks; without them a present binary would be reported as "not installed".
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function commandEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':');
  for (const d of SBIN_DIRS) if (!path.includes(d)) path.push(d);
  // LC_ALL=C: stable, parseable messages and number formats.
  return { ...process.env, PATH: path.join(':'), LC_ALL: 'C' };
}

/** The default runner: `child_process.execFile`, no shell, LC_ALL=C, 5 s timeout, 64 MiB buffer. */
export const runCommand: CommandRunner = (file, args, opts) =>
  new Promise((resolve) => {
    const timeout = opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      execFile(
        file,
        args,
        {
          timeout,
          maxBuffer: MAX_BUFFER,
          env: commandEnv(),
          encoding: 'utf8',
          // SIGKILL: a command wedged on a kernel lock may ignore SIGTERM, and the capture must end.
          killSignal: 'SIGKILL',
          windowsHide: true,
        },
        (err, stdout, stderr) => {
          const out = typeof stdout === 'string' ? stdout : '';
          const errText = typeof stderr === 'string' ? stderr : '';
          if (!err) {
            resolve({ exitCode: 0, stdout: out, stderr: errText });
            return;
          }
          const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
          if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
            resolve({ exitCode: null, stdout: out, stderr: `output exceeded ${MAX_BUFFER} bytes`, error: 'other' });
          } else if (err.killed) {
            // Node only kills the child itself on timeout (maxBuffer is handled above).
            resolve({ exitCode: null, stdout: out, stderr: errText, error: 'timeout' });
          } else if (typeof code === 'number') {
            resolve({ exitCode: code, stdout: out, stderr: errText });
          } else if (code === 'ENOENT') {
            resolve({ exitCode: null, stdout: '', stderr: `${file}: command not found`, error: 'not-found' });
          } else if (code === 'EACCES' || code === 'EPERM') {
            resolve({ exitCode: null, stdout: '', stderr: `${file}: permission denied`, error: 'permission' });
          } else if (err.signal) {
            resolve({ exitCode: null, stdout: out, stderr: errText || `killed by ${err.signal}`, error: 'other' });
          } else {
            resolve({ exitCode: null, stdout: out, stderr: errText || err.message, error: 'other' });
          }
        },
      );
    } catch (err) {
      // execFile throws synchronously only for invalid arguments (e.g. a NUL byte).
      resolve({ exitCode: null, stdout: '', stderr: (err as Error).message, error: 'other' });
    }
  });
