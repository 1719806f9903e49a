// The input every findings format renders: what was checked, against what, with which gate, and
// the findings (doctor shape). Built by the commands that report findings: doctor, ports,
// firewall lint.

import type { CheckStatus } from '../../analysis/doctor/types.js';
import { atLeast, countBySeverity, type Finding, type Severity } from '../../model/finding.js';

export type FindingsFormat = 'table' | 'json' | 'sarif' | 'junit' | 'markdown';
export const FORMATS: readonly FindingsFormat[] = ['table', 'json', 'sarif', 'junit', 'markdown'];

export interface FindingsSource {
  origin: 'snapshot' | 'live' | 'ruleset';
  /** Human label: the file path or the daemon endpoint. */
  label: string;
  /** The file the findings were derived from (snapshot or ruleset), as given; null when live. */
  file: string | null;
}

export interface FindingsReport {
  /** `doctor`, `ports`, `firewall lint`. */
  command: string;
  toolVersion: string;
  source: FindingsSource;
  /** Findings at or above this severity fail the gate; null: no gate (report only). */
  failOn: Severity | null;
  findings: Finding[];
  /** One entry per check (catalog code) considered. */
  checks: CheckStatus[];
  /** What a name in `subjects` is (container, network, host, firewall rule), when known. */
  subjectKind?: (subject: string) => string;
  /** Time the report was made (ISO 8601); fixed in tests. */
  time?: string;
}

/** `paint` colours each severity's count (the human table on a TTY); plain by default. */
export function summaryLine(r: FindingsReport, paint: (severity: Severity, text: string) => string = (_s, t) => t): string {
  const c = countBySeverity(r.findings);
  const run = r.checks.filter((x) => x.status === 'run').length;
  const skipped = r.checks.length - run;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const gate = r.failOn ? `; gate ${r.failOn}: ${gateFailed(r) ? 'FAILED' : 'passed'}` : '';
  return `${paint('error', plural(c.error, 'error'))}, ${paint('warning', plural(c.warning, 'warning'))}, ${paint('info', `${c.info} info`)} (${run} check${run === 1 ? '' : 's'} run${skipped ? `, ${skipped} skipped` : ''})${gate}`;
}

export function gateFailed(r: FindingsReport): boolean {
  return r.failOn !== null && r.findings.some((f) => atLeast(f.severity, r.failOn!));
}
