// The README's command lines that name a bundled file run verbatim: every line of a fenced `sh`
// block that mentions docs/examples/ is run with the built CLI and must exit 0, or the exit code
// its comment declares ("... (exit 1)" on the line itself or on the comment line just above it).
// The docs/*.md pages' `sh` lines that name bundled files must at least run: paths that exist, no
// bad usage (exit 0, or 1 for an answer that fails a gate, unless they declare a code).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, assertBuilt, runCli } from '../../support/cli.js';

interface Line {
  file: string;
  line: number;
  text: string;
  /** Exit code declared in a comment, or null. */
  exit: number | null;
}

/** Command lines of fenced `sh` blocks that mention docs/examples/ (continuations joined). */
function exampleLines(markdown: string, file: string): Line[] {
  const out: Line[] = [];
  let inSh = false;
  let pending = '';
  let pendingStart = 0;
  let lastComment = '';
  const lines = markdown.split('\n');
  lines.forEach((raw, i) => {
    if (/^```/.test(raw)) {
      inSh = !inSh && /^```(sh|bash|shell)\s*$/.test(raw);
      lastComment = '';
      return;
    }
    if (!inSh) return;
    const t = raw.trim();
    if (t.startsWith('#')) {
      lastComment = t;
      return;
    }
    if (!pending) pendingStart = i + 1;
    if (t.endsWith('\\')) {
      pending += `${t.slice(0, -1).trimEnd()} `;
      return;
    }
    const text = pending + t;
    pending = '';
    if (text && text.includes('docs/examples/')) {
      const declared = /\bexit (\d)\b/.exec(`${text.includes('#') ? text.slice(text.indexOf('#')) : ''} ${lastComment}`);
      out.push({ file, line: pendingStart, text, exit: declared ? Number(declared[1]) : null });
    }
    lastComment = ''; // a comment declares the code of the one line below it
  });
  return out;
}

/** `netsleuth ARGS` / `node bin/run.js ARGS` (optionally after sudo) → ARGS; null for other commands. */
function cliArgs(text: string): string[] | null {
  const cmd = text.replace(/\s+#.*$/, '').trim();
  if (/[|;&<>`$()]/.test(cmd.replace(/\s-o\s+\S+/, ''))) throw new Error(`not a plain command line: ${text}`);
  const m = /^(?:sudo\s+)?(?:netsleuth|node\s+bin\/run\.js)\s+(.*)$/.exec(cmd);
  return m ? m[1]!.split(/\s+/) : null;
}

// Lines that write files (graph -o topology.svg) write into a scratch directory whose docs/ is the repository's.
const scratch = mkdtempSync(join(tmpdir(), 'netsleuth-readme-'));
symlinkSync(join(ROOT, 'docs'), join(scratch, 'docs'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const readme = exampleLines(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'README.md');
const docs = readdirSync(join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .flatMap((f) => exampleLines(readFileSync(join(ROOT, 'docs', f), 'utf8'), `docs/${f}`));

describe('README command lines', () => {
  it('the extractor finds lines, joins continuations and reads declared exit codes', () => {
    const md = ['```sh', '# fails on purpose (exit 1)', 'netsleuth doctor -s docs/examples/a.json', 'netsleuth x \\', '  -s docs/examples/b.json   # exit 2', 'netsleuth y', '```', '```', 'netsleuth z docs/examples/c.json', '```'].join('\n');
    expect(exampleLines(md, 'x.md')).toEqual([
      { file: 'x.md', line: 3, text: 'netsleuth doctor -s docs/examples/a.json', exit: 1 },
      { file: 'x.md', line: 4, text: 'netsleuth x -s docs/examples/b.json   # exit 2', exit: 2 },
    ]);
    expect(cliArgs('node bin/run.js reach a b --port 5432 # c')).toEqual(['reach', 'a', 'b', '--port', '5432']);
    expect(cliArgs('npm run example')).toBeNull();
  });

  it('the README names the bundled pair and no file that is not there', () => {
    expect(readme.length).toBeGreaterThanOrEqual(10);
    const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const m of text.matchAll(/docs\/examples\/[\w.-]+/g)) expect(readdirSync(join(ROOT, 'docs', 'examples')), m[0]).toContain(m[0].slice('docs/examples/'.length));
    expect(readme.some((l) => l.text.includes('example-after.snapshot.json'))).toBe(true);
  });

  it.each(readme.map((l) => [`${l.file}:${l.line}`, l] as const))('%s runs with the exit code it declares', async (_, l) => {
    const args = cliArgs(l.text);
    expect(args, l.text).not.toBeNull();
    const r = await runCli(args!, { cwd: scratch, env: { COLUMNS: '80' }, timeoutMs: 60_000 });
    expect({ line: l.text, code: r.code, stderr: r.stderr.slice(0, 300) }).toEqual({ line: l.text, code: l.exit ?? 0, stderr: expect.any(String) });
  }, 90_000);

  it.each(docs.map((l) => [`${l.file}:${l.line}`, l] as const))('%s runs (declared exit code, else 0 or 1)', async (_, l) => {
    const args = cliArgs(l.text);
    if (!args) return; // not a netsleuth line
    const r = await runCli(args, { cwd: scratch, env: { COLUMNS: '80' }, timeoutMs: 60_000 });
    if (l.exit !== null) expect(r.code, `${l.text}\n${r.stderr}`).toBe(l.exit);
    else expect([0, 1], `${l.text}\n${r.stderr}`).toContain(r.code);
  }, 90_000);
});

describe('npm run example', () => {
  it('shows doctor on the example, the diff of the pair with verdicts flipped both ways, and what to try next', () => {
    assertBuilt();
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.example).toBe('node scripts/example.mjs');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'example.mjs')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', COLUMNS: '80' }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain('netsleuth doctor: snapshot docs/examples/example.snapshot.json');
    expect(out).toMatch(/3 errors/);
    expect(out).toContain('PORT_CONFLICT_STOPPED_CONTAINER');
    expect(out).toMatch(/shop-web-1 → shop-db-1: reachable → blocked/);
    expect(out).toMatch(/quarantine-b → shop-proxy-1: blocked → reachable/);
    const tries = out.slice(out.indexOf('try next')).split('\n').filter((l) => l.trim().startsWith('node bin/run.js'));
    expect(tries.length).toBeGreaterThanOrEqual(3);
    expect(tries.length).toBeLessThanOrEqual(5);
    expect(out).toContain('reach shop-proxy-1 shop-cache-1 -p 6379');
    for (const l of out.slice(out.indexOf('try next')).split('\n')) expect(l.length, l).toBeLessThanOrEqual(80);
  }, 90_000);
});
