export { CATALOG, RESERVED_CODES, codeInfo, docsPath } from './catalog.js';
export { PRODUCERS, runDoctor, unknownCodes, lintToFinding, checksForCodes, groupCodes, type DoctorOptions, type DoctorResult } from './registry.js';
export type { Finding, Severity, CodeInfo, CheckStatus, CheckGroup } from './types.js';
