import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, SourceError, exitCodeOf } from '../../../src/cli/errors.js';
import { parseSnapshot, readSnapshot } from '../../../src/sources/snapshot/read.js';
import { writeSnapshotAtomic } from '../../../src/sources/snapshot/write.js';
import { pointerToPath } from '../../../src/sources/snapshot/validate.js';
import { container, network, snapshot } from '../../support/build-snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'netsleuth-snap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const app = network('app', '10.214.0.0/24');
const sample = snapshot({ networks: [app], containers: [container('web', app, '10.214.0.2'), container('db', app, '10.214.0.3')] });

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('snapshot round trip', () => {
  it('writes and reads back plain JSON identically', async () => {
    const file = join(dir, 'a.json');
    await writeSnapshotAtomic(sample, file);
    expect(await readSnapshot(file)).toEqual(sample);
    expect(readFileSync(file, 'utf8').startsWith('{')).toBe(true);
  });

  it('writes gzip when the name ends in .gz and reads it back by magic bytes', async () => {
    const file = join(dir, 'a.json.gz');
    await writeSnapshotAtomic(sample, file);
    const bytes = readFileSync(file);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(await readSnapshot(file)).toEqual(sample);
  });

  it('leaves no temporary files behind and replaces an existing file whole', async () => {
    const file = join(dir, 'replace.json');
    writeFileSync(file, 'old');
    await writeSnapshotAtomic(sample, file);
    expect((await readSnapshot(file)).state.containers).toHaveLength(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('fails with a one-line SourceError and leaves the target untouched when the directory is missing', async () => {
    const err = await errorOf(writeSnapshotAtomic(sample, join(dir, 'nope', 'x.json')));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/cannot write snapshot .*x\.json: the directory does not exist/);
  });
});

describe('bad snapshot input gives one line naming the file and the place', () => {
  it('missing file → exit 2', async () => {
    const err = await errorOf(readSnapshot(join(dir, 'absent.json')));
    expect(err).toBeInstanceOf(InputError);
    expect(exitCodeOf(err as InputError)).toBe(2);
    expect(err.message).toContain('absent.json: no such snapshot file');
  });

  it('not JSON → line and column', async () => {
    const err = await errorOf(parseSnapshot('{\n  "schema": "netsleuth.snapshot/v1",\n  oops\n}', 'bad.json'));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/^bad\.json: not valid JSON: .*line 3, column 3/);
  });

  it('truncated JSON', async () => {
    const text = JSON.stringify(sample);
    const err = await errorOf(parseSnapshot(text.slice(0, text.length / 2), 'cut.json'));
    expect(err.message).toMatch(/^cut\.json: not valid JSON/);
  });

  it('truncated gzip', async () => {
    const file = join(dir, 'cut.json.gz');
    const gz = gzipSync(JSON.stringify(sample));
    writeFileSync(file, gz.subarray(0, gz.length - 20));
    const err = await errorOf(readSnapshot(file));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/cut\.json\.gz: (truncated|corrupt) gzip data/);
  });

  it('wrong schema version', async () => {
    const err = await errorOf(parseSnapshot(JSON.stringify({ ...sample, schema: 'netsleuth.snapshot/v9' }), 'v9.json'));
    expect(err.message).toBe('v9.json: unsupported snapshot schema "netsleuth.snapshot/v9" at $.schema (this netsleuth reads netsleuth.snapshot/v1)');
  });

  it('not a snapshot at all', async () => {
    expect((await errorOf(parseSnapshot('[1,2]', 'arr.json'))).message).toContain('not a JSON object');
    expect((await errorOf(parseSnapshot('{"a":1}', 'obj.json'))).message).toContain('no "schema" field');
  });

  it('schema-invalid document names the JSON path', async () => {
    const doc = structuredClone(sample) as unknown as { state: { containers: Array<Record<string, unknown>> } };
    doc.state.containers[1]!.running = 'yes';
    const err = await errorOf(parseSnapshot(JSON.stringify(doc), 'inv.json'));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe('inv.json: invalid snapshot at $.state.containers[1].running: must be boolean');
  });

  it('missing required field names the field', async () => {
    const doc = structuredClone(sample) as unknown as { state: { networks: Array<Record<string, unknown>> } };
    delete doc.state.networks[0]!.driver;
    const err = await errorOf(parseSnapshot(JSON.stringify(doc), 'req.json'));
    expect(err.message).toBe('req.json: invalid snapshot at $.state.networks[0].driver: is required but missing');
  });

  it('an unavailable section must say why', async () => {
    const doc = structuredClone(sample) as unknown as { state: { hosts: Array<{ routes: Record<string, unknown> }> } };
    delete doc.state.hosts[0]!.routes.reason;
    const err = await errorOf(parseSnapshot(JSON.stringify(doc), 'why.json'));
    expect(err.message).toBe('why.json: invalid snapshot at $.state.hosts[0].routes.reason: is required but missing');
  });

  it('an unreadable file is a source error (exit 3), not bad input', async () => {
    if (process.getuid?.() === 0) return; // root reads anything; the mapping is covered by the code path below
    const file = join(dir, 'locked.json');
    writeFileSync(file, '{}');
    chmodSync(file, 0);
    const err = await errorOf(readSnapshot(file));
    expect(err).toBeInstanceOf(SourceError);
  });

  it('a directory is bad input', async () => {
    const err = await errorOf(readSnapshot(dir));
    expect(err).toBeInstanceOf(InputError);
    expect(existsSync(dir)).toBe(true);
  });
});

describe('pointerToPath', () => {
  it('renders JSON pointers as JSON paths', () => {
    expect(pointerToPath('')).toBe('$');
    expect(pointerToPath('/state/containers/3/name')).toBe('$.state.containers[3].name');
    expect(pointerToPath('/state/containers/0/labels/com.docker~1x')).toBe('$.state.containers[0].labels["com.docker/x"]');
  });
});
