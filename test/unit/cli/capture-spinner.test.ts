// `snapshot capture`'s spinner under a pseudo-terminal made by util-linux `script` (no real
// terminal behind it, so the pty has no window size: 0 columns). ora used to divide by those 0
// columns, then loop for ever erasing Infinity lines: the capture stalled at "Connecting" and
// flooded the pty. Here the CLI runs under `script` against the fake Engine API on a unix socket
// (loopback only), with a deadline: the spinner must move through the phases and the process end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI } from '../../support/cli.js';
import { buildTar, sendJson, startFakeEngine, type FakeEngine, type FakeHandler, FAKE_NETWORK } from '../../support/fake-engine.js';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

const NET = FAKE_NETWORK;
const IDS = Array.from({ length: 4 }, (_, i) => String(i + 1).repeat(64));
const inspect = (id: string, i: number) => ({
  Id: id,
  Name: `/c${i}`,
  State: { Status: 'running', Running: true, Pid: 4242 },
  Config: { Image: 'busybox', Labels: {} },
  HostConfig: { NetworkMode: 'app', PortBindings: {} },
  NetworkSettings: { Ports: {}, Networks: { app: { NetworkID: NET.Id, IPAddress: `10.214.0.${i + 2}`, IPPrefixLen: 24, Gateway: '10.214.0.1', Aliases: null } } },
});

/** A daemon that answers every request after `ms`, so the spinner has time to draw frames between them. */
function slowRoutes(ms: number): Record<string, FakeHandler> {
  const later = (body: () => unknown): FakeHandler => (_req, res) => void setTimeout(() => sendJson(res, 200, body()), ms);
  const routes: Record<string, FakeHandler> = {
    '/info': later(() => ({ ID: 'FAKE', Name: 'fakehost', OSType: 'linux', IPv4Forwarding: true })),
    '/networks': later(() => [NET]),
    [`/networks/${NET.Id}`]: later(() => NET),
    '/containers/json': later(() => IDS.map((Id, i) => ({ Id, Names: [`/c${i}`] }))),
  };
  IDS.forEach((id, i) => {
    routes[`/containers/${id}/json`] = later(() => inspect(id, i));
    routes[`/containers/${id}/archive`] = (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').searchParams.get('path')!;
      const tar = buildTar([{ name: path.split('/').pop()!, data: path.endsWith('resolv.conf') ? 'nameserver 127.0.0.11\n' : '127.0.0.1 localhost\n' }]);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': tar.length });
        res.end(tar);
      }, ms);
    };
  });
  return routes;
}

let dir: string;
let engine: FakeEngine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netsleuth-spinner-'));
  engine = await startFakeEngine({ routes: slowRoutes(120) });
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a shell command line under `script` (a pty), killing it at the deadline. */
function underScript(command: string, deadlineMs: number): Promise<{ code: number | null; timedOut: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    // A spinner is only drawn outside CI; the pty makes stderr a TTY.
    delete env.CI;
    delete env.COLUMNS;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let timedOut = false;
    child.stdout.on('data', (d) => {
      // The bug wrote megabytes of cursor-up sequences: keep what a test can read.
      if (out.length < 1_000_000) out += d;
    });
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, out });
    });
  });
}

describe.skipIf(!hasScript)('snapshot capture under `script` (a pseudo-terminal with no window size)', () => {
  it('the spinner moves through the phases and the capture ends', async () => {
    assertBuilt();
    const out = join(dir, 'cap.json');
    const r = await underScript(`${process.execPath} ${CLI} snapshot capture --no-host-evidence -o ${out} -H unix://${engine.socketPath}`, 25_000);
    expect(r.timedOut, `still running at the deadline; output began: ${JSON.stringify(r.out.slice(0, 300))}`).toBe(false);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(JSON.parse(readFileSync(out, 'utf8')).state.containers).toHaveLength(4);
    // The spinner progressed: it showed later phases, not only "Connecting".
    expect(r.out).toContain('Connecting to the daemon');
    expect(r.out).toMatch(/Inspecting containers \(\d\/4\)/);
    // ...and animated: more than one spinner frame was drawn.
    const frames = new Set(r.out.match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/g) ?? []);
    expect(frames.size).toBeGreaterThan(1);
    // Each redraw erases one line, not an unbounded number of them.
    expect(r.out).not.toMatch(/(\x1b\[1A\x1b\[0K){2,}/);
    expect(r.out).toMatch(/Wrote .*cap\.json: 1 networks, 4 containers/);
  }, 40_000);
});
