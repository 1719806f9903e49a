// `reach` lives in src/analysis/reach/ (a pipeline of stages, see its index.ts); this module keeps
// the import path its callers use.
export * from './reach/index.js';
