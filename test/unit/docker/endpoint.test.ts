import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, InputError, exitCodeOf } from '../../../src/cli/errors.js';
import { describeEndpoint, isLoopbackHost, resolveEndpoint } from '../../../src/sources/docker/endpoint.js';

let cfg: string;

beforeEach(() => {
  cfg = mkdtempSync(join(tmpdir(), 'netsleuth-dockercfg-'));
});
afterEach(() => {
  rmSync(cfg, { recursive: true, force: true });
});

const sha = (name: string): string => createHash('sha256').update(name).digest('hex');

function addContext(name: string, host: string, opts: { skipTls?: boolean; tls?: Record<string, string> } = {}): void {
  const metaDir = join(cfg, 'contexts', 'meta', sha(name));
  mkdirSync(metaDir, { recursive: true });
  const docker: Record<string, unknown> = { Host: host, SkipTLSVerify: opts.skipTls ?? false };
  writeFileSync(join(metaDir, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker } }));
  if (opts.tls) {
    const tlsDir = join(cfg, 'contexts', 'tls', sha(name), 'docker');
    mkdirSync(tlsDir, { recursive: true });
    for (const [file, text] of Object.entries(opts.tls)) writeFileSync(join(tlsDir, file), text);
  }
}

function setCurrent(name: string): void {
  writeFileSync(join(cfg, 'config.json'), JSON.stringify({ auths: {}, currentContext: name }));
}

const resolve = (o: { host?: string; context?: string; env?: NodeJS.ProcessEnv } = {}) =>
  resolveEndpoint({ ...o, env: o.env ?? {}, dockerConfigDir: cfg });

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(exitCodeOf(e)).toBe(EXIT.badInput);
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error('expected an InputError');
}

describe('resolveEndpoint precedence', () => {
  it('defaults to the standard unix socket', () => {
    const ep = resolve();
    expect(ep).toEqual({
      url: 'unix:///var/run/docker.sock',
      kind: 'unix',
      socketPath: '/var/run/docker.sock',
      hostname: null,
      port: null,
      tls: null,
      context: null,
      isLocal: true,
    });
  });

  it('--host beats --context, DOCKER_HOST and DOCKER_CONTEXT', () => {
    addContext('remote', 'tcp://10.1.2.3:2375');
    const ep = resolve({ host: 'unix:///tmp/a.sock', context: 'remote', env: { DOCKER_HOST: 'tcp://10.9.9.9', DOCKER_CONTEXT: 'remote' } });
    expect(ep.socketPath).toBe('/tmp/a.sock');
    expect(ep.context).toBeNull();
  });

  it('--context beats DOCKER_HOST', () => {
    addContext('remote', 'tcp://10.1.2.3:2375');
    const ep = resolve({ context: 'remote', env: { DOCKER_HOST: 'unix:///tmp/x.sock' } });
    expect(ep.url).toBe('tcp://10.1.2.3:2375');
    expect(ep.context).toBe('remote');
    expect(ep.isLocal).toBe(false);
    expect(describeEndpoint(ep)).toBe('tcp://10.1.2.3:2375 (context "remote")');
  });

  it('DOCKER_HOST beats DOCKER_CONTEXT and the config currentContext', () => {
    addContext('remote', 'tcp://10.1.2.3:2375');
    setCurrent('remote');
    const ep = resolve({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2999', DOCKER_CONTEXT: 'remote' } });
    expect(ep.url).toBe('tcp://127.0.0.1:2999');
    expect(ep.isLocal).toBe(true);
  });

  it('DOCKER_CONTEXT beats the config currentContext', () => {
    addContext('a', 'tcp://10.0.0.1:2375');
    addContext('b', 'tcp://10.0.0.2:2375');
    setCurrent('a');
    expect(resolve({ env: { DOCKER_CONTEXT: 'b' } }).hostname).toBe('10.0.0.2');
    expect(resolve().hostname).toBe('10.0.0.1');
  });

  it('context "default" means DOCKER_HOST or the default socket', () => {
    setCurrent('default');
    expect(resolve().socketPath).toBe('/var/run/docker.sock');
    expect(resolve({ context: 'default', env: { DOCKER_HOST: 'tcp://127.0.0.1:1234' } }).url).toBe('tcp://127.0.0.1:1234');
    expect(resolve({ context: 'default' }).context).toBeNull();
  });

  it('empty flag and env values count as unset', () => {
    expect(resolve({ host: '', context: ' ', env: { DOCKER_HOST: '', DOCKER_CONTEXT: '' } }).url).toBe('unix:///var/run/docker.sock');
  });

  it('reads DOCKER_CONFIG when no config dir is passed', () => {
    addContext('viaenv', 'tcp://10.4.4.4:2375');
    setCurrent('viaenv');
    const ep = resolveEndpoint({ env: { DOCKER_CONFIG: cfg } });
    expect(ep.hostname).toBe('10.4.4.4');
  });
});

describe('host parsing', () => {
  it.each([
    ['tcp://10.0.0.5', 'tcp://10.0.0.5:2375', '10.0.0.5', 2375, false],
    ['tcp://10.0.0.5:4243', 'tcp://10.0.0.5:4243', '10.0.0.5', 4243, false],
    ['tcp://localhost:2375', 'tcp://localhost:2375', 'localhost', 2375, true],
    ['tcp://127.1.2.3:80/', 'tcp://127.1.2.3:80', '127.1.2.3', 80, true],
    ['tcp://[::1]:2375', 'tcp://[::1]:2375', '::1', 2375, true],
    ['tcp://[fd00::5]', 'tcp://[fd00::5]:2375', 'fd00::5', 2375, false],
    ['tcp://:2375', 'tcp://127.0.0.1:2375', '127.0.0.1', 2375, true],
    ['docker.example:2375', 'tcp://docker.example:2375', 'docker.example', 2375, false],
    ['  TCP://10.0.0.5:1  ', 'tcp://10.0.0.5:1', '10.0.0.5', 1, false],
  ])('%s', (host, url, hostname, port, isLocal) => {
    const ep = resolve({ host });
    expect(ep).toMatchObject({ url, kind: 'tcp', hostname, port, isLocal, socketPath: null, tls: null });
  });

  it('unix:// with no path means the default socket', () => {
    expect(resolve({ host: 'unix://' }).socketPath).toBe('/var/run/docker.sock');
  });

  it.each([
    ['ssh://me@host', /ssh:\/\/ is not supported yet/],
    ['npipe:////./pipe/docker_engine', /npipe:\/\/ is not supported yet/],
    ['http://10.0.0.1:2375', /unknown scheme "http:\/\/"/],
    ['fd://', /unknown scheme/],
    ['tcp://10.0.0.1:notaport', /port "notaport" is not a number/],
    ['tcp://10.0.0.1:70000', /out of range/],
    ['tcp://10.0.0.1:0', /out of range/],
    ['tcp://10.0.0.1:2375/v1.41', /no path/],
    ['tcp://user@10.0.0.1', /no path, query, credentials/],
    ['tcp://::1:2375', /IPv6 addresses must be in brackets/],
    ['tcp://[::1', /unclosed/],
    ['tcp://[nonsense]:1', /not an IPv6 address/],
    ['tcp://bad_host!:1', /not a valid host name/],
    ['unix://relative.sock', /must be absolute/],
  ])('rejects %s with one line', (host, pattern) => {
    const e = inputError(() => resolve({ host }));
    expect(e.message).toMatch(pattern);
    expect(e.message).toContain('--host');
  });

  it('names DOCKER_HOST as the origin of a malformed value', () => {
    const e = inputError(() => resolve({ env: { DOCKER_HOST: 'tcp://x:y' } }));
    expect(e.message).toContain('(from DOCKER_HOST)');
    expect(e.hint).toMatch(/unix:\/\/\//);
  });

  it('control characters in input do not break the one-line message', () => {
    const e = inputError(() => resolve({ host: 'tcp://a\nb:1' }));
    expect(e.message).not.toContain('\n');
  });

  it('classifies loopback addresses', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.200.0.9')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0:0:0:0:0:0:0:1')).toBe(true);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('localhost.example.com')).toBe(false);
  });
});

describe('TLS from the environment', () => {
  function certDir(files: Record<string, string>): string {
    const d = join(cfg, 'certs');
    mkdirSync(d, { recursive: true });
    for (const [f, t] of Object.entries(files)) writeFileSync(join(d, f), t);
    return d;
  }

  it('DOCKER_TLS_VERIFY loads ca/cert/key from DOCKER_CERT_PATH and defaults to port 2376', () => {
    const d = certDir({ 'ca.pem': 'CA', 'cert.pem': 'CERT', 'key.pem': 'KEY' });
    const ep = resolve({ env: { DOCKER_HOST: 'tcp://10.0.0.5', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: d } });
    expect(ep.port).toBe(2376);
    expect(ep.tls?.verify).toBe(true);
    expect(ep.tls?.ca?.toString()).toBe('CA');
    expect(ep.tls?.cert?.toString()).toBe('CERT');
    expect(ep.tls?.key?.toString()).toBe('KEY');
    expect(ep.tls?.files?.ca).toBe(join(d, 'ca.pem'));
  });

  it('applies env TLS to --host too, and defaults DOCKER_CERT_PATH to the config dir', () => {
    writeFileSync(join(cfg, 'ca.pem'), 'CFGCA');
    const ep = resolve({ host: 'tcp://10.0.0.5', env: { DOCKER_TLS_VERIFY: 'yes' } });
    expect(ep.tls?.ca?.toString()).toBe('CFGCA');
    expect(ep.tls?.cert).toBeNull();
  });

  it('DOCKER_TLS=1 means TLS without verification', () => {
    const ep = resolve({ env: { DOCKER_HOST: 'tcp://10.0.0.5', DOCKER_TLS: '1', DOCKER_CERT_PATH: certDir({}) } });
    expect(ep.tls).toMatchObject({ verify: false, ca: null, cert: null, key: null });
    expect(ep.port).toBe(2376);
  });

  it('missing files are null (system CAs, no client cert)', () => {
    const ep = resolve({ env: { DOCKER_HOST: 'tcp://10.0.0.5:1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(cfg, 'nope') } });
    expect(ep.tls).toMatchObject({ verify: true, ca: null, cert: null, key: null });
  });

  it('a client certificate without its key is an error naming the missing file', () => {
    const d = certDir({ 'cert.pem': 'CERT' });
    const e = inputError(() => resolve({ env: { DOCKER_HOST: 'tcp://10.0.0.5', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: d } }));
    expect(e.message).toContain(join(d, 'key.pem'));
  });

  it('a key without its certificate is an error naming the missing file', () => {
    const d = certDir({ 'key.pem': 'KEY' });
    const e = inputError(() => resolve({ env: { DOCKER_HOST: 'tcp://10.0.0.5', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: d } }));
    expect(e.message).toContain(join(d, 'cert.pem'));
  });

  it('https:// implies verified TLS on port 443', () => {
    const ep = resolve({ host: 'https://docker.example', env: { DOCKER_CERT_PATH: certDir({}) } });
    expect(ep).toMatchObject({ url: 'https://docker.example:443', kind: 'tcp', port: 443 });
    expect(ep.tls?.verify).toBe(true);
  });

  it('ignores TLS settings for unix sockets', () => {
    expect(resolve({ host: 'unix:///tmp/d.sock', env: { DOCKER_TLS_VERIFY: '1' } }).tls).toBeNull();
  });
});

describe('context store', () => {
  it('loads TLS material from the context tls dir', () => {
    addContext('secure', 'tcp://10.2.2.2', { tls: { 'ca.pem': 'CTXCA', 'cert.pem': 'CTXCERT', 'key.pem': 'CTXKEY' } });
    const ep = resolve({ context: 'secure' });
    expect(ep.port).toBe(2376);
    expect(ep.tls).toMatchObject({ verify: true });
    expect(ep.tls?.ca?.toString()).toBe('CTXCA');
    expect(ep.tls?.key?.toString()).toBe('CTXKEY');
    expect(ep.tls?.files?.dir).toBe(join(cfg, 'contexts', 'tls', sha('secure'), 'docker'));
  });

  it('SkipTLSVerify turns on TLS without verification even with no material', () => {
    addContext('skip', 'tcp://10.2.2.2:9999', { skipTls: true });
    expect(resolve({ context: 'skip' }).tls).toMatchObject({ verify: false, ca: null });
  });

  it('a context without TLS material speaks plain tcp, ignoring env TLS', () => {
    addContext('plain', 'tcp://10.2.2.2');
    const ep = resolve({ context: 'plain', env: { DOCKER_TLS_VERIFY: '1' } });
    expect(ep.tls).toBeNull();
    expect(ep.port).toBe(2375);
  });

  it('unix contexts work', () => {
    addContext('sock', 'unix:///run/user/1000/docker.sock');
    expect(resolve({ context: 'sock' })).toMatchObject({ kind: 'unix', socketPath: '/run/user/1000/docker.sock', context: 'sock', isLocal: true });
  });

  it('an unknown context is an InputError that says where it came from', () => {
    const e = inputError(() => resolve({ env: { DOCKER_CONTEXT: 'ghost' } }));
    expect(e.message).toContain('"ghost"');
    expect(e.message).toContain('DOCKER_CONTEXT');
    expect(e.hint).toContain('docker context ls');
  });

  it('an unknown currentContext names config.json', () => {
    setCurrent('ghost');
    expect(inputError(() => resolve()).message).toContain('config.json');
  });

  it('malformed meta.json and config.json are InputErrors naming the file', () => {
    const metaDir = join(cfg, 'contexts', 'meta', sha('broken'));
    mkdirSync(metaDir, { recursive: true });
    writeFileSync(join(metaDir, 'meta.json'), '{not json');
    expect(inputError(() => resolve({ context: 'broken' })).message).toContain(join(metaDir, 'meta.json'));

    writeFileSync(join(cfg, 'config.json'), '{"currentContext": ');
    expect(inputError(() => resolve()).message).toMatch(/config\.json is not valid JSON/);
  });

  it('a context with no docker endpoint is an InputError', () => {
    const metaDir = join(cfg, 'contexts', 'meta', sha('k8s'));
    mkdirSync(metaDir, { recursive: true });
    writeFileSync(join(metaDir, 'meta.json'), JSON.stringify({ Name: 'k8s', Endpoints: { kubernetes: {} } }));
    expect(inputError(() => resolve({ context: 'k8s' })).message).toMatch(/no docker endpoint host/);
  });

  it('an ssh context is reported as unsupported', () => {
    addContext('viassh', 'ssh://me@build-host');
    const e = inputError(() => resolve({ context: 'viassh' }));
    expect(e.message).toMatch(/ssh:\/\/ is not supported yet/);
    expect(e.message).toContain('context "viassh"');
  });
});
