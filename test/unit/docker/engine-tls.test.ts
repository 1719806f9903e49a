import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, SourceError, exitCodeOf } from '../../../src/cli/errors.js';
import { type DockerEndpoint, type DockerTls, resolveEndpoint } from '../../../src/sources/docker/endpoint.js';
import { EngineClient } from '../../../src/sources/docker/engine.js';
import { type FakeEngine, type TlsFixture, hasOpenssl, makeTlsFixture, sendJson, startFakeEngine } from '../../support/fake-engine.js';

// Mutual TLS as dockerd --tlsverify does it: the server checks client certs against its CA.
describe.skipIf(!hasOpenssl())('TLS', () => {
  let fx: TlsFixture;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(() => {
    fx = makeTlsFixture();
  });
  afterAll(() => fx?.cleanup());
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  async function server(which: 'good' | 'wrongname' = 'good'): Promise<FakeEngine> {
    const f = await startFakeEngine({
      listen: { tcp: true, unix: false },
      tls: which === 'good' ? { key: fx.serverKey, cert: fx.serverCert, ca: fx.caCert, requestCert: true } : { key: fx.wrongNameKey, cert: fx.wrongNameCert, ca: fx.caCert, requestCert: true },
      routes: { '/info': (_q, r) => sendJson(r, 200, { Name: 'tls-host' }) },
    });
    cleanups.push(() => f.close());
    return f;
  }

  const files = (): NonNullable<DockerTls['files']> => ({ ca: join(fx.dir, 'ca.pem'), cert: join(fx.dir, 'client.pem'), key: join(fx.dir, 'client-key.pem'), dir: fx.dir });
  const goodTls = (over: Partial<DockerTls> = {}): DockerTls => ({ ca: fx.caCert, cert: fx.clientCert, key: fx.clientKey, verify: true, files: files(), ...over });

  async function connectOk(ep: DockerEndpoint): Promise<EngineClient> {
    const c = await EngineClient.connect(ep, { timeoutMs: 3000 });
    cleanups.push(() => c.close());
    return c;
  }

  async function tlsFailure(ep: DockerEndpoint): Promise<SourceError> {
    const err = await EngineClient.connect(ep, { timeoutMs: 3000 }).then(
      async (c) => {
        await c.close();
        throw new Error('expected a TLS failure, got a connection');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceError);
    const e = err as SourceError;
    expect(exitCodeOf(e)).toBe(EXIT.sourceUnavailable);
    expect(e.message).not.toMatch(/[\r\n]/);
    return e;
  }

  it('connects with the right CA and client certificate', async () => {
    const f = await server();
    const c = await connectOk(f.tcpEndpoint(goodTls()));
    expect(c.apiVersion).toBe('1.47');
    expect(await c.get('/info')).toEqual({ Name: 'tls-host' });
  });

  it('connects end to end from DOCKER_HOST + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH', async () => {
    const f = await server();
    const certDir = join(fx.dir, 'docker-cert-path');
    mkdirSync(certDir, { recursive: true });
    writeFileSync(join(certDir, 'ca.pem'), fx.caCert);
    writeFileSync(join(certDir, 'cert.pem'), fx.clientCert);
    writeFileSync(join(certDir, 'key.pem'), fx.clientKey);
    const ep = resolveEndpoint({ env: { DOCKER_HOST: `tcp://127.0.0.1:${f.port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir }, dockerConfigDir: fx.dir });
    const c = await connectOk(ep);
    expect(await c.get('/info')).toEqual({ Name: 'tls-host' });
  });

  it('a wrong CA is one line naming the CA file', async () => {
    const f = await server();
    const e = await tlsFailure(f.tcpEndpoint(goodTls({ ca: fx.otherCaCert })));
    expect(e.message).toMatch(new RegExp(`^TLS: the certificate of https://127\\.0\\.0\\.1:${f.port} is not signed by the CA in ${join(fx.dir, 'ca.pem').replace(/\./g, '\\.')} \\([A-Z_]+\\)$`));
    expect(e.hint).toMatch(/DOCKER_CERT_PATH/);
  });

  it('no CA file means the system CAs, and says so', async () => {
    const f = await server();
    const e = await tlsFailure(f.tcpEndpoint(goodTls({ ca: null })));
    expect(e.message).toContain(`not signed by the system CAs (no ca.pem in ${fx.dir})`);
  });

  it('without verification (DOCKER_TLS) a wrong CA is accepted', async () => {
    const f = await server();
    const c = await connectOk(f.tcpEndpoint(goodTls({ ca: fx.otherCaCert, verify: false })));
    expect(await c.get('/info')).toEqual({ Name: 'tls-host' });
  });

  it('a hostname mismatch names the host', async () => {
    const f = await server('wrongname');
    const e = await tlsFailure(f.tcpEndpoint(goodTls()));
    expect(e.message).toBe(`TLS: the certificate of https://127.0.0.1:${f.port} is not valid for the name "127.0.0.1"`);
    expect(e.hint).toMatch(/subjectAltName/);
  });

  it('a missing client certificate says where it was looked for', async () => {
    const f = await server();
    const e = await tlsFailure(f.tcpEndpoint(goodTls({ cert: null, key: null })));
    // Node's TLS 1.3 server closes without an alert, so the message can only say "probably".
    expect(e.message).toBe(
      `TLS: https://127.0.0.1:${f.port} closed the connection right after the handshake: it probably requires a client certificate, and none was found (looked for ${fx.dir}/cert.pem and key.pem)`,
    );
    expect(e.hint).toMatch(/cert\.pem and key\.pem/);
  });

  it('a client certificate from an untrusted CA names the certificate file', async () => {
    const f = await server();
    const e = await tlsFailure(f.tcpEndpoint(goodTls({ cert: fx.rogueClientCert, key: fx.rogueClientKey })));
    expect(e.message).toBe(`TLS: https://127.0.0.1:${f.port} closed the connection right after the handshake: it probably rejected the client certificate ${join(fx.dir, 'client.pem')}`);
    expect(e.hint).toMatch(/--tlscacert/);
  });

  it('a key that does not match the certificate is reported as a TLS file problem', async () => {
    const f = await server();
    const e = await tlsFailure(f.tcpEndpoint(goodTls({ key: fx.rogueClientKey })));
    expect(e.message).toMatch(/^cannot use the TLS files for https:\/\/127\.0\.0\.1:\d+: /);
    expect(e.hint).toContain(fx.dir);
  });

  it('TLS against a plain HTTP port says the daemon does not speak TLS', async () => {
    const plain = await startFakeEngine({ listen: { tcp: true, unix: false } });
    cleanups.push(() => plain.close());
    const e = await tlsFailure(plain.tcpEndpoint(goodTls()));
    expect(e.message).toBe(`TLS handshake with https://127.0.0.1:${plain.port} failed: it does not speak TLS on port ${plain.port}`);
    expect(e.hint).toMatch(/unset DOCKER_TLS_VERIFY/);
  });

  it('plain HTTP against a TLS port fails in one line with a TLS hint', async () => {
    const f = await server();
    const e = await tlsFailure(f.tcpEndpoint(null));
    expect(e.message).toContain(`tcp://127.0.0.1:${f.port}`);
    expect(e.hint).toMatch(/DOCKER_TLS_VERIFY=1/);
  });
});
