import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComposeError, parseShortPort, planFromText, readComposePlan } from '../../../src/sources/compose.js';
import { ROOT } from '../../support/cli.js';
import { exitCodeOf } from '../../../src/cli/errors.js';

const FIX = join(ROOT, 'test', 'fixtures', 'ports');
const plan = (text: string) => planFromText(text, 'c.yaml', { defaultProject: 'Proj Dir' });
const errorOf = (text: string): ComposeError => {
  try {
    plan(text);
  } catch (e) {
    if (e instanceof ComposeError) return e;
    throw e;
  }
  throw new Error('expected a ComposeError');
};
const fail = (r: string): never => {
  throw new Error(r);
};

describe('short port syntax', () => {
  it.each([
    ['80', { hostIp: '', hostPort: null, containerPort: 80, protocol: 'tcp' }],
    ['8080:80', { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['127.0.0.1:8080:80/udp', { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' }],
    ['127.0.0.1::80', { hostIp: '127.0.0.1', hostPort: null, containerPort: 80 }],
    ['8000-8010:8000-8010', { hostPort: 8000, hostPortEnd: 8010, containerPort: 8000, containerPortEnd: 8010 }],
    ['8000-8010:80', { hostPort: null, containerPort: 80 }],
    ['[::1]:53:53/udp', { hostIp: '::1', hostPort: 53, protocol: 'udp' }],
    ['::1:6060:6060', { hostIp: '::1', hostPort: 6060 }],
    ['0:80', { hostPort: null }],
  ])('%s', (spec, want) => {
    expect(parseShortPort(spec, fail)[0]).toMatchObject(want);
  });
  it.each(['abc', '80/icmp', '8080:80:90:1', '70000:80', '8010-8000:80', '8000-8001:80-82', '999.1.1.1:80:80', '${PORT}:80', 'x:80:80', '0'])('rejects %s', (spec) => {
    expect(() => parseShortPort(spec, fail)).toThrow();
  });
});

describe('compose files', () => {
  it('reads the YAML subset fixture: project from the directory, every port form, host-mode services noted', async () => {
    const p = await readComposePlan(join(FIX, 'shop', 'compose.yaml'));
    expect(p.project).toBe('shop');
    expect(p.services).toEqual(['web', 'db', 'exporter', 'cache']);
    const web = p.planned.filter((b) => b.service === 'web');
    expect(web.map((b) => [b.hostIp, b.hostPort, b.hostPortEnd, b.containerPort, b.protocol])).toEqual([
      ['', 8080, null, 80, 'tcp'],
      ['127.0.0.1', 8443, null, 443, 'tcp'],
      ['', 53, null, 53, 'udp'],
      ['', null, null, 80, 'tcp'],
      ['', 8000, 8002, 8000, 'tcp'],
      ['', null, null, 9000, 'tcp'],
      ['::1', 6060, null, 6060, 'tcp'],
      ['0.0.0.0', 5001, null, 5000, 'udp'],
    ]);
    expect(web[7]!.mode).toBe('host');
    expect(web[0]!.source).toMatch(/compose\.yaml:12$/);
    expect(p.planned.filter((b) => b.service === 'db').map((b) => `${b.hostIp}:${b.hostPort}`)).toEqual([':5432', '127.0.0.1:5433']);
    expect(p.planned.some((b) => b.service === 'exporter')).toBe(false);
    expect(p.notes[0]).toMatch(/exporter.*network_mode: host/);
  });
  it('reads JSON compose files and the top-level name (normalized)', async () => {
    const p = await readComposePlan(join(FIX, 'named.json'));
    expect(p.project).toBe('billing_app');
    expect(p.planned.map((b) => `${b.project}/${b.service} ${b.hostIp}:${b.hostPort}->${b.containerPort}`)).toEqual([
      'billing_app/api 127.0.0.1:18080->80',
      'billing_app/api :19090->9090',
    ]);
  });
  it('takes the project from the directory name when there is no name', () => {
    expect(plan('services:\n  a:\n    ports: ["1:1"]\n').project).toBe('projdir');
  });
  it('accepts "ports:" followed by items at the same indentation, empty services and null ports', () => {
    expect(plan('services:\n  a:\n    ports:\n    - "81:80"\n').planned[0]!.hostPort).toBe(81);
    expect(plan('services:\n').planned).toEqual([]);
    expect(plan('services:\n  a:\n    ports:\n').planned).toEqual([]);
  });
  it.each([
    ['services:\n  a:\n    ports:\n      - "8080:80"\n\t- x\n', 5, /tab/],
    ['services:\n  a: &anchor\n    ports: []\n', 2, /anchor/],
    ['services:\n  a:\n    <<: *base\n', 3, /merge keys/],
    ['services:\n  a:\n    ports: ["8080:80"\n', 3, /unterminated flow/],
    ['services:\n  a:\n    ports:\n      - "8080:80\n', 4, /unterminated quoted/],
    ['services:\n  a:\n    ports:\n      - "99999:80"\n', 4, /out of range/],
    ['services:\n  a:\n    ports:\n      - target: 80\n        bogus: 1\n', 5, /unknown key "bogus"/],
    ['services:\n  a:\n    ports:\n      - published: 80\n', 4, /needs "target"/],
    ['services:\n  a:\n    image: x\n    image: y\n', 4, /duplicate key/],
    ['services:\n  a:\n      image: x\n    ports: []\n', 4, /indentation/],
    ['services:\n  a:\n    ports: "8080:80"\n', 3, /must be a list/],
    ['services:\n  a:\n    ports:\n      - ${PORT}:80\n', 4, /interpolation/],
    ['- a\n- b\n', 1, /must be a mapping/],
    ['services:\n  a:\n    ports:\n      - { target: 80, mode: weird }\n', 4, /mode must be/],
    ['a: 1\n---\nb: 2\n', 2, /second YAML document/],
    ['services: {a: {ports: ["1:1"]}\n', 1, /unterminated flow/],
    ['name: "x"\nservices:\n  a:\n    ports:\n      - !!str 80\n', 5, /tags/],
  ])('rejects %j at line %i', (text, line, re) => {
    const e = errorOf(text);
    expect(e.line).toBe(line);
    expect(e.message).toMatch(re);
    expect(e.message.startsWith(`c.yaml:${line}: `)).toBe(true);
    expect(exitCodeOf(e)).toBe(2);
  });
  it('reports JSON syntax errors with a line', () => {
    const e = errorOf('{\n  "services": {\n    "a": [,]\n  }\n}\n');
    expect(e.message).toMatch(/^c\.yaml:3: invalid JSON/);
  });
  it('no "services" section is an error', () => {
    expect(errorOf('name: x\n').message).toMatch(/no "services"/);
  });
  it('a missing file is bad input (exit 2)', async () => {
    await expect(readComposePlan(join(FIX, 'nope.yaml'))).rejects.toMatchObject({ kind: 'input' });
  });
});

describe('property: the parser never throws anything but ComposeError', () => {
  const check = (text: string) => {
    try {
      plan(text);
    } catch (e) {
      if (!(e instanceof ComposeError)) throw e;
      expect(e.message).toMatch(/^c\.yaml(:\d+)?: /);
    }
  };
  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), check), { numRuns: 2000 });
  });
  it('on compose-shaped random text', () => {
    const token = fc.constantFrom('services:', 'ports:', '- ', '"8080:80"', "'1:2/udp'", '[', ']', '{', '}', ',', ': ', 'target: 80', 'published: x', '#c', '\n', '\n  ', '\n    ', '\n      ', '  ', '\t', '"', "'", '|', '>', '&a', '*a', '---', 'name: p', '99999', '::1', '[::1]:1:1', 'null', '~', 'true', '-');
    fc.assert(fc.property(fc.array(token, { maxLength: 60 }).map((ts) => ts.join('')), check), { numRuns: 3000 });
  });
  it('on JSON-ish text', () => {
    fc.assert(fc.property(fc.json(), (j) => check(`{"services": ${j}}`)), { numRuns: 1000 });
    fc.assert(fc.property(fc.anything(), (v) => check(JSON.stringify({ services: { a: { ports: v } } }) ?? '{}')), { numRuns: 1000 });
  });
  it('deeply nested input gives an error, not a stack overflow', () => {
    check(`services: ${'['.repeat(5000)}`);
    check(Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'));
  });
});
