// Runs the collectors for real on this machine: the host itself, and a process inside a network
// namespace this test creates (two namespaces joined by a veth, removed afterwards). Needs root
// and iproute2; otherwise the tests are skipped with a printed note. No traffic leaves the
// namespaces: the only socket is a listener on the namespace's own loopback.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectContainerNetns, collectHostEvidence } from '../../../src/sources/host/collect.js';
import { parseSsListeners } from '../../../src/sources/host/parse-ss.js';
import { type CommandResult, type CommandRunner, runCommand } from '../../../src/sources/host/run.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasIp = spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
const hasNsenter = spawnSync('nsenter', ['--version'], { stdio: 'ignore' }).status === 0;
const canRun = isRoot && hasIp && process.platform === 'linux';
if (!canRun) {
  console.log(`note: skipping real host/netns collection (root: ${isRoot}, ip netns: ${hasIp}, platform: ${process.platform})`);
}

describe.skipIf(!canRun)('collectHostEvidence on this machine', () => {
  it('reads interfaces, routes, rules, listeners and sysctls', async () => {
    const h = await collectHostEvidence();
    expect(h.interfaces.status).toBe('ok');
    expect(h.interfaces.value!.find((i) => i.name === 'lo')).toMatchObject({ addresses: expect.arrayContaining([{ family: 'ipv4', address: '127.0.0.1', prefixLength: 8 }]) });
    expect(h.routes.status).not.toBe('unavailable');
    expect(h.routes.value!.some((r) => r.table === 'local' && r.type === 'local')).toBe(true);
    expect(h.rules.value!.some((r) => r.table === 'main' && r.priority === 32766)).toBe(true);
    expect(h.listeners.status).toBe('ok');
    expect(h.sysctls.value!['net.ipv4.ip_forward']).toMatch(/^[01]$/);
    expect(h.raw['ip-link']!.exitCode).toBe(0);
    // Whatever the firewall tools here, the section is never silently empty.
    if (h.firewall.status === 'unavailable') expect(h.firewall.reason).toBeTruthy();
    else expect(h.firewall.value!.iptablesSave ?? h.firewall.value!.nftJson).not.toBeNull();
  });
});

describe.skipIf(!canRun || !hasNsenter)('collectContainerNetns on a process in a namespace', () => {
  const tag = randomBytes(4).toString('hex');
  const nsA = `nstest-${tag}-a`;
  const nsB = `nstest-${tag}-b`;
  let child: ChildProcess | null = null;
  let pid = 0;
  let sleepPid = 0;

  const ip = (...args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };

  beforeAll(async () => {
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('-n', nsB, 'link', 'set', 'lo', 'up');
    ip('-n', nsA, 'link', 'add', 'nsl0', 'type', 'veth', 'peer', 'name', 'nsl1', 'netns', nsB);
    ip('-n', nsB, 'link', 'set', 'nsl1', 'mtu', '1400', 'up');
    ip('-n', nsB, 'addr', 'add', '10.123.0.2/24', 'dev', 'nsl1');
    ip('-n', nsB, 'route', 'add', 'blackhole', '10.124.0.0/16');
    // `ip netns exec` execs in place, so the child's pid is the process inside namespace B.
    child = spawn(
      'ip',
      ['netns', 'exec', nsB, process.execPath, '-e',
        // 7788 is the node process's alone; 7789 is shared with a `sleep` child (fd 3), so it has
        // two holders and, as with `ss -p`, the higher pid (the child) is its owner.
        [
          "const net = require('net');",
          "net.createServer().listen(7788, '127.0.0.1', () => {",
          "  const b = net.createServer().listen(7789, '127.0.0.1', () => {",
          "    const c = require('child_process').spawn('sleep', ['30'], { stdio: ['ignore', 'ignore', 'ignore', b._handle.fd] });",
          "    console.log('ready ' + c.pid);",
          "  });",
          "});",
          'setTimeout(() => process.exit(0), 30000);',
        ].join('\n')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        const m = /ready (\d+)/.exec(d.toString());
        if (m) {
          sleepPid = Number(m[1]);
          resolve();
        }
      });
      child!.on('exit', (code) => reject(new Error(`listener exited early (${code})`)));
    });
    pid = child.pid!;
  }, 15_000);

  afterAll(() => {
    try {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      if (sleepPid > 0) process.kill(sleepPid, 'SIGKILL');
    } catch {
      /* already gone */
    } finally {
      spawnSync('ip', ['netns', 'del', nsA]);
      spawnSync('ip', ['netns', 'del', nsB]);
    }
  });

  it('sees the namespace: veth with its peer, address, routes, the listener and its owner', async () => {
    const calls: Array<{ args: string[]; result: CommandResult }> = [];
    const run: CommandRunner = async (file, args, o) => {
      const result = await runCommand(file, args, o);
      calls.push({ args: [file, ...args], result });
      return result;
    };
    const s = await collectContainerNetns(pid, { run });
    expect(s.status).toBe('ok');
    const v = s.value!;
    expect(v.interfaces.map((i) => i.name).sort()).toEqual(['lo', 'nsl1']);
    expect(v.interfaces.find((i) => i.name === 'nsl1')).toMatchObject({
      kind: 'veth',
      mtu: 1400,
      peerIndex: expect.any(Number),
      linkNetnsId: expect.any(Number),
      addresses: expect.arrayContaining([{ family: 'ipv4', address: '10.123.0.2', prefixLength: 24 }]),
    });
    expect(v.routes).toContainEqual(expect.objectContaining({ dst: '10.123.0.0/24', dev: 'nsl1', table: 'main', protocol: 'kernel' }));
    expect(v.routes).toContainEqual(expect.objectContaining({ dst: '10.124.0.0/16', type: 'blackhole' }));
    expect(v.routes).toContainEqual(expect.objectContaining({ dst: '127.0.0.1/32', type: 'local', table: 'local' }));
    expect(v.listeners).toContainEqual({ protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 7788, process: { name: 'node', pid } });
    expect(v.listeners).toContainEqual({ protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 7789, process: { name: 'sleep', pid: sleepPid } });

    // One process for the whole namespace, and ss ran without -p: the owner came from the socket
    // inode ss printed, found among the fds of the namespace's process.
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args.slice(0, 6)).toEqual(['nsenter', '-t', String(pid), '-n', '/bin/sh', '-c']);
    const ssLine = calls[0]!.result.stdout.split('\n').find((l) => /127\.0\.0\.1:7788\s/.test(l))!;
    expect(ssLine).not.toContain('users:');
    const ino = /\bino:(\d+)/.exec(ssLine)![1];
    const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } });
    expect(fds).toContain(`socket:[${ino}]`);

    // And the listeners are exactly what `ss -p` gives for the same namespace.
    const ssP = spawnSync('nsenter', ['-t', String(pid), '-n', 'ss', '-H', '-l', '-n', '-t', '-u', '-p'], { encoding: 'utf8' });
    expect(ssP.status).toBe(0);
    expect(v.listeners).toEqual(parseSsListeners(ssP.stdout));
  });

  it('reports a process that no longer exists', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout.trim());
    expect(existsSync(`/proc/${deadPid}`)).toBe(false);
    const s = await collectContainerNetns(deadPid);
    expect(s).toMatchObject({ status: 'unavailable', value: null, reason: `process ${deadPid} no longer exists (the container stopped or restarted)` });
  });
});
