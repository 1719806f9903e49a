// Every catalog code has a page docs/findings/<CODE>.md with the required sections, every page a
// code, and the index lists each code once.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, RESERVED_CODES } from '../../../src/analysis/doctor/catalog.js';
import { PRODUCERS } from '../../../src/analysis/doctor/registry.js';
import { ROOT } from '../../support/cli.js';

const DIR = join(ROOT, 'docs', 'findings');
const pages = readdirSync(DIR).filter((f) => f.endsWith('.md') && f !== 'README.md').map((f) => f.replace(/\.md$/, ''));
const registered = [...new Set([...CATALOG.map((c) => c.code), ...PRODUCERS.flatMap((p) => p.codes)])];

describe('docs/findings', () => {
  it('every registered code has a page', () => {
    expect(registered.filter((c) => !pages.includes(c))).toEqual([]);
  });
  it('every page has a registered code', () => {
    expect(pages.filter((p) => !registered.includes(p))).toEqual([]);
  });
  it('pages have the sections and name their code and severity', () => {
    for (const c of CATALOG) {
      const text = readFileSync(join(DIR, `${c.code}.md`), 'utf8');
      expect(text.startsWith(`# ${c.code}\n`), c.code).toBe(true);
      for (const h of ['## What it means', '## Evidence', '## Why it matters', '## Remediation', '## Example']) expect(text, `${c.code}: ${h}`).toContain(h);
      expect(text).toContain(`severity: ${c.severity}`);
      expect(text).toContain(`"code": "${c.code}"`);
    }
  });
  it('the index links every code once and names the reserved ones as not registered', () => {
    const idx = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const c of CATALOG) expect(idx.split(`](${c.code}.md)`).length - 1, c.code).toBe(1);
    for (const r of RESERVED_CODES) expect(idx).toContain(r);
  });
});
