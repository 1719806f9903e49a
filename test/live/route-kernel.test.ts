// Kernel oracle for the route engine: build a network namespace with varied routes and policy
// rules, capture it with the project's own collectors (`ip -j ... | parseIpRoutes/parseIpRules`),
// and check that routeLookup() gives the same answer as `ip route get` inside that namespace for a
// fixed-seed batch of destinations and packet variants (source, iif, fwmark). `ip route get` sends
// nothing. Needs root (skips with a printed note otherwise); everything is deleted in afterAll.
// Addresses: 10.215.128.0/17 and fd21:ee75:f000::/48 only.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressFamily, PolicyRule, Route } from '../../src/model/types.js';
import { parseIpRoutes } from '../../src/sources/host/parse-route.js';
import { parseIpRules } from '../../src/sources/host/parse-rule.js';
import { type Packet, routeLookup } from '../../src/analysis/route.js';
import { formatAddr, parseAddr, parsePrefix } from '../../src/net/addr.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveIp = spawnSync('ip', ['-V']).status === 0;
const run = isRoot && haveIp;
if (!run) process.stderr.write(`route-kernel oracle: SKIPPED (${!isRoot ? 'needs root' : 'no iproute2'})\n`);

const NS = `nsr-${randomBytes(3).toString('hex')}`;

function ipn(args: string[]): string {
  return execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function inNs(cmd: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, ...cmd], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const V4_SETUP: string[][] = [
  ['route', 'add', 'default', 'via', '10.215.128.254'],
  ['route', 'add', '10.215.160.0/20', 'via', '10.215.129.254'],
  ['route', 'add', '10.215.160.0/24', 'via', '10.215.130.254', 'metric', '10'],
  ['route', 'add', '10.215.160.0/24', 'via', '10.215.129.253', 'metric', '5'],
  ['route', 'add', '10.215.161.0/24', 'dev', 'wb'],
  ['route', 'add', 'blackhole', '10.215.200.0/24'],
  ['route', 'add', 'unreachable', '10.215.201.0/24'],
  ['route', 'add', 'prohibit', '10.215.202.0/24'],
  ['route', 'add', 'throw', '10.215.203.0/24'],
  ['route', 'add', '10.215.203.128/25', 'via', '10.215.130.9'],
  ['route', 'add', '10.215.160.0/19', 'via', '10.215.130.253', 'table', '100'],
  ['route', 'add', 'throw', '10.215.164.0/22', 'table', '100'],
  ['route', 'add', 'blackhole', '10.215.170.0/24', 'table', '100'],
  ['route', 'add', 'unreachable', '10.215.171.0/24', 'table', '100'],
  ['route', 'add', 'prohibit', '10.215.172.0/24', 'table', '100'],
  ['route', 'add', '10.215.210.0/24', 'via', '10.215.130.252', 'table', '100'],
  ['route', 'add', 'default', 'via', '10.215.129.200', 'table', '200'],
  ['route', 'add', '10.215.180.0/24', 'dev', 'wb', 'table', '200'],
  ['route', 'add', '10.215.176.0/20', 'via', '10.215.130.200', 'table', '200'],
  ['route', 'add', 'throw', '10.215.181.0/24', 'table', '200'],
  ['route', 'add', 'throw', '10.215.203.0/24', 'table', '200'],
  ['route', 'add', '10.215.190.0/24', 'via', '10.215.129.190', 'table', '300'],
  ['route', 'add', 'prohibit', '10.215.191.0/24', 'table', '300'],
  ['route', 'add', '10.215.203.0/24', 'via', '10.215.130.203', 'table', 'default'],
  ['route', 'add', '10.215.164.0/22', 'via', '10.215.129.164', 'table', 'default'],
  ['rule', 'add', 'pref', '100', 'from', '10.215.129.1', 'lookup', '100'],
  ['rule', 'add', 'pref', '105', 'iif', 'lo', 'to', '10.215.210.0/24', 'lookup', '100'],
  ['rule', 'add', 'pref', '110', 'to', '10.215.176.0/20', 'lookup', '200'],
  ['rule', 'add', 'pref', '120', 'fwmark', '0x1/0xff', 'lookup', '100'],
  ['rule', 'add', 'pref', '130', 'iif', 'vb', 'lookup', '300'],
  ['rule', 'add', 'pref', '140', 'not', 'to', '10.215.160.0/19', 'lookup', '300'],
  ['rule', 'add', 'pref', '150', 'fwmark', '0x2', 'goto', '170'],
  ['rule', 'add', 'pref', '160', 'fwmark', '0x2', 'unreachable'],
  ['rule', 'add', 'pref', '165', 'fwmark', '0x3', 'blackhole'],
  ['rule', 'add', 'pref', '170', 'fwmark', '0x2', 'lookup', '100', 'suppress_prefixlength', '19'],
  ['rule', 'add', 'pref', '175', 'fwmark', '0x4', 'nop'],
  ['rule', 'add', 'pref', '180', 'fwmark', '0x5', 'goto', '190'],
  ['rule', 'add', 'pref', '185', 'fwmark', '0x5', 'prohibit'],
  ['rule', 'add', 'pref', '190', 'to', '10.215.205.0/24', 'unreachable'],
  ['rule', 'add', 'pref', '195', 'to', '10.215.206.0/24', 'prohibit'],
  ['rule', 'add', 'pref', '196', 'to', '10.215.207.0/24', 'blackhole'],
  ['rule', 'add', 'pref', '197', 'fwmark', '0x6', 'prohibit'],
  ['rule', 'add', 'pref', '32000', 'lookup', 'main', 'suppress_prefixlength', '0'],
  ['rule', 'add', 'pref', '32100', 'lookup', '200'],
];

const P6 = 'fd21:ee75:f000';
const V6_SETUP: string[][] = [
  ['-6', 'route', 'add', 'default', 'via', `${P6}:1::fe`, 'dev', 'va'],
  ['-6', 'route', 'add', `${P6}:a0::/60`, 'via', `${P6}:2::fe`, 'dev', 'wa'],
  ['-6', 'route', 'add', `${P6}:a0::/64`, 'via', `${P6}:3::fe`, 'dev', 'wb', 'metric', '10'],
  ['-6', 'route', 'add', `${P6}:a0::/64`, 'via', `${P6}:2::fd`, 'dev', 'wa', 'metric', '5'],
  ['-6', 'route', 'add', 'blackhole', `${P6}:c8::/64`],
  ['-6', 'route', 'add', 'unreachable', `${P6}:c9::/64`],
  ['-6', 'route', 'add', 'prohibit', `${P6}:ca::/64`],
  ['-6', 'route', 'add', 'throw', `${P6}:cb::/64`],
  ['-6', 'route', 'add', `${P6}:a0::/56`, 'via', `${P6}:3::fd`, 'dev', 'wb', 'table', '100'],
  ['-6', 'route', 'add', 'throw', `${P6}:a4::/62`, 'table', '100'],
  ['-6', 'route', 'add', 'blackhole', `${P6}:aa::/64`, 'table', '100'],
  ['-6', 'route', 'add', 'default', 'via', `${P6}:2::c8`, 'dev', 'wa', 'table', '200'],
  ['-6', 'route', 'add', `${P6}:b0::/60`, 'via', `${P6}:3::c8`, 'dev', 'wb', 'table', '200'],
  ['-6', 'route', 'add', `${P6}:cb::/64`, 'via', `${P6}:3::cb`, 'dev', 'wb', 'table', 'default'],
  ['-6', 'rule', 'add', 'pref', '100', 'from', `${P6}:2::1`, 'lookup', '100'],
  ['-6', 'rule', 'add', 'pref', '110', 'to', `${P6}:b0::/60`, 'lookup', '200'],
  ['-6', 'rule', 'add', 'pref', '120', 'fwmark', '0x1', 'lookup', '100'],
  ['-6', 'rule', 'add', 'pref', '130', 'iif', 'vb', 'lookup', '100'],
  ['-6', 'rule', 'add', 'pref', '140', 'fwmark', '0x2', 'goto', '170'],
  ['-6', 'rule', 'add', 'pref', '160', 'fwmark', '0x2', 'unreachable'],
  ['-6', 'rule', 'add', 'pref', '165', 'fwmark', '0x3', 'blackhole'],
  ['-6', 'rule', 'add', 'pref', '170', 'fwmark', '0x2', 'lookup', '200', 'suppress_prefixlength', '0'],
  ['-6', 'rule', 'add', 'pref', '175', 'fwmark', '0x6', 'prohibit'],
  ['-6', 'rule', 'add', 'pref', '180', 'not', 'to', `${P6}:a0::/59`, 'lookup', '200', 'suppress_prefixlength', '0'],
  ['-6', 'rule', 'add', 'pref', '32767', 'lookup', 'default'],
];

interface Outcome {
  kind: string;
  dev?: string | null;
  gateway?: string | null;
  table?: string;
}

const ERRNO_BY_TEXT: Record<string, string> = {
  'Network is unreachable': 'ENETUNREACH',
  'No route to host': 'EHOSTUNREACH',
  'Permission denied': 'EACCES',
  'Invalid argument': 'EINVAL',
};

const canon = (a: string | null | undefined): string | null => {
  if (!a) return null;
  const p = parseAddr(a);
  return p ? formatAddr(p) : a;
};

function ipAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: unknown }).code as number) ?? 1 : 0, stdout, stderr });
    });
  });
}

async function kernel(family: AddressFamily, p: Packet): Promise<Outcome> {
  const args = ['-j', family === 'ipv4' ? '-4' : '-6', 'route', 'get', p.dst];
  if (p.src) args.push('from', p.src);
  if (p.iif) args.push('iif', p.iif);
  if (p.fwmark) args.push('mark', String(p.fwmark));
  const r = await ipAsync(['-n', NS, ...args]);
  if (r.status !== 0) {
    const msg = r.stderr.replace(/^RTNETLINK answers: /, '').trim();
    return { kind: ERRNO_BY_TEXT[msg] ?? `error: ${msg}` };
  }
  const j = JSON.parse(r.stdout)[0] as Record<string, unknown>;
  const type = (j.type as string | undefined) ?? 'unicast';
  if (type !== 'unicast') return { kind: type };
  return { kind: 'unicast', dev: (j.dev as string) ?? null, gateway: canon(j.gateway as string | undefined), table: (j.table as string | undefined) ?? 'main' };
}

function model(routes: Route[], rules: PolicyRule[], p: Packet): Outcome {
  const r = routeLookup(routes, rules, p);
  if (!r.ok) return { kind: r.errno };
  if (r.route.type !== 'unicast') return { kind: r.route.type };
  return { kind: 'unicast', dev: r.route.dev, gateway: canon(r.route.gateway), table: r.table };
}

// mulberry32: a small seeded PRNG so the batch is the same on every run.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomIn(prefix: string, rnd: () => number): string {
  const p = parsePrefix(prefix)!;
  const bits = p.family === 'ipv4' ? 32 : 128;
  let host = 0n;
  for (let i = 0; i < (bits - p.length); i += 16) host = (host << 16n) | BigInt(Math.floor(rnd() * 65536));
  host &= (1n << BigInt(bits - p.length)) - 1n;
  return formatAddr({ family: p.family, value: p.network | host });
}

function batch(family: AddressFamily, routes: Route[], rules: PolicyRule[], seed: number, n: number): Packet[] {
  const rnd = prng(seed);
  const prefixes = [...new Set([...routes.filter((r) => r.family === family).map((r) => r.dst), ...rules.map((r) => r.to).filter((x): x is string => !!x)])]
    .filter((d) => (family === 'ipv4' ? d.startsWith('10.215.') && Number(d.split('.')[2]) >= 128 : d.startsWith('fd21:ee75:f000:')));
  prefixes.push(family === 'ipv4' ? '10.215.128.0/17' : `${P6}::/56`);
  const local = family === 'ipv4' ? ['10.215.128.1', '10.215.129.1'] : [`${P6}:1::1`, `${P6}:2::1`];
  const inSrc = family === 'ipv4' ? '10.215.131.50' : `${P6}:4::50`;
  const out: Packet[] = [];
  for (let i = 0; i < n; i++) {
    const dst = randomIn(prefixes[Math.floor(rnd() * prefixes.length)]!, rnd);
    const v = Math.floor(rnd() * 5);
    const p: Packet = { dst };
    if (v === 1) p.src = local[Math.floor(rnd() * local.length)]!;
    if (v === 2) p.fwmark = 1 + Math.floor(rnd() * 6);
    if (v === 3) {
      p.iif = 'vb';
      p.src = inSrc;
    }
    if (v === 4) {
      p.src = local[Math.floor(rnd() * local.length)]!;
      p.fwmark = 1 + Math.floor(rnd() * 6);
    }
    out.push(p);
  }
  return out;
}

describe.skipIf(!run)('routeLookup agrees with `ip route get` in a real namespace', () => {
  let routes4: Route[] = [];
  let rules4: PolicyRule[] = [];
  let routes6: Route[] = [];
  let rules6: PolicyRule[] = [];

  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    ipn(['link', 'set', 'lo', 'up']);
    ipn(['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
    ipn(['link', 'add', 'wa', 'type', 'veth', 'peer', 'name', 'wb']);
    for (const d of ['va', 'vb', 'wa', 'wb']) ipn(['link', 'set', d, 'up']);
    inNs(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    inNs(['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    const addrs: Array<[string, string, string]> = [
      ['va', '10.215.128.1/24', `${P6}:1::1/64`],
      ['wa', '10.215.129.1/24', `${P6}:2::1/64`],
      ['wb', '10.215.130.1/24', `${P6}:3::1/64`],
      ['vb', '10.215.131.1/24', `${P6}:4::1/64`],
    ];
    for (const [dev, a4, a6] of addrs) {
      ipn(['addr', 'add', a4, 'dev', dev]);
      ipn(['-6', 'addr', 'add', a6, 'dev', dev, 'nodad']);
    }
    for (const c of [...V4_SETUP, ...V6_SETUP]) ipn(c);
    const w: string[] = [];
    routes4 = parseIpRoutes(inNs(['ip', '-4', '-j', 'route', 'show', 'table', 'all']).stdout, 'ipv4', w);
    routes6 = parseIpRoutes(inNs(['ip', '-6', '-j', 'route', 'show', 'table', 'all']).stdout, 'ipv6', w);
    rules4 = parseIpRules(inNs(['ip', '-4', '-j', 'rule', 'show']).stdout, 'ipv4', w);
    rules6 = parseIpRules(inNs(['ip', '-6', '-j', 'rule', 'show']).stdout, 'ipv6', w);
  });

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  const check = async (family: AddressFamily, seed: number, n: number, extra: Packet[]) => {
    const routes = family === 'ipv4' ? routes4 : routes6;
    const rules = family === 'ipv4' ? rules4 : rules6;
    const packets = [...extra, ...batch(family, routes, rules, seed, n)];
    const mismatches: string[] = [];
    const kinds = new Map<string, number>();
    // The kernel's answers, 8 `ip` processes at a time.
    const answers: Outcome[] = new Array(packets.length);
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < packets.length) {
        const i = next++;
        answers[i] = await kernel(family, packets[i]!);
      }
    }));
    for (const [i, p] of packets.entries()) {
      const k = answers[i]!;
      const m = model(routes, rules, p);
      kinds.set(k.kind, (kinds.get(k.kind) ?? 0) + 1);
      if (JSON.stringify(k) !== JSON.stringify(m)) mismatches.push(`${JSON.stringify(p)}: kernel ${JSON.stringify(k)} model ${JSON.stringify(m)}`);
    }
    process.stderr.write(`route-kernel ${family}: ${packets.length} lookups, outcomes ${JSON.stringify(Object.fromEntries(kinds))}\n`);
    expect(mismatches).toEqual([]);
    return kinds;
  };

  it('IPv4: every selector, action and route type', async () => {
    const kinds = await check('ipv4', 0x5eed4, 260, [
      { dst: '10.215.200.9' }, { dst: '10.215.201.9' }, { dst: '10.215.202.9' }, { dst: '10.215.203.9' },
      { dst: '10.215.205.9' }, { dst: '10.215.206.9' }, { dst: '10.215.207.9' },
      { dst: '10.215.128.1' }, { dst: '10.215.160.7' }, { dst: '10.215.165.7', fwmark: 1 },
      { dst: '10.215.170.7', src: '10.215.129.1' }, { dst: '10.215.171.7', fwmark: 1 }, { dst: '10.215.172.7', fwmark: 1 },
      { dst: '10.215.210.4' }, { dst: '10.215.210.4', iif: 'vb', src: '10.215.131.50' },
      { dst: '10.215.190.4', fwmark: 2 }, { dst: '10.215.162.4', fwmark: 2 }, { dst: '10.215.162.4', fwmark: 3 },
      { dst: '10.215.162.4', fwmark: 5 }, { dst: '10.215.162.4', fwmark: 6 }, { dst: '10.215.181.4' },
    ]);
    for (const k of ['unicast', 'local', 'ENETUNREACH', 'EHOSTUNREACH', 'EACCES', 'EINVAL']) expect(kinds.get(k) ?? 0).toBeGreaterThan(0);
  });

  it('IPv6: every selector, action and route type', async () => {
    const kinds = await check('ipv6', 0x5eed6, 160, [
      { dst: `${P6}:c8::9` }, { dst: `${P6}:c9::9` }, { dst: `${P6}:ca::9` }, { dst: `${P6}:cb::9` },
      { dst: `${P6}:1::1` }, { dst: `${P6}:a0::7` }, { dst: `${P6}:a5::7`, fwmark: 1 }, { dst: `${P6}:aa::7`, src: `${P6}:2::1` },
      { dst: `${P6}:b1::7` }, { dst: `${P6}:a1::7`, fwmark: 2 }, { dst: `${P6}:a1::7`, fwmark: 3 }, { dst: `${P6}:d1::7`, fwmark: 6 },
      { dst: `${P6}:a1::7`, iif: 'vb', src: `${P6}:4::50` },
    ]);
    for (const k of ['unicast', 'local', 'EHOSTUNREACH', 'EACCES', 'EINVAL']) expect(kinds.get(k) ?? 0).toBeGreaterThan(0);
  });
});
