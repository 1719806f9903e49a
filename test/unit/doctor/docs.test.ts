// Every catalog code has a page docs/findings/<CODE>.md with the required sections, every page a
// code, and the index lists each code once. The pages are read on GitHub or in an installed
// package, by operators: they cite nothing that only exists in a checkout or in internal notes.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
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
      for (const h of ['## What it means', '## Evidence', '## Why it matters', '## Confirm by hand', '## Remediation', '## Example']) expect(text, `${c.code}: ${h}`).toContain(h);
      expect(text).toContain(`severity: ${c.severity}`);
      expect(text).toContain(`"code": "${c.code}"`);
    }
  });
  it('the index links every code once and names the reserved ones as not registered', () => {
    const idx = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const c of CATALOG) expect(idx.split(`](${c.code}.md)`).length - 1, c.code).toBe(1);
    for (const r of RESERVED_CODES) expect(idx).toContain(r);
  });

  it('every page says how to confirm it by hand, with commands an operator runs on the host', () => {
    for (const c of CATALOG) {
      const text = readFileSync(join(DIR, `${c.code}.md`), 'utf8');
      const section = text.split('## Confirm by hand')[1]?.split('\n## ')[0] ?? '';
      const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
      const commands = block.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
      expect(commands.length, c.code).toBeGreaterThan(0);
      for (const l of commands) expect(l, `${c.code}: ${l}`).toMatch(/^(sudo )?(docker|ip|iptables|iptables-save|nft|nsenter|ss|sysctl|lsmod|cat|jq|ufw|resolvectl|tcpdump|curl|netsleuth) /);
    }
  });

  // What a reader outside this repository cannot open: internal notes, test code and fixtures,
  // source paths, and links that leave docs/ or point at nothing.
  const FORBIDDEN: Array<[RegExp, string]> = [
    [/netshoot/i, 'internal research notes (netshoot-docker.md)'],
    [/research notes/i, 'internal research notes'],
    [/\bfixtures?\b/i, 'test fixtures'],
    [/(^|[\s(`'"])\.{0,2}\/?(test|src|scripts|bench|commands)\/[\w./-]+/m, 'a path that only exists in a checkout'],
    [/\.(ts|mjs)\b/, 'a source file'],
  ];
  const files = readdirSync(DIR).filter((f) => f.endsWith('.md'));

  it('pages cite no internal notes, test fixtures or checkout-only paths', () => {
    const hits: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(DIR, f), 'utf8');
      for (const [re, what] of FORBIDDEN) {
        const m = re.exec(text);
        if (m) hits.push(`${f}: ${what}: ${JSON.stringify(m[0].trim())}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('relative links stay inside docs/ and point at files that exist', () => {
    const docs = join(ROOT, 'docs');
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(DIR, f), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const abs = resolve(dirname(join(DIR, f)), target);
        const rel = relative(docs, abs);
        if (rel.startsWith('..') || rel.startsWith(sep)) bad.push(`${f}: ${target} leaves docs/`);
        else if (!existsSync(abs)) bad.push(`${f}: ${target} does not exist`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the scan can fail: it flags what the pages used to cite', () => {
    const old = 'Scenarios: P6 in the Docker failure catalogue of the project research notes (netshoot-docker.md).\nFrom the unit-test fixture that triggers it (`test/unit/doctor/fixtures.ts`)';
    const flagged = FORBIDDEN.filter(([re]) => re.test(old)).map(([, what]) => what);
    expect(flagged).toEqual(expect.arrayContaining(['internal research notes (netshoot-docker.md)', 'test fixtures', 'a path that only exists in a checkout', 'a source file']));
    expect(FORBIDDEN.filter(([re]) => re.test('check: `ports` (src/analysis/ports.ts)')).length).toBeGreaterThan(0);
  });
});
