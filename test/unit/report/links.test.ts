// Finding links work on any machine: built from package.json's repository and version (or
// NETSLEUTH_DOCS_URL), never a path of the machine that ran the report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/analysis/doctor/registry.js';
import { renderDocument } from '../../../src/report/formats/emit.js';
import type { FindingsReport } from '../../../src/report/formats/types.js';
import { docLinker, docsTemplate, repositoryWebUrl, type PackageFacts } from '../../../src/report/links.js';
import { ROOT } from '../../support/cli.js';
import { CASES } from '../doctor/fixtures.js';

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageFacts & { version: string };

function report(): FindingsReport {
  const r = runDoctor(CASES.PORT_ALLOCATED_BY_CONTAINER!.yes());
  return { command: 'doctor', toolVersion: PKG.version, source: { origin: 'snapshot', label: 'x.json', file: 'x.json' }, failOn: 'error', findings: r.findings, checks: r.checks };
}
type Sarif = { runs: Array<{ tool: { driver: { rules: Array<{ id: string; helpUri?: string; help: { text: string; markdown?: string } }> } } }> };

describe('finding links', () => {
  it('package.json names the public repository, homepage and issue tracker', () => {
    expect(PKG.homepage).toBe('https://github.com/netsleuth/netsleuth#readme');
    expect(PKG.repository).toEqual({ type: 'git', url: 'git+https://github.com/netsleuth/netsleuth.git' });
    expect((PKG as { bugs?: { url?: string } }).bugs?.url).toBe('https://github.com/netsleuth/netsleuth/issues');
  });

  it('default: the page in the repository at this version\'s tag', () => {
    expect(docLinker(PKG)('RISKY_EXPOSURE')).toBe(`https://github.com/netsleuth/netsleuth/blob/v${PKG.version}/docs/findings/RISKY_EXPOSURE.md`);
    // a build that is not a release version links the default branch
    expect(docLinker({ ...PKG, version: 'dev' })('MTU_MISMATCH')).toBe('https://github.com/netsleuth/netsleuth/blob/HEAD/docs/findings/MTU_MISMATCH.md');
  });

  it('understands the repository forms npm accepts', () => {
    for (const r of ['git+https://github.com/o/r.git', 'https://github.com/o/r', 'github:o/r', 'o/r', 'git@github.com:o/r.git', 'git://github.com/o/r.git', { type: 'git', url: 'git+ssh://git@github.com/o/r.git' }]) {
      expect(repositoryWebUrl(r), JSON.stringify(r)).toBe('https://github.com/o/r');
    }
    expect(docsTemplate({ version: '1.2.3', repository: 'gitlab:g/p' })).toBe('https://gitlab.com/g/p/-/blob/v1.2.3/docs/findings/{code}.md');
    expect(repositoryWebUrl('file:../local')).toBeNull();
    expect(docsTemplate({ version: '1.2.3', homepage: 'https://netsleuth.example/#top' })).toBe('https://netsleuth.example/docs/findings/{code}.md');
    // nothing to link: no link, rather than an invented or local one
    expect(docLinker({ version: '1.2.3' })('MTU_MISMATCH')).toBeNull();
  });

  it('NETSLEUTH_DOCS_URL overrides: a base URL, or a template with {code}', () => {
    expect(docLinker(PKG, { NETSLEUTH_DOCS_URL: 'https://docs.corp.example/netsleuth' })('MTU_MISMATCH')).toBe('https://docs.corp.example/netsleuth/MTU_MISMATCH.md');
    expect(docLinker(PKG, { NETSLEUTH_DOCS_URL: 'https://docs.corp.example/f/' })('MTU_MISMATCH')).toBe('https://docs.corp.example/f/MTU_MISMATCH.md');
    expect(docLinker(PKG, { NETSLEUTH_DOCS_URL: 'https://wiki.example/x?page={code}' })('MTU_MISMATCH')).toBe('https://wiki.example/x?page=MTU_MISMATCH');
    expect(docLinker(PKG, { NETSLEUTH_DOCS_URL: '  ' })('MTU_MISMATCH')).toContain('https://github.com/');
  });

  it('refuses a NETSLEUTH_DOCS_URL that would be a local path on the reader\'s machine', () => {
    expect(() => docLinker(PKG, { NETSLEUTH_DOCS_URL: 'file:///usr/lib/node_modules/netsleuth/docs/findings/' })).toThrow(/http\(s\)/);
    expect(() => docLinker(PKG, { NETSLEUTH_DOCS_URL: '/srv/docs' })).toThrow(/not a URL/);
  });

  it('SARIF helpUri is https, from package.json, overridable, never file://', () => {
    const sarif = JSON.parse(renderDocument(report(), 'sarif', PKG, {})) as Sarif;
    const rules = sarif.runs[0]!.tool.driver.rules;
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.helpUri).toBe(`https://github.com/netsleuth/netsleuth/blob/v${PKG.version}/docs/findings/${rule.id}.md`);
      expect(rule.help.text).toContain(rule.helpUri);
    }
    const text = renderDocument(report(), 'sarif', PKG, {});
    expect(text).not.toContain('file://');
    expect(text).not.toContain(ROOT);
    const over = JSON.parse(renderDocument(report(), 'sarif', PKG, { NETSLEUTH_DOCS_URL: 'https://docs.corp.example/nf/{code}.html' })) as Sarif;
    for (const rule of over.runs[0]!.tool.driver.rules) expect(rule.helpUri).toBe(`https://docs.corp.example/nf/${rule.id}.html`);
    // no repository in the package: the rule has no helpUri at all, not a local one
    const bare = JSON.parse(renderDocument(report(), 'sarif', { version: '0.1.0' }, {})) as Sarif;
    for (const rule of bare.runs[0]!.tool.driver.rules) expect(rule.helpUri).toBeUndefined();
  });

  it('Markdown and JUnit link the same URL', () => {
    const url = `https://github.com/netsleuth/netsleuth/blob/v${PKG.version}/docs/findings/PORT_ALLOCATED_BY_CONTAINER.md`;
    const md = renderDocument(report(), 'markdown', PKG, {});
    expect(md).toContain(`[PORT_ALLOCATED_BY_CONTAINER](${url})`);
    expect(md).not.toContain('](docs/');
    const junit = renderDocument(report(), 'junit', PKG, {});
    expect(junit).toContain(`docs: ${url}`);
  });
});
