// `firewall trace` and `firewall lint` as a user runs them: real processes, exit codes, --json
// shapes, one-line errors; snapshot and --ruleset modes never load undici.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE, ROOT, expectOneLineError, runCli } from '../../support/cli.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';

const FIX = join(ROOT, 'test', 'fixtures', 'firewall');
let dir: string;
let noFw: string;
let evil: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netsleuth-fw-cli-'));
  const a = network('a', '172.18.0.0/16', { bridgeName: 'br-a' });
  noFw = join(dir, 'nofw.json');
  writeFileSync(
    noFw,
    JSON.stringify(
      snapshot({
        hosts: [host({ firewall: { status: 'unavailable', source: 'iptables-save', reason: 'permission denied (not root)', value: null } })],
        networks: [a],
        containers: [container('web', a, '172.18.0.2'), container('db', a, '172.18.0.3')],
      }),
    ),
  );
  // A rule whose comment carries a terminal escape: it must be shown escaped.
  evil = join(dir, 'evil.rules');
  writeFileSync(evil, ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A FORWARD -s 10.0.0.1/32 -m comment --comment "x\u001b[2Jy" -j DROP', 'COMMIT', ''].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trace = (...a: string[]) => runCli(['firewall', 'trace', '--snapshot', EXAMPLE, ...a]);

describe('firewall trace on the bundled example', () => {
  it('prints the walk as a table, the deciding rule and the verdict (exit 0)', async () => {
    const r = await trace('--from', 'quarantine-a', '--to', 'quarantine-b', '--port', '80/tcp');
    expect(r.code).toBe(0);
    // By default only the rules that matched (and the deciding one), and how many were hidden.
    expect(r.stdout).toMatch(/HOOK\s+CHAIN\s+#\s+RULE\s+MATCHED/);
    expect(r.stdout).toMatch(/^FORWARD\s+filter\/FORWARD\s+15\s+-i br-2baf6e6d576d/m);
    expect(r.stdout).not.toMatch(/\bno\s*$/m);
    expect(r.stdout).toMatch(/\(19 rule\(s\) the packet did not match are hidden; --verbose shows every rule\s+walked\)/);
    expect(r.stdout).toMatch(/^verdict: DROP — rule 15 in filter\/FORWARD/m);
    expect(r.stdout).toContain('deciding rule: -A FORWARD -i br-2baf6e6d576d -o br-2baf6e6d576d -j DROP');
    expect(r.stdout).toContain('FW_ICC_DISABLED');
    expect(r.stderr).toBe('');
  });

  it('--verbose shows every rule walked, with every column and the whole rule text', async () => {
    const r = await trace('--from', 'quarantine-a', '--to', 'quarantine-b', '--port', '80/tcp', '--verbose');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/HOOK\s+TABLE\s+CHAIN\s+#\s+RULE\s+MATCHED\s+ACTION\s+WHY NOT/);
    expect(r.stdout).toContain('-A DOCKER-ISOLATION-STAGE-1 -i br-2baf6e6d576d ! -o br-2baf6e6d576d -j DOCKER-ISOLATION-STAGE-2');
    expect(r.stdout).toMatch(/\bno\s+-i docker0 ≠ br-2baf6e6d576d/);
    expect(r.stdout).not.toContain('hidden');
  });

  it('shows NAT steps for a published port', async () => {
    const r = await trace('--from', '198.51.100.7', '--to', 'host', '--port', '8080/tcp');
    expect(r.code).toBe(0);
    // At 80 columns the NAT line hangs onto a second line, indented by 4.
    expect(r.stdout).toMatch(/^NAT:\n  DNAT in nat\/DOCKER rule 4 \(PREROUTING\)/m);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('198.51.100.7 → 192.0.2.2:8080 ⇒ 198.51.100.7 → 10.214.10.2:80');
    expect(r.stdout).toMatch(/^verdict: ACCEPT — rule 1 in filter\/DOCKER/m);
  });

  it('--json: {verdict, path[{table, chain, index, rule, matched, action}]} and nothing else on stdout', async () => {
    const r = await trace('--from', 'shop-web-1', '--to', 'shop-api-1', '--port', '80/tcp', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('ACCEPT');
    expect(j.path.length).toBeGreaterThan(5);
    for (const s of j.path) {
      expect(s).toHaveProperty('table');
      expect(s).toHaveProperty('chain');
      expect(s).toHaveProperty('index');
      expect(s).toHaveProperty('rule');
      expect(s).toHaveProperty('matched');
      expect(s).toHaveProperty('action');
    }
    expect(j.decidedBy).toMatchObject({ table: 'filter', chain: 'FORWARD', index: 6 });
    expect(j.from).toBe('shop-web-1');
    expect(j.fromRef).toMatchObject({ kind: 'container', id: expect.stringMatching(/^[0-9a-f]{64}$/), ip: '10.214.11.2', network: 'shop_back' });
    expect(j.packet).toMatchObject({ path: 'forward', inIface: 'br-6ad83018d545', outIface: 'br-6ad83018d545' });
    expect(j.source).toEqual({ kind: 'snapshot', label: EXAMPLE, capturedAt: '2026-12-07T20:42:47.078Z' });
  });

  it('unknown container: exit 2, one line', async () => {
    const r = await trace('--from', 'nope', '--to', 'shop-api-1', '--port', '80/tcp');
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toBe('netsleuth: no container, alias, Compose service, address or "host" called "nope" in this state');
    const j = await trace('--from', 'nope', '--to', 'shop-api-1', '--port', '80/tcp', '--json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.exitCode).toBe(2);
  });

  it('bad port: exit 2, one line', async () => {
    for (const p of ['80/icmp', 'http', '99999/tcp']) {
      const r = await trace('--from', 'shop-web-1', '--to', 'shop-api-1', '--port', p);
      expect(r.code).toBe(2);
      expect(expectOneLineError(r)).toMatch(/--port/);
    }
  });

  it('--in/--out without --ruleset is a usage error', async () => {
    const r = await trace('--from', 'shop-web-1', '--to', 'shop-api-1', '--port', '80/tcp', '--in', 'eth0');
    expect(r.code).toBe(2);
    expectOneLineError(r);
  });

  it('firewall not captured: verdict unknown with the reason, exit 0', async () => {
    const r = await runCli(['firewall', 'trace', '--snapshot', noFw, '--from', 'web', '--to', 'db', '--port', '5432/tcp', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('unknown');
    expect(j.path).toEqual([]);
    expect(j.reasons[0].code).toBe('FW_EVIDENCE_UNAVAILABLE');
    expect(j.reasons[0].message).toContain('permission denied (not root)');
    const h = await runCli(['firewall', 'trace', '--snapshot', noFw, '--from', 'web', '--to', 'db', '--port', '5432/tcp']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^verdict: unknown$/m);
  });

  it('does not load undici for --snapshot or --ruleset runs', async () => {
    const pre = join(dir, 'pre.cjs');
    writeFileSync(pre, `process.on('exit', () => { const m = Object.keys(require.cache); process.stderr.write('\\nCJS ' + m.filter(x => /undici/.test(x)).join(',') + '\\n'); });`);
    const run = (args: string[]) =>
      new Promise<string>((resolve) => execFile(process.execPath, ['--require', pre, join(ROOT, 'bin', 'run.js'), ...args], { cwd: ROOT }, (_e, _o, stderr) => resolve(stderr)));
    expect(await run(['firewall', 'trace', '-s', EXAMPLE, '--from', 'shop-web-1', '--to', 'shop-api-1', '--port', '80/tcp', '--json'])).toMatch(/CJS \n/);
    expect(await run(['firewall', 'lint', '--ruleset', join(FIX, 'docker-27.rules'), '--json'])).toMatch(/CJS \n/);
  });
});

describe('firewall trace --ruleset', () => {
  const rules = join(FIX, 'docker-27.rules');
  it('evaluates a plain iptables-save file with --in/--out/--path', async () => {
    const r = await runCli(['firewall', 'trace', '--ruleset', rules, '--from', '172.18.0.2', '--to', '172.19.0.2', '--port', '80/tcp', '--in', 'br-a', '--out', 'br-b', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('DROP');
    expect(j.decidedBy.chain).toBe('DOCKER-ISOLATION-STAGE-2');
    expect(j.source).toEqual({ kind: 'ruleset', label: rules, capturedAt: null });
  });

  it('published port via --path input and --local', async () => {
    const r = await runCli(['firewall', 'trace', '--ruleset', rules, '--from', '198.51.100.20', '--to', '203.0.113.10', '--port', '8080/tcp', '--in', 'eth0', '--out', 'br-a', '--path', 'forward', '--local', '203.0.113.10']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DNAT in nat\/DOCKER/);
    expect(r.stdout).toMatch(/^verdict: ACCEPT/m);
  });

  it('without interfaces the walk says what is undecidable', async () => {
    const r = await runCli(['firewall', 'trace', '--ruleset', rules, '--from', '172.18.0.2', '--to', '172.19.0.2', '--port', '80/tcp', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('unknown');
    expect(j.packet.notes.join(' ')).toMatch(/no --in given/);
  });

  it('--from/--to must be IPs with --ruleset', async () => {
    const r = await runCli(['firewall', 'trace', '--ruleset', rules, '--from', 'web', '--to', '172.19.0.2', '--port', '80/tcp']);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/--from must be an IP address/);
  });

  it('a bad ruleset file: exit 2, one line naming the file and the line', async () => {
    const bad = join(dir, 'bad.rules');
    writeFileSync(bad, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n-A FORWARD -s 10.0.0.1 --bogus-option 3 -j DROP\nCOMMIT\n');
    const r = await runCli(['firewall', 'trace', '--ruleset', bad, '--from', '10.0.0.1', '--to', '10.0.0.2', '--port', '80/tcp']);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(new RegExp(`^netsleuth: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line 4: `));
    const missing = await runCli(['firewall', 'trace', '--ruleset', join(dir, 'nope.rules'), '--from', '10.0.0.1', '--to', '10.0.0.2', '--port', '80/tcp']);
    expect(missing.code).toBe(2);
    expect(expectOneLineError(missing)).toMatch(/no such file/);
  });

  it('sanitizes rule text from the file', async () => {
    const r = await runCli(['firewall', 'trace', '--ruleset', evil, '--from', '10.0.0.1', '--to', '10.0.0.2', '--port', '80/tcp', '--in', 'eth0', '--out', 'eth1']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('\\x1b');
  });
});

describe('firewall lint', () => {
  it('the example has no findings (exit 0), and --json has the documented shape', async () => {
    const r = await runCli(['firewall', 'lint', '--snapshot', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.findings).toEqual([]);
    expect(j.rulesets.map((x: { family: string }) => x.family)).toEqual(['ipv4', 'ipv6']);
  });

  it('the ufw host: FW_UFW_BYPASS warning; --fail-on warning exits 1, --fail-on error exits 0', async () => {
    const file = join(FIX, 'ufw-docker.rules');
    const r = await runCli(['firewall', 'lint', '--ruleset', file, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const f = j.findings.find((x: { code: string }) => x.code === 'FW_UFW_BYPASS');
    expect(f).toMatchObject({ severity: 'warning' });
    expect(f.rules.length).toBeGreaterThan(0);
    for (const x of j.findings) expect(Object.keys(x)).toEqual(expect.arrayContaining(['code', 'severity', 'message', 'rules']));
    const gate = await runCli(['firewall', 'lint', '--ruleset', file, '--fail-on', 'warning']);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain('FW_UFW_BYPASS');
    expect(expectOneLineError(gate)).toMatch(/at or above warning/);
    const gateJson = await runCli(['firewall', 'lint', '--ruleset', file, '--fail-on', 'warning', '--json']);
    expect(gateJson.code).toBe(1);
    expect(JSON.parse(gateJson.stdout).findings.length).toBeGreaterThan(0);
    const ok = await runCli(['firewall', 'lint', '--ruleset', file, '--fail-on', 'error']);
    expect(ok.code).toBe(0);
  });

  it('firewall not captured: says so, exit 0', async () => {
    const r = await runCli(['firewall', 'lint', '--snapshot', noFw, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'unknown', findings: [] });
  });

  it('a bad ruleset file: exit 2 with the line', async () => {
    const bad = join(dir, 'bad2.rules');
    writeFileSync(bad, '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n*nat\n-A NOCHAIN -j ACCEPT\nCOMMIT\n');
    const r = await runCli(['firewall', 'lint', '--ruleset', bad]);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/line 5/);
  });

  it('--help lists examples', async () => {
    const r = await runCli(['firewall', 'trace', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('EXAMPLES');
    expect(r.stdout).toContain('--ruleset');
  });
});
