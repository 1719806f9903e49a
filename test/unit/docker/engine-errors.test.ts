// Error mapping with injected errors: covers failures a test cannot provoke for real here (EACCES
// when the socket test cannot drop privileges, DNS, TLS alerts a Go daemon sends, expired certs).

import { describe, expect, it } from 'vitest';
import { EXIT, SourceError, exitCodeOf } from '../../../src/cli/errors.js';
import type { DockerEndpoint } from '../../../src/sources/docker/endpoint.js';
import { EngineHttpError, NotFoundError, daemonMessageOf, httpError, seconds, transportError, type RequestInfo } from '../../../src/sources/docker/engine-errors.js';

const sock: DockerEndpoint = { url: 'unix:///var/run/docker.sock', kind: 'unix', socketPath: '/var/run/docker.sock', hostname: null, port: null, tls: null, context: null, isLocal: true };
const remote: DockerEndpoint = { url: 'tcp://docker.example:2375', kind: 'tcp', socketPath: null, hostname: 'docker.example', port: 2375, tls: null, context: 'prod', isLocal: false };
const tlsEp = (cert: boolean): DockerEndpoint => ({
  ...remote,
  url: 'tcp://docker.example:2376',
  port: 2376,
  tls: {
    ca: Buffer.from('ca'),
    cert: cert ? Buffer.from('cert') : null,
    key: cert ? Buffer.from('key') : null,
    verify: true,
    files: { ca: '/certs/ca.pem', cert: cert ? '/certs/cert.pem' : null, key: cert ? '/certs/key.pem' : null, dir: '/certs' },
  },
});
const req: RequestInfo = { method: 'GET', path: '/_ping', timeoutMs: 10_000, gotHeaders: false };

function coded(code: string, message = `injected ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

function mapped(err: unknown, ep: DockerEndpoint, r: RequestInfo = req): SourceError {
  const e = transportError(err, ep, r);
  expect(e).toBeInstanceOf(SourceError);
  expect(exitCodeOf(e)).toBe(EXIT.sourceUnavailable);
  expect(e.message).not.toMatch(/[\r\n]/);
  expect(e.cause).toBe(err);
  return e;
}

describe('transportError', () => {
  it('EACCES on the socket suggests the docker group or sudo', () => {
    const e = mapped(coded('EACCES', 'connect EACCES /var/run/docker.sock'), sock);
    expect(e.message).toBe('permission denied connecting to the Docker socket at /var/run/docker.sock');
    expect(e.hint).toMatch(/usermod -aG docker/);
    expect(e.hint).toMatch(/sudo/);
  });

  it('ENOENT on the default socket matches the documented wording', () => {
    const e = mapped(coded('ENOENT'), sock);
    expect(`${e.message} — ${e.hint}`).toMatch(/^no Docker socket at \/var\/run\/docker\.sock — is dockerd running\? Use --host or DOCKER_HOST/);
  });

  it('names the context in socket errors', () => {
    expect(mapped(coded('ENOENT'), { ...sock, context: 'rootless' }).message).toBe('no Docker socket at /var/run/docker.sock (context "rootless")');
  });

  it('finds the code inside an AggregateError (happy eyeballs) or a cause chain', () => {
    const agg = new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'connect failed');
    expect(mapped(agg, remote).message).toBe('connection refused by tcp://docker.example:2375 (context "prod")');
    const wrapped = new Error('outer', { cause: coded('ENOTFOUND') });
    expect(mapped(wrapped, remote).message).toBe('cannot resolve the Docker host "docker.example" (context "prod")');
  });

  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', /^could not connect to tcp:\/\/docker\.example:2375 \(context "prod"\) within 10 s$/],
    ['ETIMEDOUT', /within 10 s$/],
    ['EHOSTUNREACH', /^cannot reach .*: EHOSTUNREACH$/],
    ['UND_ERR_DESTROYED', /cancelled: the client was closed$/],
  ])('%s', (code, pattern) => {
    expect(mapped(coded(code), remote).message).toMatch(pattern);
  });

  it('a Go daemon alert "certificate required" without a client cert says where certs were looked for', () => {
    const e = mapped(coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), tlsEp(false));
    expect(e.message).toBe('TLS: tcp://docker.example:2376 (context "prod") requires a client certificate and none was found (looked for /certs/cert.pem and key.pem)');
  });

  it('a "bad certificate" alert with a client cert names the cert file', () => {
    const e = mapped(coded('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), tlsEp(true));
    expect(e.message).toMatch(/rejected the client certificate \/certs\/cert\.pem \(ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE\)$/);
  });

  it('an expired daemon certificate', () => {
    expect(mapped(coded('CERT_HAS_EXPIRED'), tlsEp(true)).message).toBe('TLS: the certificate of tcp://docker.example:2376 (context "prod") has expired');
  });

  it('an unknown TLS error keeps the library message on one line', () => {
    const e = mapped(coded('ERR_SSL_SOMETHING_NEW', 'line one\nline two'), tlsEp(true));
    expect(e.message).toBe('TLS handshake with tcp://docker.example:2376 (context "prod") failed: line one line two');
  });

  it('a closed connection mid-body is not blamed on TLS', () => {
    const e = mapped(coded('UND_ERR_SOCKET', 'other side closed'), tlsEp(true), { ...req, path: '/v1.51/info', gotHeaders: true });
    expect(e.message).toBe('Docker daemon at tcp://docker.example:2376 (context "prod") closed the connection mid-response to GET /v1.51/info');
  });

  it('anything else falls back to the request and the library message', () => {
    const e = mapped(new Error('something odd'), remote);
    expect(e.message).toBe('GET /_ping to tcp://docker.example:2375 (context "prod") failed: something odd');
    expect(mapped('a string', remote).message).toMatch(/failed: a string$/);
  });
});

describe('httpError', () => {
  it('404 is a NotFoundError (a SourceError, exit 3)', () => {
    const e = httpError(404, Buffer.from('{"message":"network n1 not found"}'), remote, 'GET', '/v1.51/networks/n1');
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e).toBeInstanceOf(SourceError);
    expect(exitCodeOf(e)).toBe(EXIT.sourceUnavailable);
    expect(e.message).toContain('network n1 not found');
  });

  it('other statuses are EngineHttpErrors with status and message', () => {
    const e = httpError(400, Buffer.from('{"message":"client version 1.51 is too new. Maximum supported API version is 1.43"}'), sock, 'GET', '/v1.51/info');
    expect(e).toBeInstanceOf(EngineHttpError);
    expect(e).not.toBeInstanceOf(NotFoundError);
    expect(e.message).toBe('Docker daemon at unix:///var/run/docker.sock answered GET /v1.51/info with HTTP 400: client version 1.51 is too new. Maximum supported API version is 1.43');
  });

  it('no body means no message', () => {
    const e = httpError(503, Buffer.alloc(0), sock, 'GET', '/v1.51/info');
    expect(e.daemonMessage).toBeNull();
    expect(e.message).toMatch(/with HTTP 503$/);
  });

  it('daemonMessageOf flattens and truncates', () => {
    expect(daemonMessageOf(Buffer.from('{"message":"a\\n\\tb"}'))).toBe('a b');
    expect(daemonMessageOf(Buffer.from('{"other":1}'))).toBe('{"other":1}');
    expect(daemonMessageOf(Buffer.from('x'.repeat(1000)))!.length).toBeLessThanOrEqual(301);
  });

  it('formats seconds', () => {
    expect(seconds(10_000)).toBe('10 s');
    expect(seconds(300)).toBe('0.3 s');
    expect(seconds(1500)).toBe('1.5 s');
  });
});
