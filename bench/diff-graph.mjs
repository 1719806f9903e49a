#!/usr/bin/env node
// `snapshot diff` and `graph` at scale: two synthetic snapshots of N containers (the second with
// 1% of containers removed, 1% added, 1% moved to another network, firewall rules shuffled) diffed
// in-process, with and without the finding producers; and the topology rendered in each format.
// Prints median milliseconds of `runs` runs and the peak RSS.
//
//   npm run build && node bench/diff-graph.mjs [containers=5000] [runs=5]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSnapshot } from './gen-snapshot.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 5000);
const runs = Number(process.argv[3] ?? 5);
const { diffStates } = await import(join(root, 'dist/src/analysis/snapshot-diff.js'));
const { allFindings } = await import(join(root, 'dist/src/analysis/gate.js'));
const { buildTopology } = await import(join(root, 'dist/src/analysis/topology.js'));
const { renderDot } = await import(join(root, 'dist/src/report/graph-dot.js'));
const { renderMermaid } = await import(join(root, 'dist/src/report/graph-mermaid.js'));
const { renderSvg } = await import(join(root, 'dist/src/report/graph-svg.js'));

const a = generateSnapshot({ containers: N, networks: Math.ceil(N / 100), seed: 1 }).state;
const b = structuredClone(a);
const k = Math.max(1, Math.floor(N / 100));
b.containers.splice(0, k);
for (let i = 0; i < k; i++) b.containers.push({ ...structuredClone(a.containers[i + k]), id: `added${i}`.padEnd(64, '0'), name: `added-${i}` });
for (let i = 0; i < k; i++) {
  const c = b.containers[k + i];
  if (c?.endpoints[0]) {
    const other = b.networks[(b.networks.findIndex((n) => n.id === c.endpoints[0].networkId) + 1) % b.networks.length];
    c.endpoints[0] = { ...c.endpoints[0], networkId: other.id, networkName: other.name };
  }
}
const fw = b.hosts[0].firewall.value;
if (fw?.iptablesSave) fw.iptablesSave = fw.iptablesSave.split('\n').reverse().join('\n');

function median(f) {
  const t = [];
  let out;
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    out = f();
    t.push(performance.now() - s);
  }
  t.sort((x, y) => x - y);
  return { ms: t[Math.floor(t.length / 2)], out };
}

const plain = median(() => diffStates(a, b));
const withF = median(() => diffStates(a, b, { findings: allFindings }));
const topo = median(() => buildTopology(b));
const dot = median(() => renderDot(topo.out));
const mm = median(() => renderMermaid(topo.out));
const svg = median(() => renderSvg(topo.out));
console.log(`containers ${N}, networks ${a.networks.length}, runs ${runs} (median ms)`);
console.log(`snapshot diff (state only)        ${plain.ms.toFixed(1)} ms, ${plain.out.changes.length} changes`);
console.log(`snapshot diff (+ findings, A & B) ${withF.ms.toFixed(1)} ms, ${withF.out.changes.length} changes`);
console.log(`graph model                       ${topo.ms.toFixed(1)} ms`);
console.log(`graph dot / mermaid / svg         ${dot.ms.toFixed(1)} / ${mm.ms.toFixed(1)} / ${svg.ms.toFixed(1)} ms (svg ${(svg.out.length / 1e6).toFixed(1)} MB)`);
console.log(`peak RSS                          ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
