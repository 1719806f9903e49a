#!/usr/bin/env node
// Measuring half of bench/capture.sh (which creates the containers, holds the lock and cleans up).
//
//   node bench/capture.mjs --n N --rounds R --results FILE.jsonl --prefix nsb-123 [--profile]
//       one warm-up and R rounds of A / A0 / B / B' (order rotated each round so machine drift
//       hits all variants alike), then a phase breakdown of one in-process capture; appends one
//       JSON line to FILE and prints the figures.
//   node bench/capture.mjs --table FILE.jsonl      prints the summary table of all lines in FILE
//
// Needs DOCKER_HOST (eval "$(bash scripts/test-dockerd.sh env)"), a built dist/ and /usr/bin/time.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// NETSLEUTH_BENCH_ROOT: a private copy of bin/, dist/ and the manifest (bench/capture.sh makes one),
// so a concurrent `npm run build` in the work tree cannot pull dist/ away mid-run.
const root = process.env.NETSLEUTH_BENCH_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin/run.js');
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const has = (name) => args.includes(name);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

if (has('--table')) {
  printTable(readFileSync(opt('--table'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  process.exit(0);
}

const N = Number(opt('--n'));
const rounds = Number(opt('--rounds', 5));
const warmup = Number(opt('--warmup', 1));
const resultsFile = opt('--results');
const prefix = opt('--prefix', 'nsb');
const host = process.env.DOCKER_HOST;
if (!host) throw new Error('DOCKER_HOST is not set: eval "$(bash scripts/test-dockerd.sh env)"');
const out = `/tmp/${prefix}.snapshot.json`;
const rssFile = `/tmp/${prefix}.rss`;
const env = { ...process.env, CI: 'true' };

function run(file, argv) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(file, argv, { env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 0) throw new Error(`${file} ${argv.join(' ')} exited ${res.status}: ${res.stderr}`);
  return { ms, stdout: res.stdout, stderr: res.stderr };
}

const captureArgs = (extra) => [
  '-f', '%M', '-o', rssFile, process.execPath, cli, 'snapshot', 'capture', '--host', host, '-o', out, '--json', ...extra,
];
// B: what the capture reads, through the docker CLI. Per container the two files are read one after
// the other, 8 containers at a time (the capture's default --concurrency). A cp failure (a container
// removed meanwhile by someone else) is counted, not fatal.
const baselineFull = `set -eo pipefail
docker network inspect $(docker network ls -q) >/dev/null
ids=$(docker ps -aq)
docker inspect $ids >/dev/null
printf '%s\\n' $ids | xargs -r -P 8 -I{} sh -c 'docker cp {}:/etc/resolv.conf - >/dev/null && docker cp {}:/etc/hosts - >/dev/null || echo cp-failed {} >&2'`;
const baselineInspect = `set -eo pipefail
docker network inspect $(docker network ls -q) >/dev/null
docker inspect $(docker ps -aq) >/dev/null`;

const variants = [
  { key: 'A', label: 'snapshot capture (host evidence)', cmd: () => ['/usr/bin/time', captureArgs([])], capture: true },
  { key: 'A0', label: 'snapshot capture --no-host-evidence', cmd: () => ['/usr/bin/time', captureArgs(['--no-host-evidence'])], capture: true },
  { key: 'B', label: "docker network inspect + inspect + cp ×2", cmd: () => ['bash', ['-c', baselineFull]] },
  { key: 'Bp', label: "docker network inspect + inspect", cmd: () => ['bash', ['-c', baselineInspect]] },
];

const result = {
  n: N,
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  daemon: run('docker', ['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})']).stdout.trim(),
  rounds,
  warmup,
  containers: null,
  networks: null,
  missingEvidence: null,
  ms: Object.fromEntries(variants.map((v) => [v.key, []])),
  rssKb: { A: [], A0: [] },
  capturedMs: { A: [], A0: [] },
  cpFailures: 0,
  // Other people's tests share these 2 cores: the load average says how quiet the machine was.
  loadavg: [readFileSync('/proc/loadavg', 'utf8').split(' ')[0]],
};

console.error(`  measuring: ${warmup} warm-up + ${rounds} rounds of ${variants.map((v) => v.key).join(', ')}`);
for (let r = -warmup; r < rounds; r++) {
  const order = variants.map((_, i) => variants[(i + Math.max(r, 0)) % variants.length]);
  for (const v of order) {
    const [file, argv] = v.cmd();
    const res = run(file, argv);
    if (v.capture) {
      const summary = JSON.parse(res.stdout);
      if (summary.containers < N) throw new Error(`capture saw ${summary.containers} containers, expected ≥ ${N}`);
      result.containers = summary.containers;
      result.networks = summary.networks;
      if (v.key === 'A') result.missingEvidence = summary.missingEvidence;
      if (r >= 0) {
        result.rssKb[v.key].push(Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()));
        result.capturedMs[v.key].push(summary.durationMs);
      }
    } else if (v.key === 'B' && r >= 0) {
      result.cpFailures += (res.stderr.match(/^cp-failed /gm) ?? []).length;
    }
    if (r >= 0) result.ms[v.key].push(res.ms);
  }
  console.error(`  round ${r < 0 ? 'warm-up' : r + 1}: ${variants.map((v) => `${v.key} ${result.ms[v.key].at(-1)?.toFixed(0) ?? '-'}`).join('  ')}`);
}
result.loadavg.push(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
rmSync(out, { force: true });
rmSync(rssFile, { force: true });

// Phase breakdown: one in-process capture, timestamps at each progress phase change.
const { resolveEndpoint } = await import(dist('src/sources/docker/endpoint.js'));
const { captureSnapshot } = await import(dist('src/sources/docker/capture.js'));
async function phases(hostEvidence) {
  const marks = [];
  const t0 = performance.now();
  const snap = await captureSnapshot({
    endpoint: resolveEndpoint({ host, env: process.env }),
    toolVersion: 'bench',
    hostEvidence,
    onProgress: (p) => {
      if (marks.at(-1)?.phase !== p.phase) marks.push({ phase: p.phase, t: performance.now() - t0 });
    },
  });
  const total = performance.now() - t0;
  const out = {};
  marks.forEach((m, i) => {
    out[m.phase] = Math.round((marks[i + 1]?.t ?? total) - m.t);
  });
  delete out.done;
  return { phases: out, total: Math.round(total), snap };
}
const withHost = await phases('auto');
const noHost = await phases('never');
result.phases = { A: withHost.phases, A0: noHost.phases, totalA: withHost.total, totalA0: noHost.total };

if (has('--profile')) result.profile = await profile(withHost.snap);

appendFileSync(resultsFile, JSON.stringify(result) + '\n');
printTable([result]);
printDetails(result);

// ---------------------------------------------------------------------------------------------

/** Per-command timings of the host and netns collectors, plus what-if variants of the netns step. */
async function profile(snap) {
  const { runCommand } = await import(dist('src/sources/host/run.js'));
  const { collectHostEvidence, collectContainerNetns } = await import(dist('src/sources/host/collect.js'));
  const { mapLimit } = await import(dist('src/sources/docker/limit.js'));
  const stats = new Map();
  const timed = async (file, argv, o) => {
    const t0 = performance.now();
    const r = await runCommand(file, argv, o);
    const key = (file === 'nsenter' ? ['nsenter', ...argv.slice(3)] : [file, ...argv]).join(' ');
    const s = stats.get(key) ?? { count: 0, totalMs: 0, maxMs: 0, bytes: 0 };
    const ms = performance.now() - t0;
    s.count++; s.totalMs += ms; s.maxMs = Math.max(s.maxMs, ms); s.bytes += r.stdout.length;
    stats.set(key, s);
    return r;
  };
  const pids = snap.state.containers.filter((c) => c.pid !== null).map((c) => c.pid);
  const wall = {};
  let t0 = performance.now();
  await collectHostEvidence({ run: timed });
  wall.host = performance.now() - t0;
  t0 = performance.now();
  await mapLimit(pids, 8, (pid) => collectContainerNetns(pid, { run: timed }));
  wall.netns = performance.now() - t0;

  // What-ifs for the netns step (same pids, same bound of 8 containers):
  const whatIf = async (name, perPid) => {
    const t = performance.now();
    await mapLimit(pids, 8, perPid);
    wall[name] = performance.now() - t;
  };
  const NS = [
    ['ip', '-j', '-d', 'link', 'show'],
    ['ip', '-j', 'addr', 'show'],
    ['ip', '-4', '-j', 'route', 'show', 'table', 'all'],
    ['ip', '-6', '-j', 'route', 'show', 'table', 'all'],
  ];
  // 1) the same 5 commands, ss without -p (no walk over every process's fds)
  await whatIf('netns, ss without -p', (pid) =>
    Promise.all([...NS, ['ss', '-H', '-l', '-n', '-t', '-u']].map((c) => runCommand('nsenter', ['-t', String(pid), '-n', ...c]))));
  // 2) one nsenter per container running all 5 (ss with -p) through sh
  const script = [...NS, ['ss', '-H', '-l', '-n', '-t', '-u', '-p']].map((c) => c.join(' ')).join('; echo @@; ');
  await whatIf('netns, one nsenter+sh per container', (pid) => runCommand('nsenter', ['-t', String(pid), '-n', 'sh', '-c', script]));
  // 3) both: one nsenter per container, ss without -p
  const script2 = [...NS, ['ss', '-H', '-l', '-n', '-t', '-u']].map((c) => c.join(' ')).join('; echo @@; ');
  await whatIf('netns, one nsenter+sh, ss without -p', (pid) => runCommand('nsenter', ['-t', String(pid), '-n', 'sh', '-c', script2]));
  // 5) resolv.conf and hosts straight from /proc/PID/root (the container's own mount view; as root
  //    on the daemon's host) instead of GET /containers/ID/archive
  const { readFile } = await import('node:fs/promises');
  await whatIf('files via /proc/PID/root (2 reads)', (pid) =>
    Promise.all(['/etc/resolv.conf', '/etc/hosts'].map((f) => readFile(`/proc/${pid}/root${f}`, 'utf8'))));
  // 4) the ip commands alone (the floor of the per-namespace approach with process spawning)
  await whatIf('netns, ip only (4 processes)', (pid) => Promise.all(NS.map((c) => runCommand('nsenter', ['-t', String(pid), '-n', ...c]))));

  return {
    pids: pids.length,
    wallMs: Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, Math.round(v)])),
    commands: [...stats.entries()]
      .map(([cmd, s]) => ({ cmd, count: s.count, totalMs: Math.round(s.totalMs), meanMs: +(s.totalMs / s.count).toFixed(1), maxMs: Math.round(s.maxMs), kb: Math.round(s.bytes / 1024) }))
      .sort((a, b) => b.totalMs - a.totalMs),
  };
}

function printTable(rows) {
  const r0 = rows[0];
  console.log(`\nbench/capture — ${r0.date.slice(0, 10)}, ${r0.cpus} cores, Node ${r0.node}, dockerd ${r0.daemon}; ${r0.rounds} rounds after ${r0.warmup ?? 1} warm-up, wall ms median (min–max)`);
  console.log('A  = snapshot capture (as root: with host evidence)   A0 = snapshot capture --no-host-evidence');
  console.log("B  = docker network inspect + docker inspect + docker cp resolv.conf & hosts per container (8 at a time)");
  console.log("B' = docker network inspect + docker inspect only");
  const head = ['N', 'ctrs', 'A ms', 'A0 ms', 'B ms', "B' ms", 'A/B', 'A0/B', "A0/B'", 'peak RSS A / A0'];
  const lines = rows.map((r) => {
    const m = (k) => median(r.ms[k]);
    return [
      String(r.n),
      String(r.containers),
      fmt(r.ms.A),
      fmt(r.ms.A0),
      fmt(r.ms.B),
      fmt(r.ms.Bp),
      (m('A') / m('B')).toFixed(2),
      (m('A0') / m('B')).toFixed(2),
      (m('A0') / m('Bp')).toFixed(2),
      `${(median(r.rssKb.A) / 1024).toFixed(0)} / ${(median(r.rssKb.A0) / 1024).toFixed(0)} MB`,
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => '| ' + cells.map((c, i) => c.padEnd(w[i])).join(' | ') + ' |';
  console.log(row(head));
  console.log('|' + w.map((x) => '-'.repeat(x + 2)).join('|') + '|');
  for (const l of lines) console.log(row(l));
  for (const r of rows) {
    const ph = (p) => Object.entries(p).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`N=${r.n} phases (one in-process capture, ms): A [${ph(r.phases.A)}] = ${r.phases.totalA}; A0 [${ph(r.phases.A0)}] = ${r.phases.totalA0}`);
    console.log(`N=${r.n}: 1-min load average before / after the rounds: ${r.loadavg.join(' / ')} (${r.cpus} cores; others' tests share them)`);
    if (r.cpFailures) console.log(`N=${r.n}: ${r.cpFailures} docker cp calls failed in B (containers removed by someone else?)`);
  }
}

function printDetails(r) {
  if (r.missingEvidence?.length) {
    console.log(`N=${r.n}: A did not get all host evidence: ${r.missingEvidence.map((m) => `${m.section} ${m.status}`).join(', ')}`);
  }
  console.log(`N=${r.n}: capture's own durationMs (without node/oclif start-up and file write): A ${fmt(r.capturedMs.A)}, A0 ${fmt(r.capturedMs.A0)}`);
  if (r.profile) {
    console.log(`N=${r.n} profile: ${r.profile.pids} running containers; stage wall ms: ${Object.entries(r.profile.wallMs).map(([k, v]) => `${k} ${v}`).join('; ')}`);
    console.log('  command (summed over calls; calls overlap)                count   total ms  mean ms  max ms  out KB');
    for (const c of r.profile.commands) {
      console.log(`  ${c.cmd.slice(0, 56).padEnd(56)} ${String(c.count).padStart(6)} ${String(c.totalMs).padStart(10)} ${String(c.meanMs).padStart(8)} ${String(c.maxMs).padStart(7)} ${String(c.kb).padStart(7)}`);
    }
  }
}
