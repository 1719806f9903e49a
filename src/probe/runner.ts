// The probe runner: sends real probes from inside a source's network namespace and reports them
// in one shape whatever ran them. It schedules and chooses; the methods themselves live in
// src/probe/methods/ (nsenter: netsleuth's own agent; sidecar: a short-lived probe container;
// exec: the source container's own tools). Unless one is forced, the first method that can run a
// probe runs it, in the order nsenter, sidecar, exec; each result lists the methods skipped.
//
// Batching: every method runs ALL of one source's probes in one process (one agent, one sidecar
// or one exec), concurrently inside it; sources run `concurrency` at a time, each batch charged
// against the neighbour-table budget (src/probe/neighbours.ts), all within an overall deadline.
// Safety: a target address must be owned by something in the model (src/analysis/probe-scope.ts)
// unless allowExternal; nothing else on the daemon or host is changed.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { viewOf } from '../model/view.js';
import { probeScopeRefusal } from '../analysis/probe-scope.js';
import type { Container, NetworkState } from '../model/types.js';
import { NeighbourBudget, NeighbourLedger, hostNeighbourTables, neighbourEntries, type NeighbourBudgetOptions, type NeighbourStats, type NeighbourTables } from './neighbours.js';
import { oneLine, type MethodContext, type MethodDriver, type PreparedMethod, type SourceInfo } from './methods/common.js';
import { execDriver } from './methods/exec.js';
import { nsenterDriver } from './methods/nsenter.js';
import { sidecarDriver, sweepSidecars } from './methods/sidecar.js';
import { PROBE_METHODS, type AgentResult, type AgentTarget, type DnsProbeRecord, type ProbeKind, type ProbeMethod, type ProbeResultCode } from './types.js';

export type { DnsProbeRecord, ProbeKind, ProbeMethod, ProbeResultCode } from './types.js';

export const DEFAULT_TIMEOUT_MS = 2_000;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_PER_SOURCE_CONCURRENCY = 64;
/** Time to start a batch (an agent process, a sidecar container), on top of the probes' own time. */
const START_OVERHEAD_MS = 8_000;

/** Where a probe is sent from: a container of the model, or the Docker host's own namespace. */
export type ProbeFrom = Container | 'host';

export interface ProbePair {
  from: ProbeFrom;
  kind: ProbeKind;
  /** The peer; for dns the DNS server to ask (127.0.0.11 for Docker's embedded DNS). */
  address: string;
  /** tcp/udp/http/dns (dns: default 53). */
  port?: number;
  /** dns: the name to ask, and the question type (src/dns/types.ts QUERY_TYPES; default A). */
  name?: string;
  qtype?: string;
  /** http: request path (default /), TLS, and the name to present. */
  path?: string;
  tls?: boolean;
  serverName?: string;
  /** udp: payload as hex (default: an empty datagram). */
  payloadHex?: string;
}

export interface MethodSkip {
  method: ProbeMethod;
  reason: string;
}

/** One probe's outcome. `reach --json`'s probe is the {method, result, latencyMs} subset (docs/reach.md). */
export interface ProbeOutcome {
  /** The method that ran the probe; null when none could (see skipped and detail). */
  method: ProbeMethod | null;
  kind: ProbeKind;
  /** The source container's name as given (its namespace may be another container's), or "host". */
  from: string;
  /** dns adds the question: name and qtype. */
  target: { address: string; port: number | null; name?: string; qtype?: string };
  result: ProbeResultCode;
  latencyMs: number | null;
  /** One line for humans: what the result means here, or why the probe did not run. */
  detail: string | null;
  errno: string | null;
  /** http: the status code. */
  status?: number;
  /** dns, answered: the response code (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...). */
  rcode?: string;
  /** dns, answered: the answer data in order (addresses, names, ...). */
  answers?: string[];
  /** dns, answered: the answers as records {name, type, data}. */
  records?: DnsProbeRecord[];
  /** Methods tried before `method` (or all of them) and why each was not used. */
  skipped: MethodSkip[];
  /** Set when the probe was not sent at all, and why: scope (safety), deadline, aborted, no-method. */
  notSent?: 'scope' | 'deadline' | 'aborted' | 'no-method';
  /**
   * Set on a timeout/unreachable/no-answer when the kernel's neighbour table overflowed during
   * the run (local daemon only): the packet may have been dropped by this host, not by the path.
   */
  suspect?: 'neighbour-table-overflow';
}

export interface ProbeProgress {
  done: number;
  total: number;
  /** The source whose batch just finished. */
  source: string | null;
}

export interface ProbeManyOptions {
  /** Per-probe timeout (default 2000 ms). */
  timeoutMs?: number;
  /** Sources probed at the same time (default 4). */
  concurrency?: number;
  /** Probes in flight inside one source's batch (default 64). */
  perSourceConcurrency?: number;
  /** Overall bound: probes not finished this long after the start are reported as error `deadline`. */
  deadlineMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: ProbeProgress) => void;
  /**
   * Neighbour-table budgeting (src/probe/neighbours.ts). Default: on, sized from the host's
   * net.ipv4.neigh.default.gc_thresh3 when readable, else Linux's default of 1024. false: off.
   */
  neighbourPacing?: NeighbourPacingOptions | false;
  /** Filled in when given: what the neighbour budgeting did in this run. */
  neighbourStats?: NeighbourStats;
}

export interface NeighbourPacingOptions extends NeighbourBudgetOptions {
  /**
   * Delete the neighbour entries this run created when the budget runs short, and the rest at the
   * end of such a run (default true; possible only as root on the daemon's own host). false: wait
   * for the kernel to free them (holdMs), which makes a large mesh take minutes.
   */
  reclaim?: boolean;
}

/** What probeMany needs: the model, plus what the method drivers read (MethodContext). */
export interface ProbeContext extends MethodContext {
  state: NetworkState;
  /** Forces one method; no fallback. */
  method?: ProbeMethod;
  allowExternal?: boolean;
  /** For tests: replace a method's driver. */
  drivers?: Partial<Record<ProbeMethod, MethodDriver>>;
  /** For tests: the namespaces' neighbour tables (default: the host's, when reclaim is possible; null: none). */
  neighbourTables?: NeighbourTables | null;
}

// ------------------------------------------------------------------------------------------------
// probeMany

export async function probeMany(ctx: ProbeContext, pairs: ProbePair[], opts: ProbeManyOptions = {}): Promise<ProbeOutcome[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const perSource = opts.perSourceConcurrency ?? DEFAULT_PER_SOURCE_CONCURRENCY;
  if (!(timeoutMs >= 1)) throw new RangeError(`timeoutMs must be at least 1, got ${timeoutMs}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  if (!Number.isInteger(perSource) || perSource < 1 || perSource > 512) throw new RangeError(`perSourceConcurrency must be 1-512, got ${perSource}`);
  if (ctx.method !== undefined && !PROBE_METHODS.includes(ctx.method)) throw new RangeError(`unknown probe method ${String(ctx.method)}`);

  const started = Date.now();
  const deadlineAt = opts.deadlineMs !== undefined ? started + opts.deadlineMs : Infinity;
  const runId = randomBytes(6).toString('hex');
  const drivers = driversFor(ctx, runId);
  const out = new Array<ProbeOutcome>(pairs.length);
  const total = pairs.length;
  let done = 0;
  const progress = (n: number, source: string | null): void => {
    done += n;
    opts.onProgress?.({ done, total, source });
  };

  // Safety first: refuse targets outside the model before anything runs.
  const bySource = new Map<string, { source: SourceInfo; idx: number[] }>();
  let refused = 0;
  pairs.forEach((p, i) => {
    const src = sourceOf(ctx.state, p.from);
    const why = probeScopeRefusal(ctx.state, p.address, ctx.allowExternal === true);
    if (why) {
      out[i] = notSent(p, 'scope', `not probed: ${why}`);
      refused++;
      return;
    }
    const key = src.container?.id ?? 'host';
    const g = bySource.get(key) ?? { source: src, idx: [] };
    g.idx.push(i);
    bySource.set(key, g);
  });
  if (refused) progress(refused, null);

  const groups = [...bySource.values()];
  // The neighbour table is the daemon host's only when the daemon is local.
  const local = ctx.endpoint.startsWith('unix://');
  const fullsBefore = local ? neighbourTableFulls() : null;
  const pacingOpts = opts.neighbourPacing;
  const budget = pacingOpts === false ? null : pacingOpts && (pacingOpts.capacity !== undefined || pacingOpts.holdMs !== undefined) ? new NeighbourBudget(pacingOpts) : (defaultBudget ??= new NeighbourBudget());
  const tables = !budget || (pacingOpts && pacingOpts.reclaim === false) ? null : ctx.neighbourTables !== undefined ? ctx.neighbourTables : hostNeighbourTables(ctx.state, ctx.endpoint, ctx.env);
  const ledger = budget ? new NeighbourLedger(budget, tables) : null;
  const needs = groups.map((g) => (ledger ? neighbourEntries(ctx.state, g.source.container, [...new Set(g.idx.map((i) => pairs[i]!.address))]) : []));
  await ledger?.begin(needs);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const gi = next++;
      const g = groups[gi]!;
      const lease = ledger ? await ledger.acquire(needs[gi]!, deadlineAt, opts.signal) : null;
      const stop = opts.signal?.aborted ? 'aborted' : Date.now() >= deadlineAt ? 'deadline' : null;
      if (stop || (ledger && !lease)) {
        if (lease) ledger!.release(lease);
        else ledger?.forget(needs[gi]!);
        const why = stop ?? 'deadline';
        for (const i of g.idx) out[i] = notSent(pairs[i]!, why, why);
        progress(g.idx.length, g.source.name);
        continue;
      }
      try {
        await runSource(ctx, drivers, g.source, g.idx, pairs, out, { timeoutMs, perSource, deadlineAt, signal: opts.signal });
      } finally {
        if (lease) ledger!.release(lease);
      }
      progress(g.idx.length, g.source.name);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, groups.length)) }, worker));
    const fullsAfter = local ? neighbourTableFulls() : null;
    if (fullsBefore !== null && fullsAfter !== null && fullsAfter > fullsBefore) {
      for (const o of out) {
        if (o && (o.result === 'timeout' || o.result === 'unreachable' || o.result === 'no-answer') && !o.notSent) {
          o.suspect = 'neighbour-table-overflow';
          o.detail = `${o.detail ? `${o.detail}; ` : ''}the kernel's neighbour table overflowed during this run (gc_thresh3): this ${o.result} may be this host's, not the path's`;
        }
      }
    }
  } finally {
    await ledger?.end();
    if (ledger && opts.neighbourStats) Object.assign(opts.neighbourStats, ledger.stats);
    // A sidecar whose create raced an abort could be left behind by its own cleanup: sweep this run's label.
    if (ctx.engine && usedSidecar(ctx, out)) await sweepSidecars(ctx.engine, runId).catch(() => undefined);
  }
  return out;
}

/** One default budget per process: the kernel's table outlives a single probeMany call. */
let defaultBudget: NeighbourBudget | null = null;

/** The kernel's count of neighbour-table-full events (all CPUs), or null when unreadable. */
export function neighbourTableFulls(text?: string): number | null {
  let t = text;
  if (t === undefined) {
    try {
      t = readFileSync('/proc/net/stat/arp_cache', 'utf8');
    } catch {
      return null;
    }
  }
  const lines = t.trim().split('\n');
  const col = lines[0]?.trim().split(/\s+/).indexOf('table_fulls') ?? -1;
  if (col < 0) return null;
  let sum = 0;
  for (const l of lines.slice(1)) {
    const v = parseInt(l.trim().split(/\s+/)[col] ?? '', 16);
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

function usedSidecar(ctx: ProbeContext, out: ProbeOutcome[]): boolean {
  return ctx.method === 'sidecar' || out.some((o) => o?.method === 'sidecar' || o?.skipped.some((s) => s.method === 'sidecar'));
}

function sourceOf(state: NetworkState, from: ProbeFrom): SourceInfo {
  if (from === 'host') return { name: 'host', container: null };
  const owner = viewOf(state).namespaceOwner(from) ?? from;
  return { name: owner.name, container: owner };
}

function fromName(p: ProbePair): string {
  return p.from === 'host' ? 'host' : p.from.name;
}

function notSent(p: ProbePair, why: NonNullable<ProbeOutcome['notSent']>, detail: string, skipped: MethodSkip[] = [], method: ProbeMethod | null = null): ProbeOutcome {
  return {
    method,
    kind: p.kind,
    from: fromName(p),
    target: targetView(p),
    result: 'error',
    latencyMs: null,
    detail,
    errno: null,
    skipped,
    notSent: why,
  };
}

function targetView(p: ProbePair): ProbeOutcome['target'] {
  if (p.kind === 'dns') return { address: p.address, port: p.port ?? 53, name: p.name ?? '', qtype: p.qtype ?? 'A' };
  return { address: p.address, port: p.kind === 'icmp' ? null : (p.port ?? null) };
}

function targetOf(p: ProbePair): AgentTarget {
  const t: AgentTarget = { kind: p.kind, address: p.address };
  if (p.kind !== 'icmp') t.port = p.kind === 'dns' ? (p.port ?? 53) : p.port;
  if (p.kind === 'dns') {
    t.name = p.name;
    t.qtype = p.qtype ?? 'A';
  }
  if (p.path !== undefined) t.path = p.path;
  if (p.tls) t.tls = true;
  if (p.serverName !== undefined) t.serverName = p.serverName;
  if (p.payloadHex !== undefined) t.payloadHex = p.payloadHex;
  return t;
}

/** Chooses a method per probe of one source (first that can), then runs one batch per method. */
async function runSource(
  ctx: ProbeContext,
  drivers: Record<ProbeMethod, MethodDriver>,
  source: SourceInfo,
  idx: number[],
  pairs: ProbePair[],
  out: ProbeOutcome[],
  o: { timeoutMs: number; perSource: number; deadlineAt: number; signal?: AbortSignal },
): Promise<void> {
  const order: ProbeMethod[] = ctx.method ? [ctx.method] : [...PROBE_METHODS];
  const prepared = new Map<ProbeMethod, PreparedMethod | { blocked: string }>();
  const prepare = async (m: ProbeMethod): Promise<PreparedMethod | { blocked: string }> => {
    let p = prepared.get(m);
    if (!p) {
      try {
        p = await drivers[m].prepare(source, o.signal);
      } catch (e) {
        p = { blocked: oneLine((e as Error).message) };
      }
      prepared.set(m, p);
    }
    return p;
  };

  const plan = new Map<ProbeMethod, { prepared: PreparedMethod; idx: number[]; skipped: MethodSkip[][] }>();
  for (const i of idx) {
    const skipped: MethodSkip[] = [];
    let chosen: ProbeMethod | null = null;
    for (const m of order) {
      if (o.signal?.aborted) break;
      const p = await prepare(m);
      if ('blocked' in p) {
        skipped.push({ method: m, reason: p.blocked });
        continue;
      }
      const why = p.unsupported(pairs[i]!.kind, targetOf(pairs[i]!));
      if (why) {
        skipped.push({ method: m, reason: why });
        continue;
      }
      chosen = m;
      const slot = plan.get(m) ?? { prepared: p, idx: [], skipped: [] };
      slot.idx.push(i);
      slot.skipped.push(skipped);
      plan.set(m, slot);
      break;
    }
    if (!chosen) {
      if (o.signal?.aborted) out[i] = notSent(pairs[i]!, 'aborted', 'aborted', skipped);
      else {
        const why = skipped.map((s) => `${s.method}: ${s.reason}`).join('; ');
        const detail = ctx.method ? `the ${ctx.method} method cannot run this probe: ${skipped[0]?.reason ?? 'unknown reason'}` : `no probe method can run here (${why})`;
        out[i] = notSent(pairs[i]!, 'no-method', detail, skipped, ctx.method ?? null);
      }
    }
  }

  for (const [method, slot] of plan) {
    const targets = slot.idx.map((i) => targetOf(pairs[i]!));
    const remaining = o.deadlineAt - Date.now();
    const stop = o.signal?.aborted ? 'aborted' : remaining <= 0 ? 'deadline' : null;
    if (stop) {
      slot.idx.forEach((i, k) => (out[i] = notSent(pairs[i]!, stop, stop, slot.skipped[k], method)));
      continue;
    }
    const waves = Math.ceil(targets.length / o.perSource);
    const budgetMs = Math.min(waves * (o.timeoutMs + 3_000) + START_OVERHEAD_MS, remaining);
    let results: AgentResult[];
    try {
      results = await slot.prepared.run(targets, { timeoutMs: o.timeoutMs, concurrency: o.perSource, budgetMs, signal: o.signal });
    } catch (e) {
      const why = o.signal?.aborted ? 'aborted' : Date.now() >= o.deadlineAt ? 'deadline' : oneLine((e as Error).message);
      results = targets.map(() => ({ result: 'error', latencyMs: null, errno: why === 'aborted' || why === 'deadline' ? why.toUpperCase() : 'PROBE_FAILED', detail: why }));
    }
    slot.idx.forEach((i, k) => {
      const r = results[k] ?? { result: 'error' as const, latencyMs: null, detail: 'no result for this probe' };
      const p = pairs[i]!;
      const o2: ProbeOutcome = {
        method,
        kind: p.kind,
        from: fromName(p),
        target: targetView(p),
        result: r.result,
        latencyMs: r.latencyMs,
        detail: r.detail ?? null,
        errno: r.errno ?? null,
        skipped: slot.skipped[k]!,
      };
      if (r.status !== undefined) o2.status = r.status;
      if (r.rcode !== undefined) o2.rcode = r.rcode;
      if (r.answers !== undefined) o2.answers = r.answers;
      if (r.records !== undefined) o2.records = r.records;
      if (r.errno === 'DEADLINE' || r.errno === 'ABORTED') o2.notSent = r.errno === 'DEADLINE' ? 'deadline' : 'aborted';
      out[i] = o2;
    });
  }
}

/** Probes one pair (a batch of one). */
export async function probeOne(ctx: ProbeContext, pair: ProbePair, opts: ProbeManyOptions = {}): Promise<ProbeOutcome> {
  return (await probeMany(ctx, [pair], opts))[0]!;
}

// ------------------------------------------------------------------------------------------------
// method selection: the drivers (src/probe/methods/), or the test's replacements

function driversFor(ctx: ProbeContext, runId: string): Record<ProbeMethod, MethodDriver> {
  return {
    nsenter: ctx.drivers?.nsenter ?? nsenterDriver(ctx),
    sidecar: ctx.drivers?.sidecar ?? sidecarDriver(ctx, runId),
    exec: ctx.drivers?.exec ?? execDriver(ctx),
  };
}
