// bench/dns: 10,000 A queries against a local DNS server (in a worker thread on 127.0.0.1),
// answered by netsleuth's wire client in-process versus `dig -f` with the same queries in one
// batch file. Prints queries per second for each and the ratio. Uses dist/ (npm run build first).
//
//   node bench/dns.mjs [COUNT]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const COUNT = Number(process.argv[2] ?? 10_000);
const { query } = await import(join(root, 'dist/src/dns/client.js'));

// The server: answers every name under bench.test with one A record, NXDOMAIN otherwise.
const serverCode = `
const dgram = require('node:dgram');
const { parentPort } = require('node:worker_threads');
const dnsPacket = require(${JSON.stringify(join(root, 'node_modules/dns-packet'))});
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => {
  let q; try { q = dnsPacket.decode(m); } catch { return; }
  const name = q.questions[0].name;
  const ok = name.endsWith('bench.test');
  s.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | (ok ? 0 : 3), questions: q.questions,
    answers: ok ? [{ type: 'A', name, ttl: 5, data: '10.214.0.9' }] : [] }), r.port, r.address);
});
s.bind(0, '127.0.0.1', () => parentPort.postMessage(s.address().port));
`;
const worker = new Worker(serverCode, { eval: true });
const port = await new Promise((r) => worker.once('message', r));
const names = Array.from({ length: COUNT }, (_, i) => `n${i}.bench.test`);

// warm-up
for (let i = 0; i < 200; i++) await query({ server: '127.0.0.1', port, name: names[i], type: 'A', timeoutMs: 2000, retries: 1 });

let t = performance.now();
let answered = 0;
for (const name of names) {
  const r = await query({ server: '127.0.0.1', port, name, type: 'A', timeoutMs: 2000, retries: 1 });
  if (r.answers.length === 1) answered++;
}
const seqMs = performance.now() - t;

t = performance.now();
let next = 0;
let answeredPar = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < names.length) {
      const name = names[next++];
      const r = await query({ server: '127.0.0.1', port, name, type: 'A', timeoutMs: 2000, retries: 1 });
      if (r.answers.length === 1) answeredPar++;
    }
  }),
);
const parMs = performance.now() - t;

const qps = (n, ms) => Math.round((n / ms) * 1000);
console.log(`bench/dns: ${COUNT} A queries to a local server on 127.0.0.1:${port}`);
console.log(`  netsleuth query(), sequential:     ${qps(COUNT, seqMs)} q/s (${seqMs.toFixed(0)} ms, ${answered} answered)`);
console.log(`  netsleuth query(), 16 in flight:   ${qps(COUNT, parMs)} q/s (${parMs.toFixed(0)} ms, ${answeredPar} answered)`);

const dig = spawnSync('sh', ['-c', 'command -v dig'], { encoding: 'utf8' }).stdout.trim();
if (!dig) {
  console.log('  dig -f: skipped (dig not installed; Debian: apt-get install dnsutils)');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'nsbench-'));
  const batch = join(dir, 'batch.txt');
  writeFileSync(batch, names.map((n) => `@127.0.0.1 -p ${port} ${n} A +short +tries=2 +time=2`).join('\n') + '\n');
  t = performance.now();
  const out = execFileSync(dig, ['-f', batch], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const digMs = performance.now() - t;
  const digAnswered = out.split('\n').filter((l) => l.trim() === '10.214.0.9').length;
  console.log(`  dig -f (one batch file):           ${qps(COUNT, digMs)} q/s (${digMs.toFixed(0)} ms, ${digAnswered} answered)`);
  console.log(`  ratio netsleuth sequential / dig:  ${(digMs / seqMs).toFixed(2)}x`);
  console.log(`  ratio netsleuth 16-way / dig:      ${(digMs / parMs).toFixed(2)}x`);
}
await worker.terminate();
