// Runs the probe agent inside a container's network namespace with nsenter, as root on the
// daemon's own host. Bounded in time; says why when it cannot run.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { delimiter, join } from 'node:path';

export const AGENT_PATH = fileURLToPath(new URL('./agent.js', import.meta.url));

export interface ProbeTarget {
  /** The daemon URL the state came from (unix:///..., tcp://...). */
  endpoint: string;
  pid: number | null;
  running: boolean;
  name: string;
}

export function which(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  }
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (existsSync(join(dir, bin))) return join(dir, bin);
  return null;
}

/** Why the agent cannot run in the daemon host's own namespace from here (the `host` source), or null. */
export function hostAgentBlocker(endpoint: string, env: { platform?: string; agentPath?: string } = {}): string | null {
  const platform = env.platform ?? process.platform;
  if (platform !== 'linux') return `probing from the Docker host needs Linux (this is ${platform})`;
  if (!endpoint.startsWith('unix://')) return `the daemon is remote (${endpoint}); probing from its host needs netsleuth on that host`;
  const agent = env.agentPath ?? AGENT_PATH;
  if (!existsSync(agent)) return `the probe agent is missing at ${agent} (run npm run build)`;
  return null;
}

/** Why the agent cannot run in this container's namespace from here, or null when it can. */
export function nsenterBlocker(t: ProbeTarget, env: { uid?: number | null; platform?: string; agentPath?: string } = {}): string | null {
  const platform = env.platform ?? process.platform;
  const uid = env.uid !== undefined ? env.uid : typeof process.getuid === 'function' ? process.getuid() : null;
  if (platform !== 'linux') return `entering a network namespace needs Linux (this is ${platform})`;
  if (!t.endpoint.startsWith('unix://') && !t.endpoint.startsWith('npipe://')) {
    return `the daemon is remote (${t.endpoint}); the live check must run on the daemon's own host`;
  }
  if (!t.running || t.pid === null) return `container ${t.name} is not running, so it has no network namespace to enter`;
  if (uid !== 0) return 'entering a container\'s network namespace needs root (run with sudo)';
  if (!existsSync(`/proc/${t.pid}/ns/net`)) {
    return `PID ${t.pid} of ${t.name} is not visible here (is the daemon in another PID namespace or on another machine?)`;
  }
  if (!which('nsenter')) return 'nsenter is not installed (Debian: util-linux)';
  const agent = env.agentPath ?? AGENT_PATH;
  if (!existsSync(agent)) return `the probe agent is missing at ${agent} (run npm run build)`;
  return null;
}

export class AgentRunError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message);
    this.name = 'AgentRunError';
  }
}

export interface RunAgentOptions {
  /** The built agent.js to run (default: the one next to this module). */
  agentPath?: string;
  /** Kills the agent when aborted; the promise then rejects with AgentRunError. */
  signal?: AbortSignal;
}

/** Requests larger than this go through stdin: one argv string is capped at 128 KiB on Linux. */
const ARGV_LIMIT = 64 * 1024;

/**
 * Runs `agent.js SUB JSON` in PID's network namespace (pid null: in our own) and returns its parsed JSON line.
 * Throws AgentRunError when it times out, is aborted, cannot start, or prints no JSON.
 */
export function runAgent(pid: number | null, sub: string, request: unknown, timeoutMs: number, opts: RunAgentOptions = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new AgentRunError('the probe agent was not started: aborted', ''));
    const json = JSON.stringify(request);
    const viaStdin = json.length > ARGV_LIMIT;
    const agentArgv = [process.execPath, opts.agentPath ?? AGENT_PATH, sub, viaStdin ? '-' : json];
    // pid null: the agent runs in netsleuth's own namespace (the daemon host's, for the `host` source).
    const argv = pid === null ? agentArgv : [which('nsenter') ?? 'nsenter', '-t', String(pid), '-n', '--', ...agentArgv];
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [viaStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    if (viaStdin) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(json);
    }
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      if (stdout.length < 16 * 1024 * 1024) stdout += d;
    });
    child.stderr!.on('data', (d) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new AgentRunError(`could not start nsenter: ${e.message}`, stderr));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (aborted) return reject(new AgentRunError('the probe agent was stopped: aborted', stderr));
      if (timedOut) return reject(new AgentRunError(`the probe agent did not finish within ${timeoutMs} ms`, stderr));
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
        resolve(parsed);
      } catch {
        const why = stderr.trim().split('\n').pop() ?? '';
        reject(new AgentRunError(`the probe agent printed no result (exit ${code})${why ? `: ${why}` : ''}`, stderr));
      }
    });
  });
}
