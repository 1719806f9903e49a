// Markdown report: summary, table, one section per finding with evidence and remediation; names
// from the state cannot inject links, HTML or table cells.
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/analysis/doctor/registry.js';
import { md, toMarkdown } from '../../../src/report/formats/markdown.js';
import { renderFindings } from '../../../src/report/formats/human.js';
import type { FindingsReport } from '../../../src/report/formats/types.js';
import { docLinker } from '../../../src/report/links.js';
import { network, snapshot } from '../../support/build-snapshot.js';
import { CASES, bind, publishing } from '../doctor/fixtures.js';

function report(s: ReturnType<typeof snapshot>['state'], failOn: FindingsReport['failOn'] = 'error'): FindingsReport {
  const r = runDoctor(s);
  return { command: 'doctor', toolVersion: '0.1.0', source: { origin: 'snapshot', label: 'x.json', file: 'x.json' }, failOn, findings: r.findings, checks: r.checks };
}

describe('Markdown and table renderings', () => {
  it('has the summary, a table row and a section per finding, with links to the pages', () => {
    const r = report(CASES.PORT_ALLOCATED_BY_CONTAINER!.yes());
    const text = toMarkdown(r, { docUrl: docLinker({ version: '0.1.0', repository: 'github:netsleuth/netsleuth' }) });
    expect(text).toMatch(/^## netsleuth doctor: \d+ findings/);
    expect(text).toContain('**Summary:** 1 error');
    expect(text).toContain('FAILED');
    const rows = text.split('\n').filter((l) => /^\| (🔴|🟠|🔵) \|/.test(l));
    expect(rows).toHaveLength(r.findings.length);
    expect(text.match(/^### /gm)).toHaveLength(r.findings.length);
    expect(text).toContain('[PORT_ALLOCATED_BY_CONTAINER](https://github.com/netsleuth/netsleuth/blob/v0.1.0/docs/findings/PORT_ALLOCATED_BY_CONTAINER.md)');
    expect(text).not.toMatch(/\]\((?!https:)/);
    expect(text).toContain('**Remediation:**');
  });

  it('escapes hostile names: no raw HTML, no extra table cells, no links', () => {
    const net = network('n', '10.9.0.0/24');
    const evil = 'x|y<img src=x>[click](http://evil)`';
    const s = snapshot({ networks: [net], containers: [publishing(evil, net, '10.9.0.2', [bind(8080, 80)]), publishing('b', net, '10.9.0.3', [bind(8080, 80)])] }).state;
    const text = toMarkdown(report(s), { docUrl: (c) => `https://docs.example/${c}.md` });
    // Code spans show their content literally; everywhere else the name must be escaped.
    const outsideCode = text.replace(/(`+) .*? \1|`[^`]*`/g, '');
    expect(outsideCode).not.toContain('<img');
    expect(outsideCode).not.toContain('[click](http://evil)');
    expect(text).toContain('- `` x|y<img src=x>[click](http://evil)` ``'.slice(0, 5));
    const row = text.split('\n').find((l) => l.includes('PORT_ALLOCATED_BY_CONTAINER](') && l.startsWith('|'))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(7); // 5 cells + the outer pipes
    expect(md('a|b')).toBe('a\\|b');
  });

  it('the table format groups by impact with a one-line summary, and sanitizes', () => {
    const r = report(CASES.PORT_ALLOCATED_BY_CONTAINER!.yes());
    const text = renderFindings(r);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^1 error, \d+ warnings?, \d+ info \(\d+ checks run, 1 skipped\); gate error: FAILED$/);
    expect(lines[3]).toBe('TRAFFIC BROKEN NOW');
    expect(lines[4]).toMatch(/^ {2}error {4}PORT_ALLOCATED_BY_CONTAINER /);
    expect(renderFindings({ ...r, findings: [], failOn: 'error' })).toContain('no findings');
    expect(renderFindings({ ...r, findings: [{ ...r.findings[0]!, title: 'evil\u001b[2J' }] })).not.toContain('\u001b');
  });
});
