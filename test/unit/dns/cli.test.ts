// The built CLI: `dns --snapshot` (prediction only, without loading dns-packet or undici), the
// dig-like `--server` mode against a local server, bad input, and the probe agent run directly.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../../support/dns-server.js';
import { ROOT, expectOneLineError, runCli } from '../../support/cli.js';
import { container, network, snapshot } from '../../support/build-snapshot.js';

const app = network('app', '10.214.1.0/24');
const resolv = { status: 'ok' as const, source: 't', value: { nameservers: ['127.0.0.11'], search: [], options: ['ndots:0'], raw: 'nameserver 127.0.0.11\n# ExtServers: [10.214.1.1]\n' } };
const evil = container('evil\u001b[31mname', app, '10.214.1.9');
const snap = snapshot({
  networks: [app],
  containers: [container('client', app, '10.214.1.2', { resolvConf: resolv, hostsFile: { status: 'ok', source: 't', value: [] } }), container('web', app, '10.214.1.3'), evil],
});
const dir = mkdtempSync(join(tmpdir(), 'nsdns-'));
const file = join(dir, 's.json');
writeFileSync(file, JSON.stringify(snap));

let dns: DnsServer;
beforeAll(async () => {
  dns = await startDnsServer({ address: '127.0.0.1', port: 0, zone: { 'api.test.': ['10.0.0.7'], 'txt.test.': [{ type: 'TXT', data: 'hi' }] } });
});
afterAll(async () => {
  await dns.close();
});

// Each case spawns the CLI; on a loaded 2-core machine that can take seconds.
describe('netsleuth dns', { timeout: 90_000 }, () => {
  it('predicts from a snapshot (JSON shape per DESIGN.md)', async () => {
    const r = await runCli(['dns', 'web', '--from', 'client', '--snapshot', file, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toEqual(expect.objectContaining({ name: 'web', type: 'A', verdict: 'resolved', agreement: null }));
    expect(j.source.kind).toBe('snapshot');
    expect(j.answers).toEqual([expect.objectContaining({ data: '10.214.1.3', type: 'A' })]);
    expect(j.steps.length).toBe(2);
  });

  it('renders a human table and sanitizes names', async () => {
    const r = await runCli(['dns', 'evil\u001b[31mname', '--from', 'client', '--snapshot', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/STEP\s+NAME\s+SERVER\s+PREDICTED/);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).toContain('\\x1b');
  });

  it('does not load dns-packet or undici for a snapshot run', async () => {
    // Print the loaded module URLs at exit via a preload.
    const pre = join(dir, 'pre.cjs');
    writeFileSync(pre, `process.on('exit', () => { const m = Object.keys(require.cache); process.stderr.write('\\nCJS ' + m.filter(x => /dns-packet|undici/.test(x)).join(',') + '\\n'); });`);
    const out = await new Promise<string>((resolve) =>
      execFile(process.execPath, ['--require', pre, join(ROOT, 'bin', 'run.js'), 'dns', 'web', '--from', 'client', '-s', file, '--json'], { cwd: ROOT }, (_e, _o, stderr) => resolve(stderr)),
    );
    expect(out).toMatch(/CJS \n/);
  });

  it('rejects an unknown container and a bad name with one line (exit 2)', async () => {
    let r = await runCli(['dns', 'web', '--from', 'nope', '--snapshot', file]);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/no container, alias, Compose service, address or "host" called "nope"/);
    r = await runCli(['dns', 'a..b', '--snapshot', file, '--from', 'client']);
    expect(r.code).toBe(2);
    r = await runCli(['dns', 'x', '--server', 'not-ip']);
    expect(r.code).toBe(2);
  });

  it('queries a server directly like dig, without a daemon', async () => {
    const r = await runCli(['dns', 'api.test', '--server', '127.0.0.1', '--port', String(dns.port), '--host', 'unix:///nonexistent']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status: NOERROR/);
    expect(r.stdout).toMatch(/api\.test\.\t5\tIN\tA\t10\.0\.0\.7/);
    const j = JSON.parse((await runCli(['dns', 'nope.test', '--server', '127.0.0.1', '--port', String(dns.port), '--tcp', '--json'])).stdout);
    expect(j).toEqual(expect.objectContaining({ verdict: 'nxdomain', from: null, fromRef: null }));
    expect(j.source).toEqual({ kind: 'none', label: null, capturedAt: null });
    expect(j.response.transport).toBe('tcp');
  });

  it('runs the probe agent (outside any namespace) and reports bad requests', async () => {
    const agent = join(ROOT, 'dist', 'src', 'probe', 'agent.js');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) =>
        execFile(process.execPath, [agent, ...args], (e, stdout) => resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, stdout })),
      );
    const req = { candidates: ['nope.test', 'api.test'], servers: ['127.0.0.1'], type: 'A', port: dns.port, timeoutMs: 500, retries: 0 };
    const r = await run(['dns', JSON.stringify(req)]);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.steps.map((s: { name: string; outcome: string }) => [s.name, s.outcome])).toEqual([
      ['nope.test', 'nxdomain'],
      ['api.test', 'answer'],
    ]);
    expect(j.outcome).toBe('answer');
    const bad = await run(['frobnicate', '{}']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).ok).toBe(false);
    expect(JSON.parse((await run(['dns', '{"candidates":[]}'])).stdout).error.code).toBe('BAD_REQUEST');
  });
});
