// `netsleuth matrix` as a user runs it, on the bundled example snapshot.
import { describe, expect, it } from 'vitest';
import { displayWidth } from '../../../src/report/term.js';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';

describe('netsleuth matrix', () => {
  it('prints a grid, the counts and the blocked pairs grouped by code', async () => {
    const r = await runCli(['matrix', '--snapshot', EXAMPLE, '--port', '80']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/matrix 80\/tcp: 11 containers, 110 pairs/);
    expect(r.stdout).toMatch(/^OPEN 4 {3}REFUSED 36 {3}BLOCKED 70 {3}UNKNOWN 0$/m);
    expect(r.stdout).toMatch(/^ 4 quarantine-a +X R X - X/m);
    expect(r.stdout).toMatch(/^ 7 shop-cache-1 +X R X X X X - X O/m);
    expect(r.stdout).toMatch(/O OPEN {2}R REFUSED {2}X BLOCKED {2}\? UNKNOWN/);
    expect(r.stdout).toMatch(/REFUSED LISTENER_NONE: 36 pair\(s\)/);
    expect(r.stdout).toMatch(/BLOCKED FW_DROPPED: 50 pair\(s\)/);
    expect(r.stdout).toMatch(/not in the matrix: old-proxy/);
  });

  it('--json: {cells: [{from, to, port, protocol, verdict}]} for every ordered pair', async () => {
    const r = await runCli(['matrix', '-s', EXAMPLE, '-n', 'quarantine', '-p', '80/tcp', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.cells).toHaveLength(2);
    expect(j.cells[0]).toMatchObject({ from: 'quarantine-a', to: 'quarantine-b', port: 80, protocol: 'tcp', outcome: 'BLOCKED', verdict: 'blocked', code: 'FW_DROPPED' });
  });

  it('outcome cells: a loopback-only listener is REFUSED (the path stays reachable), with the listener code as cause', async () => {
    const r = await runCli(['matrix', '-s', EXAMPLE, '-n', 'shop_front', '-p', '6379', '--json']);
    const j = JSON.parse(r.stdout);
    const cell = j.cells.find((c: { from: string; to: string }) => c.from === 'shop-proxy-1' && c.to === 'shop-cache-1');
    expect(cell).toMatchObject({ outcome: 'REFUSED', verdict: 'reachable', listening: false, code: null, cause: 'LISTENER_LOOPBACK_ONLY' });
    expect(j.outcomes.OPEN + j.outcomes.REFUSED + j.outcomes.BLOCKED + j.outcomes.UNKNOWN).toBe(j.summary.pairs);
  });

  it('COLUMNS=80: no line of the default output is wider than 80 columns', async () => {
    for (const port of ['80', '6379']) {
      const r = await runCli(['matrix', '-s', EXAMPLE, '-p', port], { env: { COLUMNS: '80' } });
      expect(r.code).toBe(0);
      const wide = r.stdout.split('\n').filter((l) => displayWidth(l) > 80);
      expect(wide).toEqual([]);
    }
  });

  it('an unknown network or a bad port is bad input (exit 2, one line)', async () => {
    const r = await runCli(['matrix', '-s', EXAMPLE, '-n', 'nope']);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/no network called "nope"/);
    const p = await runCli(['matrix', '-s', EXAMPLE, '-p', '80/icmp']);
    expect(p.code).toBe(2);
  });
});
