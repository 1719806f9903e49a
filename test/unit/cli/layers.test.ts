// The layer rule (eslint.config.js, scripts/eslint-layers.js) bites: snippets placed in a layer
// that import upward, a Node builtin or a disallowed package fail; imports that follow the layers
// pass. `npm run lint` (run by scripts/test.sh) checks the real tree with the same config.
// Also: src/ has no import cycles (static, type-only and dynamic imports alike).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('layer rule (netsleuth/layers)', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: ROOT });
  });

  /** The layer rule's messages for `code` placed at `file` (relative to the repository root). */
  async function layerErrors(file: string, code: string): Promise<string[]> {
    const [r] = await eslint.lintText(code, { filePath: join(ROOT, file) });
    return r!.messages.filter((m) => m.ruleId === 'netsleuth/layers' && m.severity === 2).map((m) => m.message);
  }

  it('analysis may not import cli', async () => {
    const errs = await layerErrors('src/analysis/x.ts', "import { exitCodeOf } from '../cli/errors.js';\nexport const f = exitCodeOf;\n");
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^src\/analysis may not import src\/cli \(\.\.\/cli\/errors\.js\)/);
  });

  it('analysis may not import a Node builtin', async () => {
    const errs = await layerErrors('src/analysis/x.ts', "import { readFileSync } from 'node:fs';\nimport { isIP } from 'net';\nexport const f = [readFileSync, isIP];\n");
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/src\/analysis may not import the Node builtin 'node:fs'/);
    expect(errs[1]).toMatch(/src\/analysis may not import the Node builtin 'net'/);
  });

  it('sources may not import analysis', async () => {
    const errs = await layerErrors('src/sources/x.ts', "import { analyzeReach } from '../analysis/reach.js';\nexport const f = analyzeReach;\n");
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^src\/sources may not import src\/analysis/);
  });

  it('catches type-only imports, re-exports, import() and typeof import()', async () => {
    const code = [
      "import type { PortsReport } from '../report/ports.js';",
      "export { renderTrace } from '../report/firewall.js';",
      "export type * from '../sources/open.js';",
      "export async function g(): Promise<unknown> { return (await import('../probe/live.js')).runLive; }",
      "export type Cli = typeof import('../cli/base.js');",
      'export type R = PortsReport;',
      '',
    ].join('\n');
    const errs = await layerErrors('src/analysis/x.ts', code);
    expect(errs.map((e) => /may not import (\S+)/.exec(e)![1])).toEqual(['src/report', 'src/report', 'src/sources', 'src/probe', 'src/cli']);
  });

  it('resolves relative paths: analysis/dns is analysis, src/dns is only allowed for its pure modules', async () => {
    expect(await layerErrors('src/analysis/doctor/x.ts', "export { dnsChecks } from '../dns/checks.js';\n")).toEqual([]);
    expect(await layerErrors('src/analysis/x.ts', "export { searchCandidates } from '../dns/search.js';\n")).toEqual([]);
    const errs = await layerErrors('src/analysis/x.ts', "export { query } from '../dns/client.js';\n");
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^src\/analysis may not import src\/dns \(\.\.\/dns\/client\.js\)/);
  });

  it('packages: only the pure ones the table lists', async () => {
    expect(await layerErrors('src/net/x.ts', "export type IpNum = typeof import('ip-num');\n")).toEqual([]);
    const errs = await layerErrors('src/analysis/x.ts', "import { request } from 'undici';\nexport const f = request;\n");
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/may not import the package 'undici'/);
  });

  it('imports that follow the layers pass', async () => {
    const code = [
      "import type { NetworkState } from '../model/types.js';",
      "import { atLeast } from '../model/finding.js';",
      "import { parseAddr } from '../net/addr.js';",
      "import { compileRuleset } from '../firewall/index.js';",
      "import { analyzeReach } from './reach.js';",
      'export const f = [atLeast, parseAddr, compileRuleset, analyzeReach];',
      'export type S = NetworkState;',
      '',
    ].join('\n');
    expect(await layerErrors('src/analysis/x.ts', code)).toEqual([]);
    expect(await layerErrors('src/report/x.ts', "import type { ReachResult } from '../analysis/reach.js';\nexport type R = ReachResult;\n")).toEqual([]);
    expect(await layerErrors('commands/x.ts', "import { openSource } from '../src/sources/open.js';\nimport { readFileSync } from 'node:fs';\nexport const f = [openSource, readFileSync];\n")).toEqual([]);
  });

  it('model and net do not import upward or the runtime', async () => {
    expect(await layerErrors('src/model/x.ts', "import type { Finding } from './finding.js';\nimport type { Addr } from '../net/addr.js';\nexport type F = [Finding, Addr];\n")).toEqual([]);
    expect(await layerErrors('src/model/x.ts', "import type { PortsResult } from '../analysis/ports.js';\nexport type P = PortsResult;\n")).toHaveLength(1);
    expect(await layerErrors('src/net/x.ts', "import { createRequire } from 'node:module';\nexport const r = createRequire;\n")).toHaveLength(1);
  });

  it('a directory missing from the table is an error, not a free pass', async () => {
    const errs = await layerErrors('src/newthing/x.ts', 'export const x = 1;\n');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/src\/newthing is not in the layer table/);
  });
});

describe('import graph of src/', () => {
  it('has no cycles', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
      }
    };
    walk(join(ROOT, 'src'));
    const edges = new Map<string, string[]>();
    for (const f of files) {
      // preProcessFile lists every module specifier: static, type-only, re-exports, import().
      const { importedFiles } = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
      edges.set(f, importedFiles.map((i) => i.fileName).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(f), s).replace(/\.js$/, '.ts')).filter((t) => t !== f));
    }
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      state.set(f, 'open');
      for (const t of edges.get(f) ?? []) {
        if (!edges.has(t)) continue;
        if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), t].map((p) => relative(ROOT, p)).join(' → '));
        else if (!state.has(t)) visit(t, [...path, t]);
      }
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f, [f]);
    expect(cycles).toEqual([]);
  });
});
