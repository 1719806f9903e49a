// The exec method: Engine API exec in the source container, running the shell probe script
// (src/probe/shell.ts) with the container's own tools (nc or bash's /dev/tcp, ping, nslookup),
// found first with `command -v`. An exec cannot be killed over the API: the script bounds itself.

import type { EngineClient } from '../../sources/docker/engine.js';
import { TOOL_PROBE_SCRIPT, buildShellScript, parseShellOutput, parseTools, shellSupport } from '../shell.js';
import { NO_ENGINE, oneLine, streamText, type MethodContext, type MethodDriver } from './common.js';

export function execDriver(ctx: MethodContext): MethodDriver {
  return {
    method: 'exec',
    async prepare(source, signal) {
      const engine = ctx.engine;
      if (!engine) return { blocked: NO_ENGINE };
      const c = source.container;
      if (!c) return { blocked: 'the host has no container to exec in' };
      if (!c.running) return { blocked: `container ${c.name} is not running` };
      const r = await execIn(engine, c.id, ['sh', '-c', TOOL_PROBE_SCRIPT], { timeoutMs: 15_000, signal });
      if (!r.stdout.includes('tools-done')) {
        const why = /executable file not found|no such file/i.test(r.output) ? 'it has no shell (sh)' : `its shell failed (exit ${r.exitCode ?? '?'}${r.output ? `: ${oneLine(r.output).slice(0, 120)}` : ''})`;
        return { blocked: `cannot use the tools of container ${c.name}: ${why}` };
      }
      const tools = parseTools(r.stdout);
      if (!tools.nc && !tools.bash && !tools.ping && !tools.nslookup) return { blocked: `container ${c.name} has no probe tools (none of nc, bash for /dev/tcp, ping, nslookup)` };
      return {
        unsupported: (kind, target) => {
          const why = shellSupport(kind, tools, target);
          return why ? `container ${c.name}: ${why}` : null;
        },
        async run(targets, opts) {
          const script = buildShellScript(targets, { timeoutMs: opts.timeoutMs, concurrency: opts.concurrency, tools });
          const res = await execIn(engine, c.id, ['sh', '-c', script], { timeoutMs: opts.budgetMs, signal: opts.signal });
          return parseShellOutput(targets, res.stdout, `the exec printed no result for this probe${res.stderr ? `: ${oneLine(res.stderr).slice(0, 160)}` : ''}`);
        },
      };
    },
  };
}

async function execIn(engine: EngineClient, id: string, cmd: string[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<{ stdout: string; stderr: string; output: string; exitCode: number | null }> {
  const execId = await engine.execCreate(id, cmd, { signal: opts.signal });
  const frames = await engine.execStart(execId, { timeoutMs: opts.timeoutMs, signal: opts.signal });
  const info = await engine.execInspect(execId, { signal: opts.signal }).catch(() => ({ ExitCode: null, Running: false }));
  const stdout = streamText(frames, 'stdout');
  const stderr = streamText(frames, 'stderr');
  return { stdout, stderr, output: stdout + stderr, exitCode: info.ExitCode };
}
