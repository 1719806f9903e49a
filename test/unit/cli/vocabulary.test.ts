// One flag vocabulary (docs/cli.md, "Flags"): each short flag means one thing, FROM/TO the same
// way in every path command, durations in one form, -o on every report, --format/--json, one
// --fail-on default, and did-you-mean for unknown commands and flags.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/cli/errors.js';
import { parseDuration, pathEnds, argOrFlag } from '../../../src/cli/flags.js';
import { unknownFlagMessage } from '../../../src/cli/base.js';
import { commandSuggestion } from '../../../src/cli/hooks/command-not-found.js';
import { EXAMPLE, ROOT, assertBuilt, expectOneLineError, runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-vocab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inputError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('durations', () => {
  const secs = { bare: 's' as const, min: 100, max: 600_000 };
  it('2s, 500ms, 1m, 1.5s → milliseconds; a bare number keeps the flag\'s old unit', () => {
    expect(parseDuration('2s', 'timeout', secs)).toBe(2000);
    expect(parseDuration('500ms', 'timeout', secs)).toBe(500);
    expect(parseDuration('1m', 'timeout', secs)).toBe(60_000);
    expect(parseDuration(' 1.5S ', 'timeout', secs)).toBe(1500);
    expect(parseDuration('10', 'timeout', secs)).toBe(10_000);
    expect(parseDuration('2000', 'probe-timeout', { bare: 'ms', min: 100, max: 60_000 })).toBe(2000);
  });
  it('anything else, or out of bounds, is one line naming the flag', () => {
    expect(inputError(() => parseDuration('5x', 'timeout', secs))).toBe('--timeout "5x" is not a duration: use e.g. 2s, 500ms or 1m');
    expect(inputError(() => parseDuration('-1s', 'timeout', secs))).toMatch(/is not a duration/);
    expect(inputError(() => parseDuration('', 'timeout', secs))).toMatch(/is not a duration/);
    expect(inputError(() => parseDuration('1h', 'timeout', secs))).toMatch(/is not a duration/);
    expect(inputError(() => parseDuration('50ms', 'timeout', secs))).toBe('--timeout 50ms is out of range (100ms to 10m)');
    expect(inputError(() => parseDuration('11m', 'timeout', secs))).toBe('--timeout 11m is out of range (100ms to 10m)');
  });
});

describe('FROM and TO', () => {
  it('positional, flags, or a mix: positionals fill what the flags leave open', () => {
    expect(pathEnds({ from: 'a', to: 'b' }, {})).toEqual({ from: 'a', to: 'b' });
    expect(pathEnds({}, { from: 'a', to: 'b' })).toEqual({ from: 'a', to: 'b' });
    expect(pathEnds({ from: 'b' }, { from: 'a' })).toEqual({ from: 'a', to: 'b' }); // reach --from a b
    expect(pathEnds({ from: 'a' }, { to: 'b' })).toEqual({ from: 'a', to: 'b' }); // reach a --to b
    expect(pathEnds({ from: 'a', to: 'b' }, { from: 'a', to: 'b' })).toEqual({ from: 'a', to: 'b' }); // the same twice is fine
  });
  it('given twice and different, or missing: bad usage', () => {
    expect(inputError(() => pathEnds({ from: 'a', to: 'b' }, { from: 'x' }))).toBe('FROM is given twice and differs: "a" as an argument, "x" as --from');
    expect(inputError(() => pathEnds({ from: 'a', to: 'b' }, { to: 'y' }))).toMatch(/^TO is given twice/);
    expect(inputError(() => pathEnds({ from: 'a' }, {}))).toMatch(/^TO is missing/);
    expect(inputError(() => pathEnds({}, { to: 'b' }))).toMatch(/^FROM is missing/);
  });
  it('a file as an argument or as -s', () => {
    expect(argOrFlag('f', undefined, { arg: 'FILE', flag: 'snapshot' })).toBe('f');
    expect(argOrFlag(undefined, 'f', { arg: 'FILE', flag: 'snapshot' })).toBe('f');
    expect(inputError(() => argOrFlag('a', 'b', { arg: 'FILE', flag: 'snapshot' }))).toMatch(/^FILE is given twice/);
    expect(inputError(() => argOrFlag(undefined, undefined, { arg: 'FILE', flag: 'snapshot' }))).toBe('FILE is missing: give it as an argument or with --snapshot');
  });
});

describe('did you mean', () => {
  const ids = ['reach', 'route', 'ports', 'graph', 'snapshot:show', 'snapshot:diff', 'snapshot:capture', 'firewall:trace', 'firewall:lint'];
  it('commands: the unknown word only, topics followed', async () => {
    expect(await commandSuggestion(['reahc', 'a', 'b'], ids)).toEqual({ typed: 'reahc', topic: '', near: ['reach'] });
    expect(await commandSuggestion(['snapshot', 'shwo'], ids)).toEqual({ typed: 'snapshot shwo', topic: 'snapshot', near: ['snapshot show'] });
    expect(await commandSuggestion(['snapshto', 'show'], ids)).toEqual({ typed: 'snapshto', topic: '', near: ['snapshot'] });
    expect((await commandSuggestion(['zzzzzz'], ids)).near).toEqual([]);
  });
  it('flags: the closest long names, --no- forms and aliases included; hidden ones never', async () => {
    const flags = { port: {}, probe: { type: 'boolean', allowNo: true }, timeout: { aliases: ['daemon-timeout'] }, secret: { hidden: true } };
    expect(await unknownFlagMessage(['--prot'], flags)).toBe('unknown flag --prot (did you mean --port?)');
    expect(await unknownFlagMessage(['--no-prob=1'], flags)).toBe('unknown flag --no-prob (did you mean --no-probe?)');
    expect(await unknownFlagMessage(['--daemon-timout'], flags)).toBe('unknown flag --daemon-timout (did you mean --daemon-timeout?)');
    expect(await unknownFlagMessage(['--secrt', '-x'], flags)).toBe('unknown flags --secrt, -x');
  });
});

describe('the vocabulary in the built CLI', () => {
  it('each short flag means one thing in every command; --from/--to have none; every report takes -o', () => {
    assertBuilt();
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, { flags: Record<string, { char?: string }> }> };
    const meaning: Record<string, string> = { f: 'format', o: 'output', s: 'snapshot', H: 'host', p: 'port', t: 'type', v: 'verbose', n: 'network', c: 'compose', r: 'ruleset' };
    const seen = new Set<string>();
    for (const [id, cmd] of Object.entries(manifest.commands)) {
      for (const [name, f] of Object.entries(cmd.flags)) {
        if (!f.char) continue;
        expect(`${id} -${f.char}=${name}`).toBe(`${id} -${f.char}=${meaning[f.char]}`);
        seen.add(f.char);
      }
      expect(cmd.flags.from?.char, id).toBeUndefined();
      expect(cmd.flags.to?.char, id).toBeUndefined();
      expect(cmd.flags.h, id).toBeUndefined();
      if (id !== 'snapshot:validate') expect(Object.keys(cmd.flags), id).toContain('output');
    }
    expect([...seen].sort()).toEqual(Object.keys(meaning).sort());
  });

  it('-h is help', async () => {
    const r = await runCli(['snapshot', 'show', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('USAGE');
    expect(r.stdout).toMatch(/-s, --snapshot=FILE/);
  });

  it('unknown command and flag: one line, a suggestion, exit 2, no colon ids', async () => {
    const [cmd, topic, flag, json] = await Promise.all([
      runCli(['reahc', 'a', 'b']),
      runCli(['snapshot', 'shwo', EXAMPLE]),
      runCli(['reach', 'shop-web-1', 'shop-db-1', '-s', EXAMPLE, '--prot', '80']),
      runCli(['reahc', '--json']),
    ]);
    for (const r of [cmd, topic, flag, json]) expect(r.code).toBe(2);
    expect(expectOneLineError(cmd)).toBe('netsleuth: no command "reahc" (did you mean "reach"?)');
    expect(cmd.stderr).not.toContain(':a');
    expect(expectOneLineError(topic)).toBe('netsleuth: no command "snapshot shwo" (did you mean "snapshot show"?)');
    expect(topic.stderr).toContain('hint: See: netsleuth snapshot --help');
    expect(expectOneLineError(flag)).toBe('netsleuth: unknown flag --prot (did you mean --port?)');
    expect(JSON.parse(json.stdout).error).toMatchObject({ exitCode: 2, message: 'no command "reahc" (did you mean "reach"?)' });
  });

  it('FROM TO: positional or --from/--to, the same answer in reach, route and firewall trace; conflicting → exit 2', async () => {
    const s = ['-s', EXAMPLE, '--json'];
    const [rp, rf, tp, tf, fp, ff, bad] = await Promise.all([
      runCli(['reach', 'shop-web-1', 'shop-db-1', '-p', '5432', ...s]),
      runCli(['reach', '--to', 'shop-db-1', '--from', 'shop-web-1', '-p', '5432', ...s]),
      runCli(['route', 'shop-web-1', 'shop-db-1', ...s]),
      runCli(['route', '--from', 'shop-web-1', 'shop-db-1', ...s]),
      runCli(['firewall', 'trace', 'shop-web-1', 'shop-api-1', '-p', '80', ...s]),
      runCli(['firewall', 'trace', '--from', 'shop-web-1', '--to', 'shop-api-1', '-p', '80', ...s]),
      runCli(['route', 'shop-web-1', 'shop-db-1', '--to', 'shop-api-1', '-s', EXAMPLE]),
    ]);
    for (const r of [rp, rf, tp, tf, fp, ff]) expect(r.code, r.stderr).toBe(0);
    expect(rf.stdout).toBe(rp.stdout);
    expect(tf.stdout).toBe(tp.stdout);
    expect(ff.stdout).toBe(fp.stdout);
    expect(JSON.parse(rp.stdout)).toMatchObject({ port: 5432 });
    expect(bad.code).toBe(2);
    expect(expectOneLineError(bad)).toBe('netsleuth: TO is given twice and differs: "shop-db-1" as an argument, "shop-api-1" as --to');
  });

  it('durations on the command line: 2s and bare seconds work, a bad one is exit 2; dns --timeout is the daemon timeout', async () => {
    const [ok, bare, bad, dns, dnsBad, alias] = await Promise.all([
      runCli(['reach', 'shop-web-1', 'shop-db-1', '-s', EXAMPLE, '--timeout', '2s', '--probe-timeout', '500ms', '--json']),
      runCli(['matrix', '-s', EXAMPLE, '--timeout', '30', '--deadline', '1m', '--json']),
      runCli(['doctor', '-s', EXAMPLE, '--timeout', 'soon']),
      runCli(['dns', 'db', '--from', 'shop-web-1', '-s', EXAMPLE, '--timeout', '1m', '--dns-timeout', '500ms', '--json']),
      runCli(['dns', 'db', '--from', 'shop-web-1', '-s', EXAMPLE, '--dns-timeout', '2h']),
      runCli(['dns', 'db', '--from', 'shop-web-1', '-s', EXAMPLE, '--daemon-timeout', '5', '--json']),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(bare.code, bare.stderr).toBe(0);
    expect(dns.code, dns.stderr).toBe(0);
    expect(alias.code, alias.stderr).toBe(0);
    expect(dns.stdout).toBe(alias.stdout);
    expect(bad.code).toBe(2);
    expect(expectOneLineError(bad)).toBe('netsleuth: --timeout "soon" is not a duration: use e.g. 2s, 500ms or 1m');
    expect(dnsBad.code).toBe(2);
    expect(expectOneLineError(dnsBad)).toBe('netsleuth: --dns-timeout "2h" is not a duration: use e.g. 2s, 500ms or 1m');
  });

  it('-o FILE writes the report atomically (what stdout would have had); -o - is stdout', async () => {
    const routeFile = join(dir, 'route.txt');
    const doctorFile = join(dir, 'doctor.json');
    const showFile = join(dir, 'show.json');
    const [route, routeOut, doctor, doctorOut, show, dash] = await Promise.all([
      runCli(['route', 'shop-web-1', 'shop-db-1', '-s', EXAMPLE]),
      runCli(['route', 'shop-web-1', 'shop-db-1', '-s', EXAMPLE, '-o', routeFile]),
      runCli(['doctor', '-s', EXAMPLE, '--json']),
      runCli(['doctor', '-s', EXAMPLE, '-f', 'json', '-o', doctorFile]),
      runCli(['snapshot', 'show', EXAMPLE, '--json', '-o', showFile]),
      runCli(['snapshot', 'show', '-s', EXAMPLE, '--json', '-o', '-']),
    ]);
    expect(route.code).toBe(0);
    expect(routeOut.code).toBe(0);
    expect(routeOut.stdout).toBe('');
    expect(readFileSync(routeFile, 'utf8')).toBe(route.stdout);
    // doctor exits 1 on the example (error findings), with or without -o; the gate line is on stderr.
    expect(doctor.code).toBe(1);
    expect(doctorOut.code).toBe(1);
    expect(doctorOut.stdout).toBe('');
    expect(readFileSync(doctorFile, 'utf8')).toBe(doctor.stdout);
    expect(show.code).toBe(0);
    expect(readFileSync(showFile, 'utf8')).toBe(dash.stdout);
    expect(JSON.parse(dash.stdout).networks.length).toBeGreaterThan(0);
  });

  it('graph --format json is --json; --json with another --format is bad usage', async () => {
    const [a, b, both] = await Promise.all([
      runCli(['graph', '-s', EXAMPLE, '-f', 'json']),
      runCli(['graph', '-s', EXAMPLE, '--json']),
      runCli(['graph', '-s', EXAMPLE, '--json', '-f', 'svg']),
    ]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).containers.length).toBeGreaterThan(0);
    expect(both.code).toBe(2);
    expect(expectOneLineError(both)).toBe('netsleuth: --json and --format svg ask for two different outputs: pick one');
  });

  it('--fail-on defaults to error in doctor, ports and firewall lint; none never fails', async () => {
    const snap = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    snap.state.hosts[0].firewall.value.iptablesSave = '*filter\n-A FORWARD -j\nCOMMIT\n';
    const bad = join(dir, 'unparseable-firewall.json');
    writeFileSync(bad, JSON.stringify(snap));
    const runs = await Promise.all([
      runCli(['doctor', '-s', EXAMPLE]),
      runCli(['ports', '-s', EXAMPLE]),
      runCli(['firewall', 'lint', '-s', bad]),
      runCli(['firewall', 'lint', '-s', bad, '--fail-on', 'none']),
      runCli(['firewall', 'lint', '-s', EXAMPLE]),
    ]);
    for (const r of runs.slice(0, 3)) {
      expect(r.code).toBe(1);
      expect(expectOneLineError(r)).toMatch(/^netsleuth: \d+ finding\(s\) at or above error/);
    }
    expect(runs[3]!.code).toBe(0);
    expect(runs[3]!.stdout).toContain('FW_RULESET_UNPARSEABLE');
    expect(runs[4]!.code).toBe(0); // no findings on the example's ruleset
  });

  it('snapshot show/validate -s FILE; the no-daemon hint names --snapshot', async () => {
    const [show, showArg, validate, twice, nodaemon] = await Promise.all([
      runCli(['snapshot', 'show', '-s', EXAMPLE]),
      runCli(['snapshot', 'show', EXAMPLE]),
      runCli(['snapshot', 'validate', '--snapshot', EXAMPLE, '--json']),
      runCli(['snapshot', 'validate', EXAMPLE, '-s', 'other.json']),
      runCli(['ports', '-H', 'unix:///nonexistent/netsleuth/docker.sock']),
    ]);
    expect(show.code).toBe(0);
    expect(show.stdout).toBe(showArg.stdout);
    expect(validate.code).toBe(0);
    expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, file: EXAMPLE });
    expect(twice.code).toBe(2);
    expect(expectOneLineError(twice)).toMatch(/^netsleuth: FILE is given twice and differs/);
    expect(nodaemon.code).toBe(3);
    expect(nodaemon.stderr).toMatch(/hint: .*--snapshot FILE/);
  });
});
