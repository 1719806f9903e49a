// `snapshot diff` names the reach verdicts a change flipped (matrix on both sides).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE, runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'netsleuth-diffv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('snapshot diff: verdicts', () => {
  const s = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
  const fw = s.state.hosts[0].firewall.value;
  fw.iptablesSave = fw.iptablesSave.replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -s 10.214.11.2/32 -d 10.214.11.4/32 -p tcp -m tcp --dport 5432 -j DROP\n-A DOCKER-USER -j RETURN');
  const after = join(dir, 'after.json');
  writeFileSync(after, JSON.stringify(s));

  it('a DOCKER-USER drop flips exactly the pairs it matches, on the port asked for', async () => {
    const r = await runCli(['snapshot', 'diff', EXAMPLE, after, '--port', '5432', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const v = j.changes.filter((c: { kind: string }) => c.kind === 'verdict');
    expect(v.map((c: { subject: string }) => c.subject).sort()).toEqual(['shop-web-1 → shop-db-1 5432/tcp', 'shop-web-sidecar → shop-db-1 5432/tcp']);
    expect(j.compared).toEqual(['findings', 'verdicts']);
  });

  it('ICMP alone does not change; --no-verdicts skips the comparison', async () => {
    const icmp = JSON.parse((await runCli(['snapshot', 'diff', EXAMPLE, after, '--json'])).stdout);
    expect(icmp.changes.filter((c: { kind: string }) => c.kind === 'verdict')).toEqual([]);
    const none = JSON.parse((await runCli(['snapshot', 'diff', EXAMPLE, after, '--no-verdicts', '--json'])).stdout);
    expect(none.compared).toEqual(['findings']);
  });
});
