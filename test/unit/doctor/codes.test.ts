// Every catalog code: a fixture that triggers it and one that does not (fixtures.ts), run through
// the doctor registry with --only that code (ports --compose for planned bindings).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src/analysis/doctor/catalog.js';
import { runDoctor } from '../../../src/analysis/doctor/registry.js';
import { analyzePorts } from '../../../src/analysis/ports.js';
import { severityRank, type Severity } from '../../../src/model/finding.js';
import type { NetworkState } from '../../../src/model/types.js';
import { ROOT } from '../../support/cli.js';
import { CASES } from './fixtures.js';

// A catalog entry's severity is the worst its code is reported with (CodeInfo.severity). Most codes
// are always reported at exactly that severity; these few have a milder case, named on their
// docs/findings page ("... in milder cases"):
// - EPHEMERAL_RANGE_PORT: info for a Docker-picked (-P) port (ports.ts);
// - FW_SHADOWED_RULE: info when the shadowing rule has the same action (firewall/lint.ts);
// - SUBNET_OVERLAPS_HOST_ROUTE: warning when the subnet lies inside the host route (route-findings.ts);
// - NDOTS_EXPANSION: info for ndots 2 (dns/checks.ts).
const MILDER: Record<string, Severity[]> = {
  EPHEMERAL_RANGE_PORT: ['info'],
  FW_SHADOWED_RULE: ['info'],
  SUBNET_OVERLAPS_HOST_ROUTE: ['warning'],
  NDOTS_EXPANSION: ['info'],
};
const allowed = (code: string): Severity[] => {
  const ci = CATALOG.find((c) => c.code === code)!;
  return [ci.severity, ...(MILDER[code] ?? [])];
};

function findingsFor(code: string, s: NetworkState, planned = CASES[code]!.planned) {
  if (planned) return analyzePorts(s, { planned }).findings;
  return runDoctor(s, { only: [code] }).findings;
}
const codesFor = (code: string, s: NetworkState, planned = CASES[code]!.planned): string[] => findingsFor(code, s, planned).map((f) => f.code);

describe('finding codes: trigger and non-trigger fixtures', () => {
  it('every catalog code has a fixture pair, and every fixture a code', () => {
    expect(Object.keys(CASES).sort()).toEqual(CATALOG.map((c) => c.code).sort());
  });

  it('a catalog severity is the worst its code is reported with: milder variants rank strictly below it', () => {
    for (const [code, milder] of Object.entries(MILDER)) {
      const ci = CATALOG.find((c) => c.code === code);
      expect(ci, code).toBeDefined();
      for (const m of milder) expect(severityRank(m), code).toBeLessThan(severityRank(ci!.severity));
    }
  });

  it('the milder cases are the ones the docs/findings pages name', () => {
    for (const ci of CATALOG) {
      const page = readFileSync(join(ROOT, 'docs', 'findings', `${ci.code}.md`), 'utf8');
      const milder = MILDER[ci.code];
      if (milder) expect(page, ci.code).toContain(`severity: ${ci.severity} (${milder.join(' or ')} in milder cases)`);
      else expect(page, ci.code).not.toContain('in milder cases');
    }
  });

  it('every finding any fixture produces (full doctor run, every code) has a severity its code allows', () => {
    for (const [code, c] of Object.entries(CASES)) {
      for (const s of [c.yes(), c.no()]) {
        const fs = c.planned ? analyzePorts(s, { planned: c.planned }).findings : runDoctor(s).findings;
        for (const f of fs) expect(allowed(f.code), `${code} fixture: ${f.code} ${f.severity}`).toContain(f.severity);
      }
    }
  });

  for (const ci of CATALOG) {
    it(`${ci.code}: triggered by its fixture`, () => {
      const s = CASES[ci.code]!.yes();
      const mine = findingsFor(ci.code, s).filter((x) => x.code === ci.code);
      expect(mine.length).toBeGreaterThan(0);
      for (const f of mine) {
        expect(allowed(ci.code), `${ci.code} reported as ${f.severity}`).toContain(f.severity);
        for (const k of ['title', 'message', 'remediation'] as const) expect(f[k].length).toBeGreaterThan(0);
        expect(f.evidence.length).toBeGreaterThan(0);
      }
    });
    it(`${ci.code}: not triggered by the nearby fixture`, () => {
      const s = CASES[ci.code]!.no();
      const planned = CASES[ci.code]!.planned ? [CASES[ci.code]!.planned![0]!] : undefined;
      expect(codesFor(ci.code, s, planned)).not.toContain(ci.code);
    });
  }
});
