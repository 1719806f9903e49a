// bench/doctor: `netsleuth doctor` on the synthetic 5,000-container snapshot (bench/gen-snapshot.mjs),
// in-process (runDoctor, median of runs after a warm-up) and as a whole CLI process
// (`doctor --snapshot FILE --json`, median wall time; peak RSS from /usr/bin/time -v). Two variants:
//   as generated   — no firewall, routes or interfaces (those checks report EVIDENCE_MISSING)
//   with firewall  — plus a Docker-20.10-style iptables-save for every network and published port,
//                    host interfaces and routes, and a DOCKER-USER DROP for a few published ports,
//                    so the masquerade, DNAT and published-port firewall traces all run.
// Targets: under 2 s and under 500 MB peak for the 5,000-container process. Uses dist/.
//
//   node bench/doctor.mjs [N]          (default 5000)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSnapshot } from './gen-snapshot.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist/src/analysis/doctor/registry.js'))) {
  process.stderr.write('bench/doctor: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
const { runDoctor } = await import(join(root, 'dist/src/analysis/doctor/registry.js'));
const N = Number(process.argv[2] ?? 5000);
const RUNS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const haveTime = existsSync('/usr/bin/time');
const ok = (value, source = 'synthetic') => ({ status: 'ok', source, value });

/** Docker 20.10's rules for the snapshot's networks and published ports, plus a few DOCKER-USER drops. */
function withFirewall(snap) {
  const s = structuredClone(snap);
  const st = s.state;
  const h = st.hosts[0];
  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER'];
  const filter = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':DOCKER - [0:0]', ':DOCKER-ISOLATION-STAGE-1 - [0:0]', ':DOCKER-ISOLATION-STAGE-2 - [0:0]', ':DOCKER-USER - [0:0]', '-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-ISOLATION-STAGE-1'];
  const iso1 = [];
  const iso2 = [];
  const docker = [];
  const dnat = [];
  const user = [];
  const brOf = new Map(st.networks.map((n) => [n.name, n.bridgeName]));
  for (const n of st.networks) {
    const br = n.bridgeName;
    nat.push(`-A POSTROUTING -s ${n.ipam.configs[0].subnet} ! -o ${br} -j MASQUERADE`);
    dnat.push(`-A DOCKER -i ${br} -j RETURN`);
    filter.push(`-A FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-A FORWARD -o ${br} -j DOCKER`, `-A FORWARD -i ${br} ! -o ${br} -j ACCEPT`, `-A FORWARD -i ${br} -o ${br} -j ACCEPT`);
    iso1.push(`-A DOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`);
    iso2.push(`-A DOCKER-ISOLATION-STAGE-2 -o ${br} -j DROP`);
  }
  let drops = 0;
  for (const c of st.containers) {
    if (!c.running) continue;
    const ep = c.endpoints[0];
    const br = brOf.get(ep.networkName);
    for (const b of c.publishedPorts) {
      if (b.hostIp.includes(':')) continue;
      const ip = ep.ipv4.address;
      dnat.push(`-A DOCKER ${b.hostIp === '0.0.0.0' ? '' : `-d ${b.hostIp}/32 `}! -i ${br} -p tcp -m tcp --dport ${b.hostPort} -j DNAT --to-destination ${ip}:${b.containerPort}`);
      docker.push(`-A DOCKER -d ${ip}/32 ! -i ${br} -o ${br} -p tcp -m tcp --dport ${b.containerPort} -j ACCEPT`);
      if (b.hostIp === '0.0.0.0' && drops < 5) {
        user.push(`-A DOCKER-USER -d ${ip}/32 -p tcp -m tcp --dport ${b.containerPort} -j DROP`);
        drops++;
      }
    }
  }
  const text = [...nat, ...dnat, 'COMMIT', ...filter, ...docker, ...iso1, '-A DOCKER-ISOLATION-STAGE-1 -j RETURN', ...iso2, '-A DOCKER-ISOLATION-STAGE-2 -j RETURN', ...user, '-A DOCKER-USER -j RETURN', 'COMMIT', ''].join('\n');
  h.firewall = ok({ iptablesSave: text, ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: 'legacy' });
  const iface = (name, address, prefixLength, kind) => ({ name, index: null, kind, mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4', address, prefixLength }] });
  const route = (dst, dev, gateway = null) => ({ family: 'ipv4', table: 'main', type: 'unicast', dst, dev, gateway, prefsrc: null, metric: null, scope: null, protocol: null, mtu: null });
  h.interfaces = ok([iface('eth0', '192.0.2.10', 24, 'device'), ...st.networks.map((n) => iface(n.bridgeName, n.ipam.configs[0].gateway, 24, 'bridge'))]);
  h.routes = ok([route('0.0.0.0/0', 'eth0', '192.0.2.1'), route('192.0.2.0/24', 'eth0'), ...st.networks.map((n) => route(n.ipam.configs[0].subnet, n.bridgeName))]);
  h.rules = ok([]);
  h.sysctls = ok({ ...(h.sysctls.value ?? {}), 'net.bridge.bridge-nf-call-iptables': '1' });
  return { snap: s, rules: text.split('\n').filter((l) => l.startsWith('-A')).length };
}

const dir = mkdtempSync(join(tmpdir(), 'ns-bench-doctor-'));
const rows = [];
try {
  const base = generateSnapshot({ containers: N, networks: Math.ceil(N / 100), seed: 1 });
  const fw = withFirewall(base);
  for (const [label, snap, rules] of [['as generated', base, 0], ['with firewall', fw.snap, fw.rules]]) {
    const file = join(dir, `${label.replace(/\s+/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(snap));
    // The first run is cold: it parses and compiles the ruleset (cached per host afterwards).
    const t0 = performance.now();
    let result = runDoctor(snap.state);
    const coldMs = performance.now() - t0;
    const inproc = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      result = runDoctor(snap.state);
      inproc.push(performance.now() - t);
    }
    const proc = [];
    let peakKb = null;
    const args = [join(root, 'bin/run.js'), 'doctor', '--snapshot', file, '--json', '--fail-on', 'error'];
    const env = { ...process.env, CI: 'true' };
    for (let i = 0; i <= RUNS; i++) {
      const t = performance.now();
      const r = haveTime && i === 0 ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env }) : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30, env });
      const ms = performance.now() - t;
      if (r.status !== 0 && r.status !== 1) throw new Error(`netsleuth doctor exited ${r.status}: ${r.stderr}`);
      if (i === 0 && haveTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
        peakKb = m ? Number(m[1]) : null;
      } else proc.push(ms); // the /usr/bin/time run is left out of the median
    }
    // What the process costs without doctor: reading and validating the same snapshot.
    const validate = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const v = spawnSync(process.execPath, [join(root, 'bin/run.js'), 'snapshot', 'validate', file], { encoding: 'utf8', env });
      validate.push(performance.now() - t);
      if (v.status !== 0) throw new Error(`snapshot validate exited ${v.status}: ${v.stderr}`);
    }
    const codes = {};
    for (const f of result.findings) codes[f.code] = (codes[f.code] ?? 0) + 1;
    rows.push({ label, rules, findings: result.findings.length, codes, coldMs, inprocMs: median(inproc), procMs: median(proc), validateMs: median(validate), peakMb: peakKb === null ? null : peakKb / 1024 });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const f = (x, d = 0) => (x === null ? 'n/a' : x.toFixed(d));
process.stdout.write(`bench/doctor — netsleuth doctor on the synthetic ${N}-container snapshot (median of ${RUNS}; node ${process.version})\n`);
process.stdout.write('variant         rules  findings  runDoctor cold/warm ms  doctor process ms  snapshot validate ms  peak RSS MB\n');
for (const r of rows) process.stdout.write(`${r.label.padEnd(14)}  ${String(r.rules).padStart(5)}  ${String(r.findings).padStart(8)}  ${`${f(r.coldMs)}/${f(r.inprocMs)}`.padStart(22)}  ${f(r.procMs).padStart(17)}  ${f(r.validateMs).padStart(20)}  ${f(r.peakMb).padStart(11)}\n`);
for (const r of rows) process.stdout.write(`  ${r.label}: ${Object.entries(r.codes).map(([k, v]) => `${k}×${v}`).join(', ')}\n`);
process.stdout.write(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (figures scale with it)\n`);
for (const r of rows) {
  process.stdout.write(`target (${r.label}): < 2000 ms and < 500 MB — ${f(r.procMs)} ms, ${f(r.peakMb)} MB: ${r.procMs < 2000 && (r.peakMb ?? 0) < 500 ? 'met' : 'NOT met'}\n`);
}
