// Writes a snapshot atomically: the document goes to a temporary file in the target's directory,
// is flushed to disk, then renamed over the target. A crash, an error or Ctrl-C at any point
// leaves either the old file or the complete new one — never a half-written snapshot.

import { unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { SourceError } from '../../model/errors.js';
import type { Snapshot } from '../../model/types.js';

/** Temp files still being written, removed if the process is interrupted. */
const pending = new Set<string>();
let handlersInstalled = false;

function installInterruptCleanup(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const cleanup = (signal: NodeJS.Signals) => {
    for (const tmp of pending) {
      try {
        // Synchronous on purpose: the process is about to exit.
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    }
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', cleanup);
  process.once('SIGTERM', cleanup);
}

export function encodeSnapshot(snapshot: Snapshot, file: string): Buffer {
  const text = JSON.stringify(snapshot, null, 2) + '\n';
  return file.endsWith('.gz') ? gzipSync(text) : Buffer.from(text, 'utf8');
}

export async function writeSnapshotAtomic(snapshot: Snapshot, file: string): Promise<void> {
  const data = encodeSnapshot(snapshot, file);
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  installInterruptCleanup();
  pending.add(tmp);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'the directory does not exist' :
      code === 'EACCES' || code === 'EPERM' ? 'permission denied' :
      code === 'ENOSPC' ? 'no space left on the device' :
      code === 'EISDIR' ? 'it is a directory' :
      (err as Error).message;
    throw new SourceError(`cannot write snapshot ${file}: ${why}`);
  } finally {
    pending.delete(tmp);
  }
}
