// `netsleuth gate init`: a policy that passes on the state it was generated from, as goss's
// autoadd does — the reach outcomes that hold now, the published ports, and no-conflicts /
// no-findings when they hold. Grouped to stay reviewable: subjects are Compose services and
// networks (container names only for containers outside Compose), an intra-network mesh with one
// outcome is one expectation, and what is left out is said, not silently dropped. Every proposed
// expectation is evaluated with the gate itself before it is kept. Pure: no I/O; the YAML is
// src/report/gate-policy.ts. docs/gate.md, "gate init".

import { SELECTOR_NAME, type Expectation, type ExposedExpectation, type ReachExpectation, type Selector } from '../model/policy.js';
import type { Container, Network, NetworkState } from '../model/types.js';
import { containerName, viewOf, type StateView } from '../model/view.js';
import { evaluatePolicy, judgePairs, reachPairs } from './gate.js';
import { formatHostPort, isWildcard } from './ports-addr.js';

/** At most this many reach expectations; the rest is counted in `leftOut`. */
export const MAX_REACH = 80;
/** At most this many ports of a target are checked (lowest first). */
export const MAX_PORTS = 4;
/** At most this many container pairs are analysed (a 100-container network alone is 9,900). */
export const MAX_WORK = 2000;

export interface ProposeOptions {
  /** Defaults MAX_REACH and MAX_WORK. */
  maxReach?: number;
  maxWork?: number;
}

export interface ProposedItem {
  expectation: Expectation;
  /** One line for the reviewer, e.g. which containers a selector stands for today. */
  comment: string | null;
}

export interface PolicyProposal {
  items: ProposedItem[];
  /** What was not turned into an expectation, and why (one line each). */
  leftOut: string[];
}

/** Who a group stands for: a Compose service, or a container outside Compose. */
interface Group {
  selector: Selector;
  members: Container[];
  /** Networks (not host/none) its members are attached to, through their namespace owner. */
  networks: Set<Network>;
}

const base = { line: 0, label: null };

function networksOf(view: StateView, c: Container): Set<Network> {
  const owner = view.namespaceOwner(c) ?? c;
  const out = new Set<Network>();
  for (const ep of owner.endpoints) {
    const n = view.networkOf(ep);
    if (n && n.driver !== 'host' && n.driver !== 'null') out.add(n);
  }
  return out;
}

function groupsOf(view: StateView): Group[] {
  const byService = new Map<string, Group>();
  const out: Group[] = [];
  for (const c of view.containers) {
    if (!c.running) continue;
    let g: Group | undefined;
    // A Compose label a selector cannot spell (labels are free text) is named by its container.
    if (c.compose && SELECTOR_NAME.test(c.compose.project) && SELECTOR_NAME.test(c.compose.service)) {
      const key = `${c.compose.project}/${c.compose.service}`;
      g = byService.get(key);
      if (!g) {
        g = { selector: { kind: 'service', project: c.compose.project, service: c.compose.service, text: `service:${key}` }, members: [], networks: new Set() };
        byService.set(key, g);
        out.push(g);
      }
    } else {
      g = { selector: { kind: 'subject', text: containerName(c) }, members: [], networks: new Set() };
      out.push(g);
    }
    g.members.push(c);
    for (const n of networksOf(view, c)) g.networks.add(n);
  }
  return out;
}

/** Ports worth asking about on a group: image EXPOSE, published container ports, captured listeners (not loopback). */
function portsOf(g: Group): Array<{ port: number; protocol: 'tcp' | 'udp' }> {
  const seen = new Map<string, { port: number; protocol: 'tcp' | 'udp' }>();
  const add = (port: number, protocol: string) => {
    if (protocol === 'tcp' || protocol === 'udp') seen.set(`${port}/${protocol}`, { port, protocol });
  };
  for (const c of g.members) {
    for (const p of c.exposedPorts) add(p.port, p.protocol);
    for (const b of [...c.portBindings, ...c.publishedPorts]) add(b.containerPort, b.protocol);
    for (const l of c.netns.value?.listeners ?? []) if (!/^(127\.|::1$)/.test(l.address)) add(l.port, l.protocol);
  }
  return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

const memberList = (cs: Container[]) => cs.map(containerName).join(', ');

export function proposePolicy(state: NetworkState, opts: ProposeOptions = {}): PolicyProposal {
  const view = viewOf(state);
  const maxReach = opts.maxReach ?? MAX_REACH;
  const maxWork = opts.maxWork ?? MAX_WORK;
  const items: ProposedItem[] = [];
  const leftOut: string[] = [];
  const reach: ProposedItem[] = [];
  let undecided = 0;
  let isolated = 0;

  /** Tries `reachable`, then `blocked` (when allowed); the outcome that holds for every pair, or null. */
  let work = 0;
  let skipped = 0;
  const decide = (from: Selector, to: Selector, port: { port: number; protocol: 'tcp' | 'udp' } | null, blockedOk: boolean, size: number): ReachExpectation['expect'] | 'skipped' | null => {
    if (reach.length >= maxReach || work + size > maxWork) {
      skipped++;
      return 'skipped';
    }
    work += size;
    const rp = reachPairs(view, { from, to, port: port?.port ?? null, protocol: port?.protocol ?? 'icmp' });
    if ('error' in rp) return null;
    if (judgePairs(rp, 'reachable').status === 'pass') return 'reachable';
    if (blockedOk && judgePairs(rp, 'blocked').status === 'pass') return 'blocked';
    return null;
  };
  const push = (from: Selector, to: Selector, port: { port: number; protocol: 'tcp' | 'udp' } | null, expect: ReachExpectation['expect'], comment: string | null) => {
    const e: ReachExpectation = { ...base, kind: 'reach', from, to, port: port?.port ?? null, protocol: port?.protocol ?? 'icmp', expect };
    // One comment per FROM → TO: on its first expectation.
    const prev = reach[reach.length - 1]?.expectation as ReachExpectation | undefined;
    reach.push({ expectation: e, comment: prev && prev.from === from && prev.to === to ? null : comment });
  };

  // Containers in the host's namespace (network_mode: host) reach and are reached like the host
  // itself: listing every pair with them would drown the policy.
  const all0 = groupsOf(view);
  const inHost = all0.filter((g) => g.members.every((c) => view.netnsOf(c)?.kind === 'host'));
  const groups = all0.filter((g) => !inHost.includes(g));
  if (inHost.length) leftOut.push(`containers in the host's network namespace (${inHost.map((g) => g.selector.text).join(', ')}): they answer like the host itself, so pairs with them are not listed`);
  // 1. Each network's mesh (ICMP), when every pair on it has one outcome: one expectation.
  const uniform = new Map<Network, ReachExpectation['expect']>();
  for (const n of state.networks) {
    if (n.driver === 'host' || n.driver === 'null') continue;
    const on = view.containers.filter((c) => c.running && c.endpoints.some((ep) => view.networkOf(ep) === n));
    if (on.length < 2) continue;
    const sel: Selector = { kind: 'network', network: n.name, text: `network:${n.name}` };
    const outcome = decide(sel, sel, null, true, on.length * (on.length - 1));
    if (outcome === 'skipped') continue;
    if (outcome) {
      uniform.set(n, outcome);
      push(sel, sel, null, outcome, `every pair on ${n.name} (${memberList(on)})`);
    } else leftOut.push(`network ${n.name}: its containers do not all have one ping outcome; the service pairs below say which hold`);
  }

  // 2. Group pairs: ping where no uniform network mesh covers it, then the target's ports.
  let notExamined = 0;
  for (const a of groups) {
    for (const b of groups) {
      if (a === b) continue;
      if (reach.length >= maxReach || work >= maxWork) {
        notExamined++;
        continue;
      }
      const shared = [...a.networks].filter((n) => b.networks.has(n));
      // A network mesh kept above already says how ping goes between them.
      const covered = shared.some((n) => uniform.get(n) === 'reachable') ? 'reachable' : shared.length && shared.every((n) => uniform.get(n) === 'blocked') ? 'blocked' : null;
      const comment = `${memberList(a.members)} → ${memberList(b.members)}`;
      const size = a.members.length * b.members.length;
      const asked = covered ?? decide(a.selector, b.selector, null, shared.length > 0, size);
      const ping = asked === 'skipped' ? null : asked;
      if (!covered && asked !== 'skipped') {
        if (ping) push(a.selector, b.selector, null, ping, comment);
        else if (!shared.length) isolated++;
        else undecided++;
      }
      if (!shared.length) continue; // no common network: ports add nothing to the ping above
      const ports = portsOf(b);
      if (ports.length > MAX_PORTS) leftOut.push(`${a.selector.text} → ${b.selector.text}: ports ${ports.slice(MAX_PORTS).map((p) => `${p.port}/${p.protocol}`).join(', ')} (only the lowest ${MAX_PORTS} are checked)`);
      for (const p of ports.slice(0, MAX_PORTS)) {
        // A port blocked while ping is blocked too says nothing new.
        const outcome = decide(a.selector, b.selector, p, ping === 'reachable', size);
        if (outcome === 'skipped') continue;
        if (outcome) push(a.selector, b.selector, p, outcome, comment);
        else undecided++;
      }
    }
  }
  items.push(...reach);
  if (isolated) leftOut.push(`${isolated} pair(s) of services/containers that share no network and cannot reach each other (\`netsleuth matrix\` lists them)`);
  if (undecided) leftOut.push(`${undecided} reach check(s) that are neither reachable nor blocked for every container today (nothing listens, some replicas differ, or the evidence is missing)`);
  if (notExamined) leftOut.push(`${notExamined} of ${groups.length * (groups.length - 1)} ordered service/container pairs not examined: the policy holds ${maxReach} reach expectations at most, and analyses ${maxWork} container pairs at most`);
  if (skipped) leftOut.push(`${skipped} reach check(s) not made: over the limits (${maxReach} reach expectations, ${maxWork} container pairs analysed)`);
  if (groups.length === 0) leftOut.push('no running container: no reach expectations');

  // 3. Published ports: what is exposed today is what is allowed.
  const allow = new Map<string, ExposedExpectation['allow'][number]>();
  for (const c of state.containers) {
    for (const b of c.running ? c.publishedPorts : c.portBindings) {
      if (b.hostPort === null) continue; // Docker picks it at start: the gate cannot vouch for it (it fails below)
      const ip = isWildcard(b.hostIp) ? null : b.hostIp;
      const text = `${ip ? formatHostPort(ip, b.hostPort, b.hostPortEnd) : `${b.hostPort}${b.hostPortEnd && b.hostPortEnd !== b.hostPort ? `-${b.hostPortEnd}` : ''}`}/${b.protocol}`;
      allow.set(text, { hostIp: ip, port: b.hostPort, portEnd: b.hostPortEnd ?? b.hostPort, protocol: b.protocol, text });
    }
  }
  const candidates: ProposedItem[] = [
    { expectation: { ...base, kind: 'exposed', allow: [...allow.values()], ignoreLoopback: false }, comment: 'every host port published today (running containers) or configured (stopped ones)' },
    { expectation: { ...base, kind: 'no-conflicts', ports: null }, comment: null },
    { expectation: { ...base, kind: 'no-findings', codes: null, severity: 'error' }, comment: null },
  ];

  // 4. Keep only what passes today: the gate itself decides.
  const all = [...items, ...candidates];
  const report = evaluatePolicy(state, { file: '(generated)', expectations: all.map((i) => i.expectation) });
  const kept: ProposedItem[] = [];
  report.results.forEach((r, i) => {
    if (r.status === 'pass') kept.push(all[i]!);
    else leftOut.push(`${r.expectation}: ${r.status} today (${r.message})`);
  });
  return { items: kept, leftOut };
}
