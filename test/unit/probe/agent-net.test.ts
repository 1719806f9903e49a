// The agent's probes against real sockets on loopback: open, closed and silent ports, HTTP and
// HTTPS (self-signed: a TLS error unless insecure), batch order, the budget, and request checks.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRequestError } from '../../../src/probe/agent-errors.js';
import { probeTcp, probeUdp, runBatch, validateBatch } from '../../../src/probe/agent-net.js';
import { probeHttp } from '../../../src/probe/agent-http.js';
import { startDnsServer } from '../../support/dns-server.js';
import { ROOT } from '../../support/cli.js';
import { hasOpenssl, makeTlsFixture, unusedPort, type TlsFixture } from '../../support/fake-engine.js';

let tcpServer: net.Server;
let tcpPort: number;
let udpEcho: dgram.Socket;
let udpEchoPort: number;
let udpSilent: dgram.Socket;
let udpSilentPort: number;
let httpServer: http.Server;
let httpPort: number;

const listen = (s: net.Server | http.Server): Promise<number> =>
  new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port)));
const bindUdp = (s: dgram.Socket): Promise<number> => new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s.address().port)));

beforeAll(async () => {
  tcpServer = net.createServer((c) => c.destroy());
  tcpPort = await listen(tcpServer);
  udpEcho = dgram.createSocket('udp4');
  udpEcho.on('message', (m, r) => udpEcho.send(Buffer.concat([Buffer.from('re:'), m]), r.port, r.address));
  udpEchoPort = await bindUdp(udpEcho);
  udpSilent = dgram.createSocket('udp4');
  udpSilentPort = await bindUdp(udpSilent);
  httpServer = http.createServer((req, res) => {
    res.writeHead(req.url === '/teapot' ? 418 : 200, { 'content-type': 'text/plain' });
    res.end('hi');
  });
  httpPort = await listen(httpServer);
});

afterAll(async () => {
  await new Promise((r) => tcpServer.close(r));
  udpEcho.close();
  udpSilent.close();
  httpServer.closeAllConnections();
  await new Promise((r) => httpServer.close(r));
});

describe('tcp', () => {
  it('connects to a listening port, with a latency', async () => {
    const r = await probeTcp('127.0.0.1', tcpPort, 2000);
    expect(r.result).toBe('connected');
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs).toBeLessThan(2000);
  });

  it('reports a closed port as refused with its errno', async () => {
    const r = await probeTcp('127.0.0.1', await unusedPort(), 2000);
    expect(r).toMatchObject({ result: 'refused', errno: 'ECONNREFUSED' });
  });
});

describe('udp', () => {
  it('answered: a reply datagram came back', async () => {
    const r = await probeUdp('127.0.0.1', udpEchoPort, 2000, '6869');
    expect(r.result).toBe('answered');
    expect(r.detail).toBe('5 byte reply');
  });

  it('refused: the kernel reported ICMP port unreachable on the connected socket', async () => {
    const r = await probeUdp('127.0.0.1', await unusedPort(), 2000);
    expect(r).toMatchObject({ result: 'refused', errno: 'ECONNREFUSED' });
  });

  it('no-answer: a bound socket that never replies, said honestly', async () => {
    const r = await probeUdp('127.0.0.1', udpSilentPort, 300);
    expect(r.result).toBe('no-answer');
    expect(r.detail).toMatch(/proves nothing/);
    expect(r.latencyMs).toBeGreaterThanOrEqual(290);
  });
});

describe('http', () => {
  it('reports the status of a GET and the time to the headers', async () => {
    const r = await probeHttp({ kind: 'http', address: '127.0.0.1', port: httpPort, path: '/teapot' }, 2000, false);
    expect(r).toMatchObject({ result: 'connected', status: 418 });
  });

  it('refused on a closed port', async () => {
    const r = await probeHttp({ kind: 'http', address: '127.0.0.1', port: await unusedPort() }, 2000, false);
    expect(r).toMatchObject({ result: 'refused', errno: 'ECONNREFUSED' });
  });

  it('timeout when the server accepts but never answers', async () => {
    const hang = net.createServer(() => undefined);
    const port = await listen(hang);
    try {
      const r = await probeHttp({ kind: 'http', address: '127.0.0.1', port }, 300, false);
      expect(r.result).toBe('timeout');
    } finally {
      hang.close();
    }
  });

  describe.skipIf(!hasOpenssl())('https', () => {
    let tls: TlsFixture;
    let server: https.Server;
    let port: number;
    beforeAll(async () => {
      tls = makeTlsFixture();
      server = https.createServer({ key: tls.serverKey, cert: tls.serverCert }, (_q, res) => res.end('ok'));
      port = await listen(server);
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      tls.cleanup();
    });

    it('a certificate from an unknown CA is a TLS error with its code, off by default', async () => {
      const r = await probeHttp({ kind: 'http', address: '127.0.0.1', port, tls: true }, 2000, false);
      expect(r.result).toBe('error');
      expect(r.errno).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(r.detail).toMatch(/^TLS: /);
    });

    it('insecure skips verification and gets the status', async () => {
      const r = await probeHttp({ kind: 'http', address: '127.0.0.1', port, tls: true }, 2000, true);
      expect(r).toMatchObject({ result: 'connected', status: 200 });
    });
  });
});

describe('batch', () => {
  it('keeps target order across kinds and runs them concurrently', async () => {
    const closed = await unusedPort();
    const started = Date.now();
    const results = await runBatch(
      validateBatch({
        targets: [
          { kind: 'udp', address: '127.0.0.1', port: udpSilentPort },
          { kind: 'tcp', address: '127.0.0.1', port: tcpPort },
          { kind: 'udp', address: '127.0.0.1', port: udpSilentPort },
          { kind: 'tcp', address: '127.0.0.1', port: closed },
          { kind: 'http', address: '127.0.0.1', port: httpPort },
        ],
        timeoutMs: 400,
        concurrency: 8,
      }),
    );
    expect(results.map((r) => r.result)).toEqual(['no-answer', 'connected', 'no-answer', 'refused', 'connected']);
    // two 400 ms silences in parallel, not in series
    expect(Date.now() - started).toBeLessThan(790);
  });

  it('reports probes not started within the budget as deadline errors', async () => {
    const results = await runBatch(
      validateBatch({ targets: Array.from({ length: 4 }, () => ({ kind: 'udp', address: '127.0.0.1', port: udpSilentPort })), timeoutMs: 200, concurrency: 1, budgetMs: 300 }),
    );
    expect(results.map((r) => r.result)).toEqual(['no-answer', 'no-answer', 'error', 'error']);
    expect(results[3]).toMatchObject({ errno: 'DEADLINE', detail: 'deadline' });
  });

  it.each([
    [null, /object/],
    [{ targets: [], timeoutMs: 100 }, /targets/],
    [{ targets: [{ kind: 'tcp', address: 'db', port: 1 }], timeoutMs: 100 }, /address must be an IP/],
    [{ targets: [{ kind: 'tcp', address: '10.0.0.1', port: 0 }], timeoutMs: 100 }, /port/],
    [{ targets: [{ kind: 'sctp', address: '10.0.0.1', port: 1 }], timeoutMs: 100 }, /kind/],
    [{ targets: [{ kind: 'tcp', address: '10.0.0.1', port: 1 }], timeoutMs: 0 }, /timeoutMs/],
    [{ targets: [{ kind: 'tcp', address: '10.0.0.1', port: 1 }], timeoutMs: 10, concurrency: 9999 }, /concurrency/],
    [{ targets: [{ kind: 'udp', address: '10.0.0.1', port: 1, payloadHex: 'zz' }], timeoutMs: 10 }, /payloadHex/],
    [{ targets: [{ kind: 'http', address: '10.0.0.1', port: 1, path: 'x y' }], timeoutMs: 10 }, /path/],
    [{ targets: [{ kind: 'dns', address: '127.0.0.11' }], timeoutMs: 10 }, /name must be/],
    [{ targets: [{ kind: 'dns', address: '127.0.0.11', name: 'db', qtype: 'WKS' }], timeoutMs: 10 }, /qtype must be one of A, AAAA/],
    [{ targets: [{ kind: 'dns', address: '127.0.0.11', name: 'a..b' }], timeoutMs: 10 }, /empty label/],
    [{ targets: [{ kind: 'dns', address: '127.0.0.11', name: `${'x'.repeat(64)}.test` }], timeoutMs: 10 }, /longer than 63/],
    [{ targets: [{ kind: 'dns', address: 'dns.test', name: 'db' }], timeoutMs: 10 }, /address must be an IP/],
    [{ targets: [{ kind: 'dns', address: '127.0.0.11', name: 'db', port: 70000 }], timeoutMs: 10 }, /port/],
  ])('rejects a bad request %#', (req, msg) => {
    expect(() => validateBatch(req)).toThrow(AgentRequestError);
    expect(() => validateBatch(req)).toThrow(msg);
  });

  it('dns targets default to port 53 and type A; an address may be asked as PTR', () => {
    const r = validateBatch({ targets: [{ kind: 'dns', address: '127.0.0.11', name: 'db' }, { kind: 'dns', address: '127.0.0.11', name: '10.0.0.7', qtype: 'PTR' }], timeoutMs: 10 });
    expect(r.targets[0]).toMatchObject({ port: 53, qtype: 'A' });
    expect(r.targets[1]).toMatchObject({ port: 53, qtype: 'PTR' });
  });

  it('a kind-specific subcommand refuses another kind', () => {
    expect(() => validateBatch({ targets: [{ kind: 'udp', address: '127.0.0.1', port: 1 }], timeoutMs: 10 }, 'tcp')).toThrow(/this subcommand probes tcp/);
  });
});

const AGENT = join(ROOT, 'dist', 'src', 'probe', 'agent.js');
describe.skipIf(!existsSync(AGENT))('the built agent as a program', () => {
  const agent = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [AGENT, ...args], { input, encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, lines: r.stdout.trim().split('\n') };
  };

  it('tcp: prints one JSON line with the results', () => {
    const r = agent(['tcp', JSON.stringify({ targets: [{ address: '127.0.0.1', port: tcpPort }], timeoutMs: 1000 })]);
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(1);
    expect(JSON.parse(r.lines[0]!)).toMatchObject({ agent: 1, ok: true, results: [{ result: 'connected' }] });
  });

  it('reads a large request from stdin with "-"', async () => {
    // a closed port: spawnSync blocks this process, so no listener here could accept
    const closed = await unusedPort();
    const targets = Array.from({ length: 4000 }, () => ({ address: '127.0.0.1', port: closed }));
    expect(JSON.stringify({ targets }).length).toBeGreaterThan(128 * 1024);
    const r = agent(['tcp', '-'], JSON.stringify({ targets, timeoutMs: 2000, concurrency: 64 }));
    const j = JSON.parse(r.lines[0]!) as { ok: boolean; results: Array<{ result: string }> };
    expect(j.ok).toBe(true);
    expect(j.results).toHaveLength(4000);
    expect(new Set(j.results.map((x) => x.result))).toEqual(new Set(['refused']));
  });

  it('a bad request: exit 2 and one error line', () => {
    const r = agent(['udp', JSON.stringify({ targets: [{ address: 'nope', port: 1 }], timeoutMs: 10 })]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.lines[0]!)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
describe.skipIf(!existsSync(AGENT) || !isRoot)('runAgent (nsenter into our own namespace, as root)', () => {
  it('passes a request over the argv limit through stdin and parses the line', async () => {
    const { runAgent } = await import('../../../src/probe/nsenter.js');
    const closed = await unusedPort();
    const targets = Array.from({ length: 4000 }, () => ({ address: '127.0.0.1', port: closed }));
    const res = (await runAgent(process.pid, 'tcp', { targets, timeoutMs: 2000, concurrency: 64 }, 30_000, { agentPath: AGENT })) as { ok: boolean; results: unknown[] };
    expect(res.ok).toBe(true);
    expect(res.results).toHaveLength(4000);
  });

  it('an abort kills the agent and rejects', async () => {
    const { runAgent, AgentRunError } = await import('../../../src/probe/nsenter.js');
    const ac = new AbortController();
    const p = runAgent(process.pid, 'udp', { targets: [{ address: '127.0.0.1', port: udpSilentPort }], timeoutMs: 10_000 }, 30_000, { agentPath: AGENT, signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    await expect(p).rejects.toBeInstanceOf(AgentRunError);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('dns', () => {
  it('answers, NXDOMAIN, ICMP port unreachable and silence, in one batch', async () => {
    const dns = await startDnsServer({ address: '127.0.0.1', port: 0, zone: { 'db.test.': ['10.0.0.7', '10.0.0.8'] }, rcodes: { 'fail.test.': 'SERVFAIL' } });
    try {
      const closed = await unusedPort();
      const results = await runBatch(
        validateBatch({
          targets: [
            { kind: 'dns', address: '127.0.0.1', port: dns.port, name: 'db.test' },
            { kind: 'dns', address: '127.0.0.1', port: dns.port, name: 'nothere.test' },
            { kind: 'dns', address: '127.0.0.1', port: dns.port, name: 'fail.test' },
            { kind: 'dns', address: '127.0.0.1', port: closed, name: 'db.test' },
            { kind: 'dns', address: '127.0.0.1', port: udpSilentPort, name: 'db.test' },
          ],
          timeoutMs: 400,
        }),
      );
      expect(results.map((r) => r.result)).toEqual(['answered', 'answered', 'answered', 'refused', 'timeout']);
      expect(results[0]).toMatchObject({ rcode: 'NOERROR', answers: ['10.0.0.7', '10.0.0.8'], records: [{ name: 'db.test', type: 'A', data: '10.0.0.7' }, expect.anything()] });
      expect(results[1]).toMatchObject({ rcode: 'NXDOMAIN', answers: [] });
      expect(results[2]).toMatchObject({ rcode: 'SERVFAIL' });
      expect(results[3]).toMatchObject({ errno: 'ECONNREFUSED' });
      // one attempt: a timeout is the per-probe timeout, not a multiple of it
      expect(results[4]!.latencyMs).toBeLessThan(1500);
    } finally {
      await dns.close();
    }
  });
});
