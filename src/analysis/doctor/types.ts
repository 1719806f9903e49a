// Shapes shared by the doctor checks and the finding reports (the doctor JSON shape: docs/doctor.md).

import type { NetworkState } from '../../model/types.js';
import type { Finding } from '../route-findings.js';

export type { Finding };
export type Severity = Finding['severity'];

export const SEVERITY_RANK: Record<Severity, number> = { error: 2, warning: 1, info: 0 };

export function atLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[threshold];
}

/** Which analysis a code belongs to (the producer that emits it). */
export type CheckGroup = 'ports' | 'firewall' | 'routes' | 'dns' | 'state';

/** One entry of the findings catalog: a stable code and its page in docs/findings/. */
export interface CodeInfo {
  code: string;
  group: CheckGroup;
  /** The worst severity the code is reported with (some codes are info in mild cases). */
  severity: Severity;
  title: string;
  /** One sentence: what the finding means. */
  summary: string;
  /** Only emitted by a command with more input than the state (e.g. `ports --compose`). */
  needs?: string;
}

/** A producer: one pure function over the state that emits findings of its codes. */
export interface Check {
  id: string;
  group: CheckGroup;
  codes: string[];
  run(state: NetworkState): Finding[];
}

/** How one catalog code fared in a doctor run. */
export interface CheckStatus {
  code: string;
  group: CheckGroup;
  title: string;
  severity: Severity;
  status: 'run' | 'skipped';
  /** Why it was skipped (--only/--skip) or why its producer could not run fully. */
  reason: string | null;
  findings: number;
  docs: string;
}
