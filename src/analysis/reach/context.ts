// The one typed context every reach stage reads, what a stage returns, and the accumulator the
// pipeline folds stage results into (then turns into a ReachResult).

import { InputError } from '../../model/errors.js';
import { checkPort } from '../../model/port.js';
import type { AddressFamily, Container } from '../../model/types.js';
import { type StateView, type Subject, bareName } from '../../model/view.js';
import { isLoopback, parseAddr } from '../../net/addr.js';
import { causeOf, fixesOf, outcomeOf } from './outcome.js';
import { placeOf } from './place.js';
import type { ReachContext } from './question.js';
import type { Listening, ReachDestination, ReachHop, ReachOptions, ReachProtocol, ReachReason, ReachRequest, ReachResult, ReachTarget, ReachVerdict } from './types.js';

export const bare = bareName;
export const containerSubject = (c: Container): Subject => ({ kind: 'container', label: bareName(c.name), container: c, matchedBy: 'id' });
export const loopbackAddress = (family: AddressFamily): string => (family === 'ipv4' ? '127.0.0.1' : '::1');

export type { ReachContext, FlowContext } from './question.js';

export function reachContext(view: StateView, req: ReachRequest, opts: ReachOptions): ReachContext {
  const from: Subject = typeof req.from === 'string' ? view.resolve(req.from) : req.from;
  const to: Subject = typeof req.to === 'string' ? view.resolve(req.to, { from: from.kind === 'container' ? from.container : null }) : req.to;
  const port = req.port ?? null;
  if (req.protocol === 'icmp' && port !== null) throw new InputError(`ICMP has no port (got ${port})`);
  const protocol: ReachProtocol = port === null ? 'icmp' : (req.protocol ?? 'tcp');
  if (port !== null) checkPort(port);
  let family: AddressFamily = 'ipv4';
  for (const s of [from, to]) if (s.kind === 'address' && parseAddr(s.address)?.family === 'ipv6') family = 'ipv6';
  const fromC = subjectContainer(view, from);
  const toC = subjectContainer(view, to);
  const fromPlace = placeOf(view, from);
  return {
    view,
    from,
    to,
    host: { kind: 'host', label: 'host', host: view.host() },
    fromC,
    toC,
    fromOwner: fromC ? view.namespaceOwner(fromC) : null,
    toOwner: toC ? view.namespaceOwner(toC) : null,
    fromPlace,
    toPlace: to.kind === 'address' && isLoopback(to.address) ? fromPlace : placeOf(view, to),
    port,
    protocol,
    family,
    explain: opts.lean !== true,
  };
}

function subjectContainer(view: StateView, s: Subject): Container | null {
  if (s.kind === 'container') return s.container;
  if (s.kind === 'address') return view.containerByAddress(s.address);
  return null;
}

// ---------------------------------------------------------------------------------------------
// What stages return

/** A stage's hops and the facts it settles. Absent facts are left as they are. */
export interface StageResult {
  hops: ReachHop[];
  assumptions?: string[];
  /** The listener's story, when it is not a plain yes. */
  reasons?: ReachReason[];
  listening?: Listening;
  destination?: ReachDestination;
  target?: ReachTarget | null;
  /** The verdict is settled: the pipeline stops after this stage. */
  done?: boolean;
}

/** A stage that found nothing to say (shared: never mutate it). */
export const NOTHING: StageResult = Object.freeze({ hops: Object.freeze([]) as unknown as ReachHop[] });

/** Results one after another, as one (later facts win; done if any part is). */
export function seq(...parts: StageResult[]): StageResult {
  const out: StageResult = { hops: [] };
  for (const p of parts) {
    out.hops.push(...p.hops);
    if (p.assumptions?.length) (out.assumptions ??= []).push(...p.assumptions);
    if (p.reasons?.length) (out.reasons ??= []).push(...p.reasons);
    if (p.listening !== undefined) out.listening = p.listening;
    if (p.destination !== undefined) out.destination = p.destination;
    if (p.target !== undefined) out.target = p.target;
    if (p.done) out.done = true;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The accumulator

export class ReachTrail {
  readonly hops: ReachHop[] = [];
  readonly assumptions: string[] = [];
  readonly reasons: ReachReason[] = [];
  listening: Listening = 'unknown';
  destination: ReachDestination | null = null;
  target: ReachTarget | null = null;

  /** Fold a stage's result in; true when the verdict is settled. */
  take(r: StageResult): boolean {
    for (const h of r.hops) this.hops.push(h);
    if (r.assumptions) for (const a of r.assumptions) this.assumptions.push(a);
    if (r.reasons) for (const x of r.reasons) this.reasons.push(x);
    if (r.listening !== undefined) this.listening = r.listening;
    if (r.destination !== undefined) this.destination = r.destination;
    if (r.target !== undefined) this.target = r.target;
    return r.done === true;
  }

  /** The verdict, earned from the hops: any block blocks, else any unknown leaves it unknown. */
  result(cx: ReachContext): ReachResult {
    const hops = this.hops;
    const blocks = hops.filter((h) => h.status === 'block');
    blocks.forEach((h, i) => (h.first = i === 0));
    const verdict: ReachVerdict = blocks.length > 0 ? 'blocked' : hops.some((h) => h.status === 'unknown') ? 'unknown' : 'reachable';
    const outcome = outcomeOf(verdict, this.listening, cx.protocol === 'icmp');
    const fixes = cx.explain ? fixesOf(outcome, hops, cx) : [];
    return {
      from: cx.from.label,
      to: cx.to.label,
      fromRef: cx.view.ref(cx.from),
      toRef: cx.view.ref(cx.to),
      port: cx.port,
      protocol: cx.protocol,
      family: cx.family,
      outcome,
      cause: causeOf(outcome, hops, cx),
      verdict,
      listening: this.listening,
      hops,
      // What stops it first, then what is not known, then the listener's story.
      // A blocking hop the firewall engine recognised (ICC, isolation, DOCKER-USER) adds its finer reason.
      reasons: [
        ...blocks.flatMap((h) => [{ code: h.code ?? 'REACH_BLOCKED', message: h.detail }, ...(h.cause ? [h.cause] : [])]),
        ...hops.filter((h) => h.status === 'unknown').map((h) => ({ code: h.code ?? 'REACH_UNKNOWN', message: h.detail })),
        ...this.reasons,
      ],
      blocking: blocks.map((h) => ({ stage: h.stage, where: h.where, code: h.code ?? 'REACH_BLOCKED', message: h.detail, first: h.first === true })),
      fixes,
      destination: this.destination,
      target: this.target,
      assumptions: [...new Set(this.assumptions)],
      probe: null,
      agreement: null,
    };
  }
}
