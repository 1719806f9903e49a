// netsleuth's probe agent: a tiny program netsleuth runs with its own Node binary inside a
// container's network namespace (`nsenter -t PID -n node dist/src/probe/agent.js SUB 'JSON'`).
// It works for images with no tools at all, because nothing from the image is used.
//
// Contract: argv = [SUBCOMMAND, JSON request] (or "-": the JSON on stdin); prints exactly ONE JSON line on stdout:
//   {"ok":true,"agent":1,...result}  or  {"ok":false,"agent":1,"error":{"code":...,"message":...}}
// and exits 0 (2 for an unusable request). It touches only the addresses in the request.
//
// Subcommands are looked up in SUBCOMMANDS; each is loaded lazily so the agent starts fast.
// To add one, add an entry mapping the name to a module exporting
// `run(request: unknown): Promise<object>`.

import { pathToFileURL } from 'node:url';
import { AgentRequestError } from './agent-errors.js';

export const AGENT_PROTOCOL = 1;

type Handler = (request: unknown) => Promise<Record<string, unknown>>;

const SUBCOMMANDS: Record<string, () => Promise<Handler>> = {
  dns: async () => (await import('./agent-dns.js')).run,
  tcp: async () => (await import('./agent-net.js')).runTcp,
  udp: async () => (await import('./agent-net.js')).runUdp,
  icmp: async () => (await import('./agent-net.js')).runIcmp,
  http: async () => (await import('./agent-net.js')).runHttp,
  /** Any mix of tcp/udp/http/icmp/dns targets in one process: what the runner uses. */
  batch: async () => (await import('./agent-net.js')).run,
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(argv: string[]): Promise<number> {
  const [sub, raw] = argv;
  const out = (v: Record<string, unknown>) => process.stdout.write(JSON.stringify({ agent: AGENT_PROTOCOL, ...v }) + '\n');
  const load = sub !== undefined ? SUBCOMMANDS[sub] : undefined;
  if (!load) {
    out({ ok: false, error: { code: 'BAD_REQUEST', message: `unknown subcommand "${sub ?? ''}"; known: ${Object.keys(SUBCOMMANDS).join(', ')}` } });
    return 2;
  }
  let request: unknown;
  try {
    // "-": the request comes on stdin (large batches exceed the argv string limit).
    request = JSON.parse(raw === '-' ? await readStdin() : (raw ?? ''));
  } catch {
    out({ ok: false, error: { code: 'BAD_REQUEST', message: 'the request is not valid JSON' } });
    return 2;
  }
  try {
    const handler = await load();
    out({ ok: true, ...(await handler(request)) });
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    const code = e instanceof AgentRequestError ? 'BAD_REQUEST' : typeof err.code === 'string' ? err.code : 'AGENT_ERROR';
    out({ ok: false, error: { code, message: err.message } });
    return e instanceof AgentRequestError ? 2 : 0;
  }
}

// Run only as a program, not when imported (tests import the helpers).
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      process.stdout.write(JSON.stringify({ agent: AGENT_PROTOCOL, ok: false, error: { code: 'AGENT_ERROR', message: e.message } }) + '\n');
      process.exitCode = 0;
    },
  );
}
