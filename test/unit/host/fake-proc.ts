// A fake /proc tree for the socket-owner lookup (fd symlinks may dangle: only readlink is used).

import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fake /proc: pid → {comm, children of its main thread, fd → link target, ns/net}. */
export interface FakeProc {
  comm: string;
  children?: number[];
  /** Extra threads and their children. */
  threads?: Record<number, number[]>;
  fds?: Record<number, string>;
  netns?: string;
  cmdline?: string[];
}

export function makeProc(procs: Record<number, FakeProc>): string {
  const dir = mkdtempSync(join(tmpdir(), 'netsleuth-fakeproc-ns-'));
  for (const [pid, p] of Object.entries(procs)) addProc(dir, Number(pid), p);
  return dir;
}

export function addProc(dir: string, pid: number, p: FakeProc): void {
  const base = join(dir, String(pid));
  mkdirSync(join(base, 'fd'), { recursive: true });
  mkdirSync(join(base, 'ns'), { recursive: true });
  writeFileSync(join(base, 'comm'), `${p.comm}\n`);
  writeFileSync(join(base, 'cmdline'), `${(p.cmdline ?? [p.comm]).join('\0')}\0`);
  const threads: Record<number, number[]> = { [pid]: p.children ?? [], ...p.threads };
  for (const [tid, children] of Object.entries(threads)) {
    mkdirSync(join(base, 'task', tid), { recursive: true });
    writeFileSync(join(base, 'task', tid, 'children'), children.map((c) => `${c} `).join(''));
  }
  for (const [fd, target] of Object.entries(p.fds ?? {})) symlinkSync(target, join(base, 'fd', fd));
  symlinkSync(p.netns ?? 'net:[4026531840]', join(base, 'ns', 'net'));
}

