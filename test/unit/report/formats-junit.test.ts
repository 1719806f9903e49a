// JUnit XML is parsed for real (python3's xml.etree, a strict XML parser) and its counts are
// checked against the testcases and against the findings and the gate.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/analysis/doctor/registry.js';
import { toJunit } from '../../../src/report/formats/junit.js';
import type { FindingsReport } from '../../../src/report/formats/types.js';
import type { Severity } from '../../../src/model/finding.js';
import { container, network, snapshot } from '../../support/build-snapshot.js';
import { CASES, bind, publishing } from '../doctor/fixtures.js';

interface Parsed {
  suites: Record<string, string>;
  suite: Record<string, string>;
  cases: Array<{ name: string; classname: string; failure: string | null; failureMessage: string | null; skipped: boolean; out: string | null }>;
}

const PY = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
suite = root.find('testsuite')
cases = []
for tc in suite.findall('testcase'):
    f = tc.find('failure'); s = tc.find('skipped'); o = tc.find('system-out')
    cases.append({'name': tc.get('name'), 'classname': tc.get('classname'), 'failure': f.text if f is not None else None,
                  'failureMessage': f.get('message') if f is not None else None, 'skipped': s is not None, 'out': o.text if o is not None else None})
print(json.dumps({'suites': dict(root.attrib), 'suite': dict(suite.attrib), 'cases': cases}))
`;

function parse(xml: string): Parsed {
  return JSON.parse(execFileSync('python3', ['-c', PY], { input: xml, encoding: 'utf8' }));
}

function report(s: ReturnType<typeof snapshot>['state'], failOn: Severity | null, opts: { only?: string[]; skip?: string[] } = {}): FindingsReport {
  const r = runDoctor(s, opts);
  return { command: 'doctor', toolVersion: '0.1.0', source: { origin: 'snapshot', label: 'x.json', file: 'x.json' }, failOn, findings: r.findings, checks: r.checks, time: '2026-11-24T00:00:00.000Z' };
}

describe('JUnit XML', () => {
  it('--fail-on none: no testcase fails, the findings are still in the output', () => {
    const s = CASES.PORT_ALLOCATED_BY_CONTAINER!.yes();
    const r = report(s, null);
    expect(r.findings.some((f) => f.severity === 'error')).toBe(true);
    const xml = toJunit(r);
    const p = parse(xml);
    expect(p.cases.filter((c) => c.failure !== null)).toEqual([]);
    expect(p.suite.failures).toBe('0');
    expect(xml).toContain('PORT_ALLOCATED_BY_CONTAINER');
    expect(xml).toContain('name="fail-on" value="none"');
  });

  it('parses, and its counts match its testcases and the findings at or above the gate', () => {
    const s = CASES.PORT_ALLOCATED_BY_CONTAINER!.yes();
    for (const gate of ['error', 'warning', 'info'] as const) {
      const r = report(s, gate, { skip: ['NDOTS_EXPANSION'] });
      const p = parse(toJunit(r));
      const failing = p.cases.filter((c) => c.failure !== null).length;
      const skipped = p.cases.filter((c) => c.skipped).length;
      for (const a of [p.suites, p.suite]) {
        expect(Number(a.tests)).toBe(p.cases.length);
        expect(Number(a.failures)).toBe(failing);
        expect(Number(a.skipped)).toBe(skipped);
        expect(a.errors).toBe('0');
      }
      expect(p.cases.length).toBe(r.checks.length);
      const rank = { error: 2, warning: 1, info: 0 };
      const codesAbove = new Set(r.findings.filter((f) => rank[f.severity] >= rank[gate]).map((f) => f.code));
      expect(failing).toBe(codesAbove.size);
      expect(p.cases.find((c) => c.name.startsWith('NDOTS_EXPANSION:'))!.skipped).toBe(true);
      expect(p.cases.find((c) => c.name.startsWith('PLANNED_PORT_DUPLICATE:'))!.skipped).toBe(true);
    }
    const strict = parse(toJunit(report(s, 'info')));
    const lenient = parse(toJunit(report(s, 'error')));
    expect(Number(strict.suites.failures)).toBeGreaterThan(Number(lenient.suites.failures));
  });

  it('a failing check lists its findings; findings below the gate go to system-out', () => {
    const s = CASES.PORT_ALLOCATED_BY_CONTAINER!.yes();
    const p = parse(toJunit(report(s, 'error')));
    const tc = p.cases.find((c) => c.name.startsWith('PORT_ALLOCATED_BY_CONTAINER:'))!;
    expect(tc.classname).toBe('netsleuth.doctor.ports');
    expect(tc.failureMessage).toMatch(/^1 finding\(s\) at or above error/);
    expect(tc.failure).toContain('a, b');
    const eph = p.cases.find((c) => c.name.startsWith('EVIDENCE_MISSING:'))!;
    expect(eph.failure).toBeNull();
    expect(eph.out).toMatch(/\[info\]/);
  });

  it('escapes names that are hostile to XML (quotes, ampersands, angle brackets, control characters)', () => {
    const net = network('n"<&>\'', '10.9.0.0/24');
    const evil = 'web<script>&"\u0001\u001b[31m]]>';
    const s = snapshot({ networks: [net], containers: [publishing(evil, net, '10.9.0.2', [bind(8080, 80)]), publishing('b', net, '10.9.0.3', [bind(8080, 80)]), container('c', net, '10.9.0.4')] }).state;
    const xml = toJunit(report(s, 'info'));
    const p = parse(xml); // would throw on malformed XML
    const tc = p.cases.find((c) => c.name.startsWith('PORT_ALLOCATED_BY_CONTAINER:'))!;
    expect(tc.failure).toContain('web<script>&"\\x01\\x1b[31m]]>');
    expect(xml).not.toMatch(/[\u0001\u001b]/);
  });
});
