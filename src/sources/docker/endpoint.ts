// Which Docker daemon to talk to, resolved the way the docker CLI does it, so netsleuth reaches the
// same daemon `docker` would. Pure file and environment reading: no network, no undici.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { InputError } from '../../model/errors.js';
import { isLoopback } from '../../net/addr.js';

export const DEFAULT_SOCKET = '/var/run/docker.sock';
export const DEFAULT_CONTEXT = 'default';

export interface DockerTls {
  ca: Buffer | null;
  cert: Buffer | null;
  key: Buffer | null;
  verify: boolean;
  /** Where the material was looked for, so TLS errors can name the file to check. */
  files?: { ca: string | null; cert: string | null; key: string | null; dir: string };
}

export interface DockerEndpoint {
  /** Normalized URL, e.g. unix:///var/run/docker.sock or tcp://10.0.0.5:2376. */
  url: string;
  kind: 'unix' | 'tcp';
  socketPath: string | null;
  hostname: string | null;
  port: number | null;
  tls: DockerTls | null;
  /** Context the endpoint came from; null when it came from --host, DOCKER_HOST or the default. */
  context: string | null;
  /** A unix socket, or tcp to a loopback address: host evidence may belong to the daemon's host. */
  isLocal: boolean;
}

export interface ResolveEndpointOptions {
  host?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  dockerConfigDir?: string;
}

/** TLS settings that come from the environment (only used outside named contexts, as in docker). */
interface EnvTls {
  enabled: boolean;
  verify: boolean;
  certDir: string;
}

export function resolveEndpoint(opts: ResolveEndpointOptions = {}): DockerEndpoint {
  const env = opts.env ?? process.env;
  const configDir = opts.dockerConfigDir ?? nonEmpty(env.DOCKER_CONFIG) ?? join(homeOf(env), '.docker');
  const envTls: EnvTls = {
    enabled: nonEmpty(env.DOCKER_TLS_VERIFY) !== undefined || nonEmpty(env.DOCKER_TLS) !== undefined,
    verify: nonEmpty(env.DOCKER_TLS_VERIFY) !== undefined,
    certDir: nonEmpty(env.DOCKER_CERT_PATH) ?? configDir,
  };

  const flagHost = nonEmpty(opts.host);
  if (flagHost !== undefined) return parseHost(flagHost, envTls, null, '--host');

  const contextName = nonEmpty(opts.context);
  if (contextName !== undefined) return fromContext(contextName, env, envTls, configDir, '--context');

  const envHost = nonEmpty(env.DOCKER_HOST);
  if (envHost !== undefined) return parseHost(envHost, envTls, null, 'DOCKER_HOST');

  const envContext = nonEmpty(env.DOCKER_CONTEXT);
  if (envContext !== undefined) return fromContext(envContext, env, envTls, configDir, 'DOCKER_CONTEXT');

  const current = currentContext(configDir);
  if (current !== undefined) return fromContext(current, env, envTls, configDir, `${join(configDir, 'config.json')}`);

  return parseHost(`unix://${DEFAULT_SOCKET}`, envTls, null, 'default');
}

function fromContext(name: string, env: NodeJS.ProcessEnv, envTls: EnvTls, configDir: string, origin: string): DockerEndpoint {
  // "default" is not stored: it is DOCKER_HOST (with env TLS) or the default socket.
  if (name === DEFAULT_CONTEXT) {
    const envHost = nonEmpty(env.DOCKER_HOST);
    return parseHost(envHost ?? `unix://${DEFAULT_SOCKET}`, envTls, null, envHost ? 'DOCKER_HOST' : 'default');
  }
  const digest = createHash('sha256').update(name).digest('hex');
  const metaPath = join(configDir, 'contexts', 'meta', digest, 'meta.json');
  const raw = readOptional(metaPath);
  if (raw === null) {
    throw new InputError(`Docker context "${name}" (from ${origin}) not found in ${join(configDir, 'contexts')}`, 'list contexts with `docker context ls`, or use --host');
  }
  const meta = parseJson(raw, metaPath) as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  const docker = meta?.Endpoints?.docker;
  if (!docker || typeof docker.Host !== 'string' || docker.Host.trim() === '') {
    throw new InputError(`Docker context "${name}" has no docker endpoint host (${metaPath})`, 'recreate it with `docker context create`, or use --host');
  }
  const tlsDir = join(configDir, 'contexts', 'tls', digest, 'docker');
  const material = loadTlsDir(tlsDir);
  const skipVerify = docker.SkipTLSVerify === true;
  // As in the docker CLI: a context speaks TLS when it has TLS material or asks to skip verification.
  const hasMaterial = material.ca !== null || material.cert !== null || material.key !== null;
  const ctxTls: EnvTls = { enabled: hasMaterial || skipVerify, verify: !skipVerify, certDir: tlsDir };
  return parseHost(docker.Host.trim(), ctxTls, name, `context "${name}"`, material);
}

function currentContext(configDir: string): string | undefined {
  const path = join(configDir, 'config.json');
  const raw = readOptional(path);
  if (raw === null) return undefined;
  const cfg = parseJson(raw, path) as { currentContext?: unknown };
  return typeof cfg?.currentContext === 'string' ? nonEmpty(cfg.currentContext) : undefined;
}

interface TlsMaterial {
  ca: Buffer | null;
  cert: Buffer | null;
  key: Buffer | null;
  files: { ca: string | null; cert: string | null; key: string | null; dir: string };
}

/** Reads ca.pem, cert.pem and key.pem from a directory; absent files are null (docker skips them too). */
function loadTlsDir(dir: string): TlsMaterial {
  const read = (file: string): [Buffer | null, string | null] => {
    const path = join(dir, file);
    try {
      return [readFileSync(path), path];
    } catch (err) {
      if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return [null, null];
      throw new InputError(`cannot read TLS file ${path}: ${errMessage(err)}`, 'check the file permissions, or DOCKER_CERT_PATH');
    }
  };
  const [ca, caPath] = read('ca.pem');
  const [cert, certPath] = read('cert.pem');
  const [key, keyPath] = read('key.pem');
  // A certificate without its key (or the reverse) cannot authenticate: say which file is missing.
  if (cert !== null && key === null) {
    throw new InputError(`TLS client certificate ${certPath} has no key: ${join(dir, 'key.pem')} is missing`, 'put key.pem next to cert.pem, or point DOCKER_CERT_PATH at the right directory');
  }
  if (key !== null && cert === null) {
    throw new InputError(`TLS client key ${keyPath} has no certificate: ${join(dir, 'cert.pem')} is missing`, 'put cert.pem next to key.pem, or point DOCKER_CERT_PATH at the right directory');
  }
  return { ca, cert, key, files: { ca: caPath, cert: certPath, key: keyPath, dir } };
}

const MALFORMED_HINT = 'expected unix:///path/to/docker.sock, tcp://host:port or https://host:port';

/**
 * Parses a daemon address. `origin` names where it came from for error messages. Bare `host:port`
 * means tcp, as in the docker CLI.
 */
function parseHost(input: string, tlsOpts: EnvTls, context: string | null, origin: string, material?: TlsMaterial): DockerEndpoint {
  const text = input.trim();
  const sep = text.indexOf('://');
  const scheme = sep === -1 ? 'tcp' : text.slice(0, sep).toLowerCase();
  const rest = sep === -1 ? text : text.slice(sep + 3);
  const bad = (why: string): InputError => new InputError(`invalid Docker host ${JSON.stringify(oneLine(text))} (from ${origin}): ${why}`, MALFORMED_HINT);

  if (scheme === 'ssh' || scheme === 'npipe') {
    throw new InputError(`Docker host ${JSON.stringify(oneLine(text))} (from ${origin}): ${scheme}:// is not supported yet`, 'use a unix:// socket or tcp:// address (for ssh, forward the socket: ssh -L /tmp/docker.sock:/var/run/docker.sock host)');
  }
  if (scheme === 'unix') {
    if (/[\0\n\r]/.test(rest)) throw bad('the socket path contains control characters');
    const socketPath = rest === '' ? DEFAULT_SOCKET : rest;
    if (!socketPath.startsWith('/')) throw bad('the socket path must be absolute');
    return { url: `unix://${socketPath}`, kind: 'unix', socketPath, hostname: null, port: null, tls: null, context, isLocal: true };
  }
  if (scheme !== 'tcp' && scheme !== 'https') throw bad(`unknown scheme "${oneLine(scheme)}://"`);

  const { hostname, port: givenPort } = splitHostPort(rest, bad);
  const useTls = scheme === 'https' || tlsOpts.enabled;
  // An https:// URL asks for TLS by itself; verify unless the environment explicitly said DOCKER_TLS without verify.
  const verify = scheme === 'https' && !tlsOpts.enabled ? true : tlsOpts.verify;
  const port = givenPort ?? (scheme === 'https' ? 443 : useTls ? 2376 : 2375);
  let tls: DockerTls | null = null;
  if (useTls) {
    const m = material ?? loadTlsDir(tlsOpts.certDir);
    tls = { ca: m.ca, cert: m.cert, key: m.key, verify, files: m.files };
  }
  const hostPart = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  return {
    url: `${scheme}://${hostPart}:${port}`,
    kind: 'tcp',
    socketPath: null,
    hostname,
    port,
    tls,
    context,
    isLocal: isLoopbackHost(hostname),
  };
}

function splitHostPort(rest: string, bad: (why: string) => InputError): { hostname: string; port: number | null } {
  // Docker allows no path, query or credentials in a daemon address; a trailing slash is harmless.
  const authority = rest.endsWith('/') ? rest.slice(0, -1) : rest;
  if (/[/?#@\s]/.test(authority)) throw bad('only host and port are allowed (no path, query, credentials or spaces)');
  let hostname: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) throw bad('unclosed "[" in IPv6 address');
    hostname = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw bad('unexpected text after "]"');
    portText = after === '' ? undefined : after.slice(1);
    if (isIP(hostname) !== 6) throw bad(`"${hostname}" is not an IPv6 address`);
  } else {
    const colons = authority.split(':').length - 1;
    if (colons > 1) throw bad('IPv6 addresses must be in brackets, e.g. tcp://[::1]:2375');
    const idx = authority.indexOf(':');
    hostname = idx === -1 ? authority : authority.slice(0, idx);
    portText = idx === -1 ? undefined : authority.slice(idx + 1);
    // docker fills an empty host with localhost (tcp://:2375).
    if (hostname === '') hostname = '127.0.0.1';
    if (!/^[A-Za-z0-9._-]+$/.test(hostname)) throw bad(`"${oneLine(hostname)}" is not a valid host name`);
  }
  if (portText === undefined || portText === '') return { hostname, port: null };
  if (!/^\d{1,5}$/.test(portText)) throw bad(`port "${oneLine(portText)}" is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(`port ${port} is out of range 1-65535`);
  return { hostname, port };
}

/** A daemon URL's hostname that stays on this machine: localhost names, or a loopback address (src/net/addr.ts). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isLoopback(h);
}

/** One-line description used in messages: the URL plus the context it came from. */
export function describeEndpoint(ep: DockerEndpoint): string {
  return ep.context ? `${ep.url} (context "${ep.context}")` : ep.url;
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return null;
    throw new InputError(`cannot read ${path}: ${errMessage(err)}`, 'check the file permissions, or set DOCKER_CONFIG');
  }
}

function parseJson(raw: string, path: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new InputError(`${path} is not valid JSON: ${errMessage(err)}`, 'fix or remove the file, or pass --host');
  }
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.HOME) ?? homedir();
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

function oneLine(s: string): string {
  const flat = s.replace(/[\0-\x1f\x7f]+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
