// Policy gate analysis. `allFindings` gathers every finding producer that exists today, for
// `gate` (`no-findings`) and `snapshot diff`; the doctor catalog replaces its list at merge and
// callers keep calling it.

import type { NetworkState } from '../model/types.js';
import type { Finding } from './route-findings.js';
import { routeFindings } from './route-findings.js';
import { analyzePorts } from './ports.js';
import { dnsChecks } from './dns/checks.js';

export type { Finding };

export function allFindings(state: NetworkState): Finding[] {
  return [...analyzePorts(state).findings, ...routeFindings(state), ...dnsChecks(state)];
}
