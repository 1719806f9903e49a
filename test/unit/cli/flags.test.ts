// Shared flag builders (src/cli/flags.ts, src/cli/base.ts): port specs validated in one place,
// and an empty --snapshot / -o being bad input rather than "absent".
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/cli/errors.js';
import { unwrapFlagParse, wantsJson } from '../../../src/cli/base.js';
import { parsePortNumber, parsePortSpec } from '../../../src/model/port.js';
import { openSource } from '../../../src/sources/open.js';
import { EXAMPLE, expectOneLineError, runCli } from '../../support/cli.js';
import { startFakeEngine, type FakeEngine } from '../../support/fake-engine.js';

describe('port specs', () => {
  it('N, N/tcp, N/udp (any case, blanks around) → {port, protocol}; tcp by default', () => {
    expect(parsePortSpec('5432/tcp')).toEqual({ port: 5432, protocol: 'tcp' });
    expect(parsePortSpec('53/UDP')).toEqual({ port: 53, protocol: 'udp' });
    expect(parsePortSpec(' 80 ')).toEqual({ port: 80, protocol: 'tcp' });
    expect(parsePortSpec('1')).toEqual({ port: 1, protocol: 'tcp' });
    expect(parsePortSpec('65535/udp')).toEqual({ port: 65535, protocol: 'udp' });
  });

  it('anything else is an InputError with one line naming the flag', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /^--port "" is not a port: use N, N\/tcp or N\/udp/],
      ['x', /^--port "x" is not a port/],
      ['80/tcp/x', /is not a port/],
      ['-1', /is not a port/],
      ['123456', /is not a port/],
      ['80/icmp', /^--port "80\/icmp": the protocol must be tcp or udp, not icmp$/],
      ['0/tcp', /^--port 0 is out of range \(1-65535\)$/],
      ['70000', /^--port 70000 is out of range \(1-65535\)$/],
    ];
    for (const [spec, msg] of cases) {
      let err: unknown;
      try {
        parsePortSpec(spec);
      } catch (e) {
        err = e;
      }
      expect(err, spec).toBeInstanceOf(InputError);
      expect((err as Error).message, spec).toMatch(msg);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('bare port numbers (a DNS server port) take no protocol', () => {
    expect(parsePortNumber('53')).toBe(53);
    expect(() => parsePortNumber('53/udp')).toThrow(/^--port "53\/udp" is not a port number \(1-65535\)$/);
    expect(() => parsePortNumber('0')).toThrow(/out of range/);
  });

  it("oclif's wrapping of a parse() error is taken off again", () => {
    expect(unwrapFlagParse('Parsing --port \n\t--port 0 is out of range (1-65535)\nSee more help with --help')).toBe('--port 0 is out of range (1-65535)');
    expect(unwrapFlagParse('no container named "x"')).toBe('no container named "x"');
  });

  it('--json is seen in the arguments when parsing failed before run() read it', () => {
    expect(wantsJson(['a', '--port', '0', '--json'])).toBe(true);
    expect(wantsJson(['a', '--', '--json'])).toBe(false);
    expect(wantsJson(['a', '--jsonx'])).toBe(false);
  });
});

describe('--port through the CLI: one validator, one line, exit 2', () => {
  it.each([
    ['reach', ['reach', 'shop-web-1', 'shop-db-1', '-s', EXAMPLE, '-p']],
    ['matrix', ['matrix', '-s', EXAMPLE, '--port']],
    ['firewall trace', ['firewall', 'trace', '-s', EXAMPLE, '--from', 'shop-web-1', '--to', 'shop-db-1', '--port']],
    ['snapshot diff', ['snapshot', 'diff', EXAMPLE, EXAMPLE, '-p', '80', '-p']],
  ])('%s', async (_name, args) => {
    const [range, proto, junk] = await Promise.all([runCli([...args, '0']), runCli([...args, '80/icmp']), runCli([...args, 'http'])]);
    for (const r of [range, proto, junk]) expect(r.code).toBe(2);
    expect(expectOneLineError(range)).toBe('netsleuth: --port 0 is out of range (1-65535)');
    expect(expectOneLineError(proto)).toBe('netsleuth: --port "80/icmp": the protocol must be tcp or udp, not icmp');
    expect(expectOneLineError(junk)).toBe('netsleuth: --port "http" is not a port: use N, N/tcp or N/udp (e.g. 5432/tcp)');
    // With --json the error is also a JSON document on stdout, as for any other error.
    const json = await runCli([...args, '0', '--json']);
    expect(json.code).toBe(2);
    // The flags failed before any source was opened: the envelope's source is "none".
    expect(JSON.parse(json.stdout)).toEqual({
      schemaVersion: 1,
      command: _name,
      source: { kind: 'none', label: null, capturedAt: null },
      error: { exitCode: 2, message: '--port 0 is out of range (1-65535)', hint: null },
    });
  });

  it('a good spec still reaches the analysis (reach 5432, matrix 80/udp, diff -p twice)', async () => {
    const [reach, matrix, diff] = await Promise.all([
      runCli(['reach', 'shop-web-1', 'shop-db-1', '-s', EXAMPLE, '-p', '5432', '--json']),
      runCli(['matrix', '-s', EXAMPLE, '--port', '80/udp', '--json']),
      runCli(['snapshot', 'diff', EXAMPLE, EXAMPLE, '-p', '80', '-p', '53/udp', '--json']),
    ]);
    expect(reach.code).toBe(0);
    expect(JSON.parse(reach.stdout)).toMatchObject({ port: 5432, protocol: 'tcp' });
    expect(matrix.code).toBe(0);
    expect(JSON.parse(matrix.stdout).cells[0]).toMatchObject({ port: 80, protocol: 'udp' });
    expect(diff.code).toBe(0);
    expect(JSON.parse(diff.stdout).identical).toBe(true);
  });

  it('dns --port is a bare server port', async () => {
    const [zero, proto] = await Promise.all([
      runCli(['dns', 'db', '-s', EXAMPLE, '--port', '0']),
      runCli(['dns', 'db', '-s', EXAMPLE, '--port', '53/udp']),
    ]);
    expect(zero.code).toBe(2);
    expect(expectOneLineError(zero)).toBe('netsleuth: --port 0 is out of range (1-65535)');
    expect(proto.code).toBe(2);
    expect(expectOneLineError(proto)).toBe('netsleuth: --port "53/udp" is not a port number (1-65535)');
  });
});

describe('--snapshot "" is bad input, never the live daemon', () => {
  // A daemon that would answer: an empty --snapshot must not even ask it.
  let engine: FakeEngine;
  beforeAll(async () => {
    engine = await startFakeEngine();
  });
  afterAll(() => engine.close());

  const commands: string[][] = [
    ['reach', 'shop-web-1', 'shop-db-1'],
    ['matrix'],
    ['route', 'shop-web-1', 'shop-db-1'],
    ['dns', 'db', '--from', 'web'],
    ['ports'],
    ['doctor'],
    ['graph'],
    ['firewall', 'lint'],
    ['firewall', 'trace', '--from', 'a', '--to', 'b', '--port', '80'],
    ['gate', join('docs', 'examples', 'gate-policy.yaml')],
  ];

  it.each(commands.map((c) => [c.join(' '), c]))('%s', async (_name, cmd) => {
    const env = { DOCKER_HOST: `unix://${engine.socketPath}` };
    const runs = await Promise.all([
      runCli([...cmd, '--snapshot', ''], { env }),
      runCli([...cmd, '-s', '   '], { env }),
      runCli([...cmd, '--snapshot=', '--json'], { env }),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(2);
      expect(expectOneLineError(r)).toBe('netsleuth: --snapshot is empty: give a snapshot file (is a shell variable unset?)');
    }
    expect(JSON.parse(runs[2]!.stdout).error.exitCode).toBe(2);
    expect(engine.requests).toEqual([]);
  });

  it('openSource refuses it too (callers that bypass the flag)', async () => {
    await expect(openSource({ snapshot: ' ' }, { toolVersion: 'test' })).rejects.toThrow(InputError);
    await expect(openSource({ snapshot: '' }, { toolVersion: 'test' })).rejects.toThrow(/--snapshot is empty/);
  });
});

describe('-o "" is bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('graph -o "" does not fall back to stdout; snapshot capture -o "" does not write', async () => {
    const [graph, capture] = await Promise.all([
      runCli(['graph', '-s', EXAMPLE, '-o', '']),
      runCli(['snapshot', 'capture', '-o', ' ', '--host', 'unix:///nonexistent/docker.sock'], { cwd: dir }),
    ]);
    for (const r of [graph, capture]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(expectOneLineError(r)).toBe('netsleuth: --output is empty: give a file name, or "-" for stdout (is a shell variable unset?)');
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
