#!/usr/bin/env node
// Start-up cost of the CLI, as CI gates see it (a fresh process per call), against `node -e ''`
// measured in the same run, interleaved so machine drift hits all commands alike.
// Targets (DESIGN.md): --version ≤ 150 ms, an analysis of the bundled example ≤ 250 ms.
//
//   npm run build && node bench/startup.mjs [runs=15]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 15);
const example = join(root, 'docs/examples/example.snapshot.json');
const cli = join(root, 'bin/run.js');
const commands = [
  { name: "node -e ''", args: ['-e', ''] },
  { name: 'netsleuth --version', args: [cli, '--version'], target: 150 },
  { name: 'netsleuth snapshot show example --json', args: [cli, 'snapshot', 'show', example, '--json'], target: 250 },
  { name: 'netsleuth snapshot show example', args: [cli, 'snapshot', 'show', example], target: 250 },
  { name: 'netsleuth snapshot validate example', args: [cli, 'snapshot', 'validate', example], target: 250 },
];

const times = commands.map(() => []);
for (let r = -1; r < runs; r++) {
  commands.forEach((c, i) => {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`${c.name} exited ${res.status}: ${res.stderr}`);
    if (r >= 0) times[i].push(ms); // r = -1 is the warm-up
  });
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(times[0]);
console.log(`startup: ${runs} runs each after one warm-up, Node ${process.version}, medians (min–max)`);
commands.forEach((c, i) => {
  const m = median(times[i]);
  const line = `${c.name.padEnd(40)} ${m.toFixed(0).padStart(5)} ms  (${Math.min(...times[i]).toFixed(0)}–${Math.max(...times[i]).toFixed(0)})  ×${(m / base).toFixed(2)} of node -e ''`;
  const verdict = c.target ? (m <= c.target ? `  ≤ ${c.target} ms target: met` : `  ≤ ${c.target} ms target: MISSED`) : '';
  console.log(line + verdict);
});
