// Live proof for `netsleuth ports`: what the analysis predicts from a capture, dockerd really does.
// A container publishes 127.0.0.1:<p>, a host process (a node server in this test) listens on
// 127.0.0.1:<q>; a compose file planning <p>, <q> and a free <r> is checked with --compose, then
// each planned binding is really tried with `docker run -p`: dockerd refuses <p> ("port is already
// allocated") and <q> ("address already in use"), and accepts <r>, which netsleuth did not report.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { cleanupRun, createNetwork, dockerHost, preflight, requireLiveDaemon, runContainer, RUN_PREFIX, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();

interface Claimant {
  kind: string;
  name: string;
  hostIp: string;
  hostPort: number;
  active: boolean;
  process: { name: string; pid: number } | null;
}
interface PortsJson {
  compose: { project: string; planned: number } | null;
  conflicts: Array<{ hostIp: string; hostPort: number; protocol: string; claimants: Claimant[] }>;
  findings: Array<{ code: string; severity: string; subjects: string[]; evidence: string[] }>;
  notes: string[];
}

/** A loopback port nothing listens on right now, below the ephemeral range (so no client socket takes it meanwhile). */
async function freePort(avoid: number[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (avoid.includes(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free loopback port found');
}

async function tryPublish(name: string, gw: TestNetwork, spec: string): Promise<{ ok: boolean; error: string }> {
  try {
    await runContainer({ name, network: gw.name, dns: gw.gateway, publish: [spec] });
    return { ok: true, error: '' };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

describe.skipIf(!live)('ports (live): predicted conflicts are the ones dockerd refuses', () => {
  let dir: string;
  let nw: TestNetwork;
  let server: net.Server;
  let p: number;
  let q: number;
  let r: number;
  let out: PortsJson;

  beforeAll(async () => {
    await preflight();
    dir = mkdtempSync(join(tmpdir(), 'ns-ports-live-'));
    nw = await createNetwork({ name: 'ports' });
    p = await freePort([]);
    q = await freePort([p]);
    r = await freePort([p, q]);
    await runContainer({ name: 'holder', network: nw.name, dns: nw.gateway, publish: [`127.0.0.1:${p}:80`] });
    server = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(q, '127.0.0.1', () => resolve());
    });
    const compose = join(dir, 'compose.json');
    writeFileSync(
      compose,
      JSON.stringify({
        name: 'nstplan',
        services: {
          taken: { image: 'x', ports: [`127.0.0.1:${p}:80`] },
          hostproc: { image: 'x', ports: [{ target: 80, published: String(q), host_ip: '127.0.0.1' }] },
          free: { image: 'x', ports: [`127.0.0.1:${r}:80`] },
        },
      }),
    );
    const res = await runCli(['ports', '--host', dockerHost(), '--compose', compose, '--json', '--fail-on', 'none'], { timeoutMs: 120_000 });
    if (res.code !== 0) throw new Error(`netsleuth ports → exit ${res.code}: ${res.stderr}`);
    out = JSON.parse(res.stdout) as PortsJson;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await cleanupRun();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('captured the host listeners (so the host-process check really ran)', () => {
    expect(out.findings.filter((f) => f.code === 'EVIDENCE_MISSING' && f.evidence.some((e) => e.includes('listeners: unavailable')))).toEqual([]);
    expect(out.compose).toMatchObject({ project: 'nstplan', planned: 3 });
  });

  it(`predicts the planned 127.0.0.1:<p> collides with the running container, then dockerd refuses it`, async () => {
    const c = out.conflicts.find((x) => x.hostPort === p && x.protocol === 'tcp');
    expect(c, JSON.stringify(out.conflicts)).toBeDefined();
    expect(c!.hostIp).toBe('127.0.0.1');
    expect(c!.claimants.map((x) => [x.kind, x.name, x.active])).toEqual([
      ['container', `${RUN_PREFIX}holder`, true],
      ['planned', 'nstplan/taken', false],
    ]);
    expect(out.findings.find((f) => f.code === 'PORT_ALLOCATED_BY_CONTAINER' && f.subjects.includes('nstplan/taken'))).toMatchObject({ severity: 'error' });
    const t = await tryPublish('taken', nw, `127.0.0.1:${p}:80`);
    process.stderr.write(`ports live: docker run -p 127.0.0.1:${p}:80 → ${/(port is already allocated|address already in use)[^\n]*|Error response[^\n]*/.exec(t.error)?.[0] ?? t.error}\n`);
    expect(t.ok).toBe(false);
    expect(t.error).toMatch(/port is already allocated|address already in use/);
  });

  it(`predicts the planned 127.0.0.1:<q> is held by a host process (this test's node server), then dockerd refuses it`, async () => {
    const c = out.conflicts.find((x) => x.hostPort === q && x.protocol === 'tcp');
    expect(c, JSON.stringify(out.conflicts)).toBeDefined();
    const proc = c!.claimants.find((x) => x.kind === 'host-process')!;
    expect(proc).toBeDefined();
    expect(proc.hostIp).toBe('127.0.0.1');
    expect(proc.process?.pid).toBe(process.pid);
    expect(out.findings.find((f) => f.code === 'PORT_BOUND_BY_HOST_PROCESS' && f.subjects.includes('nstplan/hostproc'))).toMatchObject({ severity: 'error' });
    const t = await tryPublish('hostproc', nw, `127.0.0.1:${q}:80`);
    process.stderr.write(`ports live: docker run -p 127.0.0.1:${q}:80 → ${/(port is already allocated|address already in use)[^\n]*|Error response[^\n]*/.exec(t.error)?.[0] ?? t.error}\n`);
    expect(t.ok).toBe(false);
    expect(t.error).toMatch(/address already in use|port is already allocated/);
  });

  it('does not report the free planned port, and dockerd accepts it', async () => {
    expect(out.conflicts.filter((x) => x.hostPort === r)).toEqual([]);
    expect(out.findings.filter((f) => f.subjects.includes('nstplan/free') && f.severity !== 'info')).toEqual([]);
    const t = await tryPublish('free', nw, `127.0.0.1:${r}:80`);
    expect(t.error).toBe('');
    expect(t.ok).toBe(true);
  });

  it('a fresh capture shows the running holder and the refused container (created, configured for <p>) as a conflict', async () => {
    const res = await runCli(['ports', '--host', dockerHost(), '--json', '--fail-on', 'none'], { timeoutMs: 120_000 });
    expect(res.code).toBe(0);
    const j = JSON.parse(res.stdout) as PortsJson;
    const c = j.conflicts.find((x) => x.hostPort === p);
    expect(c?.claimants.map((x) => [x.name, x.active])).toEqual([
      [`${RUN_PREFIX}holder`, true],
      [`${RUN_PREFIX}taken`, false],
    ]);
    expect(j.findings.some((f) => f.code === 'PORT_CONFLICT_STOPPED_CONTAINER' && f.subjects.includes(`${RUN_PREFIX}taken`))).toBe(true);
  });
});
