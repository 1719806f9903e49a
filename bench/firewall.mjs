// Firewall engine benchmark: compile time and flows/s, compiled vs naive.
//
// Run `npm run build` first (this imports the compiled engine from dist/), then:
//   node bench/firewall.mjs [--flows 1000000] [--containers 1000] [--networks 50] [--pool 100000] [--naive-flows 20000]
// NETSLEUTH_DIST=/path/to/dist overrides where the compiled engine is loaded from.
//
// The synthetic host: Docker 29 layout (iptables backend) for N containers spread over M bridge
// networks, each container publishing 5 TCP ports (raw PREROUTING direct-access drops, DOCKER
// per-port ACCEPTs, nat DOCKER DNATs), per-network DOCKER-CT/-BRIDGE/-FORWARD/-INTERNAL rules,
// MASQUERADE, plus operator rules in DOCKER-USER. Flows mix container↔container (same and
// different networks), outside → published port, outside → container directly, and egress.

import { pathToFileURL } from 'node:url';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.NETSLEUTH_DIST ?? join(here, '..', 'dist');
const fw = await import(pathToFileURL(join(dist, 'src', 'firewall', 'index.js')).href);

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const FLOWS = arg('flows', 1_000_000);
const CONTAINERS = arg('containers', 1000);
const NETWORKS = arg('networks', 50);
const PORTS_PER = 5;
const USER_RULES = arg('user-rules', 2000);

// Deterministic PRNG (mulberry32).
let seed = 0x5eed;
const rnd = () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rnd() * a.length)];

const HOST = '203.0.113.10';
const nets = [];
for (let n = 0; n < NETWORKS; n++) {
  nets.push({ br: `br-${n.toString(16).padStart(8, '0')}`, prefix: `10.${100 + Math.floor(n / 200)}.${n % 200}`, icc: n % 7 !== 3, internal: n % 11 === 5, containers: [] });
}
const containers = [];
let hostPort = 20000;
for (let c = 0; c < CONTAINERS; c++) {
  const net = nets[c % NETWORKS];
  const ip = `${net.prefix}.${2 + net.containers.length}`;
  const ports = [];
  if (!net.internal) for (let k = 0; k < PORTS_PER; k++) ports.push({ host: hostPort++, ctr: [80, 443, 5432, 6379, 8080][k] });
  const ctr = { ip, net, ports };
  net.containers.push(ctr);
  containers.push(ctr);
}

function buildRules() {
  const raw = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (const c of containers) for (const p of c.ports) raw.push(`-A PREROUTING -d ${c.ip}/32 ! -i ${c.net.br} -p tcp -m tcp --dport ${p.ctr} -j DROP`);
  raw.push('COMMIT');
  const f = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (const ch of ['DOCKER', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-FORWARD', 'DOCKER-INTERNAL', 'DOCKER-USER']) f.push(`:${ch} - [0:0]`);
  f.push('-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-FORWARD');
  for (const c of containers) for (const p of c.ports) f.push(`-A DOCKER -d ${c.ip}/32 ! -i ${c.net.br} -o ${c.net.br} -p tcp -m tcp --dport ${p.ctr} -j ACCEPT`);
  for (const n of nets) f.push(`-A DOCKER ! -i ${n.br} -o ${n.br} -j DROP`);
  for (const n of nets) f.push(`-A DOCKER-BRIDGE -o ${n.br} -j DOCKER`);
  for (const n of nets) f.push(`-A DOCKER-CT -o ${n.br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  f.push('-A DOCKER-FORWARD -j DOCKER-CT', '-A DOCKER-FORWARD -j DOCKER-INTERNAL', '-A DOCKER-FORWARD -j DOCKER-BRIDGE');
  for (const n of nets) {
    if (n.internal) f.push(`-A DOCKER-FORWARD -i ${n.br} -o ${n.br} -j ACCEPT`);
    else if (!n.icc) f.push(`-A DOCKER-FORWARD -i ${n.br} -o ${n.br} -j DROP`, `-A DOCKER-FORWARD -i ${n.br} ! -o ${n.br} -j ACCEPT`);
    else f.push(`-A DOCKER-FORWARD -i ${n.br} -j ACCEPT`);
  }
  for (const n of nets.filter((x) => x.internal)) {
    f.push(`-A DOCKER-INTERNAL ! -s ${n.prefix}.0/24 -o ${n.br} -j DROP`, `-A DOCKER-INTERNAL ! -d ${n.prefix}.0/24 -i ${n.br} -j DROP`);
  }
  for (let u = 0; u < USER_RULES; u++) {
    const src = `198.51.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}/32`;
    const c = pick(containers);
    const kind = rnd();
    if (kind < 0.5) f.push(`-A DOCKER-USER -s ${src} -j DROP`);
    else if (kind < 0.8) f.push(`-A DOCKER-USER -s ${src} -d ${c.ip}/32 -p tcp -m tcp --dport ${pick([22, 80, 443, 5432])} -j REJECT`);
    else f.push(`-A DOCKER-USER -i eth0 -p udp -m multiport --dports ${pick(['53', '123,161', '500,4500'])} -m comment --comment "user ${u}" -j DROP`);
  }
  f.push('-A DOCKER-USER -j RETURN', 'COMMIT');
  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER - [0:0]'];
  nat.push('-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER');
  for (const n of nets) if (!n.internal) nat.push(`-A POSTROUTING -s ${n.prefix}.0/24 ! -o ${n.br} -j MASQUERADE`);
  for (const c of containers) for (const p of c.ports) nat.push(`-A DOCKER ! -i ${c.net.br} -p tcp -m tcp --dport ${p.host} -j DNAT --to-destination ${c.ip}:${p.ctr}`);
  nat.push('COMMIT');
  return [...raw, ...f, ...nat, ''].join('\n');
}

function makePacket() {
  const r = rnd();
  const a = pick(containers);
  const b = pick(containers);
  const sport = 32768 + Math.floor(rnd() * 28000);
  const base = { family: 'ipv4', protocol: 'tcp', sport, ctState: 'NEW', path: 'forward' };
  if (r < 0.35) {
    // container → container (same or different network)
    return { ...base, inIface: a.net.br, outIface: b.net.br, src: a.ip, dst: b.ip, dport: pick([80, 443, 5432, 6379]) };
  }
  if (r < 0.6) {
    // outside → published port on the host
    const c = pick(containers.filter((x) => x.ports.length));
    const p = pick(c.ports);
    return { ...base, inIface: 'eth0', outIface: c.net.br, src: `198.51.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`, dst: HOST, dport: p.host };
  }
  if (r < 0.75) {
    // outside → container address directly
    return { ...base, inIface: 'eth0', outIface: a.net.br, src: `192.0.2.${Math.floor(rnd() * 256)}`, dst: a.ip, dport: pick([22, 80, 5432]) };
  }
  if (r < 0.9) {
    // egress
    return { ...base, inIface: a.net.br, outIface: 'eth0', src: a.ip, dst: `192.0.2.${Math.floor(rnd() * 256)}`, dport: 443, protocol: rnd() < 0.2 ? 'udp' : 'tcp' };
  }
  // established replies
  return { ...base, inIface: 'eth0', outIface: a.net.br, src: `192.0.2.${Math.floor(rnd() * 256)}`, dst: a.ip, sport: 443, dport: sport, ctState: 'ESTABLISHED' };
}

const text = buildRules();
const nRules = text.split('\n').filter((l) => l.startsWith('-A ')).length;

let t = performance.now();
const rs = fw.parseIptablesSave(text);
const parseMs = performance.now() - t;
t = performance.now();
const cpuC = process.cpuUsage();
const compiled = fw.compileRuleset(rs);
const compileMs = performance.now() - t;
const cpuC1 = process.cpuUsage(cpuC);
const compileCpuMs = (cpuC1.user + cpuC1.system) / 1000;

const POOL = Math.min(FLOWS, arg('pool', 100_000));
const pool = Array.from({ length: POOL }, makePacket);
const opts = { localAddresses: [HOST], explain: false, ifaceAddress: (n) => (n === 'eth0' ? HOST : null) };

// Warm up both engines.
for (let i = 0; i < 5000; i++) fw.evaluate(compiled, pool[i % POOL], opts);
for (let i = 0; i < 200; i++) fw.evaluateNaive(rs, pool[i % POOL], opts);

const verdicts = { ACCEPT: 0, DROP: 0, REJECT: 0, unknown: 0 };
t = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < FLOWS; i++) verdicts[fw.evaluate(compiled, pool[i % POOL], opts).verdict]++;
const compiledMs = performance.now() - t;
const cpu1 = process.cpuUsage(cpu0);
const compiledCpuMs = (cpu1.user + cpu1.system) / 1000;

// The same compiled engine without the lean fast path (the full walk with explain: false), on a
// sample: shows what the fast path buys, independent of how busy the machine is.
const FULL = Math.min(FLOWS, arg('full-flows', 200_000));
const optsFull = { ...opts, fastPath: false };
for (let i = 0; i < 5000; i++) fw.evaluate(compiled, pool[i % POOL], optsFull);
let fullMismatch = 0;
for (let i = 0; i < Math.min(FULL, 20_000); i++) {
  const p = pool[i % POOL];
  const a = fw.evaluate(compiled, p, opts);
  const b = fw.evaluate(compiled, p, optsFull);
  if (a.verdict !== b.verdict || JSON.stringify(a.decidedBy) !== JSON.stringify(b.decidedBy)) fullMismatch++;
}
const cpuF = process.cpuUsage();
for (let i = 0; i < FULL; i++) fw.evaluate(compiled, pool[i % POOL], optsFull);
const cpuF1 = process.cpuUsage(cpuF);
const fullCpuMs = (cpuF1.user + cpuF1.system) / 1000;

const NAIVE = Math.min(FLOWS, arg('naive-flows', 20_000));
t = performance.now();
let mismatches = 0;
for (let i = 0; i < NAIVE; i++) {
  const p = pool[i % POOL];
  const a = fw.evaluateNaive(rs, p, opts).verdict;
  if (a !== fw.evaluate(compiled, p, opts).verdict) mismatches++;
}
const naiveMsInclCheck = performance.now() - t;
t = performance.now();
const cpu2 = process.cpuUsage();
for (let i = 0; i < NAIVE; i++) fw.evaluateNaive(rs, pool[i % POOL], opts);
const naiveMs = performance.now() - t;
const cpu3 = process.cpuUsage(cpu2);
const naiveCpuMs = (cpu3.user + cpu3.system) / 1000;

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const compiledRate = (FLOWS / compiledMs) * 1000;
const naiveRate = (NAIVE / naiveMs) * 1000;
console.log(`ruleset: ${fmt(nRules)} rules (${CONTAINERS} containers × ${PORTS_PER} published ports, ${NETWORKS} networks, ${USER_RULES} DOCKER-USER rules)`);
console.log(`parse:   ${parseMs.toFixed(0)} ms`);
const compileCpu = compileCpuMs;
console.log(`compile: ${compileMs.toFixed(0)} ms wall, ${compileCpu.toFixed(0)} ms CPU (${compiled.stats.indexedChains}/${compiled.stats.chains} chains indexed, ${fmt(compiled.stats.bucketEntries)} bucket entries)`);
console.log(`compiled: ${fmt(FLOWS)} flows in ${compiledMs.toFixed(0)} ms = ${fmt(compiledRate)} flows/s wall, ${fmt((FLOWS / compiledCpuMs) * 1000)} flows per CPU-second (pool of ${fmt(POOL)} distinct packets, cycled)`);
console.log(`full walk (fastPath: false): ${fmt((FULL / fullCpuMs) * 1000)} flows per CPU-second on ${fmt(FULL)} flows; fast path is ${((FLOWS / compiledCpuMs) / (FULL / fullCpuMs)).toFixed(1)}× that; fast/full disagreements on a ${fmt(Math.min(FULL, 20_000))}-flow sample: ${fullMismatch}`);
console.log(`naive:    ${fmt(NAIVE)} flows in ${naiveMs.toFixed(0)} ms = ${fmt(naiveRate)} flows/s wall, ${fmt((NAIVE / naiveCpuMs) * 1000)} per CPU-second (measured on a ${fmt(NAIVE)}-flow sample of the same pool)`);
console.log(`ratio:    compiled is ${(compiledRate / naiveRate).toFixed(0)}× the naive walk`);
console.log(`verdicts: ${JSON.stringify(verdicts)}; compiled/naive disagreements on the sample: ${mismatches} (checked in ${naiveMsInclCheck.toFixed(0)} ms)`);
console.log(`targets:  ≥1,000,000 flows/s compiled: ${compiledRate >= 1e6 ? 'met' : 'NOT met'} (wall), ${(FLOWS / compiledCpuMs) * 1000 >= 1e6 ? 'met' : 'NOT met'} (per CPU-second); compile < 1 s: ${compileMs < 1000 ? 'met' : 'NOT met'} (wall), ${compileCpuMs < 1000 ? 'met' : 'NOT met'} (CPU)`);
