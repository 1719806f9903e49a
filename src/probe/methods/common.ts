// What every probe method driver shares: the driver interface the runner schedules (prepare a
// method for one source, then run that source's batch), the part of the probe context a driver
// reads, and small helpers for Engine API output.

import type { Container } from '../../model/types.js';
import type { EngineClient, StreamFrame } from '../../sources/docker/engine.js';
import type { AgentResult, AgentTarget, ProbeKind, ProbeMethod } from '../types.js';

/** The part of the runner's ProbeContext that method drivers read. */
export interface MethodContext {
  /** The daemon URL (unix:///..., tcp://...): nsenter is only possible on the daemon's own host. */
  endpoint: string;
  /** Needed by sidecar and exec; without it those methods are skipped with a reason. */
  engine?: EngineClient | null;
  /** The sidecar image (never pulled). */
  probeImage?: string;
  /** Extra labels on sidecars (tests add netsleuth.test=1). */
  sidecarLabels?: Record<string, string>;
  /** http over TLS: skip certificate verification (off by default). */
  insecure?: boolean;
  /** The built agent.js (default: next to src/probe/nsenter.ts's build; tests running from src pass dist's). */
  agentPath?: string;
  /** For tests: the uid/platform nsenter's checks see. */
  env?: { uid?: number | null; platform?: string };
}

/** What the runner gives one batch. */
export interface BatchOptions {
  timeoutMs: number;
  concurrency: number;
  /** Time left for the whole batch. */
  budgetMs: number;
  signal?: AbortSignal;
}

/** A method made ready for one source. */
export interface PreparedMethod {
  /** Why this method cannot do a kind (or this target of it) for this source, or null when it can. */
  unsupported(kind: ProbeKind, target?: AgentTarget): string | null;
  /** Runs the batch; one result per target, in order. May throw (every probe then gets `error`). */
  run(targets: AgentTarget[], opts: BatchOptions): Promise<AgentResult[]>;
}

export interface MethodDriver {
  method: ProbeMethod;
  /** A PreparedMethod, or the reason the method cannot run for this source at all. */
  prepare(source: SourceInfo, signal?: AbortSignal): Promise<PreparedMethod | { blocked: string }>;
}

/** A probing namespace, resolved from the model. */
export interface SourceInfo {
  /** The namespace owner's name, or "host". */
  name: string;
  /** The container owning the namespace (its `container:` target when it shares one); null for the host. */
  container: Container | null;
}

export const NO_ENGINE = 'no Docker Engine API client was given';

/** One stream of an Engine API log/exec output, as text. */
export function streamText(frames: StreamFrame[], stream: 'stdout' | 'stderr'): string {
  return Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.data)).toString('utf8');
}

/** One line for a detail or reason: control characters and runs of space folded, at most 300 characters. */
export function oneLine(s: string): string {
  const flat = s.replace(/[\s\0-\x1f\x7f]+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}
