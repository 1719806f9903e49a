// Every catalog code: a fixture that triggers it and one that does not (fixtures.ts), run through
// the doctor registry with --only that code (ports --compose for planned bindings).
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src/analysis/doctor/catalog.js';
import { runDoctor } from '../../../src/analysis/doctor/registry.js';
import { analyzePorts } from '../../../src/analysis/ports.js';
import type { NetworkState } from '../../../src/model/types.js';
import { CASES } from './fixtures.js';

function codesFor(code: string, s: NetworkState, planned = CASES[code]!.planned): string[] {
  if (planned) return analyzePorts(s, { planned }).findings.map((f) => f.code);
  return runDoctor(s, { only: [code] }).findings.map((f) => f.code);
}

describe('finding codes: trigger and non-trigger fixtures', () => {
  it('every catalog code has a fixture pair, and every fixture a code', () => {
    expect(Object.keys(CASES).sort()).toEqual(CATALOG.map((c) => c.code).sort());
  });

  for (const ci of CATALOG) {
    it(`${ci.code}: triggered by its fixture`, () => {
      const s = CASES[ci.code]!.yes();
      expect(codesFor(ci.code, s)).toContain(ci.code);
      if (!CASES[ci.code]!.planned) {
        const f = runDoctor(s, { only: [ci.code] }).findings.find((x) => x.code === ci.code)!;
        expect(f.severity === ci.severity || ci.severity !== 'info').toBe(true);
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
