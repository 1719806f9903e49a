import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, SourceError, exitCodeOf } from '../../../src/cli/errors.js';
import type { DockerEndpoint } from '../../../src/sources/docker/endpoint.js';
import { EngineClient, EngineHttpError, NotFoundError, compareVersions } from '../../../src/sources/docker/engine.js';
import { mapLimit } from '../../../src/sources/docker/limit.js';
import { type FakeEngine, type FakeEngineOptions, buildTar, sendJson, startFakeEngine, startRawServer, unusedPort } from '../../support/fake-engine.js';

// Everything a test starts is registered here and torn down after it, pass or fail.
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function fake(opts: FakeEngineOptions = {}): Promise<FakeEngine> {
  const f = await startFakeEngine(opts);
  cleanups.push(() => f.close());
  return f;
}

async function connect(ep: DockerEndpoint, opts: Parameters<typeof EngineClient.connect>[1] = {}): Promise<EngineClient> {
  const c = await EngineClient.connect(ep, { timeoutMs: 2000, ...opts });
  cleanups.push(() => c.close());
  return c;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'netsleuth-engine-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Awaits a failure and checks what every transport error must be: a one-line exit-3 SourceError. */
async function sourceError(p: Promise<unknown>): Promise<SourceError> {
  const err = await p.then(
    () => {
      throw new Error('expected a SourceError, got success');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  const e = err as SourceError;
  expect(exitCodeOf(e)).toBe(EXIT.sourceUnavailable);
  expect(e.message).not.toMatch(/[\r\n]/);
  return e;
}

const unixEp = (socketPath: string): DockerEndpoint => ({
  url: `unix://${socketPath}`,
  kind: 'unix',
  socketPath,
  hostname: null,
  port: null,
  tls: null,
  context: null,
  isLocal: true,
});

describe('API version negotiation', () => {
  it('takes the daemon version from the /_ping Api-Version header and prefixes later calls', async () => {
    const f = await fake({ apiVersion: '1.47', routes: { '/containers/json': (_q, r) => sendJson(r, 200, [{ Id: 'abc' }]) } });
    const c = await connect(f.unixEndpoint());
    expect(c.apiVersion).toBe('1.47');
    expect(c.daemonApiVersion).toBe('1.47');
    expect(c.ping).toEqual({ apiVersion: '1.47', osType: 'linux', swarm: 'inactive', experimental: false });
    expect(await c.get<Array<{ Id: string }>>('/containers/json', { all: true, limit: 5 })).toEqual([{ Id: 'abc' }]);
    expect(f.requests).toEqual(['/_ping', '/v1.47/containers/json?all=true&limit=5']);
  });

  it('caps the version at the client maximum (1.51) for a newer daemon', async () => {
    const c = await connect((await fake({ apiVersion: '1.52' })).unixEndpoint());
    expect(c.apiVersion).toBe('1.51');
    expect(c.daemonApiVersion).toBe('1.52');
  });

  it('honours a lower maxApiVersion', async () => {
    const c = await connect((await fake({ apiVersion: '1.47' })).unixEndpoint(), { maxApiVersion: '1.44' });
    expect(c.apiVersion).toBe('1.44');
  });

  it('falls back to /version when /_ping has no Api-Version header', async () => {
    const f = await fake({ apiVersion: null, routes: { '/version': (_q, r) => sendJson(r, 200, { ApiVersion: '1.41' }) } });
    const c = await connect(f.unixEndpoint());
    expect(c.apiVersion).toBe('1.41');
    expect(c.ping.apiVersion).toBeNull();
    expect(f.requests).toEqual(['/_ping', '/version']);
  });

  it('falls back to /version when /_ping fails with an HTTP error', async () => {
    const f = await fake({
      routes: {
        '/_ping': (_q, r) => sendJson(r, 500, { message: 'ping broken' }),
        '/version': (_q, r) => sendJson(r, 200, { ApiVersion: '1.43' }),
      },
    });
    expect((await connect(f.unixEndpoint())).apiVersion).toBe('1.43');
  });

  it('says the endpoint is not a Docker API when neither gives a version', async () => {
    const f = await fake({ apiVersion: null, routes: { '/version': (_q, r) => sendJson(r, 200, { hello: 'world' }) } });
    const e = await sourceError(EngineClient.connect(f.unixEndpoint()));
    expect(e.message).toMatch(/does not look like a Docker Engine API/);
    expect(e.message).toContain(f.socketPath!);
  });

  it('an HTTP server that is not Docker (404 everywhere) is not a NotFoundError', async () => {
    const f = await fake({ routes: { '/_ping': (_q, r) => sendJson(r, 404, { message: 'nope' }), '/version': (_q, r) => sendJson(r, 404, { message: 'nope' }) } });
    const e = await sourceError(EngineClient.connect(f.unixEndpoint()));
    expect(e).not.toBeInstanceOf(NotFoundError);
    expect(e.message).toMatch(/does not look like a Docker Engine API: \/_ping gave no API version and \/version answered HTTP 404$/);
  });

  it('reports /version HTTP errors during negotiation', async () => {
    const f = await fake({ apiVersion: null, routes: { '/version': (_q, r) => sendJson(r, 503, { message: 'daemon shutting down' }) } });
    const e = await sourceError(EngineClient.connect(f.unixEndpoint()));
    expect(e).toBeInstanceOf(EngineHttpError);
    expect(e.message).toMatch(/HTTP 503: daemon shutting down/);
  });

  it('compares versions numerically', () => {
    expect(compareVersions('1.9', '1.41')).toBeLessThan(0);
    expect(compareVersions('1.51', '1.51')).toBe(0);
    expect(compareVersions('2.0', '1.99')).toBeGreaterThan(0);
  });

  it('rejects a malformed maxApiVersion', async () => {
    const f = await fake();
    await expect(EngineClient.connect(f.unixEndpoint(), { maxApiVersion: 'v1' })).rejects.toThrow(RangeError);
  });
});

describe('connection faults', () => {
  it('socket path missing', async () => {
    const path = join(tempDir(), 'nope.sock');
    const e = await sourceError(EngineClient.connect(unixEp(path)));
    expect(e.message).toBe(`no Docker socket at ${path}`);
    expect(e.hint).toMatch(/is dockerd running\? Use --host or DOCKER_HOST/);
  });

  it('a stale socket (a file nobody listens on) refuses the connection', async () => {
    const path = join(tempDir(), 'stale.sock');
    writeFileSync(path, '');
    const e = await sourceError(EngineClient.connect(unixEp(path)));
    expect(e.message).toBe(`the Docker socket at ${path} refused the connection`);
    expect(e.hint).toMatch(/stale socket/);
  });

  it('permission denied on the socket', async (ctx) => {
    const root = process.getuid?.() === 0;
    // seteuid is per process: only safe (and only allowed) in a forked worker, not a worker thread.
    // engine-errors.test.ts covers the mapping with an injected EACCES either way.
    if (root && (typeof process.seteuid !== 'function' || !isMainThread)) ctx.skip();
    const f = await fake();
    // mkdtemp makes the dir 0700; open it so only the socket's own mode decides.
    chmodSync(f.dir, 0o755);
    chmodSync(f.socketPath!, 0o000);
    const attempt = (): Promise<unknown> => EngineClient.connect(f.unixEndpoint(), { timeoutMs: 2000 });
    let e: SourceError;
    if (root) {
      // Root bypasses socket permissions; drop the effective uid (this fork only) for the connect.
      // Vitest runs each test file in its own forked process, so nothing else shares this uid.
      process.seteuid!(65534);
      try {
        e = await sourceError(attempt());
      } finally {
        process.seteuid!(0);
      }
    } else {
      e = await sourceError(attempt());
    }
    expect(process.geteuid?.()).toBe(process.getuid?.());
    expect(e.message).toBe(`permission denied connecting to the Docker socket at ${f.socketPath}`);
    expect(e.hint).toMatch(/docker group/);
    expect(e.hint).toMatch(/sudo/);
  });

  it('connection refused on a 127.0.0.1 port nobody listens on', async () => {
    const port = await unusedPort();
    const ep: DockerEndpoint = { url: `tcp://127.0.0.1:${port}`, kind: 'tcp', socketPath: null, hostname: '127.0.0.1', port, tls: null, context: 'ctx', isLocal: true };
    const e = await sourceError(EngineClient.connect(ep));
    expect(e.message).toBe(`connection refused by tcp://127.0.0.1:${port} (context "ctx")`);
    expect(e.hint).toContain(`127.0.0.1:${port}`);
  });

  it('a daemon that accepts but never answers times out', async () => {
    const path = join(tempDir(), 'silent.sock');
    const raw = await startRawServer(() => undefined, { socketPath: path });
    cleanups.push(() => raw.close());
    const started = Date.now();
    const e = await sourceError(EngineClient.connect(unixEp(path), { timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e.message).toBe(`Docker daemon at unix://${path} accepted the connection but did not answer GET /_ping within 0.3 s`);
    expect(e.hint).toMatch(/hung or overloaded/);
  });

  it('a request that hangs after a good ping names the request', async () => {
    const f = await fake({ routes: { '/containers/json': () => undefined } });
    const c = await connect(f.unixEndpoint(), { timeoutMs: 300 });
    const e = await sourceError(c.get('/containers/json', { all: true }));
    expect(e.message).toMatch(/did not answer GET \/v1\.47\/containers\/json\?all=true within 0\.3 s$/);
  });

  it('a body that stalls hits the body timeout', async () => {
    const f = await fake({
      routes: {
        '/info': (_q, r) => {
          r.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
          r.write('{"ID":');
        },
      },
    });
    const c = await connect(f.unixEndpoint(), { timeoutMs: 300 });
    const e = await sourceError(c.get('/info'));
    expect(e.message).toMatch(/stopped sending the response to GET \/v1\.47\/info \(nothing for 0\.3 s\)/);
  });

  it.each([
    ['content-length', { 'content-length': '1000' }],
    ['chunked', {}],
  ])('a daemon that closes the connection mid-body (%s)', async (_label, headers) => {
    const cut = (_q: http.IncomingMessage, r: http.ServerResponse): void => {
      r.writeHead(200, { 'content-type': 'application/json', ...headers });
      r.write('[{"Id":"abc"');
      setTimeout(() => r.socket?.destroy(), 20);
    };
    const f = await fake({ routes: { '/containers/json': cut } });
    const c = await connect(f.unixEndpoint());
    const e = await sourceError(c.get('/containers/json'));
    expect(e.message).toBe(`Docker daemon at unix://${f.socketPath} closed the connection mid-response to GET /v1.47/containers/json`);
  });

  it('a peer that closes without answering, over TCP, hints at TLS', async () => {
    const raw = await startRawServer((s) => s.end(), { tcp: true });
    cleanups.push(() => raw.close());
    const ep: DockerEndpoint = { url: `tcp://127.0.0.1:${raw.port}`, kind: 'tcp', socketPath: null, hostname: '127.0.0.1', port: raw.port, tls: null, context: null, isLocal: true };
    const e = await sourceError(EngineClient.connect(ep));
    expect(e.message).toBe(`Docker daemon at tcp://127.0.0.1:${raw.port} closed the connection without answering GET /_ping`);
    expect(e.hint).toMatch(/DOCKER_TLS_VERIFY/);
  });

  it('a Go TLS daemon spoken to in plain HTTP (HTTP 400) says TLS is expected', async () => {
    const f = await fake({
      routes: {
        '/_ping': (_q, r) => {
          r.writeHead(400, { 'content-type': 'text/plain' });
          r.end('Client sent an HTTP request to an HTTPS server.\n');
        },
        '/version': (_q, r) => {
          r.writeHead(400, { 'content-type': 'text/plain' });
          r.end('Client sent an HTTP request to an HTTPS server.\n');
        },
      },
    });
    const e = await sourceError(EngineClient.connect(f.unixEndpoint()));
    expect(e.message).toMatch(/expects TLS/);
    expect(e.hint).toMatch(/DOCKER_TLS_VERIFY=1/);
  });
});

describe('responses', () => {
  it('works over TCP on 127.0.0.1', async () => {
    const f = await fake({ listen: { tcp: true, unix: false }, routes: { '/info': (_q, r) => sendJson(r, 200, { Name: 'host1' }) } });
    const c = await connect(f.tcpEndpoint());
    expect(await c.get('/info')).toEqual({ Name: 'host1' });
  });

  it('invalid JSON is a SourceError showing the start of the body', async () => {
    const f = await fake({ routes: { '/info': (_q, r) => r.end('<html>proxy error</html>') } });
    const c = await connect(f.unixEndpoint());
    const e = await sourceError(c.get('/info'));
    expect(e.message).toMatch(/sent invalid JSON for GET \/v1\.47\/info: .* \(starts with "<html>proxy error<\/html>"\)$/);
    expect(e.hint).toMatch(/Docker Engine API/);
  });

  it('an empty body is invalid JSON too', async () => {
    const f = await fake({ routes: { '/info': (_q, r) => r.end() } });
    const e = await sourceError((await connect(f.unixEndpoint())).get('/info'));
    expect(e.message).toMatch(/invalid JSON .*\(empty body\)$/);
  });

  it('HTTP 404 is a NotFoundError carrying the daemon message', async () => {
    const f = await fake({ routes: { '/containers/abc/json': (_q, r) => sendJson(r, 404, { message: 'No such container: abc' }) } });
    const c = await connect(f.unixEndpoint());
    const e = await sourceError(c.get('/containers/abc/json'));
    expect(e).toBeInstanceOf(NotFoundError);
    const nf = e as NotFoundError;
    expect(nf.status).toBe(404);
    expect(nf.daemonMessage).toBe('No such container: abc');
    expect(nf.path).toBe('/v1.47/containers/abc/json');
    expect(nf.message).toContain('No such container: abc');
  });

  it('HTTP 500 includes the status and the daemon message, and is not a NotFoundError', async () => {
    const f = await fake({ routes: { '/networks': (_q, r) => sendJson(r, 500, { message: 'error reading networks:\nstore corrupt' }) } });
    const e = await sourceError((await connect(f.unixEndpoint())).get('/networks'));
    expect(e).toBeInstanceOf(EngineHttpError);
    expect(e).not.toBeInstanceOf(NotFoundError);
    expect(e.message).toBe(`Docker daemon at unix://${f.socketPath} answered GET /v1.47/networks with HTTP 500: error reading networks: store corrupt`);
    expect((e as EngineHttpError).status).toBe(500);
  });

  it('HTTP errors with a plain-text body use the text', async () => {
    const f = await fake({ routes: { '/info': (_q, r) => (r.writeHead(502), r.end('Bad Gateway')) } });
    const e = await sourceError((await connect(f.unixEndpoint())).get('/info'));
    expect(e.message).toMatch(/HTTP 502: Bad Gateway$/);
  });

  it.each([
    ['declared length', true],
    ['chunked', false],
  ])('bodies over the cap are refused (%s)', async (_label, declare) => {
    const big = JSON.stringify('x'.repeat(4096));
    const f = await fake({
      routes: {
        '/containers/json': (_q, r) => {
          r.writeHead(200, declare ? { 'content-length': Buffer.byteLength(big) } : {});
          r.end(big);
        },
      },
    });
    const c = await connect(f.unixEndpoint(), { maxBodyBytes: 1024 });
    const e = await sourceError(c.get('/containers/json'));
    expect(e.message).toMatch(/response to GET \/v1\.47\/containers\/json exceeds the 1024 bytes limit/);
  });

  it('close() is idempotent and later calls fail cleanly', async () => {
    const c = await connect((await fake()).unixEndpoint());
    await c.close();
    await c.close();
    const e = await sourceError(c.get('/info'));
    expect(e.message).toMatch(/cancelled: the client was closed/);
  });

  it('serves many requests through mapLimit with bounded concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const f = await fake({
      routes: Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [
          `/containers/c${i}/json`,
          (_q: http.IncomingMessage, r: http.ServerResponse) => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            setTimeout(() => {
              inFlight--;
              sendJson(r, 200, { Id: `c${i}` });
            }, 10);
          },
        ]),
      ),
    });
    const c = await connect(f.unixEndpoint());
    const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
    const docs = await mapLimit(ids, 3, (id) => c.get<{ Id: string }>(`/containers/${id}/json`));
    expect(docs.map((d) => d.Id)).toEqual(ids);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });
});

describe('getFileFromContainer', () => {
  const serveTar = (body: Buffer) => (_q: http.IncomingMessage, r: http.ServerResponse): void => {
    r.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': body.length });
    r.end(body);
  };

  it('extracts the single file and asks for the right path', async () => {
    const resolv = 'nameserver 127.0.0.11\noptions ndots:0\n';
    const f = await fake({ routes: { '/containers/web 1/archive': serveTar(buildTar([{ name: 'resolv.conf', data: resolv }])) } });
    const c = await connect(f.unixEndpoint());
    expect(await c.getFileFromContainer('web 1', '/etc/resolv.conf')).toBe(resolv);
    expect(f.requests.at(-1)).toBe('/v1.47/containers/web%201/archive?path=%2Fetc%2Fresolv.conf');
  });

  it('returns null when the file is absent (404 naming the file)', async () => {
    const f = await fake({
      routes: { '/containers/abc/archive': (_q, r) => sendJson(r, 404, { message: 'Could not find the file /etc/hosts in container abc' }) },
    });
    expect(await (await connect(f.unixEndpoint())).getFileFromContainer('abc', '/etc/hosts')).toBeNull();
  });

  it('throws NotFoundError when the container itself is gone', async () => {
    const f = await fake({ routes: { '/containers/abc/archive': (_q, r) => sendJson(r, 404, { message: 'No such container: abc' }) } });
    const e = await sourceError((await connect(f.unixEndpoint())).getFileFromContainer('abc', '/etc/hosts'));
    expect(e).toBeInstanceOf(NotFoundError);
  });

  it('other HTTP errors (409: container being removed) are EngineHttpErrors', async () => {
    const f = await fake({ routes: { '/containers/abc/archive': (_q, r) => sendJson(r, 409, { message: 'container is marked for removal' }) } });
    const e = await sourceError((await connect(f.unixEndpoint())).getFileFromContainer('abc', '/etc/hosts'));
    expect(e).toBeInstanceOf(EngineHttpError);
    expect(e.message).toMatch(/HTTP 409: container is marked for removal$/);
  });

  it('a malformed tar is a SourceError naming file and container', async () => {
    const f = await fake({ routes: { '/containers/abc/archive': serveTar(Buffer.from('this is not a tar archive')) } });
    const e = await sourceError((await connect(f.unixEndpoint())).getFileFromContainer('abc', '/etc/hosts'));
    expect(e.message).toMatch(/^malformed tar archive for \/etc\/hosts in container abc \(from unix:\/\/.*\): truncated header/);
  });

  it('a symlink is reported with its target, not followed', async () => {
    const f = await fake({ routes: { '/containers/abc/archive': serveTar(buildTar([{ name: 'resolv.conf', type: '2', linkName: '../run/systemd/resolve/stub-resolv.conf' }])) } });
    const e = await sourceError((await connect(f.unixEndpoint())).getFileFromContainer('abc', '/etc/resolv.conf'));
    expect(e.message).toMatch(/is a symbolic link to \.\.\/run\/systemd\/resolve\/stub-resolv\.conf \(not followed\)$/);
  });

  it('a directory is refused', async () => {
    const f = await fake({ routes: { '/containers/abc/archive': serveTar(buildTar([{ name: 'etc/', type: '5' }])) } });
    const e = await sourceError((await connect(f.unixEndpoint())).getFileFromContainer('abc', '/etc'));
    expect(e.message).toMatch(/\/etc in container abc .* is a directory, not a file$/);
  });

  it('several files are refused', async () => {
    const f = await fake({ routes: { '/containers/abc/archive': serveTar(buildTar([{ name: 'etc/', type: '5' }, { name: 'etc/a', data: '1' }, { name: 'etc/b', data: '2' }])) } });
    const e = await sourceError((await connect(f.unixEndpoint())).getFileFromContainer('abc', '/etc'));
    expect(e.message).toMatch(/is not a single file: the archive holds 2 files$/);
  });
});
