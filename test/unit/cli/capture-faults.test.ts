// `snapshot capture` against a fake Engine API that misbehaves: the CLI must answer with one line
// and exit 3, record containers that vanish mid-capture, and never leave a partial file.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../../support/cli.js';
import { buildTar, sendJson, startFakeEngine, startRawServer, type FakeEngine, type FakeHandler, FAKE_NETWORK } from '../../support/fake-engine.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netsleuth-capfault-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const engines: FakeEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

const NET = FAKE_NETWORK;
const container = (id: string, name: string) => ({
  Id: id,
  Name: `/${name}`,
  State: { Status: 'running', Running: true, Pid: 4242 },
  Config: { Image: 'busybox', Labels: {} },
  HostConfig: { NetworkMode: 'app', PortBindings: {} },
  NetworkSettings: {
    Ports: {},
    Networks: { app: { NetworkID: NET.Id, IPAddress: '10.214.0.2', IPPrefixLen: 24, Gateway: '10.214.0.1', Aliases: null } },
  },
});

/** A small but complete daemon: one network, two containers listed, one of which is gone on inspect. */
function healthyRoutes(opts: { slowInspectMs?: number } = {}): Record<string, FakeHandler> {
  const routes = {
    '/info': (_q: unknown, res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, { ID: 'FAKE', Name: 'fakehost', OSType: 'linux', IPv4Forwarding: true }),
    '/networks': (_q: unknown, res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, [NET]),
    [`/networks/${NET.Id}`]: (_q: unknown, res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, NET),
    '/containers/json': (_q: unknown, res: Parameters<typeof sendJson>[0]) =>
      sendJson(res, 200, [
        { Id: '1'.repeat(64), Names: ['/web'] },
        { Id: '2'.repeat(64), Names: ['/gone'] },
      ]),
    [`/containers/${'1'.repeat(64)}/json`]: (_q: unknown, res: Parameters<typeof sendJson>[0]) => {
      setTimeout(() => sendJson(res, 200, container('1'.repeat(64), 'web')), opts.slowInspectMs ?? 0);
    },
    // '2…' has no route: the fake answers 404, as dockerd does for a removed container.
    [`/containers/${'1'.repeat(64)}/archive`]: (req: { url?: string }, res: Parameters<typeof sendJson>[0]) => {
      const path = new URL(req.url ?? '/', 'http://x').searchParams.get('path');
      const body = path === '/etc/resolv.conf' ? 'nameserver 127.0.0.11\noptions ndots:0\n' : '127.0.0.1 localhost\n10.214.0.2 web\n';
      const tar = buildTar([{ name: path!.split('/').pop()!, data: body }]);
      res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': tar.length });
      res.end(tar);
    },
  };
  return routes as unknown as Record<string, FakeHandler>;
}

describe('capture against a fake daemon', () => {
  it('records a container that vanished between list and inspect, and reads resolv.conf/hosts via archive', async () => {
    const engine = await startFakeEngine({ apiVersion: '1.47', routes: healthyRoutes() });
    engines.push(engine);
    const out = join(dir, 'ok.json');
    const r = await runCli(['snapshot', 'capture', '--host', `unix://${engine.socketPath}`, '-o', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ networks: 1, containers: 1, apiVersion: '1.47' });
    expect(summary.vanished).toEqual([{ id: '2'.repeat(64), name: 'gone', reason: 'removed between list and inspect' }]);
    const show = await runCli(['snapshot', 'show', out, '--json']);
    const doc = JSON.parse(show.stdout);
    expect(doc.containers[0]).toMatchObject({ name: 'web', addresses: [{ network: 'app', ipv4: '10.214.0.2/24' }] });
    // Every request carried the negotiated version prefix.
    expect(engine.requests.filter((u) => u !== '/_ping' && !u.startsWith('/v1.47/'))).toEqual([]);
    // The fake host is "local" (a unix socket) but its pids are not ours: host evidence is either
    // collected (root) or unavailable with a reason — never silently empty.
    const full = JSON.parse((await runCli(['snapshot', 'show', out, '--json'])).stdout);
    for (const e of full.hosts[0].evidence) if (e.status !== 'ok') expect(e.reason).toBeTruthy();
  });

  it('--no-host-evidence marks every host section unavailable with the reason', async () => {
    const engine = await startFakeEngine({ routes: healthyRoutes() });
    engines.push(engine);
    const out = join(dir, 'nohost.json');
    const r = await runCli(['snapshot', 'capture', '--host', `unix://${engine.socketPath}`, '-o', out, '--no-host-evidence', '--json']);
    expect(r.code).toBe(0);
    const missing = JSON.parse(r.stdout).missingEvidence;
    expect(missing.map((m: { section: string }) => m.section)).toEqual(['interfaces', 'routes', 'rules', 'firewall', 'listeners', 'sysctls', 'daemon.json']);
    for (const m of missing) expect(m.reason).toContain('--no-host-evidence');
  });

  it('a daemon that accepts but never answers: exit 3 after the timeout, one line naming the endpoint', async () => {
    const sock = join(dir, 'silent.sock');
    const silent = await startRawServer(() => undefined, { socketPath: sock });
    try {
      const out = join(dir, 'never.json');
      const t0 = Date.now();
      const r = await runCli(['snapshot', 'capture', '--host', `unix://${sock}`, '-o', out, '--timeout', '1']);
      expect(r.code).toBe(3);
      expect(expectOneLineError(r)).toMatch(new RegExp(`${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(did not answer|timed out|timeout)`, 'i'));
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(existsSync(out)).toBe(false);
    } finally {
      await silent.close();
    }
  });

  it('a daemon that closes the connection mid-response: exit 3, one line', async () => {
    const engine = await startFakeEngine({
      routes: {
        ...healthyRoutes(),
        '/containers/json': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
          res.write('[{"Id": "1111');
          setTimeout(() => res.socket?.destroy(), 50);
        },
      },
    });
    engines.push(engine);
    const out = join(dir, 'cut.json');
    const r = await runCli(['snapshot', 'capture', '--host', `unix://${engine.socketPath}`, '-o', out]);
    expect(r.code).toBe(3);
    expect(expectOneLineError(r)).toMatch(/closed|reset|terminated|ended/i);
    expect(existsSync(out)).toBe(false);
  });

  it('no socket: exit 3 with a hint', async () => {
    const r = await runCli(['snapshot', 'capture', '--host', `unix://${join(dir, 'missing.sock')}`, '-o', join(dir, 'x.json')]);
    expect(r.code).toBe(3);
    const line = expectOneLineError(r);
    expect(line).toContain('missing.sock');
    expect(r.stderr).toMatch(/hint: /);
  });

  it('connection refused on tcp: exit 3', async () => {
    const { unusedPort } = await import('../../support/fake-engine.js');
    const port = await unusedPort();
    const r = await runCli(['snapshot', 'capture', '--host', `tcp://127.0.0.1:${port}`, '-o', join(dir, 'y.json')]);
    expect(r.code).toBe(3);
    expect(expectOneLineError(r)).toMatch(/refused/i);
  });

  it('a malformed --host is bad usage: exit 2', async () => {
    const r = await runCli(['snapshot', 'capture', '--host', 'ftp://nowhere', '-o', join(dir, 'z.json')]);
    expect(r.code).toBe(2);
    expectOneLineError(r);
  });

  it('Ctrl-C during capture leaves no file (and no temp file) behind', async () => {
    const engine = await startFakeEngine({ routes: healthyRoutes({ slowInspectMs: 5_000 }) });
    engines.push(engine);
    const sub = mkdtempSync(join(dir, 'sigint-'));
    const out = join(sub, 'interrupted.json');
    let pid = 0;
    const running = runCli(['snapshot', 'capture', '--host', `unix://${engine.socketPath}`, '-o', out], { onSpawn: (p) => (pid = p) });
    // Wait until the capture is under way (the slow inspect has been requested), then interrupt.
    const t0 = Date.now();
    while (!engine.requests.some((u) => u.includes(`/containers/${'1'.repeat(64)}/json`)) && Date.now() - t0 < 10_000) {
      await new Promise((r) => setTimeout(r, 25));
    }
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.code === 130 || r.signal === 'SIGINT').toBe(true);
    expect(readdirSync(sub)).toEqual([]);
  });
});
