// `netsleuth ports` as a user runs it: exit codes, --json shape, --fail-on, --compose errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';

let dir: string;
let clean: string;
let evil: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-ports-cli-'));
  const net = network('front', '172.20.0.0/16');
  const ok = <T>(value: T) => ({ status: 'ok' as const, source: 'test', value });
  const b = { hostIp: '10.1.2.3', hostPort: 8080, hostPortEnd: null, containerPort: 80, protocol: 'tcp' as const };
  const h = host({ listeners: ok([]), sysctls: ok({ 'net.ipv4.ip_local_port_range': '32768 60999' }) });
  const listening = ok({ interfaces: [], routes: [], listeners: [{ protocol: 'tcp' as const, family: 'ipv4' as const, address: '0.0.0.0', port: 80, process: null }] });
  clean = join(dir, 'clean.json');
  writeFileSync(clean, JSON.stringify(snapshot({ hosts: [h], networks: [net], containers: [container('web', net, '172.20.0.2', { portBindings: [b], publishedPorts: [b], netns: listening })] })));
  evil = join(dir, 'evil.json');
  const bad = { ...b, hostIp: '0.0.0.0' };
  writeFileSync(
    evil,
    JSON.stringify(
      snapshot({
        hosts: [h],
        networks: [net],
        containers: [
          container('run\u001b[31mning', net, '172.20.0.2', { portBindings: [bad], publishedPorts: [bad], netns: listening }),
          container('stop\u001b]0;pwned\u0007', net, null, { state: 'exited', running: false, portBindings: [bad] }),
        ],
      }),
    ),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('netsleuth ports', () => {
  it('prints conflicts and findings for the bundled example; exit 1 by default (it has error findings, --fail-on error is the default), 0 with --fail-on none', async () => {
    const r = await runCli(['ports', '--snapshot', EXAMPLE]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(/^netsleuth: \d+ finding\(s\) at or above error/);
    const none = await runCli(['ports', '--snapshot', EXAMPLE, '--fail-on', 'none']);
    expect(none.code).toBe(0);
    expect(none.stderr).toBe('');
    expect(none.stdout).toBe(r.stdout);
    expect(r.stdout).toContain('CONFLICTS (1)');
    expect(r.stdout).toMatch(/0\.0\.0\.0:8080\/tcp\s+shop-proxy-1/);
    expect(r.stdout).toContain('old-proxy');
    expect(r.stdout).toContain('PUBLISH_LISTENER_LOOPBACK_ONLY');
  });
  it('--json: only the documented shape on stdout', async () => {
    const r = await runCli(['ports', '--snapshot', EXAMPLE, '--json']);
    expect(r.code).toBe(1); // error findings, default --fail-on error; stdout is still the one document
    const j = JSON.parse(r.stdout);
    expect(Array.isArray(j.conflicts)).toBe(true);
    expect(Array.isArray(j.findings)).toBe(true);
    for (const c of j.conflicts) {
      expect(c).toEqual(expect.objectContaining({ hostIp: expect.any(String), hostPort: expect.any(Number), protocol: expect.any(String), claimants: expect.any(Array) }));
    }
    expect(j.conflicts[0].claimants.map((c: { name: string }) => c.name)).toEqual(['shop-proxy-1', 'shop-proxy-1', 'old-proxy']);
    for (const f of j.findings) {
      expect(Object.keys(f).sort()).toEqual(['code', 'evidence', 'message', 'remediation', 'severity', 'subjects', 'title']);
      expect(['error', 'warning', 'info']).toContain(f.severity);
    }
  });
  it('--fail-on: exit 1 at or above the threshold, 0 below', async () => {
    const err = await runCli(['ports', '--snapshot', EXAMPLE, '--fail-on', 'error']);
    expect(err.code).toBe(1);
    expect(expectOneLineError(err)).toMatch(/finding\(s\) at or above error \(first: PUBLISH_LISTENER_LOOPBACK_ONLY\)/);
    expect((await runCli(['ports', '--snapshot', clean, '--fail-on', 'info'])).code).toBe(0);
    const js = await runCli(['ports', '--snapshot', EXAMPLE, '--fail-on', 'warning', '--json']);
    expect(js.code).toBe(1);
    expect(JSON.parse(js.stdout).findings.length).toBeGreaterThan(0); // stdout stays one JSON document
  });
  it('a clean state: no conflicts, no findings', async () => {
    const r = await runCli(['ports', '--snapshot', clean, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ conflicts: [], findings: [] });
  });
  it('--compose predicts "port is already allocated" against the current state', async () => {
    const f = join(dir, 'compose.json');
    writeFileSync(f, JSON.stringify({ name: 'next', services: { proxy: { ports: ['8080:80'] }, ok: { ports: ['127.0.0.1:18081:80'] } } }));
    const r = await runCli(['ports', '--snapshot', EXAMPLE, '--compose', f, '--json', '--fail-on', 'error']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.compose).toMatchObject({ project: 'next', planned: 2 });
    const c = j.conflicts.find((x: { hostPort: number }) => x.hostPort === 8080);
    expect(c.claimants.map((x: { name: string }) => x.name)).toContain('next/proxy');
    expect(j.findings.map((x: { code: string }) => x.code)).toContain('PORT_ALLOCATED_BY_CONTAINER');
    expect(j.conflicts.some((x: { hostPort: number }) => x.hostPort === 18081)).toBe(false);
  });
  it('--compose with a file outside the YAML subset: exit 2, one line naming file:line', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'services:\n  web:\n    ports:\n      - *ports\n');
    const r = await runCli(['ports', '--snapshot', EXAMPLE, '--compose', f]);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/bad\.yaml:4: .*anchors/);
    const missing = await runCli(['ports', '--snapshot', EXAMPLE, '--compose', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(expectOneLineError(missing)).toMatch(/no such compose file/);
  });
  it('bad usage exits 2', async () => {
    const r = await runCli(['ports', '--snapshot', EXAMPLE, '--fail-on', 'fatal']);
    expect(r.code).toBe(2);
    expectOneLineError(r);
    const nofile = await runCli(['ports', '--snapshot', join(dir, 'missing.json')]);
    expect([2, 3]).toContain(nofile.code);
  });
  it('sanitizes names from the snapshot before they reach the terminal', async () => {
    const r = await runCli(['ports', '--snapshot', evil]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u001b\u0007]/);
    expect(r.stdout).toContain('run\\x1b[31mning');
    expect(r.stdout).toContain('stop\\x1b]0;pwned\\x07');
  });
  it('--help shows examples', async () => {
    const r = await runCli(['ports', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--compose');
    expect(r.stdout).toContain('ports --snapshot docs/examples/example.snapshot.json');
  });
});
