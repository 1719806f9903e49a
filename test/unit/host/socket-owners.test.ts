import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { clearSocketOwnerCache, findSocketOwners, processTree } from '../../../src/sources/host/socket-owners.js';
import { makeProc } from './fake-proc.js';

const NS = 'net:[4026532999]';
const OTHER_NS = 'net:[4026533000]';

// 100 is the container's init: 101 and 102 are its children, 103 a grandchild (child of 101); 102
// has a second thread 105 that forked 104. 50 is dockerd (holds the embedded DNS sockets), 200 a
// process that joined the namespace later (docker exec), 300 an unrelated process in another
// namespace, 400 a host process that also holds socket 5001 (not looked at: 5001 is resolved in
// the container's own tree).
const dirs: string[] = [];
function fakeProc(): string {
  const d = makeProc({
    100: { comm: 'tini', children: [101, 102], netns: NS, fds: { 0: '/dev/null', 1: 'pipe:[1]' } },
    101: { comm: 'nginx', children: [103], netns: NS, fds: { 3: 'socket:[5001]', 4: 'socket:[5009]' } },
    102: { comm: 'odd)name', netns: NS, threads: { 105: [104] }, fds: { 5: 'anon_inode:[eventpoll]' } },
    103: { comm: 'nginx', netns: NS, fds: { 3: 'socket:[5001]' } },
    104: { comm: 'helper', netns: NS, fds: { 7: 'socket:[5002]', 8: 'socket:[5002]' } },
    50: { comm: 'dockerd', cmdline: ['dockerd', '-H', 'unix:///run/x.sock'], fds: { 10: 'socket:[6001]', 11: 'socket:[6002]' } },
    200: { comm: 'python3', netns: NS, fds: { 3: 'socket:[7001]' } },
    300: { comm: 'other', netns: OTHER_NS, fds: { 3: 'socket:[8001]' } },
    400: { comm: 'hostproc', fds: { 3: 'socket:[5001]' } },
  });
  dirs.push(d);
  return d;
}

beforeEach(() => clearSocketOwnerCache());
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('processTree', () => {
  it('walks children of every thread, breadth first, bounded', async () => {
    const d = fakeProc();
    expect(await processTree(d, 100)).toEqual([100, 101, 102, 103, 104]);
    expect(await processTree(d, 100, 3)).toEqual([100, 101, 102]);
    expect(await processTree(d, 12345)).toEqual([12345]);
  });

  it('survives a loop in the children files', async () => {
    const d = makeProc({ 1: { comm: 'a', children: [2] }, 2: { comm: 'b', children: [1, 2] } });
    dirs.push(d);
    expect(await processTree(d, 1)).toEqual([1, 2]);
  });
});

describe('findSocketOwners on a fake /proc', () => {
  it('maps inodes to the container\'s processes; a shared socket goes to the highest pid, as ss -p shows it', async () => {
    const d = fakeProc();
    const owners = await findSocketOwners(100, [5001, 5002, 5009], { procRoot: d });
    expect(Object.fromEntries(owners)).toEqual({
      5001: { name: 'nginx', pid: 103 },
      5002: { name: 'helper', pid: 104 },
      5009: { name: 'nginx', pid: 101 },
    });
  });

  it('cuts a name at ")" like ss (it reads /proc/PID/stat)', async () => {
    const d = fakeProc();
    symlinkSync('socket:[5003]', join(d, '102', 'fd', '6'));
    expect((await findSocketOwners(100, [5003], { procRoot: d })).get(5003)).toEqual({ name: 'odd', pid: 102 });
  });

  it('falls back to dockerd (embedded DNS), then to other processes in the same namespace; unknown stays unresolved', async () => {
    const d = fakeProc();
    const owners = await findSocketOwners(100, [6001, 7001, 8001, 9999], { procRoot: d });
    expect(Object.fromEntries(owners)).toEqual({
      6001: { name: 'dockerd', pid: 50 },
      7001: { name: 'python3', pid: 200 },
    });
  });

  it('caches dockerd\'s sockets, and looks again for a socket newer than the cached scan', async () => {
    const d = fakeProc();
    expect((await findSocketOwners(100, [6001], { procRoot: d })).get(6001)).toEqual({ name: 'dockerd', pid: 50 });
    const beforeNewSocket = performance.now();
    symlinkSync('socket:[6003]', join(d, '50', 'fd', '12'));
    // Seen before the cached scan started: the scan is complete for it, no second look.
    expect((await findSocketOwners(100, [6003], { procRoot: d, seenAt: beforeNewSocket - 60_000 })).get(6003)).toBeUndefined();
    // Seen after it: dockerd is scanned again.
    expect((await findSocketOwners(100, [6003], { procRoot: d, seenAt: performance.now() })).get(6003)).toEqual({ name: 'dockerd', pid: 50 });
  });

  it('never throws: a missing /proc or a vanished init resolve nothing', async () => {
    expect((await findSocketOwners(100, [5001], { procRoot: '/nonexistent-proc' })).size).toBe(0);
    const d = fakeProc();
    rmSync(join(d, '100'), { recursive: true });
    expect((await findSocketOwners(100, [5001], { procRoot: d })).size).toBe(0);
    expect((await findSocketOwners(100, [], { procRoot: d })).size).toBe(0);
  });
});
