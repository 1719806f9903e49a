// The agent's connectivity probes: `tcp`, `udp`, `icmp` and `batch` (any mix, `http` included).
// Each takes a BATCH {targets, timeoutMs, concurrency, budgetMs?} and answers {results} in target
// order, so one agent process per source namespace runs all of that source's probes concurrently.
//
// TCP: a connect() with a timer. DNS: one question with the wire client (src/dns/client.ts, loaded
// only when a batch holds a dns target). UDP: a datagram on a connected socket; Linux reports an ICMP
// port-unreachable for a connected socket as ECONNREFUSED on the next receive, which is the only
// way UDP says "closed"; silence proves nothing. ICMP: the host's `ping` (or `busybox ping`),
// run as a child so it inherits the namespace: Node has no raw sockets.

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { delimiter, join } from 'node:path';
// Leaf modules without dependencies: the wire client itself (dns-packet) is loaded lazily.
import { nameProblem, reverseName } from '../dns/names.js';
import { QUERY_TYPES } from '../dns/types.js';
import { AgentRequestError } from './agent-errors.js';
import { PROBE_KINDS, type AgentBatchRequest, type AgentResult, type AgentTarget, type ProbeKind } from './types.js';

export const MAX_TARGETS = 10_000;
export const MAX_CONCURRENCY = 512;
const DEFAULT_CONCURRENCY = 64;

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

function elapsed(start: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100;
}

export function validateBatch(r: unknown, only?: ProbeKind): AgentBatchRequest {
  const o = r as Partial<AgentBatchRequest> | null;
  if (!o || typeof o !== 'object') throw new AgentRequestError('the request must be an object');
  if (!Array.isArray(o.targets) || o.targets.length === 0 || o.targets.length > MAX_TARGETS) {
    throw new AgentRequestError(`targets must be a list of 1-${MAX_TARGETS} targets`);
  }
  if (typeof o.timeoutMs !== 'number' || !Number.isFinite(o.timeoutMs) || o.timeoutMs < 1 || o.timeoutMs > 600_000) {
    throw new AgentRequestError('timeoutMs must be 1-600000');
  }
  if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > MAX_CONCURRENCY)) {
    throw new AgentRequestError(`concurrency must be 1-${MAX_CONCURRENCY}`);
  }
  if (o.budgetMs !== undefined && (typeof o.budgetMs !== 'number' || !(o.budgetMs > 0))) throw new AgentRequestError('budgetMs must be positive');
  o.targets.forEach((t: Partial<AgentTarget> & { kind?: unknown }, i) => {
    const at = `targets[${i}]`;
    if (!t || typeof t !== 'object') throw new AgentRequestError(`${at} must be an object`);
    const kind = (t.kind ?? only) as ProbeKind;
    if (!PROBE_KINDS.includes(kind)) throw new AgentRequestError(`${at}.kind must be one of ${PROBE_KINDS.join(', ')}`);
    if (only && kind !== only) throw new AgentRequestError(`${at}.kind is ${kind}, but this subcommand probes ${only}`);
    t.kind = kind;
    if (typeof t.address !== 'string' || net.isIP(t.address) === 0) throw new AgentRequestError(`${at}.address must be an IP address`);
    if (kind === 'dns') validateDnsTarget(t, at);
    if (kind !== 'icmp' && (!Number.isInteger(t.port) || t.port! < 1 || t.port! > 65535)) throw new AgentRequestError(`${at}.port must be 1-65535`);
    if (t.payloadHex !== undefined && (typeof t.payloadHex !== 'string' || !/^([0-9a-f]{2}){0,1400}$/i.test(t.payloadHex))) {
      throw new AgentRequestError(`${at}.payloadHex must be hex, at most 1400 bytes`);
    }
    if (t.path !== undefined && (typeof t.path !== 'string' || !t.path.startsWith('/') || /[\s\0-\x1f]/.test(t.path))) {
      throw new AgentRequestError(`${at}.path must start with "/" and hold no spaces or control characters`);
    }
  });
  return o as AgentBatchRequest;
}

/** A dns target: a name that can be asked, a known question type; port 53 unless given. */
function validateDnsTarget(t: Partial<AgentTarget>, at: string): void {
  if (t.port === undefined) t.port = 53;
  if (t.qtype === undefined) t.qtype = 'A';
  if (typeof t.qtype !== 'string' || !(QUERY_TYPES as readonly string[]).includes(t.qtype)) throw new AgentRequestError(`${at}.qtype must be one of ${QUERY_TYPES.join(', ')}`);
  if (typeof t.name !== 'string' || t.name === '') throw new AgentRequestError(`${at}.name must be the name to ask`);
  const ptrOfAddress = t.qtype === 'PTR' && reverseName(t.name) !== null;
  const problem = ptrOfAddress ? null : nameProblem(t.name);
  if (problem) throw new AgentRequestError(`${at}.name: ${problem}`);
}

export function probeTcp(address: string, port: number, timeoutMs: number): Promise<AgentResult> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let done = false;
    const finish = (r: AgentResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const sock = net.connect({ host: address, port });
    const timer = setTimeout(() => finish({ result: 'timeout', latencyMs: elapsed(start), detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    sock.once('connect', () => finish({ result: 'connected', latencyMs: elapsed(start) }));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'ERROR';
      if (code === 'ECONNREFUSED') finish({ result: 'refused', latencyMs: elapsed(start), errno: code });
      else if (UNREACHABLE.has(code)) finish({ result: 'unreachable', latencyMs: elapsed(start), errno: code });
      else if (code === 'ETIMEDOUT') finish({ result: 'timeout', latencyMs: elapsed(start), errno: code });
      else finish({ result: 'error', latencyMs: elapsed(start), errno: code, detail: e.message });
    });
  });
}

export function probeUdp(address: string, port: number, timeoutMs: number, payloadHex = ''): Promise<AgentResult> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    let start = process.hrtime.bigint();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: AgentResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      resolve(r);
    };
    sock.on('message', (m) => finish({ result: 'answered', latencyMs: elapsed(start), detail: `${m.length} byte reply` }));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'ERROR';
      if (code === 'ECONNREFUSED') finish({ result: 'refused', latencyMs: elapsed(start), errno: code, detail: 'ICMP port unreachable' });
      else if (UNREACHABLE.has(code)) finish({ result: 'unreachable', latencyMs: elapsed(start), errno: code });
      else finish({ result: 'error', latencyMs: elapsed(start), errno: code, detail: e.message });
    });
    sock.connect(port, address, () => {
      start = process.hrtime.bigint();
      timer = setTimeout(
        () => finish({ result: 'no-answer', latencyMs: elapsed(start), detail: `no reply and no ICMP error within ${timeoutMs} ms (UDP silence proves nothing)` }),
        timeoutMs,
      );
      sock.send(Buffer.from(payloadHex, 'hex'), (err) => {
        if (err) sock.emit('error', err);
      });
    });
  });
}

function which(bin: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  }
  return null;
}

/** The ping to run: iputils/inetutils `ping`, else `busybox ping`; null when neither exists. */
export function pingCommand(): { file: string; args: string[] } | null {
  const ping = which('ping');
  if (ping) return { file: ping, args: [] };
  const bb = which('busybox');
  if (bb) return { file: bb, args: ['ping'] };
  return null;
}

export function probeIcmp(address: string, timeoutMs: number): Promise<AgentResult> {
  const cmd = pingCommand();
  if (!cmd) return Promise.resolve({ result: 'error', latencyMs: null, errno: 'ENOPING', detail: 'no ping tool on this host (iputils-ping or busybox)' });
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
  const args = [...cmd.args, ...(net.isIPv6(address) ? ['-6'] : []), '-c', '1', '-W', String(secs), address];
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd.file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), secs * 1000 + 1500);
    child.on('error', (e) => {
      clearTimeout(kill);
      resolve({ result: 'error', latencyMs: null, errno: 'ENOPING', detail: `could not run ping: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(kill);
      const rtt = /time[=<]([\d.]+) ?ms/.exec(out);
      const latencyMs = rtt ? Number(rtt[1]) : elapsed(start);
      if (code === 0) resolve({ result: 'answered', latencyMs, detail: 'ICMP echo reply' });
      else if (/unreachable/i.test(out)) resolve({ result: 'unreachable', latencyMs, detail: oneLine(out.split('\n').find((l) => /unreachable/i.test(l)) ?? out) });
      else if (code === 1) resolve({ result: 'no-answer', latencyMs: elapsed(start), detail: `no ICMP echo reply within ${secs} s` });
      else resolve({ result: 'error', latencyMs: null, errno: `EXIT${code ?? 'KILLED'}`, detail: oneLine(out) || `ping exited ${code}` });
    });
  });
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Runs the batch with bounded concurrency; results keep the target order. */
export async function runBatch(req: AgentBatchRequest): Promise<AgentResult[]> {
  const started = Date.now();
  const limit = Math.min(req.concurrency ?? DEFAULT_CONCURRENCY, req.targets.length);
  const results = new Array<AgentResult>(req.targets.length);
  let next = 0;
  let http: typeof import('./agent-http.js') | null = null;
  if (req.targets.some((t) => t.kind === 'http')) http = await import('./agent-http.js');
  let dns: typeof import('./agent-dns.js') | null = null;
  if (req.targets.some((t) => t.kind === 'dns')) dns = await import('./agent-dns.js');
  const one = async (t: AgentTarget): Promise<AgentResult> => {
    switch (t.kind) {
      case 'tcp':
        return probeTcp(t.address, t.port!, req.timeoutMs);
      case 'udp':
        return probeUdp(t.address, t.port!, req.timeoutMs, t.payloadHex);
      case 'icmp':
        return probeIcmp(t.address, req.timeoutMs);
      case 'http':
        return http!.probeHttp(t, req.timeoutMs, req.insecure === true);
      case 'dns':
        return dns!.probeDns(t, req.timeoutMs);
    }
  };
  // ICMP probes spawn `ping`, and spawning blocks the event loop for a few ms: start them last so
  // they do not inflate the other probes' latencies.
  const order = req.targets.map((_, i) => i);
  order.sort((a, b) => Number(req.targets[a]!.kind === 'icmp') - Number(req.targets[b]!.kind === 'icmp'));
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const i = order[next++]!;
      if (req.budgetMs !== undefined && Date.now() - started >= req.budgetMs) {
        results[i] = { result: 'error', latencyMs: null, errno: 'DEADLINE', detail: 'deadline' };
        continue;
      }
      try {
        results[i] = await one(req.targets[i]!);
      } catch (e) {
        results[i] = { result: 'error', latencyMs: null, errno: (e as NodeJS.ErrnoException).code ?? 'ERROR', detail: (e as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

const handler = (only?: ProbeKind) => async (request: unknown): Promise<Record<string, unknown>> => ({ results: await runBatch(validateBatch(request, only)) });

export const runTcp = handler('tcp');
export const runUdp = handler('udp');
export const runIcmp = handler('icmp');
export const runHttp = handler('http');
export const run = handler();
