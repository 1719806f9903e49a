export { predictResolution, DnsPredictError, type PredictInput } from './predict.js';
export { dnsChecks } from './checks.js';
export { embeddedLookup, EMBEDDED_DNS } from './lookup.js';
export type * from './types.js';
export { compareWithObserved, observedVerdict } from './compare.js';
