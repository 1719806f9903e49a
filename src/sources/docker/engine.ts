// Docker Engine API client: version negotiation, JSON GETs with timeouts and a body cap, and file
// reads through the archive endpoint. The only module that loads undici; callers import it
// dynamically so snapshot-only commands never pay for it.

import { Pool } from 'undici';
import { SourceError } from '../../cli/errors.js';
import { describeEndpoint, type DockerEndpoint } from './endpoint.js';
import { httpError, oneLine, transportError } from './engine-errors.js';
import { TarFormatError, readTar } from './tar.js';

// Re-exported so a caller holding only this (dynamically imported) module can use instanceof.
export { EngineHttpError, NotFoundError } from './engine-errors.js';

/** Highest API version this client is written against. */
export const CLIENT_MAX_API_VERSION = '1.51';
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_CONNECTIONS = 8;

export interface EngineConnectOptions {
  /** Per-request limit for connecting, for the headers, and between body chunks. */
  timeoutMs?: number;
  maxApiVersion?: string;
  maxBodyBytes?: number;
  /** Sockets kept open to the daemon; bounds real concurrency whatever the caller does. */
  connections?: number;
}

/** What `/_ping` told us (headers; null when absent or when /_ping failed). */
export interface PingInfo {
  apiVersion: string | null;
  osType: string | null;
  /** e.g. `inactive`, `active/manager`, `active/worker`. */
  swarm: string | null;
  experimental: boolean | null;
}

type Query = Record<string, string | number | boolean>;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class EngineClient {
  readonly endpoint: DockerEndpoint;
  /** Version spoken on every call: min(client max, daemon max). */
  readonly apiVersion: string;
  /** The daemon's maximum API version. */
  readonly daemonApiVersion: string;
  readonly ping: PingInfo;
  readonly timeoutMs: number;
  private readonly pool: Pool;
  private readonly maxBodyBytes: number;
  private closed = false;

  private constructor(init: {
    endpoint: DockerEndpoint;
    pool: Pool;
    apiVersion: string;
    daemonApiVersion: string;
    ping: PingInfo;
    timeoutMs: number;
    maxBodyBytes: number;
  }) {
    this.endpoint = init.endpoint;
    this.pool = init.pool;
    this.apiVersion = init.apiVersion;
    this.daemonApiVersion = init.daemonApiVersion;
    this.ping = init.ping;
    this.timeoutMs = init.timeoutMs;
    this.maxBodyBytes = init.maxBodyBytes;
  }

  static async connect(ep: DockerEndpoint, opts: EngineConnectOptions = {}): Promise<EngineClient> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxApiVersion = opts.maxApiVersion ?? CLIENT_MAX_API_VERSION;
    const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
    if (parseVersion(maxApiVersion) === null) throw new RangeError(`maxApiVersion must look like 1.51, got ${maxApiVersion}`);

    const pool = createPool(ep, timeoutMs, opts.connections ?? DEFAULT_CONNECTIONS);
    const send = (path: string): Promise<RawResponse> => sendRaw(pool, ep, 'GET', path, timeoutMs, maxBodyBytes);
    try {
      const pong = await send('/_ping');
      const ping = pingInfo(pong.headers);
      let daemonApiVersion = ping.apiVersion;
      if (daemonApiVersion === null) {
        // Old daemons and some proxies give no Api-Version header: ask /version instead.
        const res = await send('/version');
        const notDocker = (why: string): SourceError =>
          new SourceError(`${describeEndpoint(ep)} does not look like a Docker Engine API: ${why}`, 'check that --host, DOCKER_HOST or the context points at dockerd');
        // A 404 here is about the endpoint, not an object: keep it out of NotFoundError.
        if (res.status === 404) throw notDocker('/_ping gave no API version and /version answered HTTP 404');
        if (res.status >= 400) throw httpError(res.status, res.body, ep, 'GET', '/version');
        const info = parseJsonBody<{ ApiVersion?: unknown }>(res.body, ep, 'GET', '/version');
        const v = typeof info?.ApiVersion === 'string' ? info.ApiVersion.trim() : null;
        if (v === null || parseVersion(v) === null) throw notDocker('no API version in /_ping or /version');
        daemonApiVersion = v;
      }
      const apiVersion = compareVersions(maxApiVersion, daemonApiVersion) <= 0 ? maxApiVersion : daemonApiVersion;
      return new EngineClient({ endpoint: ep, pool, apiVersion, daemonApiVersion, ping, timeoutMs, maxBodyBytes });
    } catch (err) {
      await pool.destroy().catch(() => undefined);
      throw err;
    }
  }

  /** JSON GET of an API path such as `/containers/json`; the version prefix is added here. */
  async get<T>(path: string, query?: Query): Promise<T> {
    const full = this.versioned(path, query);
    const res = await this.send(full);
    if (res.status >= 400) throw httpError(res.status, res.body, this.endpoint, 'GET', full);
    return parseJsonBody<T>(res.body, this.endpoint, 'GET', full);
  }

  /**
   * Reads one regular file from a container through the archive endpoint (no exec needed), as
   * UTF-8. Returns null when the file does not exist; throws NotFoundError when the container does not.
   */
  async getFileFromContainer(id: string, path: string): Promise<string | null> {
    const full = this.versioned(`/containers/${encodeURIComponent(id)}/archive`, { path });
    const res = await this.send(full);
    if (res.status === 404) {
      const err = httpError(res.status, res.body, this.endpoint, 'GET', full);
      // One status for two cases: tell a vanished container from a missing file by the message.
      if (err.daemonMessage && /no such container/i.test(err.daemonMessage)) throw err;
      return null;
    }
    if (res.status >= 400) throw httpError(res.status, res.body, this.endpoint, 'GET', full);

    const where = `${path} in container ${id} (from ${describeEndpoint(this.endpoint)})`;
    let entries;
    try {
      entries = readTar(res.body);
    } catch (err) {
      if (err instanceof TarFormatError) throw new SourceError(`malformed tar archive for ${where}: ${err.message}`, undefined, { cause: err });
      throw err;
    }
    const files = entries.filter((e) => e.type === 'file');
    if (files.length === 1) return files[0]!.data.toString('utf8');
    if (files.length > 1) throw new SourceError(`${where} is not a single file: the archive holds ${files.length} files`);
    const link = entries.find((e) => e.type === 'symlink');
    if (link) throw new SourceError(`${where} is a symbolic link to ${oneLine(link.linkName)} (not followed)`, 'read the link target instead');
    if (entries.some((e) => e.type === 'directory')) throw new SourceError(`${where} is a directory, not a file`);
    throw new SourceError(`${where}: the archive holds no regular file`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // destroy, not close: a CLI that is finishing (or interrupted) should not wait on keep-alive sockets.
    await this.pool.destroy().catch(() => undefined);
  }

  private send(path: string): Promise<RawResponse> {
    if (this.closed) {
      return Promise.reject(new SourceError(`GET ${path} to ${describeEndpoint(this.endpoint)} was cancelled: the client was closed`));
    }
    return sendRaw(this.pool, this.endpoint, 'GET', path, this.timeoutMs, this.maxBodyBytes);
  }

  private versioned(path: string, query?: Query): string {
    if (!path.startsWith('/')) throw new RangeError(`API path must start with "/", got ${path}`);
    let qs = '';
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) params.set(k, String(v));
      const text = params.toString();
      if (text) qs = `?${text}`;
    }
    return `/v${this.apiVersion}${path}${qs}`;
  }
}

function createPool(ep: DockerEndpoint, timeoutMs: number, connections: number): Pool {
  if (ep.kind === 'unix') {
    if (!ep.socketPath) throw new RangeError('unix endpoint without a socket path');
    // The host name is only used for the Host header; dockerd ignores it on its socket.
    return new Pool('http://localhost', { connections, connect: { socketPath: ep.socketPath, timeout: timeoutMs } });
  }
  if (!ep.hostname || !ep.port) throw new RangeError('tcp endpoint without host or port');
  const host = ep.hostname.includes(':') ? `[${ep.hostname}]` : ep.hostname;
  if (!ep.tls) return new Pool(`http://${host}:${ep.port}`, { connections, connect: { timeout: timeoutMs } });
  return new Pool(`https://${host}:${ep.port}`, {
    connections,
    connect: {
      timeout: timeoutMs,
      rejectUnauthorized: ep.tls.verify,
      ...(ep.tls.ca ? { ca: ep.tls.ca } : {}),
      ...(ep.tls.cert ? { cert: ep.tls.cert } : {}),
      ...(ep.tls.key ? { key: ep.tls.key } : {}),
    },
  });
}

/** One request; transport failures become SourceErrors, HTTP statuses are left to the caller. */
async function sendRaw(pool: Pool, ep: DockerEndpoint, method: 'GET', path: string, timeoutMs: number, maxBodyBytes: number): Promise<RawResponse> {
  let gotHeaders = false;
  try {
    const res = await pool.request({
      method,
      path,
      headers: { accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    gotHeaders = true;
    const tooLarge = (): SourceError =>
      new SourceError(
        `Docker daemon at ${describeEndpoint(ep)}: the response to ${method} ${path} exceeds the ${formatBytes(maxBodyBytes)} limit`,
        'narrow the request with filters',
      );
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      discard(res.body);
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > maxBodyBytes) {
        discard(res.body);
        throw tooLarge();
      }
      chunks.push(buf);
    }
    return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, total) };
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw transportError(err, ep, { method, path, timeoutMs, gotHeaders });
  }
}

/** Drops an unread body; the listener keeps undici's abort error from surfacing as uncaught. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function parseJsonBody<T>(body: Buffer, ep: DockerEndpoint, method: string, path: string): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    const preview = oneLine(body.subarray(0, 80).toString('utf8'), 60);
    throw new SourceError(
      `Docker daemon at ${describeEndpoint(ep)} sent invalid JSON for ${method} ${path}: ${oneLine((err as Error).message)}${preview ? ` (starts with ${JSON.stringify(preview)})` : ' (empty body)'}`,
      'is this address really a Docker Engine API?',
      { cause: err },
    );
  }
}

function pingInfo(headers: Record<string, string | string[] | undefined>): PingInfo {
  const one = (name: string): string | null => {
    const v = headers[name];
    const s = Array.isArray(v) ? v[0] : v;
    return s === undefined || s.trim() === '' ? null : s.trim();
  };
  const apiVersion = one('api-version');
  const experimental = one('docker-experimental');
  return {
    apiVersion: apiVersion !== null && parseVersion(apiVersion) !== null ? apiVersion : null,
    osType: one('ostype'),
    swarm: one('swarm'),
    experimental: experimental === null ? null : experimental === 'true',
  };
}

export function parseVersion(v: string): [number, number] | null {
  const m = /^(\d{1,4})\.(\d{1,4})$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Numeric compare of "major.minor" API versions (1.9 < 1.41). Both must be valid. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = parseVersion(a)!;
  const [bm, bn] = parseVersion(b)!;
  return am !== bm ? am - bm : an - bn;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
