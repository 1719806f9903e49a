// Compares a prediction with what the wire said from inside the container. Pure.

import type { Comparison, DnsPrediction, DnsVerdict, ObservedWalk } from './types.js';

export function observedVerdict(o: ObservedWalk): DnsVerdict {
  switch (o.outcome) {
    case 'answer':
      return 'resolved';
    case 'nxdomain':
    case 'nodata':
      return 'nxdomain';
    case 'servfail':
    case 'refused':
      return 'servfail';
    case 'timeout':
      return 'timeout';
    default:
      return 'unknown';
  }
}

function sameSet(a: string[], b: string[]): boolean {
  const A = new Set(a);
  const B = new Set(b);
  return A.size === B.size && [...A].every((x) => B.has(x));
}

export function compareWithObserved(p: DnsPrediction, o: ObservedWalk): Comparison {
  const verdict = observedVerdict(o);
  const decided = o.decidedBy !== null ? o.steps[o.decidedBy] : undefined;
  const observedAnswers = (decided?.response?.answers ?? []).map((a) => ({ name: a.name, type: a.type, ttl: a.ttl, data: a.data }));
  const disagreements: Comparison['disagreements'] = [];

  for (const s of o.steps) {
    for (const i of s.response?.issues ?? []) {
      if (i.code === 'ID_MISMATCH' || i.code === 'TRAILING_BYTES' || i.code === 'OVERSIZED_UDP') {
        disagreements.push({ code: `WIRE_${i.code}`, message: `${s.server} for ${s.name}: ${i.message}` });
      }
    }
    if (s.error && s.error.code !== 'TIMEOUT' && s.error.code !== 'CONNECTION_REFUSED') {
      disagreements.push({ code: `WIRE_${s.error.code}`, message: `${s.server} for ${s.name}: ${s.error.message}` });
    }
  }

  // A hosts-file answer never reaches DNS: the wire walk is shown for information only.
  if (p.verdict === 'resolved' && p.answers.every((a) => a.source === 'hosts')) {
    return { agreement: 'agree', disagreements, observedVerdict: verdict, observedAnswers };
  }
  if (p.verdict === 'unknown') {
    return { agreement: disagreements.length ? 'disagree' : 'unpredicted', disagreements, observedVerdict: verdict, observedAnswers };
  }
  if (p.verdict !== verdict) {
    disagreements.push({ code: 'VERDICT', message: `predicted ${p.verdict}${p.certainty === 'inferred' ? ' (inferred)' : ''}, observed ${verdict}` });
  } else if (verdict === 'resolved' && p.answers.length) {
    const want = p.answers.filter((a) => a.type === p.type).map((a) => a.data.toLowerCase());
    const got = observedAnswers.filter((a) => a.type === p.type).map((a) => a.data.toLowerCase());
    let ok: boolean;
    if (p.answerMode === 'one-of') {
      const byNet = new Map<string, string[]>();
      for (const a of p.answers) byNet.set(a.network ?? '', [...(byNet.get(a.network ?? '') ?? []), a.data.toLowerCase()]);
      ok = [...byNet.values()].some((set) => sameSet(set, got));
    } else ok = sameSet(want, got);
    if (!ok) disagreements.push({ code: 'ANSWERS', message: `predicted ${want.join(', ') || 'no records'}, observed ${got.join(', ') || 'no records'}` });
    const predictedStep = p.answers[0]?.name.toLowerCase();
    if (decided && predictedStep && decided.name.toLowerCase().replace(/\.$/, '') !== predictedStep) {
      disagreements.push({ code: 'ANSWERING_NAME', message: `predicted the answer for ${predictedStep}, observed it for ${decided.name}` });
    }
  }
  return { agreement: disagreements.length ? 'disagree' : 'agree', disagreements, observedVerdict: verdict, observedAnswers };
}
