// The one writer for every file netsleuth writes (snapshots, graph -o, reports): docs/cli.md,
// "Files netsleuth writes". A regular file is replaced atomically: a temp file with a short random name beside
// the target, created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, so it never opens a planted
// symlink), written, fsynced, renamed over the target, and the directory fsynced. A reader sees
// the old file or the complete new one, never half of it; an error or Ctrl-C leaves no temp.
//
// What the target is decides how it is written (lstat first, stat only to see through a link):
//  - missing, or a regular file: replaced as above; a replaced file keeps its permission bits
//    (0600 stays 0600) and, when we may, its owner. New files get 0666 minus the umask.
//  - a file descriptor path (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/<pid|self>/fd/N, or a
//    symlink chain through one): written directly, appending, never replaced — whatever the
//    descriptor is (a pipe, a terminal, or the file a shell redirected stdout to).
//  - a character device (/dev/null, a tty), a FIFO, a socket, or a symlink to one: written
//    directly (the device or the FIFO stays what it is).
//  - a symlink to a regular file, or a dangling symlink: the LINK is replaced by a regular file,
//    and the file it pointed to is left untouched. This is what mv, `sed -i` and Docker's own
//    atomic writer do, and it is the safe choice: in a shared directory (/tmp) someone else can
//    plant `report.svg -> /etc/shadow` before root runs `-o /tmp/report.svg`; writing through the
//    link would overwrite the victim (resolving the link ourselves would even bypass the kernel's
//    fs.protected_symlinks check). A hard-linked target is likewise replaced, not written through.
//  - a directory (or a link to one): EISDIR. A block device: refused.
//
// Temp names are `.ns-<16 hex>.tmp` whatever the target is called, so a valid 250-character name
// still works (the temp name never exceeds NAME_MAX).

import { constants, unlinkSync, write as fsWrite, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { SourceError } from '../model/errors.js';

export type OutputData = string | Uint8Array | AsyncIterable<string | Uint8Array>;

/** The parts of a FileHandle the writer uses (tests inject failing ones). */
export interface OutputHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  chmod(mode: number): Promise<void>;
  chown(uid: number, gid: number): Promise<void>;
  stat(): Promise<Stats>;
  close(): Promise<void>;
}

/** The file-system operations the writer uses (tests inject failures such as ENOSPC). */
export interface OutputFs {
  lstat(path: string): Promise<Stats>;
  stat(path: string): Promise<Stats>;
  readlink(path: string): Promise<string>;
  open(path: string, flags: number, mode?: number): Promise<OutputHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const realOutputFs: OutputFs = {
  lstat: (p) => fsp.lstat(p),
  stat: (p) => fsp.stat(p),
  readlink: (p) => fsp.readlink(p),
  open: (p, flags, mode) => fsp.open(p, flags, mode),
  rename: (a, b) => fsp.rename(a, b),
  unlink: (p) => fsp.unlink(p),
};

export interface WriteFileAtomicOptions {
  /** Names the file in messages: `cannot write <what> <path>: …` (e.g. "snapshot"). */
  what?: string;
  /** Mode of a new file, before the umask. Default 0o666. A replaced regular file keeps its own. */
  mode?: number;
  fs?: OutputFs;
  /** The random part of temp names (tests use it to force collisions with planted files). */
  tempSuffix?: () => string;
}

export interface WriteFileResult {
  path: string;
  /** created/replaced: through a temp file and rename; direct: written into a device, FIFO or descriptor. */
  how: 'created' | 'replaced' | 'direct';
  bytes: number;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const O_NOCTTY = constants.O_NOCTTY ?? 0;
const TEMP_ATTEMPTS = 16;

// ---------------------------------------------------------------------------------------------
// Temp files pending on a signal. The handlers are installed only while a temp file exists, so
// they never change what Ctrl-C does the rest of the time.

interface Pending {
  path: string;
  interrupted: boolean;
}

const pending = new Map<string, Pending>();
const SIGNALS: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onSignal(signal: NodeJS.Signals): void {
  for (const p of pending.values()) {
    p.interrupted = true;
    try {
      // Synchronous on purpose: the process is about to end.
      unlinkSync(p.path);
    } catch {
      /* already gone */
    }
  }
  pending.clear();
  uninstall();
  // Re-raise with the default action, so the exit status is the conventional one (128 + signal)
  // — unless someone else handles this signal too: then ending the process is theirs to decide,
  // and the interrupted write fails instead of renaming.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (pending.size !== 1) return;
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
}

function track(path: string): Pending {
  const p = { path, interrupted: false };
  pending.set(path, p);
  install();
  return p;
}

function untrack(p: Pending): void {
  if (!pending.delete(p.path)) return;
  if (pending.size === 0) uninstall();
}

/** Temp files being written right now (for tests). */
export function pendingTempFiles(): string[] {
  return [...pending.keys()];
}

// ---------------------------------------------------------------------------------------------

class WriteStop extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function errnoOf(e: unknown): string | undefined {
  return e instanceof WriteStop ? e.code : (e as NodeJS.ErrnoException | null)?.code;
}

/** One short reason for a failed write. */
export function describeWriteError(e: unknown): string {
  switch (errnoOf(e)) {
    case 'ENOENT': return 'the directory does not exist';
    case 'ENOTDIR': return 'a component of the path is not a directory';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EFBIG': return 'the file is too large';
    case 'EISDIR': return 'it is a directory';
    case 'ENAMETOOLONG': return 'the name is too long';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'EPIPE': return 'the reader went away (broken pipe)';
    case 'ENXIO': return 'nothing can be written there (no reader, or a socket)';
    case 'EIO': return 'input/output error';
    default: return e instanceof Error ? e.message : String(e);
  }
}

/**
 * For a file-descriptor path (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N,
 * /proc/thread-self/fd/N, /proc/<pid>/fd/N): the descriptor when it is one of this process's
 * own, -1 for another process's; null for any other path.
 */
function descriptorOf(p: string): number | null {
  if (p === '/dev/stdout') return 1;
  if (p === '/dev/stderr') return 2;
  if (p === '/dev/stdin') return 0;
  let m = /^\/dev\/fd\/(\d+)$/.exec(p);
  if (m) return Number(m[1]);
  m = /^\/proc\/(self|thread-self|\d+)(?:\/task\/\d+)?\/fd\/(\d+)$/.exec(p);
  if (m) return m[1] === 'self' || m[1] === 'thread-self' || Number(m[1]) === process.pid ? Number(m[2]) : -1;
  return null;
}

type Target =
  | { kind: 'new' }
  | { kind: 'regular'; mode: number; uid: number; gid: number }
  /** descriptor: for a descriptor path, the descriptor (-1: another process's); null otherwise. */
  | { kind: 'direct'; follow: boolean; descriptor: number | null };

async function classify(fs: OutputFs, path: string): Promise<Target> {
  const own = descriptorOf(resolve(path));
  if (own !== null) return { kind: 'direct', follow: true, descriptor: own };
  let l: Stats;
  try {
    l = await fs.lstat(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return { kind: 'new' };
    throw e;
  }
  if (l.isSymbolicLink()) {
    // Walk the link chain lexically: a chain through a descriptor path is written directly.
    let cur = resolve(path);
    for (let hop = 0; hop < 40; hop++) {
      let st: Stats;
      try {
        st = await fs.lstat(cur);
      } catch {
        break;
      }
      if (!st.isSymbolicLink()) break;
      let next: string;
      try {
        next = resolve(dirname(cur), await fs.readlink(cur));
      } catch {
        break;
      }
      const fd = descriptorOf(next);
      if (fd !== null) return { kind: 'direct', follow: true, descriptor: fd };
      cur = next;
    }
    let s: Stats;
    try {
      s = await fs.stat(path);
    } catch (e) {
      const code = errnoOf(e);
      // Dangling (or looping) link: replace the link, never create the file it points at.
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return { kind: 'new' };
      throw e;
    }
    if (s.isFile()) return { kind: 'new' };
    if (s.isDirectory()) throw new WriteStop('EISDIR', 'it is a directory');
    if (s.isBlockDevice()) throw new WriteStop('EBLOCKDEV', 'it is a block device (refusing to write a report onto a disk)');
    return { kind: 'direct', follow: true, descriptor: null };
  }
  // The permission bits and the sticky bit are kept; setuid/setgid never carry over to new contents.
  if (l.isFile()) return { kind: 'regular', mode: l.mode & 0o1777, uid: l.uid, gid: l.gid };
  if (l.isDirectory()) throw new WriteStop('EISDIR', 'it is a directory');
  if (l.isBlockDevice()) throw new WriteStop('EBLOCKDEV', 'it is a block device (refusing to write a report onto a disk)');
  return { kind: 'direct', follow: false, descriptor: null };
}

/** Marks errors thrown by the caller's data source, so they pass through unchanged. */
class ProducerError extends Error {
  constructor(readonly inner: unknown) {
    super('producer');
  }
}

async function writeAll(handle: Pick<OutputHandle, 'write'>, data: OutputData, p: Pending | null): Promise<number> {
  let total = 0;
  const put = async (chunk: string | Uint8Array): Promise<void> => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let off = 0;
    while (off < buf.length) {
      if (p?.interrupted) throw new WriteStop('EINTR', 'interrupted');
      const { bytesWritten } = await handle.write(buf, off, buf.length - off, null);
      if (bytesWritten <= 0) throw new WriteStop('EIO', 'the write made no progress');
      off += bytesWritten;
    }
    total += buf.length;
  };
  if (typeof data === 'string' || data instanceof Uint8Array) {
    await put(data);
    return total;
  }
  const it = data[Symbol.asyncIterator]();
  for (;;) {
    let r: IteratorResult<string | Uint8Array>;
    try {
      r = await it.next();
    } catch (e) {
      throw new ProducerError(e);
    }
    if (r.done) break;
    try {
      await put(r.value);
    } catch (e) {
      // Let the producer release what it holds (a generator's finally blocks).
      await Promise.resolve(it.return?.()).catch(() => undefined);
      throw e;
    }
    if (p?.interrupted) throw new WriteStop('EINTR', 'interrupted');
  }
  return total;
}

async function syncDir(fs: OutputFs, dir: string): Promise<void> {
  // Makes the rename durable. Not every file system allows it (and not every OS): best effort.
  let h: OutputHandle | null = null;
  try {
    h = await fs.open(dir, constants.O_RDONLY | O_DIRECTORY);
    await h.sync();
  } catch {
    /* EINVAL, EISDIR, EPERM on some file systems: the data itself is already synced */
  } finally {
    await h?.close().catch(() => undefined);
  }
}

function newSuffix(): string {
  return randomBytes(8).toString('hex');
}

async function createTemp(fs: OutputFs, dir: string, mode: number, suffix: () => string): Promise<{ tmp: string; handle: OutputHandle; p: Pending }> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;
  let last: unknown;
  for (let i = 0; i < TEMP_ATTEMPTS; i++) {
    const tmp = join(dir, `.ns-${suffix()}.tmp`);
    try {
      const handle = await fs.open(tmp, flags, mode);
      // Registered in the same tick the open completes: no signal handler can run in between.
      return { tmp, handle, p: track(tmp) };
    } catch (e) {
      // EEXIST: something (perhaps a planted symlink) holds this name; O_EXCL refused to open it.
      if (errnoOf(e) !== 'EEXIST') throw e;
      last = e;
    }
  }
  throw new WriteStop('EEXIST', `no free temporary name beside it after ${TEMP_ATTEMPTS} tries (${(last as Error).message})`);
}

async function writeReplacing(fs: OutputFs, path: string, data: OutputData, target: Target, opts: WriteFileAtomicOptions): Promise<WriteFileResult> {
  const dir = dirname(path);
  const existing = target.kind === 'regular' ? target : null;
  // A replacement starts private and gets the old file's mode just before the rename, so a
  // 0600 file's new contents are never readable by others, not even while being written.
  const { tmp, handle, p } = await createTemp(fs, dir, existing ? 0o600 : (opts.mode ?? 0o666), opts.tempSuffix ?? newSuffix);
  let closed = false;
  try {
    const bytes = await writeAll(handle, data, p);
    if (existing) {
      await handle.chmod(existing.mode);
      const st = await handle.stat();
      if (st.uid !== existing.uid || st.gid !== existing.gid) await handle.chown(existing.uid, existing.gid).catch(() => undefined);
    }
    await handle.sync();
    closed = true;
    await handle.close();
    if (p.interrupted) throw new WriteStop('EINTR', 'interrupted');
    await fs.rename(tmp, path);
    untrack(p);
    await syncDir(fs, dir);
    return { path, how: existing ? 'replaced' : 'created', bytes };
  } catch (e) {
    if (!closed) await handle.close().catch(() => undefined);
    // After a signal the handler has already removed it (and the name may be someone else's now).
    if (!p.interrupted) await fs.unlink(tmp).catch(() => undefined);
    throw e;
  } finally {
    untrack(p);
  }
}

/** Writes into one of our own descriptors as it is (its offset, its O_APPEND), like a shell's dup. */
function descriptorHandle(fd: number): Pick<OutputHandle, 'write'> {
  if (fd === 1 || fd === 2) {
    // Through process.stdout/stderr, so the bytes stay in order with everything else printed there.
    const stream = fd === 1 ? process.stdout : process.stderr;
    return {
      write: (buf, off, len) =>
        new Promise((res, rej) => {
          const onError = (e: Error): void => rej(e);
          stream.once('error', onError);
          stream.write(buf.subarray(off, off + len), (e) => {
            // On an error the stream also emits 'error' right after this callback: the listener
            // stays to absorb it (else it would be an uncaught exception).
            if (e) return rej(e);
            stream.off('error', onError);
            res({ bytesWritten: len });
          });
        }),
    };
  }
  return {
    write: async (buf, off, len) => {
      for (;;) {
        try {
          return await new Promise<{ bytesWritten: number }>((res, rej) => fsWrite(fd, buf, off, len, null, (e, n) => (e ? rej(e) : res({ bytesWritten: n }))));
        } catch (e) {
          // A descriptor someone else set non-blocking (a pipe or socket): wait for room.
          if (errnoOf(e) !== 'EAGAIN') throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    },
  };
}

async function writeDirect(fs: OutputFs, path: string, data: OutputData, target: Extract<Target, { kind: 'direct' }>): Promise<WriteFileResult | 'retry'> {
  const own = target.descriptor !== null && target.descriptor >= 0 ? target.descriptor : null;
  if (own === 1 || own === 2) return { path, how: 'direct', bytes: await writeAll(descriptorHandle(own), data, null) };
  // No O_CREAT: a device, FIFO or descriptor that vanished is an error, never a new file. No
  // O_TRUNC: appending is right for a descriptor (a shell's `>>` stays an append), meaningless
  // for a device or FIFO. Opening a FIFO waits for a reader, as `cat > fifo` does.
  const flags = constants.O_WRONLY | constants.O_APPEND | O_NOCTTY | (target.follow ? 0 : O_NOFOLLOW);
  let handle: OutputHandle;
  try {
    handle = await fs.open(path, flags);
  } catch (e) {
    // A socket cannot be opened through /proc/self/fd (ENXIO); our own descriptor can be written.
    if (own !== null && errnoOf(e) === 'ENXIO') return { path, how: 'direct', bytes: await writeAll(descriptorHandle(own), data, null) };
    throw e;
  }
  try {
    const st = await handle.stat();
    // Swapped for a regular file between the lstat and the open: look again and replace it properly.
    if (st.isFile() && target.descriptor === null) return 'retry';
    if (st.isDirectory()) throw new WriteStop('EISDIR', 'it is a directory');
    const bytes = await writeAll(handle, data, null);
    return { path, how: 'direct', bytes };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Writes `data` (a string, bytes, or an async iterable of chunks, streamed as they come) to
 * `path` as described at the top of this file. Fails with a one-line SourceError naming the file
 * and the reason; errors thrown by an async-iterable `data` itself pass through unchanged. Either
 * way nothing is left behind.
 */
export async function writeFileAtomic(path: string, data: OutputData, opts: WriteFileAtomicOptions = {}): Promise<WriteFileResult> {
  const fs = opts.fs ?? realOutputFs;
  const label = opts.what ? `${opts.what} ${path}` : path;
  try {
    if (path === '') throw new WriteStop('ENOENT', 'empty file name');
    for (let attempt = 0; ; attempt++) {
      const target = await classify(fs, path);
      if (target.kind !== 'direct') return await writeReplacing(fs, path, data, target, opts);
      const r = await writeDirect(fs, path, data, target);
      if (r !== 'retry') return r;
      if (attempt >= 2) throw new WriteStop('EAGAIN', 'it keeps changing between a device and a file');
    }
  } catch (e) {
    if (e instanceof ProducerError) throw e.inner;
    const why = path === '' ? 'the file name is empty' : describeWriteError(e);
    throw new SourceError(`cannot write ${label}: ${why}`, undefined, { cause: e });
  }
}
