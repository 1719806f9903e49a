// Shapes shared by the doctor checks and the finding reports (the doctor JSON shape: docs/doctor.md).

import type { Finding, Severity } from '../../model/finding.js';
import type { NetworkState } from '../../model/types.js';

// The one Finding and Severity (src/model/finding.ts), re-exported for the doctor modules.
export type { Finding, Severity };

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
