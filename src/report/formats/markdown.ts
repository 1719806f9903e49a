// Markdown for pull-request comments and incident write-ups: a summary line, a table of the
// findings, then one section per finding with its evidence and remediation. Names come from the
// state (strangers' data): every one is escaped so it cannot inject links, HTML or table cells.

import { codeInfo } from '../../analysis/doctor/catalog.js';
import type { Severity } from '../../model/finding.js';
import type { DocUrl } from '../links.js';
import { sanitize } from '../sanitize.js';
import { gateFailed, summaryLine, type FindingsReport } from './types.js';

const ICON: Record<Severity, string> = { error: '🔴', warning: '🟠', info: '🔵' };

/** Escape text for Markdown (inline, also safe inside a table cell). */
export function md(s: string): string {
  return sanitize(s)
    .replace(/\\/g, '\\\\')
    .replace(/([`*_{}[\]#+!|~>])/g, '\\$1')
    .replace(/</g, '&lt;')
    .replace(/(^|\s)-(?=\s)/g, '$1\\-');
}

/** Inline code span that survives backticks in the content. */
function code(s: string): string {
  const t = sanitize(s);
  const ticks = (t.match(/`+/g) ?? []).reduce((m, x) => Math.max(m, x.length), 0);
  const fence = '`'.repeat(ticks + 1);
  return `${fence}${ticks ? ' ' : ''}${t}${ticks ? ' ' : ''}${fence}`;
}

export interface MarkdownOptions {
  /** The URL of a code's page (docLinker in src/report/links.ts); without it codes are not linked. */
  docUrl?: DocUrl;
}

/** A code, linked to its page when there is a URL for it (URLs come from links.ts, not from the state). */
function codeLink(c: string, docUrl: DocUrl | undefined): string {
  const url = docUrl?.(c);
  return url ? `[${c}](${url.replace(/[\s()<>]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})` : c;
}

export function toMarkdown(r: FindingsReport, opts: MarkdownOptions = {}): string {
  const out: string[] = [];
  out.push(`## netsleuth ${md(r.command)}: ${r.findings.length === 0 ? 'no findings' : `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`}`);
  out.push('');
  out.push(`**Source:** ${r.source.origin} ${code(r.source.label)}  `);
  out.push(`**Summary:** ${md(summaryLine(r))}${r.failOn ? (gateFailed(r) ? ' ❌' : ' ✅') : ''}`);
  out.push('');
  if (r.findings.length) {
    out.push('| | Severity | Code | Finding | Subjects |');
    out.push('| --- | --- | --- | --- | --- |');
    for (const f of r.findings) {
      const subj = f.subjects.slice(0, 6).map(md).join(', ') + (f.subjects.length > 6 ? `, … (${f.subjects.length - 6} more)` : '');
      out.push(`| ${ICON[f.severity]} | ${f.severity} | ${codeLink(f.code, opts.docUrl)} | ${md(f.title)} | ${subj} |`);
    }
    out.push('');
    for (const f of r.findings) {
      out.push(`### ${ICON[f.severity]} ${f.code}: ${md(f.title)}`);
      out.push('');
      out.push(md(f.message));
      out.push('');
      if (f.evidence.length) {
        out.push('**Evidence**');
        out.push('');
        for (const e of f.evidence) out.push(`- ${code(e)}`);
        out.push('');
      }
      out.push(`**Remediation:** ${md(f.remediation)}`);
      out.push('');
      out.push(`More: ${codeLink(f.code, opts.docUrl)}${codeInfo(f.code) ? ` — ${md(codeInfo(f.code)!.summary)}` : ''}`);
      out.push('');
    }
  }
  const notRun = r.checks.filter((c) => c.status === 'skipped' || c.reason);
  if (notRun.length) {
    out.push('<details><summary>Checks skipped or incomplete</summary>');
    out.push('');
    for (const c of notRun) out.push(`- ${c.code}: ${md(c.status === 'skipped' ? `skipped (${c.reason ?? ''})` : c.reason ?? '')}`);
    out.push('');
    out.push('</details>');
    out.push('');
  }
  return out.join('\n');
}
