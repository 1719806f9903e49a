// Doctor's triage list: identical findings (same code, severity and message shape — the same
// finding on many subjects) folded into one group, groups ranked by impact (impact.ts), then
// severity, then how many findings they hold. Pure; renderers draw the groups (docs/doctor.md).

import { severityRank, type Finding, type Severity } from '../../model/finding.js';
import { IMPACTS, impactOf, type Impact } from './impact.js';

export interface FindingGroup {
  code: string;
  severity: Severity;
  impact: Impact;
  /** The findings of the group, in the order they came. */
  findings: Finding[];
  /**
   * Who the group is about, for a one-line summary: a single finding's subjects, or the distinct
   * first subject of each finding of a larger group.
   */
  subjects: string[];
  /**
   * When a code falls into several groups: the words of the group's title that tell it from the
   * code's other groups ("Redis" in "Redis port published on all addresses"); null otherwise.
   */
  variant: string | null;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A message with its subjects and numbers taken out: two findings of one code with the same shape
 * say the same thing about different subjects ("svc1 publishes 0.0.0.0:10001/tcp ..." and "svc2
 * publishes 0.0.0.0:10002/tcp ...").
 */
export function messageShape(f: Pick<Finding, 'message' | 'subjects'>): string {
  let m = f.message;
  const subjects = [...new Set(f.subjects.filter(Boolean))].sort((a, b) => b.length - a.length);
  if (subjects.length) {
    // A subject counts only as a whole name: "db" must not eat the middle of "shop-db-1".
    m = m.replace(new RegExp(`(?<![\\w.-])(?:${subjects.map(escapeRe).join('|')})(?![\\w-])`, 'g'), '\u0000');
  }
  return m.replace(/\d+/g, '#');
}

/** Fold identical findings into groups and rank the groups (most urgent first). */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const byKey = new Map<string, FindingGroup>();
  for (const f of findings) {
    const key = `${f.code}\u0001${f.severity}\u0001${messageShape(f)}`;
    const g = byKey.get(key);
    if (g) g.findings.push(f);
    else byKey.set(key, { code: f.code, severity: f.severity, impact: impactOf(f.code), findings: [f], subjects: [], variant: null });
  }
  const groups = [...byKey.values()];
  for (const g of groups) {
    g.subjects = g.findings.length === 1 ? [...g.findings[0]!.subjects] : [...new Set(g.findings.map((f) => f.subjects[0]).filter((s): s is string => !!s))];
  }
  nameVariants(groups);
  return groups.sort(
    (a, b) =>
      IMPACTS.indexOf(a.impact) - IMPACTS.indexOf(b.impact) ||
      severityRank(b.severity) - severityRank(a.severity) ||
      b.findings.length - a.findings.length ||
      a.code.localeCompare(b.code) ||
      (a.subjects[0] ?? '').localeCompare(b.subjects[0] ?? ''),
  );
}

/** Set `variant` on the groups of a code that has several: its uniform title minus the words all share. */
function nameVariants(groups: readonly FindingGroup[]): void {
  const byCode = new Map<string, FindingGroup[]>();
  for (const g of groups) byCode.set(g.code, [...(byCode.get(g.code) ?? []), g]);
  for (const gs of byCode.values()) {
    const titled = gs.flatMap((g) => (g.findings.every((f) => f.title === g.findings[0]!.title) ? [{ g, words: g.findings[0]!.title.split(' ') }] : []));
    if (titled.length < 2) continue;
    const shortest = Math.min(...titled.map((t) => t.words.length));
    const same = (at: (w: string[]) => string | undefined) => titled.every((t) => at(t.words) === at(titled[0]!.words));
    let pre = 0;
    while (pre < shortest && same((w) => w[pre])) pre++;
    let suf = 0;
    while (suf < shortest - pre && same((w) => w[w.length - 1 - suf])) suf++;
    for (const t of titled) t.g.variant = t.words.slice(pre, t.words.length - suf).join(' ') || null;
  }
}
