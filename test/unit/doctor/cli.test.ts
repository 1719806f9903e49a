// `netsleuth doctor` (and --format on ports / firewall lint) as a user runs it: exit codes per
// DESIGN.md, one-line usage errors, JSON shape, and each format on stdout only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';
import { snapshot } from '../../support/build-snapshot.js';
import { CASES, fullHost } from './fixtures.js';

let dir: string;
let clean: string;
let warnOnly: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-doctor-cli-'));
  clean = join(dir, 'clean.json');
  writeFileSync(clean, JSON.stringify(snapshot({ hosts: [fullHost()] })));
  warnOnly = join(dir, 'warn.json');
  writeFileSync(warnOnly, JSON.stringify({ ...snapshot(), state: CASES.ICC_DISABLED_ISOLATION!.yes() }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('netsleuth doctor', () => {
  it('groups findings by impact with a summary line; exit 1 on errors (default --fail-on error)', async () => {
    const r = await runCli(['doctor', '--snapshot', EXAMPLE]);
    expect(r.code).toBe(1);
    // The summary follows the source line (which wraps when the snapshot's path is long).
    const lines = r.stdout.split('\n');
    const summary = lines.findIndex((l) => /^\d+ errors?, /.test(l));
    expect(summary).toBeGreaterThan(0);
    expect(summary).toBeLessThanOrEqual(2);
    expect(lines[summary]).toMatch(/^\d+ errors?, \d+ warnings?, \d+ info \(\d+ checks run, 1 skipped\); gate error: FAILED$/);
    expect(r.stdout.indexOf('\nTRAFFIC BROKEN NOW\n')).toBeLessThan(r.stdout.indexOf('\nHYGIENE\n'));
    expect(expectOneLineError(r)).toMatch(/^netsleuth: \d+ finding\(s\) at or above error \(first: [A-Z_]+\)$/);
  });

  it('exit 0 on a clean state; --fail-on decides for warnings', async () => {
    const ok = await runCli(['doctor', '--snapshot', clean]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('no findings');
    expect((await runCli(['doctor', '--snapshot', warnOnly])).code).toBe(0);
    const w = await runCli(['doctor', '--snapshot', warnOnly, '--fail-on', 'warning']);
    expect(w.code).toBe(1);
    expect(w.stdout).toContain('ICC_DISABLED_ISOLATION');
    expect((await runCli(['doctor', '--snapshot', warnOnly, '--fail-on', 'warning', '--skip', 'ICC_DISABLED_ISOLATION'])).code).toBe(0);
  });

  it('--json: {findings[{code,severity,title,message,subjects,evidence,remediation}], checks}, nothing else on stdout', async () => {
    const r = await runCli(['doctor', '--snapshot', EXAMPLE, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.findings.length).toBeGreaterThan(0);
    for (const f of j.findings) expect(Object.keys(f).sort()).toEqual(['code', 'evidence', 'message', 'remediation', 'severity', 'subjects', 'title']);
    expect(j.checks.find((c: { code: string }) => c.code === 'PLANNED_PORT_DUPLICATE').status).toBe('skipped');
    expect(j.summary.error).toBe(j.findings.filter((f: { severity: string }) => f.severity === 'error').length);
    expect(r.stderr).toMatch(/^netsleuth: \d+ finding/);
    const same = await runCli(['doctor', '--snapshot', EXAMPLE, '--format', 'json']);
    expect(JSON.parse(same.stdout).findings).toEqual(j.findings);
  });

  it('--only / --skip select codes (case-insensitive); unknown codes are a one-line usage error, exit 2', async () => {
    const r = await runCli(['doctor', '--snapshot', EXAMPLE, '--only', 'risky_exposure,ICC_DISABLED_ISOLATION', '--json']);
    expect(new Set(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code))).toEqual(new Set(['RISKY_EXPOSURE', 'ICC_DISABLED_ISOLATION']));
    expect(r.code).toBe(0);
    for (const args of [['--only', 'NOPE'], ['--skip', 'RISKY_EXPOSURE,ALSO_NOPE']]) {
      const e = await runCli(['doctor', '--snapshot', EXAMPLE, ...args]);
      expect(e.code).toBe(2);
      expect(expectOneLineError(e)).toMatch(/unknown finding code (NOPE|ALSO_NOPE) in --(only|skip)/);
      expect(e.stdout).toBe('');
    }
    const bad = await runCli(['doctor', '--snapshot', EXAMPLE, '--fail-on', 'fatal']);
    expect(bad.code).toBe(2);
    expectOneLineError(bad);
    const both = await runCli(['doctor', '--snapshot', EXAMPLE, '--json', '--format', 'sarif']);
    expect(both.code).toBe(2);
    expect(expectOneLineError(both)).toContain('--json and --format sarif');
  });

  it('a missing snapshot is exit 2/3 with one line, never a stack', async () => {
    const r = await runCli(['doctor', '--snapshot', join(dir, 'nope.json')]);
    expect([2, 3]).toContain(r.code);
    expectOneLineError(r);
  });

  it('sarif, junit and markdown documents on stdout; the gate still decides the exit code', async () => {
    const s = await runCli(['doctor', '--snapshot', EXAMPLE, '--format', 'sarif']);
    expect(s.code).toBe(1);
    const doc = JSON.parse(s.stdout);
    expect(doc.version).toBe('2.1.0');
    expect(doc.runs[0].results.length).toBeGreaterThan(0);
    const x = await runCli(['doctor', '--snapshot', clean, '--format', 'junit']);
    expect(x.code).toBe(0);
    expect(x.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="netsleuth doctor" tests="\d+" failures="0"/);
    const m = await runCli(['doctor', '--snapshot', EXAMPLE, '--format', 'markdown', '--fail-on', 'info']);
    expect(m.stdout).toMatch(/^## netsleuth doctor: \d+ findings/);
    expect(m.code).toBe(1);
  });
});

describe('--format on ports and firewall lint', () => {
  it('ports: sarif and junit; --json unchanged', async () => {
    const s = await runCli(['ports', '--snapshot', EXAMPLE, '--format', 'sarif', '--fail-on', 'none']);
    expect(s.code).toBe(0);
    const ids = JSON.parse(s.stdout).runs[0].results.map((r: { ruleId: string }) => r.ruleId);
    expect(ids).toContain('RISKY_EXPOSURE');
    const j = await runCli(['ports', '--snapshot', EXAMPLE, '--json']);
    expect(Object.keys(JSON.parse(j.stdout))).toEqual(expect.arrayContaining(['conflicts', 'findings']));
    const x = await runCli(['ports', '--snapshot', EXAMPLE, '--format', 'junit', '--fail-on', 'warning']);
    expect(x.code).toBe(1);
    expect(x.stdout).toContain('<testsuites name="netsleuth ports"');
    expect(x.stdout).toMatch(/failures="[1-9]/);
  });

  it('firewall lint: markdown and junit from a ruleset file', async () => {
    const f = join(dir, 'rules.v4');
    writeFileSync(f, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -j DROP\n-A FORWARD -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n');
    const m = await runCli(['firewall', 'lint', '--ruleset', f, '--format', 'markdown']);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain('FW_SHADOWED_RULE');
    const x = await runCli(['firewall', 'lint', '--ruleset', f, '--format', 'junit', '--fail-on', 'warning']);
    expect(x.code).toBe(1);
    expect(x.stdout).toContain('name="FW_SHADOWED_RULE: ');
    const s = await runCli(['firewall', 'lint', '--ruleset', f, '--format', 'sarif']);
    expect(JSON.parse(s.stdout).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toMatch(/rules\.v4$/);
  });
});
