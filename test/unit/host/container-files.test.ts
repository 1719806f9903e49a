import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pidBelongsToContainer, readContainerFileViaProc } from '../../../src/sources/host/container-files.js';

const ID = 'ab'.repeat(32);
const proc = mkdtempSync(join(tmpdir(), 'netsleuth-cfiles-'));
afterAll(() => rmSync(proc, { recursive: true, force: true }));

// pid 100: a normal container; 200: /etc/resolv.conf is a symlink to a "host" file; 300: /etc itself is a symlink.
const hostSecret = join(proc, 'host-secret');
writeFileSync(hostSecret, 'root:x:0:0:secret\n');
for (const pid of [100, 200, 300]) mkdirSync(join(proc, String(pid), 'root'), { recursive: true });
writeFileSync(join(proc, '100', 'cgroup'), `12:pids:/docker/${ID}\n1:name=systemd:/system.slice/docker-${ID}.scope\n`);
writeFileSync(join(proc, '200', 'cgroup'), '0::/user.slice\n');
mkdirSync(join(proc, '100', 'root', 'etc'));
writeFileSync(join(proc, '100', 'root', 'etc', 'resolv.conf'), 'nameserver 127.0.0.11\n');
mkdirSync(join(proc, '200', 'root', 'etc'));
symlinkSync(hostSecret, join(proc, '200', 'root', 'etc', 'resolv.conf'));
symlinkSync(join(proc, '100', 'root', 'etc'), join(proc, '300', 'root', 'etc'));

describe('pidBelongsToContainer', () => {
  it('accepts a pid whose cgroup names the container, rejects others', async () => {
    expect(await pidBelongsToContainer(100, ID, proc)).toBe(true);
    expect(await pidBelongsToContainer(200, ID, proc)).toBe(false);
    expect(await pidBelongsToContainer(999, ID, proc)).toBe(false);
    expect(await pidBelongsToContainer(100, 'not-an-id', proc)).toBe(false);
  });
});

describe('readContainerFileViaProc', () => {
  it('reads a regular file inside the container root', async () => {
    expect(await readContainerFileViaProc(100, '/etc/resolv.conf', proc)).toBe('nameserver 127.0.0.11\n');
  });
  it('returns null for a missing file or directory', async () => {
    expect(await readContainerFileViaProc(100, '/etc/hosts', proc)).toBeNull();
    expect(await readContainerFileViaProc(100, '/nope/hosts', proc)).toBeNull();
  });
  it('refuses to follow a symlinked file (it could point at a host file)', async () => {
    await expect(readContainerFileViaProc(200, '/etc/resolv.conf', proc)).rejects.toThrow(/symlink/);
  });
  it('refuses a symlinked directory on the way', async () => {
    await expect(readContainerFileViaProc(300, '/etc/resolv.conf', proc)).rejects.toThrow(/not a plain directory/);
  });
});
