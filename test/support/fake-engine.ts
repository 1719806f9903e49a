// A fake Docker Engine API for transport tests: an HTTP(S) server on a unix socket in a temp dir
// and/or on 127.0.0.1, with per-path handlers that can misbehave (hang, cut the body, send junk).
// Also builds throwaway TLS material with openssl. Loopback and temp dirs only.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerEndpoint } from '../../src/sources/docker/endpoint.js';

export type FakeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface FakeEngineOptions {
  /** Max API version announced in /_ping (null: no Api-Version header) and /version. */
  apiVersion?: string | null;
  /** Handlers keyed by path without the /vX.Y prefix and query, e.g. '/containers/json' or '/_ping'. */
  routes?: Record<string, FakeHandler>;
  listen?: { unix?: boolean; tcp?: boolean };
  tls?: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean };
}

export interface FakeEngine {
  dir: string;
  socketPath: string | null;
  port: number | null;
  /** Request URLs as received, in order. */
  requests: string[];
  unixEndpoint(): DockerEndpoint;
  tcpEndpoint(tls?: DockerEndpoint['tls']): DockerEndpoint;
  close(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startFakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngine> {
  const apiVersion = opts.apiVersion === undefined ? '1.47' : opts.apiVersion;
  const requests: string[] = [];
  const routes: Record<string, FakeHandler> = {
    '/_ping': (_req, res) => {
      const headers: Record<string, string> = { 'content-type': 'text/plain', swarm: 'inactive', ostype: 'linux', 'docker-experimental': 'false' };
      if (apiVersion !== null) headers['api-version'] = apiVersion;
      res.writeHead(200, headers);
      res.end('OK');
    },
    '/version': (_req, res) => sendJson(res, 200, { Version: '27.0.0', ApiVersion: apiVersion ?? '1.41', MinAPIVersion: '1.24', Os: 'linux' }),
    ...opts.routes,
  };
  const handler: FakeHandler = (req, res) => {
    requests.push(req.url ?? '');
    const pathOnly = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/v\d+\.\d+(?=\/)/, '');
    const route = routes[pathOnly];
    if (route) return route(req, res);
    sendJson(res, 404, { message: `page not found: ${pathOnly}` });
  };

  const dir = mkdtempSync(join(tmpdir(), 'netsleuth-fake-engine-'));
  const servers: http.Server[] = [];
  const make = (): http.Server =>
    opts.tls
      ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: opts.tls.requestCert ?? false, rejectUnauthorized: opts.tls.requestCert ?? false }, handler)
      : http.createServer(handler);

  let socketPath: string | null = null;
  let port: number | null = null;
  try {
    if (opts.listen?.unix ?? true) {
      const s = make();
      socketPath = join(dir, 'docker.sock');
      await listen(s, socketPath);
      servers.push(s);
    }
    if (opts.listen?.tcp ?? false) {
      const s = make();
      await listen(s, 0, '127.0.0.1');
      port = (s.address() as AddressInfo).port;
      servers.push(s);
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    dir,
    socketPath,
    port,
    requests,
    unixEndpoint: () => ({ url: `unix://${socketPath}`, kind: 'unix', socketPath, hostname: null, port: null, tls: null, context: null, isLocal: true }),
    tcpEndpoint: (tls = null) => ({
      url: `${tls ? 'https' : 'tcp'}://127.0.0.1:${port}`,
      kind: 'tcp',
      socketPath: null,
      hostname: '127.0.0.1',
      port,
      tls,
      context: null,
      isLocal: true,
    }),
    close: async () => {
      await Promise.all(servers.map(closeServer));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bare TCP/unix listener for faults below HTTP (accept and stay silent, etc.). */
export async function startRawServer(onConnection: (sock: Socket) => void, where: { socketPath: string } | { tcp: true }): Promise<{ port: number | null; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    onConnection(sock);
  });
  if ('socketPath' in where) await listen(server, where.socketPath);
  else await listen(server, 0, '127.0.0.1');
  const port = 'tcp' in where ? (server.address() as AddressInfo).port : null;
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A 127.0.0.1 port with nothing listening: bind an ephemeral port, then release it. */
export async function unusedPort(): Promise<number> {
  const s = net.createServer();
  await listen(s, 0, '127.0.0.1');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function listen(server: NetServer, pathOrPort: string | number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof pathOrPort === 'string') server.listen(pathOrPort, done);
    else server.listen(pathOrPort, host, done);
  });
}

function closeServer(s: http.Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    // Hanging test handlers keep connections open; cut them so close() returns.
    s.closeAllConnections();
  });
}

// ---------------------------------------------------------------------------------------------
// TLS material

export interface TlsFixture {
  dir: string;
  caCert: Buffer;
  /** A second CA that signed nothing the server uses. */
  otherCaCert: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  /** Server certificate valid only for other.invalid, to provoke a hostname mismatch. */
  wrongNameKey: Buffer;
  wrongNameCert: Buffer;
  clientKey: Buffer;
  clientCert: Buffer;
  /** Client certificate signed by the other CA (the server will not trust it). */
  rogueClientKey: Buffer;
  rogueClientCert: Buffer;
  cleanup(): void;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Throwaway CA, server and client certificates (P-256, valid two days) made with openssl. */
export function makeTlsFixture(): TlsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'netsleuth-tls-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  };
  const key = (name: string): void => run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}-key.pem`]);
  const ca = (name: string): void => {
    key(name);
    run(['req', '-x509', '-new', '-key', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=netsleuth test ${name}`]);
  };
  const leaf = (name: string, signer: string, ext: string): void => {
    key(name);
    run(['req', '-new', '-key', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=netsleuth test ${name}`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    const serial = `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`;
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}-key.pem`, '-set_serial', serial, '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  };
  try {
    ca('ca');
    ca('otherca');
    leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    leaf('wrongname', 'ca', 'subjectAltName=DNS:other.invalid\nextendedKeyUsage=serverAuth\n');
    leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
    leaf('rogue', 'otherca', 'extendedKeyUsage=clientAuth\n');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return {
    dir,
    caCert: read('ca.pem'),
    otherCaCert: read('otherca.pem'),
    serverKey: read('server-key.pem'),
    serverCert: read('server.pem'),
    wrongNameKey: read('wrongname-key.pem'),
    wrongNameCert: read('wrongname.pem'),
    clientKey: read('client-key.pem'),
    clientCert: read('client.pem'),
    rogueClientKey: read('rogue-key.pem'),
    rogueClientCert: read('rogue.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// Archive bodies

/** A ustar archive such as GET /containers/{id}/archive returns. */
export function buildTar(entries: Array<{ name: string; data?: string | Buffer; type?: '0' | '2' | '5'; linkName?: string }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write(e.type === '5' ? '0000755\0' : '0000644\0', 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write(e.type ?? '0', 156, 'latin1');
    if (e.linkName) h.write(e.linkName, 157, 100, 'utf8');
    h.write('ustar\x0000', 257, 'latin1');
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** One bridge network as /networks lists it: the fault and spinner tests' daemon has just this. */
export const FAKE_NETWORK = {
  Name: 'app',
  Id: 'a'.repeat(64),
  Driver: 'bridge',
  Scope: 'local',
  IPAM: { Driver: 'default', Config: [{ Subnet: '10.214.0.0/24', Gateway: '10.214.0.1' }] },
  Options: {},
  Labels: {},
};
