// The sidecar method: a short-lived container from the probe image sharing the source's network
// namespace (`NetworkMode: container:<id>`, or `host`), created over the Engine API, running one
// shell script (src/probe/shell.ts) for the whole batch. Labelled netsleuth.probe=1 plus a
// per-run label, never pulled, removed on success, error and abort; works against remote daemons.

import { randomBytes } from 'node:crypto';
import type { Container } from '../../model/types.js';
import type { EngineClient, StreamFrame } from '../../sources/docker/engine.js';
import { AgentRunError } from '../nsenter.js';
import { buildShellScript, parseShellOutput, shellSupport, type ShellTools } from '../shell.js';
import type { AgentResult, AgentTarget } from '../types.js';
import { NO_ENGINE, oneLine, streamText, type BatchOptions, type MethodContext, type MethodDriver } from './common.js';

export const DEFAULT_PROBE_IMAGE = 'busybox:latest';
export const PROBE_LABEL = 'netsleuth.probe';
/** Per-run label on sidecars, so a run can sweep exactly what it created. */
export const PROBE_RUN_LABEL = 'netsleuth.probe.run';

export function sidecarDriver(ctx: MethodContext, runId: string): MethodDriver {
  const image = ctx.probeImage ?? DEFAULT_PROBE_IMAGE;
  let imageCheck: Promise<string | null> | null = null;
  return {
    method: 'sidecar',
    async prepare(source, signal) {
      const engine = ctx.engine;
      if (!engine) return { blocked: NO_ENGINE };
      const c = source.container;
      if (c && !c.running) return { blocked: `container ${c.name} is not running, so it has no network namespace to share` };
      imageCheck ??= engine
        .imageExists(image, { signal })
        .then((ok) => (ok ? null : `the probe image ${image} is not on the daemon (netsleuth never pulls; docker pull ${image}, or choose one with --probe-image)`));
      const blocked = await imageCheck;
      if (blocked) return { blocked };
      // A busybox-like image is assumed: sh, nc, ping, timeout, nslookup.
      const tools: ShellTools = { nc: true, bash: false, timeout: true, ping: true, nslookup: true };
      return {
        unsupported: (kind, target) => shellSupport(kind, tools, target),
        run: (targets, opts) => runSidecar(engine, image, c, targets, { ...opts, tools, labels: { ...ctx.sidecarLabels, [PROBE_LABEL]: '1', [PROBE_RUN_LABEL]: runId } }),
      };
    },
  };
}

async function runSidecar(
  engine: EngineClient,
  image: string,
  source: Container | null,
  targets: AgentTarget[],
  opts: BatchOptions & { tools: ShellTools; labels: Record<string, string> },
): Promise<AgentResult[]> {
  const script = buildShellScript(targets, { timeoutMs: opts.timeoutMs, concurrency: opts.concurrency, tools: opts.tools });
  const name = `netsleuth-probe-${randomBytes(5).toString('hex')}`;
  const labels = { ...opts.labels, ...(source ? { 'netsleuth.probe.source': source.id } : {}) };
  // No signal on create/start: an aborted request may still create the container, and then we
  // would not know its id to remove it. Abort is honoured around them and during the wait.
  let id: string | null = null;
  try {
    id = await engine.createContainer(
      {
        Image: image,
        Entrypoint: ['/bin/sh', '-c'],
        Cmd: [script],
        Labels: labels,
        HostConfig: { NetworkMode: source ? `container:${source.id}` : 'host', AutoRemove: false },
      },
      name,
    );
    if (opts.signal?.aborted) throw new AgentRunError('aborted', '');
    await engine.startContainer(id);
    if (opts.signal?.aborted) throw new AgentRunError('aborted', '');
    await engine.waitContainer(id, { timeoutMs: opts.budgetMs, signal: opts.signal });
    const frames = await engine.containerLogs(id, { signal: opts.signal });
    return parseShellOutput(targets, streamText(frames, 'stdout'), sidecarMissing(frames));
  } finally {
    if (id) await engine.removeContainer(id, { timeoutMs: 15_000 }).catch(() => undefined);
  }
}

function sidecarMissing(frames: StreamFrame[]): string {
  const err = oneLine(streamText(frames, 'stderr'));
  return `the sidecar printed no result for this probe${err ? `: ${err}` : ''}`;
}

/** Removes every sidecar this run labelled (a safety net after abort). */
export async function sweepSidecars(engine: EngineClient, runId?: string): Promise<number> {
  const label = runId ? `${PROBE_RUN_LABEL}=${runId}` : `${PROBE_LABEL}=1`;
  const list = await engine.get<Array<{ Id: string }>>('/containers/json', { all: 1, filters: JSON.stringify({ label: [label] }) });
  for (const c of list) await engine.removeContainer(c.Id, { timeoutMs: 15_000 }).catch(() => undefined);
  return list.length;
}
