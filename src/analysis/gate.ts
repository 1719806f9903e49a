// Evaluates a gate policy (src/model/policy.ts, read by src/sources/policy.ts) against a state: each expectation passes, fails,
// or is unknown (the evidence to decide it is missing — a gate never guesses a pass). Reach
// verdicts come from analyzeReach, DNS from the DNS predictor, conflicts and exposures from the
// port analysis, findings from `allFindings`. Pure: no I/O.
//
// `allFindings` is the doctor catalog's findings, for `gate` (`no-findings`) and `snapshot diff`.

import { InputError, NetsleuthError } from '../model/errors.js';
import { atLeast, type Finding } from '../model/finding.js';
import type { DnsExpectation, Expectation, ExposedExpectation, NoConflictsExpectation, NoFindingsExpectation, Policy, ReachExpectation, Selector } from '../model/policy.js';
import type { Container, NetworkState } from '../model/types.js';
import { containerName, SubjectError, suggest, viewOf, type StateView, type Subject } from '../model/view.js';
import type { ReachResult } from './reach/types.js';
import { predictResolution } from './dns/index.js';
import { analyzePorts, type PortsResult } from './ports.js';
import { canonical, formatHostPort, isLoopback, isWildcard } from './ports-addr.js';
import { analyzeReach, expectationMet } from './reach.js';
import { runDoctor } from './doctor/registry.js';

export function allFindings(state: NetworkState): Finding[] {
  // The doctor catalog: every registered check, with evidence-missing notes.
  return runDoctor(state).findings;
}

export type GateStatus = 'pass' | 'fail' | 'unknown';

export interface GateResult {
  kind: Expectation['kind'];
  /** Line of the expectation in the policy file. */
  line: number;
  /** The policy's `label:` for it, if any. */
  label: string | null;
  /** The expectation in one line, e.g. `reach web → db 5432/tcp: reachable`. */
  expectation: string;
  status: GateStatus;
  /** Why it passed, failed or could not be decided. */
  message: string;
  /** The facts behind the status: reach hops that block, conflicting claimants, findings, answers, bindings. */
  evidence: string[];
  /** A reach over a service/network selector: what it expanded to and how its pairs fared; null otherwise. */
  pairs: PairCounts | null;
}

export interface PairCounts {
  /** The containers FROM and TO expanded to (a plain subject: its text). */
  from: string[];
  to: string[];
  total: number;
  pass: number;
  fail: number;
  unknown: number;
}

export interface GateReport {
  passed: boolean;
  counts: Record<GateStatus, number>;
  results: GateResult[];
}

interface Ctx {
  state: NetworkState;
  ports?: PortsResult;
  findings?: Finding[];
}

const portsOf = (cx: Ctx) => (cx.ports ??= analyzePorts(cx.state));
const findingsOf = (cx: Ctx) => (cx.findings ??= allFindings(cx.state));

function describe(e: Expectation): string {
  switch (e.kind) {
    case 'reach':
      return `reach ${e.from.text} → ${e.to.text}${e.port !== null ? ` ${e.port}/${e.protocol}` : ' (icmp)'}: ${e.expect}`;
    case 'no-conflicts':
      return `no-conflicts${e.ports ? ` on ${e.ports.join(', ')}` : ''}`;
    case 'no-findings':
      return `no-findings${e.codes ? ` ${e.codes.join(', ')}` : ''} at or above ${e.severity}`;
    case 'dns':
      return `dns ${e.name} ${e.type} from ${e.from}: ${e.resolvesTo ? `resolves to ${e.resolvesTo.join(', ')}` : e.resolves ? 'resolves' : 'does not resolve'}`;
    case 'exposed':
      return `exposed only ${e.allow.length ? e.allow.map((a) => a.text).join(', ') : '(nothing)'}${e.ignoreLoopback ? ' (loopback ignored)' : ''}`;
  }
}

type Outcome = Pick<GateResult, 'status' | 'message' | 'evidence'> & { pairs?: PairCounts };

const lc = (s: string) => s.toLowerCase();

/**
 * The containers a selector names: every running container of a Compose service (by its labels)
 * or attached to a network (named through the view). A plain subject stays text, resolved by
 * analyzeReach like `reach` does (TO from each FROM). Matching nothing running is an error with
 * the reason — an assertion over nobody must not pass.
 */
export function expandSelector(view: StateView, sel: Selector): { members: Array<Container | string> } | { error: string } {
  if (sel.kind === 'subject') return { members: [sel.text] };
  let all: Container[];
  let what: string;
  if (sel.kind === 'service') {
    const name = sel.project ? `${sel.project}/${sel.service}` : sel.service;
    what = `Compose service ${name}`;
    all = view.containers.filter((c) => c.compose && lc(c.compose.service) === lc(sel.service) && (sel.project === null || lc(c.compose.project) === lc(sel.project)));
    if (!all.length) {
      const known = new Set<string>();
      for (const c of view.containers) if (c.compose) known.add(sel.project ? `${c.compose.project}/${c.compose.service}` : c.compose.service);
      const hints = suggest(name, known);
      return { error: `${sel.text}: no container of Compose service "${name}" in this state${hints.length ? ` (did you mean ${hints.map((h) => `"${h}"`).join(' or ')}?)` : ''}` };
    }
    const projects = [...new Set(all.map((c) => c.compose!.project))].sort();
    if (sel.project === null && projects.length > 1) return { error: `${sel.text}: Compose service "${sel.service}" is in ${projects.length} projects (${projects.join(', ')}); write PROJECT/${sel.service}` };
  } else {
    let net;
    try {
      net = view.resolveNetwork(sel.network);
    } catch (err) {
      if (err instanceof SubjectError) return { error: `${sel.text}: ${err.message}` };
      throw err;
    }
    what = `network ${net.name}`;
    all = view.containers.filter((c) => c.endpoints.some((ep) => view.networkOf(ep) === net));
    if (!all.length) return { error: `${sel.text}: no container is attached to network ${net.name}` };
  }
  const running = all.filter((c) => c.running);
  if (!running.length) return { error: `${sel.text}: none of the ${all.length} container(s) of ${what} is running (${all.map((c) => `${containerName(c)} ${c.state}`).join(', ')})` };
  return { members: running };
}

export interface PairResult {
  from: string;
  to: string;
  /** null when the pair could not be asked (TO does not resolve from this FROM). */
  result: ReachResult | null;
  error: string | null;
}

export type ReachPairs = { error: string } | { from: string[]; to: string[]; pairs: PairResult[] };

const subjectOf = (m: Container | string): string | Subject => (typeof m === 'string' ? m : { kind: 'container', label: containerName(m), container: m, matchedBy: 'service' });
const labelOf = (m: Container | string): string => (typeof m === 'string' ? m : containerName(m));

/** Every FROM × TO pair of a reach over selectors, each with its verdict (a container and itself is no pair). */
export function reachPairs(view: StateView, q: { from: Selector; to: Selector; port: number | null; protocol: ReachExpectation['protocol'] }): ReachPairs {
  const from = expandSelector(view, q.from);
  if ('error' in from) return { error: `reach.from ${from.error}` };
  const to = expandSelector(view, q.to);
  if ('error' in to) return { error: `reach.to ${to.error}` };
  const pairs: PairResult[] = [];
  for (const f of from.members) {
    for (const t of to.members) {
      if (typeof f !== 'string' && f === t) continue;
      const p: PairResult = { from: labelOf(f), to: labelOf(t), result: null, error: null };
      try {
        p.result = analyzeReach(view, { from: subjectOf(f), to: subjectOf(t), port: q.port, protocol: q.protocol }, { lean: true });
      } catch (err) {
        if (!(err instanceof NetsleuthError)) throw err;
        p.error = err.message;
      }
      pairs.push(p);
    }
  }
  if (!pairs.length) return { error: `${q.from.text} → ${q.to.text} expands to no pair: both sides are only ${from.members.map(labelOf).join(', ')}` };
  return { from: from.members.map(labelOf), to: to.members.map(labelOf), pairs };
}

/** Whether every pair meets `expect`: pass only if all pass; a failing pair fails it, else an unknown one makes it unknown. */
export function judgePairs(rp: ReachPairs, expect: ReachExpectation['expect']): Outcome {
  if ('error' in rp) return { status: 'fail', message: rp.error, evidence: [] };
  const counts: PairCounts = { from: rp.from, to: rp.to, total: rp.pairs.length, pass: 0, fail: 0, unknown: 0 };
  const bad: string[] = [];
  for (const p of rp.pairs) {
    let status: GateStatus;
    let why: string;
    if (!p.result) [status, why] = ['fail', p.error ?? 'not asked'];
    else {
      const unmet = expectationMet(p.result, expect);
      status = unmet === null ? 'pass' : p.result.verdict === 'unknown' ? 'unknown' : 'fail';
      why = unmet ?? '';
    }
    counts[status]++;
    // expectationMet's sentence names the pair already.
    if (status !== 'pass') bad.push(`${status === 'fail' ? 'FAIL' : 'UNKNOWN'} ${p.result ? why : `${p.from} → ${p.to}: ${why}`}`);
  }
  const size = `${counts.total} pair(s) (${rp.from.length} from × ${rp.to.length} to)`;
  const evidence = [`from ${rp.from.join(', ')}`, `to ${rp.to.join(', ')}`, ...bad];
  if (counts.fail) return { status: 'fail', message: `${counts.fail} of ${size} not ${expect}${counts.unknown ? `, ${counts.unknown} unknown` : ''}`, evidence, pairs: counts };
  if (counts.unknown) return { status: 'unknown', message: `${counts.unknown} of ${size} cannot be decided`, evidence, pairs: counts };
  return { status: 'pass', message: `all ${size} ${expect}`, evidence, pairs: counts };
}

function checkReach(cx: Ctx, e: ReachExpectation): Outcome {
  if (e.from.kind !== 'subject' || e.to.kind !== 'subject') return judgePairs(reachPairs(viewOf(cx.state), e), e.expect);
  let r;
  try {
    r = analyzeReach(cx.state, { from: e.from.text, to: e.to.text, port: e.port, protocol: e.protocol });
  } catch (err) {
    // An unknown container is a fact about this state (it is gone, or renamed), not a policy error.
    if (err instanceof NetsleuthError) return { status: 'fail', message: err.message, evidence: [] };
    throw err;
  }
  const evidence = [
    `verdict ${r.verdict}, listening ${String(r.listening)}`,
    ...r.blocking.map((b) => `${b.first ? 'first block' : 'also blocks'}: ${b.stage} at ${b.where}: ${b.code} ${b.message}`),
    ...r.reasons.filter((x) => !r.blocking.some((b) => b.code === x.code)).map((x) => `${x.code}: ${x.message}`),
  ];
  const unmet = expectationMet(r, e.expect);
  if (unmet === null) return { status: 'pass', message: `${r.verdict}${e.expect === 'reachable' && r.listening === true ? ', and something listens' : ''}`, evidence };
  // Undecided evidence is not a failure of the network, but the gate cannot vouch for it either.
  if (r.verdict === 'unknown') return { status: 'unknown', message: unmet, evidence };
  return { status: 'fail', message: unmet, evidence };
}

function checkNoConflicts(cx: Ctx, e: NoConflictsExpectation): Outcome {
  const all = portsOf(cx).conflicts;
  const hits = e.ports ? all.filter((c) => e.ports!.some((p) => p >= c.hostPort && p <= (c.hostPortEnd ?? c.hostPort))) : all;
  const evidence = hits.map((c) => `${formatHostPort(c.hostIp, c.hostPort, c.hostPortEnd)}/${c.protocol}: ${c.claimants.map((x) => `${x.name} on ${formatHostPort(x.hostIp, x.hostPort, x.hostPortEnd)} (${x.kind}${x.active ? '' : `, ${x.state}`})`).join(' vs ')}`);
  if (hits.length) return { status: 'fail', message: `${hits.length} host-port conflict(s)`, evidence };
  // Claims the state cannot show: host processes (listeners not captured) and swarm ingress ports.
  const missing = [
    ...cx.state.hosts.filter((h) => !h.listeners.value).map((h) => `host ${h.name}: listening sockets not captured (${h.listeners.reason ?? 'unavailable'}); a host process could hold a port`),
    ...cx.state.hosts.filter((h) => h.daemon.value?.swarm?.state === 'active').map((h) => `host ${h.name}: swarm node; ingress-published service ports are not in the state`),
  ];
  if (missing.length) return { status: 'unknown', message: 'no conflict among what was captured, but some claims could not be checked', evidence: missing };
  return { status: 'pass', message: 'no host-port conflicts', evidence: [] };
}

function checkNoFindings(cx: Ctx, e: NoFindingsExpectation): Outcome {
  const hits = findingsOf(cx).filter((f) => atLeast(f.severity, e.severity) && (!e.codes || e.codes.includes(f.code)));
  const evidence = hits.map((f) => `${f.code} (${f.severity}): ${f.title}`);
  if (hits.length) return { status: 'fail', message: `${hits.length} finding(s): ${[...new Set(hits.map((f) => f.code))].join(', ')}`, evidence };
  return { status: 'pass', message: 'no such findings', evidence: [] };
}

function checkDns(cx: Ctx, e: DnsExpectation): Outcome {
  let p;
  try {
    p = predictResolution(cx.state, { from: e.from, name: e.name, type: e.type });
  } catch (err) {
    // An unknown --from (SubjectError) or a question the predictor cannot ask: the expectation fails.
    if (err instanceof InputError) return { status: 'fail', message: err.message, evidence: [] };
    throw err;
  }
  const addrs = [...new Set(p.answers.filter((a) => a.type === e.type).map((a) => canonical(a.data)))].sort();
  const evidence = [
    `verdict ${p.verdict} (${p.certainty})${addrs.length ? `: ${addrs.join(', ')}` : ''}`,
    ...p.steps.map((s) => `step ${s.index}: ${s.kind} ${s.server} ${s.name} → ${s.outcome}${s.answers.length ? ` ${s.answers.join(', ')}` : ''}`),
    ...p.missing.map((m) => `missing: ${m}`),
  ];
  if (p.verdict === 'unknown' || p.certainty === 'unknown') return { status: 'unknown', message: `the answer cannot be predicted from this state${p.missing.length ? ` (missing: ${p.missing.join(', ')})` : ''}`, evidence };
  const resolved = p.verdict === 'resolved' && addrs.length > 0;
  if (e.resolvesTo) {
    const want = [...new Set(e.resolvesTo.map(canonical))].sort();
    if (!resolved) return { status: p.verdict === 'servfail' || p.verdict === 'timeout' ? 'unknown' : 'fail', message: `does not resolve (${p.verdict})`, evidence };
    if (JSON.stringify(want) === JSON.stringify(addrs)) return { status: 'pass', message: `resolves to ${addrs.join(', ')}`, evidence };
    return { status: 'fail', message: `resolves to ${addrs.join(', ')}, expected ${want.join(', ')}`, evidence };
  }
  if (e.resolves) return resolved ? { status: 'pass', message: `resolves to ${addrs.join(', ')}`, evidence } : { status: p.verdict === 'nxdomain' ? 'fail' : 'unknown', message: `does not resolve (${p.verdict})`, evidence };
  if (resolved) return { status: 'fail', message: `resolves to ${addrs.join(', ')}`, evidence };
  if (p.verdict === 'nxdomain' || p.verdict === 'resolved') return { status: 'pass', message: p.verdict === 'nxdomain' ? 'NXDOMAIN' : `no ${e.type} records`, evidence };
  return { status: 'unknown', message: `the lookup ends in ${p.verdict}, so whether the name exists is not known`, evidence };
}

function checkExposed(cx: Ctx, e: ExposedExpectation): Outcome {
  const bad: string[] = [];
  let count = 0;
  for (const c of cx.state.containers) {
    // What is published now, and what a stopped container would publish when started.
    const list = c.running ? c.publishedPorts : c.portBindings;
    for (const b of list) {
      const ip = canonical(b.hostIp);
      if (e.ignoreLoopback && isLoopback(ip)) continue;
      count++;
      const lo = b.hostPort;
      const hi = b.hostPortEnd ?? b.hostPort;
      const where = `${formatHostPort(ip, lo, hi)}/${b.protocol} → ${c.name}:${b.containerPort}${c.running ? '' : ` (${c.state}; published when started)`}`;
      if (lo === null || hi === null) {
        bad.push(`${where}: Docker picks the host port when the container starts, so it cannot be checked against the allow list`);
        continue;
      }
      const ok = e.allow.some(
        (a) => (a.protocol === null || a.protocol === b.protocol) && lo >= a.port && hi <= a.portEnd && (a.hostIp === null || isWildcard(canonical(a.hostIp)) || canonical(a.hostIp) === ip),
      );
      if (!ok) bad.push(where);
    }
  }
  if (bad.length) return { status: 'fail', message: `${bad.length} binding(s) not in the allow list`, evidence: bad };
  return { status: 'pass', message: `${count} published binding(s), all allowed`, evidence: [] };
}

export function evaluatePolicy(state: NetworkState, policy: Policy): GateReport {
  const cx: Ctx = { state };
  const results: GateResult[] = policy.expectations.map((e) => {
    let o: Outcome;
    switch (e.kind) {
      case 'reach':
        o = checkReach(cx, e);
        break;
      case 'no-conflicts':
        o = checkNoConflicts(cx, e);
        break;
      case 'no-findings':
        o = checkNoFindings(cx, e);
        break;
      case 'dns':
        o = checkDns(cx, e);
        break;
      case 'exposed':
        o = checkExposed(cx, e);
        break;
    }
    const { pairs, ...rest } = o;
    return { kind: e.kind, line: e.line, label: e.label, expectation: describe(e), ...rest, pairs: pairs ?? null };
  });
  const counts: Record<GateStatus, number> = { pass: 0, fail: 0, unknown: 0 };
  for (const r of results) counts[r.status]++;
  return { passed: counts.fail === 0 && counts.unknown === 0, counts, results };
}
