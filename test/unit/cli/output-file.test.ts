// The one atomic writer (src/sources/output-file.ts): planted symlinks, devices and FIFOs,
// descriptor paths, kept modes, long names, and nothing left behind on error or signal.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync,
  readlinkSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../../src/cli/errors.js';
import { pendingTempFiles, realOutputFs, writeFileAtomic, type OutputFs, type OutputHandle } from '../../../src/sources/output-file.js';
import { ROOT, assertBuilt, runCli, EXAMPLE } from '../../support/cli.js';

const base = mkdtempSync(join(tmpdir(), 'ns-out-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let n = 0;
function freshDir(): string {
  const d = join(base, `d${n++}`);
  mkdirSync(d);
  return d;
}
const temps = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.startsWith('.ns-'));

/** The real file system, with some handle operations replaced (to inject ENOSPC and the like). */
function faultyFs(over: (h: OutputHandle) => Partial<OutputHandle>): OutputFs {
  return {
    ...realOutputFs,
    open: async (p, flags, mode) => {
      const h = await realOutputFs.open(p, flags, mode);
      const plain: OutputHandle = {
        write: (buf, off, len, pos) => h.write(buf, off, len, pos),
        sync: () => h.sync(),
        chmod: (m) => h.chmod(m),
        chown: (u, g) => h.chown(u, g),
        stat: () => h.stat(),
        close: () => h.close(),
      };
      return { ...plain, ...over(h) };
    },
  };
}
const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('regular files', () => {
  it('creates a new file with the default mode (0666 minus the umask) and no temp left', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'reference'), '');
    const r = await writeFileAtomic(join(dir, 'out.txt'), 'hello\n');
    expect(r).toEqual({ path: join(dir, 'out.txt'), how: 'created', bytes: 6 });
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('hello\n');
    expect(statSync(join(dir, 'out.txt')).mode & 0o7777).toBe(statSync(join(dir, 'reference')).mode & 0o7777);
    expect(temps(dir)).toEqual([]);
  });

  it('replaces an existing file whole and keeps its mode (0600 stays 0600, 0640 stays 0640)', async () => {
    const dir = freshDir();
    for (const mode of [0o600, 0o640, 0o604]) {
      const f = join(dir, `m${mode.toString(8)}`);
      writeFileSync(f, 'old contents that are longer than the new ones');
      chmodSync(f, mode);
      const r = await writeFileAtomic(f, Buffer.from('new'));
      expect(r.how).toBe('replaced');
      expect(readFileSync(f, 'utf8')).toBe('new');
      expect(statSync(f).mode & 0o7777).toBe(mode);
    }
    expect(temps(dir)).toEqual([]);
  });

  it('never carries setuid/setgid over to the new contents', async () => {
    const dir = freshDir();
    const f = join(dir, 'suid');
    writeFileSync(f, 'x');
    chmodSync(f, 0o4755);
    await writeFileAtomic(f, 'y');
    expect(statSync(f).mode & 0o7777).toBe(0o755);
  });

  it.skipIf(!isRoot)('as root, keeps the owner of a replaced file', async () => {
    const dir = freshDir();
    const f = join(dir, 'owned');
    writeFileSync(f, 'x');
    chownSync(f, 4321, 4322);
    await writeFileAtomic(f, 'y');
    expect([statSync(f).uid, statSync(f).gid]).toEqual([4321, 4322]);
  });

  it('a valid 250- and 255-character name works: the temp name does not grow with it', async () => {
    const dir = freshDir();
    for (const len of [250, 255]) {
      const name = 'n'.repeat(len - 4) + '.svg';
      await writeFileAtomic(join(dir, name), 'ok');
      expect(readFileSync(join(dir, name), 'utf8')).toBe('ok');
    }
    expect(temps(dir)).toEqual([]);
    // One character more is the file system's limit, reported as such.
    const err = await errorOf(writeFileAtomic(join(dir, 'n'.repeat(256)), 'no'));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/the name is too long$/);
    expect(temps(dir)).toEqual([]);
  });

  it('streams an async iterable chunk by chunk', async () => {
    const dir = freshDir();
    async function* chunks(): AsyncGenerator<string | Buffer> {
      for (let i = 0; i < 2000; i++) yield i % 2 ? `line ${i}\n` : Buffer.from(`line ${i}\n`);
    }
    const f = join(dir, 'big.txt');
    const r = await writeFileAtomic(f, chunks());
    const text = readFileSync(f, 'utf8');
    expect(text.split('\n').length).toBe(2001);
    expect(r.bytes).toBe(Buffer.byteLength(text));
    expect(temps(dir)).toEqual([]);
  });

  it('an error from the data source passes through unchanged, and no temp is left', async () => {
    const dir = freshDir();
    const f = join(dir, 'keep.txt');
    writeFileSync(f, 'old');
    const boom = new Error('renderer bug');
    async function* failing(): AsyncGenerator<string> {
      yield 'partial';
      throw boom;
    }
    expect(await errorOf(writeFileAtomic(f, failing()))).toBe(boom);
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(temps(dir)).toEqual([]);
  });
});

describe('planted symlinks', () => {
  it('a symlink at the temp name is never opened: the victim is untouched and another name is used', async () => {
    const dir = freshDir();
    const victim = join(freshDir(), 'victim');
    writeFileSync(victim, 'precious');
    const planted = ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb', 'cccccccccccccccc'];
    for (const s of planted) symlinkSync(victim, join(dir, `.ns-${s}.tmp`));
    // Dangling links at predictable names too: O_EXCL must not create the file they point at.
    symlinkSync(join(dir, 'created-through-link'), join(dir, '.ns-dddddddddddddddd.tmp'));
    const names = [...planted, 'dddddddddddddddd', 'eeeeeeeeeeeeeeee'];
    let i = 0;
    await writeFileAtomic(join(dir, 'out.svg'), 'mine', { tempSuffix: () => names[i++]! });
    expect(i).toBe(5);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(existsSync(join(dir, 'created-through-link'))).toBe(false);
    expect(readFileSync(join(dir, 'out.svg'), 'utf8')).toBe('mine');
    for (const s of planted) expect(lstatSync(join(dir, `.ns-${s}.tmp`)).isSymbolicLink()).toBe(true);
  });

  it('gives up with one line when every temp name is taken', async () => {
    const dir = freshDir();
    symlinkSync('/nonexistent', join(dir, '.ns-same.tmp'));
    const err = await errorOf(writeFileAtomic(join(dir, 'out'), 'x', { tempSuffix: () => 'same' }));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toMatch(/^cannot write .*out: no free temporary name beside it/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('names an older netsleuth or another tool might have used are ignored (plenty planted)', async () => {
    const dir = freshDir();
    const victim = join(freshDir(), 'victim');
    writeFileSync(victim, 'precious');
    for (let pid = process.pid - 100; pid < process.pid + 300; pid++) {
      symlinkSync(victim, join(dir, `topo.svg.tmp-${pid}`));
      symlinkSync(victim, join(dir, `.topo.svg.${pid}.tmp`));
    }
    symlinkSync(victim, join(dir, 'topo.svg.tmp'));
    symlinkSync(victim, join(dir, '.topo.svg.tmp'));
    await writeFileAtomic(join(dir, 'topo.svg'), '<svg/>');
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readFileSync(join(dir, 'topo.svg'), 'utf8')).toBe('<svg/>');
  });

  it('a target that is a symlink to a regular file: the link is replaced, the file it named is untouched', async () => {
    const dir = freshDir();
    const victim = join(freshDir(), 'shadow');
    writeFileSync(victim, 'root:x:0:0');
    chmodSync(victim, 0o600);
    const target = join(dir, 'report.svg');
    symlinkSync(victim, target);
    const r = await writeFileAtomic(target, '<svg/>');
    expect(r.how).toBe('created');
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0');
    expect(lstatSync(target).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('<svg/>');
  });

  it('a dangling symlink as the target: replaced, and the path it named is never created', async () => {
    const dir = freshDir();
    const elsewhere = join(freshDir(), 'would-be-created');
    symlinkSync(elsewhere, join(dir, 'out.dot'));
    await writeFileAtomic(join(dir, 'out.dot'), 'digraph {}');
    expect(existsSync(elsewhere)).toBe(false);
    expect(lstatSync(join(dir, 'out.dot')).isFile()).toBe(true);
  });

  it('a symlink loop as the target is replaced too', async () => {
    const dir = freshDir();
    symlinkSync(join(dir, 'b'), join(dir, 'a'));
    symlinkSync(join(dir, 'a'), join(dir, 'b'));
    await writeFileAtomic(join(dir, 'a'), 'x');
    expect(lstatSync(join(dir, 'a')).isFile()).toBe(true);
    expect(lstatSync(join(dir, 'b')).isSymbolicLink()).toBe(true);
  });
});

describe('targets that are not regular files are written directly, never replaced', () => {
  it('/dev/null stays a character device', async () => {
    const r = await writeFileAtomic('/dev/null', 'discarded');
    expect(r.how).toBe('direct');
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(readdirSync('/dev').filter((f) => f.startsWith('.ns-'))).toEqual([]);
  });

  it('a symlink to /dev/null: written through, the link stays a link', async () => {
    const dir = freshDir();
    symlinkSync('/dev/null', join(dir, 'sink'));
    expect((await writeFileAtomic(join(dir, 'sink'), 'x')).how).toBe('direct');
    expect(readlinkSync(join(dir, 'sink'))).toBe('/dev/null');
    expect(temps(dir)).toEqual([]);
  });

  it('a FIFO with a concurrent reader gets the whole stream and stays a FIFO', async () => {
    const dir = freshDir();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    async function* chunks(): AsyncGenerator<string> {
      for (let i = 0; i < 500; i++) yield `${i} ${'x'.repeat(200)}\n`;
    }
    // The reader opens the FIFO concurrently (opening blocks until the writer arrives, and back).
    const reading = readFile(fifo, 'utf8');
    const r = await writeFileAtomic(fifo, chunks());
    const got = await reading;
    expect(r.how).toBe('direct');
    expect(got.split('\n').length).toBe(501);
    expect(Buffer.byteLength(got)).toBe(r.bytes);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(temps(dir)).toEqual([]);
  });

  it('a descriptor path (/proc/self/fd/N, or a link to one as /dev/stdout is) writes into the descriptor, appending', async () => {
    const dir = freshDir();
    const file = join(dir, 'redirected.txt');
    writeFileSync(file, 'before\n');
    const fd = openSync(file, 'a');
    try {
      expect((await writeFileAtomic(`/proc/self/fd/${fd}`, 'one\n')).how).toBe('direct');
      symlinkSync(`/proc/self/fd/${fd}`, join(dir, 'stdout-like'));
      expect((await writeFileAtomic(join(dir, 'stdout-like'), 'two\n')).how).toBe('direct');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('before\none\ntwo\n');
    expect(lstatSync(join(dir, 'stdout-like')).isSymbolicLink()).toBe(true);
    expect(temps(dir)).toEqual([]);
  });

  it('a descriptor that is a socket (a spawned child\'s stdio) is written through the descriptor itself', async () => {
    assertBuilt();
    const mod = join(ROOT, 'dist', 'src', 'sources', 'output-file.js');
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(mod)});
      const a = await writeFileAtomic('/dev/fd/3', 'via fd 3\\n');
      process.stdout.write('first\\n');
      const b = await writeFileAtomic('/dev/stdout', 'via /dev/stdout\\n');
      process.stdout.write('last\\n');
      process.stderr.write(a.how + ' ' + b.how);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let fd3 = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d) => (fd3 += d));
    const code = await new Promise((res) => child.on('close', res));
    expect(code).toBe(0);
    expect(err).toBe('direct direct');
    expect(fd3).toBe('via fd 3\n');
    // In order with the process's own writes to stdout.
    expect(out).toBe('first\nvia /dev/stdout\nlast\n');
  });
});

describe('errors leave nothing behind', () => {
  it('EISDIR: a directory (or a link to one) as the target', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'sub'), join(dir, 'sublink'));
    for (const t of ['sub', 'sublink']) {
      const err = await errorOf(writeFileAtomic(join(dir, t), 'x', { what: 'graph' }));
      expect(err).toBeInstanceOf(SourceError);
      expect(err.message).toBe(`cannot write graph ${join(dir, t)}: it is a directory`);
    }
    expect(temps(dir)).toEqual([]);
    expect(readdirSync(join(dir, 'sub'))).toEqual([]);
  });

  it('EISDIR at rename time (the target became a directory while writing) removes the temp', async () => {
    const dir = freshDir();
    const target = join(dir, 'racy');
    const fs: OutputFs = {
      ...realOutputFs,
      rename: async (from, to) => {
        mkdirSync(to);
        return realOutputFs.rename(from, to);
      },
    };
    const err = await errorOf(writeFileAtomic(target, 'x', { fs }));
    expect(err.message).toMatch(/it is a directory$/);
    expect(temps(dir)).toEqual([]);
  });

  it('a missing directory, a file where a directory should be', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'file'), '');
    expect((await errorOf(writeFileAtomic(join(dir, 'nope', 'x'), 'x'))).message).toMatch(/the directory does not exist$/);
    expect((await errorOf(writeFileAtomic(join(dir, 'file', 'x'), 'x'))).message).toMatch(/a component of the path is not a directory$/);
    expect(temps(dir)).toEqual([]);
  });

  it('ENOSPC while writing (injected): the old file is intact, no temp left, one line', async () => {
    const dir = freshDir();
    const target = join(dir, 'snap.json');
    writeFileSync(target, 'old snapshot');
    let written = 0;
    const fs = faultyFs((h) => ({
      write: async (buf, off, len, pos) => {
        if (written + len > 4096) throw enospc();
        written += len;
        return h.write(buf, off, len, pos);
      },
    }));
    async function* chunks(): AsyncGenerator<string> {
      for (let i = 0; i < 100; i++) yield 'y'.repeat(1000);
    }
    const err = await errorOf(writeFileAtomic(target, chunks(), { fs, what: 'snapshot' }));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.message).toBe(`cannot write snapshot ${target}: no space left on the device`);
    expect(readFileSync(target, 'utf8')).toBe('old snapshot');
    expect(temps(dir)).toEqual([]);
    expect(pendingTempFiles()).toEqual([]);
  });

  it('ENOSPC at fsync (injected) also removes the temp', async () => {
    const dir = freshDir();
    const fs = faultyFs(() => ({
      sync: async () => {
        throw enospc();
      },
    }));
    const err = await errorOf(writeFileAtomic(join(dir, 'x'), 'data', { fs }));
    expect(err.message).toMatch(/no space left on the device$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.skipIf(!isRoot)('ENOSPC for real on a 64 KiB tmpfs (root only; skipped when mounting is not allowed)', async (ctx) => {
    const mnt = freshDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip();
      return;
    }
    try {
      writeFileSync(join(mnt, 'keep'), 'old');
      const err = await errorOf(writeFileAtomic(join(mnt, 'keep'), Buffer.alloc(512 * 1024, 'z')));
      expect(err.message).toMatch(/no space left on the device$/);
      expect(readdirSync(mnt)).toEqual(['keep']);
      expect(readFileSync(join(mnt, 'keep'), 'utf8')).toBe('old');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('refuses a block device', async (ctx) => {
    const blk = ['/dev/loop0', '/dev/sda', '/dev/vda', '/dev/nvme0n1'].find((p) => existsSync(p) && lstatSync(p).isBlockDevice());
    if (!blk) return ctx.skip();
    const err = await errorOf(writeFileAtomic(blk, 'x'));
    expect(err.message).toMatch(/it is a block device/);
  });
});

describe('signals', () => {
  it('installs its handlers only while a temp file exists', async () => {
    const before = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s));
    let during: number[] = [];
    async function* chunks(): AsyncGenerator<string> {
      yield 'a';
      during = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s));
      yield 'b';
    }
    await writeFileAtomic(join(freshDir(), 'x'), chunks());
    expect(during).toEqual(before.map((c) => c + 1));
    expect(['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s))).toEqual(before);
  });

  // A child node process streams slowly into a file; once its temp file exists it gets the signal.
  async function interrupted(signal: NodeJS.Signals, preexisting: boolean): Promise<void> {
    assertBuilt();
    const dir = freshDir();
    const target = join(dir, 'slow.json');
    if (preexisting) writeFileSync(target, 'old');
    const mod = join(ROOT, 'dist', 'src', 'sources', 'output-file.js');
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(mod)});
      async function* slow() { for (;;) { yield 'x'.repeat(1024); await new Promise((r) => setTimeout(r, 10)); } }
      await writeFileAtomic(${JSON.stringify(target)}, slow());`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, sig) => res({ code, signal: sig })));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const tmp = temps(dir);
      if (tmp.length && statSync(join(dir, tmp[0]!)).size > 4096) break;
      if (Date.now() > deadline) throw new Error(`no temp file appeared: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill(signal);
    const end = await done;
    expect(end).toEqual({ code: null, signal });
    expect(temps(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual(preexisting ? ['slow.json'] : []);
    if (preexisting) expect(readFileSync(target, 'utf8')).toBe('old');
  }

  it('SIGTERM during a slow streamed write: the temp is removed and the process dies of SIGTERM', () => interrupted('SIGTERM', false));
  it('SIGINT during a slow streamed write over an existing file: old file intact, no temp', () => interrupted('SIGINT', true));
});

describe('through the CLI (graph -o, built CLI)', () => {
  it('a planted symlink at the -o target: the victim is untouched', async () => {
    const dir = freshDir();
    const victim = join(freshDir(), 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, join(dir, 'topo.dot'));
    const r = await runCli(['graph', '-s', EXAMPLE, '-o', join(dir, 'topo.dot')]);
    expect(r.code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readFileSync(join(dir, 'topo.dot'), 'utf8')).toMatch(/^digraph/);
    expect(temps(dir)).toEqual([]);
  });

  it('-o /dev/stdout writes into the pipe; -o /dev/null stays a device', async () => {
    const [out, nul] = await Promise.all([
      runCli(['graph', '-s', EXAMPLE, '-o', '/dev/stdout']),
      runCli(['graph', '-s', EXAMPLE, '-f', 'mermaid', '-o', '/dev/null']),
    ]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^digraph/);
    expect(out.stderr).toMatch(/^Wrote \/dev\/stdout: /);
    expect(nul.code).toBe(0);
    expect(nul.stdout).toBe('');
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('-o onto a directory: exit 3, one line, no temp', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'sub'));
    const r = await runCli(['graph', '-s', EXAMPLE, '-o', join(dir, 'sub')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`netsleuth: cannot write ${join(dir, 'sub')}: it is a directory\n`);
    expect(temps(dir)).toEqual([]);
  });
});
