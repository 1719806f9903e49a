import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allFindings, evaluatePolicy, type GateResult } from '../../../src/analysis/gate.js';
import type { Listener, NetworkState, PortBinding, Snapshot } from '../../../src/model/types.js';
import { parsePolicy } from '../../../src/sources/policy.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';
import { EXAMPLE, ROOT, runCli } from '../../support/cli.js';

const example = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;
const ok = <T>(value: T) => ({ status: 'ok' as const, source: 'test', value });

/** Evaluates a policy given as YAML lines under `expect:`. */
function gate(state: NetworkState, ...items: string[]): GateResult[] {
  return evaluatePolicy(state, parsePolicy(`expect:\n${items.map((i) => `  - ${i}`).join('\n')}\n`, 't.yaml')).results;
}
const statuses = (rs: GateResult[]) => rs.map((r) => r.status);

const bind = (hostIp: string, hostPort: number | null, containerPort: number, protocol: PortBinding['protocol'] = 'tcp', hostPortEnd: number | null = null): PortBinding => ({ hostIp, hostPort, hostPortEnd, containerPort, protocol });
const front = network('front', '172.20.0.0/16');
const listeners = (ls: Listener[] = []) => host({ listeners: ok(ls) });

describe('gate: reach (analyzeReach on the example snapshot)', () => {
  it('passes what holds, fails what does not, in both directions', () => {
    expect(statuses(gate(example,
      '{reach: {from: quarantine-a, to: quarantine-b, port: 80, expect: blocked}}',
      '{reach: {from: quarantine-a, to: quarantine-b, port: 80, expect: reachable}}',
      '{reach: {from: shop-web-1, to: shop-api-1, port: 80, expect: blocked}}',
    ))).toEqual(['pass', 'fail', 'fail']);
  });
  it('a container the state does not hold fails with the reason (not a policy error)', () => {
    const [r] = gate(example, '{reach: {from: no-such, to: shop-db-1, port: 5432, expect: reachable}}');
    expect(r).toMatchObject({ status: 'fail', kind: 'reach', line: 2 });
    expect(r!.message).toMatch(/no-such/);
  });
  it('without firewall evidence the verdict is unknown, and the gate does not pass', () => {
    const state = snapshot({ networks: [front], containers: [container('a', front, '172.20.0.2'), container('b', front, '172.20.0.3')] }).state;
    const rep = evaluatePolicy(state, parsePolicy('expect:\n  - reach: {from: a, to: b, port: 80, expect: reachable}\n', 't.yaml'));
    expect(rep.results[0]!.status).toBe('unknown');
    expect(rep.passed).toBe(false);
    expect(rep.counts).toEqual({ pass: 0, fail: 0, unknown: 1 });
  });
});

describe('gate: no-conflicts', () => {
  const two = (hostPortB: number) =>
    snapshot({
      hosts: [listeners()],
      networks: [front],
      containers: [
        container('a', front, '172.20.0.2', { publishedPorts: [bind('0.0.0.0', 8080, 80)], portBindings: [bind('0.0.0.0', 8080, 80)] }),
        container('b', front, null, { state: 'exited', running: false, pid: null, portBindings: [bind('127.0.0.1', hostPortB, 80)] }),
      ],
    }).state;
  it('a stopped container configured for a port another one holds is a conflict', () => {
    const [r] = gate(two(8080), 'no-conflicts: true');
    expect(r!.status).toBe('fail');
    expect(r!.evidence).toEqual([expect.stringMatching(/^127\.0\.0\.1:8080\/tcp: a on 0\.0\.0\.0:8080 .* vs b on 127\.0\.0\.1:8080 \(container, exited\)$/)]);
    expect(statuses(gate(two(8080), '{no-conflicts: {ports: [9090]}}', '{no-conflicts: {ports: [8080]}}'))).toEqual(['pass', 'fail']);
  });
  it('no conflict: pass; host listeners not captured: unknown', () => {
    expect(statuses(gate(two(9090), 'no-conflicts: true'))).toEqual(['pass']);
    const blind = { ...two(9090), hosts: [host()] };
    const [r] = gate(blind, 'no-conflicts: true');
    expect(r!.status).toBe('unknown');
    expect(r!.evidence[0]).toMatch(/listening sockets not captured/);
  });
});

describe('gate: no-findings', () => {
  it('uses every finding producer; codes and severity narrow it', () => {
    const codes = new Set(allFindings(example).map((f) => f.code));
    expect(codes.has('PUBLISH_LISTENER_LOOPBACK_ONLY')).toBe(true); // from ports
    expect(codes.has('MTU_MISMATCH')).toBe(true); // from routes
    expect(codes.has('DNS_RESOLVER_UNREACHABLE')).toBe(true); // from dns
    const rs = gate(example, 'no-findings: true', '{no-findings: {codes: [MTU_MISMATCH], severity: error}}', '{no-findings: {codes: [MTU_MISMATCH]}}', '{no-findings: {codes: [NOT_A_REAL_CODE]}}');
    expect(statuses(rs)).toEqual(['fail', 'pass', 'fail', 'pass']);
    expect(rs[2]!.evidence.every((e) => e.startsWith('MTU_MISMATCH (warning)'))).toBe(true);
  });
});

describe('gate: dns (the DNS predictor on the example snapshot)', () => {
  it('resolves-to: the exact answer set; resolves true/false', () => {
    const rs = gate(example,
      '{dns: {from: shop-web-1, name: shop-api-1, resolves-to: [10.214.11.3]}}',
      '{dns: {from: shop-web-1, name: shop-api-1, resolves-to: [10.214.11.99]}}',
      '{dns: {from: shop-web-1, name: shop-api-1, resolves: true}}',
      '{dns: {from: shop-web-1, name: shop-api-1, resolves: false}}',
      '{dns: {from: quarantine-a, name: shop-db-1, resolves: false}}',
      '{dns: {from: nobody, name: shop-db-1, resolves: false}}',
    );
    expect(statuses(rs)).toEqual(['pass', 'fail', 'pass', 'fail', 'pass', 'fail']);
    expect(rs[1]!.message).toBe('resolves to 10.214.11.3, expected 10.214.11.99');
    expect(rs[5]!.message).toMatch(/no container, alias, Compose service, address or "host" called "nobody"/);
  });
});

describe('gate: exposed', () => {
  const state = snapshot({
    hosts: [listeners()],
    networks: [front],
    containers: [
      container('web', front, '172.20.0.2', { publishedPorts: [bind('0.0.0.0', 8080, 80), bind('::', 8080, 80)] }),
      container('dns', front, '172.20.0.3', { publishedPorts: [bind('0.0.0.0', 5353, 53, 'udp')] }),
      container('db', front, '172.20.0.4', { publishedPorts: [bind('127.0.0.1', 5432, 5432)] }),
      container('old', front, null, { state: 'exited', running: false, pid: null, portBindings: [bind('0.0.0.0', 9000, 9000, 'tcp', 9005)] }),
    ],
  }).state;
  it('every published binding (and a stopped container\'s configured ones) must be allowed', () => {
    const rs = gate(state,
      '{exposed: {allow: ["8080/tcp", "5353/udp", "127.0.0.1:5432", "9000-9010"]}}',
      '{exposed: {allow: ["8080/tcp", "5353/udp", "9000-9010"], ignore-loopback: true}}',
      '{exposed: {allow: ["8080/tcp", "5353/tcp", "127.0.0.1:5432", "9000-9010"]}}',
      '{exposed: {allow: ["0.0.0.0:8080", "5353", "5432", "9000-9004"]}}',
      '{exposed: {allow: ["10.0.0.1:8080", "5353", "5432", "9000-9010"]}}',
    );
    expect(statuses(rs)).toEqual(['pass', 'pass', 'fail', 'fail', 'fail']);
    expect(rs[2]!.evidence).toEqual(['0.0.0.0:5353/udp → dns:53']);
    expect(rs[3]!.evidence).toEqual(['0.0.0.0:9000-9005/tcp → old:9000 (exited; published when started)']);
    expect(rs[4]!.evidence).toEqual(['0.0.0.0:8080/tcp → web:80', '[::]:8080/tcp → web:80']);
  });
  it('an empty allow list fails on any exposure', () => {
    expect(statuses(gate(state, '{exposed: {allow: []}}'))).toEqual(['fail']);
    expect(statuses(gate(snapshot({ hosts: [listeners()] }).state, '{exposed: {allow: []}}'))).toEqual(['pass']);
  });
});

describe('gate: CLI', () => {
  it('the example policy fails on the example (exit 1), --json is the report; a passing policy exits 0', async () => {
    const policy = `${ROOT}/docs/examples/gate-policy.yaml`;
    const [human, json] = await Promise.all([runCli(['gate', policy, '-s', EXAMPLE]), runCli(['gate', policy, '-s', EXAMPLE, '--json'])]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^FAIL\s+21\s+no-conflicts/m);
    expect(human.stdout).toMatch(/Gate FAILED: 5 passed, 2 failed, 0 unknown/);
    expect(human.stderr.split('\n')[0]).toBe('netsleuth: gate failed: 2 failed, 0 unknown (first: line 21, no-conflicts)');
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { passed: boolean; summary: Record<string, number>; results: GateResult[]; policy: string; source: { kind: string } };
    expect(doc).toMatchObject({ passed: false, summary: { pass: 5, fail: 2, unknown: 0 }, source: { kind: 'snapshot' }, policy });
    expect(doc.results.map((r) => `${r.line} ${r.kind} ${r.status}`)).toEqual([
      '7 reach pass', '10 reach pass', '17 dns pass', '19 dns pass', '21 no-conflicts fail', '23 no-findings fail', '26 exposed pass',
    ]);
    const dir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/ns-gate-`);
    const good = `${dir}/good.yaml`;
    (await import('node:fs')).writeFileSync(good, 'expect:\n  - reach: {from: quarantine-a, to: quarantine-b, port: 80, expect: blocked}\n  - no-findings: {codes: [SUBNET_OVERLAPS_HOST_ROUTE]}\n');
    const pass = await runCli(['gate', good, '-s', EXAMPLE]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toMatch(/Gate passed: 2 passed, 0 failed, 0 unknown/);
  });
});

describe('reach expectations by outcome', () => {
  const example = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;
  const run = (line: string) => evaluatePolicy(example, parsePolicy(`expect:\n  - ${line}\n`, 't.yaml')).results[0]!;

  it('refused holds for a loopback-only listener; open and reachable do not', () => {
    expect(run('reach: {from: shop-proxy-1, to: shop-cache-1, port: 6379, expect: refused}').status).toBe('pass');
    expect(run('reach: {from: shop-proxy-1, to: shop-cache-1, port: 6379, expect: OPEN}').status).toBe('fail');
    expect(run('reach: {from: shop-proxy-1, to: shop-cache-1, port: 6379, expect: reachable}').status).toBe('fail');
  });

  it('open holds where something listens; an unknown word names the allowed ones', () => {
    expect(run('reach: {from: shop-web-1, to: shop-db-1, port: 5432, expect: open}').status).toBe('pass');
    expect(() => parsePolicy('expect:\n  - reach: {from: a, to: b, expect: listening}\n', 't.yaml')).toThrow(/reachable, blocked, open, refused, unknown, got "listening"/);
  });
});
