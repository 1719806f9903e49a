// Live `reach` and `matrix --probe`: on the real daemon each prediction is probed from inside the
// source's namespace and held against it — open port (connected), closed port (refused), another
// network (timeout), and a drop the model cannot see (a rule inside the destination's own
// namespace) that must come out as a disagreement naming a suspect hop; matrix --probe compares
// every pair; Ctrl-C in the middle of a sidecar-probed matrix leaves no sidecar behind.
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import { cleanupRun, createNetwork, docker, dockerHost, inspect, preflight, requireLiveDaemon, runContainer, RUN_PREFIX, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();
const run = promisify(execFile);

describe.skipIf(!live)('reach and matrix on the live daemon: predict, probe, agree', () => {
  let a: TestNetwork;
  let b: TestNetwork;
  const dns: DnsServer[] = [];
  const env = () => ({ DOCKER_HOST: dockerHost() });
  const name = (n: string) => `${RUN_PREFIX}${n}`;

  beforeAll(async () => {
    await preflight();
    a = await createNetwork({ name: 'rl-a', subnet: '10.214.150.0/24' });
    b = await createNetwork({ name: 'rl-b', subnet: '10.214.151.0/24' });
    dns.push(await startDnsServer({ address: a.gateway, port: 53, zone: {} }), await startDnsServer({ address: b.gateway, port: 53, zone: {} }));
    const httpd = ['httpd', '-f', '-p', '80', '-h', '/'];
    await runContainer({ name: 'rl-srv', network: a.name, dns: a.gateway, command: httpd });
    await runContainer({ name: 'rl-cli', network: a.name, dns: a.gateway, command: ['sleep', '3600'] });
    await runContainer({ name: 'rl-far', network: b.name, dns: b.gateway, command: httpd });
    await runContainer({ name: 'rl-walled', network: a.name, dns: a.gateway, command: httpd });
    // A rule inside rl-walled's own namespace: the host capture does not see it.
    const pid = ((await inspect(name('rl-walled'))) as { State: { Pid: number } }).State.Pid;
    await run('nsenter', ['-t', String(pid), '-n', 'iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'DROP']);
  }, 120_000);

  afterAll(async () => {
    await cleanupRun();
    for (const d of dns) await d.close();
  }, 120_000);

  const reach = async (from: string, to: string, port: string, extra: string[] = []) => {
    const r = await runCli(['reach', name(from), name(to), '--port', port, '--json', ...extra], { env: env(), timeoutMs: 60_000 });
    return { r, j: JSON.parse(r.stdout) };
  };

  it('an open port: reachable, the probe connects, agreement', async () => {
    const { r, j } = await reach('rl-cli', 'rl-srv', '80');
    expect(r.code).toBe(0);
    expect(j.verdict).toBe('reachable');
    expect(j.listening).toBe(true);
    expect(j.probe).toMatchObject({ result: 'connected' });
    expect(['nsenter', 'sidecar', 'exec']).toContain(j.probe.method);
    expect(j.agreement).toBe(true);
  }, 90_000);

  it('a closed port: the path is open, nothing listens, the probe is refused, agreement', async () => {
    const { j } = await reach('rl-cli', 'rl-srv', '81');
    expect(j.verdict).toBe('reachable');
    expect(j.listening).toBe(false);
    expect(j.probe.result).toBe('refused');
    expect(j.agreement).toBe(true);
  }, 90_000);

  it('another network: blocked by Docker isolation, the probe times out, agreement', async () => {
    const { j } = await reach('rl-cli', 'rl-far', '80', ['--probe-timeout', '1500']);
    expect(j.verdict).toBe('blocked');
    expect(j.probe.result).toBe('timeout');
    expect(j.agreement).toBe(true);
  }, 90_000);

  it('a drop inside the destination namespace: disagreement, a suspect hop and the next checks; --expect fails', async () => {
    const { j } = await reach('rl-cli', 'rl-walled', '80', ['--probe-timeout', '1500']);
    expect(j.verdict).toBe('reachable');
    expect(j.probe.result).toBe('timeout');
    expect(j.agreement).toBe(false);
    expect(j.probeCheck.suspect.stage).toBeTruthy();
    expect(j.probeCheck.next.join('\n')).toContain('tcpdump');
    const gate = await runCli(['reach', name('rl-cli'), name('rl-walled'), '--port', '80', '--probe-timeout', '1500', '--expect', 'reachable'], { env: env(), timeoutMs: 60_000 });
    expect(gate.code).toBe(1);
    expect(gate.stdout).toMatch(/DISAGREES with the prediction/);
    expect(gate.stdout).toMatch(/suspect: /);
  }, 120_000);

  it('--no-probe predicts only; --probe with a snapshot is bad input', async () => {
    const { j } = await reach('rl-cli', 'rl-srv', '80', ['--no-probe']);
    expect(j.probe).toBeNull();
    expect(j.agreement).toBeNull();
    const bad = await runCli(['reach', 'a', 'b', '--probe', '--snapshot', 'docs/examples/example.snapshot.json'], { env: env() });
    expect(bad.code).toBe(2);
  }, 60_000);

  it('matrix --probe on network a: every pair compared; only the walled-off pairs disagree', async () => {
    const r = await runCli(['matrix', '--network', a.name, '--port', '80', '--probe', '--probe-timeout', '1500', '--json'], { env: env(), timeoutMs: 180_000 });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const mine = j.cells.filter((c: { from: string; to: string }) => c.from.startsWith(RUN_PREFIX) && c.to.startsWith(RUN_PREFIX));
    expect(mine.length).toBe(6);
    // a small mesh stays within the neighbour budget: entries charged, none deleted
    expect(j.probeSummary.neighbour.charged).toBeGreaterThan(0);
    expect(j.probeSummary.neighbour).toMatchObject({ reclaimPasses: 0, reclaimed: 0 });
    for (const c of mine) {
      expect(c.probe, `${c.from} → ${c.to}`).toBeTruthy();
      const walled = c.to === name('rl-walled');
      expect(c.agreement, `${c.from} → ${c.to}: predicted ${c.verdict}/${c.listening}, probe ${c.probe.result}`).toBe(walled ? false : true);
    }
  }, 240_000);

  it('Ctrl-C in the middle of a sidecar-probed matrix leaves no sidecar behind', async () => {
    let pid = 0;
    const running = runCli(['matrix', '--network', a.name, '--port', '80', '--probe', '--probe-method', 'sidecar', '--probe-image', 'netsleuth-test/busybox:latest', '--concurrency', '1', '--probe-timeout', '1500', '--json'], {
      env: env(),
      timeoutMs: 120_000,
      onSpawn: (p) => (pid = p),
    });
    // Wait until a sidecar exists, then interrupt.
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      await sleep(200);
      seen = (await docker(['ps', '-aq', '--filter', 'label=netsleuth.probe'])).stdout.trim() !== '';
    }
    expect(seen).toBe(true);
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.signal === null || r.signal === 'SIGINT').toBe(true);
    let left = '';
    for (let i = 0; i < 50; i++) {
      left = (await docker(['ps', '-aq', '--filter', 'label=netsleuth.probe'])).stdout.trim();
      if (!left) break;
      await sleep(200);
    }
    expect(left).toBe('');
  }, 180_000);
});
