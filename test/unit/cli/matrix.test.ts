// `netsleuth matrix` as a user runs it, on the bundled example snapshot.
import { describe, expect, it } from 'vitest';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';

describe('netsleuth matrix', () => {
  it('prints a grid, the counts and the blocked pairs grouped by code', async () => {
    const r = await runCli(['matrix', '--snapshot', EXAMPLE, '--port', '80']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/matrix 80\/tcp: 11 containers, 110 pairs/);
    expect(r.stdout).toMatch(/reachable 40 {3}blocked 70 {3}unknown 0/);
    expect(r.stdout).toMatch(/^ 4 quarantine-a +X o X - X/m);
    expect(r.stdout).toMatch(/blocked FW_DROPPED: \d+ pair\(s\)/);
    expect(r.stdout).toMatch(/not in the matrix: old-proxy/);
  });

  it('--json: {cells: [{from, to, port, protocol, verdict}]} for every ordered pair', async () => {
    const r = await runCli(['matrix', '-s', EXAMPLE, '-n', 'quarantine', '-p', '80/tcp', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.cells).toHaveLength(2);
    expect(j.cells[0]).toMatchObject({ from: 'quarantine-a', to: 'quarantine-b', port: 80, protocol: 'tcp', verdict: 'blocked', code: 'FW_DROPPED' });
  });

  it('an unknown network or a bad port is bad input (exit 2, one line)', async () => {
    const r = await runCli(['matrix', '-s', EXAMPLE, '-n', 'nope']);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/no network called "nope"/);
    const p = await runCli(['matrix', '-s', EXAMPLE, '-p', '80/icmp']);
    expect(p.code).toBe(2);
  });
});
