// Shared by the commands that report findings: pick the format from --format/--json, and render
// a report in it. `json` is the command's own JSON document (shapes in the command's docs/ page), given by the caller.

import { InputError } from '../../model/errors.js';
import type { NetworkState } from '../../model/types.js';
import { docLinker, type PackageFacts } from '../links.js';
import { renderFindings } from './human.js';
import { toJunit } from './junit.js';
import { toMarkdown } from './markdown.js';
import { toSarif } from './sarif.js';
import { FORMATS, type FindingsFormat, type FindingsReport } from './types.js';

export function resolveFormat(format: string | undefined, json: boolean): FindingsFormat {
  if (format !== undefined && !FORMATS.includes(format as FindingsFormat)) throw new InputError(`--format ${format} is not one of ${FORMATS.join(', ')}`);
  if (json && format !== undefined && format !== 'json') throw new InputError(`--json and --format ${format} ask for two different outputs: pick one`);
  return json ? 'json' : ((format as FindingsFormat | undefined) ?? 'table');
}

/**
 * Render `r` in a machine/document format (everything but json and table, which the command owns).
 * `pkg` is the package's package.json (commands: this.config.pjson): finding pages link to its
 * repository at this version, or to NETSLEUTH_DOCS_URL (src/report/links.ts).
 */
export function renderDocument(r: FindingsReport, format: 'sarif' | 'junit' | 'markdown', pkg: PackageFacts, env: NodeJS.ProcessEnv = process.env): string {
  const docUrl = docLinker(pkg, env);
  switch (format) {
    case 'sarif':
      return JSON.stringify(toSarif(r, { docUrl, cwd: process.cwd() }), null, 2);
    case 'junit':
      return toJunit(r, { docUrl });
    case 'markdown':
      return toMarkdown(r, { docUrl });
  }
}

export { renderFindings };

/** What each subject name is, for SARIF logical locations. */
export function subjectKinds(state: NetworkState | null): (s: string) => string {
  const kinds = new Map<string, string>();
  if (state) {
    for (const h of state.hosts) kinds.set(h.name, 'host');
    for (const n of state.networks) kinds.set(n.name, 'network');
    for (const c of state.containers) kinds.set(c.name, 'container');
  }
  return (s) => kinds.get(s) ?? (/^(ip6tables )?[a-z]+\/[^#]+#/.test(s) ? 'firewallRule' : 'resource');
}
