import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarFormatError, readTar } from '../../../src/sources/docker/tar.js';

// Builds one tar header block; fields as in POSIX ustar, checksum computed like real writers do.
function header(o: { name: string; size: number; type?: string; linkName?: string; prefix?: string; magic?: 'ustar' | 'gnu' }): Buffer {
  const h = Buffer.alloc(512);
  h.write(o.name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${o.size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(o.type ?? '0', 156, 'latin1');
  if (o.linkName) h.write(o.linkName, 157, 100, 'utf8');
  if (o.magic === 'gnu') h.write('ustar  \0', 257, 'latin1');
  else h.write('ustar\x0000', 257, 'latin1');
  if (o.prefix) h.write(o.prefix, 345, 155, 'utf8');
  h.write('        ', 148, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function entry(o: Omit<Parameters<typeof header>[0], 'size'> & { data?: Buffer | string }): Buffer {
  const data = Buffer.from(o.data ?? '');
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header({ ...o, size: data.length }), data, pad]);
}

const END = Buffer.alloc(1024);
const tar = (...parts: Buffer[]): Buffer => Buffer.concat([...parts, END]);

function expectTarError(buf: Buffer, pattern: RegExp): void {
  expect(() => readTar(buf)).toThrow(TarFormatError);
  expect(() => readTar(buf)).toThrow(pattern);
}

describe('readTar on hand-built archives', () => {
  it('reads a single regular file', () => {
    const [e, ...rest] = readTar(tar(entry({ name: 'resolv.conf', data: 'nameserver 127.0.0.11\n' })));
    expect(rest).toHaveLength(0);
    expect(e).toMatchObject({ name: 'resolv.conf', type: 'file', size: 22, mode: 0o644 });
    expect(e!.data.toString()).toBe('nameserver 127.0.0.11\n');
  });

  it('handles sizes at and across block boundaries', () => {
    for (const n of [0, 1, 511, 512, 513, 1024, 5000]) {
      const data = Buffer.alloc(n, 0x61);
      const entries = readTar(tar(entry({ name: 'f', data }), entry({ name: 'g', data: 'after' })));
      expect(entries.map((e) => e.size)).toEqual([n, 5]);
      expect(entries[1]!.data.toString()).toBe('after');
    }
  });

  it('reads directories and symlinks with their targets', () => {
    const entries = readTar(tar(entry({ name: 'etc/', type: '5' }), entry({ name: 'etc/localtime', type: '2', linkName: '/usr/share/zoneinfo/UTC' })));
    expect(entries.map((e) => [e.type, e.name, e.linkName])).toEqual([
      ['directory', 'etc/', ''],
      ['symlink', 'etc/localtime', '/usr/share/zoneinfo/UTC'],
    ]);
  });

  it('joins the ustar prefix field', () => {
    const [e] = readTar(tar(entry({ name: 'file.txt', prefix: 'a/b/c', data: 'x' })));
    expect(e!.name).toBe('a/b/c/file.txt');
  });

  it('applies a GNU long name (L) to the next entry', () => {
    const long = `${'d/'.repeat(80)}name.conf`;
    const entries = readTar(tar(entry({ name: '././@LongLink', type: 'L', magic: 'gnu', data: `${long}\0` }), entry({ name: long.slice(0, 99), magic: 'gnu', data: 'v' })));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.name).toBe(long);
  });

  it('applies PAX path and size records', () => {
    const rec = (k: string, v: string): string => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
      return `${len}${body}`;
    };
    const pax = rec('path', 'very/long/path/hosts') + rec('size', '3');
    const entries = readTar(tar(entry({ name: 'PaxHeaders/hosts', type: 'x', data: pax }), entry({ name: 'hosts', data: 'abc' })));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ name: 'very/long/path/hosts', size: 3 });
  });

  it('accepts an archive without end blocks that stops at a block boundary', () => {
    expect(readTar(entry({ name: 'f', data: 'x' }))).toHaveLength(1);
    expect(readTar(Buffer.alloc(0))).toEqual([]);
  });

  it('accepts a GNU base-256 size field', () => {
    const h = header({ name: 'big', size: 0 });
    h.fill(0, 124, 136);
    h[124] = 0x80;
    h[135] = 5;
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const [e] = readTar(Buffer.concat([h, Buffer.from('hello'), Buffer.alloc(507), END]));
    expect(e!.data.toString()).toBe('hello');
  });
});

describe('readTar rejects malformed archives', () => {
  it('a bad checksum', () => {
    const buf = tar(entry({ name: 'f', data: 'x' }));
    buf[0] = 0x67;
    expectTarError(buf, /bad header checksum at byte 0/);
  });

  it('a truncated header', () => {
    expectTarError(Buffer.from('not a tar at all'), /truncated header at byte 0/);
  });

  it('truncated data', () => {
    const full = entry({ name: 'f', data: Buffer.alloc(1000, 1) });
    expectTarError(full.subarray(0, 700), /truncated data at byte 512: entry needs 1000 bytes, 188 remain/);
  });

  it('a non-octal size', () => {
    const h = header({ name: 'f', size: 0 });
    h.write('zzzzzzzzzzz\0', 124, 'latin1');
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expectTarError(Buffer.concat([h, END]), /invalid size field "zzzzzzzzzzz"/);
  });

  it('a malformed PAX record', () => {
    expectTarError(tar(entry({ name: 'p', type: 'x', data: '99 path=x\n' }), entry({ name: 'f', data: 'x' })), /malformed PAX record/);
  });

  it('an extended header with no entry after it', () => {
    expectTarError(tar(entry({ name: '././@LongLink', type: 'L', magic: 'gnu', data: 'name\0' })), /extended header with no entry/);
  });

  it('random bytes never escape as anything but TarFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        try {
          readTar(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(TarFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('mutated valid archives fail cleanly or parse', () => {
    const base = tar(entry({ name: 'etc/hosts', data: '127.0.0.1 localhost\n' }), entry({ name: 'x', type: '2', linkName: 'y' }));
    fc.assert(
      fc.property(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
        const buf = Buffer.from(base);
        buf[pos] = byte;
        try {
          const entries = readTar(buf);
          for (const e of entries) expect(e.data.length).toBe(e.size);
        } catch (err) {
          expect(err).toBeInstanceOf(TarFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

// Archives written by GNU tar in each format, as a check against a real writer.
describe.skipIf(!hasTar())('readTar on archives written by tar(1)', () => {
  let dir: string;
  const long = `${'sub/'.repeat(30)}file-with-a-long-name.conf`;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netsleuth-tar-'));
    mkdirSync(join(dir, 'src', long, '..'), { recursive: true });
    writeFileSync(join(dir, 'src', 'resolv.conf'), 'nameserver 10.0.0.2\nsearch example\n');
    writeFileSync(join(dir, 'src', long), 'long\n');
    symlinkSync('resolv.conf', join(dir, 'src', 'link'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['ustar', 'gnu', 'pax'])('%s format', (format) => {
    const names = format === 'ustar' ? ['resolv.conf', 'link'] : ['resolv.conf', 'link', long];
    const buf = execFileSync('tar', [`--format=${format}`, '-cf', '-', '-C', join(dir, 'src'), ...names], { timeout: 10_000 });
    const entries = readTar(buf);
    expect(entries.find((e) => e.name === 'resolv.conf')?.data.toString()).toBe('nameserver 10.0.0.2\nsearch example\n');
    expect(entries.find((e) => e.name === 'link')).toMatchObject({ type: 'symlink', linkName: 'resolv.conf' });
    if (format !== 'ustar') expect(entries.find((e) => e.name === long)?.data.toString()).toBe('long\n');
  });
});

function hasTar(): boolean {
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
