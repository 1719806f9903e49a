// `netsleuth matrix`: the reach verdict for every ordered pair of containers, without walking
// every pair. Containers that the analysis cannot tell apart get the same class:
//
//   - the same namespace kind and state, the same networks, the same routes, interfaces and
//     listeners inside (their own addresses written as SELF), and
//   - addresses that fall in the same "atoms": every address constant that can influence a
//     verdict — addresses and prefixes in firewall rules that can match a packet of this matrix
//     (right protocol, right ports for the request or its reply), ipset members, route and policy
//     rule prefixes of the host and of every container, host and gateway addresses.
//
// reach on (A, B) only compares addresses with those constants, so every pair of classes needs
// one reach walk; pairs sharing a namespace (container: mode, host mode) are walked on their own.
// `exhaustive: true` walks every pair (the tests check both agree). Pure: no I/O.

import { parseIpsetSave, type Match, type Rule, type Ruleset, type Words } from '../firewall/index.js';
import { cmpWords, inNet, parseAddr as parseWords, parseCidr } from '../firewall/addr.js';
import type { AddressFamily, Container, Listener, NetworkState } from '../model/types.js';
import { ephemeralRepresentative } from './ephemeral.js';
import { hostRuleset } from './firewall-flow.js';
import { type Listening, type ReachOutcome, type ReachVerdict, analyzeReach } from './reach.js';
import { type Subject, bareName, viewOf } from '../model/view.js';
import { checkPort } from '../model/port.js';

const containerSubject = (c: Container): Subject => ({ kind: 'container', label: c.name, container: c, matchedBy: 'id' });

export interface MatrixRequest {
  /** Only containers attached to this network (name or id). */
  network?: string | null;
  port?: number | null;
  protocol?: 'tcp' | 'udp';
}

export interface MatrixCell {
  from: string;
  to: string;
  port: number | null;
  protocol: string;
  /** What `reach` answers first: OPEN, REFUSED, BLOCKED or UNKNOWN (from verdict and listening). */
  outcome: ReachOutcome;
  verdict: ReachVerdict;
  listening: Listening;
  /** The first blocking stage's code, or the first reason for `unknown`; null when reachable. */
  code: string | null;
  /** The code the outcome rests on (`code`, or for REFUSED and an unknown listener the listener's code); null when OPEN. */
  cause: string | null;
}

export interface MatrixResult {
  network: string | null;
  port: number | null;
  protocol: string;
  containers: string[];
  skipped: Array<{ name: string; reason: string }>;
  cells: MatrixCell[];
  counts: { pairs: number; reachable: number; blocked: number; unknown: number };
  /** Pairs per outcome. */
  outcomes: Record<ReachOutcome, number>;
  /** How the work was shared: classes found and reach walks actually done. */
  stats: { classes: number; fromClasses: number; toClasses: number; walks: number };
}


const bare = bareName;

// ---------------------------------------------------------------------------------------------
// Atoms

interface Atom {
  family: AddressFamily;
  lo: Words;
  hi: Words | null;
  mask: Words | null;
}

class AtomIndex {
  private exact = new Map<string, number[]>();
  private ranges: Array<{ id: number; a: Atom }> = [];
  private n = 0;

  addPrefix(family: AddressFamily, words: Words, mask: Words): void {
    const full = mask.every((m) => m === 0xffffffff);
    const id = this.n++;
    if (full) {
      const k = `${family}:${words.join('.')}`;
      const l = this.exact.get(k);
      if (l) l.push(id);
      else this.exact.set(k, [id]);
    } else this.ranges.push({ id, a: { family, lo: words, hi: null, mask } });
  }

  addCidr(text: string | null | undefined): void {
    if (!text || text === 'default') return;
    const [addr, len] = text.split('/');
    const fam: AddressFamily = addr!.includes(':') ? 'ipv6' : 'ipv4';
    const c = parseCidr(len === undefined ? `${addr}/${fam === 'ipv4' ? 32 : 128}` : text, fam);
    if (c) this.addPrefix(fam, c.words, c.mask);
  }

  addRange(family: AddressFamily, from: Words, to: Words): void {
    this.ranges.push({ id: this.n++, a: { family, lo: from, hi: to, mask: null } });
  }

  /** The atoms an address falls in, as a compact string. */
  signature(address: string | null | undefined): string {
    if (!address) return '-';
    const fam: AddressFamily = address.includes(':') ? 'ipv6' : 'ipv4';
    const w = parseWords(address, fam);
    if (!w) return `?${address}`;
    const ids: number[] = [...(this.exact.get(`${fam}:${w.join('.')}`) ?? [])];
    for (const { id, a } of this.ranges) {
      if (a.family !== fam) continue;
      if (a.mask ? inNet(w, a.lo, a.mask) : cmpWords(w, a.lo) >= 0 && cmpWords(w, a.hi!) <= 0) ids.push(id);
    }
    ids.sort((x, y) => x - y);
    return ids.join(',');
  }
}

/**
 * Which packets of the matrix can this rule match: the request (A→B, dport P, sport the client
 * port) and/or the reply (B→A, sport P, dport the client port)? nat chains see only requests.
 */
function ruleRelevance(r: Rule, proto: string, port: number | null, client: number | null, natOnly: boolean): { req: boolean; rep: boolean } {
  const protoNum = proto === 'tcp' ? 6 : proto === 'udp' ? 17 : 1;
  const inR = (v: number | null, ranges: Array<[number, number]>) => v === null || ranges.some(([a, b]) => v >= a && v <= b);
  let req = true;
  let rep = !natOnly;
  for (const m of r.matches as Match[]) {
    if (m.kind === 'proto' && !m.neg && m.proto !== protoNum && !(proto === 'icmp' && m.proto === 58)) return { req: false, rep: false };
    if (m.kind === 'port' && !m.neg) {
      if (port === null) return { req: false, rep: false }; // ICMP has no ports
      const hit = (p: { src: number | null; dst: number | null }) =>
        m.dir === 'src' ? inR(p.src, m.ranges) : m.dir === 'dst' ? inR(p.dst, m.ranges) : inR(p.src, m.ranges) || inR(p.dst, m.ranges);
      req &&= hit({ src: client, dst: port });
      rep &&= hit({ src: port, dst: client });
    }
  }
  return { req, rep };
}

/**
 * Address constants of the rules, by the role they can tell apart: `from` atoms distinguish
 * sources of the matrix (A), `to` atoms destinations (B). A `-d X` tested on the request is about
 * B; on the reply (whose destination is A) it is about A; `-s X` the other way round.
 */
function collectRuleAtoms(from: AtomIndex, to: AtomIndex, rs: Ruleset, ipsetSave: string | null, proto: string, port: number | null, client: number | null): void {
  let usesSets = false;
  for (const t of Object.values(rs.tables)) {
    for (const ch of Object.values(t.chains)) {
      const natOnly = t.name === 'nat' || ch.type === 'nat';
      for (const r of ch.rules) {
        const rel = ruleRelevance(r, proto, port, client, natOnly);
        if (!rel.req && !rel.rep) continue;
        for (const m of r.matches as Match[]) {
          const dir = 'dir' in m ? m.dir : null;
          // Which roles an address match on this side distinguishes.
          const targets: AtomIndex[] = [];
          if (dir === 'dst') {
            if (rel.req) targets.push(to);
            if (rel.rep) targets.push(from);
          } else {
            if (rel.req) targets.push(from);
            if (rel.rep) targets.push(to);
          }
          for (const idx of m.kind === 'ctorigaddr' ? [from, to] : targets) {
            if (m.kind === 'addr' || m.kind === 'ctorigaddr') idx.addPrefix(rs.family, m.words, m.mask);
            else if (m.kind === 'iprange') idx.addRange(rs.family, m.from, m.to);
            else if (m.kind === 'addrset') for (const n of m.nets) idx.addPrefix(rs.family, n.words, n.mask);
          }
          if (m.kind === 'set') usesSets = true;
        }
        const tg = r.target;
        if ((tg.kind === 'dnat' || tg.kind === 'snat') && tg.to?.addrFrom && tg.to.addrTo) {
          from.addRange(rs.family, tg.to.addrFrom, tg.to.addrTo);
          to.addRange(rs.family, tg.to.addrFrom, tg.to.addrTo);
        }
      }
    }
  }
  if (usesSets && ipsetSave) {
    // Set members are address constants too; read them with the engine's own ipset parser.
    let sets: ReturnType<typeof parseIpsetSave> | null = null;
    try {
      sets = parseIpsetSave(ipsetSave);
    } catch {
      sets = null; // unparseable: the engine cannot decide set matches for any address either
    }
    for (const set of sets?.values() ?? []) {
      for (const e of set.entries) {
        from.addPrefix(set.family, e.words, e.mask);
        to.addPrefix(set.family, e.words, e.mask);
      }
    }
  }
}

function buildAtoms(state: NetworkState, proto: string, port: number | null): { from: AtomIndex; to: AtomIndex } {
  const from = new AtomIndex();
  const to = new AtomIndex();
  const host = viewOf(state).host();
  for (const fam of ['ipv4', 'ipv6'] as const) {
    const hr = hostRuleset(host, fam);
    if (!hr.ruleset) continue;
    const client = port === null ? null : ephemeralRepresentative(hr.ruleset, viewOf(state).ephemeralRange(host).range);
    collectRuleAtoms(from, to, hr.ruleset, hr.ipsetSave, proto, port, client);
  }
  // Routing is looked up both ways (request and reply): these matter for both roles.
  for (const idx of [from, to]) {
    for (const h of state.hosts) {
      for (const r of h.routes.value ?? []) {
        idx.addCidr(r.dst);
        idx.addCidr(r.gateway);
      }
      for (const r of h.rules.value ?? []) {
        idx.addCidr(r.from);
        idx.addCidr(r.to);
      }
      for (const i of h.interfaces.value ?? []) for (const a of i.addresses) {
        idx.addCidr(a.address);
        idx.addCidr(`${a.address}/${a.prefixLength}`);
      }
    }
    for (const n of state.networks) for (const c of n.ipam.configs) {
      idx.addCidr(c.subnet);
      idx.addCidr(c.ipRange);
      idx.addCidr(c.gateway);
    }
    for (const c of state.containers) {
      for (const r of c.netns.value?.routes ?? []) {
        idx.addCidr(r.dst);
        idx.addCidr(r.gateway);
      }
    }
  }
  return { from, to };
}

// ---------------------------------------------------------------------------------------------
// Classes

function ownAddresses(c: Container): Set<string> {
  const s = new Set<string>();
  for (const e of c.endpoints) {
    if (e.ipv4) s.add(e.ipv4.address);
    if (e.ipv6) s.add(e.ipv6.address.toLowerCase());
  }
  for (const i of c.netns.value?.interfaces ?? []) for (const a of i.addresses) if (i.name !== 'lo') s.add(a.address.toLowerCase());
  return s;
}

function self(own: Set<string>, text: string | null): string | null {
  if (text === null) return null;
  const [a, len] = text.split('/');
  return own.has(a!.toLowerCase()) ? `SELF${len !== undefined ? `/${len}` : ''}` : text;
}

function listenerNorm(l: Listener, own: Set<string>): string {
  const a = l.address.toLowerCase();
  const where = a === '0.0.0.0' || a === '::' ? '*' : a.startsWith('127.') || a === '::1' ? 'LO' : own.has(a) ? 'SELF' : a;
  return `${l.protocol}/${l.family}/${where}/${l.port}`;
}

function classKey(state: NetworkState, c: Container, atoms: AtomIndex, port: number | null, proto: string): string {
  const owner = viewOf(state).namespaceOwner(c);
  if (!owner) return `missing-owner:${c.id}`;
  if (owner.networkMode.kind === 'host') return JSON.stringify(['hostns', c.running, owner.running]);
  const own = ownAddresses(owner);
  const ns = owner.netns;
  const eps = owner.endpoints
    .map((e) => [e.networkId, e.networkName, atoms.signature(e.ipv4?.address), atoms.signature(e.ipv6?.address), e.gateway, e.ipv6Gateway, e.ipv4 ? e.ipv4.prefixLength : null, e.ipv6 ? e.ipv6.prefixLength : null])
    .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
  const routes = ns.value?.routes.map((r) => [r.family, r.table, r.type, self(own, r.dst), r.dev, r.gateway, self(own, r.prefsrc), r.metric, r.mtu]) ?? null;
  const ifaces = ns.value?.interfaces.map((i) => [i.name, i.mtu, i.operState, i.addresses.map((a) => `${self(own, a.address)}/${a.prefixLength}`).sort()]) ?? null;
  const listeners = port === null ? null : (ns.value?.listeners.filter((l) => l.port === port && l.protocol === proto).map((l) => listenerNorm(l, own)).sort() ?? null);
  return JSON.stringify([owner.networkMode.kind, c.running, owner.running, owner.state, ns.status, eps, routes, ifaces, listeners, owner.networkMode.kind === 'network' ? owner.networkMode.network : null]);
}

function nsIdentity(state: NetworkState, c: Container): string {
  const owner = viewOf(state).namespaceOwner(c);
  if (!owner) return `missing:${c.id}`;
  return owner.networkMode.kind === 'host' ? 'host' : owner.id;
}

// ---------------------------------------------------------------------------------------------

export function analyzeMatrix(state: NetworkState, req: MatrixRequest = {}, opts: { exhaustive?: boolean } = {}): MatrixResult {
  const view = viewOf(state);
  const port = req.port === undefined || req.port === null ? null : checkPort(req.port);
  const protocol = port === null ? 'icmp' : (req.protocol ?? 'tcp');
  let net: { id: string; name: string } | null = null;
  if (req.network) {
    const n = view.resolveNetwork(req.network);
    net = { id: n.id, name: n.name };
  }
  const skipped: MatrixResult['skipped'] = [];
  const members: Container[] = [];
  for (const c of [...state.containers].sort((a, b) => bare(a.name).localeCompare(bare(b.name)))) {
    const owner = view.namespaceOwner(c) ?? c;
    if (net && !owner.endpoints.some((e) => e.networkId === net!.id || e.networkName === net!.name)) continue;
    if (!c.running) {
      skipped.push({ name: bare(c.name), reason: `${c.state}, not running` });
      continue;
    }
    members.push(c);
  }
  const atoms = opts.exhaustive ? null : buildAtoms(state, protocol, port);
  const classes = (idx: AtomIndex | null) => {
    const of = new Map<Container, number>();
    const keys = new Map<string, number>();
    for (const c of members) {
      const k = idx ? classKey(state, c, idx, port, protocol) : c.id;
      let id = keys.get(k);
      if (id === undefined) keys.set(k, (id = keys.size));
      of.set(c, id);
    }
    return { of, n: keys.size };
  };
  const fromClasses = classes(atoms?.from ?? null);
  const toClasses = classes(atoms?.to ?? null);
  // Plain arrays in the pair loop: it runs N² times.
  const n = members.length;
  const names = members.map((c) => bare(c.name));
  const fromId = Int32Array.from(members, (c) => fromClasses.of.get(c)!);
  const toId = Int32Array.from(members, (c) => toClasses.of.get(c)!);
  const nsNames = new Map<string, number>();
  const nsId = Int32Array.from(members, (c) => {
    const k = nsIdentity(state, c);
    let v = nsNames.get(k);
    if (v === undefined) nsNames.set(k, (v = nsNames.size));
    return v;
  });
  const K = toClasses.n;
  const slot = new Int32Array(fromClasses.n * K * 2).fill(-1);
  const outcomes: Array<{ outcome: ReachOutcome; verdict: ReachVerdict; listening: Listening; code: string | null; cause: string | null }> = [];
  let walks = 0;
  const cells: MatrixCell[] = new Array(n * (n - 1));
  const counts = { pairs: 0, reachable: 0, blocked: 0, unknown: 0 };
  const byOutcome: Record<ReachOutcome, number> = { OPEN: 0, REFUSED: 0, BLOCKED: 0, UNKNOWN: 0 };
  let at = 0;
  for (let i = 0; i < n; i++) {
    const fi = fromId[i]! * K;
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const key = (fi + toId[j]!) * 2 + (nsId[i] === nsId[j] ? 1 : 0);
      let o = slot[key]!;
      if (o < 0) {
        walks++;
        const r = analyzeReach(view, { from: containerSubject(members[i]!), to: containerSubject(members[j]!), port, protocol }, { lean: true });
        o = outcomes.push({ outcome: r.outcome, verdict: r.verdict, listening: r.listening, code: r.blocking[0]?.code ?? (r.verdict === 'unknown' ? (r.reasons[0]?.code ?? null) : null), cause: r.cause?.code ?? null }) - 1;
        slot[key] = o;
      }
      const v = outcomes[o]!;
      counts[v.verdict]++;
      byOutcome[v.outcome]++;
      cells[at++] = { from: names[i]!, to: names[j]!, port, protocol, outcome: v.outcome, verdict: v.verdict, listening: v.listening, code: v.code, cause: v.cause };
    }
  }
  counts.pairs = at;
  return {
    network: net?.name ?? null,
    port,
    protocol,
    containers: members.map((c) => bare(c.name)),
    skipped,
    cells,
    counts,
    outcomes: byOutcome,
    stats: { classes: Math.max(fromClasses.n, toClasses.n), fromClasses: fromClasses.n, toClasses: toClasses.n, walks },
  };
}
