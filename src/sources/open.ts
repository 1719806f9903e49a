// The one way every command gets its state: a snapshot file (`--snapshot`) or a live daemon
// captured on the spot. Live capture is imported lazily so snapshot-only runs never load undici.

import { InputError } from '../model/errors.js';
import type { Snapshot } from '../model/types.js';
import type { CaptureProgress } from './docker/capture.js';

export interface SourceFlags {
  snapshot?: string;
  host?: string;
  context?: string;
  /** Per-request timeout for live sources, in seconds. */
  timeout?: number;
}

export interface OpenedSource {
  origin: 'snapshot' | 'live';
  /** The file path or the daemon URL, for headers and messages. */
  label: string;
  snapshot: Snapshot;
}

export interface OpenOptions {
  toolVersion: string;
  onProgress?: (p: CaptureProgress) => void;
  hostEvidence?: 'auto' | 'never';
  concurrency?: number;
}

export async function openSource(flags: SourceFlags, opts: OpenOptions): Promise<OpenedSource> {
  // `--snapshot ""` (an unset variable) is a mistake, not "no snapshot": never fall back to live.
  if (flags.snapshot !== undefined) {
    if (flags.snapshot.trim() === '') throw new InputError('--snapshot is empty: give a snapshot file (is a shell variable unset?)', 'Leave --snapshot out entirely if you did not mean to give one.');
    const { readSnapshot } = await import('./snapshot/read.js');
    return { origin: 'snapshot', label: flags.snapshot, snapshot: await readSnapshot(flags.snapshot) };
  }
  const { resolveEndpoint } = await import('./docker/endpoint.js');
  const { captureSnapshot } = await import('./docker/capture.js');
  const endpoint = resolveEndpoint({ host: flags.host, context: flags.context, env: process.env });
  const snapshot = await captureSnapshot({
    endpoint,
    toolVersion: opts.toolVersion,
    timeoutMs: flags.timeout ? flags.timeout * 1000 : undefined,
    concurrency: opts.concurrency,
    hostEvidence: opts.hostEvidence,
    onProgress: opts.onProgress,
  });
  return { origin: 'live', label: endpoint.url, snapshot };
}
