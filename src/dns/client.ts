// The DNS wire client: one question to one server, UDP with TCP fallback on truncation, EDNS(0),
// retries, timeouts, strict validation of whatever comes back. Used in-process for `dns --server`
// and by the probe agent inside a container's network namespace.

import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DnsError } from './errors.js';
import { checkQueryName, encodeQuery, parseResponse, reverseName, type ParsedResponse } from './wire.js';
import type { DnsResponse, QueryOptions, WireIssue } from './types.js';

export const DEFAULT_EDNS_SIZE = 1232;
const MAX_UDP = 65535;

interface Attempt {
  parsed: ParsedResponse;
  latencyMs: number;
  attempts: number;
  issues: WireIssue[];
}

function transportError(err: NodeJS.ErrnoException, server: string, port: number, transport: string): DnsError {
  const where = `${server}:${port}/${transport}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new DnsError('CONNECTION_REFUSED', `${where}: connection refused (nothing listens there)`);
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'EADDRNOTAVAIL':
      return new DnsError('NETWORK_UNREACHABLE', `${where}: ${err.code === 'EADDRNOTAVAIL' ? 'no usable source address' : 'no route to the server'} (${err.code})`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new DnsError('CONNECTION_CLOSED', `${where}: connection reset by the server`);
    default:
      return new DnsError('SOCKET_ERROR', `${where}: ${err.code ?? ''} ${err.message}`.trim());
  }
}

/** One UDP exchange with retries. Mismatched ids are ignored (and noted), like a careful stub resolver. */
function udpExchange(q: Buffer, o: Required<Pick<QueryOptions, 'server' | 'port' | 'timeoutMs' | 'retries'>> & { id: number; name: string; type: string }): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: net.isIPv6(o.server) ? 'udp6' : 'udp4' });
    const issues: WireIssue[] = [];
    let attempt = 0;
    let sentAt = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let lastBad: DnsError | null = null;
    const finish = (err: Error | null, value?: Attempt) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      if (err) reject(err);
      else resolve(value!);
    };
    const send = () => {
      attempt++;
      sentAt = performance.now();
      sock.send(q, (err) => {
        if (err) finish(transportError(err as NodeJS.ErrnoException, o.server, o.port, 'udp'));
      });
      timer = setTimeout(() => {
        if (attempt <= o.retries) send();
        else if (lastBad) finish(lastBad);
        else finish(new DnsError('TIMEOUT', `${o.server}:${o.port}/udp: no answer after ${attempt} attempt(s) of ${o.timeoutMs} ms`));
      }, o.timeoutMs);
    };
    sock.on('error', (err) => finish(transportError(err as NodeJS.ErrnoException, o.server, o.port, 'udp')));
    sock.on('message', (msg) => {
      const latencyMs = performance.now() - sentAt;
      // A message whose id is not ours may be a late, spoofed or stray packet: note it, keep waiting.
      if (msg.length < 2 || msg.readUInt16BE(0) !== o.id) {
        const got = msg.length >= 2 ? String(msg.readUInt16BE(0)) : 'none';
        issues.push({ code: 'ID_MISMATCH', message: `ignored a ${msg.length}-byte message with id ${got} (expected ${o.id})` });
        lastBad = new DnsError('ID_MISMATCH', `only message(s) with the wrong id came back (last: id ${got}, expected ${o.id})`, 0);
        return;
      }
      try {
        const parsed = parseResponse(msg, { id: o.id, name: o.name, type: o.type });
        finish(null, { parsed, latencyMs, attempts: attempt, issues });
      } catch (e) {
        finish(e as Error);
      }
    });
    sock.connect(o.port, o.server, () => send());
  });
}

/** One TCP exchange (length-prefixed), with retries on timeout. */
async function tcpExchange(q: Buffer, o: Required<Pick<QueryOptions, 'server' | 'port' | 'timeoutMs' | 'retries'>> & { id: number; name: string; type: string }): Promise<Attempt> {
  let lastErr: DnsError | null = null;
  for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
    try {
      const { msg, latencyMs } = await tcpOnce(q, o);
      return { parsed: parseResponse(msg, { id: o.id, name: o.name, type: o.type }), latencyMs, attempts: attempt, issues: [] };
    } catch (e) {
      if (!(e instanceof DnsError)) throw e;
      lastErr = e;
      if (e.code !== 'TIMEOUT') throw e;
    }
  }
  throw lastErr!;
}

function tcpOnce(q: Buffer, o: { server: string; port: number; timeoutMs: number }): Promise<{ msg: Buffer; latencyMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sock = net.connect({ host: o.server, port: o.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | null, msg?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve({ msg: msg!, latencyMs: performance.now() - started });
    };
    const timer = setTimeout(
      () => finish(new DnsError('TIMEOUT', `${o.server}:${o.port}/tcp: no answer within ${o.timeoutMs} ms`)),
      o.timeoutMs,
    );
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      sock.write(Buffer.concat([len, q]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_UDP + 2) return finish(new DnsError('OVERSIZED', 'TCP stream carries more than one 64 KiB message'));
      if (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length >= 2 + len) finish(null, buf.subarray(2, 2 + len));
      }
    });
    sock.on('end', () => {
      const need = buf.length >= 2 ? buf.readUInt16BE(0) : 2;
      finish(new DnsError(buf.length === 0 ? 'CONNECTION_CLOSED' : 'TRUNCATED_MESSAGE', buf.length === 0 ? `${o.server}:${o.port}/tcp: the server closed the connection without answering` : `${o.server}:${o.port}/tcp: the connection closed after ${buf.length - 2} of ${need} announced bytes`));
    });
    sock.on('error', (err) => finish(transportError(err as NodeJS.ErrnoException, o.server, o.port, 'tcp')));
  });
}

function normalize(opts: QueryOptions) {
  if (net.isIP(opts.server) === 0) throw new DnsError('BAD_REQUEST', `server "${opts.server}" is not an IP address`);
  const port = opts.port ?? 53;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DnsError('BAD_REQUEST', `port ${port} is out of range`);
  const timeoutMs = opts.timeoutMs ?? 2000;
  const retries = opts.retries ?? 2;
  if (!(timeoutMs > 0) || timeoutMs > 600_000) throw new DnsError('BAD_REQUEST', `timeout ${timeoutMs} ms is out of range`);
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new DnsError('BAD_REQUEST', `retries ${retries} is out of range (0-20)`);
  const edns = opts.edns === undefined ? DEFAULT_EDNS_SIZE : opts.edns;
  if (edns !== false && (!Number.isInteger(edns) || edns < 512 || edns > 65535)) throw new DnsError('BAD_REQUEST', `EDNS size ${edns} is out of range (512-65535)`);
  // Like `dig -x`: a PTR question for an address asks for its reverse name.
  const asked = opts.type === 'PTR' && net.isIP(opts.name) ? reverseName(opts.name)! : opts.name;
  return { server: opts.server, port, name: checkQueryName(asked), type: opts.type, tcp: !!opts.tcp, recurse: opts.recurse ?? true, timeoutMs, retries, edns, id: opts.id ?? randomInt(0, 65536) };
}

/** Sends one question and returns the validated answer. Throws DnsError (and only DnsError). */
export async function query(opts: QueryOptions): Promise<DnsResponse> {
  const o = normalize(opts);
  let edns = o.edns;
  const issues: WireIssue[] = [];
  let truncated = false;
  const run = async (tcp: boolean): Promise<Attempt & { transport: 'udp' | 'tcp' }> => {
    const q = encodeQuery({ id: o.id, name: o.name, type: o.type, recurse: o.recurse, edns });
    const a = tcp ? await tcpExchange(q, o) : await udpExchange(q, o);
    return { ...a, transport: tcp ? 'tcp' : 'udp' };
  };
  let res = await run(o.tcp);
  // A server that does not speak EDNS answers FORMERR without an OPT record: ask again without it.
  if (edns !== false && res.parsed.rcode === 'FORMERR' && res.parsed.edns === null) {
    issues.push({ code: 'EDNS_FALLBACK', message: 'the server answered FORMERR to an EDNS query; asked again without EDNS' });
    edns = false;
    res = await run(o.tcp);
  }
  if (res.transport === 'udp') {
    const advertised = edns === false ? 512 : edns;
    if (res.parsed.size > advertised) {
      issues.push({ code: 'OVERSIZED_UDP', message: `UDP answer is ${res.parsed.size} bytes, more than the ${advertised} we advertised` });
    }
    if (res.parsed.flags.tc) {
      truncated = true;
      issues.push(...res.issues, ...res.parsed.issues);
      issues.push({ code: 'TC_FALLBACK', message: 'UDP answer had TC set; retried over TCP' });
      try {
        res = await run(true);
      } catch (e) {
        issues.push({ code: 'TCP_FALLBACK_FAILED', message: `TCP retry failed: ${(e as Error).message}; showing the truncated UDP answer` });
      }
    }
  }
  const seen = new Set(issues.map((i) => `${i.code}:${i.message}`));
  for (const i of [...res.issues, ...res.parsed.issues]) if (!seen.has(`${i.code}:${i.message}`)) issues.push(i);
  const p = res.parsed;
  return {
    server: o.server,
    port: o.port,
    transport: res.transport,
    id: p.id,
    opcode: p.opcode,
    rcode: p.rcode,
    flags: p.flags,
    question: p.question,
    answers: p.answers,
    authorities: p.authorities,
    additionals: p.additionals,
    edns: p.edns,
    latencyMs: Math.round(res.latencyMs * 100) / 100,
    attempts: res.attempts,
    truncated,
    size: p.size,
    issues,
  };
}

/** `query` that never throws: an error becomes `{ ok: false, error }` (for the agent and batch use). */
export async function tryQuery(opts: QueryOptions): Promise<{ ok: true; response: DnsResponse } | { ok: false; error: ReturnType<DnsError['toJSON']> }> {
  try {
    return { ok: true, response: await query(opts) };
  } catch (e) {
    const err = e instanceof DnsError ? e : new DnsError('SOCKET_ERROR', (e as Error).message);
    return { ok: false, error: err.toJSON() };
  }
}
