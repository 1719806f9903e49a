// The agent's HTTP(S) probe: one GET with undici from inside the namespace. Reports the status,
// the time to the response headers, and TLS failures by their OpenSSL/Node code. Certificates
// are verified unless the request says `insecure` (off by default). Only the first 64 KiB of the
// body are read; the connection is not reused.

import { Agent, request } from 'undici';
import type { AgentResult, AgentTarget } from './types.js';

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 6 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function isTlsCode(c: string): boolean {
  return c.startsWith('ERR_TLS_') || c.startsWith('ERR_SSL_') || c.startsWith('CERT_') || c.includes('CERT') || c === 'EPROTO' || c.startsWith('UNABLE_TO_');
}

export async function probeHttp(t: AgentTarget, timeoutMs: number, insecure: boolean): Promise<AgentResult> {
  const host = t.address.includes(':') ? `[${t.address}]` : t.address;
  const url = `${t.tls ? 'https' : 'http'}://${host}:${t.port}${t.path ?? '/'}`;
  const dispatcher = new Agent({
    connect: { timeout: timeoutMs, rejectUnauthorized: !insecure, ...(t.serverName ? { servername: t.serverName } : {}) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    pipelining: 0,
  });
  const start = process.hrtime.bigint();
  const ms = (): number => Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100;
  // One overall bound: connect + headers within timeoutMs, whatever undici's own timers do.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await request(url, {
      method: 'GET',
      dispatcher,
      signal: abort.signal,
      headers: { 'user-agent': 'netsleuth-probe', ...(t.serverName ? { host: t.serverName } : {}), connection: 'close' },
    });
    const latencyMs = ms();
    let read = 0;
    try {
      for await (const chunk of res.body) {
        read += (chunk as Buffer).length;
        if (read > 64 * 1024) break;
      }
    } catch {
      // the status is what we came for; a body cut short does not change it
    }
    return { result: 'connected', latencyMs, status: res.statusCode, detail: `HTTP ${res.statusCode}` };
  } catch (err) {
    const latencyMs = ms();
    const codes = codesOf(err);
    const message = (err as Error).message?.replace(/\s+/g, ' ').slice(0, 200) ?? String(err);
    if (abort.signal.aborted || codes.some((c) => TIMEOUTS.has(c))) return { result: 'timeout', latencyMs, errno: codes.find((c) => TIMEOUTS.has(c)) ?? 'ETIMEDOUT', detail: `no response within ${timeoutMs} ms` };
    if (codes.includes('ECONNREFUSED')) return { result: 'refused', latencyMs, errno: 'ECONNREFUSED' };
    const unreach = codes.find((c) => UNREACHABLE.has(c));
    if (unreach) return { result: 'unreachable', latencyMs, errno: unreach };
    const tls = codes.find(isTlsCode);
    if (tls) return { result: 'error', latencyMs, errno: tls, detail: `TLS: ${message}` };
    return { result: 'error', latencyMs, errno: codes[0] ?? 'ERROR', detail: message };
  } finally {
    clearTimeout(timer);
    await dispatcher.destroy().catch(() => undefined);
  }
}
