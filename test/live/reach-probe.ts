// Probes for the reach oracle (test/live/reach-oracle.test.ts): what the kernel really does with one
// connection attempt, classified the way `reach` verdicts are compared.
//
//   connected    TCP: the listener answered our payload; UDP: the echo came back; ICMP: echo reply
//   closed       TCP accepted, then closed with no data: docker-proxy accepted on the host and its
//                own leg to the container was refused (the app is not there)
//   refused      TCP RST / ICMP port unreachable: the packet reached a stack where nothing listens
//   unreachable  the sender got "network/host unreachable" (no route, or an ICMP error)
//   timeout      nothing came back within the bound: dropped somewhere
//
// Every probe is bounded (nc -w 2, ping -W 2, 2.5 s for UDP, plus a hard kill of the process) and
// sends one connection attempt (UDP: three datagrams), only to addresses the test created.
// TCP from a container runs the container's own busybox `nc` via docker exec; from the host the
// same static busybox binary runs on the host. This busybox nc has neither -z nor -u, so UDP uses
// a small node program run inside the source's network namespace with `nsenter -t PID -n` (the
// socket, routes and firewall path are the namespace's; only the program comes from the host).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { exec } from './harness.js';

export type Observed = 'connected' | 'closed' | 'refused' | 'unreachable' | 'timeout' | 'error';

export interface Observation {
  result: Observed;
  detail: string;
}

const HTTP_PAYLOAD = "printf 'GET / HTTP/1.0\\r\\n\\r\\n'";

function runHost(file: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string | null; killed?: boolean }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        stdout,
        stderr: stderr + (e && typeof e.code === 'string' ? e.message : ''),
        timedOut: !!e?.killed,
      });
    });
  });
}

/** Classifies the outcome of busybox `printf REQ | nc -w 2 IP PORT`. */
export function classifyNc(r: { code: number | null; stdout: string; stderr: string; timedOut: boolean }): Observation {
  const text = `${r.stdout}${r.stderr}`.trim();
  const one = text.split('\n').slice(0, 2).join(' | ');
  if (r.stdout.length > 0) return { result: 'connected', detail: one };
  if (/refused/i.test(text)) return { result: 'refused', detail: one };
  if (/unreachable|no route/i.test(text)) return { result: 'unreachable', detail: one };
  if (/timed out/i.test(text) || r.timedOut) return { result: 'timeout', detail: one || 'killed at the bound' };
  // connected, then EOF with nothing read: the peer (docker-proxy) closed the connection
  if (r.code === 0) return { result: 'closed', detail: 'connection accepted, then closed with no data' };
  return { result: 'error', detail: `exit ${r.code}: ${one}` };
}

/** TCP from inside a container: its own busybox nc sends an HTTP request; any reply counts. */
export async function tcpFromContainer(container: string, ip: string, port: number): Promise<Observation> {
  const r = await exec(container, ['sh', '-c', `${HTTP_PAYLOAD} | nc -w 2 ${ip} ${port}`], 15_000);
  return classifyNc(r);
}

/** `ip netns exec NS` prefix for a named network namespace, or nothing for the host's own. */
function inNetns(netns: string | undefined, file: string, args: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, file, ...args]] : [file, args];
}

/** TCP from the host's own network namespace (or a named one), with the same busybox nc. */
export async function tcpFromHost(ip: string, port: number, netns?: string): Promise<Observation> {
  const [file, args] = inNetns(netns, 'sh', ['-c', `${HTTP_PAYLOAD} | busybox nc -w 2 ${ip} ${port}`]);
  return classifyNc(await runHost(file, args, 15_000));
}

/** ICMP echo (one, 2 s) from inside a container. */
export async function icmpFromContainer(container: string, ip: string): Promise<Observation> {
  return classifyPing(await exec(container, ['ping', '-c', '1', '-W', '2', ip], 15_000));
}

export async function icmpFromHost(ip: string, netns?: string): Promise<Observation> {
  const [file, args] = inNetns(netns, 'busybox', ['ping', '-c', '1', '-W', '2', ip]);
  return classifyPing(await runHost(file, args, 15_000));
}

function classifyPing(r: { code: number | null; stdout: string; stderr: string; timedOut: boolean }): Observation {
  const text = `${r.stdout}${r.stderr}`;
  const line = text.split('\n').find((l) => /bytes from|unreachable|transmitted|ping:/i.test(l)) ?? text.trim();
  if (r.code === 0 && /bytes from/.test(text)) return { result: 'connected', detail: line };
  if (/unreachable|no route/i.test(text)) return { result: 'unreachable', detail: line.trim() };
  if (/0 packets received|100% packet loss/.test(text) || r.timedOut) return { result: 'timeout', detail: line.trim() };
  return { result: 'error', detail: `exit ${r.code}: ${text.trim()}` };
}

// A UDP client: three datagrams to a connected socket; the echo means connected, an ICMP port
// unreachable surfaces as ECONNREFUSED on the connected socket.
const UDP_PROBE = `
const dgram = require('node:dgram');
const [ip, port] = [process.env.P_IP, Number(process.env.P_PORT)];
const s = dgram.createSocket('udp4');
let done = false;
const fin = (r, d) => { if (done) return; done = true; process.stdout.write(JSON.stringify({ result: r, detail: d })); try { s.close(); } catch {} process.exit(0); };
const why = (e) => e.code === 'ECONNREFUSED' ? 'refused' : /UNREACH/.test(e.code) ? 'unreachable' : 'error';
s.on('message', (m) => fin('connected', 'echo: ' + m.toString().slice(0, 40)));
s.on('error', (e) => fin(why(e), e.code));
s.connect(port, ip, () => {
  const send = () => s.send('netsleuth-reach-oracle', (e) => e && fin(why(e), e.code));
  send(); setTimeout(send, 500); setTimeout(send, 1000);
});
setTimeout(() => fin('timeout', 'no reply in 2.5 s'), 2500);
`;

/** UDP from a network namespace (a container's PID, or null for the host). */
export async function udpFrom(pid: number | null, ip: string, port: number): Promise<Observation> {
  const node = process.execPath;
  const [file, args] = pid ? ['nsenter', ['-t', String(pid), '-n', node, '-e', UDP_PROBE]] : [node, ['-e', UDP_PROBE]];
  const r = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(file, args as string[], { timeout: 10_000, killSignal: 'SIGKILL', encoding: 'utf8', env: { ...process.env, P_IP: ip, P_PORT: String(port) } }, (_e, stdout, stderr) =>
      resolve({ stdout, stderr }),
    );
  });
  try {
    return JSON.parse(r.stdout) as Observation;
  } catch {
    return { result: 'error', detail: `udp probe: ${r.stdout}${r.stderr}`.trim() };
  }
}

// ------------------------------------------------------------------------------------------------
// listeners the test runs outside containers (each a bounded child process, killed in cleanup)

export interface Child {
  proc: ChildProcess;
  stop(): void;
}

function startChild(file: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const stop = () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    };
    const t = setTimeout(() => {
      stop();
      reject(new Error(`${what}: not ready after 10 s: ${err}`));
    }, 10_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('ready')) {
        clearTimeout(t);
        resolve({ proc, stop });
      }
    });
    proc.stderr!.on('data', (d) => (err += d));
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what}: exited (${code}) before ready: ${err}`));
    });
  });
}

// Answers any request on each address:port with a one-line HTTP reply; exits by itself after
// LIFETIME_MS so a crashed test run cannot leave it behind for long.
const TCP_SERVER = `
const net = require('node:net');
const binds = JSON.parse(process.env.BINDS);
let up = 0;
for (const [host, port] of binds) {
  const s = net.createServer((c) => { c.on('error', () => {}); c.once('data', () => c.end('HTTP/1.0 200 OK\\r\\n\\r\\nhost\\n')); });
  s.on('error', (e) => { console.error(String(e)); process.exit(1); });
  s.listen(port, host, () => { if (++up === binds.length) console.log('ready'); });
}
setTimeout(() => process.exit(0), Number(process.env.LIFETIME_MS));
`;

/** TCP listeners on the host (the test's own process tree), e.g. on a bridge gateway address. */
export function startHostTcpListeners(binds: Array<[string, number]>, netns?: string, lifetimeMs = 15 * 60_000): Promise<Child> {
  const [file, args] = inNetns(netns, process.execPath, ['-e', TCP_SERVER]);
  return startChild(file, args, { BINDS: JSON.stringify(binds), LIFETIME_MS: String(lifetimeMs) }, `TCP listener in ${netns ?? 'the host namespace'}`);
}

const UDP_ECHO = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.on('error', (e) => { console.error(String(e)); process.exit(1); });
s.bind(Number(process.env.PORT), '0.0.0.0', () => console.log('ready'));
setTimeout(() => process.exit(0), Number(process.env.LIFETIME_MS));
`;

/** A UDP echo server bound to 0.0.0.0:PORT inside the network namespace of the process PID. */
export function startUdpEchoIn(pid: number, port: number, lifetimeMs = 15 * 60_000): Promise<Child> {
  return startChild('nsenter', ['-t', String(pid), '-n', process.execPath, '-e', UDP_ECHO], { PORT: String(port), LIFETIME_MS: String(lifetimeMs) }, `UDP echo in netns of ${pid}`);
}

/** A TCP port nothing listens on right now on the host (any address), below the ephemeral range. */
export async function freeHostPort(avoid: readonly number[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (avoid.includes(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free host port found');
}
