// The Engine client's write calls used by the sidecar and exec methods, against the fake Engine:
// bodies and queries sent, multiplexed streams split, 404s, per-call timeouts and aborts.
import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../../src/cli/errors.js';
import { EngineClient, NotFoundError, demuxStream, streamText } from '../../../src/sources/docker/engine.js';
import { sendJson, startFakeEngine, type FakeEngine, type FakeEngineOptions } from '../../support/fake-engine.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function client(opts: FakeEngineOptions): Promise<{ f: FakeEngine; c: EngineClient }> {
  const f = await startFakeEngine(opts);
  cleanups.push(() => f.close());
  const c = await EngineClient.connect(f.unixEndpoint(), { timeoutMs: 2000 });
  cleanups.push(() => c.close());
  return { f, c };
}

function body(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => resolve(s ? JSON.parse(s) : null));
  });
}

function frame(stream: number, text: string): Buffer {
  const data = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

describe('demuxStream', () => {
  it('splits stdout and stderr frames and keeps their order', () => {
    const frames = demuxStream(Buffer.concat([frame(1, 'a'), frame(2, 'oops'), frame(1, 'b\n')]));
    expect(frames.map((f) => f.stream)).toEqual(['stdout', 'stderr', 'stdout']);
    expect(streamText(frames, 'stdout')).toBe('ab\n');
    expect(streamText(frames, 'stderr')).toBe('oops');
  });
  it('a TTY body (no frame headers) is all stdout; a cut last frame keeps what arrived', () => {
    expect(streamText(demuxStream(Buffer.from('plain output')), 'stdout')).toBe('plain output');
    const cut = frame(1, 'hello world').subarray(0, 13);
    expect(streamText(demuxStream(cut), 'stdout')).toBe('hello');
    expect(demuxStream(Buffer.alloc(0))).toEqual([]);
  });
});

describe('container calls', () => {
  it('create sends the body and name; start, wait, logs and remove hit their paths', async () => {
    let created: unknown;
    const { f, c } = await client({
      routes: {
        '/containers/create': async (req, res) => {
          created = await body(req);
          sendJson(res, 201, { Id: 'side1', Warnings: [] });
        },
        '/containers/side1/start': (_q, res) => {
          res.writeHead(204);
          res.end();
        },
        '/containers/side1/wait': (_q, res) => sendJson(res, 200, { StatusCode: 3 }),
        '/containers/side1/logs': (_q, res) => {
          res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
          res.end(Buffer.concat([frame(1, 'NSPROBE 0 0 1 2\n'), frame(2, 'warn')]));
        },
        '/containers/side1': (req, res) => {
          expect(req.method).toBe('DELETE');
          res.writeHead(204);
          res.end();
        },
      },
    });
    const spec = { Image: 'busybox', Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo'], Labels: { 'netsleuth.probe': '1' }, HostConfig: { NetworkMode: 'container:abc' } };
    expect(await c.createContainer(spec, 'netsleuth-probe-x')).toBe('side1');
    expect(created).toEqual(spec);
    await c.startContainer('side1');
    expect(await c.waitContainer('side1')).toBe(3);
    const logs = await c.containerLogs('side1');
    expect(streamText(logs, 'stdout')).toBe('NSPROBE 0 0 1 2\n');
    await c.removeContainer('side1');
    expect(f.requests.slice(1)).toEqual([
      '/v1.47/containers/create?name=netsleuth-probe-x',
      '/v1.47/containers/side1/start',
      '/v1.47/containers/side1/wait?condition=not-running',
      '/v1.47/containers/side1/logs?stdout=1&stderr=1',
      '/v1.47/containers/side1?force=1&v=1',
    ]);
  });

  it('a missing image is a NotFoundError with the daemon message; removing a gone container is fine', async () => {
    const { c } = await client({
      routes: {
        '/containers/create': (_q, res) => sendJson(res, 404, { message: 'No such image: nope:latest' }),
        '/images/nope:latest/json': (_q, res) => sendJson(res, 404, { message: 'No such image: nope:latest' }),
        '/images/busybox:latest/json': (_q, res) => sendJson(res, 200, { Id: 'sha256:1' }),
      },
    });
    const e = await c.createContainer({ Image: 'nope:latest' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect((e as Error).message).toMatch(/No such image: nope:latest/);
    expect(await c.imageExists('nope:latest')).toBe(false);
    expect(await c.imageExists('busybox:latest')).toBe(true);
    await expect(c.removeContainer('gone')).resolves.toBeUndefined();
  });

  it('wait honours its own timeout and an abort, as one-line SourceErrors', async () => {
    const { c } = await client({ routes: { '/containers/slow/wait': () => undefined } });
    const t0 = Date.now();
    const e = await c.waitContainer('slow', { timeoutMs: 200 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SourceError);
    expect((e as Error).message).toMatch(/did not answer .* within 0\.2 s/);
    expect(Date.now() - t0).toBeLessThan(1500);

    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const a = await c.waitContainer('slow', { signal: ac.signal }).catch((x: unknown) => x);
    expect(a).toBeInstanceOf(SourceError);
    expect((a as Error).message).toMatch(/was cancelled$/);
    const pre = await c.startContainer('x', { signal: ac.signal }).catch((x: unknown) => x);
    expect((pre as Error).message).toMatch(/was cancelled$/);
  });
});

describe('exec calls', () => {
  it('create, start (attached, demultiplexed) and inspect', async () => {
    let createBody: unknown;
    let startBody: unknown;
    const { c } = await client({
      routes: {
        '/containers/web/exec': async (req, res) => {
          createBody = await body(req);
          sendJson(res, 201, { Id: 'ex1' });
        },
        '/exec/ex1/start': async (req, res) => {
          startBody = await body(req);
          res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
          res.write(frame(1, 'have nc\n'));
          setTimeout(() => res.end(frame(1, 'tools-done\n')), 50);
        },
        '/exec/ex1/json': (_q, res) => sendJson(res, 200, { ExitCode: 0, Running: false, Pid: 42 }),
      },
    });
    const id = await c.execCreate('web', ['sh', '-c', 'x']);
    expect(id).toBe('ex1');
    expect(createBody).toEqual({ Cmd: ['sh', '-c', 'x'], AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false });
    expect(streamText(await c.execStart(id), 'stdout')).toBe('have nc\ntools-done\n');
    expect(startBody).toEqual({ Detach: false, Tty: false });
    expect(await c.execInspect(id)).toEqual({ ExitCode: 0, Running: false, Pid: 42 });
  });
});
