import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/sources/host/run.js';

const node = process.execPath;

describe('runCommand (execFile, no shell)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netsleuth-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns stdout, stderr and a non-zero exit code as data', async () => {
    const r = await runCommand(node, ['-e', "process.stdout.write('out'); process.stderr.write('bad thing\\n'); process.exit(3)"]);
    expect(r).toEqual({ exitCode: 3, stdout: 'out', stderr: 'bad thing\n' });
  });

  it('passes arguments verbatim (no shell) and sets LC_ALL=C', async () => {
    const r = await runCommand(node, ['-e', 'console.log(JSON.stringify([process.argv[1], process.env.LC_ALL]))', '$(echo hi); *']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['$(echo hi); *', 'C']);
  });

  it('reports a missing binary as not-found instead of throwing', async () => {
    const r = await runCommand('netsleuth-no-such-binary-x', ['--version']);
    expect(r).toMatchObject({ exitCode: null, error: 'not-found' });
  });

  it('kills a command that runs past its timeout', async () => {
    const started = Date.now();
    const r = await runCommand(node, ['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 300 });
    expect(r).toMatchObject({ exitCode: null, error: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a file that cannot be executed as permission', async () => {
    const file = join(dir, 'not-executable');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const r = await runCommand(file, []);
    expect(r).toMatchObject({ exitCode: null, error: 'permission' });
  });
});
