// The snapshot commands as a user runs them: real processes, real exit codes, one-line errors.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE, expectOneLineError, runCli, ROOT as ROOT_DIR } from '../../support/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netsleuth-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('snapshot show / validate on the bundled example', () => {
  it('show prints host, evidence, networks and containers', async () => {
    const r = await runCli(['snapshot', 'show', EXAMPLE]);
    expect(r.code).toBe(0);
    // A long checkout path wraps under its label: read the value with its continuation lines joined.
    expect(r.stdout.replace(/\n {10}(?=\S)/g, '')).toMatch(/^Snapshot +.*example\.snapshot\.json/m);
    expect(r.stdout).toMatch(/^Host +\S+ +Docker /m);
    expect(r.stdout).toMatch(/^NETWORKS \(\d+\)/m);
    expect(r.stdout).toMatch(/^CONTAINERS \(\d+\)/m);
    expect(r.stdout).toContain('shop_front');
    expect(r.stderr).toBe('');
  });

  it('show --json prints only JSON, with the documented keys', async () => {
    const r = await runCli(['snapshot', 'show', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['schemaVersion', 'command', 'source', 'capture', 'hosts', 'networks', 'containers']);
    const example = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    expect(doc.containers).toHaveLength(example.state.containers.length);
    expect(doc.networks.map((n: { name: string }) => n.name)).toContain('shop_back');
  });

  it('validate says valid and exits 0', async () => {
    const r = await runCli(['snapshot', 'validate', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, schema: 'netsleuth.snapshot/v1' });
  });
});

describe('bad input: one line, exit 2, no stack trace', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['not JSON', () => write('junk.json', 'hello'), /junk\.json: not valid JSON/],
    ['truncated gzip', () => write('cut.json.gz', gzipSync(readFileSync(EXAMPLE)).subarray(0, 300)), /cut\.json\.gz: (truncated|corrupt) gzip data/],
    ['wrong schema version', () => write('v2.json', JSON.stringify({ schema: 'netsleuth.snapshot/v2' })), /unsupported snapshot schema "netsleuth\.snapshot\/v2" at \$\.schema/],
    [
      'schema-invalid document',
      () => {
        const doc = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
        doc.state.networks[0].internal = 'no';
        return write('inv.json', JSON.stringify(doc));
      },
      /inv\.json: invalid snapshot at \$\.state\.networks\[0\]\.internal: must be boolean/,
    ],
    ['missing file', () => join(dir, 'absent.json'), /absent\.json: no such snapshot file/],
  ];
  for (const [what, make, pattern] of cases) {
    for (const cmd of ['show', 'validate']) {
      it(`${cmd}: ${what}`, async () => {
        const r = await runCli(['snapshot', cmd, make()]);
        expect(r.code).toBe(2);
        expect(expectOneLineError(r)).toMatch(pattern);
        expect(r.stdout).toBe('');
      });
    }
  }

  it('with --json the error is also JSON on stdout', async () => {
    const r = await runCli(['snapshot', 'validate', write('junk2.json', '{'), '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ exitCode: 2 });
  });

  it('unknown flags and missing arguments are usage errors (exit 2)', async () => {
    const r1 = await runCli(['snapshot', 'show', EXAMPLE, '--bogus']);
    expect(r1.code).toBe(2);
    expect(expectOneLineError(r1)).toBe('netsleuth: unknown flag --bogus');
    const r2 = await runCli(['snapshot', 'show']);
    expect(r2.code).toBe(2);
    expect(expectOneLineError(r2)).toBe('netsleuth: FILE is missing: give it as an argument or with --snapshot');
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const r = await runCli(['snapshot', 'frobnicate']);
    expect(r.code).toBe(2);
  });
});

describe('--help and --version', () => {
  it('every snapshot command has help with examples', async () => {
    for (const cmd of ['capture', 'show', 'validate']) {
      const r = await runCli(['snapshot', cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/EXAMPLES/);
    }
  });
  it('--version prints exactly what oclif prints, without loading oclif', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    const { version } = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8'));
    expect(r.stdout).toBe(`netsleuth/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
    // oclif's own rendering (Config.userAgent, what its --version prints) must match the fast path.
    const { Config } = await import('@oclif/core');
    const config = await Config.load({ root: ROOT_DIR });
    expect(r.stdout).toBe(`${config.userAgent}\n`);
  });
});

function write(name: string, data: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, data);
  return file;
}

describe('the build', () => {
  it('ships a precompiled schema validator that loads (no schema compile at start-up) and agrees with the schema', async () => {
    const { ROOT } = await import('../../support/cli.js');
    const { pathToFileURL } = await import('node:url');
    const mod = await import(pathToFileURL(join(ROOT, 'dist/src/sources/snapshot/validate.js')).href);
    const validate = await mod.loadCompiledValidator();
    const doc = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    expect(validate(doc)).toBe(true);
    doc.state.containers[0].running = 'yes';
    expect(validate(doc)).toBe(false);
  });
});
