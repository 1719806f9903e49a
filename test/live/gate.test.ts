// Live check of `netsleuth gate` on the real daemon: a policy whose expectations hold exits 0, one
// with a closed port and a wrong DNS expectation exits 1 naming those lines (and a name only an
// upstream server could answer is unknown, not a pass); the same policies
// against a snapshot captured right after give the same statuses.
//
// Network: 10.214.74.0/24. Containers resolve through this test's DNS server on its gateway.
// Only expectations about this test's own containers are used (host-wide ones like `exposed`
// would depend on what other runs leave on the shared daemon).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateResult } from '../../src/analysis/gate.js';
import { runCli } from '../support/cli.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import { cleanupRun, createNetwork, dockerHost, preflight, requireLiveDaemon, runContainer, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();

interface GateJson {
  passed: boolean;
  source: { kind: string; label: string | null };
  results: GateResult[];
}

describe.skipIf(!live)('gate (live): policies on the real daemon and on its snapshot', () => {
  let dir: string;
  let nw: TestNetwork;
  let dns: DnsServer | undefined;
  let srv: string;
  let cli: string;
  const srvIp = '10.214.74.10';

  beforeAll(async () => {
    await preflight();
    await cleanupRun();
    dir = mkdtempSync(join(tmpdir(), 'netsleuth-live-gate-'));
    nw = await createNetwork({ name: 'gate', subnet: '10.214.74.0/24' });
    dns = await startDnsServer({ address: nw.gateway, port: 53, zone: { 'gate.test.': ['10.214.74.250'] } });
    srv = (await runContainer({ name: 'gate-srv', network: nw.name, ip: srvIp, dns: nw.gateway, command: ['httpd', '-f', '-p', '80'] })).name;
    cli = (await runContainer({ name: 'gate-cli', network: nw.name, ip: '10.214.74.11', dns: nw.gateway })).name;
    writeFileSync(
      join(dir, 'good.yaml'),
      [
        'expect:',
        `  - reach: { from: ${cli}, to: ${srv}, port: 80/tcp, expect: reachable }`,
        `  - dns: { from: ${cli}, name: ${srv}, resolves-to: [${srvIp}] }`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'expect:',
        `  - reach: { from: ${cli}, to: ${srv}, port: 80/tcp, expect: reachable }`,
        `  - reach: { from: ${cli}, to: ${srv}, port: 81/tcp, expect: reachable }`,
        `  - dns: { from: ${cli}, name: ${srv}, resolves-to: [10.214.74.99] }`,
        // Not a container name: the embedded DNS forwards it upstream, which no state can predict.
        `  - dns: { from: ${cli}, name: nothing-here.test, resolves: false }`,
        '',
      ].join('\n'),
    );
    const cap = await runCli(['snapshot', 'capture', '--host', dockerHost(), '-o', join(dir, 'snap.json')], { timeoutMs: 120_000 });
    if (cap.code !== 0) throw new Error(`capture failed (${cap.code}): ${cap.stderr}`);
  }, 300_000);

  afterAll(async () => {
    await cleanupRun();
    await dns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const run = async (policy: string, source: string[]) => {
    const r = await runCli(['gate', join(dir, policy), ...source, '--json'], { timeoutMs: 120_000 });
    return { code: r.code, doc: JSON.parse(r.stdout) as GateJson, stderr: r.stderr };
  };

  it('the policy that holds exits 0, live and on the snapshot', async () => {
    for (const source of [['--host', dockerHost()], ['--snapshot', join(dir, 'snap.json')]]) {
      const { code, doc, stderr } = await run('good.yaml', source);
      expect(doc.results.map((r) => `${r.line} ${r.kind} ${r.status}`), stderr).toEqual(['2 reach pass', '3 dns pass']);
      expect(doc.passed).toBe(true);
      expect(code).toBe(0);
    }
  });

  it('a closed port and a wrong address fail on their lines, an upstream-only name is unknown, exit 1, live and on the snapshot', async () => {
    for (const source of [['--host', dockerHost()], ['--snapshot', join(dir, 'snap.json')]]) {
      const { code, doc, stderr } = await run('bad.yaml', source);
      expect(doc.results.map((r) => `${r.line} ${r.kind} ${r.status}`)).toEqual(['2 reach pass', '3 reach fail', '4 dns fail', '5 dns unknown']);
      expect(doc.results[1]!.message).toMatch(/nothing listens/);
      expect(doc.results[2]!.message).toBe(`resolves to ${srvIp}, expected 10.214.74.99`);
      expect(code).toBe(1);
      expect(stderr).toContain('gate failed: 2 failed, 1 unknown (first: line 3, reach)');
    }
  });
});
