// Helpers for live tests against the dockerd that scripts/test-dockerd.sh started.
//
//   import { requireLiveDaemon, createNetwork, runContainer, exec, cleanupAll } from './harness.js';
//   const live = requireLiveDaemon();            // throws without a daemon; false when NETSLEUTH_SKIP_LIVE=1
//   describe.skipIf(!live)('...', () => { ... });
//
// Rules this module enforces, so no test can reach outside the host:
// - everything it creates carries the label `netsleuth.test=1` and a per-run name prefix
//   (RUN_PREFIX, `nst-<6 hex>-`); cleanupAll() removes everything labelled, on any run;
// - network subnets come from 10.214.0.0/16 (IPv4) and fd21:ee75::/32 (IPv6), the ranges the
//   egress guard of test-dockerd.sh drops at the uplink; without `subnet` a free 10.214.X.0/24 is
//   picked;
// - every container names its DNS server(s) (`dns`), which must be a test-range or loopback
//   address: give it the network's gateway and run test/support/dns-server.ts there, so Docker's
//   embedded DNS never forwards to the host's (outside) resolver;
// - images are never pulled (`--pull never`); the test images are built by `test-dockerd.sh image`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export const TEST_LABEL = 'netsleuth.test';
export const BUSYBOX_IMAGE = 'netsleuth-test/busybox:latest';
/** Holds only /bin/sleep (busybox under that name): no shell, no tools. CMD /bin/sleep 86400. */
export const NOSHELL_IMAGE = 'netsleuth-test/noshell:latest';
export const TEST_POOL_V4 = '10.214.0.0/16';
export const TEST_POOL_V6 = 'fd21:ee75::/32';
export const GUARD_CHAIN = 'NETSLEUTH-GUARD';
/** Unique per test process: every container/network name this run creates starts with it. */
export const RUN_PREFIX = `nst-${randomBytes(3).toString('hex')}-`;

const DEFAULT_TIMEOUT_MS = 60_000;

// ------------------------------------------------------------------------------------------------
// daemon selection

/** True when NETSLEUTH_SKIP_LIVE=1: live tests skip (with a printed note) instead of failing. */
export function liveSkipped(): boolean {
  return process.env.NETSLEUTH_SKIP_LIVE === '1';
}

/**
 * Call at the top of every live test file. Returns true when live tests should run, false (after
 * printing a note) when NETSLEUTH_SKIP_LIVE=1, and throws when NETSLEUTH_TEST_DOCKER_HOST is not
 * set: live tests must never pass silently without a daemon.
 */
export function requireLiveDaemon(): boolean {
  if (liveSkipped()) {
    process.stderr.write('netsleuth live tests: SKIPPED because NETSLEUTH_SKIP_LIVE=1\n');
    return false;
  }
  if (!process.env.NETSLEUTH_TEST_DOCKER_HOST) {
    throw new Error(
      'live tests need a test daemon: NETSLEUTH_TEST_DOCKER_HOST is not set. Run\n' +
        '  sudo bash scripts/test-dockerd.sh start && eval "$(bash scripts/test-dockerd.sh env)" && bash scripts/test-dockerd.sh image\n' +
        'or set NETSLEUTH_SKIP_LIVE=1 to skip live tests explicitly.',
    );
  }
  return true;
}

/** The test daemon's address (e.g. unix:///run/netsleuth-test/docker.sock). */
export function dockerHost(): string {
  const h = process.env.NETSLEUTH_TEST_DOCKER_HOST;
  if (!h) throw new Error('NETSLEUTH_TEST_DOCKER_HOST is not set (see requireLiveDaemon)');
  return h;
}

// ------------------------------------------------------------------------------------------------
// running commands

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when the command was killed (timeout). */
  code: number | null;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  /** When false (the default for docker()), a non-zero exit throws with stderr in the message. */
  allowFailure?: boolean;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
          // ENOENT etc: the program itself could not run.
          reject(new Error(`${file}: ${err.message}`));
          return;
        }
        const e = err as (Error & { code?: number | null; killed?: boolean; signal?: string | null }) | null;
        const timedOut = !!e && e.killed === true && e.code == null;
        resolve({ stdout, stderr, code: e ? (typeof e.code === 'number' ? e.code : null) : 0, timedOut });
      },
    );
  });
}

/** Runs the docker CLI against the test daemon. Throws on a non-zero exit unless allowFailure. */
export async function docker(args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: dockerHost() };
  delete env.DOCKER_CONTEXT;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const res = await run('docker', args, env, timeoutMs);
  if (!opts.allowFailure && res.code !== 0) {
    const why = res.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${res.code}`;
    throw new Error(`docker ${args.join(' ')}: ${why}: ${res.stderr.trim() || res.stdout.trim()}`);
  }
  return res;
}

/** Checks the daemon answers and the test images exist; returns the server version. */
export async function preflight(): Promise<string> {
  const v = await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000 });
  for (const image of [BUSYBOX_IMAGE, NOSHELL_IMAGE]) {
    const r = await docker(['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true, timeoutMs: 15_000 });
    if (r.code !== 0) throw new Error(`test image ${image} is missing: run bash scripts/test-dockerd.sh image`);
  }
  return v.stdout.trim();
}

// ------------------------------------------------------------------------------------------------
// address checks (small and local on purpose: the harness must not depend on the code under test)

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function v6ToBigInt(ip: string): bigint {
  let s = ip.toLowerCase();
  const v4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const n = v4ToInt(v4[1]!);
    s = s.slice(0, -v4[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** True when `inner` (an address or CIDR) lies inside the CIDR `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [oAddr, oLenS] = outer.split('/') as [string, string];
  const [iAddr, iLenS] = inner.split('/') as [string, string | undefined];
  const fam = net.isIP(oAddr);
  if (fam === 0 || net.isIP(iAddr) !== fam) return false;
  const bits = fam === 4 ? 32 : 128;
  const oLen = Number(oLenS);
  const iLen = iLenS === undefined ? bits : Number(iLenS);
  if (!(iLen >= oLen)) return false;
  if (fam === 4) {
    const mask = oLen === 0 ? 0 : (0xffffffff << (32 - oLen)) >>> 0;
    return ((v4ToInt(oAddr) & mask) >>> 0) === ((v4ToInt(iAddr) & mask) >>> 0);
  }
  const shift = BigInt(128 - oLen);
  return v6ToBigInt(oAddr) >> shift === v6ToBigInt(iAddr) >> shift;
}

function allowedDnsServer(ip: string): boolean {
  return (
    cidrContains('10.212.0.0/14', ip) ||
    cidrContains(TEST_POOL_V6, ip) ||
    cidrContains('127.0.0.0/8', ip) ||
    ip === '::1'
  );
}

// ------------------------------------------------------------------------------------------------
// networks

export interface NetworkOptions {
  /** Short name; the created network is `${RUN_PREFIX}${name}`. */
  name: string;
  /** IPv4 subnet inside 10.214.0.0/16; omitted: a free 10.214.X.0/24 is picked. */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** IPv6 subnet inside fd21:ee75::/32; enables --ipv6. */
  ipv6Subnet?: string;
  internal?: boolean;
  /** false adds -o com.docker.network.bridge.enable_icc=false. */
  icc?: boolean;
  driver?: string;
  attachable?: boolean;
  /** Extra driver options (-o key=value). */
  options?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface TestNetwork {
  name: string;
  id: string;
  subnet: string;
  gateway: string;
  ipv6Subnet?: string;
  ipv6Gateway?: string;
}

export async function createNetwork(opts: NetworkOptions): Promise<TestNetwork> {
  if (opts.subnet !== undefined && !cidrContains(TEST_POOL_V4, opts.subnet)) {
    throw new Error(`createNetwork: subnet ${opts.subnet} is outside ${TEST_POOL_V4} (the guarded test range)`);
  }
  if (opts.ipv6Subnet !== undefined && !cidrContains(TEST_POOL_V6, opts.ipv6Subnet)) {
    throw new Error(`createNetwork: ipv6Subnet ${opts.ipv6Subnet} is outside ${TEST_POOL_V6} (the guarded test range)`);
  }
  const name = `${RUN_PREFIX}${opts.name}`;
  const base = ['network', 'create', '--label', `${TEST_LABEL}=1`];
  for (const [k, v] of Object.entries(opts.labels ?? {})) base.push('--label', `${k}=${v}`);
  if (opts.driver) base.push('--driver', opts.driver);
  if (opts.internal) base.push('--internal');
  if (opts.attachable) base.push('--attachable');
  if (opts.icc === false) base.push('-o', 'com.docker.network.bridge.enable_icc=false');
  for (const [k, v] of Object.entries(opts.options ?? {})) base.push('-o', `${k}=${v}`);
  const v6: string[] = [];
  if (opts.ipv6Subnet) v6.push('--ipv6', '--subnet', opts.ipv6Subnet);

  const attempts = opts.subnet ? 1 : 12;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const subnet = opts.subnet ?? `10.214.${1 + (randomBytes(1)[0]! % 254)}.0/24`;
    const args = [...base, '--subnet', subnet];
    // Docker 20.10 leaves Gateway out of the IPAM config unless it was given: always give it.
    args.push('--gateway', opts.gateway ?? firstHost(subnet));
    if (opts.ipRange) args.push('--ip-range', opts.ipRange);
    args.push(...v6, name);
    try {
      const id = (await docker(args)).stdout.trim();
      return await describeNetwork(id);
    } catch (err) {
      lastErr = err;
      if (opts.subnet || !/overlap|already/i.test(String(err))) throw err;
    }
  }
  throw lastErr;
}

function firstHost(cidr: string): string {
  const [addr, lenS] = cidr.split('/') as [string, string];
  const len = Number(lenS);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const n = (((v4ToInt(addr) & mask) >>> 0) + 1) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

async function describeNetwork(id: string): Promise<TestNetwork> {
  const info = (await inspect(id)) as {
    Id: string;
    Name: string;
    IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> };
  };
  const cfgs = info.IPAM?.Config ?? [];
  const v4 = cfgs.find((c) => c.Subnet && net.isIPv4(c.Subnet.split('/')[0]!));
  const v6 = cfgs.find((c) => c.Subnet && net.isIPv6(c.Subnet.split('/')[0]!));
  if (!v4?.Subnet || !v4.Gateway) throw new Error(`network ${info.Name} has no IPv4 subnet/gateway in its IPAM config`);
  const out: TestNetwork = { name: info.Name, id: info.Id, subnet: v4.Subnet, gateway: v4.Gateway };
  if (v6?.Subnet) out.ipv6Subnet = v6.Subnet;
  if (v6?.Gateway) out.ipv6Gateway = v6.Gateway;
  return out;
}

// ------------------------------------------------------------------------------------------------
// containers

export interface ContainerOptions {
  /** Short name; the container is `${RUN_PREFIX}${name}`. */
  name: string;
  image?: string; // default BUSYBOX_IMAGE
  /** A network name (as returned by createNetwork). Exclusive with networkMode. */
  network?: string;
  /** 'none' | 'host' | 'bridge' | `container:<name or id>`. Exclusive with network. */
  networkMode?: string;
  ip?: string;
  ip6?: string;
  aliases?: readonly string[];
  /** -p specs, e.g. '127.0.0.1:18080:80/tcp'. */
  publish?: readonly string[];
  /**
   * Required. DNS server address(es) for the container: normally the gateway of its network,
   * where the test runs startDnsServer(). Must be a test-range or loopback address. With
   * networkMode `container:<x>` Docker forbids --dns (the namespace's resolv.conf is shared), so
   * pass 'inherit' there — and only there.
   */
  dns: string | readonly string[] | 'inherit';
  dnsSearch?: readonly string[];
  /** Command (after the image). Default: the image's CMD (busybox: sleep 86400). */
  command?: readonly string[];
  entrypoint?: string;
  labels?: Record<string, string>;
  env?: Record<string, string>;
  capAdd?: readonly string[];
  /** Extra `docker run` flags, inserted before the image. */
  extraArgs?: readonly string[];
}

export interface TestContainer {
  name: string;
  id: string;
  /** IPv4 address per network name (empty for none/host/container: modes). */
  ips: Record<string, string>;
}

export async function runContainer(opts: ContainerOptions): Promise<TestContainer> {
  if (opts.network && opts.networkMode) throw new Error('runContainer: give network or networkMode, not both');
  const name = `${RUN_PREFIX}${opts.name}`;
  const args = ['run', '-d', '--pull', 'never', '--label', `${TEST_LABEL}=1`, '--name', name];
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
  const mode = opts.network ?? opts.networkMode;
  if (mode) args.push('--network', mode);
  const sharesNs = (opts.networkMode ?? '').startsWith('container:');
  if (opts.dns === 'inherit') {
    if (!sharesNs) throw new Error("runContainer: dns 'inherit' is only valid with networkMode container:<x>");
  } else {
    if (sharesNs) throw new Error("runContainer: with networkMode container:<x> Docker forbids --dns; pass dns: 'inherit'");
    const servers = typeof opts.dns === 'string' ? [opts.dns] : [...opts.dns];
    if (servers.length === 0) throw new Error('runContainer: dns is required (the gateway where your DNS server listens)');
    for (const s of servers) {
      if (!allowedDnsServer(s)) {
        throw new Error(`runContainer: dns ${s} is not a test-range/loopback address; containers must never resolve via outside servers`);
      }
      args.push('--dns', s);
    }
  }
  for (const s of opts.dnsSearch ?? []) args.push('--dns-search', s);
  if (opts.ip) args.push('--ip', opts.ip);
  if (opts.ip6) args.push('--ip6', opts.ip6);
  for (const a of opts.aliases ?? []) args.push('--network-alias', a);
  for (const p of opts.publish ?? []) args.push('-p', p);
  for (const [k, v] of Object.entries(opts.env ?? {})) args.push('-e', `${k}=${v}`);
  for (const c of opts.capAdd ?? []) args.push('--cap-add', c);
  if (opts.entrypoint !== undefined) args.push('--entrypoint', opts.entrypoint);
  args.push(...(opts.extraArgs ?? []));
  args.push(opts.image ?? BUSYBOX_IMAGE, ...(opts.command ?? []));

  const id = (await docker(args)).stdout.trim();
  const info = (await inspect(id)) as {
    Name: string;
    NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
  };
  const ips: Record<string, string> = {};
  for (const [n, ep] of Object.entries(info.NetworkSettings?.Networks ?? {})) {
    if (ep.IPAddress) ips[n] = ep.IPAddress;
  }
  return { name, id, ips };
}

/** Connects a running container to one more network. */
export async function connect(
  network: string,
  container: string,
  opts: { aliases?: readonly string[]; ip?: string } = {},
): Promise<void> {
  const args = ['network', 'connect'];
  for (const a of opts.aliases ?? []) args.push('--alias', a);
  if (opts.ip) args.push('--ip', opts.ip);
  await docker([...args, network, container]);
}

/** `docker inspect` of one object (container, network, image...), parsed. */
export async function inspect(idOrName: string): Promise<Record<string, unknown>> {
  const out = JSON.parse((await docker(['inspect', idOrName])).stdout) as Array<Record<string, unknown>>;
  if (!out[0]) throw new Error(`docker inspect ${idOrName}: empty result`);
  return out[0];
}

/**
 * Runs `cmd` inside `container` (docker exec). Never throws for a non-zero exit: check `code`.
 * On timeout the docker CLI is killed and `timedOut` is true (give long-running in-container
 * commands their own bound too, e.g. `timeout 5 ...`, `ping -W`, `nc -w`).
 */
export async function exec(container: string, cmd: readonly string[], timeoutMs = 20_000): Promise<CommandResult> {
  return docker(['exec', container, ...cmd], { timeoutMs, allowFailure: true });
}

type Kind = 'container' | 'network' | 'volume';
const LIST: Record<Kind, string[]> = { container: ['ps', '-aq', '--no-trunc'], network: ['network', 'ls', '-q', '--no-trunc'], volume: ['volume', 'ls', '-q'] };
const REMOVE: Record<Kind, string[]> = { container: ['rm', '-f', '-v'], network: ['network', 'rm'], volume: ['volume', 'rm', '-f'] };

async function listLabelled(kind: Kind, extraFilters: string[] = []): Promise<string[]> {
  const args = [...LIST[kind], '--filter', `label=${TEST_LABEL}`];
  for (const f of extraFilters) args.push('--filter', f);
  return (await docker(args)).stdout.split(/\s+/).filter(Boolean);
}

// Removes the listed objects. Ones that vanish meanwhile (another caller removed them) are fine;
// throws only if a listed object is still there afterwards.
async function removeAll(kind: Kind, filters: string[] = []): Promise<void> {
  const ids = await listLabelled(kind, filters);
  if (ids.length === 0) return;
  const res = await docker([...REMOVE[kind], ...ids], { timeoutMs: 120_000, allowFailure: true });
  if (res.code === 0) return;
  const left = new Set(await listLabelled(kind, filters));
  const stuck = ids.filter((id) => left.has(id));
  if (stuck.length) throw new Error(`could not remove ${kind}(s) ${stuck.join(' ')}: ${res.stderr.trim()}`);
}

/** Removes every container, network and volume labelled netsleuth.test on the test daemon. */
export async function cleanupAll(): Promise<void> {
  await removeAll('container');
  await removeAll('network');
  await removeAll('volume');
}

/**
 * Removes only what this test process created (names starting with RUN_PREFIX): use it where
 * another test run may share the daemon. (Docker's name filter is a substring match, so the
 * result is re-checked against the prefix.)
 */
export async function cleanupRun(): Promise<void> {
  for (const kind of ['container', 'network'] as const) {
    const fmt = kind === 'container' ? '{{.ID}} {{.Names}}' : '{{.ID}} {{.Name}}';
    const list = kind === 'container' ? ['ps', '-a', '--no-trunc'] : ['network', 'ls', '--no-trunc'];
    const out = await docker([...list, '--filter', `label=${TEST_LABEL}`, '--filter', `name=${RUN_PREFIX}`, '--format', fmt]);
    const ids = out.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([id, name]) => id && name?.replace(/^\//, '').startsWith(RUN_PREFIX))
      .map(([id]) => id!);
    if (ids.length === 0) continue;
    const res = await docker([...REMOVE[kind], ...ids], { timeoutMs: 120_000, allowFailure: true });
    if (res.code !== 0 && !/no such/i.test(res.stderr)) throw new Error(`cleanupRun: ${res.stderr.trim()}`);
  }
}

// ------------------------------------------------------------------------------------------------
// the egress guard installed by scripts/test-dockerd.sh

export interface GuardRule {
  family: 4 | 6;
  packets: number;
  bytes: number;
  target: string;
  out: string;
  source: string;
}

export interface GuardState {
  /** Whether each family's chain could be listed (needs root and the chain to exist). */
  present: { v4: boolean; v6: boolean };
  /** Whether mangle POSTROUTING jumps to the chain. */
  hooked: { v4: boolean; v6: boolean };
  rules: GuardRule[];
  /** Sum of packet counters over all rules: must stay 0. */
  packets: number;
  listing: string;
}

/** Reads NETSLEUTH-GUARD (iptables/ip6tables -t mangle -L NETSLEUTH-GUARD -v -x -n). */
export async function readGuard(): Promise<GuardState> {
  const state: GuardState = { present: { v4: false, v6: false }, hooked: { v4: false, v6: false }, rules: [], packets: 0, listing: '' };
  for (const [family, bin] of [[4, 'iptables'], [6, 'ip6tables']] as const) {
    const key = family === 4 ? 'v4' : 'v6';
    const res = await run(bin, ['-w', '-t', 'mangle', '-L', GUARD_CHAIN, '-v', '-x', '-n'], process.env, 15_000).catch(
      () => null,
    );
    if (!res || res.code !== 0) continue;
    state.present[key] = true;
    state.listing += `# ${bin}\n${res.stdout}`;
    for (const line of res.stdout.split('\n').slice(2)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8 || !/^\d+$/.test(f[0]!)) continue;
      // pkts bytes target prot opt in out source destination [comment]
      // (opt is "--" in iptables 1.8.9; older ip6tables leave it empty, shifting the columns)
      const hasOpt = /^(--|-f|!f)$/.test(f[4]!);
      const o = hasOpt ? 6 : 5;
      const rule: GuardRule = { family, packets: Number(f[0]), bytes: Number(f[1]), target: f[2]!, out: f[o]!, source: f[o + 1]! };
      state.rules.push(rule);
      state.packets += rule.packets;
    }
    const hook = await run(bin, ['-w', '-t', 'mangle', '-S', 'POSTROUTING'], process.env, 15_000).catch(() => null);
    state.hooked[key] = !!hook && hook.code === 0 && hook.stdout.split('\n').some((l) => l.trim() === `-A POSTROUTING -j ${GUARD_CHAIN}`);
  }
  return state;
}

// ------------------------------------------------------------------------------------------------
// shared by the probe tests

/** Runs iptables (waiting for the xtables lock); resolves with its exit code and stderr, never rejects. */
export function iptables(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('iptables', ['-w', ...args], { timeout: 20_000, encoding: 'utf8' }, (err, _o, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stderr });
    });
  });
}

/** Probe sidecars left on the daemon (must always be none after a run). */
export async function leftoverSidecars(): Promise<string[]> {
  const r = await docker(['ps', '-aq', '--filter', 'label=netsleuth.probe=1']);
  return r.stdout.split(/\s+/).filter(Boolean);
}
