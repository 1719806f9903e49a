export { CATALOG, RESERVED_CODES, codeInfo, docsPath } from './catalog.js';
export { PRODUCERS, runDoctor, unknownCodes, lintToFinding, checksForCodes, groupCodes, type DoctorOptions, type DoctorResult } from './registry.js';
export { atLeast, SEVERITY_RANK, type Finding, type Severity, type CodeInfo, type CheckStatus, type CheckGroup } from './types.js';
