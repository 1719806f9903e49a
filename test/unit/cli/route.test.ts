// `netsleuth route` as a user runs it, on the bundled example snapshot.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'netsleuth-route-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('netsleuth route', () => {
  it('prints a hop table and the verdict', async () => {
    const r = await runCli(['route', 'shop-proxy-1', 'shop-db-1', '--snapshot', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verdict: ROUTED/);
    // The policy rule and table columns are --verbose detail; in and out device share a column.
    expect(r.stdout).toMatch(/WHERE\s+STEP\s+ROUTE\s+DEV\s/);
    expect(r.stdout).not.toMatch(/\bRULE\s+TABLE\b/);
    expect(r.stdout).toMatch(/br-6ad83018d545/);
    expect(r.stderr).toBe('');
  });
  it('--json: {verdict, hops} plus errno, reasons, findings; nothing else on stdout', async () => {
    const r = await runCli(['route', 'shop-proxy-1', '8.8.8.8', '--snapshot', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('routed');
    expect(Array.isArray(j.hops)).toBe(true);
    expect(j.hops.at(-1).nat.kind).toBe('masquerade');
    expect(j.findings.map((f: { code: string }) => f.code)).toContain('MTU_MISMATCH');
  });
  it('failures carry the kernel errno', async () => {
    const r = await runCli(['route', 'offline-batch', 'shop-db-1', '-s', EXAMPLE, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'no-route', error: { errno: 'ENETUNREACH' } });
  });
  it('--verbose lists every policy rule visited', async () => {
    const r = await runCli(['route', 'host', 'shop-db-1', '-s', EXAMPLE, '--verbose']);
    expect(r.stdout).toMatch(/match 32766: from all lookup main/);
    expect(r.stdout).toMatch(/WHERE\s+STEP\s+RULE\s+TABLE\s+ROUTE/);
  });
  it('unknown FROM/TO → exit 2 with one line', async () => {
    const r = await runCli(['route', 'no-such-thing', 'shop-db-1', '--snapshot', EXAMPLE]);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/no-such-thing/);
    const missingArg = await runCli(['route', 'shop-db-1', '--snapshot', EXAMPLE]);
    expect(missingArg.code).toBe(2);
    expectOneLineError(missingArg);
  });
  it('sanitizes names from the snapshot', async () => {
    const snap = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    const c = snap.state.containers.find((x: { name: string }) => x.name === 'shop-db-1');
    c.name = 'evil\u001b[2Jname';
    const file = join(dir, 'evil.json');
    writeFileSync(file, JSON.stringify(snap));
    const r = await runCli(['route', 'shop-proxy-1', '10.214.11.4', '--snapshot', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('evil\\x1b[2Jname');
  });
  it('--help shows examples', async () => {
    const r = await runCli(['route', '--help']);
    expect(r.stdout).toMatch(/EXAMPLES/);
    expect(r.stdout).toMatch(/route shop-web-1 shop-db-1/);
  });
});
