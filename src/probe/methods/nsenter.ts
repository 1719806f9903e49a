// The nsenter method: netsleuth's own probe agent (src/probe/agent.ts), run with this Node binary
// inside the source's network namespace via `nsenter -t PID -n` (src/probe/nsenter.ts), or
// directly for the host source. Needs root on the daemon's own host; works for images with no
// tools at all.

import { AgentRunError, hostAgentBlocker, nsenterBlocker, runAgent } from '../nsenter.js';
import type { AgentResult } from '../types.js';
import type { MethodContext, MethodDriver } from './common.js';

export function nsenterDriver(ctx: MethodContext): MethodDriver {
  return {
    method: 'nsenter',
    async prepare(source) {
      // The host source is netsleuth's own namespace on the daemon's host: the agent runs there
      // directly (PID 1's namespace may be unreadable, e.g. under a sandbox).
      const c = source.container;
      const blocker = c
        ? nsenterBlocker({ endpoint: ctx.endpoint, pid: c.pid, running: c.running, name: c.name }, { ...ctx.env, agentPath: ctx.agentPath })
        : hostAgentBlocker(ctx.endpoint, { ...ctx.env, agentPath: ctx.agentPath });
      if (blocker) return { blocked: blocker };
      const pid = c ? c.pid! : null;
      const { pingCommand } = await import('../agent-net.js');
      const hasPing = pingCommand() !== null;
      return {
        unsupported: (kind) => (kind === 'icmp' && !hasPing ? 'no ping on this host (iputils-ping or busybox) to run in the namespace' : null),
        async run(targets, opts) {
          const request = { targets, timeoutMs: opts.timeoutMs, concurrency: opts.concurrency, budgetMs: Math.max(1, opts.budgetMs - 1_500), insecure: ctx.insecure === true };
          const res = (await runAgent(pid, 'batch', request, opts.budgetMs, { agentPath: ctx.agentPath, signal: opts.signal })) as { ok?: boolean; results?: AgentResult[]; error?: { message?: string } };
          if (!res.ok || !Array.isArray(res.results)) throw new AgentRunError(`the probe agent failed: ${res.error?.message ?? 'no results'}`, '');
          return res.results;
        },
      };
    },
  };
}
