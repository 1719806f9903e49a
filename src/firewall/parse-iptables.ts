// Parser for `iptables-save` / `ip6tables-save` output, legacy and iptables-nft dialects.
//
// Keeps every rule's table, chain, position, line and original text, chain policies and
// counters. Match modules and targets the engine does not understand are kept as `unknown`
// (with their line), never dropped. Malformed input raises FirewallParseError(line, message).

import { parseAddr, parseCidr, familyOf } from './addr.js';
import { FirewallParseError } from './errors.js';
import { tokenizeLine, type Token } from './tokenize.js';
import type {
  Chain,
  Counters,
  Family,
  IfaceSpec,
  Match,
  NatTo,
  ParseOptions,
  PortRange,
  Rule,
  Ruleset,
  Table,
  Target,
  UnknownConstruct,
} from './types.js';

export const BUILTIN_CHAINS: Record<string, readonly string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

const PROTOCOLS: Record<string, number> = {
  all: 0,
  icmp: 1,
  igmp: 2,
  ipip: 4,
  tcp: 6,
  egp: 8,
  udp: 17,
  ipv6: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  ospf: 89,
  ospfigp: 89,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  udplite: 136,
  mh: 135,
  'ipv6-mh': 135,
};

export function protocolNumber(p: string | number): number | null {
  if (typeof p === 'number') return Number.isInteger(p) && p >= 0 && p <= 255 ? p : null;
  if (p === 'tcp') return 6;
  if (p === 'udp') return 17;
  const s = p.toLowerCase();
  if (/^\d{1,3}$/.test(s)) {
    const n = Number(s);
    return n <= 255 ? n : null;
  }
  return PROTOCOLS[s] ?? null;
}

export function protocolName(n: number): string {
  for (const [k, v] of Object.entries(PROTOCOLS)) if (v === n) return k;
  return String(n);
}

const SERVICES: Record<string, number> = {
  ssh: 22, http: 80, https: 443, domain: 53, smtp: 25, ftp: 21, telnet: 23, ntp: 123,
  bootps: 67, bootpc: 68, snmp: 161, imap: 143, imaps: 993, pop3: 110, pop3s: 995,
};

const CT_STATES = new Set(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT']);
const ADDR_TYPES = new Set([
  'UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE',
  'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE',
]);
const TCP_FLAGS = new Set(['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH', 'ALL', 'NONE', 'ECE', 'CWR']);

/** Non-terminating targets that do not influence the filtering decision. */
const CONTINUE_TARGETS = new Set([
  'LOG', 'NFLOG', 'ULOG', 'TRACE', 'CT', 'CHECKSUM', 'TCPMSS', 'TOS', 'DSCP', 'TTL', 'HL', 'CLASSIFY',
  'AUDIT', 'SECMARK', 'CONNSECMARK', 'IDLETIMER', 'LED', 'TEE', 'SET', 'RATEEST', 'ECN',
]);

const ICMP_TYPES: Record<string, [number, number, number] | null> = {
  any: null,
  'echo-reply': [0, 0, 255],
  pong: [0, 0, 255],
  'destination-unreachable': [3, 0, 255],
  'network-unreachable': [3, 0, 0],
  'host-unreachable': [3, 1, 1],
  'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3],
  'fragmentation-needed': [3, 4, 4],
  'source-route-failed': [3, 5, 5],
  'network-prohibited': [3, 9, 9],
  'host-prohibited': [3, 10, 10],
  'communication-prohibited': [3, 13, 13],
  'source-quench': [4, 0, 255],
  redirect: [5, 0, 255],
  'echo-request': [8, 0, 255],
  ping: [8, 0, 255],
  'router-advertisement': [9, 0, 255],
  'router-solicitation': [10, 0, 255],
  'time-exceeded': [11, 0, 255],
  'ttl-exceeded': [11, 0, 255],
  'parameter-problem': [12, 0, 255],
  'timestamp-request': [13, 0, 255],
  'timestamp-reply': [14, 0, 255],
};
const ICMP6_TYPES: Record<string, [number, number, number] | null> = {
  any: null,
  'destination-unreachable': [1, 0, 255],
  'no-route': [1, 0, 0],
  'communication-prohibited': [1, 1, 1],
  'address-unreachable': [1, 3, 3],
  'port-unreachable': [1, 4, 4],
  'packet-too-big': [2, 0, 255],
  'time-exceeded': [3, 0, 255],
  'ttl-exceeded': [3, 0, 255],
  'parameter-problem': [4, 0, 255],
  'echo-request': [128, 0, 255],
  ping: [128, 0, 255],
  'echo-reply': [129, 0, 255],
  pong: [129, 0, 255],
  'router-solicitation': [133, 0, 255],
  'router-advertisement': [134, 0, 255],
  'neighbour-solicitation': [135, 0, 255],
  'neighbor-solicitation': [135, 0, 255],
  'neighbour-advertisement': [136, 0, 255],
  'neighbor-advertisement': [136, 0, 255],
  redirect: [137, 0, 255],
};

// ---------------------------------------------------------------------------------------------

interface PendingRule {
  rule: Rule;
  /** Target name still to resolve at COMMIT (a chain of this table, or an extension). */
  targetName: string | null;
  goto: boolean;
  targetArgs: Token[];
}

interface OpenTable {
  table: Table;
  pending: PendingRule[];
}

/** Parse `iptables-save` or `ip6tables-save` output. */
export function parseIptablesSave(text: string, opts: ParseOptions = {}): Ruleset {
  if (typeof text !== 'string') throw new FirewallParseError(1, 'input is not text');
  const lines = text.split('\n');
  const family = opts.family ?? guessFamily(text);
  const rs: Ruleset = {
    family,
    format: 'iptables-save',
    backend: null,
    tables: {},
    unknowns: [],
    warnings: [],
  };
  let open: OpenTable | null = null;
  let lastLine = 0;

  for (let li = 0; li < lines.length; li++) {
    const lineNo = li + 1;
    let raw = lines[li]!;
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    const line = raw.trim();
    if (line === '') continue;
    lastLine = lineNo;
    if (line.startsWith('#')) {
      if (/nf_tables|iptables-nft|legacy tables present/.test(line)) rs.backend = 'nf_tables';
      else if (/legacy/.test(line)) rs.backend ??= 'legacy';
      else if (/^# Generated by (ip6?tables)-save v[\d.]+$/.test(line)) rs.backend ??= 'legacy';
      continue;
    }
    if (line.startsWith('*')) {
      if (open) {
        throw new FirewallParseError(lineNo, `table ${line.slice(1)} starts before COMMIT of table ${open.table.name}`);
      }
      const name = line.slice(1);
      if (!(name in BUILTIN_CHAINS)) throw new FirewallParseError(lineNo, `unknown table "${clip(name)}"`);
      const table: Table = { name, line: lineNo, chains: {}, chainOrder: [] };
      open = { table, pending: [] };
      continue;
    }
    if (line === 'COMMIT') {
      if (!open) throw new FirewallParseError(lineNo, 'COMMIT outside a table');
      finishTable(open, rs);
      if (rs.tables[open.table.name]) rs.warnings.push({ line: lineNo, message: `table ${open.table.name} appears twice; the later one replaces the earlier` });
      rs.tables[open.table.name] = open.table;
      open = null;
      continue;
    }
    if (!open) throw new FirewallParseError(lineNo, `"${clip(line)}" outside a table (expected *table)`);
    const table = open.table;
    if (line.startsWith(':')) {
      declareChain(table, line, lineNo);
      continue;
    }
    const tokens = tokenizeLine(line, lineNo);
    let counters: Counters | null = null;
    let ti = 0;
    if (tokens[0] && !tokens[0].quoted && tokens[0].value.startsWith('[')) {
      counters = parseCounters(tokens[0].value, lineNo);
      ti = 1;
    }
    const cmd = tokens[ti]?.value;
    if (cmd === '-N' || cmd === '--new-chain') {
      const name = tokens[ti + 1]?.value;
      if (!name || tokens.length > ti + 2) throw new FirewallParseError(lineNo, '-N needs exactly one chain name');
      addChain(table, name, null, null, lineNo);
      continue;
    }
    if (cmd !== '-A' && cmd !== '--append') {
      throw new FirewallParseError(lineNo, `expected -A, a chain declaration or COMMIT, got "${clip(tokens[ti]?.value ?? line)}"`);
    }
    const chainName = tokens[ti + 1];
    if (!chainName || chainName.value === '' || chainName.value.startsWith('-')) throw new FirewallParseError(lineNo, '-A without a chain name');
    let chain = table.chains[chainName.value];
    if (!chain) {
      if ((BUILTIN_CHAINS[table.name] ?? []).includes(chainName.value)) {
        // iptables-nft omits base chains it never created; appending to one is valid.
        chain = addChain(table, chainName.value, 'ACCEPT', null, lineNo);
      } else {
        throw new FirewallParseError(lineNo, `rule for undeclared chain ${clip(chainName.value)} in table ${table.name}`);
      }
    }
    const pending = parseRuleTokens(tokens.slice(ti + 2), {
      table: table.name,
      chain: chain.name,
      index: chain.rules.length + 1,
      line: lineNo,
      text: line,
      counters,
      family,
    });
    chain.rules.push(pending.rule);
    open.pending.push(pending);
  }
  if (open) {
    throw new FirewallParseError(Math.max(lastLine, 1), `missing COMMIT for table ${open.table.name} (truncated input?)`);
  }
  for (const t of Object.values(rs.tables)) for (const c of Object.values(t.chains)) for (const r of c.rules) rs.unknowns.push(...r.unknown);
  return rs;
}

function clip(s: string): string {
  const t = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}

function guessFamily(text: string): Family {
  if (/^# Generated by ip6tables/m.test(text)) return 'ipv6';
  if (/^# Generated by iptables/m.test(text)) return 'ipv4';
  const m = /(?:^|\s)(?:-s|-d|--to-destination|--to-source)\s+(\S+)/m.exec(text);
  if (m) {
    const a = m[1]!.replace(/^\[/, '').split(/[\]/]/)[0]!;
    if (familyOf(a) === 'ipv6') return 'ipv6';
  }
  if (/-p (icmpv6|ipv6-icmp)\b/.test(text)) return 'ipv6';
  return 'ipv4';
}

function parseCounters(s: string, lineNo: number): Counters {
  const m = /^\[(\d+):(\d+)\]$/.exec(s);
  if (!m) throw new FirewallParseError(lineNo, `bad counters "${clip(s)}"`);
  return { packets: Number(m[1]), bytes: Number(m[2]) };
}

function declareChain(table: Table, line: string, lineNo: number): void {
  const parts = line.slice(1).trim().split(/\s+/);
  const [name, policy, counters] = parts;
  if (!name || !policy || parts.length > 3) throw new FirewallParseError(lineNo, `bad chain declaration "${clip(line)}"`);
  const c = counters !== undefined ? parseCounters(counters, lineNo) : null;
  const builtin = (BUILTIN_CHAINS[table.name] ?? []).includes(name);
  if (builtin) {
    if (policy !== 'ACCEPT' && policy !== 'DROP') {
      throw new FirewallParseError(lineNo, `built-in chain ${name} needs policy ACCEPT or DROP, got "${clip(policy)}"`);
    }
  } else {
    if (policy !== '-') throw new FirewallParseError(lineNo, `user chain ${clip(name)} cannot have policy "${clip(policy)}" (bad built-in chain name for table ${table.name}?)`);
  }
  addChain(table, name, builtin ? (policy as 'ACCEPT' | 'DROP') : null, c, lineNo);
}

function addChain(table: Table, name: string, policy: 'ACCEPT' | 'DROP' | null, counters: Counters | null, lineNo: number): Chain {
  if (name.length > 64 || /[\s"']/.test(name) || name.startsWith('-') || name.startsWith('!')) {
    throw new FirewallParseError(lineNo, `invalid chain name "${clip(name)}"`);
  }
  if (table.chains[name]) throw new FirewallParseError(lineNo, `chain ${clip(name)} declared twice in table ${table.name}`);
  const builtin = (BUILTIN_CHAINS[table.name] ?? []).includes(name);
  const chain: Chain = { name, builtin, policy: builtin ? (policy ?? 'ACCEPT') : null, counters, line: lineNo, rules: [] };
  table.chains[name] = chain;
  table.chainOrder.push(name);
  return chain;
}

function finishTable(open: OpenTable, rs: Ruleset): void {
  const t = open.table;
  for (const b of BUILTIN_CHAINS[t.name] ?? []) {
    if (!t.chains[b]) {
      t.chains[b] = { name: b, builtin: true, policy: 'ACCEPT', counters: null, line: 0, rules: [] };
      t.chainOrder.push(b);
    }
  }
  for (const p of open.pending) {
    if (p.targetName === null) continue;
    const r = p.rule;
    const name = p.targetName;
    if (t.chains[name]) {
      if (t.chains[name]!.builtin) throw new FirewallParseError(r.line, `cannot jump to built-in chain ${name}`);
      if (p.targetArgs.length > 0) throw new FirewallParseError(r.line, `unexpected option "${clip(p.targetArgs[0]!.value)}" after jump to ${name}`);
      r.target = p.goto ? { kind: 'goto', chain: name } : { kind: 'jump', chain: name };
      r.targetText = `${p.goto ? '-g' : '-j'} ${name}`;
      continue;
    }
    if (p.goto) throw new FirewallParseError(r.line, `goto undeclared chain ${clip(name)}`);
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
      throw new FirewallParseError(r.line, `jump to undeclared chain ${clip(name)} in table ${t.name}`);
    }
    const text = ['-j', name, ...p.targetArgs.map((x) => quoteTok(x))].join(' ');
    const u: UnknownConstruct = { line: r.line, kind: 'target', name, text, table: t.name, chain: r.chain };
    r.unknown.push(u);
    r.target = { kind: 'unknown', name, text };
    r.targetText = text;
  }
  void rs;
}

function quoteTok(t: Token): string {
  return t.quoted || /\s/.test(t.value) || t.value === '' ? `"${t.value.replace(/(["\\])/g, '\\$1')}"` : t.value;
}

// ---------------------------------------------------------------------------------------------
// Rule options

interface RuleCtx {
  table: string;
  chain: string;
  index: number;
  line: number;
  text: string;
  counters: Counters | null;
  family: Family;
}

interface Cursor {
  toks: Token[];
  i: number;
  line: number;
}

function take(c: Cursor, opt: string): string {
  const t = c.toks[c.i];
  if (!t) throw new FirewallParseError(c.line, `option ${opt} needs a value`);
  if (!t.quoted && t.value === '!') throw new FirewallParseError(c.line, `option ${opt} needs a value, got "!"`);
  c.i++;
  return t.value;
}

/** Old-style `--opt ! value` negation. */
function inlineNeg(c: Cursor): boolean {
  const t = c.toks[c.i];
  if (t && !t.quoted && t.value === '!') {
    c.i++;
    return true;
  }
  return false;
}

function parseIface(v: string, line: number): IfaceSpec {
  if (v === '' || v.length > 16 || /[\s/]/.test(v)) throw new FirewallParseError(line, `bad interface name "${clip(v)}"`);
  if (v.endsWith('+')) return { name: v.slice(0, -1), wildcard: true };
  return { name: v, wildcard: false };
}

function parsePortNum(s: string, line: number): number {
  if (/^\d{1,5}$/.test(s)) {
    const n = Number(s);
    if (n <= 65535) return n;
  }
  const svc = SERVICES[s];
  if (svc !== undefined) return svc;
  throw new FirewallParseError(line, `bad port "${clip(s)}"`);
}

/** `80`, `1000:2000`, `:2000`, `1000:` (and `-` as separator for NAT). */
export function parsePortRange(s: string, line: number, sep = ':'): PortRange {
  const k = s.indexOf(sep);
  if (k < 0) {
    const p = parsePortNum(s, line);
    return [p, p];
  }
  const a = s.slice(0, k);
  const b = s.slice(k + 1);
  const lo = a === '' ? 0 : parsePortNum(a, line);
  const hi = b === '' ? 65535 : parsePortNum(b, line);
  if (lo > hi) throw new FirewallParseError(line, `bad port range "${clip(s)}" (start after end)`);
  return [lo, hi];
}

function parsePortList(s: string, line: number): PortRange[] {
  const parts = s.split(',');
  if (parts.length > 15) throw new FirewallParseError(line, `too many ports in "${clip(s)}" (multiport allows 15)`);
  return parts.map((p) => parsePortRange(p, line));
}

function parseCidrOrThrow(v: string, family: Family, line: number, opt: string) {
  const c = parseCidr(v, family);
  if (!c) throw new FirewallParseError(line, `bad ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address for ${opt}: "${clip(v)}"`);
  return c;
}

function parseNum(s: string, line: number, what: string): number {
  if (/^0x[0-9a-fA-F]{1,8}$/.test(s)) return parseInt(s, 16) >>> 0;
  if (/^\d{1,10}$/.test(s)) {
    const n = Number(s);
    if (n <= 0xffffffff) return n;
  }
  throw new FirewallParseError(line, `bad ${what} "${clip(s)}"`);
}

function parseValueMask(s: string, line: number, what: string): [number, number] {
  const k = s.indexOf('/');
  if (k < 0) return [parseNum(s, line, what), 0xffffffff];
  return [parseNum(s.slice(0, k), line, what), parseNum(s.slice(k + 1), line, what)];
}

type OptHandler = (c: Cursor, neg: boolean, opt: string, st: RuleState) => void;

interface RuleState {
  ctx: RuleCtx;
  matches: Match[];
  unknown: UnknownConstruct[];
  proto: number | null;
  protoNeg: boolean;
  /** Module instances loaded by -m, in order, with their accumulated state. */
  modules: Array<{ name: string; known: boolean; addrtype?: Match & { kind: 'addrtype' }[] }>;
  physdev: (Match & { kind: 'physdev' }) | null;
  addrtypeLimit: 'in' | 'out' | null;
  addrtypeMatches: Array<Match & { kind: 'addrtype' }>;
}

const portOpts = (module: string): Record<string, OptHandler> => ({
  '--sport': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'src', neg: neg || inlineNeg(c), ranges: [parsePortRange(take(c, opt), c.line)], module }),
  '--source-port': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'src', neg: neg || inlineNeg(c), ranges: [parsePortRange(take(c, opt), c.line)], module }),
  '--dport': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'dst', neg: neg || inlineNeg(c), ranges: [parsePortRange(take(c, opt), c.line)], module }),
  '--destination-port': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'dst', neg: neg || inlineNeg(c), ranges: [parsePortRange(take(c, opt), c.line)], module }),
});

function tcpFlagList(s: string, line: number): string[] {
  const l = s.split(',').map((x) => x.toUpperCase());
  for (const f of l) if (!TCP_FLAGS.has(f)) throw new FirewallParseError(line, `bad TCP flag "${clip(f)}"`);
  return l;
}

function icmpHandler(v6: boolean): OptHandler {
  return (c, neg, opt, st) => {
    neg = neg || inlineNeg(c);
    const v = take(c, opt);
    const table = v6 ? ICMP6_TYPES : ICMP_TYPES;
    if (v in table) {
      const e = table[v];
      st.matches.push({ kind: 'icmp', v6, neg, type: e ? e[0] : null, codeLo: e ? e[1] : 0, codeHi: e ? e[2] : 255, label: v });
      return;
    }
    const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(v);
    if (!m || Number(m[1]) > 255 || (m[2] !== undefined && Number(m[2]) > 255)) throw new FirewallParseError(c.line, `bad ICMP type "${clip(v)}"`);
    const code = m[2] !== undefined ? Number(m[2]) : null;
    st.matches.push({ kind: 'icmp', v6, neg, type: Number(m[1]), codeLo: code ?? 0, codeHi: code ?? 255, label: v });
  };
}

function ctAddr(dir: 'src' | 'dst'): OptHandler {
  return (c, neg, opt, st) => {
    neg = neg || inlineNeg(c);
    const cidr = parseCidrOrThrow(take(c, opt), st.ctx.family, c.line, opt);
    st.matches.push({ kind: 'ctorigaddr', dir, neg, cidr: cidr.text, words: cidr.words, mask: cidr.mask });
  };
}

function ctPort(dir: 'src' | 'dst'): OptHandler {
  return (c, neg, opt, st) => {
    neg = neg || inlineNeg(c);
    st.matches.push({ kind: 'ctorigport', dir, neg, ranges: [parsePortRange(take(c, opt), c.line)] });
  };
}

function stateList(c: Cursor, opt: string): string[] {
  const v = take(c, opt);
  const l = v.split(',');
  for (const s of l) if (!CT_STATES.has(s)) throw new FirewallParseError(c.line, `bad conntrack state "${clip(s)}"`);
  return l;
}

function addrtypeHandler(dir: 'src' | 'dst'): OptHandler {
  return (c, neg, opt, st) => {
    neg = neg || inlineNeg(c);
    const types = take(c, opt).split(',').map((x) => x.toUpperCase());
    for (const t of types) if (!ADDR_TYPES.has(t)) throw new FirewallParseError(c.line, `bad address type "${clip(t)}"`);
    const m: Match & { kind: 'addrtype' } = { kind: 'addrtype', dir, neg, types, limitIface: st.addrtypeLimit };
    st.addrtypeMatches.push(m);
    st.matches.push(m);
  };
}

function physdevHandler(which: 'in' | 'out' | 'isIn' | 'isOut' | 'isBridged'): OptHandler {
  return (c, neg, opt, st) => {
    if (!st.physdev) {
      st.physdev = { kind: 'physdev', inIface: null, outIface: null, isBridged: null, isIn: null, isOut: null };
      st.matches.push(st.physdev);
    }
    const p = st.physdev;
    if (which === 'in' || which === 'out') {
      neg = neg || inlineNeg(c);
      const iface = parseIface(take(c, opt), c.line);
      if (which === 'in') p.inIface = { neg, iface };
      else p.outIface = { neg, iface };
    } else if (which === 'isIn') p.isIn = !neg;
    else if (which === 'isOut') p.isOut = !neg;
    else p.isBridged = !neg;
  };
}

const MODULES: Record<string, Record<string, OptHandler>> = {
  tcp: {
    ...portOpts('tcp'),
    '--tcp-flags': (c, neg, opt, st) => {
      neg = neg || inlineNeg(c);
      const mask = tcpFlagList(take(c, opt), c.line);
      const comp = tcpFlagList(take(c, opt), c.line);
      st.matches.push({ kind: 'tcpflags', neg, mask, comp });
    },
    '--syn': (_c, neg, _opt, st) => st.matches.push({ kind: 'tcpflags', neg, mask: ['SYN', 'RST', 'ACK', 'FIN'], comp: ['SYN'] }),
  },
  udp: portOpts('udp'),
  udplite: portOpts('udplite'),
  sctp: portOpts('sctp'),
  dccp: portOpts('dccp'),
  multiport: {
    '--dports': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'dst', neg: neg || inlineNeg(c), ranges: parsePortList(take(c, opt), c.line), module: 'multiport' }),
    '--destination-ports': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'dst', neg: neg || inlineNeg(c), ranges: parsePortList(take(c, opt), c.line), module: 'multiport' }),
    '--sports': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'src', neg: neg || inlineNeg(c), ranges: parsePortList(take(c, opt), c.line), module: 'multiport' }),
    '--source-ports': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'src', neg: neg || inlineNeg(c), ranges: parsePortList(take(c, opt), c.line), module: 'multiport' }),
    '--ports': (c, neg, opt, st) => st.matches.push({ kind: 'port', dir: 'any', neg: neg || inlineNeg(c), ranges: parsePortList(take(c, opt), c.line), module: 'multiport' }),
  },
  conntrack: {
    '--ctstate': (c, neg, opt, st) => {
      neg = neg || inlineNeg(c);
      st.matches.push({ kind: 'ctstate', neg, states: stateList(c, opt), module: 'conntrack' });
    },
    '--ctorigsrc': ctAddr('src'),
    '--ctorigdst': ctAddr('dst'),
    '--ctorigsrcport': ctPort('src'),
    '--ctorigdstport': ctPort('dst'),
    '--ctproto': (c, neg, opt, st) => {
      neg = neg || inlineNeg(c);
      const v = take(c, opt);
      const p = protocolNumber(v);
      if (p === null) throw new FirewallParseError(c.line, `bad protocol "${clip(v)}"`);
      st.matches.push({ kind: 'ctproto', neg, proto: p });
    },
  },
  state: {
    '--state': (c, neg, opt, st) => {
      neg = neg || inlineNeg(c);
      st.matches.push({ kind: 'ctstate', neg, states: stateList(c, opt), module: 'state' });
    },
  },
  addrtype: {
    '--src-type': addrtypeHandler('src'),
    '--dst-type': addrtypeHandler('dst'),
    '--limit-iface-in': (_c, _neg, _opt, st) => {
      st.addrtypeLimit = 'in';
      for (const m of st.addrtypeMatches) m.limitIface = 'in';
    },
    '--limit-iface-out': (_c, _neg, _opt, st) => {
      st.addrtypeLimit = 'out';
      for (const m of st.addrtypeMatches) m.limitIface = 'out';
    },
  },
  comment: {
    '--comment': (c, _neg, opt, st) => {
      const v = take(c, opt);
      if (v.length > 256) throw new FirewallParseError(c.line, 'comment longer than 256 characters');
      st.matches.push({ kind: 'comment', text: v });
    },
  },
  set: {
    '--match-set': setHandler,
    '--set': setHandler,
    '--return-nomatch': (_c, _neg, opt, st) => lastSet(st, opt).extra.push(opt),
    '--update-counters': (_c, neg, opt, st) => lastSet(st, opt).extra.push(`${neg ? '! ' : ''}${opt}`),
    '--update-subcounters': (_c, neg, opt, st) => lastSet(st, opt).extra.push(`${neg ? '! ' : ''}${opt}`),
  },
  mark: {
    '--mark': (c, neg, opt, st) => {
      neg = neg || inlineNeg(c);
      const [value, mask] = parseValueMask(take(c, opt), c.line, 'mark');
      st.matches.push({ kind: 'mark', neg, value, mask });
    },
  },
  physdev: {
    '--physdev-in': physdevHandler('in'),
    '--physdev-out': physdevHandler('out'),
    '--physdev-is-in': physdevHandler('isIn'),
    '--physdev-is-out': physdevHandler('isOut'),
    '--physdev-is-bridged': physdevHandler('isBridged'),
  },
  icmp: { '--icmp-type': icmpHandler(false) },
  icmp6: { '--icmpv6-type': icmpHandler(true) },
  iprange: {
    '--src-range': iprangeHandler('src'),
    '--dst-range': iprangeHandler('dst'),
  },
};
MODULES['icmpv6'] = MODULES['icmp6']!;

function setHandler(c: Cursor, neg: boolean, opt: string, st: RuleState): void {
  neg = neg || inlineNeg(c);
  const name = take(c, opt);
  const flagsText = take(c, opt);
  const flags = flagsText.split(',');
  for (const f of flags) if (f !== 'src' && f !== 'dst') throw new FirewallParseError(c.line, `bad set flag "${clip(f)}" (src or dst)`);
  if (name === '' || name.length > 31) throw new FirewallParseError(c.line, `bad set name "${clip(name)}"`);
  st.matches.push({ kind: 'set', neg, name, flags: flags as Array<'src' | 'dst'>, extra: [] });
}

function lastSet(st: RuleState, opt: string): Match & { kind: 'set' } {
  for (let i = st.matches.length - 1; i >= 0; i--) {
    const m = st.matches[i]!;
    if (m.kind === 'set') return m;
  }
  throw new FirewallParseError(st.ctx.line, `${opt} before --match-set`);
}

function iprangeHandler(dir: 'src' | 'dst'): OptHandler {
  return (c, neg, opt, st) => {
    neg = neg || inlineNeg(c);
    const v = take(c, opt);
    const k = v.indexOf('-');
    const a = k < 0 ? v : v.slice(0, k);
    const b = k < 0 ? v : v.slice(k + 1);
    const from = parseAddr(a, st.ctx.family);
    const to = parseAddr(b, st.ctx.family);
    if (!from || !to) throw new FirewallParseError(c.line, `bad address range "${clip(v)}"`);
    st.matches.push({ kind: 'iprange', dir, neg, from, to, text: v });
  };
}

function isOptionToken(t: Token | undefined): boolean {
  return !!t && !t.quoted && t.value.startsWith('-') && t.value.length > 1 && !/^-\d/.test(t.value);
}

/** Consume `--opt [values...]` of a module or target the engine does not know. */
function consumeGeneric(c: Cursor): string[] {
  const out: string[] = [];
  while (c.i < c.toks.length) {
    const t = c.toks[c.i]!;
    if (isOptionToken(t)) break;
    if (!t.quoted && t.value === '!') {
      // `!` before the next option belongs to it; `--opt ! value` old style keeps it.
      const nx = c.toks[c.i + 1];
      if (isOptionToken(nx)) break;
    }
    out.push(quoteTok(t));
    c.i++;
  }
  return out;
}

function parseRuleTokens(toks: Token[], ctx: RuleCtx): PendingRule {
  const c: Cursor = { toks, i: 0, line: ctx.line };
  const st: RuleState = {
    ctx,
    matches: [],
    unknown: [],
    proto: null,
    protoNeg: false,
    modules: [],
    physdev: null,
    addrtypeLimit: null,
    addrtypeMatches: [],
  };
  const seen = new Set<string>();
  let targetName: string | null = null;
  let isGoto = false;
  let targetArgs: Token[] = [];
  let neg = false;
  const once = (o: string) => {
    if (seen.has(o)) throw new FirewallParseError(c.line, `option ${o} given twice`);
    seen.add(o);
  };
  while (c.i < toks.length) {
    const t = toks[c.i]!;
    if (!t.quoted && t.value === '!') {
      if (neg) throw new FirewallParseError(c.line, 'double negation "! !"');
      neg = true;
      c.i++;
      continue;
    }
    if (!isOptionToken(t)) throw new FirewallParseError(c.line, `unexpected word "${clip(t.value)}" (expected an option)`);
    const opt = t.value;
    c.i++;
    switch (opt) {
      case '-s':
      case '--source':
      case '--src':
      case '-d':
      case '--destination':
      case '--dst': {
        const dir = opt === '-s' || opt === '--source' || opt === '--src' ? 'src' : 'dst';
        once(dir);
        const n = neg || inlineNeg(c);
        const v = take(c, opt);
        if (v.includes(',')) throw new FirewallParseError(c.line, `address lists are not valid in saved rules: "${clip(v)}"`);
        const cidr = parseCidrOrThrow(v, ctx.family, c.line, opt);
        st.matches.push({ kind: 'addr', dir, neg: n, cidr: cidr.text, words: cidr.words, mask: cidr.mask });
        break;
      }
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        const dir = opt === '-i' || opt === '--in-interface' ? 'in' : 'out';
        once(dir);
        const n = neg || inlineNeg(c);
        st.matches.push({ kind: 'iface', dir, neg: n, iface: parseIface(take(c, opt), c.line) });
        break;
      }
      case '-p':
      case '--protocol': {
        once('proto');
        const n = neg || inlineNeg(c);
        const v = take(c, opt);
        const p = protocolNumber(v);
        if (p === null) throw new FirewallParseError(c.line, `unknown protocol "${clip(v)}"`);
        st.proto = p;
        st.protoNeg = n;
        if (p !== 0 || n) st.matches.push({ kind: 'proto', neg: n, proto: p, name: v.toLowerCase() });
        break;
      }
      case '-f':
      case '--fragment':
        st.matches.push({ kind: 'fragment', neg });
        break;
      case '-m':
      case '--match': {
        if (neg) throw new FirewallParseError(c.line, '"!" cannot negate -m');
        const name = take(c, opt);
        if (!/^[a-zA-Z0-9_.-]{1,30}$/.test(name)) throw new FirewallParseError(c.line, `bad match module name "${clip(name)}"`);
        const known = name in MODULES;
        st.modules.push({ name, known });
        if (!known) {
          // Collect the module's options until the next -m/-j/generic option.
          const parts = [`-m ${name}`];
          while (c.i < toks.length) {
            const save = c.i;
            let n2 = false;
            if (!toks[c.i]!.quoted && toks[c.i]!.value === '!') {
              n2 = true;
              c.i++;
            }
            const o = toks[c.i];
            if (!o || !isOptionToken(o) || GENERIC.has(o.value)) {
              c.i = save;
              break;
            }
            c.i++;
            parts.push(`${n2 ? '! ' : ''}${o.value}`, ...consumeGeneric(c));
          }
          const text = parts.join(' ');
          st.matches.push({ kind: 'unknown', module: name, text, line: ctx.line });
          st.unknown.push({ line: ctx.line, kind: 'match', name, text, table: ctx.table, chain: ctx.chain });
        }
        break;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        if (neg) throw new FirewallParseError(c.line, `"!" cannot negate ${opt}`);
        if (targetName !== null) throw new FirewallParseError(c.line, 'more than one target');
        const name = take(c, opt);
        if (name === '' || /\s/.test(name)) throw new FirewallParseError(c.line, `bad target "${clip(name)}"`);
        targetName = name;
        isGoto = opt === '-g' || opt === '--goto';
        targetArgs = toks.slice(c.i);
        c.i = toks.length;
        break;
      }
      case '-c':
      case '--set-counters': {
        take(c, opt);
        take(c, opt);
        break;
      }
      default: {
        // A module option: search loaded modules, newest first; then implicit protocol module.
        let handled = false;
        for (let k = st.modules.length - 1; k >= 0 && !handled; k--) {
          const mod = st.modules[k]!;
          if (!mod.known) continue;
          const h = MODULES[mod.name]![opt];
          if (h) {
            h(c, neg, opt, st);
            handled = true;
          }
        }
        if (!handled && st.proto !== null && !st.protoNeg) {
          const implicit = protocolName(st.proto);
          const h = MODULES[implicit === 'icmpv6' ? 'icmp6' : implicit]?.[opt];
          if (h) {
            h(c, neg, opt, st);
            handled = true;
          }
        }
        if (!handled) {
          if (!opt.startsWith('--')) throw new FirewallParseError(c.line, `unknown option "${clip(opt)}"`);
          if (st.modules.length === 0) throw new FirewallParseError(c.line, `option ${clip(opt)} without a match module (-m)`);
          const mod = st.modules[st.modules.length - 1]!;
          const text = [`-m ${mod.name}`, `${neg ? '! ' : ''}${opt}`, ...consumeGeneric(c)].join(' ');
          st.matches.push({ kind: 'unknown', module: mod.name, text, line: ctx.line });
          st.unknown.push({ line: ctx.line, kind: 'option', name: opt, text, table: ctx.table, chain: ctx.chain });
        }
      }
    }
    neg = false;
  }
  if (neg) throw new FirewallParseError(c.line, '"!" at the end of the rule');
  for (const m of st.matches) {
    if (m.kind === 'port' && m.module !== 'multiport') {
      // -m tcp --dport needs -p tcp (iptables refuses otherwise).
      if (st.proto === null || st.protoNeg) throw new FirewallParseError(c.line, `--${m.dir === 'src' ? 'sport' : 'dport'} needs -p ${m.module}`);
    }
    if (m.kind === 'port' && m.module === 'multiport') {
      if (st.proto === null || st.protoNeg || ![6, 17, 132, 33, 136].includes(st.proto)) {
        throw new FirewallParseError(c.line, 'multiport needs -p tcp, udp, udplite, dccp or sctp');
      }
    }
  }
  const rule: Rule = {
    table: ctx.table,
    chain: ctx.chain,
    index: ctx.index,
    line: ctx.line,
    text: ctx.text,
    matches: st.matches,
    target: { kind: 'none' },
    targetText: '',
    counters: ctx.counters,
    unknown: st.unknown,
  };
  if (targetName === null) return { rule, targetName: null, goto: false, targetArgs: [] };
  if (!isGoto && KNOWN_TARGETS.has(targetName)) {
    rule.target = parseTarget(targetName, targetArgs, ctx);
    rule.targetText = ['-j', targetName, ...targetArgs.map(quoteTok)].join(' ');
    return { rule, targetName: null, goto: false, targetArgs: [] };
  }
  return { rule, targetName, goto: isGoto, targetArgs };
}

const GENERIC = new Set([
  '-s', '--source', '--src', '-d', '--destination', '--dst', '-i', '--in-interface', '-o', '--out-interface',
  '-p', '--protocol', '-f', '--fragment', '-m', '--match', '-j', '--jump', '-g', '--goto', '-c', '--set-counters',
]);

const KNOWN_TARGETS = new Set([
  'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NOTRACK', 'MARK', 'CONNMARK',
  ...CONTINUE_TARGETS,
]);

function parseNatTo(v: string, family: Family, line: number): NatTo {
  let addrPart = v;
  let portPart: string | null = null;
  if (family === 'ipv6') {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(v);
    if (m) {
      addrPart = m[1]!;
      portPart = m[2] ?? null;
    } else if (v.startsWith(':') && !v.startsWith('::')) {
      addrPart = '';
      portPart = v.slice(1);
    }
  } else {
    const k = v.indexOf(':');
    if (k >= 0) {
      addrPart = v.slice(0, k);
      portPart = v.slice(k + 1);
    }
  }
  let addrFrom = null;
  let addrTo = null;
  if (addrPart !== '') {
    const d = addrPart.indexOf('-');
    const a = d >= 0 ? addrPart.slice(0, d) : addrPart;
    const b = d >= 0 ? addrPart.slice(d + 1) : addrPart;
    addrFrom = parseAddr(a, family);
    addrTo = parseAddr(b, family);
    if (!addrFrom || !addrTo) throw new FirewallParseError(line, `bad NAT address "${clip(v)}"`);
  }
  let ports: PortRange | null = null;
  if (portPart !== null) {
    const pp = portPart.split('/')[0]!;
    ports = parsePortRange(pp, line, '-');
  }
  if (!addrFrom && !ports) throw new FirewallParseError(line, `bad NAT destination "${clip(v)}"`);
  return { addrFrom, addrTo, ports, text: v };
}

function parseTarget(name: string, args: Token[], ctx: RuleCtx): Target {
  const c: Cursor = { toks: args, i: 0, line: ctx.line };
  const opts = new Map<string, string | true>();
  const known = TARGET_OPTS[name];
  while (c.i < args.length) {
    const t = args[c.i]!;
    if (!isOptionToken(t)) throw new FirewallParseError(c.line, `unexpected word "${clip(t.value)}" after -j ${name}`);
    c.i++;
    const arity = known?.[t.value];
    if (known && arity === undefined) {
      if (CONTINUE_TARGETS.has(name)) {
        consumeGeneric(c);
        continue;
      }
      throw new FirewallParseError(c.line, `unknown option ${clip(t.value)} for target ${name}`);
    }
    if (!known) {
      consumeGeneric(c);
      continue;
    }
    if (arity === 0) opts.set(t.value, true);
    else {
      if (opts.has(t.value) && (name === 'DNAT' || name === 'SNAT')) {
        throw new FirewallParseError(c.line, `several ${t.value} ranges are not supported by the kernel since 2.6.11`);
      }
      opts.set(t.value, take(c, t.value));
    }
  }
  const str = (k: string) => {
    const v = opts.get(k);
    return typeof v === 'string' ? v : null;
  };
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
      return { kind: 'verdict', verdict: name };
    case 'REJECT': {
      const w = str('--reject-with');
      return w ? { kind: 'verdict', verdict: 'REJECT', rejectWith: w } : { kind: 'verdict', verdict: 'REJECT' };
    }
    case 'RETURN':
      return { kind: 'return' };
    case 'DNAT': {
      if (ctx.table !== 'nat') throw new FirewallParseError(ctx.line, 'DNAT is only valid in the nat table');
      const v = str('--to-destination');
      return { kind: 'dnat', to: v ? parseNatTo(v, ctx.family, ctx.line) : null };
    }
    case 'SNAT': {
      if (ctx.table !== 'nat') throw new FirewallParseError(ctx.line, 'SNAT is only valid in the nat table');
      const v = str('--to-source');
      return { kind: 'snat', to: v ? parseNatTo(v, ctx.family, ctx.line) : null };
    }
    case 'MASQUERADE': {
      if (ctx.table !== 'nat') throw new FirewallParseError(ctx.line, 'MASQUERADE is only valid in the nat table');
      const v = str('--to-ports');
      return { kind: 'masquerade', ports: v ? parsePortRange(v, ctx.line, '-') : null };
    }
    case 'REDIRECT': {
      if (ctx.table !== 'nat') throw new FirewallParseError(ctx.line, 'REDIRECT is only valid in the nat table');
      const v = str('--to-ports');
      return { kind: 'redirect', ports: v ? parsePortRange(v, ctx.line, '-') : null };
    }
    case 'NOTRACK':
      return { kind: 'notrack', name };
    case 'CT':
      if (opts.has('--notrack')) return { kind: 'notrack', name: 'CT --notrack' };
      return { kind: 'continue', name };
    case 'MARK': {
      for (const [k, op] of [
        ['--set-xmark', 'xset'],
        ['--set-mark', 'set'],
        ['--and-mark', 'and'],
        ['--or-mark', 'or'],
        ['--xor-mark', 'xor'],
      ] as const) {
        const v = str(k);
        if (v) {
          const [value, mask] = op === 'and' || op === 'or' || op === 'xor' ? [parseNum(v, ctx.line, 'mark'), 0xffffffff] : parseValueMask(v, ctx.line, 'mark');
          return { kind: 'mark', op, value, mask };
        }
      }
      throw new FirewallParseError(ctx.line, 'MARK needs --set-mark, --set-xmark, --and-mark, --or-mark or --xor-mark');
    }
    case 'CONNMARK':
      return { kind: 'connmark', restore: opts.has('--restore-mark') };
    default:
      return { kind: 'continue', name };
  }
}

const TARGET_OPTS: Record<string, Record<string, number>> = {
  ACCEPT: {},
  DROP: {},
  RETURN: {},
  REJECT: { '--reject-with': 1 },
  DNAT: { '--to-destination': 1, '--random': 0, '--persistent': 0 },
  SNAT: { '--to-source': 1, '--random': 0, '--random-fully': 0, '--persistent': 0 },
  MASQUERADE: { '--to-ports': 1, '--random': 0, '--random-fully': 0 },
  REDIRECT: { '--to-ports': 1, '--random': 0 },
  NOTRACK: {},
  MARK: { '--set-xmark': 1, '--set-mark': 1, '--and-mark': 1, '--or-mark': 1, '--xor-mark': 1 },
  CONNMARK: {
    '--set-xmark': 1, '--set-mark': 1, '--save-mark': 0, '--restore-mark': 0, '--and-mark': 1, '--or-mark': 1,
    '--xor-mark': 1, '--nfmask': 1, '--ctmask': 1, '--mask': 1,
  },
  CT: { '--notrack': 0, '--helper': 1, '--ctevents': 1, '--expevents': 1, '--zone': 1, '--zone-orig': 1, '--zone-reply': 1, '--timeout': 1 },
  LOG: {
    '--log-level': 1, '--log-prefix': 1, '--log-tcp-sequence': 0, '--log-tcp-options': 0, '--log-ip-options': 0,
    '--log-uid': 0, '--log-macdecode': 0,
  },
  NFLOG: { '--nflog-group': 1, '--nflog-prefix': 1, '--nflog-range': 1, '--nflog-size': 1, '--nflog-threshold': 1 },
  TRACE: {},
};

/** The rule's matches and target rendered back in iptables syntax (for messages). */
export function describeMatch(m: Match): string {
  const n = (neg: boolean) => (neg ? '! ' : '');
  switch (m.kind) {
    case 'addr':
      return `${n(m.neg)}-${m.dir === 'src' ? 's' : 'd'} ${m.cidr}`;
    case 'iface':
      return `${n(m.neg)}-${m.dir === 'in' ? 'i' : 'o'} ${m.iface.name}${m.iface.wildcard ? '+' : ''}`;
    case 'proto':
      return `${n(m.neg)}-p ${m.name}`;
    case 'port': {
      const r = m.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`)).join(',');
      if (m.module === 'multiport') return `-m multiport ${n(m.neg)}--${m.dir === 'src' ? 'sports' : m.dir === 'dst' ? 'dports' : 'ports'} ${r}`;
      return `${n(m.neg)}--${m.dir === 'src' ? 'sport' : 'dport'} ${r}`;
    }
    case 'ctstate':
      return m.module === 'state' ? `-m state ${n(m.neg)}--state ${m.states.join(',')}` : `-m conntrack ${n(m.neg)}--ctstate ${m.states.join(',')}`;
    case 'ctorigaddr':
      return `-m conntrack ${n(m.neg)}--ctorig${m.dir} ${m.cidr}`;
    case 'ctorigport':
      return `-m conntrack ${n(m.neg)}--ctorig${m.dir}port ${m.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`)).join(',')}`;
    case 'ctproto':
      return `-m conntrack ${n(m.neg)}--ctproto ${protocolName(m.proto)}`;
    case 'addrtype':
      return `-m addrtype ${n(m.neg)}--${m.dir}-type ${m.types.join(',')}${m.limitIface ? ` --limit-iface-${m.limitIface}` : ''}`;
    case 'comment':
      return `-m comment --comment "${m.text}"`;
    case 'set':
      return `-m set ${n(m.neg)}--match-set ${m.name} ${m.flags.join(',')}${m.extra.length ? ` ${m.extra.join(' ')}` : ''}`;
    case 'mark':
      return `-m mark ${n(m.neg)}--mark 0x${m.value.toString(16)}${m.mask !== 0xffffffff ? `/0x${m.mask.toString(16)}` : ''}`;
    case 'physdev': {
      const parts = ['-m physdev'];
      if (m.inIface) parts.push(`${n(m.inIface.neg)}--physdev-in ${m.inIface.iface.name}${m.inIface.iface.wildcard ? '+' : ''}`);
      if (m.outIface) parts.push(`${n(m.outIface.neg)}--physdev-out ${m.outIface.iface.name}${m.outIface.iface.wildcard ? '+' : ''}`);
      if (m.isIn !== null) parts.push(`${n(!m.isIn)}--physdev-is-in`);
      if (m.isOut !== null) parts.push(`${n(!m.isOut)}--physdev-is-out`);
      if (m.isBridged !== null) parts.push(`${n(!m.isBridged)}--physdev-is-bridged`);
      return parts.join(' ');
    }
    case 'icmp':
      return `${m.v6 ? '-m icmp6' : '-m icmp'} ${n(m.neg)}--icmp${m.v6 ? 'v6' : ''}-type ${m.label}`;
    case 'tcpflags':
      return `${n(m.neg)}--tcp-flags ${m.mask.join(',')} ${m.comp.join(',')}`;
    case 'iprange':
      return `-m iprange ${n(m.neg)}--${m.dir}-range ${m.text}`;
    case 'fragment':
      return `${n(m.neg)}-f`;
    case 'addrset':
      return `ip ${m.dir === 'src' ? 'saddr' : 'daddr'} ${m.neg ? '!= ' : ''}${m.text}`;
    case 'unknown':
      return m.text;
  }
}

export { parseIface as _parseIface };
