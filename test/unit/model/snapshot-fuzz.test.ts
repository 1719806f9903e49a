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

  it('random bytes with a gzip header give a gzip error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeSnapshotBytes(Buffer.from([0x1f, 0x8b, ...bytes]), 'fuzz.json.gz');
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
          expect((err as Error).message).toMatch(/^fuzz\.json\.gz: (truncated|corrupt) gzip data/);
        }
      }),
    );
  });
});
