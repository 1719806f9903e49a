// `netsleuth doctor` as a triage list, run as a user runs it: a 5,000-container snapshot fits on
// one screen at COLUMNS=80; the example's default, --verbose and --explain output fit 80 columns;
// --explain takes any case and answers an unknown code with exit 2 and a suggestion.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain .mjs bench helper, no types
import { generateSnapshot } from '../../../bench/gen-snapshot.mjs';
import { displayWidth } from '../../../src/report/term.js';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';

const COLS = { COLUMNS: '80' };
// A line that is only a URL is never cut (terminals make it clickable); everything else fits.
const tooWide = (out: string) => out.split('\n').filter((l) => displayWidth(l) > 80 && !/^\s*https:\/\/\S+$/.test(l));

let dir: string;
let big: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-doctor-triage-'));
  big = join(dir, 'net-5000.json');
  writeFileSync(big, JSON.stringify(generateSnapshot({ containers: 5000, networks: 50, conflicts: 10, seed: 1 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('doctor triage list', () => {
  it('5,000 containers: at most 40 lines, none over 80 columns, repeated findings counted', async () => {
    const r = await runCli(['doctor', '--snapshot', big], { env: COLS, timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(tooWide(r.stdout)).toEqual([]);
    expect(r.stdout).toMatch(/^ {2}info {5}PUBLISH_LOOPBACK_ONLY ×\d{3} /m);
    expect(lines[lines.length - 1]).toBe('details: netsleuth doctor --verbose, or netsleuth doctor --explain CODE');
    // Every finding is still in the machine output.
    const j = await runCli(['doctor', '--snapshot', big, '--json'], { timeoutMs: 110_000 });
    expect(JSON.parse(j.stdout).findings.length).toBeGreaterThan(1000);
  }, 240_000);

  it('the example at COLUMNS=80: default, --verbose and --explain fit; impact before severity', async () => {
    const d = await runCli(['doctor', '--snapshot', EXAMPLE], { env: COLS });
    expect(d.code).toBe(1);
    expect(tooWide(d.stdout)).toEqual([]);
    const heads = d.stdout.split('\n').filter((l) => /^[A-Z]/.test(l) && !l.startsWith('netsleuth'));
    expect(heads).toEqual(['TRAFFIC BROKEN NOW', 'WILL BREAK ON DEPLOY/RESTART', 'HYGIENE']);
    expect(d.stdout).toMatch(/^ {2}warning {2}MTU_MISMATCH ×3 +bridge, quarantine, shop_front$/m);
    expect(d.stdout.split('\n').filter((l) => l.includes('MTU_MISMATCH'))).toHaveLength(1);

    const v = await runCli(['doctor', '--snapshot', EXAMPLE, '--verbose'], { env: COLS });
    expect(v.code).toBe(1);
    expect(tooWide(v.stdout)).toEqual([]);
    // The page by absolute URL (package.json repository), alone on its line when it does not fit.
    expect(v.stdout).toMatch(/^ {4}docs:\n {0,4}https:\/\/github\.com\/netsleuth\/netsleuth\/blob\/\S+\/docs\/findings\/MTU_MISMATCH\.md$/m);
    expect(v.stdout).not.toContain('docs: docs/findings/');
    expect(v.stdout.match(/^ {4}- Containers on \S+ use MTU 1500/gm)).toHaveLength(3);

    for (const code of ['mtu_mismatch', 'ICC_DISABLED_ISOLATION', 'PUBLISH_LISTENER_LOOPBACK_ONLY', 'FW_SHADOWED_RULE']) {
      const e = await runCli(['doctor', '--snapshot', EXAMPLE, '--explain', code], { env: COLS });
      expect(e.code, e.stderr).toBe(0);
      expect(tooWide(e.stdout)).toEqual([]);
      expect(e.stdout).toMatch(new RegExp(`^${code.toUpperCase()}: `));
      expect(e.stdout).toContain('Why it matters');
    }
    const e = await runCli(['doctor', '--snapshot', EXAMPLE, '--explain', 'MTU_MISMATCH'], { env: COLS });
    expect(e.stdout).toMatch(/\nIn this source: 3 findings \(snapshot\s/);
    expect(e.stdout).toContain('evidence: host eth0 MTU 1400');
  });

  it('--explain an unknown code: exit 2 with a did-you-mean, before reading the source', async () => {
    const r = await runCli(['doctor', '--snapshot', join(dir, 'does-not-exist.json'), '--explain', 'MTU_MISMACH']);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toBe('netsleuth: unknown finding code "MTU_MISMACH" (did you mean MTU_MISMATCH?)');
    expect(r.stdout).toBe('');
    const far = await runCli(['doctor', '--snapshot', EXAMPLE, '--explain', 'NOTHING_LIKE_IT']);
    expect(far.code).toBe(2);
    expect(expectOneLineError(far)).toMatch(/^netsleuth: unknown finding code "NOTHING_LIKE_IT"$/);
  });
});
