// Probes with a POSIX shell and the tools of an image, for the sidecar and exec methods: one
// script runs every probe of one source, in waves of `concurrency` background jobs, and prints
// one line per probe that parseShellOutput() reads back. Written for busybox (whose small `nc`
// has only -w and no -u/-z, and whose `date` has no %N: times come from /proc/uptime, 10 ms
// resolution) and works with other `nc` flavours and bash's /dev/tcp.
//
// Only validated addresses and ports are interpolated into the script (see buildShellScript).

import net from 'node:net';
import type { AgentResult, AgentTarget } from './types.js';

/** Tools found in a container or image, by `command -v`. */
export interface ShellTools {
  nc: boolean;
  bash: boolean;
  timeout: boolean;
  ping: boolean;
}

export const TOOL_PROBE_SCRIPT =
  'for t in nc bash timeout ping; do if command -v "$t" >/dev/null 2>&1; then echo "have $t"; fi; done; echo "tools-done"';

export function parseTools(out: string): ShellTools {
  const has = (t: string): boolean => new RegExp(`^have ${t}$`, 'm').test(out);
  return { nc: has('nc'), bash: has('bash'), timeout: has('timeout'), ping: has('ping') };
}

/** What a shell with these tools can probe, and why not for the rest. */
export function shellSupport(kind: AgentTarget['kind'], tools: ShellTools): string | null {
  switch (kind) {
    case 'tcp':
      return tools.nc || tools.bash ? null : 'no nc and no bash (/dev/tcp) to open a TCP connection';
    case 'http':
      if (!tools.nc) return 'no nc to send an HTTP request';
      return null;
    case 'icmp':
      return tools.ping ? null : 'no ping tool';
    case 'udp':
      return 'UDP needs the nsenter method (shell tools cannot report an ICMP port-unreachable reliably)';
  }
}

const MARK = 'NSPROBE';

/**
 * The script. Each probe prints `NSPROBE <index> <exit code> <uptime before> <uptime after> <message>`;
 * http adds the status line as the message. `tools` decides tcp's tool (nc, else bash /dev/tcp).
 */
export function buildShellScript(targets: AgentTarget[], opts: { timeoutMs: number; concurrency: number; tools: ShellTools }): string {
  const secs = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
  const hard = secs + 3;
  const conc = Math.max(1, Math.min(256, Math.floor(opts.concurrency)));
  // A hard bound per tool run when the image has `timeout` (checked at run time).
  const bound = '$B';
  const lines: string[] = [
    // -f: messages are echoed unquoted (to fold them onto one line) and must not glob.
    'set -f',
    `T=${secs}`,
    `B=''; if command -v timeout >/dev/null 2>&1; then B='timeout ${hard}'; fi`,
    `up() { read u _ </proc/uptime 2>/dev/null || u=0; echo "$u"; }`,
    `say() { echo "${MARK} $1 $2 $3 $(up)" $4; }`,
    opts.tools.nc
      ? `tcp() { a=$(up); o=$(${bound} nc -w $T "$2" "$3" </dev/null 2>&1 >/dev/null); say "$1" "$?" "$a" "$o"; }`
      : `tcp() { a=$(up); o=$(${bound} bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$2" "$3" 2>&1); say "$1" "$?" "$a" "$o"; }`,
    `http() { a=$(up); o=$(printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nUser-Agent: netsleuth-probe\\r\\nConnection: close\\r\\n\\r\\n' "$4" "$2" | ${bound} nc -w $T "$2" "$3" 2>&1 | head -n 1); say "$1" "$?" "$a" "$o"; }`,
    `icmp() { a=$(up); o=$(ping -c 1 -W $T "$2" 2>&1); say "$1" "$?" "$a" "$o"; }`,
  ];
  const calls: string[] = [];
  targets.forEach((t, i) => {
    // Interpolated values are checked here, whatever the caller validated.
    if (net.isIP(t.address) === 0) throw new RangeError(`not an IP address: ${t.address}`);
    if (t.kind !== 'icmp' && (!Number.isInteger(t.port) || t.port! < 1 || t.port! > 65535)) throw new RangeError(`bad port: ${t.port}`);
    const path = t.path ?? '/';
    if (!/^\/[A-Za-z0-9._~!$&()*+,;=:@%/?-]*$/.test(path)) throw new RangeError(`path has characters a shell probe does not send: ${path}`);
    const arg = (s: string): string => `'${s}'`;
    if (t.kind === 'tcp') calls.push(`tcp ${i} ${arg(t.address)} ${t.port} &`);
    else if (t.kind === 'http') calls.push(`http ${i} ${arg(t.address)} ${t.port} ${arg(path)} &`);
    else if (t.kind === 'icmp') calls.push(`icmp ${i} ${arg(t.address)} &`);
    else throw new RangeError(`shell probes cannot do ${t.kind}`);
    if ((i + 1) % conc === 0) calls.push('wait');
  });
  calls.push('wait', `echo "${MARK}-END"`);
  return [...lines, ...calls].join('\n') + '\n';
}

/** A message from nc, bash or ping, classified. */
export function classifyShell(kind: AgentTarget['kind'], code: number, message: string): Pick<AgentResult, 'result' | 'errno' | 'status' | 'detail'> {
  const msg = message.trim();
  if (kind === 'http') {
    const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(msg);
    if (m) return { result: 'connected', status: Number(m[1]), detail: `HTTP ${m[1]}` };
  }
  if (kind === 'icmp') {
    if (code === 0 && /time=/.test(msg)) return { result: 'answered', detail: 'ICMP echo reply' };
    if (/unreachable/i.test(msg)) return { result: 'unreachable', errno: 'EHOSTUNREACH', detail: msg };
    if (code === 1) return { result: 'no-answer', detail: 'no ICMP echo reply' };
    return { result: 'error', errno: `EXIT${code}`, detail: msg || `ping exited ${code}` };
  }
  if (/refused/i.test(msg)) return { result: 'refused', errno: 'ECONNREFUSED' };
  if (/no route to host|host is unreachable|host unreachable/i.test(msg)) return { result: 'unreachable', errno: 'EHOSTUNREACH' };
  if (/network is unreachable|network unreachable/i.test(msg)) return { result: 'unreachable', errno: 'ENETUNREACH' };
  if (/timed out|timeout|in progress/i.test(msg)) return { result: 'timeout', errno: 'ETIMEDOUT' };
  if (kind === 'tcp' && code === 0) return { result: 'connected' };
  if (kind === 'http' && msg === '') {
    // nc connected and the server closed without a status line
    return code === 0 ? { result: 'error', errno: 'EPROTO', detail: 'connected, but no HTTP status line came back' } : { result: 'error', errno: `EXIT${code}` };
  }
  if (code === 124 || code === 137 || code === 143) return { result: 'error', errno: 'EHUNG', detail: 'the probe tool did not finish (killed by timeout)' };
  if (code === 127) return { result: 'error', errno: 'ENOTOOL', detail: msg || 'the probe tool is missing' };
  return { result: 'error', errno: `EXIT${code}`, detail: msg || `exit ${code}` };
}

/**
 * Reads the script's output back into one result per target. Targets with no line (the script was
 * cut short) get `error` with the reason given.
 */
export function parseShellOutput(targets: AgentTarget[], out: string, missing: string): AgentResult[] {
  const results: Array<AgentResult | undefined> = new Array(targets.length);
  for (const line of out.split('\n')) {
    const m = /^NSPROBE (\d+) (\d+) ([\d.]+) ([\d.]+) ?(.*)$/.exec(line.trim());
    if (!m) continue;
    const i = Number(m[1]);
    const t = targets[i];
    if (!t || results[i]) continue;
    const code = Number(m[2]);
    const cls = classifyShell(t.kind, code, m[5] ?? '');
    const ms = Math.max(0, Math.round((Number(m[4]) - Number(m[3])) * 1000));
    const latencyMs = cls.result === 'error' && cls.errno === 'ENOTOOL' ? null : ms;
    results[i] = { ...cls, latencyMs };
  }
  // Array.from, not map: map skips the holes of a sparse array.
  return Array.from(results, (r) => r ?? { result: 'error', latencyMs: null, errno: 'NORESULT', detail: missing });
}
