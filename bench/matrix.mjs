// bench/matrix: `matrix` over a synthetic host with N containers (gen-snapshot + gen-network:
// Docker ≤27 rules with DNAT/ACCEPT per published port, isolation, some ICC-off networks, operator
// drops in DOCKER-USER). Prints classes, reach walks, wall and CPU time for the class-shared
// matrix; on a sample of pairs the per-pair walk cost, from which the every-pair-walked time is
// extrapolated (and, with --check, compares the two matrices cell by cell).
//
//   npm run build && node bench/matrix.mjs [--containers 1000] [--networks 10] [--port 80] [--check]
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateSnapshot } from './gen-snapshot.mjs';
import { addNetworkEvidence } from './gen-network.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.NETSLEUTH_DIST ?? join(here, '..', 'dist');
const { analyzeMatrix } = await import(pathToFileURL(join(dist, 'src', 'analysis', 'matrix.js')).href);
const { analyzeReach } = await import(pathToFileURL(join(dist, 'src', 'analysis', 'reach.js')).href);
const args = process.argv.slice(2);
const arg = (k, d) => (args.includes(`--${k}`) ? args[args.indexOf(`--${k}`) + 1] : d);
const N = Number(arg('containers', 1000));
const M = Number(arg('networks', 10));
const portArg = arg('port', '80');
const port = portArg === 'none' ? null : Number(portArg);

const snap = addNetworkEvidence(generateSnapshot({ containers: N, networks: M, seed: 7 }), { seed: 7 });
const state = snap.state;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

const t0 = performance.now();
const c0 = cpu();
const m = analyzeMatrix(state, { port, protocol: 'tcp' });
const wall = performance.now() - t0;
const cpuMs = cpu() - c0;
const rss = process.memoryUsage().rss / 1048576;
console.log(`matrix: ${m.containers.length} containers, ${m.counts.pairs} pairs (port ${port ?? 'icmp'})`);
console.log(`  classes ${m.stats.fromClasses} as source × ${m.stats.toClasses} as destination, reach walks ${m.stats.walks}`);
console.log(`  verdicts: reachable ${m.counts.reachable}, blocked ${m.counts.blocked}, unknown ${m.counts.unknown}`);
console.log(`  wall ${(wall / 1000).toFixed(2)} s, cpu ${(cpuMs / 1000).toFixed(2)} s, rss ${rss.toFixed(0)} MB`);

// Per-pair walk cost on a sample, to put the sharing in proportion.
const run = m.containers;
const S = 300;
const t1 = performance.now();
let x = 0;
for (let i = 0; i < S; i++) {
  const a = run[(i * 7919) % run.length];
  const b = run[(i * 104729 + 1) % run.length];
  if (a === b) continue;
  x++;
  analyzeReach(state, { from: a, to: b, port, protocol: 'tcp' });
}
const per = (performance.now() - t1) / x;
const every = (per * m.counts.pairs) / 1000;
console.log(`  one reach walk: ${per.toFixed(2)} ms; walking all ${m.counts.pairs} pairs would take ~${every.toFixed(0)} s (extrapolated from ${x})`);
console.log(`  ratio (class-shared / every pair walked): ${(wall / 1000 / every).toFixed(4)}`);
if (args.includes('--check')) {
  const full = analyzeMatrix(state, { port, protocol: 'tcp' }, { exhaustive: true });
  let diff = 0;
  for (let i = 0; i < full.cells.length; i++) {
    const p = full.cells[i], q = m.cells[i];
    if (p.verdict !== q.verdict || p.listening !== q.listening || p.code !== q.code || p.from !== q.from || p.to !== q.to) diff++;
  }
  console.log(`  check: ${full.cells.length} cells walked one by one, ${diff} differ`);
}
