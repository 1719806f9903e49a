// bench/analysis: `netsleuth ports` at scale on synthetic snapshots (bench/gen-snapshot.mjs),
// N = 1,000 and 5,000 containers by default. Times analyzePorts() in-process (median of runs,
// after a warm-up) and the whole `netsleuth ports --snapshot FILE --json` process (median of runs,
// peak RSS from /usr/bin/time -v when available), and prints the 1k→5k growth. Target: the
// 5,000-container process under 1 s. Uses dist/ (npm run build first).
//
//   node bench/analysis.mjs [N ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSnapshot } from './gen-snapshot.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist/src/analysis/ports.js'))) {
  process.stderr.write('bench/analysis: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const { analyzePorts } = await import(join(root, 'dist/src/analysis/ports.js'));
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (sizes.length === 0) sizes.push(1000, 5000);
const RUNS = 7;
const dir = mkdtempSync(join(tmpdir(), 'ns-bench-ports-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const haveTime = existsSync('/usr/bin/time');
const rows = [];

try {
  for (const n of sizes) {
    const snap = generateSnapshot({ containers: n, networks: Math.ceil(n / 100), seed: 1 });
    const file = join(dir, `snap-${n}.json`);
    writeFileSync(file, JSON.stringify(snap));

    analyzePorts(snap.state); // warm-up
    const inproc = [];
    let result;
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      result = analyzePorts(snap.state);
      inproc.push(performance.now() - t);
    }
    const heapAfter = process.memoryUsage().heapUsed;

    const proc = [];
    let peakKb = null;
    for (let i = 0; i < RUNS; i++) {
      const args = [join(root, 'bin/run.js'), 'ports', '--snapshot', file, '--json'];
      const t = performance.now();
      const r = haveTime && i === 0 ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, CI: 'true' } }) : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, CI: 'true' } });
      const ms = performance.now() - t;
      if (r.status !== 0) throw new Error(`netsleuth ports exited ${r.status}: ${r.stderr}`);
      if (i === 0 && haveTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
        peakKb = m ? Number(m[1]) : null;
      } else proc.push(ms); // the /usr/bin/time run is left out of the median
    }
    // What the process costs without the analysis: node itself, and reading+validating the file.
    const base = [];
    const readOnly = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      spawnSync(process.execPath, ['-e', '']);
      base.push(performance.now() - t);
      t = performance.now();
      const v = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'snapshot', 'validate', file], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
      readOnly.push(performance.now() - t);
      if (v.status !== 0) throw new Error(`snapshot validate exited ${v.status}: ${v.stderr}`);
    }
    rows.push({
      nodeMs: median(base),
      validateMs: median(readOnly),
      n,
      claims: Object.values(result.claims).reduce((a, b) => a + b, 0),
      conflicts: result.conflicts.length,
      findings: result.findings.length,
      inprocMs: median(inproc),
      procMs: median(proc),
      peakMb: peakKb !== null ? peakKb / 1024 : null,
      heapDeltaMb: (heapAfter - heapBefore) / 1048576,
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const f = (x, d = 1) => (x === null ? 'n/a' : x.toFixed(d));
process.stdout.write(`bench/analysis — netsleuth ports on synthetic snapshots (median of ${RUNS}; node ${process.version})\n`);
process.stdout.write('containers  claims  conflicts  findings  analyzePorts ms  ports process ms  node -e ms  snapshot validate ms  peak RSS MB\n');
for (const r of rows) {
  process.stdout.write(
    `${String(r.n).padStart(10)}  ${String(r.claims).padStart(6)}  ${String(r.conflicts).padStart(9)}  ${String(r.findings).padStart(8)}  ${f(r.inprocMs, 2).padStart(15)}  ${f(r.procMs, 0).padStart(16)}  ${f(r.nodeMs, 0).padStart(10)}  ${f(r.validateMs, 0).padStart(19)}  ${f(r.peakMb).padStart(11)}\n`,
  );
}
process.stdout.write(`load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} (figures scale with it; compare ratios)\n`);
if (rows.length >= 2) {
  const a = rows[0];
  const b = rows[rows.length - 1];
  process.stdout.write(
    `growth ${a.n}→${b.n} (×${(b.n / a.n).toFixed(1)} containers): analyzePorts ×${(b.inprocMs / a.inprocMs).toFixed(2)}, process ×${(b.procMs / a.procMs).toFixed(2)}` +
      (a.peakMb && b.peakMb ? `, peak RSS ×${(b.peakMb / a.peakMb).toFixed(2)}` : '') +
      '\n',
  );
}
const last = rows.find((r) => r.n === 5000);
if (last) {
  process.stdout.write(
    `target: 5,000 containers under 1 s — process ${f(last.procMs, 0)} ms: ${last.procMs < 1000 ? 'met' : 'NOT met'}` +
      ` (= ${(last.procMs / last.nodeMs).toFixed(1)}× node -e '' on this machine now; reading+validating the snapshot alone is ${f(last.validateMs, 0)} ms)\n`,
  );
}
