// Every command's --json document against its published schema (docs/schemas/, docs/cli.md "JSON
// output"): the envelope {schemaVersion, command, source}, the DESIGN shapes, the enums. Runs the
// built CLI on the bundled example as a user would.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE, ROOT, runCli } from '../../support/cli.js';

const DIR = join(ROOT, 'docs', 'schemas');
const POLICY = join(ROOT, 'docs', 'examples', 'gate-policy.yaml');
const RULES = join(ROOT, 'test', 'fixtures', 'firewall', 'docker-27.rules');
const CAPTURED = JSON.parse(readFileSync(EXAMPLE, 'utf8')).capture.time as string;

const files = readdirSync(DIR).filter((f) => f.endsWith('.schema.json')).sort();
const schemas = Object.fromEntries(files.map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Record<string, unknown>]));

// ajv is CommonJS: under NodeNext its default import is the module object.
const ajv = new AjvModule.default({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
for (const f of files) ajv.addSchema(schemas[f]!, f);

function check(schemaFile: string, doc: unknown): void {
  const validate = ajv.getSchema(schemaFile);
  if (!validate) throw new Error(`no schema ${schemaFile}`);
  const ok = validate(doc);
  expect(ok, `${schemaFile}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`).toBe(true);
}

async function json(args: string[], exit = 0): Promise<Record<string, unknown>> {
  const r = await runCli([...args, '--json']);
  expect(r.code, r.stderr).toBe(exit);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const snap = ['--snapshot', EXAMPLE];
const SNAPSHOT_SOURCE = { kind: 'snapshot', label: EXAMPLE, capturedAt: CAPTURED };

describe('the schema files', () => {
  it('are valid draft-07 schemas, one per command plus common and error', () => {
    expect(files).toEqual(
      [
        'common', 'dns', 'doctor', 'error', 'firewall-lint', 'firewall-trace', 'gate', 'graph', 'matrix', 'ports', 'reach', 'route',
        'snapshot-capture', 'snapshot-diff', 'snapshot-show', 'snapshot-validate',
      ].map((n) => `${n}.schema.json`),
    );
    for (const f of files) {
      expect(schemas[f]!.$schema, f).toBe('http://json-schema.org/draft-07/schema#');
      expect(schemas[f]!.$id, f).toBe(`https://netsleuth.dev/schema/json/v1/${f}`);
      expect(ajv.validateSchema(schemas[f]!), `${f}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
      // Compiling resolves every $ref (a dangling one throws).
      expect(() => ajv.getSchema(f)).not.toThrow();
    }
  });

  it('are each linked from docs/cli.md', () => {
    const cli = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
    for (const f of files) expect(cli, f).toContain(`(schemas/${f})`);
  });

  it('catch drift: an old field name, a missing field, a verdict in the wrong case, a bad source kind', () => {
    const base = { schemaVersion: 1, command: 'gate', source: SNAPSHOT_SOURCE, policy: 'p.yaml', passed: true, summary: { pass: 1, fail: 0, unknown: 0 }, results: [] };
    check('gate.schema.json', base);
    const bad = (doc: unknown) => expect(ajv.getSchema('gate.schema.json')!(doc)).toBe(false);
    bad({ ...base, counts: base.summary });
    bad({ ...base, summary: undefined });
    bad({ ...base, schemaVersion: 2 });
    bad({ ...base, source: { ...SNAPSHOT_SOURCE, kind: 'live' } });
    bad({ ...base, results: [{ kind: 'reach', line: 2, label: null, expectation: 'x', status: 'PASS', message: 'm', evidence: [] }] });
    const reach = ajv.getSchema('reach.schema.json')!;
    expect(reach({ schemaVersion: 1, command: 'reach', source: SNAPSHOT_SOURCE, from: 'a', to: 'b', fromRef: { kind: 'container', id: 'x' }, toRef: { kind: 'host', hostId: null }, port: null, protocol: 'icmp', verdict: 'REACHABLE', listening: 'unknown', hops: [], reasons: [], probe: null, agreement: null })).toBe(false);
  });
});

describe('every command --json on the bundled example fits its schema', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ns-json-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reach', async () => {
    const d = await json(['reach', 'shop-web-1', 'shop-db-1', '--port', '5432/tcp', ...snap]);
    check('reach.schema.json', d);
    expect(d).toMatchObject({ schemaVersion: 1, command: 'reach', source: SNAPSHOT_SOURCE, from: 'shop-web-1', fromRef: { kind: 'container' }, verdict: 'reachable' });
    const icmp = await json(['reach', 'shop-proxy-1', 'host', ...snap]);
    check('reach.schema.json', icmp);
    expect(icmp).toMatchObject({ to: 'host', toRef: { kind: 'host' }, port: null, protocol: 'icmp' });
  });

  it('matrix', async () => {
    const d = await json(['matrix', '--port', '80', ...snap]);
    check('matrix.schema.json', d);
    const cells = d.cells as Array<{ verdict: string }>;
    expect(d.summary).toEqual({ pairs: cells.length, reachable: cells.filter((c) => c.verdict === 'reachable').length, blocked: cells.filter((c) => c.verdict === 'blocked').length, unknown: cells.filter((c) => c.verdict === 'unknown').length });
  });

  it('ports', async () => {
    const d = await json(['ports', ...snap], 1); // the example has error findings: --fail-on error is the default
    check('ports.schema.json', d);
    const findings = d.findings as Array<{ severity: string }>;
    expect((d.summary as Record<string, number>).error).toBe(findings.filter((f) => f.severity === 'error').length);
  });

  it('route', async () => {
    const d = await json(['route', 'web', 'db', ...snap]);
    check('route.schema.json', d);
    expect(d).toMatchObject({ command: 'route', from: 'shop-web-1', to: 'shop-db-1', fromRef: { kind: 'container' }, toRef: { kind: 'container' } });
  });

  it('dns (from a container, and dig-like with no source)', async () => {
    const d = await json(['dns', 'shop-db-1', '--from', 'shop-web-1', ...snap]);
    check('dns.schema.json', d);
    expect(d).toMatchObject({ from: 'shop-web-1', fromRef: { kind: 'container', id: expect.stringMatching(/^[0-9a-f]{64}$/) }, verdict: 'resolved' });
    // Nothing listens on port 1 of loopback: a refused or timed-out query, but a valid document.
    const direct = await json(['dns', 'x.test', '--server', '127.0.0.1', '--port', '1', '--timeout', '200ms', '--retries', '0']);
    check('dns.schema.json', direct);
    expect(direct.source).toEqual({ kind: 'none', label: null, capturedAt: null });
  });

  it('doctor (--json and --format json)', async () => {
    const d = await json(['doctor', ...snap], 1);
    check('doctor.schema.json', d);
    const f = await runCli(['doctor', ...snap, '--format', 'json']);
    expect(JSON.parse(f.stdout)).toEqual(d);
  });

  it('firewall trace (snapshot and --ruleset)', async () => {
    const d = await json(['firewall', 'trace', '--from', 'shop-web-1', '--to', 'shop-api-1', '--port', '80/tcp', ...snap]);
    check('firewall-trace.schema.json', d);
    expect(d).toMatchObject({ command: 'firewall trace', from: 'shop-web-1', fromRef: { kind: 'container', network: 'shop_back' }, verdict: 'ACCEPT' });
    const r = await json(['firewall', 'trace', '--ruleset', RULES, '--from', '172.18.0.2', '--to', '172.19.0.2', '--port', '80/tcp', '--in', 'br-a', '--out', 'br-b']);
    check('firewall-trace.schema.json', r);
    expect(r).toMatchObject({ source: { kind: 'ruleset', label: RULES, capturedAt: null }, fromRef: { kind: 'address', address: '172.18.0.2' }, verdict: 'DROP' });
  });

  it('firewall lint (snapshot and --ruleset)', async () => {
    check('firewall-lint.schema.json', await json(['firewall', 'lint', ...snap]));
    const r = await json(['firewall', 'lint', '--ruleset', join(ROOT, 'test', 'fixtures', 'firewall', 'ufw-docker.rules')]);
    check('firewall-lint.schema.json', r);
    expect((r.findings as unknown[]).length).toBeGreaterThan(0);
  });

  it('gate', async () => {
    const d = await json(['gate', POLICY, ...snap], 1);
    check('gate.schema.json', d);
    expect(d).toMatchObject({ command: 'gate', source: SNAPSHOT_SOURCE, passed: false });
  });

  it('snapshot show, validate', async () => {
    const show = await json(['snapshot', 'show', EXAMPLE]);
    check('snapshot-show.schema.json', show);
    expect(show.source).toEqual(SNAPSHOT_SOURCE);
    check('snapshot-validate.schema.json', await json(['snapshot', 'validate', EXAMPLE]));
  });

  it('snapshot diff between the example and an edited copy', async () => {
    const edited = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    const net = edited.state.networks.find((n: { name: string }) => n.name === 'quarantine');
    net.internal = !net.internal;
    edited.state.containers = edited.state.containers.filter((c: { name: string }) => c.name !== 'legacy-app');
    const b = join(dir, 'after.json');
    writeFileSync(b, JSON.stringify(edited));
    const d = await json(['snapshot', 'diff', EXAMPLE, b, '--no-verdicts']);
    check('snapshot-diff.schema.json', d);
    const changes = d.changes as Array<{ op: string }>;
    expect(d.identical).toBe(false);
    expect(d.summary).toEqual({ added: changes.filter((c) => c.op === 'added').length, removed: changes.filter((c) => c.op === 'removed').length, changed: changes.filter((c) => c.op === 'changed').length });
    expect((d.summary as { removed: number }).removed).toBeGreaterThan(0);
    expect(d.source).toEqual({ kind: 'snapshot', label: `${EXAMPLE} -> ${b}`, capturedAt: null });
  });

  it('graph --json', async () => {
    const d = await json(['graph', ...snap]);
    check('graph.schema.json', d);
    expect(d.command).toBe('graph');
  });

  it('snapshot capture: the document a live capture prints fits its schema', () => {
    // No daemon in unit tests: the shape the command builds (commands/snapshot/capture.ts), checked
    // against the schema; test/live/capture.test.ts runs it for real.
    check('snapshot-capture.schema.json', {
      schemaVersion: 1,
      command: 'snapshot capture',
      source: { kind: 'daemon', label: 'unix:///var/run/docker.sock', capturedAt: CAPTURED },
      file: 'state.json',
      endpoint: 'unix:///var/run/docker.sock',
      apiVersion: '1.47',
      networks: 3,
      containers: 2,
      vanished: [{ id: 'abc', name: 'gone', reason: 'removed during capture' }],
      missingEvidence: [{ section: 'firewall', status: 'unavailable', reason: 'not root' }],
      durationMs: 120,
    });
  });

  it('errors: the same envelope with {error}', async () => {
    const notFound = await json(['reach', 'shop-wbe-1', 'db', ...snap], 2);
    check('error.schema.json', notFound);
    expect(notFound).toMatchObject({ command: 'reach', source: SNAPSHOT_SOURCE, error: { exitCode: 2, message: expect.stringContaining('did you mean "shop-web-1"') } });
    const missing = await json(['snapshot', 'show', join(dir, 'nope.json')], 2);
    check('error.schema.json', missing);
    const badFlag = await json(['matrix', '--port', '0', ...snap], 2);
    check('error.schema.json', badFlag);
    expect(badFlag).toMatchObject({ command: 'matrix', source: { kind: 'none' } });
  });
});
