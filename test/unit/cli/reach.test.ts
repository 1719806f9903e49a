// `netsleuth reach` as a user runs it, on the bundled example snapshot.
import { describe, expect, it } from 'vitest';
import { displayWidth } from '../../../src/report/term.js';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';

describe('netsleuth reach', () => {
  it('leads with the outcome, then why, the path and listener line, and a hop table', async () => {
    const r = await runCli(['reach', 'shop-web-1', 'shop-db-1', '--port', '5432/tcp', '--snapshot', EXAMPLE]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('shop-web-1 → shop-db-1 5432/tcp  OPEN');
    expect(lines[1]).toMatch(/^why: the path is open; /);
    expect(r.stdout).toMatch(/path: reachable {3}listening: yes/);
    expect(r.stdout).toMatch(/STAGE\s+WHERE\s+RESULT\s+WHAT DECIDED IT/);
    expect(r.stdout).not.toMatch(/^fix:/m);
    expect(r.stderr).toBe('');
  });

  it('REFUSED for a loopback-only listener, with the fix; BLOCKED at the hop by the rule, with the ICC fix', async () => {
    const refused = await runCli(['reach', 'shop-proxy-1', 'shop-cache-1', '-p', '6379', '-s', EXAMPLE]);
    expect(refused.stdout.split('\n')[0]).toBe('shop-proxy-1 → shop-cache-1 6379/tcp  REFUSED');
    expect(refused.stdout).toMatch(/^fix: make httpd \(the service on 6379\/tcp\) in shop-cache-1 listen on 0\.0\.0\.0:6379/m);
    const blocked = await runCli(['reach', 'quarantine-a', 'quarantine-b', '-p', '80', '-s', EXAMPLE]);
    const head = blocked.stdout.split('\n');
    expect(head[0]).toBe('quarantine-a → quarantine-b 80/tcp');
    expect(head[1]).toBe('  BLOCKED at firewall by filter/FORWARD rule 15 (FW_ICC_DISABLED)');
    expect(head[2]).toMatch(/^why: request dropped by filter\/FORWARD rule 15: inter-container communication is$/);
    expect(blocked.stdout).toMatch(/^fix: network quarantine has com\.docker\.network\.bridge\.enable_icc=false/m);
    // the rule text is --verbose detail
    expect(blocked.stdout).not.toMatch(/-A FORWARD -i br-2baf6e6d576d/);
  });

  it('COLUMNS=80: no line of the default output is wider than 80 columns', async () => {
    const pairs = [
      ['shop-proxy-1', 'shop-cache-1', '-p', '6379'],
      ['quarantine-a', 'quarantine-b', '-p', '80'],
      ['shop-proxy-1', 'shop-db-1', '-p', '5432'],
      ['shop-web-1', '1.1.1.1', '-p', '443'],
      ['legacy-app', 'host', '-p', '8080'],
    ];
    for (const p of pairs) {
      const r = await runCli(['reach', ...p, '-s', EXAMPLE], { env: { COLUMNS: '80' } });
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').filter((l) => displayWidth(l) > 80)).toEqual([]);
    }
  });

  it('colour: the outcome word is painted when colour is forced, never with --json', async () => {
    const r = await runCli(['reach', 'shop-proxy-1', 'shop-cache-1', '-p', '6379', '-s', EXAMPLE], { env: { FORCE_COLOR: '1', NO_COLOR: '', CI: '' } });
    expect(r.stdout.split('\n')[0]).toMatch(/\x1b\[33mREFUSED\x1b\[39m/);
    const j = await runCli(['reach', 'shop-proxy-1', 'shop-cache-1', '-p', '6379', '-s', EXAMPLE, '--json'], { env: { FORCE_COLOR: '1', NO_COLOR: '', CI: '' } });
    expect(j.stdout).not.toMatch(/\x1b/);
    expect(JSON.parse(j.stdout)).toMatchObject({ outcome: 'REFUSED', verdict: 'reachable', listening: false, fixes: [{ code: 'LISTENER_LOOPBACK_ONLY' }] });
  });

  it('--json has the DESIGN shape and nothing else on stdout', async () => {
    const r = await runCli(['reach', 'shop-proxy-1', 'shop-db-1', '-p', '5432', '-s', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ['from', 'to', 'port', 'protocol', 'outcome', 'verdict', 'listening', 'hops', 'reasons', 'fixes', 'probe', 'agreement']) expect(j).toHaveProperty(k);
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
    const refused = await runCli(['reach', 'shop-proxy-1', 'shop-cache-1', '-p', '6379', '-s', EXAMPLE, '--expect', 'REFUSED']);
    expect(refused.code).toBe(0);
    const notOpen = await runCli(['reach', 'shop-proxy-1', 'shop-cache-1', '-p', '6379', '-s', EXAMPLE, '--expect', 'open']);
    expect(notOpen.code).toBe(1);
    expect(expectOneLineError(notOpen)).toMatch(/to be OPEN, but it is REFUSED \(LISTENER_LOOPBACK_ONLY\)/);
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
    expect(expectOneLineError(badExpect)).toMatch(/--expect must be one of reachable, blocked, open, refused, unknown/);
  });
});
