// SARIF 2.1.0 (OASIS) for GitHub code scanning and other SARIF viewers: one rule per catalog
// code (helpUri to its page's URL, src/report/links.ts), one result per finding (level from severity), the subjects as
// logical locations. Code scanning needs a physicalLocation on every result: findings are about
// the snapshot file when there is one (region: line 1), and about a pseudo artifact
// `netsleuth-live-state.json` for a live daemon (docs/doctor.md says so).

import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { isAbsolute, join, relative, sep } from 'node:path';
import { CATALOG, codeInfo } from '../../analysis/doctor/catalog.js';
import type { Severity } from '../../model/finding.js';
import type { DocUrl } from '../links.js';
import type { FindingsReport } from './types.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };
export const LIVE_ARTIFACT = 'netsleuth-live-state.json';

export interface SarifOptions {
  /** The URL of a code's page (docLinker in src/report/links.ts): an http(s) URL, never a local path. */
  docUrl: DocUrl;
  /** The directory artifact paths are made relative to (the checkout, for code scanning). */
  cwd: string;
}

function artifactUri(r: FindingsReport, cwd: string): string {
  if (!r.source.file) return LIVE_ARTIFACT;
  const abs = isAbsolute(r.source.file) ? r.source.file : join(cwd, r.source.file);
  const rel = relative(cwd, abs);
  if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).map(encodeURIComponent).join('/');
  return pathToFileURL(abs).href;
}

export function toSarif(r: FindingsReport, opts: SarifOptions): object {
  const codes = [...new Set([...r.checks.map((c) => c.code), ...r.findings.map((f) => f.code)])];
  const rules = codes.map((code) => {
    const ci = codeInfo(code) ?? CATALOG.find((x) => x.code === 'EVIDENCE_MISSING')!;
    const page = opts.docUrl(code);
    return {
      id: code,
      name: code.toLowerCase().replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase()).replace(/^./, (ch) => ch.toUpperCase()),
      shortDescription: { text: ci.title },
      fullDescription: { text: ci.summary },
      ...(page ? { helpUri: page } : {}),
      help: page ? { text: `${ci.summary} See ${page}`, markdown: `${ci.summary}\n\nSee [${code}](${page}).` } : { text: ci.summary },
      defaultConfiguration: { level: LEVEL[ci.severity] },
      properties: { tags: ['netsleuth', ci.group], precision: 'high' },
    };
  });
  const ruleIndex = new Map(codes.map((c, i) => [c, i]));
  const uri = artifactUri(r, opts.cwd);
  const kind = r.subjectKind ?? (() => 'resource');
  const results = r.findings.map((f) => ({
    ruleId: f.code,
    ruleIndex: ruleIndex.get(f.code)!,
    level: LEVEL[f.severity],
    message: { text: `${f.title}. ${f.message}` },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri, index: 0 }, region: { startLine: 1 } },
        logicalLocations: f.subjects.map((s) => ({ name: s, fullyQualifiedName: `${kind(s)}/${s}`, kind: kind(s) })),
      },
    ],
    partialFingerprints: { 'netsleuthFinding/v1': createHash('sha256').update(`${f.code}\u0000${f.subjects.join('\u0000')}`).digest('hex').slice(0, 32) },
    properties: { subjects: f.subjects, evidence: f.evidence, remediation: f.remediation },
  }));
  const skipped = r.checks.filter((c) => c.status === 'skipped' || c.reason);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'netsleuth', version: r.toolVersion, semanticVersion: /^\d+\.\d+\.\d+/.test(r.toolVersion) ? r.toolVersion : undefined, rules } },
        automationDetails: { id: `netsleuth/${r.command.replace(/\s+/g, '-')}/` },
        artifacts: [{ location: { uri, index: 0 }, description: { text: r.source.file ? `${r.source.origin} ${r.source.file}` : `live daemon ${r.source.label} (pseudo artifact: the state has no file)` } }],
        invocations: [
          {
            executionSuccessful: true,
            ...(r.time ? { endTimeUtc: r.time } : {}),
            toolConfigurationNotifications: skipped.map((c) => ({ descriptor: { id: c.code }, level: 'note', message: { text: `${c.code}: ${c.status === 'skipped' ? 'skipped' : 'ran'}${c.reason ? ` (${c.reason})` : ''}` } })),
          },
        ],
        results,
        properties: { source: r.source, failOn: r.failOn },
      },
    ],
  };
}
