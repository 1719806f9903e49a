// Shared helpers for the host parsers: defensive field access on iproute2 JSON and a dedicated
// error type, so the collector can tell "the output was malformed" from a bug.

export class HostParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostParseError';
  }
}

export type Json = Record<string, unknown>;

export const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
export const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/**
 * Parses iproute2 `-j` output, which must be a JSON array of objects. Empty output counts as an
 * empty list: old iproute2 releases print nothing at all when there is nothing to list.
 */
export function parseJsonArray(text: string, what: string): Json[] {
  if (text.trim() === '') return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new HostParseError(`${what}: output is not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) throw new HostParseError(`${what}: expected a JSON array, got ${typeof doc}`);
  return doc.map((item, i) => {
    if (!isObj(item)) throw new HostParseError(`${what}: entry ${i} is not an object`);
    return item;
  });
}
