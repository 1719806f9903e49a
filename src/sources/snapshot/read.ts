// Reads a snapshot file: plain JSON or gzip (by magic bytes, not by name), parsed and validated
// against the published schema. Every failure is one line naming the file and, for content
// errors, the place inside it — exit 2 for bad content, exit 3 when the file cannot be read.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { InputError, SourceError } from '../../model/errors.js';
import { SNAPSHOT_SCHEMA, type Snapshot } from '../../model/types.js';
import { validateSnapshotDocument } from './validate.js';

const GZIP_MAGIC = [0x1f, 0x8b];

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lastNewline = -1;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastNewline = i;
    }
  }
  return { line, column: position - lastNewline };
}

/** Node's JSON.parse messages carry "at position N" (Node 20); turn that into line:column. */
function jsonErrorMessage(err: Error, text: string): string {
  const m = /at position (\d+)/.exec(err.message);
  const reason = err.message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
  if (m) {
    const { line, column } = lineAndColumn(text, Number(m[1]));
    return `${reason} at line ${line}, column ${column}`;
  }
  if (/Unexpected end of JSON input/.test(err.message)) return 'unexpected end of input (the file is truncated)';
  return reason;
}

export function decodeSnapshotBytes(bytes: Buffer, file: string): string {
  if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      return gunzipSync(bytes).toString('utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'truncated gzip data' : 'corrupt gzip data';
      throw new InputError(`${file}: ${why} (${(err as Error).message})`, 'Capture the snapshot again; the file is damaged.');
    }
  }
  return bytes.toString('utf8');
}

/** Parses and validates snapshot text. `file` names the source in error messages. */
export async function parseSnapshot(text: string, file: string): Promise<Snapshot> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${jsonErrorMessage(err as Error, text)}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InputError(`${file}: not a netsleuth snapshot (the document is not a JSON object)`);
  }
  const schema = (doc as { schema?: unknown }).schema;
  if (schema === undefined) {
    throw new InputError(`${file}: not a netsleuth snapshot (no "schema" field at $.schema)`);
  }
  if (schema !== SNAPSHOT_SCHEMA) {
    throw new InputError(
      `${file}: unsupported snapshot schema ${JSON.stringify(schema)} at $.schema (this netsleuth reads ${SNAPSHOT_SCHEMA})`,
      typeof schema === 'string' && schema.startsWith('netsleuth.snapshot/') ? 'Use the netsleuth version that wrote it, or capture again.' : undefined,
    );
  }
  const issue = await validateSnapshotDocument(doc);
  if (issue) throw new InputError(`${file}: invalid snapshot at ${issue.path}: ${issue.message}`);
  return doc as Snapshot;
}

export async function readSnapshot(file: string): Promise<Snapshot> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such snapshot file`);
    if (code === 'EISDIR') throw new InputError(`${file}: is a directory, not a snapshot file`);
    if (code === 'EACCES' || code === 'EPERM') throw new SourceError(`${file}: permission denied reading the snapshot`);
    throw new SourceError(`${file}: cannot read the snapshot (${(err as Error).message})`);
  }
  return parseSnapshot(decodeSnapshotBytes(bytes, file), file);
}
