import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy, PolicyError } from '../../../src/sources/policy.js';
import { runCli, EXAMPLE } from '../../support/cli.js';

const FULL = `# a policy
version: 1
expect:
  - label: web to db
    reach: { from: web, to: db, port: 5432/tcp, expect: reachable }
  - reach:
      from: web
      to: 10.0.0.5
      port: 53
      protocol: udp
      expect: blocked
  - reach: { from: a, to: fd00::1, expect: blocked }
  - no-conflicts: true
  - no-conflicts: { ports: [80, "443"] }
  - no-findings: true
  - no-findings:
      codes: [PORT_ALLOCATED_BY_CONTAINER, SUBNET_OVERLAPS_HOST_ROUTE]
  - no-findings: { severity: error }
  - dns: { from: web, name: db, resolves-to: [10.0.0.2, 10.0.0.3] }
  - dns: { from: web, name: db, type: AAAA, resolves-to: "fd00::2" }
  - dns: { from: web, name: evil.example, resolves: false }
  - exposed:
      allow: ["8080", "127.0.0.1:5432/tcp", "[::1]:9000-9010/udp", "0.0.0.0:443"]
      ignore-loopback: true
  - exposed: { allow: [] }
`;

function err(text: string): string {
  try {
    parsePolicy(text, 'p.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as Error).message;
  }
  throw new Error('expected a policy error');
}

describe('policy reader', () => {
  it('reads every kind of expectation with its line', () => {
    const p = parsePolicy(FULL, 'p.yaml');
    expect(p.expectations.map((e) => `${e.line} ${e.kind}`)).toEqual([
      '5 reach', '6 reach', '12 reach', '13 no-conflicts', '14 no-conflicts', '15 no-findings', '16 no-findings', '18 no-findings', '19 dns', '20 dns', '21 dns', '22 exposed', '25 exposed',
    ]);
    const [r1, r2, r3, c1, c2, f1, f2, f3, d1, d2, d3, x1, x2] = p.expectations;
    expect(r1).toEqual({ kind: 'reach', line: 5, label: 'web to db', from: { kind: 'subject', text: 'web' }, to: { kind: 'subject', text: 'db' }, port: 5432, protocol: 'tcp', expect: 'reachable' });
    expect(r2).toMatchObject({ to: { kind: 'subject', text: '10.0.0.5' }, port: 53, protocol: 'udp', expect: 'blocked', label: null });
    expect(r3).toMatchObject({ to: { kind: 'subject', text: 'fd00::1' }, port: null, protocol: 'icmp' });
    expect(c1).toMatchObject({ ports: null });
    expect(c2).toMatchObject({ ports: [80, 443] });
    expect(f1).toMatchObject({ codes: null, severity: 'warning' });
    expect(f2).toMatchObject({ codes: ['PORT_ALLOCATED_BY_CONTAINER', 'SUBNET_OVERLAPS_HOST_ROUTE'], severity: 'info' });
    expect(f3).toMatchObject({ codes: null, severity: 'error' });
    expect(d1).toMatchObject({ from: 'web', name: 'db', type: 'A', resolvesTo: ['10.0.0.2', '10.0.0.3'], resolves: null });
    expect(d2).toMatchObject({ type: 'AAAA', resolvesTo: ['fd00::2'] });
    expect(d3).toMatchObject({ resolvesTo: null, resolves: false });
    expect(x1).toMatchObject({
      ignoreLoopback: true,
      allow: [
        { hostIp: null, port: 8080, portEnd: 8080, protocol: null },
        { hostIp: '127.0.0.1', port: 5432, portEnd: 5432, protocol: 'tcp' },
        { hostIp: '::1', port: 9000, portEnd: 9010, protocol: 'udp' },
        { hostIp: '0.0.0.0', port: 443, portEnd: 443, protocol: null },
      ],
    });
    expect(x2).toMatchObject({ allow: [], ignoreLoopback: false });
  });

  it('reads the same policy as JSON', () => {
    const p = parsePolicy(JSON.stringify({ expect: [{ reach: { from: 'web', to: 'db', port: 80, expect: 'blocked' } }, { 'no-conflicts': true }] }), 'p.json');
    expect(p.expectations.map((e) => e.kind)).toEqual(['reach', 'no-conflicts']);
  });

  it.each([
    ['unknown top-level key', 'expect:\n  - no-conflicts: true\nexpectt: 1\n', 'p.yaml:3: policy: unknown key "expectt"'],
    ['unknown expectation', 'expect:\n  - no-conflicts: true\n  - reachable: {from: a}\n', 'p.yaml:3: unknown expectation "reachable"'],
    ['unknown key inside reach', 'expect:\n  - reach:\n      from: a\n      to: b\n      expect: blocked\n      porrt: 80\n', 'p.yaml:6: reach: unknown key "porrt"'],
    ['bad address', 'expect:\n  - reach: {from: a, to: 10.0.0.300, expect: blocked}\n', 'p.yaml:2: reach.to: "10.0.0.300" is not an IP address'],
    ['bad IPv6 address', 'expect:\n  - reach:\n      from: "fd00:::1"\n      to: b\n      expect: blocked\n', 'p.yaml:3: reach.from: "fd00:::1" is not an IP address'],
    ['port out of range', 'expect:\n  - reach: {from: a, to: b, port: 70000, expect: reachable}\n', 'p.yaml:2: reach.port: port 70000 is out of range (1-65535)'],
    ['port not a number', 'expect:\n  - reach:\n      from: a\n      to: b\n      port: http\n      expect: reachable\n', 'p.yaml:5: reach.port: "http" is not a port number'],
    ['bad protocol', 'expect:\n  - reach: {from: a, to: b, port: 80/sctp, expect: reachable}\n', 'p.yaml:2: reach.port: protocol "sctp" must be tcp or udp'],
    ['bad expect', 'expect:\n  - reach: {from: a, to: b, expect: listening}\n', 'p.yaml:2: reach.expect must be one of reachable, blocked, open, refused, unknown, got "listening"'],
    ['missing key', 'expect:\n  - reach: {from: a, expect: open}\n', 'p.yaml:2: reach: "to" is required'],
    ['two kinds in one item', 'expect:\n  - no-conflicts: true\n    no-findings: true\n', 'p.yaml:2: one expectation per list item, found no-conflicts and no-findings'],
    ['empty list', 'expect: []\n', 'p.yaml:1: "expect" is empty'],
    ['dns bad address', 'expect:\n  - dns:\n      from: a\n      name: b\n      resolves-to: [10.0.0.1, nope]\n', 'p.yaml:5: dns.resolves-to: "nope" is not an IP address'],
    ['dns family mismatch', 'expect:\n  - dns: {from: a, name: b, type: AAAA, resolves-to: 10.0.0.1}\n', 'p.yaml:2: dns.resolves-to: 10.0.0.1 is not an IPv6 address (type AAAA)'],
    ['dns both', 'expect:\n  - dns:\n      from: a\n      name: b\n      resolves-to: 10.0.0.1\n      resolves: true\n', 'p.yaml:6: dns: give "resolves-to" or "resolves", not both'],
    ['exposed bad spec', 'expect:\n  - exposed:\n      allow:\n        - 8080\n        - "1.2.3:80"\n', 'p.yaml:5: exposed.allow: "1.2.3" is not an IP address'],
    ['exposed bad range', 'expect:\n  - exposed: {allow: ["90-80"]}\n', 'p.yaml:2: exposed.allow: range 90-80 ends before it starts'],
    ['finding code shape', 'expect:\n  - no-findings: {codes: [port-conflict]}\n', 'p.yaml:2: no-findings.codes: "port-conflict" is not a finding code'],
    ['severity', 'expect:\n  - no-findings: {severity: fatal}\n', 'p.yaml:2: no-findings.severity must be error, warning or info, got "fatal"'],
    ['YAML syntax (from the shared reader)', 'expect:\n\t- no-conflicts: true\n', 'p.yaml:2: tab used for indentation'],
    ['not a mapping', '- a\n- b\n', 'p.yaml:1: the top level of a policy must be a mapping'],
    ['version', 'version: 2\nexpect:\n  - no-conflicts: true\n', 'p.yaml:1: only policy version 1 exists'],
  ])('%s → file:line and the reason', (_what, text, message) => {
    expect(err(text)).toContain(message);
  });

  it('CLI: a bad policy is one line with file:line and exit 2, before any source is opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-policy-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'expect:\n  - reach: {from: a, to: 10.1.1.999, expect: blocked}\n');
    // No --snapshot and no daemon: the policy error must win.
    const r = await runCli(['gate', file], { env: { DOCKER_HOST: `unix://${join(dir, 'none.sock')}` } });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`netsleuth: ${file}:2: reach.to: "10.1.1.999" is not an IP address`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = await runCli(['gate', join(dir, 'nope.yaml'), '-s', EXAMPLE]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe(`netsleuth: ${join(dir, 'nope.yaml')}: no such policy file`);
  });
});
