// doctor's triage list: every code has an impact class; identical findings fold into one group
// with a count; groups rank by impact, then severity, then count; the human renderings (default,
// --verbose, --explain) fit the width, colour severities only when asked, and sanitize first.
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src/analysis/doctor/catalog.js';
import { IMPACT, IMPACTS, IMPACT_LABEL } from '../../../src/analysis/doctor/impact.js';
import { runDoctor } from '../../../src/analysis/doctor/registry.js';
import { groupFindings, messageShape } from '../../../src/analysis/doctor/triage.js';
import type { Finding, Severity } from '../../../src/model/finding.js';
import { DETAILS_HINT, fitList, pageText, renderExplain, renderFindings } from '../../../src/report/formats/human.js';
import type { FindingsReport } from '../../../src/report/formats/types.js';
import { displayWidth, makeTerm } from '../../../src/report/term.js';
import { CASES } from './fixtures.js';

const f = (code: string, severity: Severity, subject: string, message: string, extra: Partial<Finding> = {}): Finding => ({
  code,
  severity,
  title: `${code} on ${subject}`,
  message,
  subjects: [subject],
  evidence: [`evidence for ${subject}`],
  remediation: `fix ${code}`,
  ...extra,
});

const noRoute = (i: number) => f('MISSING_DEFAULT_ROUTE', 'warning', `c-${String(i).padStart(4, '0')}`, `c-${String(i).padStart(4, '0')} has no default route in its namespace (10.0.${i % 250}.2/24 only).`);

const report = (findings: Finding[]): FindingsReport => ({
  command: 'doctor',
  toolVersion: '0.0.0',
  source: { origin: 'snapshot', label: 'unit.json', file: 'unit.json' },
  failOn: 'error',
  findings,
  checks: [],
});

const wide = (text: string) => text.split('\n').filter((l) => displayWidth(l) > 80);

describe('impact classes', () => {
  it('every catalog code has exactly one impact class, and the table names no other code', () => {
    expect(Object.keys(IMPACT).sort()).toEqual(CATALOG.map((c) => c.code).sort());
    for (const [code, impact] of Object.entries(IMPACT)) expect(IMPACTS, code).toContain(impact);
    expect(IMPACTS.map((i) => IMPACT_LABEL[i])).toEqual(['traffic broken now', 'will break on deploy/restart', 'hygiene']);
  });
});

describe('groupFindings', () => {
  it('folds the same finding on many subjects into one group with a count, subjects in order', () => {
    const many = Array.from({ length: 2000 }, (_, i) => noRoute(i + 1));
    const groups = groupFindings([f('MISSING_DEFAULT_ROUTE', 'warning', 'offline-batch', 'offline-batch has no default route in its namespace (10.0.9.2/24 only).'), ...many]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.findings).toHaveLength(2001);
    expect(groups[0]!.subjects.slice(0, 3)).toEqual(['offline-batch', 'c-0001', 'c-0002']);
    expect(groups[0]!.variant).toBeNull();
  });

  it('keeps different message shapes, codes and severities apart', () => {
    const groups = groupFindings([
      f('RISKY_EXPOSURE', 'warning', 'a', 'a exposes 6379 (Redis) on 0.0.0.0:1/tcp', { title: 'Redis port published on all addresses' }),
      f('RISKY_EXPOSURE', 'warning', 'b', 'b exposes 6379 (Redis) on 0.0.0.0:2/tcp', { title: 'Redis port published on all addresses' }),
      f('RISKY_EXPOSURE', 'warning', 'c', 'c exposes 5432 (PostgreSQL) on 0.0.0.0:3/tcp', { title: 'PostgreSQL port published on all addresses' }),
      f('EPHEMERAL_RANGE_PORT', 'warning', 'd', 'd binds 40000'),
      f('EPHEMERAL_RANGE_PORT', 'info', 'e', 'e binds 40001'),
    ]);
    expect(groups.map((g) => [g.code, g.severity, g.findings.length])).toEqual([
      ['EPHEMERAL_RANGE_PORT', 'warning', 1],
      ['EPHEMERAL_RANGE_PORT', 'info', 1],
      ['RISKY_EXPOSURE', 'warning', 2],
      ['RISKY_EXPOSURE', 'warning', 1],
    ]);
    // Two groups of one code say what tells them apart.
    expect(groups.filter((g) => g.code === 'RISKY_EXPOSURE').map((g) => g.variant)).toEqual(['Redis', 'PostgreSQL']);
  });

  it('a subject is taken out of the shape only as a whole name', () => {
    expect(messageShape({ message: 'db talks to shop-db-1 on 5432', subjects: ['db'] })).toBe('\u0000 talks to shop-db-# on #');
    expect(messageShape({ message: 'net0 holds svc0 and svc20.', subjects: ['net0', 'svc0', 'svc20'] })).toBe('\u0000 holds \u0000 and \u0000.');
  });

  it('ranks by impact (broken now > breaks on deploy/restart > hygiene), then severity, then count', () => {
    const groups = groupFindings([
      f('RISKY_EXPOSURE', 'warning', 'x', 'x exposed'), // hygiene
      f('PORT_CONFLICT_STOPPED_CONTAINER', 'warning', 's', 's stopped'), // on-deploy
      f('DEFAULT_BRIDGE_NO_DNS', 'info', 'y', 'y alone'), // hygiene, info
      f('FW_RULESET_UNPARSEABLE', 'error', 'h', 'h unparseable'), // hygiene, error
      noRoute(1), // broken, warning ×3
      noRoute(2),
      noRoute(3),
      f('ICC_DISABLED_ISOLATION', 'warning', 'n', 'n isolates'), // broken, warning ×1
      f('DNS_RESOLVER_UNREACHABLE', 'error', 'r', 'r cannot resolve'), // broken, error
    ]);
    expect(groups.map((g) => g.code)).toEqual([
      'DNS_RESOLVER_UNREACHABLE',
      'MISSING_DEFAULT_ROUTE',
      'ICC_DISABLED_ISOLATION',
      'PORT_CONFLICT_STOPPED_CONTAINER',
      'FW_RULESET_UNPARSEABLE',
      'RISKY_EXPOSURE',
      'DEFAULT_BRIDGE_NO_DNS',
    ]);
  });

  it('on a doctor run over a unit fixture: the repeated finding is one group', () => {
    const s = CASES.MTU_MISMATCH!.yes();
    const findings = runDoctor(s, { only: ['MTU_MISMATCH'] }).findings;
    expect(findings.length).toBeGreaterThan(0);
    const doubled = [...findings, ...findings.map((x) => ({ ...x, subjects: x.subjects.map((n) => `${n}2`), message: x.message.replace(/\b(app|a)\b/g, '$12') }))];
    const groups = groupFindings(doubled);
    expect(groups).toHaveLength(findings.length);
    expect(groups[0]!.findings).toHaveLength(2);
  });
});

describe('fitList', () => {
  it('shows what fits and counts the rest', () => {
    expect(fitList(['offline-batch', 'c-0001', 'c-0002', 'c-0003'], 30)).toBe('offline-batch, c-0001, … +2');
    expect(fitList(['a', 'b'], 30)).toBe('a, b');
    expect(displayWidth(fitList(['x'.repeat(50), 'y'], 20))).toBeLessThanOrEqual(20);
    expect(fitList(['x'.repeat(50), 'y'], 20)).toMatch(/… \+1$/);
    expect(fitList([], 20)).toBe('');
  });
});

describe('renderFindings (doctor table)', () => {
  const findings = [
    f('MISSING_DEFAULT_ROUTE', 'warning', 'offline-batch', 'offline-batch has no default route in its namespace (10.0.9.2/24 only).'),
    ...Array.from({ length: 1999 }, (_, i) => noRoute(i + 1)),
    f('PORT_CONFLICT_STOPPED_CONTAINER', 'warning', 'old-proxy', 'old-proxy (not running) is configured for 0.0.0.0:8080/tcp'),
    f('DNS_RESOLVER_UNREACHABLE', 'error', 'api', 'api cannot reach its resolver'),
    f('RISKY_EXPOSURE', 'warning', 'cache', 'cache exposes 6379 (Redis) on 0.0.0.0:6379/tcp: '.repeat(8)),
  ];

  it('default: summary, one line per group under its impact, the hint last; every line fits', () => {
    const text = renderFindings(report(findings), makeTerm({ width: 80 }));
    const lines = text.split('\n');
    expect(lines[1]).toBe('1 error, 2002 warnings, 0 info (0 checks run); gate error: FAILED');
    expect(lines).toEqual([
      'netsleuth doctor: snapshot unit.json',
      lines[1],
      '',
      'TRAFFIC BROKEN NOW',
      expect.stringMatching(/^ {2}error {4}DNS_RESOLVER_UNREACHABLE +api$/),
      expect.stringMatching(/^ {2}warning {2}MISSING_DEFAULT_ROUTE ×2000 +offline-batch, c-0001, … \+1998$/),
      '',
      'WILL BREAK ON DEPLOY/RESTART',
      expect.stringMatching(/^ {2}warning {2}PORT_CONFLICT_STOPPED_CONTAINER +old-proxy$/),
      '',
      'HYGIENE',
      expect.stringMatching(/^ {2}warning {2}RISKY_EXPOSURE +cache$/),
      '',
      DETAILS_HINT,
    ]);
    expect(wide(text)).toEqual([]);
    // The message (long) is not in the default output; --verbose has it.
    expect(text).not.toContain('exposes 6379');
  });

  it('--verbose: every finding in full, grouped the same way, fitted to the width', () => {
    const text = renderFindings(report(findings.slice(0, 3).concat(findings.slice(-3))), makeTerm({ width: 80, verbose: true }));
    expect(wide(text)).toEqual([]);
    expect(text).toMatch(/^ {2}warning {2}MISSING_DEFAULT_ROUTE ×3 — Container without a default route$/m);
    for (const s of ['offline-batch', 'c-0001', 'c-0002']) expect(text).toContain(`    - MISSING_DEFAULT_ROUTE on ${s}`);
    expect(text).toContain('      evidence: evidence for c-0002');
    expect(text).toContain('    docs: docs/findings/MISSING_DEFAULT_ROUTE.md');
    // the long message is wrapped with a hanging indent, not cut
    const msg = text.split('\n').filter((l) => l.startsWith('      ') && /exposes 6379|Redis/.test(l));
    expect(msg.length).toBeGreaterThan(3);
    expect(text.replace(/\n {6}/g, ' ')).toContain('cache exposes 6379 (Redis) on 0.0.0.0:6379/tcp: cache exposes');
  });

  it('colours severities only on a colour Term, after sanitizing names', () => {
    const evil = [f('DNS_RESOLVER_UNREACHABLE', 'error', 'evil\u001b[2J', 'evil cannot resolve')];
    const plain = renderFindings(report(evil), makeTerm({ width: 80 }));
    expect(plain).not.toContain('\u001b');
    expect(plain).toContain('evil\\x1b[2J');
    const color = renderFindings(report(evil), makeTerm({ width: 80, color: true }));
    expect(color).toContain('\u001b[31merror\u001b[39m');
    expect(color).not.toContain('\u001b[2J');
  });

  it('a narrow terminal (50 columns): default and --verbose still fit; the docs path is never cut', () => {
    const some = [...findings.slice(0, 3), ...findings.slice(-3), f('INTERNAL_NETWORK_PUBLISHED_PORT', 'warning', 'db', 'db publishes 5432 on internal network back')];
    for (const verbose of [false, true]) {
      const text = renderFindings(report(some), makeTerm({ width: 50, verbose }));
      expect(text.split('\n').filter((l) => displayWidth(l) > 50)).toEqual([]);
      if (verbose) expect(text).toContain('\n    docs:\ndocs/findings/INTERNAL_NETWORK_PUBLISHED_PORT.md\n');
    }
  });

  it('no findings: says so, no hint', () => {
    const text = renderFindings(report([]), makeTerm({ width: 80 }));
    expect(text.split('\n').slice(-1)[0]).toBe('no findings');
    expect(text).not.toContain('details:');
  });
});

describe('renderExplain', () => {
  const page = '# X\n\n**t** — severity: warning\n\n## What it means\n\nIt means `this` and [that](https://x).\n\n## Why it matters\n\nBecause.\n\nScenarios: S1\n\n## Example\n\n```json\n{"code": "X"}\n```\n';

  it('the page without its example, then every instance in full', () => {
    expect(pageText(page)).toEqual(['What it means', '  It means this and that.', '', 'Why it matters', '  Because.']);
    const r = report([noRoute(1), noRoute(2), f('RISKY_EXPOSURE', 'warning', 'x', 'x exposed')]);
    const text = renderExplain(r, 'MISSING_DEFAULT_ROUTE', page, makeTerm({ width: 80 }));
    expect(text).toMatch(/^MISSING_DEFAULT_ROUTE: Container without a default route\nseverity: warning \(at worst\) · impact: traffic broken now · check: routes$/m);
    expect(text).toContain('In this source: 2 findings (snapshot unit.json)');
    expect(text).toContain('    - MISSING_DEFAULT_ROUTE on c-0002');
    expect(text).not.toContain('RISKY_EXPOSURE');
    expect(text).not.toContain('"code"');
    expect(wide(text)).toEqual([]);
  });

  it('without a page: the catalog summary; without instances: says none', () => {
    const text = renderExplain(report([]), 'MTU_MISMATCH', null, makeTerm({ width: 80 }));
    expect(text).toContain(CATALOG.find((c) => c.code === 'MTU_MISMATCH')!.summary.slice(0, 30));
    expect(text).toContain('In this source: none (snapshot unit.json)');
  });
});
