// Probes with a POSIX shell and the tools of an image, for the sidecar and exec methods: one
// script runs every probe of one source, in waves of `concurrency` background jobs, and prints
// one line per probe that parseShellOutput() reads back. Written for busybox (whose small `nc`
// has only -w and no -u/-z, and whose `date` has no %N: times come from /proc/uptime, 10 ms
// resolution) and works with other `nc` flavours and bash's /dev/tcp.
//
// DNS and UDP go through busybox `nslookup`: it sends its query on a CONNECTED UDP socket, so an
// ICMP port-unreachable comes back as "read: Connection refused" (checked on the live daemon; it
// still waits out its timeout before giving up). A UDP probe is therefore a DNS query for a
// harmless name under .invalid: a DNS reply means `answered`, the ICMP error `refused`, silence
// `no-answer`. A reply that is not DNS is not seen by nslookup (it reads as silence).
//
// Only validated addresses, ports, names and types are interpolated into the script (see buildShellScript).

import net from 'node:net';
import { nameProblem, reverseName } from '../dns/names.js';
import type { AgentResult, AgentTarget, DnsProbeRecord } from './types.js';

/** Tools found in a container or image, by `command -v`. */
export interface ShellTools {
  nc: boolean;
  bash: boolean;
  timeout: boolean;
  ping: boolean;
  /** busybox-style `nslookup [-type=T] NAME SERVER[:PORT]` (for dns, and udp without a payload). */
  nslookup: boolean;
}

export const TOOL_PROBE_SCRIPT =
  'for t in nc bash timeout ping nslookup; do if command -v "$t" >/dev/null 2>&1; then echo "have $t"; fi; done; echo "tools-done"';

export function parseTools(out: string): ShellTools {
  const has = (t: string): boolean => new RegExp(`^have ${t}$`, 'm').test(out);
  return { nc: has('nc'), bash: has('bash'), timeout: has('timeout'), ping: has('ping'), nslookup: has('nslookup') };
}

/** The question types busybox 1.35's nslookup knows (its -type= list). */
export const NSLOOKUP_TYPES: readonly string[] = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT', 'ANY'];

/** The harmless name a UDP probe asks about: .invalid never exists (RFC 6761). */
export const UDP_PROBE_NAME = 'netsleuth-probe.invalid';

/**
 * What a shell with these tools can probe, and why not for the rest. With a target, its details
 * count too (a UDP payload, a DNS question type).
 */
export function shellSupport(kind: AgentTarget['kind'], tools: ShellTools, target?: AgentTarget): string | null {
  switch (kind) {
    case 'tcp':
      return tools.nc || tools.bash ? null : 'no nc and no bash (/dev/tcp) to open a TCP connection';
    case 'http':
      if (!tools.nc) return 'no nc to send an HTTP request';
      return null;
    case 'icmp':
      return tools.ping ? null : 'no ping tool';
    case 'udp':
      if (target?.payloadHex) return 'a UDP payload (payloadHex) needs the nsenter method: the shell tools can only send a DNS query (busybox nslookup)';
      return tools.nslookup ? null : 'no nslookup to send a UDP datagram (busybox nslookup reports an ICMP port-unreachable; nc cannot)';
    case 'dns':
      if (!tools.nslookup) return 'no nslookup to ask a DNS server';
      if (target && !NSLOOKUP_TYPES.includes(target.qtype ?? 'A')) return `busybox nslookup cannot ask ${target.qtype} questions (it knows ${NSLOOKUP_TYPES.join(', ')})`;
      return null;
  }
}

/** A name that may go into the script: DNS name characters only, no leading dash (nslookup would read an option). */
export function shellSafeName(name: string): boolean {
  return /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(name) && nameProblem(name) === null;
}

/** `ADDRESS:PORT` as busybox nslookup takes a server (`[v6]:PORT` for IPv6). */
function serverSpec(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
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
    // -retry=1: one attempt, bounded by -timeout (both accepted by busybox 1.35, not in its --help).
    `dns() { a=$(up); o=$(${bound} nslookup -type=$4 -timeout=$T -retry=1 "$3" "$2" 2>&1); say "$1" "$?" "$a" "$o"; }`,
  ];
  const calls: string[] = [];
  targets.forEach((t0, i) => {
    const t = t0.kind === 'dns' && t0.port === undefined ? { ...t0, port: 53 } : t0;
    // Interpolated values are checked here, whatever the caller validated.
    if (net.isIP(t.address) === 0) throw new RangeError(`not an IP address: ${t.address}`);
    if (t.kind !== 'icmp' && (!Number.isInteger(t.port) || t.port! < 1 || t.port! > 65535)) throw new RangeError(`bad port: ${t.port}`);
    const path = t.path ?? '/';
    if (!/^\/[A-Za-z0-9._~!$&()*+,;=:@%/?-]*$/.test(path)) throw new RangeError(`path has characters a shell probe does not send: ${path}`);
    const arg = (s: string): string => `'${s}'`;
    if (t.kind === 'dns' || t.kind === 'udp') {
      // udp: any DNS reply is an answer; the name is one no server can know.
      const qtype = t.kind === 'dns' ? (t.qtype ?? 'A') : 'A';
      if (!NSLOOKUP_TYPES.includes(qtype)) throw new RangeError(`busybox nslookup cannot ask ${qtype}`);
      if (t.kind === 'udp' && t.payloadHex) throw new RangeError('shell probes cannot send a UDP payload');
      let name = t.kind === 'dns' ? (t.name ?? '') : UDP_PROBE_NAME;
      // busybox sends an address as the PTR question as it is: ask the reverse name ourselves.
      if (qtype === 'PTR') name = reverseName(name) ?? name;
      if (!shellSafeName(name)) throw new RangeError(`name has characters a shell probe does not send: ${name}`);
      // The trailing dot keeps nslookup from trying the search list first.
      calls.push(`dns ${i} ${arg(serverSpec(t.address, t.port!))} ${arg(name.endsWith('.') ? name : `${name}.`)} ${qtype.toLowerCase()} &`);
    } else if (t.kind === 'tcp') calls.push(`tcp ${i} ${arg(t.address)} ${t.port} &`);
    else if (t.kind === 'http') calls.push(`http ${i} ${arg(t.address)} ${t.port} ${arg(path)} &`);
    else if (t.kind === 'icmp') calls.push(`icmp ${i} ${arg(t.address)} &`);
    else throw new RangeError(`shell probes cannot do ${t.kind}`);
    if ((i + 1) % conc === 0) calls.push('wait');
  });
  calls.push('wait', `echo "${MARK}-END"`);
  return [...lines, ...calls].join('\n') + '\n';
}

type Classified = Pick<AgentResult, 'result' | 'errno' | 'status' | 'detail' | 'rcode' | 'answers' | 'records'>;

/** What busybox nslookup printed (raw, or folded onto one line by the script), read back. */
export interface NslookupReading {
  /** reply: a DNS response arrived; refused: ICMP port-unreachable; timeout: nothing came back. */
  outcome: 'reply' | 'refused' | 'unreachable' | 'timeout' | 'other';
  rcode: string | null;
  records: DnsProbeRecord[];
  /** unreachable: the errno named in the message. */
  errno?: string;
}

// busybox 1.35 nslookup's answer lines, whitespace folded: "Name: N Address: IP", "N canonical name = X",
// "N name = X" (PTR), "N mail exchanger = P X", "N nameserver = X", "N service = P W PORT X", "N text = "..."",
// and SOA as "N origin = X mail addr = M serial = S refresh = R retry = R expire = E minimum = M".
const RECORD_RE =
  /Name: (\S+) Address: (\S+)|(\S+) (canonical name|name|mail exchanger|nameserver|service|text) = ((?:"[^"]*"(?: "[^"]*")*)|(?:\d+ )*\S+)|(\S+) origin = (\S+) mail addr = (\S+) serial = (\d+) refresh = (\d+) retry = (\d+) expire = (\d+) minimum = (\d+)/g;
const LABEL_TYPE: Record<string, string> = { 'canonical name': 'CNAME', name: 'PTR', 'mail exchanger': 'MX', nameserver: 'NS', service: 'SRV', text: 'TXT' };

export function parseNslookup(code: number, output: string): NslookupReading {
  // Control characters from a server's data never reach a terminal from here.
  const text = output.replace(/[\0-\x08\x0e-\x1f\x7f]/g, '?').replace(/\s+/g, ' ').trim();
  // The "Server:/Address:" header is printed only once a reply has arrived.
  const header = /(?:^| )Server: \S+ Address: \S+/.exec(text);
  if (header) {
    const body = text.slice(header.index + header[0].length);
    const fail = /\*\* server can't find \S+: ([A-Z]+)/.exec(body);
    if (fail) return { outcome: 'reply', rcode: fail[1]!, records: [] };
    const records: DnsProbeRecord[] = [];
    for (const m of body.matchAll(RECORD_RE)) {
      if (m[1] !== undefined) records.push({ name: m[1], type: net.isIPv6(m[2]!) ? 'AAAA' : 'A', data: m[2]! });
      else if (m[3] !== undefined) records.push({ name: m[3], type: LABEL_TYPE[m[4]!]!, data: m[5]! });
      else records.push({ name: m[6]!, type: 'SOA', data: m.slice(7, 14).join(' ') });
    }
    // NOERROR without answers (NODATA) prints the header and nothing else (exit 0).
    return { outcome: 'reply', rcode: code === 0 || records.length ? 'NOERROR' : null, records };
  }
  if (/Connection refused/i.test(text)) return { outcome: 'refused', rcode: null, records: [] };
  if (/no route to host|host is unreachable/i.test(text)) return { outcome: 'unreachable', rcode: null, records: [], errno: 'EHOSTUNREACH' };
  if (/network is unreachable/i.test(text)) return { outcome: 'unreachable', rcode: null, records: [], errno: 'ENETUNREACH' };
  if (/connection timed out|no servers could be reached/i.test(text)) return { outcome: 'timeout', rcode: null, records: [] };
  return { outcome: 'other', rcode: null, records: [] };
}

const VIA_NSLOOKUP = 'sent a DNS query datagram with busybox nslookup';

function classifyNslookup(kind: 'dns' | 'udp', code: number, msg: string): Classified | null {
  const r = parseNslookup(code, msg);
  if (kind === 'udp') {
    switch (r.outcome) {
      case 'reply':
        return { result: 'answered', detail: `a DNS reply (${r.rcode ?? 'unparsed rcode'}) came back; ${VIA_NSLOOKUP}` };
      case 'refused':
        return { result: 'refused', errno: 'ECONNREFUSED', detail: `ICMP port unreachable; ${VIA_NSLOOKUP} (it reports the error after its timeout)` };
      case 'unreachable':
        return { result: 'unreachable', errno: r.errno, detail: VIA_NSLOOKUP };
      case 'timeout':
        return { result: 'no-answer', detail: `no reply and no ICMP error within the timeout (UDP silence proves nothing; ${VIA_NSLOOKUP}, which ignores a reply that is not DNS)` };
      default:
        return null;
    }
  }
  switch (r.outcome) {
    case 'reply':
      if (r.rcode === null) return { result: 'error', errno: 'EPROTO', detail: `a reply came back, but nslookup's output was not understood: ${msg.slice(0, 160)}` };
      return { result: 'answered', rcode: r.rcode, answers: r.records.map((x) => x.data), records: r.records, detail: `${r.rcode}, ${r.records.length} answer(s) (busybox nslookup)` };
    case 'refused':
      return { result: 'refused', errno: 'ECONNREFUSED', detail: 'ICMP port unreachable: nothing listens on that UDP port (nslookup reports it after its timeout)' };
    case 'unreachable':
      return { result: 'unreachable', errno: r.errno };
    case 'timeout':
      return { result: 'timeout', errno: 'ETIMEDOUT', detail: 'no DNS reply within the timeout (busybox nslookup)' };
    default:
      return null;
  }
}

/** A message from nc, bash, ping or nslookup, classified. */
export function classifyShell(kind: AgentTarget['kind'], code: number, message: string): Classified {
  const msg = message.trim();
  if ((kind === 'dns' || kind === 'udp') && code !== 127) {
    const c = classifyNslookup(kind, code, msg);
    if (c) return c;
  }
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
