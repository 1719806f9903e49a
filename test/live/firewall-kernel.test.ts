// Kernel agreement: the evaluator's verdict for a forwarded packet must equal what the Linux
// kernel does with the same ruleset. Builds three private network namespaces (client, router,
// server; addresses in 10.215.0.0/16 only), loads each ruleset into the router with
// iptables-restore, makes real TCP connections and UDP exchanges from the client to the
// server, and compares. Needs root and `ip netns`; skipped with a note otherwise. Everything
// created is removed in afterAll.
//
// Every ruleset starts FORWARD with `-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`
// (as Docker's DOCKER-CT does), so the outcome of a probe depends only on the first (NEW)
// packet of the flow, which is what the evaluator is asked about.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRuleset, evaluate, parseIptablesSave } from '../../src/firewall/index.js';
import type { Packet, Verdict } from '../../src/firewall/index.js';

const tag = `fwk${process.pid % 100000}`;
const NS = { c: `${tag}-c`, r: `${tag}-r`, s: `${tag}-s` };
const IF = { c: 'fwk-c', rc: 'fwk-rc', rs: 'fwk-rs', s: 'fwk-s' };
const CLIENTS = ['10.215.1.2', '10.215.1.3', '10.215.1.4'];
const SERVERS = ['10.215.2.2', '10.215.2.3'];
const PORTS = [22, 80, 443, 8080, 8081];
const ROUTER_LOCAL = ['10.215.1.1', '10.215.2.1'];

function sh(args: string[], input?: string): string {
  return execFileSync(args[0]!, args.slice(1), { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
}

function canRun(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root';
  try {
    sh(['ip', 'netns', 'add', `${tag}-probe`]);
    sh(['ip', 'netns', 'del', `${tag}-probe`]);
  } catch (e) {
    return `ip netns unavailable (${(e as Error).message.split('\n')[0]})`;
  }
  try {
    sh(['iptables-restore', '--version']);
  } catch {
    return 'iptables-restore unavailable';
  }
  return null;
}

const blocker = canRun();
if (blocker) console.warn(`[firewall-kernel] SKIP: ${blocker}`);

const SERVER_JS = `
const net = require('net'), dgram = require('dgram');
for (const p of ${JSON.stringify(PORTS)}) {
  net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(p, '0.0.0.0');
  // One UDP socket per address, so replies come from the address the client sent to.
  for (const a of ${JSON.stringify(SERVERS)}) {
    const u = dgram.createSocket('udp4');
    u.on('message', (m, r) => u.send(m, r.port, r.address));
    u.bind(p, a);
  }
}
setTimeout(() => process.exit(0), 600000);
`;

const CLIENT_JS = `
const net = require('net'), dgram = require('dgram'), rl = require('readline').createInterface({ input: process.stdin });
const T = 700;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const classify = (e) => (e && (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' || e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'ECONNRESET')) ? 'refused' : 'error';
rl.on('line', (l) => {
  const q = JSON.parse(l);
  let done = false;
  const fin = (result, code) => { if (!done) { done = true; out({ id: q.id, result, code }); } };
  if (q.proto === 'tcp') {
    const s = net.connect({ host: q.dst, port: q.dport, localAddress: q.src, localPort: q.sport });
    s.setTimeout(T, () => { s.destroy(); fin('timeout'); });
    s.on('connect', () => { s.destroy(); fin('connected'); });
    s.on('error', (e) => fin(classify(e), e.code));
  } else {
    const u = dgram.createSocket('udp4');
    const t = setTimeout(() => { u.close(); fin('timeout'); }, T);
    u.on('error', (e) => { clearTimeout(t); try { u.close(); } catch {} fin(classify(e), e.code); });
    u.on('message', () => { clearTimeout(t); u.close(); fin('connected'); });
    u.bind(q.sport, q.src, () => { u.connect(q.dport, q.dst, (e) => { if (e) return fin('error', e.code); u.send('x'); }); });
  }
});
`;

let server: ChildProcess | null = null;
let client: ChildProcess | null = null;
const pending = new Map<number, (r: { result: string; code?: string }) => void>();
let nextId = 1;
let nextSport = 20000;

function setup(): void {
  for (const n of Object.values(NS)) sh(['ip', 'netns', 'add', n]);
  for (const n of Object.values(NS)) sh(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
  sh(['ip', '-n', NS.c, 'link', 'add', IF.c, 'type', 'veth', 'peer', 'name', IF.rc, 'netns', NS.r]);
  sh(['ip', '-n', NS.s, 'link', 'add', IF.s, 'type', 'veth', 'peer', 'name', IF.rs, 'netns', NS.r]);
  for (const a of CLIENTS) sh(['ip', '-n', NS.c, 'addr', 'add', `${a}/24`, 'dev', IF.c]);
  for (const a of SERVERS) sh(['ip', '-n', NS.s, 'addr', 'add', `${a}/24`, 'dev', IF.s]);
  sh(['ip', '-n', NS.r, 'addr', 'add', '10.215.1.1/24', 'dev', IF.rc]);
  sh(['ip', '-n', NS.r, 'addr', 'add', '10.215.2.1/24', 'dev', IF.rs]);
  for (const [n, i] of [[NS.c, IF.c], [NS.s, IF.s], [NS.r, IF.rc], [NS.r, IF.rs]] as const) sh(['ip', '-n', n, 'link', 'set', i, 'up']);
  sh(['ip', '-n', NS.c, 'route', 'add', 'default', 'via', '10.215.1.1']);
  sh(['ip', '-n', NS.s, 'route', 'add', 'default', 'via', '10.215.2.1']);
  sh(['ip', 'netns', 'exec', NS.r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  // REJECT answers with ICMP errors; without this the router rate-limits them per peer and a
  // burst of parallel probes would see some REJECTs as timeouts.
  sh(['ip', 'netns', 'exec', NS.r, 'sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
}

function cleanup(): void {
  for (const p of [client, server]) if (p && p.pid && p.exitCode === null) try { process.kill(p.pid); } catch { /* gone */ }
  for (const n of Object.values(NS)) try { sh(['ip', 'netns', 'del', n]); } catch { /* not there */ }
}

async function startAgents(): Promise<void> {
  server = spawn('ip', ['netns', 'exec', NS.s, process.execPath, '-e', SERVER_JS], { stdio: ['ignore', 'ignore', 'inherit'] });
  client = spawn('ip', ['netns', 'exec', NS.c, process.execPath, '-e', CLIENT_JS], { stdio: ['pipe', 'pipe', 'inherit'] });
  createInterface({ input: client.stdout! }).on('line', (l) => {
    const r = JSON.parse(l) as { id: number; result: string; code?: string };
    pending.get(r.id)?.(r);
    pending.delete(r.id);
  });
  // Wait until the server answers (bounded).
  for (let i = 0; i < 50; i++) {
    load(rules([]));
    const r = await probe({ proto: 'tcp', src: CLIENTS[0]!, dst: SERVERS[0]!, dport: 80 });
    if (r.result === 'connected') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('server in the test namespace did not come up');
}

interface Probe {
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  dport: number;
}

function probe(q: Probe): Promise<{ result: string; code?: string; sport: number }> {
  const id = nextId++;
  const sport = nextSport++;
  return new Promise((resolve) => {
    pending.set(id, (r) => resolve({ ...r, sport }));
    client!.stdin!.write(`${JSON.stringify({ ...q, id, sport })}\n`);
  });
}

function kernelVerdict(result: string): Verdict | 'error' {
  return result === 'connected' ? 'ACCEPT' : result === 'timeout' ? 'DROP' : result === 'refused' ? 'REJECT' : 'error';
}

function load(text: string): void {
  sh(['ip', 'netns', 'exec', NS.r, 'iptables-restore'], text);
}

/** A full ruleset (raw, nat, filter) with FORWARD starting with the conntrack accept. */
function rules(forward: string[], opts: { policy?: string; chains?: Record<string, string[]>; nat?: string[]; raw?: string[] } = {}): string {
  const chains = opts.chains ?? {};
  return [
    '*raw',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...(opts.raw ?? []).map((r) => `-A PREROUTING ${r}`),
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...(opts.nat ?? []),
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    `:FORWARD ${opts.policy ?? 'ACCEPT'} [0:0]`,
    ':OUTPUT ACCEPT [0:0]',
    ...Object.keys(chains).map((c) => `:${c} - [0:0]`),
    '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ...forward.map((r) => `-A FORWARD ${r}`),
    ...Object.entries(chains).flatMap(([c, rs]) => rs.map((r) => `-A ${c} ${r}`)),
    'COMMIT',
    '',
  ].join('\n');
}

const ALL_PROBES: Probe[] = [];
for (const src of CLIENTS) for (const dst of SERVERS) for (const dport of PORTS) for (const proto of ['tcp', 'udp'] as const) ALL_PROBES.push({ proto, src, dst, dport });

interface Disagreement {
  ruleset: string;
  probe: Probe;
  kernel: string;
  evaluator: Verdict;
}

async function compare(name: string, text: string, probes: Probe[]): Promise<{ agree: number; unknown: number; bad: Disagreement[] }> {
  load(text);
  const rs = parseIptablesSave(text);
  const c = compileRuleset(rs);
  const results = await Promise.all(probes.map((p) => probe(p)));
  const out = { agree: 0, unknown: 0, bad: [] as Disagreement[] };
  probes.forEach((p, i) => {
    const k = results[i]!;
    const pk: Packet = { family: 'ipv4', inIface: IF.rc, outIface: IF.rs, src: p.src, dst: p.dst, protocol: p.proto, sport: k.sport, dport: p.dport, ctState: 'NEW', path: 'forward' };
    const ev = evaluate(c, pk, { localAddresses: ROUTER_LOCAL });
    const kv = kernelVerdict(k.result);
    if (ev.verdict === 'unknown') out.unknown++;
    else if (kv === ev.verdict) out.agree++;
    else out.bad.push({ ruleset: name, probe: p, kernel: `${k.result}${k.code ? ` ${k.code}` : ''}`, evaluator: ev.verdict });
  });
  return out;
}

describe.skipIf(blocker !== null)('firewall evaluator agrees with the kernel (network namespaces)', () => {
  beforeAll(async () => {
    cleanup();
    setup();
    await startAgents();
  }, 60_000);

  afterAll(() => {
    try {
      client?.stdin?.end();
    } finally {
      cleanup();
    }
  });

  const handPicked: Array<[string, string]> = [
    ['accept all', rules([])],
    [
      'policy DROP, tcp/80 to .2 only, udp/53-ish REJECT',
      rules(['-d 10.215.2.2/32 -p tcp -m tcp --dport 80 -j ACCEPT', '-p udp -m udp --dport 8080 -j REJECT', '-p tcp -m tcp --dport 443 -j REJECT --reject-with tcp-reset'], { policy: 'DROP' }),
    ],
    [
      'user chains, RETURN, goto, multiport, negation, LOG, comment',
      rules(['-i fwk-rc -o fwk-rs -j DOCKER-USER', '-g CHK', '-j DROP'], {
        chains: {
          'DOCKER-USER': ['-s 10.215.1.4/32 -j DROP', '-m comment --comment "let the rest through" -j RETURN'],
          CHK: ['-m limit --limit 100/sec -j LOG --log-prefix "chk "', '! -s 10.215.1.2/32 -p tcp -m multiport --dports 22,443,8080:8081 -j REJECT', '-p udp ! -d 10.215.2.3/32 -j ACCEPT', '-p tcp -j ACCEPT'],
        },
      }),
    ],
    [
      'Docker 29 layout with a DOCKER-USER drop',
      rules(['-j DOCKER-USER', '-j DOCKER-FORWARD'], {
        chains: {
          'DOCKER-USER': ['-s 10.215.1.3/32 -p udp -j DROP', '-j RETURN'],
          'DOCKER-FORWARD': ['-j DOCKER-CT', '-j DOCKER-INTERNAL', '-j DOCKER-BRIDGE', '-i fwk-rs -j ACCEPT'],
          'DOCKER-CT': ['-o fwk-rs -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'],
          'DOCKER-INTERNAL': [],
          'DOCKER-BRIDGE': ['-o fwk-rs -j DOCKER'],
          DOCKER: ['-d 10.215.2.2/32 ! -i fwk-rs -o fwk-rs -p tcp -m tcp --dport 80 -j ACCEPT', '-d 10.215.2.2/32 ! -i fwk-rs -o fwk-rs -p udp -m udp --dport 8080 -j ACCEPT', '! -i fwk-rs -o fwk-rs -j DROP'],
        },
      }),
    ],
    [
      'published port: DNAT 8081→.2:80, raw drop of direct access to .3',
      rules(['-j DOCKER'], {
        chains: { DOCKER: ['-d 10.215.2.2/32 ! -i fwk-rs -o fwk-rs -p tcp -m tcp --dport 80 -j ACCEPT', '! -i fwk-rs -o fwk-rs -j DROP'] },
        nat: [':DOCKER - [0:0]', '-A PREROUTING -j DOCKER', '-A DOCKER ! -i fwk-rs -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.215.2.2:80', '-A POSTROUTING -s 10.215.1.0/24 -o fwk-rs -j MASQUERADE'],
        raw: ['-d 10.215.2.3/32 ! -i fwk-rs -p tcp -m tcp --dport 22 -j DROP'],
      }),
    ],
    [
      'addrtype and ctstate DNAT',
      rules(['-m addrtype --dst-type LOCAL -j DROP', '-m addrtype ! --src-type LOCAL -m conntrack --ctstate DNAT -j REJECT', '-p udp -m addrtype --dst-type UNICAST -j ACCEPT'], {
        nat: ['-A PREROUTING -p udp -m udp --dport 22 -j DNAT --to-destination 10.215.2.3:80'],
      }),
    ],
  ];

  for (const [name, text] of handPicked) {
    it(`hand-picked: ${name}`, async () => {
      const r = await compare(name, text, ALL_PROBES);
      expect(r.bad).toEqual([]);
      expect(r.agree).toBeGreaterThan(ALL_PROBES.length / 2);
    });
  }

  it('generated rulesets (fixed seed, 30 runs)', async () => {
    const neg = fc.boolean();
    const match = fc.oneof(
      fc.tuple(neg, fc.constantFrom('-s', '-d'), fc.constantFrom(...CLIENTS.map((a) => `${a}/32`), ...SERVERS.map((a) => `${a}/32`), '10.215.1.0/24', '10.215.2.0/31', '10.215.0.0/16')).map(([n, o, v]) => `${n ? '! ' : ''}${o} ${v}`),
      fc.tuple(neg, fc.constantFrom('-i', '-o'), fc.constantFrom(IF.rc, IF.rs, 'fwk-r+', 'fwk-x')).map(([n, o, v]) => `${n ? '! ' : ''}${o} ${v}`),
      fc.constantFrom('-m conntrack --ctstate NEW', '-m comment --comment "gen rule"', '-m addrtype ! --dst-type LOCAL'),
    );
    const proto = fc.oneof(
      fc.constant(''),
      fc.constantFrom('-p tcp', '-p udp', '! -p udp'),
      fc.tuple(fc.constantFrom('tcp', 'udp'), neg, fc.constantFrom(...PORTS)).map(([p, n, port]) => `-p ${p} -m ${p} ${n ? '! ' : ''}--dport ${port}`),
      fc.tuple(fc.constantFrom('tcp', 'udp'), fc.subarray(PORTS, { minLength: 1 })).map(([p, ps]) => `-p ${p} -m multiport --dports ${ps.join(',')}`),
      fc.tuple(fc.constantFrom('tcp', 'udp'), fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 8000 })).map(([p, a, w]) => `-p ${p} -m ${p} --dport ${a}:${Math.min(65535, a + w)}`),
    );
    const body = fc.tuple(fc.uniqueArray(match, { maxLength: 3, selector: (m) => m.replace('! ', '').slice(0, 3) }), proto).map(([ms, p]) => [...ms, p].filter(Boolean).join(' '));
    const tgt = (chains: string[]) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('-j ACCEPT', '-j DROP', '-j REJECT', '-j REJECT --reject-with tcp-reset', '-j RETURN', '-j LOG') },
        { weight: 1, arbitrary: chains.length ? fc.constantFrom(...chains.map((c) => `-j ${c}`), ...chains.map((c) => `-g ${c}`)) : fc.constant('-j DROP') },
      );
    const gen = fc.record({
      fwd: fc.array(fc.tuple(body, tgt(['DOCKER-USER', 'U2'])), { minLength: 1, maxLength: 8 }),
      user: fc.array(fc.tuple(body, tgt(['U2'])), { maxLength: 6 }),
      u2: fc.array(fc.tuple(body, tgt([])), { maxLength: 5 }),
      policy: fc.constantFrom('ACCEPT', 'DROP'),
      probes: fc.uniqueArray(fc.constantFrom(...ALL_PROBES), { minLength: 10, maxLength: 14 }),
    });
    const samples = fc.sample(gen, { numRuns: 30, seed: 1215 });
    let agree = 0;
    let unknown = 0;
    const bad: Disagreement[] = [];
    for (const [i, g] of samples.entries()) {
      const fix = (rs: Array<[string, string]>) => rs.map(([b, t]) => `${b} ${t.replace('-j REJECT --reject-with tcp-reset', b.includes('-p tcp') && !b.includes('! -p') ? '-j REJECT --reject-with tcp-reset' : '-j REJECT')}`.trim());
      const text = rules(fix(g.fwd), { policy: g.policy, chains: { 'DOCKER-USER': fix(g.user), U2: fix(g.u2) } });
      const r = await compare(`generated #${i}`, text, g.probes);
      agree += r.agree;
      unknown += r.unknown;
      if (r.bad.length) bad.push(...r.bad.map((b) => ({ ...b, ruleset: `${b.ruleset}\n${text}` })));
    }
    console.log(`[firewall-kernel] generated: ${agree} probes agree, ${unknown} unknown, ${bad.length} disagree`);
    expect(bad).toEqual([]);
    expect(agree).toBeGreaterThan(250);
  }, 240_000);
});
