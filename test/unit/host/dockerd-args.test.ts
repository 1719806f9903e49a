import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyDockerdArgs, findDockerdProcesses, parseDockerdArgs, servesSocket } from '../../../src/sources/host/dockerd-args.js';
import { emptyDaemonConfig } from '../../../src/sources/host/parse-daemon-json.js';
import { collectHostEvidence } from '../../../src/sources/host/collect.js';

describe('parseDockerdArgs', () => {
  it('reads networking flags in both --flag=value and --flag value forms', () => {
    const a = parseDockerdArgs([
      '/usr/sbin/dockerd', '-H', 'unix:///run/x.sock', '--host=tcp://127.0.0.1:2375', '--bip', '10.212.0.1/24',
      '--iptables=false', '--icc=false', '--userland-proxy=false', '--ip-masq', '--mtu=1400',
      '--dns', '10.0.0.53', '--dns=10.0.0.54', '--default-address-pool', 'base=10.213.0.0/16,size=24',
      '--default-address-pool=base=10.99.0.0/16,size=26', '--data-root', '/var/lib/x', '--config-file', '/etc/alt.json',
    ]);
    expect(a.hosts).toEqual(['unix:///run/x.sock', 'tcp://127.0.0.1:2375']);
    expect(a.configFile).toBe('/etc/alt.json');
    expect(a.overrides).toEqual({
      bip: '10.212.0.1/24', iptables: false, icc: false, userlandProxy: false, ipMasq: true, mtu: 1400,
      dns: ['10.0.0.53', '10.0.0.54'],
      defaultAddressPools: [{ base: '10.213.0.0/16', size: 24 }, { base: '10.99.0.0/16', size: 26 }],
    });
    expect(a.flags).not.toContain('data-root');
  });

  it('ignores a boolean followed by a word (Go flags need =false) and unknown flags', () => {
    const a = parseDockerdArgs(['dockerd', '--iptables', 'false', '--debug', '--log-level', 'info']);
    expect(a.overrides).toEqual({ iptables: true });
  });

  it('flags override daemon.json', () => {
    const cfg = { ...emptyDaemonConfig(), bip: '172.17.0.1/16', mtu: 1500 };
    expect(applyDockerdArgs(cfg, parseDockerdArgs(['dockerd', '--bip=10.1.0.1/24']))).toMatchObject({ bip: '10.1.0.1/24', mtu: 1500 });
  });

  it('matches the dockerd serving a socket', () => {
    expect(servesSocket(parseDockerdArgs(['dockerd']), '/var/run/docker.sock')).toBe(true);
    expect(servesSocket(parseDockerdArgs(['dockerd', '-H', 'fd://']), '/run/docker.sock')).toBe(true);
    expect(servesSocket(parseDockerdArgs(['dockerd', '-H', 'unix:///run/a.sock']), '/run/a.sock')).toBe(true);
    expect(servesSocket(parseDockerdArgs(['dockerd', '-H', 'unix:///run/a.sock']), '/var/run/docker.sock')).toBe(false);
  });
});

describe('dockerd discovery in collectHostEvidence', () => {
  const proc = mkdtempSync(join(tmpdir(), 'netsleuth-proc-'));
  const files = mkdtempSync(join(tmpdir(), 'netsleuth-etc-'));
  afterAll(() => {
    rmSync(proc, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });
  const addProc = (pid: number, comm: string, argv: string[]) => {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    writeFileSync(join(proc, String(pid), 'comm'), `${comm}\n`);
    writeFileSync(join(proc, String(pid), 'cmdline'), argv.join('\0') + '\0');
  };
  addProc(10, 'bash', ['bash']);
  addProc(20, 'dockerd', ['dockerd']);
  addProc(30, 'dockerd', ['dockerd', '-H', 'unix:///run/test.sock', '--bip=10.212.0.1/24', '--config-file', join(files, 'alt.json')]);
  writeFileSync(join(files, 'alt.json'), JSON.stringify({ mtu: 1400, iptables: true }));
  const fakeRun = async () => ({ exitCode: 1, stdout: '', stderr: 'not in this test', error: 'other' as const });
  const readFile = async (p: string) => {
    if (p === join(files, 'alt.json')) return JSON.stringify({ mtu: 1400, iptables: true });
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  };

  it('finds dockerd processes by comm', async () => {
    expect((await findDockerdProcesses(proc)).map((p) => p.pid)).toEqual([20, 30]);
  });

  it('uses the dockerd serving the captured socket, its --config-file and its flags', async () => {
    const h = await collectHostEvidence({ run: fakeRun, readFile, isRoot: true, uid: 0, procRoot: proc, daemonSocket: '/run/test.sock' });
    expect(h.daemonConfig.status).toBe('ok');
    expect(h.daemonConfig.value).toMatchObject({ bip: '10.212.0.1/24', mtu: 1400, iptables: true });
    expect(h.daemonConfig.source).toContain(`${join(files, 'alt.json')}; dockerd pid 30 flags (--bip --config-file)`);
    expect(h.raw['dockerd-cmdline']!.stdout).toContain('--bip=10.212.0.1/24');
  });

  it('is partial, saying why, when no dockerd serves the socket', async () => {
    const h = await collectHostEvidence({ run: fakeRun, readFile, isRoot: true, uid: 0, procRoot: proc, daemonSocket: '/run/other.sock' });
    expect(h.daemonConfig.status).toBe('partial');
    expect(h.daemonConfig.reason).toMatch(/no dockerd process serving \/run\/other\.sock .* flags .* are unknown/);
  });
});
