// Public evaluation API: the reference (naive, linear) engine and the compiled engine share the
// walk in walk.ts; explanations (every rule examined, with the condition that failed) come from
// the reference engine.

import { compileRuleset, type CompiledRuleset } from './compile.js';
import { evalRule, type EvalCtx } from './match.js';
import { buildEngine, makeCtx, runEvaluation, type Engine } from './walk.js';
import { fastEvaluate } from './fast.js';
import type { EvaluateOptions, EvaluationResult, Packet, Ruleset } from './types.js';

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
      const r = fastEvaluate(c.engine, packet, cx, opts);
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
