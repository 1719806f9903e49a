export { FORMATS, gateFailed, summaryLine, type FindingsFormat, type FindingsReport, type FindingsSource } from './types.js';
export { toSarif, LIVE_ARTIFACT, type SarifOptions } from './sarif.js';
export { toJunit } from './junit.js';
export { toMarkdown, md } from './markdown.js';
export { renderFindings } from './human.js';
export { xmlAttr, xmlText } from './xml.js';
