#!/usr/bin/env node
// bench/probe.mjs — full-mesh TCP probes with netsleuth's probe runner against a serial
// `docker exec … nc` loop doing the same probes.
//
//   npm run build
//   eval "$(bash scripts/test-dockerd.sh env)"
//   flock /run/netsleuth-live.lock node bench/probe.mjs [--sizes 20,50] [--rounds 3] [--serial-sample 200] [--no-sidecar] [--no-pacing]
//
// For each N: one network (10.214.143.0/24 or the next free of 144-146, inside the guarded test range), N busybox containers
// running `httpd -f -p 80` (--dns on the gateway, --pull never, labelled netsleuth.bench=1), then
// every container probes every other one on 80/tcp: N×(N−1) probes (380 for 20, 2,450 for 50).
//   A  probeMany, nsenter method (one agent process per source, 64 probes in flight in it,
//      4 sources at a time), R rounds, median
//   B  probeMany, sidecar method (one busybox sidecar per source), one round (unless --no-sidecar)
//   S  serial `docker exec SRC nc -w 2 DST 80 </dev/null`, one probe at a time. When N×(N−1) is
//      above --serial-sample (default 200), only the first S probes of the mesh are run and the
//      total is EXTRAPOLATED (mean per probe × N×(N−1)); the output says so.
// Every probe must come back `connected`; the bench fails otherwise (with --no-pacing it counts
// the others instead: without the runner's neighbour budget a 50-container mesh overflows the
// kernel's ARP table, gc_thresh3, and probes time out on open paths). Each nsenter round prints
// what the budget did: entries charged, reclaim passes and entries deleted, time batches waited,
// and the kernel's table size before and after. Everything it created is
// removed on exit (also on Ctrl-C). Needs root (nsenter) and a built dist/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = process.env.NETSLEUTH_BENCH_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const has = (name) => args.includes(name);
if (has('-h') || has('--help')) {
  console.log(
    'usage: flock /run/netsleuth-live.lock node bench/probe.mjs [--sizes 20,50] [--rounds 3] [--serial-sample 200] [--no-sidecar] [--no-pacing] [--no-reclaim] [--gc-thresh3 N] [--timeout-ms 2000] [--concurrency 4]',
  );
  process.exit(0);
}
const sizes = opt('--sizes', '20,50').split(',').map(Number);
const rounds = Number(opt('--rounds', 3));
const serialSample = Number(opt('--serial-sample', 200));
const withSidecar = !has('--no-sidecar');
const timeoutMs = Number(opt('--timeout-ms', 2000));
const concurrency = Number(opt('--concurrency', 4));
// --no-pacing: turn off the runner's neighbour-table pacing, to show what it prevents
// --no-reclaim: keep the budget but never delete entries (wait for the kernel to free them), as
// when netsleuth is not root on the daemon's host
const pacing = has('--no-pacing') ? { neighbourPacing: false } : has('--no-reclaim') ? { neighbourPacing: { reclaim: false } } : {};
// --gc-thresh3 N: raise the kernel's neighbour-table cap for the run (restored on exit), as a host
// running big meshes would; the runner's pacing reads it and then does not need to wait.
const gcThresh3 = opt('--gc-thresh3', null);
const GC_PATH = '/proc/sys/net/ipv4/neigh/default/gc_thresh3';
let gcOld = null;
const IMAGE = 'netsleuth-test/busybox:latest';
const LABEL = 'netsleuth.bench=1';
// /24s tried in order (one may be held by someone's leftover network)
const THIRDS = [143, 144, 145, 146];
let third = THIRDS[0];
const RUN = `nsbp-${process.pid}`;
const NET = `${RUN}-net`;

function die(msg) {
  console.error(`bench/probe: ${msg}`);
  process.exit(2);
}
if (!process.env.DOCKER_HOST) die('DOCKER_HOST is not set: eval "$(bash scripts/test-dockerd.sh env)"');
if (typeof process.getuid === 'function' && process.getuid() !== 0) die('needs root (nsenter into container namespaces)');
if (!existsSync(join(root, 'dist/src/probe/agent.js'))) die('dist/ is missing: run npm run build');
if (sizes.some((n) => !Number.isInteger(n) || n < 2 || n > 200)) die('--sizes takes container counts 2-200');

const docker = (argv, timeout = 60_000) => spawnSync('docker', argv, { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
const dockerAsync = (argv) =>
  new Promise((resolve, reject) => {
    const c = spawn('docker', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker ${argv.slice(0, 3).join(' ')}…: ${err.trim()}`))));
  });

function restoreGc() {
  if (gcOld === null) return;
  try {
    writeFileSync(GC_PATH, gcOld);
    console.log(`bench/probe: gc_thresh3 restored to ${gcOld.trim()}`);
    gcOld = null;
  } catch (e) {
    console.error(`bench/probe: WARNING: could not restore ${GC_PATH} to ${gcOld.trim()}: ${e.message}`);
  }
}

let cleaning = false;
function cleanup() {
  if (cleaning) return;
  cleaning = true;
  const ids = docker(['ps', '-aq', '--filter', `label=netsleuth.bench=1`, '--filter', `name=^/${RUN}-`]).stdout?.split(/\s+/).filter(Boolean) ?? [];
  for (let i = 0; i < ids.length; i += 25) docker(['rm', '-f', ...ids.slice(i, i + 25)], 120_000);
  // sidecars of an interrupted sidecar round carry netsleuth.probe=1 and the bench label
  const side = docker(['ps', '-aq', '--filter', 'label=netsleuth.probe=1', '--filter', 'label=netsleuth.bench=1']).stdout?.split(/\s+/).filter(Boolean) ?? [];
  if (side.length) docker(['rm', '-f', ...side], 120_000);
  // a network whose last endpoints are still being torn down (busy daemon) refuses removal: retry
  for (let i = 0; i < 20; i++) {
    if (docker(['network', 'inspect', NET]).status !== 0) break;
    if (docker(['network', 'rm', NET], 60_000).status === 0) break;
    spawnSync('sleep', ['3']);
  }
  if (docker(['network', 'inspect', NET]).status === 0) console.error(`bench/probe: WARNING: network ${NET} is left; remove it with: docker network rm ${NET}`);
  cleaning = false;
}
process.on('SIGINT', () => {
  cleanup();
  restoreGc();
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanup();
  restoreGc();
  process.exit(143);
});

async function createMesh(n) {
  let made = false;
  for (const t of THIRDS) {
    const r = docker(['network', 'create', '--label', LABEL, '--subnet', `10.214.${t}.0/24`, '--gateway', `10.214.${t}.1`, NET]);
    if (r.status === 0) {
      third = t;
      made = true;
      break;
    }
    if (!/overlap/i.test(r.stderr)) throw new Error(`docker network create: ${r.stderr}`);
  }
  if (!made) throw new Error(`no free /24 among 10.214.{${THIRDS.join(',')}}.0/24`);
  const GATEWAY = `10.214.${third}.1`;
  const names = Array.from({ length: n }, (_, i) => `${RUN}-c${String(i).padStart(3, '0')}`);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      await dockerAsync(['run', '-d', '--pull', 'never', '--label', LABEL, '--name', names[i], '--network', NET, '--ip', `10.214.${third}.${10 + i}`, '--dns', GATEWAY, IMAGE, 'httpd', '-f', '-p', '80']);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return names;
}

/** The kernel's neighbour-table size now (the `entries` column of /proc/net/stat/arp_cache), or null. */
function neighbourEntriesNow() {
  try {
    const line = readFileSync('/proc/net/stat/arp_cache', 'utf8').trim().split('\n')[1];
    return parseInt(line.trim().split(/\s+/)[0], 16);
  } catch {
    return null;
  }
}

/** `node -e ''` median of 5: how busy the machine is right now (about 60 ms when idle). */
function nodeStartup() {
  const xs = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '']);
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(xs);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function measure(n) {
  const { openSource } = await import(dist('src/sources/open.js'));
  const { resolveEndpoint } = await import(dist('src/sources/docker/endpoint.js'));
  const { EngineClient } = await import(dist('src/sources/docker/engine.js'));
  const { probeMany } = await import(dist('src/probe/runner.js'));

  const t0 = Date.now();
  const names = await createMesh(n);
  console.log(`N=${n}: ${n} containers created in ${secs(Date.now() - t0)}`);

  const tc = Date.now();
  const opened = await openSource({ host: process.env.DOCKER_HOST }, { toolVersion: 'bench', hostEvidence: 'never' });
  const captureMs = Date.now() - tc;
  const state = opened.snapshot.state;
  const mine = names.map((nm) => state.containers.find((c) => c.name === nm));
  if (mine.some((c) => !c)) throw new Error('a bench container is missing from the captured state');
  const pairs = [];
  for (const from of mine) for (const to of mine) if (from !== to) pairs.push({ from, kind: 'tcp', address: to.endpoints[0].ipv4.address, port: 80 });
  const engine = await EngineClient.connect(resolveEndpoint({ host: process.env.DOCKER_HOST }));
  const check = (label, out) => {
    const bad = out.filter((o) => o.result !== 'connected');
    if (!bad.length) return;
    const msg = `${label}: ${bad.length} of ${out.length} probes not connected, e.g. ${JSON.stringify(bad[0])}`;
    if (pacing.neighbourPacing !== false) throw new Error(msg);
    res.notConnected.push(`${label}: ${bad.length}/${out.length}`);
  };

  const res = { n, probes: pairs.length, captureMs, neighbour: [], nsenter: [], sidecar: null, serial: null, nodeStartMs: nodeStartup(), load: loadavg()[0], notConnected: [] };
  try {
    // one warm-up (page cache for node and the agent), then R measured rounds
    check('warm-up', await probeMany({ state, endpoint: opened.label, engine, method: 'nsenter' }, pairs.slice(0, n - 1), { timeoutMs }));
    for (let r = 0; r < rounds; r++) {
      const stats = {};
      const entriesBefore = neighbourEntriesNow();
      const t = process.hrtime.bigint();
      const out = await probeMany({ state, endpoint: opened.label, engine, method: 'nsenter' }, pairs, { timeoutMs, concurrency, ...pacing, neighbourStats: stats });
      res.nsenter.push(Number(process.hrtime.bigint() - t) / 1e6);
      res.neighbour.push({ ...stats, entriesBefore, entriesAfter: neighbourEntriesNow() });
      check('nsenter', out);
    }
    if (withSidecar) {
      const t = process.hrtime.bigint();
      const out = await probeMany(
        { state, endpoint: opened.label, engine, method: 'sidecar', probeImage: IMAGE, sidecarLabels: { 'netsleuth.bench': '1' } },
        pairs,
        { timeoutMs, concurrency, ...pacing },
      );
      res.sidecar = Number(process.hrtime.bigint() - t) / 1e6;
      check('sidecar', out);
    }
  } finally {
    await engine.close();
  }

  // Serial docker exec loop over the same mesh (or its first `serialSample` probes).
  const sample = pairs.slice(0, Math.min(pairs.length, serialSample));
  const ts = process.hrtime.bigint();
  let ok = 0;
  for (const p of sample) {
    const r = spawnSync('docker', ['exec', p.from.name, 'nc', '-w', String(Math.ceil(timeoutMs / 1000)), p.address, '80'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    if (r.status === 0) ok++;
  }
  const sampleMs = Number(process.hrtime.bigint() - ts) / 1e6;
  if (ok !== sample.length) throw new Error(`serial loop: ${sample.length - ok} of ${sample.length} docker exec nc probes failed`);
  res.serial = {
    measuredProbes: sample.length,
    measuredMs: sampleMs,
    totalMs: (sampleMs / sample.length) * pairs.length,
    extrapolated: sample.length < pairs.length,
  };
  return res;
}

function report(r) {
  const a = median(r.nsenter);
  const lines = [
    `N=${r.n}  probes=${r.probes}  (state capture ${secs(r.captureMs)}, not included below; load average ${r.load.toFixed(1)}, node -e '' ${r.nodeStartMs.toFixed(0)} ms)`,
    `  A  probeMany nsenter   median ${secs(a)} of ${r.nsenter.length} (${r.nsenter.map((x) => (x / 1000).toFixed(2)).join(', ')})  ${(r.probes / (a / 1000)).toFixed(0)} probes/s`,
  ];
  for (const [i, s] of r.neighbour.entries()) {
    lines.push(`     round ${i + 1} neighbour budget: ${s.charged} entries charged, ${s.reclaimPasses} reclaim passes deleted ${s.reclaimed}, batches waited ${secs(s.waitedMs)} in all; kernel table ${s.entriesBefore} entries before, ${s.entriesAfter} after`);
  }
  if (r.sidecar !== null) lines.push(`  B  probeMany sidecar   ${secs(r.sidecar)} (1 round)  ${(r.probes / (r.sidecar / 1000)).toFixed(0)} probes/s`);
  const s = r.serial;
  lines.push(
    s.extrapolated
      ? `  S  serial docker exec  ${secs(s.totalMs)} EXTRAPOLATED from ${s.measuredProbes} measured probes (${secs(s.measuredMs)}, ${(s.measuredMs / s.measuredProbes).toFixed(0)} ms/probe) × ${r.probes}`
      : `  S  serial docker exec  ${secs(s.totalMs)} (all ${s.measuredProbes} probes measured, ${(s.measuredMs / s.measuredProbes).toFixed(0)} ms/probe)`,
  );
  lines.push(`  A per source: ${(a / r.n).toFixed(0)} ms wall at concurrency ${concurrency} (one agent process each; ${(r.nodeStartMs).toFixed(0)} ms is a bare node start now)`);
  lines.push(`  ratio S/A = ${(s.totalMs / a).toFixed(1)}x faster with probeMany (nsenter)${r.sidecar !== null ? `; S/B = ${(s.totalMs / r.sidecar).toFixed(1)}x (sidecar)` : ''}`);
  if (r.notConnected.length) lines.push(`  NOT CONNECTED (pacing off): ${r.notConnected.join('; ')}`);
  if (r.probes >= 2450) lines.push(`  target: 2,450-probe mesh under 30 s → ${a < 30_000 ? 'MET' : 'NOT MET'} (${secs(a)})`);
  console.log(lines.join('\n'));
}

console.log(`bench/probe: ${cpus().length} CPUs, node ${process.version}, per-probe timeout ${timeoutMs} ms, ${concurrency} sources at a time, neighbour budget ${pacing.neighbourPacing === false ? 'OFF' : pacing.neighbourPacing?.reclaim === false ? 'on, reclaim OFF' : 'on, reclaim on'}, gc_thresh3 ${readFileSync(GC_PATH, 'utf8').trim()}, sizes ${sizes.join(', ')}`);
if (gcThresh3 !== null) {
  if (!/^\d+$/.test(gcThresh3) || Number(gcThresh3) < 1024) die('--gc-thresh3 takes a number >= 1024');
  gcOld = readFileSync(GC_PATH, 'utf8');
  writeFileSync(GC_PATH, `${gcThresh3}\n`);
  console.log(`bench/probe: gc_thresh3 raised from ${gcOld.trim()} to ${gcThresh3} for this run`);
}
const results = [];
let failed = false;
for (const n of sizes) {
  try {
    const r = await measure(n);
    results.push(r);
    report(r);
  } catch (e) {
    failed = true;
    console.error(`N=${n}: ${e.message}`);
  } finally {
    cleanup();
  }
}
restoreGc();
console.log('\n=== summary ===');
for (const r of results) report(r);
process.exit(failed ? 1 : 0);
