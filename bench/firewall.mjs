// Firewall engine benchmark: compile time and flows/s of the compiled fast path against the naive
// linear walk, in the same run, with the verdicts of the two compared on a sample.
//
// Run `npm run build` first (this imports the compiled engine from dist/), then:
//   node bench/firewall.mjs [--flows 1000000] [--rules 20000] [--containers 1000] [--networks 50]
//                           [--pool 100000] [--naive-flows 10000] [--reps 3]
// NETSLEUTH_DIST=/path/to/dist overrides where the compiled engine is loaded from.
//
// The synthetic host: Docker 29 layout (iptables backend) for N containers spread over M bridge
// networks, each container publishing 5 TCP ports (raw PREROUTING direct-access drops, DOCKER
// per-port ACCEPTs, nat DOCKER DNATs), per-network DOCKER-CT/-BRIDGE/-FORWARD/-INTERNAL rules,
// MASQUERADE, plus operator rules in DOCKER-USER up to --rules rules in all. Flows mix
// container↔container (same and different networks), outside → published port, outside →
// container directly, egress, and established replies.
//
// Figures:
// - fast path, batch: `evaluateBatch` over --flows distinct packets held as typed-array columns
//   (the form a whole-matrix analysis builds), one verdict code per packet. Timed --reps times;
//   min / median / max printed.
// - fast path, packet objects: `evaluateCode` and `evaluate(..., {explain: false})` on Packet
//   objects (a pool of --pool distinct packets, cycled): the per-call API.
// - naive: `evaluateNaive` (linear scan, interpreted matches) on the first --naive-flows packets.
// - agreement: verdict and deciding rule of the batch codes against the naive walk on that
//   sample, and against `evaluateCode` on the whole object pool. Every one must agree.

import { pathToFileURL, fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.NETSLEUTH_DIST ?? join(here, '..', 'dist');
const fw = await import(pathToFileURL(join(dist, 'src', 'firewall', 'index.js')).href);
const { parseIPv4 } = await import(pathToFileURL(join(dist, 'src', 'net', 'ipv4.js')).href);

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const FLOWS = arg('flows', 1_000_000);
const RULES = arg('rules', 20_000);
const CONTAINERS = arg('containers', 1000);
const NETWORKS = arg('networks', 50);
const POOL = Math.min(FLOWS, arg('pool', 100_000));
const NAIVE = Math.min(FLOWS, arg('naive-flows', 10_000));
const REPS = Math.max(1, arg('reps', 3));
const PORTS_PER = 5;

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
  const ctr = { ip, ip4: parseIPv4(ip), net, ports };
  net.containers.push(ctr);
  containers.push(ctr);
}
const published = containers.filter((x) => x.ports.length);

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
  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER - [0:0]'];
  nat.push('-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER');
  for (const n of nets) if (!n.internal) nat.push(`-A POSTROUTING -s ${n.prefix}.0/24 ! -o ${n.br} -j MASQUERADE`);
  for (const c of containers) for (const p of c.ports) nat.push(`-A DOCKER ! -i ${c.net.br} -p tcp -m tcp --dport ${p.host} -j DNAT --to-destination ${c.ip}:${p.ctr}`);
  nat.push('COMMIT');
  // Operator rules in DOCKER-USER fill the ruleset up to RULES rules.
  const count = (ls) => ls.filter((l) => l.startsWith('-A ')).length;
  const userRules = Math.max(0, RULES - count(raw) - count(f) - count(nat) - 1);
  for (let u = 0; u < userRules; u++) {
    const src = `198.51.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}/32`;
    const c = pick(containers);
    const kind = rnd();
    if (kind < 0.5) f.push(`-A DOCKER-USER -s ${src} -j DROP`);
    else if (kind < 0.8) f.push(`-A DOCKER-USER -s ${src} -d ${c.ip}/32 -p tcp -m tcp --dport ${pick([22, 80, 443, 5432])} -j REJECT`);
    else f.push(`-A DOCKER-USER -i eth0 -p udp -m multiport --dports ${pick(['53', '123,161', '500,4500'])} -m comment --comment "user ${u}" -j DROP`);
  }
  f.push('-A DOCKER-USER -j RETURN', 'COMMIT');
  return { text: [...raw, ...f, ...nat, ''].join('\n'), userRules };
}

// The packets, as typed-array columns (fw.PacketBatch).
function makeBatch(n) {
  const ifaces = ['eth0', ...nets.map((x) => x.br)];
  const brIdx = new Map(nets.map((x, i) => [x, i + 1]));
  const b = {
    family: 'ipv4',
    length: n,
    src: new Uint32Array(n),
    dst: new Uint32Array(n),
    proto: new Uint8Array(n),
    sport: new Int32Array(n),
    dport: new Int32Array(n),
    inIface: new Int32Array(n),
    outIface: new Int32Array(n),
    ifaces,
    ctState: new Uint8Array(n),
    path: new Uint8Array(n),
  };
  const host = parseIPv4(HOST);
  const outside198 = () => (((198 << 24) | (51 << 16) | (Math.floor(rnd() * 256) << 8) | Math.floor(rnd() * 256)) >>> 0);
  const outside192 = () => (((192 << 24) | (0 << 16) | (2 << 8) | Math.floor(rnd() * 256)) >>> 0);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const a = pick(containers);
    const c = pick(containers);
    const sport = 32768 + Math.floor(rnd() * 28000);
    b.proto[i] = 6;
    b.sport[i] = sport;
    b.ctState[i] = 0;
    b.path[i] = 0;
    if (r < 0.35) {
      // container → container (same or different network)
      b.inIface[i] = brIdx.get(a.net);
      b.outIface[i] = brIdx.get(c.net);
      b.src[i] = a.ip4;
      b.dst[i] = c.ip4;
      b.dport[i] = pick([80, 443, 5432, 6379]);
    } else if (r < 0.6) {
      // outside → published port on the host
      const t = pick(published);
      b.inIface[i] = 0;
      b.outIface[i] = brIdx.get(t.net);
      b.src[i] = outside198();
      b.dst[i] = host;
      b.dport[i] = pick(t.ports).host;
    } else if (r < 0.75) {
      // outside → container address directly
      b.inIface[i] = 0;
      b.outIface[i] = brIdx.get(a.net);
      b.src[i] = outside192();
      b.dst[i] = a.ip4;
      b.dport[i] = pick([22, 80, 5432]);
    } else if (r < 0.9) {
      // egress
      b.inIface[i] = brIdx.get(a.net);
      b.outIface[i] = 0;
      b.src[i] = a.ip4;
      b.dst[i] = outside192();
      b.dport[i] = 443;
      if (rnd() < 0.2) b.proto[i] = 17;
    } else {
      // established replies
      b.inIface[i] = 0;
      b.outIface[i] = brIdx.get(a.net);
      b.src[i] = outside192();
      b.dst[i] = a.ip4;
      b.sport[i] = 443;
      b.dport[i] = sport;
      b.ctState[i] = 1;
    }
  }
  return b;
}

const cpuMs = (u) => (u.user + u.system) / 1000;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mmm = (xs) => `min ${fmt(Math.min(...xs))} / median ${fmt(median(xs))} / max ${fmt(Math.max(...xs))}`;

const { text, userRules } = buildRules();
const nRules = text.split('\n').filter((l) => l.startsWith('-A ')).length;
const batch = makeBatch(FLOWS);
const pool = Array.from({ length: POOL }, (_, i) => fw.packetOfBatch(batch, i));
const opts = { localAddresses: [HOST], explain: false, ifaceAddress: (n) => (n === 'eth0' ? HOST : null) };

let t = performance.now();
const rs = fw.parseIptablesSave(text);
const parseMs = performance.now() - t;
t = performance.now();
let c0 = process.cpuUsage();
const compiled = fw.compileRuleset(rs);
const compileMs = performance.now() - t;
const compileCpuMs = cpuMs(process.cpuUsage(c0));

// Fast path over the batch: REPS timed passes over all FLOWS packets.
const codes = new Int32Array(FLOWS);
fw.evaluateBatch(compiled, { ...batch, length: Math.min(FLOWS, 20_000) }, opts, codes); // warm-up
const batchWall = [];
const batchCpu = [];
for (let r = 0; r < REPS; r++) {
  t = performance.now();
  c0 = process.cpuUsage();
  fw.evaluateBatch(compiled, batch, opts, codes);
  const cpu = cpuMs(process.cpuUsage(c0));
  batchWall.push((FLOWS / (performance.now() - t)) * 1000);
  batchCpu.push((FLOWS / cpu) * 1000);
}
const verdicts = { ACCEPT: 0, DROP: 0, REJECT: 0, unknown: 0 };
for (let i = 0; i < FLOWS; i++) verdicts[fw.verdictOfCode(codes[i])]++;

// Fast path on packet objects (the per-call API), POOL distinct packets cycled to FLOWS calls.
const OBJ_FLOWS = Math.min(FLOWS, 4 * POOL);
for (let i = 0; i < 20_000; i++) fw.evaluateCode(compiled, pool[i % POOL], opts);
let poolMismatch = 0;
for (let i = 0; i < POOL; i++) if (fw.evaluateCode(compiled, pool[i], opts) !== codes[i]) poolMismatch++;
t = performance.now();
c0 = process.cpuUsage();
for (let i = 0; i < OBJ_FLOWS; i++) fw.evaluateCode(compiled, pool[i % POOL], opts);
const codeCpu = cpuMs(process.cpuUsage(c0));
const codeWall = performance.now() - t;
for (let i = 0; i < 20_000; i++) fw.evaluate(compiled, pool[i % POOL], opts);
c0 = process.cpuUsage();
for (let i = 0; i < OBJ_FLOWS; i++) fw.evaluate(compiled, pool[i % POOL], opts);
const evalCpu = cpuMs(process.cpuUsage(c0));

// Naive walk on the first NAIVE packets; then the agreement check (outside the timing).
for (let i = 0; i < 100; i++) fw.evaluateNaive(rs, pool[i % POOL], opts);
const naiveResults = new Array(NAIVE);
const sample = (i) => (i < POOL ? pool[i] : fw.packetOfBatch(batch, i));
const samplePackets = Array.from({ length: NAIVE }, (_, i) => sample(i));
t = performance.now();
c0 = process.cpuUsage();
for (let i = 0; i < NAIVE; i++) naiveResults[i] = fw.evaluateNaive(rs, samplePackets[i], opts);
const naiveCpu = cpuMs(process.cpuUsage(c0));
const naiveWall = performance.now() - t;
let agree = 0;
for (let i = 0; i < NAIVE; i++) {
  const n = naiveResults[i];
  if (fw.verdictOfCode(codes[i]) === n.verdict && isDeepStrictEqual({ ...fw.decidedByOfCode(compiled, codes[i]) }, { ...n.decidedBy })) agree++;
}

const naiveRateCpu = (NAIVE / naiveCpu) * 1000;
const naiveRateWall = (NAIVE / naiveWall) * 1000;
const fastCpuMed = median(batchCpu);
const fastWallMed = median(batchWall);
console.log(`rules:    ${fmt(nRules)} (${CONTAINERS} containers × ${PORTS_PER} published ports, ${NETWORKS} networks, ${fmt(userRules)} DOCKER-USER rules)`);
console.log(`packets:  ${fmt(FLOWS)} distinct (batch columns); object pool ${fmt(POOL)}`);
console.log(`parse:    ${parseMs.toFixed(0)} ms wall`);
console.log(`compile:  ${compileMs.toFixed(0)} ms wall, ${compileCpuMs.toFixed(0)} ms CPU (${compiled.stats.indexedChains}/${compiled.stats.chains} chains indexed, ${fmt(compiled.stats.bucketEntries)} bucket entries)`);
console.log(`fast path (evaluateBatch, ${fmt(FLOWS)} flows × ${REPS}): flows/s wall ${mmm(batchWall)}; per CPU-second ${mmm(batchCpu)}`);
console.log(`fast path on packet objects (${fmt(OBJ_FLOWS)} calls): evaluateCode ${fmt((OBJ_FLOWS / codeWall) * 1000)} flows/s wall, ${fmt((OBJ_FLOWS / codeCpu) * 1000)} per CPU-second; evaluate(explain: false) ${fmt((OBJ_FLOWS / evalCpu) * 1000)} per CPU-second`);
console.log(`naive:    ${fmt(NAIVE)} flows: ${fmt(naiveRateWall)} flows/s wall, ${fmt(naiveRateCpu)} per CPU-second`);
console.log(`ratio:    fast path (batch, median) is ${fmt(fastCpuMed / naiveRateCpu)}× the naive walk per CPU-second (${fmt(fastWallMed / naiveRateWall)}× wall)`);
console.log(`agreement: fast vs naive (verdict and deciding rule) ${fmt(agree)}/${fmt(NAIVE)}; batch vs evaluateCode on the object pool ${fmt(POOL - poolMismatch)}/${fmt(POOL)}`);
console.log(`verdicts: ${JSON.stringify(verdicts)}`);
const met = (x) => (x ? 'met' : 'NOT met');
console.log(`targets:  ≥1,000,000 flows/s: ${met(fastWallMed >= 1e6)} (wall, median), ${met(fastCpuMed >= 1e6)} (per CPU-second, median); compile < 1 s: ${met(compileMs < 1000)} (wall), ${met(compileCpuMs < 1000)} (CPU)`);
if (agree !== NAIVE || poolMismatch !== 0) {
  console.error('DISAGREEMENT between the fast path and the reference walk');
  process.exitCode = 1;
}
