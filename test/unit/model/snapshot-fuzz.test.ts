import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../../../src/cli/errors.js';
import { decodeSnapshotBytes, parseSnapshot } from '../../../src/sources/snapshot/read.js';
import { container, network, snapshot } from '../../support/build-snapshot.js';

const app = network('app', '10.214.0.0/24');
const valid = JSON.stringify(snapshot({ networks: [app], containers: [container('web', app, '10.214.0.2')] }));

async function outcome(text: string): Promise<'ok' | 'input-error'> {
  try {
    await parseSnapshot(text, 'fuzz.json');
    return 'ok';
  } catch (err) {
    if (err instanceof InputError && !err.message.includes('\n') && err.message.startsWith('fuzz.json: ')) return 'input-error';
    throw err;
  }
}

describe('snapshot parser fuzzing', () => {
  it('arbitrary text gives a one-line InputError, never another exception', async () => {
    await fc.assert(fc.asyncProperty(fc.string(), async (s) => { await outcome(s); }), { numRuns: 300 });
  });

  it('truncations and byte flips of a valid snapshot give a one-line InputError or parse', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(valid.length), fc.nat(valid.length), fc.string({ minLength: 1, maxLength: 1 }), async (cut, at, ch) => {
        await outcome(valid.slice(0, cut));
        await outcome(valid.slice(0, at) + ch + valid.slice(at + 1));
      }),
      { numRuns: 300 },
    );
  });

  it('structurally mutated documents (a value replaced by another JSON value) never crash', async () => {
    const doc = JSON.parse(valid);
    const paths: Array<Array<string | number>> = [];
    const walk = (v: unknown, p: Array<string | number>) => {
      paths.push(p);
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, Array.isArray(v) ? Number(k) : k]);
    };
    walk(doc, []);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.jsonValue(), async (path, value) => {
        const copy = structuredClone(doc);
        let target = copy;
        for (const seg of path.slice(0, -1)) target = target[seg];
        target[path[path.length - 1]!] = value;
        await outcome(JSON.stringify(copy));
      }),
      { numRuns: 300 },
    );
  });

  // decodeSnapshotBytes either returns text or throws a one-line gzip InputError.
  const expectGzipError = (err: unknown) => {
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^fuzz\.json\.gz: (truncated|corrupt) gzip data \(/);
    expect((err as Error).message).not.toContain('\n');
  };

  it('damaged gzip of a valid snapshot decodes to that very snapshot or gives a one-line gzip InputError', async () => {
    const gz = gzipSync(valid);
    const known = await parseSnapshot(valid, 'fuzz.json.gz');
    const seen = { decoded: 0, rejected: 0 };
    // Damage past the two magic bytes (without them the bytes are not read as gzip at all):
    // truncation, one byte flipped (header fields such as mtime and OS are not checked, the
    // deflate data is, by CRC-32 and length), or bytes appended after the member.
    const damaged = fc.oneof(
      fc.integer({ min: 2, max: gz.length - 1 }).map((cut) => gz.subarray(0, cut)),
      fc.tuple(fc.integer({ min: 2, max: gz.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const b = Buffer.from(gz);
        b[at] = b[at]! ^ x;
        return b;
      }),
      fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => Buffer.concat([gz, tail])),
    );
    await fc.assert(
      fc.asyncProperty(damaged, async (bytes) => {
        let text: string;
        try {
          text = decodeSnapshotBytes(bytes, 'fuzz.json.gz');
        } catch (err) {
          expectGzipError(err);
          seen.rejected++;
          return;
        }
        seen.decoded++;
        expect(text).toBe(valid);
        expect(await parseSnapshot(text, 'fuzz.json.gz')).toEqual(known);
      }),
      { numRuns: 300 },
    );
    // Both branches ran: the property is not vacuous on either side.
    expect(seen.decoded).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(0);
  });

  it('random bytes with a gzip header give a gzip error, or text the snapshot parser then takes or rejects in one line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        let text: string;
        try {
          text = decodeSnapshotBytes(Buffer.from([0x1f, 0x8b, ...bytes]), 'fuzz.json.gz');
        } catch (err) {
          expectGzipError(err);
          return;
        }
        expect(typeof text).toBe('string');
        expect(['ok', 'input-error']).toContain(await outcome(text));
      }),
    );
    // Random bytes hardly ever decode, so the success branch is pinned once: a gzip member holding
    // an empty deflate block (CRC-32 0, length 0) decodes to "", which the parser rejects in one line.
    const empty = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(decodeSnapshotBytes(empty, 'fuzz.json.gz')).toBe('');
    expect(await outcome('')).toBe('input-error');
  });
});
