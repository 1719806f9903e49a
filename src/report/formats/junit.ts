// JUnit XML for CI systems (Jenkins, GitLab, Azure, GitHub test reporters): one testcase per
// check (catalog code); a check with findings at or above the gate fails (one <failure> listing
// them); findings below the gate go to <system-out>; checks not run are <skipped>. The counts in
// <testsuites>/<testsuite> are computed from the same testcases.

import { atLeast } from '../../model/finding.js';
import type { DocUrl } from '../links.js';
import type { FindingsReport } from './types.js';
import { xmlAttr, xmlText } from './xml.js';

export interface JunitOptions {
  /** The URL of a code's page (docLinker in src/report/links.ts), added to a failure's text. */
  docUrl?: DocUrl;
}

export function toJunit(r: FindingsReport, opts: JunitOptions = {}): string {
  // --fail-on none: nothing fails the run, so no testcase fails either (findings stay in system-out).
  const gate = r.failOn;
  const byCode = new Map<string, FindingsReport['findings']>();
  for (const f of r.findings) {
    const l = byCode.get(f.code);
    if (l) l.push(f);
    else byCode.set(f.code, [f]);
  }
  const checks = [...r.checks];
  // Findings of a code the check list does not name still get a testcase (never dropped).
  for (const code of byCode.keys()) {
    if (!checks.some((c) => c.code === code)) checks.push({ code, group: 'state', title: code, severity: byCode.get(code)![0]!.severity, status: 'run', reason: null, findings: byCode.get(code)!.length, docs: `docs/findings/${code}.md` });
  }
  let failures = 0;
  let skipped = 0;
  const cases: string[] = [];
  for (const c of checks) {
    const fs = byCode.get(c.code) ?? [];
    const failing = gate ? fs.filter((f) => atLeast(f.severity, gate)) : [];
    const below = gate ? fs.filter((f) => !atLeast(f.severity, gate)) : fs;
    const name = `${c.code}: ${c.title}`;
    const open = `    <testcase classname="netsleuth.${xmlAttr(r.command.replace(/\s+/g, '-'))}.${xmlAttr(c.group)}" name="${xmlAttr(name)}" time="0"`;
    const body: string[] = [];
    if (c.status === 'skipped' && fs.length === 0) {
      skipped++;
      body.push(`      <skipped message="${xmlAttr(c.reason ?? 'skipped')}"/>`);
    } else if (failing.length) {
      failures++;
      const text = failing.map((f) => `[${f.severity}] ${f.title}\n${f.message}\nsubjects: ${f.subjects.join(', ')}\n${f.evidence.map((e) => `evidence: ${e}`).join('\n')}\nremediation: ${f.remediation}`).join('\n\n');
      const url = opts.docUrl?.(c.code);
      body.push(`      <failure message="${xmlAttr(`${failing.length} finding(s) at or above ${gate}: ${failing[0]!.title}`)}" type="${xmlAttr(c.code)}">${xmlText(url ? `${text}\n\ndocs: ${url}` : text)}</failure>`);
    }
    const out = [...below.map((f) => `[${f.severity}] ${f.title}: ${f.message}`), ...(c.reason && c.status === 'run' ? [`note: ${c.reason}`] : [])];
    if (out.length) body.push(`      <system-out>${xmlText(out.join('\n'))}</system-out>`);
    cases.push(body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`);
  }
  const tests = checks.length;
  const suiteName = `netsleuth ${r.command}`;
  const ts = r.time ?? new Date().toISOString();
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="0"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlAttr(suiteName)}" ${counts}>`,
    `  <testsuite name="${xmlAttr(`${suiteName}: ${r.source.label}`)}" ${counts} timestamp="${xmlAttr(ts.replace(/\.\d+Z$/, ''))}">`,
    '    <properties>',
    `      <property name="source" value="${xmlAttr(`${r.source.origin} ${r.source.label}`)}"/>`,
    `      <property name="fail-on" value="${xmlAttr(gate ?? 'none')}"/>`,
    `      <property name="netsleuth-version" value="${xmlAttr(r.toolVersion)}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
