// `netsleuth reach` as a user runs it, on the bundled example snapshot.
import { describe, expect, it } from 'vitest';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';

describe('netsleuth reach', () => {
  it('prints the verdict, the listener line and a hop table', async () => {
    const r = await runCli(['reach', 'shop-web-1', 'shop-db-1', '--port', '5432/tcp', '--snapshot', EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/reach shop-web-1 → shop-db-1 5432\/tcp: REACHABLE/);
    expect(r.stdout).toMatch(/listening: yes/);
    expect(r.stdout).toMatch(/STAGE\s+WHERE\s+RESULT\s+WHAT DECIDED IT/);
    expect(r.stderr).toBe('');
  });

  it('--json has the DESIGN shape and nothing else on stdout', async () => {
    const r = await runCli(['reach', 'shop-proxy-1', 'shop-db-1', '-p', '5432', '-s', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ['from', 'to', 'port', 'protocol', 'verdict', 'listening', 'hops', 'reasons', 'probe', 'agreement']) expect(j).toHaveProperty(k);
    expect(j).toMatchObject({ from: 'shop-proxy-1', to: 'shop-db-1', port: 5432, protocol: 'tcp', verdict: 'blocked', probe: null, agreement: null });
    expect(j.reasons[0]).toHaveProperty('code');
    expect(j.reasons[0]).toHaveProperty('message');
  });

  it('--verbose shows the deciding rule text', async () => {
    const r = await runCli(['reach', 'quarantine-a', 'quarantine-b', '-p', '80', '-s', EXAMPLE, '--verbose']);
    expect(r.stdout).toMatch(/evidence:/);
    expect(r.stdout).toMatch(/-A FORWARD -i br-2baf6e6d576d -o br-2baf6e6d576d -j DROP/);
  });

  it('--expect is a gate: 0 when met, 1 with a one-line reason when not', async () => {
    const met = await runCli(['reach', 'shop-web-1', 'shop-db-1', '-p', '5432', '-s', EXAMPLE, '--expect', 'reachable']);
    expect(met.code).toBe(0);
    const missed = await runCli(['reach', 'quarantine-a', 'quarantine-b', '-p', '80', '-s', EXAMPLE, '--expect', 'reachable']);
    expect(missed.code).toBe(1);
    expect(expectOneLineError(missed)).toMatch(/expected quarantine-a → quarantine-b 80\/tcp to be reachable, but it is blocked/);
    const json = await runCli(['reach', 'quarantine-a', 'quarantine-b', '-p', '80', '-s', EXAMPLE, '--expect', 'reachable', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).verdict).toBe('blocked');
  });

  it('bad input: exit 2 with one line', async () => {
    const bad = await runCli(['reach', 'shop-web-1', 'shop-db-1', '-p', '99999', '-s', EXAMPLE]);
    expect(bad.code).toBe(2);
    expect(expectOneLineError(bad)).toMatch(/out of range/);
    const unknown = await runCli(['reach', 'nobody', 'shop-db-1', '-s', EXAMPLE]);
    expect(unknown.code).toBe(2);
    expect(expectOneLineError(unknown)).toMatch(/no container, alias, Compose service, address or "host" called "nobody" in this state/);
    const badExpect = await runCli(['reach', 'shop-web-1', 'shop-db-1', '-s', EXAMPLE, '--expect', 'maybe']);
    expect(badExpect.code).toBe(2);
  });
});
