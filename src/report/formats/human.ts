// The human rendering of findings (doctor's default table format), fitted to the Term's width:
// - default: the summary line, then one line per group of identical findings, ranked by impact
//   (broken now, breaks on deploy/restart, hygiene), severity and count — a triage list;
// - verbose: the same groups with every finding's message, subjects, evidence and fix;
// - explain: what one code means (its docs/findings page) and every instance in the source.
// Everything from the state is sanitized before colour is applied. docs/doctor.md shows samples.

import { codeInfo } from '../../analysis/doctor/catalog.js';
import { IMPACTS, IMPACT_LABEL, impactOf } from '../../analysis/doctor/impact.js';
import { groupFindings, type FindingGroup } from '../../analysis/doctor/triage.js';
import type { Finding, Severity } from '../../model/finding.js';
import type { DocUrl } from '../links.js';
import { sanitize } from '../sanitize.js';
import { PLAIN, displayWidth, fitLines, hang, pad, truncate, type Term } from '../term.js';
import { summaryLine, type FindingsReport } from './types.js';

/** The last line of the default output: where the detail is. */
export const DETAILS_HINT = 'details: netsleuth doctor --verbose, or netsleuth doctor --explain CODE';

const SEV_WIDTH = 7; // "warning"

function paintSeverity(term: Term, sev: Severity, text: string): string {
  return sev === 'error' ? term.c.red(text) : sev === 'warning' ? term.c.yellow(text) : term.c.cyan(text);
}

/**
 * As many items as fit in `width`, then "… +N" for the rest: "a, b, … +1997". A first item too
 * long on its own is cut.
 */
export function fitList(items: readonly string[], width: number): string {
  const n = items.length;
  if (n === 0 || width <= 0) return '';
  let text = '';
  let shown = 0;
  while (shown < n) {
    const next = (shown ? `${text}, ` : '') + items[shown];
    const left = n - shown - 1;
    if (displayWidth(next + (left ? `, … +${left}` : '')) > width) break;
    text = next;
    shown++;
  }
  if (shown === n) return text;
  if (shown > 0) return `${text}, … +${n - shown}`;
  const tail = n > 1 ? `, … +${n - 1}` : '';
  const room = width - displayWidth(tail);
  return room >= 4 ? truncate(items[0]!, room) + tail : truncate(`… +${n}`, width);
}

const codeLabel = (g: FindingGroup) => (g.findings.length > 1 ? `${g.code} ×${g.findings.length}` : g.code);

/** The lines every human rendering starts with: what was checked, and the counts. */
function head(r: FindingsReport, term: Term): string[] {
  return [
    fitLines(sanitize(`netsleuth ${r.command}: ${r.source.origin} ${r.source.label}`), term.width),
    // Too long (thousands of findings, a narrow terminal): the gate goes on a line of its own.
    ...summaryLine(r, (sev, t) => paintSeverity(term, sev, t))
      .split(displayWidth(summaryLine(r)) > term.width ? /; (?=gate )/ : /$^/)
      .flatMap((part) => hang(part, term.width, '', 2)),
  ];
}

/** Checks that ran without all their evidence (the EVIDENCE_MISSING findings say which). */
function incompleteLine(r: FindingsReport, term: Term): string[] {
  const incomplete = r.checks.filter((c) => c.status === 'run' && c.reason);
  if (!incomplete.length) return [];
  const codes = incomplete.map((c) => c.code);
  const lead = `not fully checked (${incomplete.length}): `;
  const tail = ' — see EVIDENCE_MISSING';
  if (term.verbose) return ['', ...hang(`${lead}${codes.join(', ')}${tail}`, term.width, '', 2)];
  return ['', truncate(`${lead}${fitList(codes, term.width - displayWidth(lead + tail))}${tail}`, term.width)];
}

/** One line per group: severity, code ×count, and as many subjects as the width leaves room for. */
function groupLines(groups: readonly FindingGroup[], term: Term, codeWidth: number): string[] {
  const out: string[] = [];
  for (const g of groups) {
    const lead = `  ${pad(g.severity, SEV_WIDTH)}  ${pad(codeLabel(g), codeWidth)}  ${g.variant ? `(${sanitize(g.variant)}) ` : ''}`;
    const subjects = fitList(g.subjects.map(sanitize), term.width - displayWidth(lead));
    const line = truncate(`${lead}${subjects}`.trimEnd(), term.width);
    out.push(line.replace(g.severity, paintSeverity(term, g.severity, g.severity)));
  }
  return out;
}

/** Every detail of one finding, wrapped to the width under its label. */
function findingDetail(f: Finding, term: Term, indent: number, withFix: boolean): string[] {
  const sp = ' '.repeat(indent);
  const out = [...hang(sanitize(f.title), term.width, `${sp}- `), ...hang(sanitize(f.message), term.width, `${sp}  `)];
  const more = `${sp}  `;
  if (f.subjects.length) out.push(...hang(sanitize(f.subjects.join(', ')), term.width, `${more}subjects: `));
  for (const e of f.evidence) out.push(...hang(sanitize(e), term.width, `${more}evidence: `));
  if (withFix) out.push(...hang(sanitize(f.remediation), term.width, `${more}fix: `));
  return out;
}

/**
 * The code's page: `docs: <where>` on one line when it fits, else the address alone on the next
 * line — never wrapped or cut, so it can be copied (or clicked) whole.
 */
/**
 * The code's page: its absolute URL (docLinker: the package's repository, or NETSLEUTH_DOCS_URL),
 * else the page's path in the package. A URL is never cut or wrapped (terminals make it
 * clickable): when it does not fit it stands alone on its own line.
 */
function docsLines(code: string, term: Term, indent: string, docUrl?: DocUrl): string[] {
  const where = docUrl?.(code) ?? `docs/findings/${code}.md`;
  const line = `${indent}docs: ${where}`;
  return displayWidth(line) <= term.width ? [line] : [`${indent}docs:`, displayWidth(indent + where) <= term.width ? indent + where : where];
}

/** A group in full: its line, each finding's detail, the fix (once when all findings share it) and the page. */
function groupDetail(g: FindingGroup, term: Term, docUrl?: DocUrl): string[] {
  const title = codeInfo(g.code)?.title;
  const sev = paintSeverity(term, g.severity, g.severity);
  const out = hang(`${codeLabel(g)}${g.variant ? ` (${sanitize(g.variant)})` : ''}${title ? ` — ${title}` : ''}`, term.width - SEV_WIDTH - 4, '', 2).map((l, i) =>
    i === 0 ? `  ${sev}${' '.repeat(SEV_WIDTH - g.severity.length)}  ${l}` : `  ${' '.repeat(SEV_WIDTH + 2)}${l}`,
  );
  const sharedFix = g.findings.every((f) => f.remediation === g.findings[0]!.remediation);
  for (const f of g.findings) out.push(...findingDetail(f, term, 4, !sharedFix));
  if (sharedFix) out.push(...hang(sanitize(g.findings[0]!.remediation), term.width, '    fix: '));
  out.push(...docsLines(g.code, term, '    ', docUrl));
  return out;
}

export function renderFindings(r: FindingsReport, term: Term = PLAIN, docUrl?: DocUrl): string {
  const out = head(r, term);
  const groups = groupFindings(r.findings);
  const codeWidth = Math.max(0, ...groups.map((g) => displayWidth(codeLabel(g))));
  for (const impact of IMPACTS) {
    const gs = groups.filter((g) => g.impact === impact);
    if (!gs.length) continue;
    out.push('');
    out.push(term.c.bold(IMPACT_LABEL[impact].toUpperCase()));
    if (term.verbose) gs.forEach((g, i) => out.push(...(i ? [''] : []), ...groupDetail(g, term, docUrl)));
    else out.push(...groupLines(gs, term, codeWidth));
  }
  out.push(...incompleteLine(r, term));
  out.push('');
  if (r.findings.length === 0) out.push('no findings');
  else if (!term.verbose) out.push(term.c.dim(truncate(DETAILS_HINT, term.width)));
  else out.push(truncate('one code: netsleuth doctor --explain CODE', term.width));
  return out.join('\n');
}

/**
 * A docs/findings page as terminal text: the sections that explain the code (the title line, the
 * "Example" JSON and the research-note pointers are left out; the instances below replace them),
 * Markdown marks removed, every line fitted.
 */
export function pageText(page: string, term: Term = PLAIN): string[] {
  const out: string[] = [];
  let keep = false;
  let fence = false;
  let afterHeading = false;
  for (const raw of page.split('\n')) {
    if (/^```/.test(raw)) {
      fence = !fence;
      continue;
    }
    if (fence) continue;
    const h = /^##\s+(.*)$/.exec(raw);
    if (h) {
      keep = !/^example/i.test(h[1]!);
      if (keep) out.push(...(out.length && out[out.length - 1] !== '' ? [''] : []), term.c.bold(truncate(h[1]!.trim(), term.width)));
      afterHeading = true;
      continue;
    }
    if (!keep || /^Scenarios?:/.test(raw)) continue;
    if (!raw.trim()) {
      if (!afterHeading && out.length && out[out.length - 1] !== '') out.push('');
      continue;
    }
    afterHeading = false;
    const text = raw
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\*\*([^*]*)\*\*/g, '$1')
      .replace(/`([^`]*)`/g, '$1')
      .trim();
    out.push(...fitLines(`  ${text}`, term.width).split('\n'));
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * `doctor --explain CODE`: what the code means (its page, else the catalog summary), then every
 * finding of that code in the source, in full, grouped like the triage list.
 */
export function renderExplain(r: FindingsReport, code: string, page: string | null, term: Term = PLAIN, docUrl?: DocUrl): string {
  const info = codeInfo(code);
  const findings = r.findings.filter((f) => f.code === code);
  const out: string[] = [];
  out.push(...hang(`${term.c.bold(code)}: ${info?.title ?? ''}`, term.width, '', 2));
  if (info) {
    out.push(...hang(`severity: ${paintSeverity(term, info.severity, info.severity)} (at worst) · impact: ${IMPACT_LABEL[impactOf(code)]} · check: ${info.group}`, term.width, '', 2));
  }
  out.push('');
  const text = page ? pageText(page, term) : [];
  if (text.length) out.push(...text);
  else if (info) out.push('What it means', ...hang(info.summary, term.width, '  '));
  out.push('');
  out.push(...fitLines(sanitize(`In this source: ${findings.length ? `${findings.length} finding${findings.length === 1 ? '' : 's'}` : 'none'} (${r.source.origin} ${r.source.label})`), term.width).split('\n'));
  const check = r.checks.find((c) => c.code === code);
  if (check?.status === 'skipped') out.push(...hang(`the check did not run: ${check.reason ?? 'skipped'}`, term.width, '  '));
  else if (check?.reason) out.push(...hang(check.reason, term.width, '  '));
  const groups = groupFindings(findings);
  groups.forEach((g) => out.push('', ...groupDetail(g, term, docUrl)));
  if (!groups.length) out.push(...docsLines(code, term, '', docUrl));
  return out.join('\n');
}
