// Turns transport and HTTP failures talking to the Engine API into one-line SourceErrors that name
// the endpoint, say what happened and hint at what to try. Kept apart from engine.ts (and free of
// undici imports: undici errors are recognized by their `code`) so the mapping can be tested with
// injected errors and the error classes can be imported without loading undici.

import { SourceError } from '../../model/errors.js';
import { describeEndpoint, type DockerEndpoint } from './endpoint.js';

/** The daemon answered with an HTTP error status. */
export class EngineHttpError extends SourceError {
  readonly status: number;
  /** Request path as sent, including the /vX.Y prefix. */
  readonly path: string;
  /** The daemon's `message` field (or the body text), one line; null when there was none. */
  readonly daemonMessage: string | null;
  constructor(message: string, status: number, path: string, daemonMessage: string | null, hint?: string) {
    super(message, hint);
    this.status = status;
    this.path = path;
    this.daemonMessage = daemonMessage;
  }
}

/** HTTP 404: the object (container, network, file) does not exist, e.g. it vanished since it was listed. */
export class NotFoundError extends EngineHttpError {}

export interface RequestInfo {
  method: string;
  /** Path as sent, with version prefix and query. */
  path: string;
  timeoutMs: number;
  /** Whether response headers had arrived when the failure happened. */
  gotHeaders: boolean;
}

const CA_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

const CLIENT_CERT_HINT = 'put the client cert.pem and key.pem in DOCKER_CERT_PATH (or the context)';
const UNTRUSTED_CLIENT_HINT = "the daemon does not trust the CA that signed it: check dockerd's --tlscacert";

/** Maps a failure below HTTP (socket, TLS, timeout, closed connection) to a SourceError. */
export function transportError(err: unknown, ep: DockerEndpoint, req: RequestInfo): SourceError {
  const chain = errorChain(err);
  const codes = chain.map((e) => e.code).filter((c): c is string => typeof c === 'string');
  const has = (...cs: string[]): boolean => cs.some((c) => codes.includes(c));
  const first = chain[0];
  const detail = oneLine(first?.message ?? String(err));
  const where = describeEndpoint(ep);
  const what = `${req.method} ${shortPath(req.path)}`;
  const secs = seconds(req.timeoutMs);
  const make = (message: string, hint?: string): SourceError => new SourceError(message, hint, { cause: err });
  const ctx = ep.context ? ` (context "${ep.context}")` : '';
  const plainTcp = ep.kind === 'tcp' && ep.tls === null;
  const tlsHint = 'if the daemon uses TLS, set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or use an https:// address';

  // Socket-level failures: the most common ones first.
  if (has('ENOENT') && ep.kind === 'unix') {
    return make(`no Docker socket at ${ep.socketPath}${ctx}`, 'is dockerd running? Use --host or DOCKER_HOST to reach another daemon, or --snapshot FILE to analyse a captured snapshot');
  }
  if (has('EACCES', 'EPERM')) {
    const target = ep.kind === 'unix' ? `the Docker socket at ${ep.socketPath}${ctx}` : where;
    return make(
      `permission denied connecting to ${target}`,
      ep.kind === 'unix' ? 'add your user to the docker group (sudo usermod -aG docker "$USER", then log in again) or run with sudo' : undefined,
    );
  }
  if (has('ECONNREFUSED')) {
    if (ep.kind === 'unix') return make(`the Docker socket at ${ep.socketPath}${ctx} refused the connection`, 'nothing is listening on it (stale socket?): start dockerd, use --host, or --snapshot FILE to analyse a captured snapshot');
    return make(`connection refused by ${where}`, `is dockerd listening on ${ep.hostname}:${ep.port}? (2375 is the usual plain port, 2376 the TLS one)`);
  }
  if (has('ENOTSOCK')) return make(`${ep.socketPath}${ctx} is not a socket`, 'point --host or DOCKER_HOST at the Docker socket');
  if (has('ENOTDIR')) return make(`no Docker socket at ${ep.socketPath}${ctx} (a parent is not a directory)`, 'check the socket path');
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL')) {
    return make(`cannot resolve the Docker host "${ep.hostname}"${ctx}`, 'check the host name in --host, DOCKER_HOST or the context');
  }
  if (has('EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN')) {
    return make(`cannot reach ${where}: ${codes.find((c) => c.startsWith('E')) ?? detail}`, 'check the address and the network path to the daemon');
  }
  if (has('UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT')) {
    return make(`could not connect to ${where} within ${secs}`, 'check the address, and any firewall between here and the daemon');
  }
  if (has('UND_ERR_HEADERS_TIMEOUT')) {
    return make(
      `Docker daemon at ${where} accepted the connection but did not answer ${what} within ${secs}`,
      'the daemon may be hung or overloaded: check `systemctl status docker` and its logs',
    );
  }
  if (has('UND_ERR_BODY_TIMEOUT')) {
    return make(`Docker daemon at ${where} stopped sending the response to ${what} (nothing for ${secs})`, 'the daemon may be hung or overloaded; try again');
  }

  // TLS, checked before "connection closed": a handshake failure often also closes the socket.
  const tlsFailure = tlsError(codes, detail, ep, where);
  if (tlsFailure) return make(tlsFailure.message, tlsFailure.hint);

  // With TLS 1.3 a daemon checks the client certificate after our handshake is done, and the
  // rejection often arrives as a bare close before any response: name the likely cause.
  if (ep.tls && !req.gotHeaders && has('UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE')) {
    const dir = ep.tls.files?.dir ?? 'DOCKER_CERT_PATH';
    const closed = `TLS: ${where} closed the connection right after the handshake`;
    if (!ep.tls.cert) {
      return make(`${closed}: it probably requires a client certificate, and none was found (looked for ${dir}/cert.pem and key.pem)`, CLIENT_CERT_HINT);
    }
    return make(`${closed}: it probably rejected the client certificate ${ep.tls.files?.cert ?? 'cert.pem'}`, UNTRUSTED_CLIENT_HINT);
  }
  if (has('UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')) {
    const happened = req.gotHeaders ? `closed the connection mid-response to ${what}` : `closed the connection without answering ${what}`;
    return make(`Docker daemon at ${where} ${happened}`, plainTcp ? tlsHint : 'the daemon may have restarted or crashed; try again');
  }
  if (has('UND_ERR_DESTROYED', 'UND_ERR_CLOSED', 'UND_ERR_ABORTED')) {
    return make(`${what} to ${where} was cancelled: the client was closed`);
  }
  return make(`${what} to ${where} failed: ${detail}`);
}

function tlsError(codes: string[], detail: string, ep: DockerEndpoint, where: string): { message: string; hint?: string } | null {
  const code = codes.find((c) => CA_CODES.has(c) || c.startsWith('CERT_') || c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_') || c.startsWith('ERR_OSSL_') || c === 'EPROTO');
  if (code === undefined) return null;
  const files = ep.tls?.files;
  const dir = files?.dir ?? 'DOCKER_CERT_PATH';

  if (CA_CODES.has(code)) {
    const trusted = ep.tls?.ca ? `the CA in ${files?.ca ?? 'ca.pem'}` : `the system CAs (no ca.pem in ${dir})`;
    return {
      message: `TLS: the certificate of ${where} is not signed by ${trusted} (${code})`,
      hint: "point DOCKER_CERT_PATH (or the context's TLS files) at the daemon's ca.pem",
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    const state = code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet';
    return { message: `TLS: the certificate of ${where} ${state}`, hint: "renew the daemon's certificate, or check this machine's clock" };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      message: `TLS: the certificate of ${where} is not valid for the name "${ep.hostname}"`,
      hint: 'connect with a name or address the certificate lists, or reissue it with that name in subjectAltName',
    };
  }
  if (/ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE|ACCESS_DENIED|DECRYPT_ERROR)/.test(code)) {
    if (!ep.tls?.cert) {
      return {
        message: `TLS: ${where} requires a client certificate and none was found (looked for ${dir}/cert.pem and key.pem)`,
        hint: CLIENT_CERT_HINT,
      };
    }
    return {
      message: `TLS: ${where} rejected the client certificate ${files?.cert ?? 'cert.pem'} (${code})`,
      hint: UNTRUSTED_CLIENT_HINT,
    };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || /wrong version number|packet length too long/i.test(detail)) {
    return {
      message: `TLS handshake with ${where} failed: it does not speak TLS on port ${ep.port}`,
      hint: 'unset DOCKER_TLS_VERIFY and DOCKER_TLS, or use the daemon\'s TLS port (usually 2376)',
    };
  }
  if (code.startsWith('ERR_OSSL_')) {
    return {
      message: `cannot use the TLS files for ${where}: ${detail}`,
      hint: `check that cert.pem and key.pem in ${dir} are PEM files that belong together`,
    };
  }
  return { message: `TLS handshake with ${where} failed: ${detail}` };
}

/** Maps an HTTP error status (>= 400) from the daemon to an EngineHttpError or NotFoundError. */
export function httpError(status: number, body: Buffer, ep: DockerEndpoint, method: string, path: string): EngineHttpError {
  const daemonMessage = daemonMessageOf(body);
  const where = describeEndpoint(ep);
  const what = `${method} ${shortPath(path)}`;
  const suffix = daemonMessage ? `: ${daemonMessage}` : '';
  if (status === 404) {
    return new NotFoundError(`Docker daemon at ${where}: ${what} → not found (HTTP 404)${suffix}`, status, path, daemonMessage);
  }
  // Go's TLS server answers plain HTTP with this 400: the client should have used TLS.
  if (status === 400 && daemonMessage && /HTTP request to an HTTPS server/i.test(daemonMessage)) {
    return new EngineHttpError(
      `Docker daemon at ${where} expects TLS but was spoken to in plain HTTP`,
      status,
      path,
      daemonMessage,
      'set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or use an https:// address',
    );
  }
  return new EngineHttpError(`Docker daemon at ${where} answered ${what} with HTTP ${status}${suffix}`, status, path, daemonMessage);
}

/** The daemon's JSON `{"message": ...}`, or else the body text, flattened to one line. */
export function daemonMessageOf(body: Buffer): string | null {
  const text = body.toString('utf8').trim();
  if (text === '') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') {
      return oneLine((parsed as { message: string }).message) || null;
    }
  } catch {
    // Not JSON: fall through to the raw text (proxies and old daemons answer in plain text).
  }
  return oneLine(text);
}

interface ErrLike {
  code?: unknown;
  message?: string;
}

/** The error, its causes and (for AggregateError from happy-eyeballs connects) its members. Bounded depth. */
function errorChain(err: unknown): ErrLike[] {
  const out: ErrLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null) continue;
    out.push(e as ErrLike);
    const cause = (e as { cause?: unknown }).cause;
    if (cause !== undefined) queue.push(cause);
    const members = (e as { errors?: unknown }).errors;
    if (Array.isArray(members)) queue.push(...members.slice(0, 8));
  }
  return out;
}

export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(3))} s`;
}

function shortPath(path: string): string {
  return path.length > 160 ? `${path.slice(0, 160)}…` : path;
}

export function oneLine(s: string, max = 300): string {
  const flat = s.replace(/[\s\0-\x1f\x7f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
