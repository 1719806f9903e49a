// The one finding shape and the one severity scale, shared by every producer (doctor checks,
// ports, routes, DNS checks, firewall lint, gate) and every renderer (table, JSON, SARIF, JUnit,
// Markdown). A producer that needs more fields extends `Finding`; a record with fewer (a firewall
// lint finding before it becomes a doctor finding, a DNS reason) picks from it.

export type Severity = 'error' | 'warning' | 'info';

/** Every severity, worst first (the order findings are grouped and counted in). */
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** The one ranking: a higher number is worse. */
export function severityRank(s: Severity): number {
  return s === 'error' ? 2 : s === 'warning' ? 1 : 0;
}

/** Is `s` at or above `threshold` (a `--fail-on` gate, a policy's `severity:`)? */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) >= severityRank(threshold);
}

/** Sort comparator: worst severity first (stable for equal severities). */
export function worstFirst(a: { severity: Severity }, b: { severity: Severity }): number {
  return severityRank(b.severity) - severityRank(a.severity);
}

/** How many of each severity, keys in SEVERITIES order (a JSON `summary`). */
export function countBySeverity(items: readonly { severity: Severity }[]): Record<Severity, number> {
  const c: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of items) c[f.severity]++;
  return c;
}

/** A finding (the doctor JSON shape, docs/doctor.md): a stable code with a page in docs/findings/. */
export interface Finding {
  code: string;
  severity: Severity;
  title: string;
  message: string;
  subjects: string[];
  evidence: string[];
  remediation: string;
}
