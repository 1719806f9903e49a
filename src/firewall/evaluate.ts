// Public evaluation API: the reference (naive, linear) engine and the compiled engine share the
// walk in walk.ts; explanations (every rule examined, with the condition that failed) come from
// the reference engine.

import { compileRuleset, type CompiledRuleset } from './compile.js';
import { evalRule, type EvalCtx } from './match.js';
import { buildEngine, makeCtx, runEvaluation, type Engine } from './walk.js';
import { batchPacket, codeDecidedBy, codeVerdict, fastBatch, fastCode, fastEvaluate, resultCode } from './fast.js';
import { InputError } from '../model/errors.js';
import type { DecidedBy, EvaluateOptions, EvaluationResult, Packet, PacketBatch, Ruleset, Verdict } from './types.js';

const naiveCache = new WeakMap<Ruleset, Engine>();

/** The reference engine: every chain is scanned linearly and matches are interpreted. */
export function naiveEngine(ruleset: Ruleset): Engine {
  let e = naiveCache.get(ruleset);
  if (!e) {
    e = buildEngine(
      ruleset,
      (_t, _c, rules) => {
        const all = rules.map((_, i) => i);
        return () => all;
      },
      (rule) => (p, cx) => evalRule(rule, p, cx),
    );
    naiveCache.set(ruleset, e);
  }
  return e;
}

const ctxCache = new WeakMap<EvaluateOptions, Map<string, EvalCtx>>();

function ctxFor(family: Ruleset['family'], opts: EvaluateOptions): EvalCtx {
  let m = ctxCache.get(opts);
  if (!m) ctxCache.set(opts, (m = new Map()));
  let cx = m.get(family);
  if (!cx) m.set(family, (cx = makeCtx(family, opts)));
  return cx;
}

const NO_OPTS: EvaluateOptions = {};

/**
 * Evaluate one packet with the compiled engine. With `explain` (the default) the rule-by-rule
 * path comes from the reference walk (so it lists every rule examined, with why it failed);
 * with `explain: false` only the verdict, decidedBy, NAT steps and reasons are computed, fast:
 * the lean path (fast.ts) decides verdict and decidedBy without allocating, and the other fields
 * of the result are filled in by the full walk when first read (the result's toJSON() includes
 * them). `decidedBy` is then a shared, frozen record.
 *
 * Reuse the same `opts` object across calls: the host-address set and ipsets are prepared once
 * per options object.
 */
export function evaluate(compiled: CompiledRuleset | Ruleset, packet: Packet, opts: EvaluateOptions = NO_OPTS): EvaluationResult {
  const c = 'kind' in compiled && compiled.kind === 'compiled' ? compiled : compileRuleset(compiled as Ruleset);
  const cx = ctxFor(c.ruleset.family, opts);
  if (opts.explain === false) {
    if (opts.fastPath !== false) {
      const r = fastEvaluate(c.program, c.engine, packet, cx, opts);
      if (r) return r;
    }
    return runEvaluation(c.engine, packet, cx, opts, false);
  }
  return runEvaluation(naiveEngine(c.ruleset), packet, cx, opts, true);
}

/** Evaluate with the reference engine (linear scan, interpreted matches). */
export function evaluateNaive(ruleset: Ruleset | CompiledRuleset, packet: Packet, opts: EvaluateOptions = NO_OPTS): EvaluationResult {
  const rs = 'kind' in ruleset && ruleset.kind === 'compiled' ? ruleset.ruleset : (ruleset as Ruleset);
  const cx = ctxFor(rs.family, opts);
  return runEvaluation(naiveEngine(rs), packet, cx, opts, opts.explain !== false);
}

/**
 * The verdict of one packet as a number, for many-flow analyses: no result object is built and
 * nothing is allocated per call in the common case. Decode it with `verdictOfCode` and
 * `decidedByOfCode`; for the explained walk, call `evaluate` on the same packet. Packets the
 * lean path does not model (undecidable matches, REDIRECT, ...) are evaluated by the full walk,
 * so the code always agrees with `evaluate(..., {explain: false})`.
 */
export function evaluateCode(compiled: CompiledRuleset, packet: Packet, opts: EvaluateOptions = NO_OPTS): number {
  const cx = ctxFor(compiled.ruleset.family, opts);
  const code = fastCode(compiled.program, packet, cx, opts);
  if (code >= 0) return code;
  return resultCode(compiled.program, runEvaluation(compiled.engine, packet, cx, opts, false));
}

/** The verdict of an `evaluateCode` result. */
export function verdictOfCode(code: number): Verdict {
  return codeVerdict(code);
}

/** The rule or policy that decided an `evaluateCode` result (a shared, frozen record), or null. */
export function decidedByOfCode(compiled: CompiledRuleset, code: number): DecidedBy | null {
  return codeDecidedBy(compiled.program, code);
}

/**
 * `evaluateCode` for every row of a packet batch (IPv4), into `out` (allocated when not given).
 * Row i's code equals `evaluateCode(compiled, batchPacket(batch, i), opts)`.
 */
export function evaluateBatch(compiled: CompiledRuleset, batch: PacketBatch, opts: EvaluateOptions = NO_OPTS, out?: Int32Array): Int32Array {
  if (batch.family !== 'ipv4' || compiled.ruleset.family !== 'ipv4') throw new InputError('packet batches are IPv4 only (the ruleset and the batch must both be ipv4)');
  const res = out ?? new Int32Array(batch.length);
  if (res.length < batch.length) throw new InputError(`the output array holds ${res.length} codes, the batch has ${batch.length} packets`);
  const cx = ctxFor(compiled.ruleset.family, opts);
  fastBatch(compiled.program, batch, cx, opts, res, (i) => resultCode(compiled.program, runEvaluation(compiled.engine, batchPacket(batch, i), cx, opts, false)));
  return res;
}

/** Row i of a packet batch as a Packet (to explain it with `evaluate`). */
export function packetOfBatch(batch: PacketBatch, i: number): Packet {
  return batchPacket(batch, i);
}
