// SARIF output validates against the official SARIF 2.1.0 schema (vendored, see
// test/fixtures/sarif-schema-2.1.0.NOTE.md) and carries what GitHub code scanning needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/analysis/doctor/registry.js';
import { toSarif } from '../../../src/report/formats/sarif.js';
import type { FindingsReport } from '../../../src/report/formats/types.js';
import { subjectKinds } from '../../../src/report/formats/emit.js';
import { ROOT } from '../../support/cli.js';
import { CASES } from '../doctor/fixtures.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/sarif-schema-2.1.0.json'), 'utf8'));
// ajv is CommonJS: under NodeNext its default import is the module object.
const Ajv = AjvModule.default;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validate = ajv.compile(schema);

function report(code: string, file: string | null = 'snaps/outage.json'): FindingsReport {
  const s = CASES[code]!.yes();
  const r = runDoctor(s);
  return { command: 'doctor', toolVersion: '0.1.0', source: { origin: file ? 'snapshot' : 'live', label: file ?? 'unix:///var/run/docker.sock', file }, failOn: 'error', findings: r.findings, checks: r.checks, subjectKind: subjectKinds(s), time: '2026-11-24T00:00:00.000Z' };
}

type Sarif = { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string; helpUri: string; defaultConfiguration: { level: string } }> } }; results: Array<{ ruleId: string; ruleIndex: number; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } }; logicalLocations: Array<{ name: string; kind: string }> }> }> }> };

describe('SARIF 2.1.0', () => {
  it('validates against the official schema, for several fixtures, snapshot and live', () => {
    for (const code of ['PUBLISHED_PORT_FIREWALL_BLOCKED', 'PORT_ALLOCATED_BY_CONTAINER', 'FW_SHADOWED_RULE', 'EVIDENCE_MISSING']) {
      for (const file of ['snaps/outage.json', null]) {
        const doc = toSarif(report(code, file), { docUrl: (c) => `https://example.test/docs/findings/${c}.md`, cwd: '/work/repo' });
        const ok = validate(doc);
        expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
        expect(ok).toBe(true);
      }
    }
  });

  it('the schema check can fail: a result without message is rejected', () => {
    const doc = toSarif(report('RISKY_EXPOSURE'), { docUrl: (c) => `https://example.test/${c}.md`, cwd: '/work/repo' }) as Sarif;
    const broken = structuredClone(doc) as unknown as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    delete broken.runs[0]!.results[0]!.message;
    expect(validate(broken)).toBe(false);
  });

  it('one rule per code with helpUri to its page; results point at their rule, level from severity, subjects as logical locations', () => {
    const r = report('PUBLISHED_PORT_FIREWALL_BLOCKED');
    const doc = toSarif(r, { docUrl: (c) => `https://example.test/docs/findings/${c}.md`, cwd: '/work/repo' }) as Sarif;
    const run = doc.runs[0]!;
    const ids = run.tool.driver.rules.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of run.tool.driver.rules) expect(rule.helpUri).toBe(`https://example.test/docs/findings/${rule.id}.md`);
    const res = run.results.find((x) => x.ruleId === 'PUBLISHED_PORT_FIREWALL_BLOCKED')!;
    expect(run.tool.driver.rules[res.ruleIndex]!.id).toBe('PUBLISHED_PORT_FIREWALL_BLOCKED');
    expect(res.level).toBe('warning');
    expect(res.locations[0]!.physicalLocation.artifactLocation.uri).toBe('snaps/outage.json');
    expect(res.locations[0]!.logicalLocations).toEqual([
      expect.objectContaining({ name: 'web', kind: 'container' }),
      expect.objectContaining({ name: 'filter/DOCKER-USER#1', kind: 'firewallRule' }),
    ]);
    expect(run.results.length).toBe(r.findings.length);
    const info = run.results.find((x) => x.ruleId === 'EVIDENCE_MISSING');
    if (info) expect(info.level).toBe('note');
  });

  it('live state: a pseudo artifact; a file outside the working directory: a file:// URI', () => {
    const live = toSarif(report('RISKY_EXPOSURE', null), { docUrl: (c) => `https://example.test/${c}.md`, cwd: '/work/repo' }) as Sarif;
    expect(live.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('netsleuth-live-state.json');
    const outside = toSarif(report('RISKY_EXPOSURE', '/tmp/x y.json'), { docUrl: (c) => `https://example.test/${c}.md`, cwd: '/work/repo' }) as Sarif;
    expect(outside.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('file:///tmp/x%20y.json');
  });
});
