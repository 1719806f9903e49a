// Docker Engine API client: version negotiation, JSON GETs with timeouts and a body cap, and file
// reads through the archive endpoint. The only module that loads undici; callers import it
// dynamically so snapshot-only commands never pay for it.

import { Pool } from 'undici';
import { SourceError } from '../../model/errors.js';
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
type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** Per-call options of the write calls: a longer (or shorter) timeout, and cancellation. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What POST /containers/create needs for a probe sidecar (a subset of the Engine's body). */
export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[] | null;
  Labels?: Record<string, string>;
  User?: string;
  HostConfig?: { NetworkMode?: string; AutoRemove?: boolean; CapAdd?: string[]; CapDrop?: string[]; ReadonlyRootfs?: boolean };
  NetworkDisabled?: boolean;
}

/** One frame of a multiplexed (non-TTY) attach/logs stream. */
export interface StreamFrame {
  stream: 'stdin' | 'stdout' | 'stderr';
  data: Buffer;
}

export interface ExecInspect {
  ExitCode: number | null;
  Running: boolean;
  Pid?: number;
}

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

  // ---------------------------------------------------------------------------------------------
  // Write calls (probe sidecars and exec). Each has the client's timeout unless the call gives
  // its own, and an optional AbortSignal; HTTP errors become EngineHttpError/NotFoundError.

  /** POST /containers/create; returns the new container's id. NotFoundError when the image is absent. */
  async createContainer(body: ContainerCreateBody, name?: string, opts: CallOptions = {}): Promise<string> {
    const res = await this.call<{ Id?: unknown }>('POST', '/containers/create', name ? { name } : undefined, body, opts);
    if (typeof res?.Id !== 'string' || res.Id === '') throw new SourceError(`Docker daemon at ${describeEndpoint(this.endpoint)} created a container but returned no id`);
    return res.Id;
  }

  /** POST /containers/{id}/start (a 304 "already started" is success). */
  async startContainer(id: string, opts: CallOptions = {}): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/start`, undefined, undefined, opts, [304]);
  }

  /** POST /containers/{id}/wait: blocks until the container stops; returns its exit code. */
  async waitContainer(id: string, opts: CallOptions = {}): Promise<number | null> {
    const res = await this.call<{ StatusCode?: unknown }>('POST', `/containers/${encodeURIComponent(id)}/wait`, { condition: 'not-running' }, undefined, opts);
    return typeof res?.StatusCode === 'number' ? res.StatusCode : null;
  }

  /** GET /containers/{id}/logs (stdout and stderr), demultiplexed. For containers without a TTY. */
  async containerLogs(id: string, opts: CallOptions = {}): Promise<StreamFrame[]> {
    const full = this.versioned(`/containers/${encodeURIComponent(id)}/logs`, { stdout: 1, stderr: 1 });
    const res = await this.sendWith('GET', full, undefined, opts);
    if (res.status >= 400) throw httpError(res.status, res.body, this.endpoint, 'GET', full);
    return demuxStream(res.body);
  }

  /** DELETE /containers/{id}?force=1&v=1. A container that is already gone is not an error. */
  async removeContainer(id: string, opts: CallOptions = {}): Promise<void> {
    const full = this.versioned(`/containers/${encodeURIComponent(id)}`, { force: 1, v: 1 });
    const res = await this.sendWith('DELETE', full, undefined, opts);
    if (res.status === 404) return;
    if (res.status >= 400) throw httpError(res.status, res.body, this.endpoint, 'DELETE', full);
  }

  /** GET /images/{name}/json: true when the daemon has the image (never pulls). */
  async imageExists(name: string, opts: CallOptions = {}): Promise<boolean> {
    const full = this.versioned(`/images/${encodeURIComponent(name)}/json`);
    const res = await this.sendWith('GET', full, undefined, opts);
    if (res.status === 404) return false;
    if (res.status >= 400) throw httpError(res.status, res.body, this.endpoint, 'GET', full);
    return true;
  }

  /** POST /containers/{id}/exec: creates an exec instance attached to stdout and stderr; returns its id. */
  async execCreate(id: string, cmd: string[], opts: CallOptions = {}): Promise<string> {
    const body = { Cmd: cmd, AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false };
    const res = await this.call<{ Id?: unknown }>('POST', `/containers/${encodeURIComponent(id)}/exec`, undefined, body, opts);
    if (typeof res?.Id !== 'string' || res.Id === '') throw new SourceError(`Docker daemon at ${describeEndpoint(this.endpoint)} created an exec instance but returned no id`);
    return res.Id;
  }

  /**
   * POST /exec/{id}/start, attached: waits for the command to end and returns its output,
   * demultiplexed. The daemon streams the output as the response body and closes it at the end.
   */
  async execStart(execId: string, opts: CallOptions = {}): Promise<StreamFrame[]> {
    const full = this.versioned(`/exec/${encodeURIComponent(execId)}/start`);
    const res = await this.sendWith('POST', full, { Detach: false, Tty: false }, opts);
    if (res.status >= 400) throw httpError(res.status, res.body, this.endpoint, 'POST', full);
    return demuxStream(res.body);
  }

  /** GET /exec/{id}/json: exit code (null while running). */
  async execInspect(execId: string, opts: CallOptions = {}): Promise<ExecInspect> {
    const res = await this.call<{ ExitCode?: unknown; Running?: unknown; Pid?: unknown }>('GET', `/exec/${encodeURIComponent(execId)}/json`, undefined, undefined, opts);
    return {
      ExitCode: typeof res?.ExitCode === 'number' ? res.ExitCode : null,
      Running: res?.Running === true,
      ...(typeof res?.Pid === 'number' ? { Pid: res.Pid } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // destroy, not close: a CLI that is finishing (or interrupted) should not wait on keep-alive sockets.
    await this.pool.destroy().catch(() => undefined);
  }

  private send(path: string): Promise<RawResponse> {
    return this.sendWith('GET', path);
  }

  private sendWith(method: HttpMethod, path: string, body?: unknown, opts: CallOptions = {}): Promise<RawResponse> {
    if (this.closed) {
      return Promise.reject(new SourceError(`${method} ${path} to ${describeEndpoint(this.endpoint)} was cancelled: the client was closed`));
    }
    if (opts.signal?.aborted) return Promise.reject(new SourceError(`${method} ${path} to ${describeEndpoint(this.endpoint)} was cancelled`));
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return Promise.reject(new RangeError(`timeoutMs must be positive, got ${timeoutMs}`));
    return sendRaw(this.pool, this.endpoint, method, path, timeoutMs, this.maxBodyBytes, { body, signal: opts.signal });
  }

  /** A JSON call; `okStatuses` are extra non-2xx statuses that count as success (empty result). */
  private async call<T>(method: HttpMethod, path: string, query: Query | undefined, body: unknown, opts: CallOptions, okStatuses: number[] = []): Promise<T | null> {
    const full = this.versioned(path, query);
    const res = await this.sendWith(method, full, body, opts);
    if (okStatuses.includes(res.status)) return null;
    if (res.status >= 400) throw httpError(res.status, res.body, this.endpoint, method, full);
    if (res.status === 204 || res.body.length === 0) return null;
    return parseJsonBody<T>(res.body, this.endpoint, method, full);
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
async function sendRaw(
  pool: Pool,
  ep: DockerEndpoint,
  method: HttpMethod,
  path: string,
  timeoutMs: number,
  maxBodyBytes: number,
  extra: { body?: unknown; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  let gotHeaders = false;
  try {
    const hasBody = extra.body !== undefined;
    const res = await pool.request({
      method,
      path,
      headers: hasBody ? { accept: 'application/json', 'content-type': 'application/json' } : { accept: 'application/json' },
      ...(hasBody ? { body: JSON.stringify(extra.body) } : {}),
      ...(extra.signal ? { signal: extra.signal } : {}),
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
    // An abort is the caller's choice (Ctrl-C), not a transport failure: say so plainly.
    if (extra.signal?.aborted) throw new SourceError(`${method} ${path} to ${describeEndpoint(ep)} was cancelled`, undefined, { cause: err });
    throw transportError(err, ep, { method, path, timeoutMs, gotHeaders });
  }
}

/**
 * Splits a multiplexed attach/logs stream: frames of [stream byte, 0, 0, 0, big-endian u32 size]
 * followed by size bytes. A body that does not start like a frame header came from a TTY
 * container and is returned whole as stdout; a truncated last frame keeps what arrived.
 */
export function demuxStream(buf: Buffer): StreamFrame[] {
  const names = ['stdin', 'stdout', 'stderr'] as const;
  const frames: StreamFrame[] = [];
  let off = 0;
  while (off < buf.length) {
    const kind = buf[off]!;
    if (buf.length - off < 8 || kind > 2 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) {
      if (off === 0) return [{ stream: 'stdout', data: buf }];
      frames.push({ stream: 'stdout', data: buf.subarray(off) });
      break;
    }
    const size = buf.readUInt32BE(off + 4);
    const end = Math.min(buf.length, off + 8 + size);
    frames.push({ stream: names[kind]!, data: buf.subarray(off + 8, end) });
    off = end;
  }
  return frames;
}

/** The text of one stream (stdout or stderr) of demultiplexed frames. */
export function streamText(frames: StreamFrame[], stream: 'stdout' | 'stderr'): string {
  return Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.data)).toString('utf8');
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
