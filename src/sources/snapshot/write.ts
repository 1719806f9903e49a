// Writes a snapshot file: JSON, gzip-compressed when the name ends in .gz, through the one atomic
// writer (src/sources/output-file.ts): a crash, an error or Ctrl-C leaves either the old file or
// the complete new one — never a half-written snapshot, never a temp file.

import { gzipSync } from 'node:zlib';
import type { Snapshot } from '../../model/types.js';
import { writeFileAtomic, type WriteFileResult } from '../output-file.js';

export function encodeSnapshot(snapshot: Snapshot, file: string): Buffer {
  const text = JSON.stringify(snapshot, null, 2) + '\n';
  return file.endsWith('.gz') ? gzipSync(text) : Buffer.from(text, 'utf8');
}

export async function writeSnapshotAtomic(snapshot: Snapshot, file: string): Promise<WriteFileResult> {
  return writeFileAtomic(file, encodeSnapshot(snapshot, file), { what: 'snapshot' });
}
