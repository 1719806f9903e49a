// The sidecar/exec shell probe: the generated script run by the host's busybox (the same binary
// family as the probe image) against loopback listeners, and the parser on its own.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildShellScript, classifyShell, parseNslookup, parseShellOutput, parseTools, shellSafeName, shellSupport, TOOL_PROBE_SCRIPT } from '../../../src/probe/shell.js';
import { startDnsServer, type DnsServer } from '../../support/dns-server.js';
import { ROOT } from '../../support/cli.js';
import type { AgentTarget } from '../../../src/probe/types.js';
import { unusedPort } from '../../support/fake-engine.js';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const ALL: Parameters<typeof buildShellScript>[1]['tools'] = { nc: true, bash: false, timeout: true, ping: true, nslookup: true };

describe('buildShellScript', () => {
  it('refuses to interpolate anything but addresses, ports and plain paths', () => {
    const opts = { timeoutMs: 1000, concurrency: 4, tools: ALL };
    expect(() => buildShellScript([{ kind: 'tcp', address: '1.2.3.4; rm -rf /', port: 80 }], opts)).toThrow(/not an IP/);
    expect(() => buildShellScript([{ kind: 'tcp', address: '10.0.0.1', port: 70000 }], opts)).toThrow(/port/);
    expect(() => buildShellScript([{ kind: 'http', address: '10.0.0.1', port: 80, path: "/'$(id)'" }], opts)).toThrow(/path/);
    expect(() => buildShellScript([{ kind: 'udp', address: '10.0.0.1', port: 53, payloadHex: '00' }], opts)).toThrow(/UDP payload/);
  });

  it('dns: only strict DNS names and known types reach the script', () => {
    const opts = { timeoutMs: 1000, concurrency: 4, tools: ALL };
    const dns = (name: string, qtype = 'A'): AgentTarget[] => [{ kind: 'dns', address: '127.0.0.11', name, qtype }];
    for (const bad of ["a$(id).test", "x';reboot;'", 'a b', '-debug', 'a.-x', 'a..b', '`id`', 'a\nb', '', 'ä.test', `${'a'.repeat(64)}.test`]) {
      expect(() => buildShellScript(dns(bad), opts), bad).toThrow(RangeError);
    }
    expect(() => buildShellScript(dns('db.test', 'CAA'), opts)).toThrow(/cannot ask CAA/);
    expect(() => buildShellScript([{ kind: 'dns', address: '127.0.0.11; id', name: 'db' }], opts)).toThrow(/not an IP/);
    expect(() => buildShellScript([{ kind: 'dns', address: '127.0.0.11', name: 'db', port: 0 }], opts)).toThrow(/port/);
  });

  it('dns: the question goes to SERVER:PORT as a fully qualified name; PTR of an address asks its reverse name', () => {
    const s = buildShellScript(
      [
        { kind: 'dns', address: '127.0.0.11', name: 'db' },
        { kind: 'dns', address: '10.0.0.2', port: 5353, name: '10.0.0.7', qtype: 'PTR' },
        { kind: 'dns', address: 'fd00::53', name: 'db.test.', qtype: 'AAAA' },
        { kind: 'udp', address: '10.0.0.3', port: 161 },
      ],
      { timeoutMs: 1500, concurrency: 8, tools: ALL },
    );
    expect(s).toContain("dns 0 '127.0.0.11:53' 'db.' a &");
    expect(s).toContain("dns 1 '10.0.0.2:5353' '7.0.0.10.in-addr.arpa.' ptr &");
    expect(s).toContain("dns 2 '[fd00::53]:53' 'db.test.' aaaa &");
    expect(s).toContain("dns 3 '10.0.0.3:161' 'netsleuth-probe.invalid.' a &");
    expect(s).toContain('nslookup -type=$4 -timeout=$T -retry=1 "$3" "$2"');
  });

  it('shellSafeName accepts DNS names and nothing else (property)', () => {
    fc.assert(
      fc.property(fc.string(), (n) => {
        if (shellSafeName(n)) expect(n).toMatch(/^[A-Za-z0-9_.-]+$/);
      }),
    );
    expect(shellSafeName('_srv._tcp.db.test.')).toBe(true);
  });

  it('runs probes in waves of `concurrency` background jobs', () => {
    const t: AgentTarget[] = Array.from({ length: 5 }, () => ({ kind: 'tcp', address: '10.0.0.1', port: 80 }));
    const s = buildShellScript(t, { timeoutMs: 1500, concurrency: 2, tools: ALL });
    expect(s.split('\n').filter((l) => l === 'wait')).toHaveLength(3);
    expect(s).toContain('T=2');
  });
});

describe('tools and support', () => {
  it('parses the tool probe output', () => {
    expect(parseTools('have nc\nhave ping\ntools-done\n')).toEqual({ nc: true, bash: false, timeout: false, ping: true, nslookup: false });
    expect(parseTools('have nslookup\ntools-done\n').nslookup).toBe(true);
    expect(TOOL_PROBE_SCRIPT).toContain('command -v');
    expect(TOOL_PROBE_SCRIPT).toContain('nslookup');
  });
  it('says why a kind cannot be probed with the tools at hand', () => {
    const none = { nc: false, bash: false, timeout: false, ping: false, nslookup: false };
    expect(shellSupport('tcp', none)).toMatch(/no nc and no bash/);
    expect(shellSupport('tcp', { ...none, bash: true })).toBeNull();
    expect(shellSupport('icmp', none)).toMatch(/no ping/);
    expect(shellSupport('udp', ALL)).toBeNull();
    expect(shellSupport('udp', ALL, { kind: 'udp', address: '10.0.0.1', port: 53, payloadHex: 'abcd' })).toMatch(/payloadHex.*nsenter/);
    expect(shellSupport('udp', { ...ALL, nslookup: false })).toMatch(/no nslookup/);
    expect(shellSupport('dns', ALL, { kind: 'dns', address: '127.0.0.11', name: 'db', qtype: 'SRV' })).toBeNull();
    expect(shellSupport('dns', ALL, { kind: 'dns', address: '127.0.0.11', name: 'db', qtype: 'CAA' })).toMatch(/cannot ask CAA/);
    expect(shellSupport('dns', { ...ALL, nslookup: false })).toMatch(/no nslookup/);
  });
});

describe('classifyShell', () => {
  it.each([
    ['tcp', 0, '', 'connected'],
    ['tcp', 1, "nc: can't connect to remote host (10.0.0.2): Connection refused", 'refused'],
    ['tcp', 1, 'nc: timed out', 'timeout'],
    ['tcp', 1, "nc: can't connect to remote host (10.0.0.9): No route to host", 'unreachable'],
    ['tcp', 1, 'bash: connect: Network is unreachable', 'unreachable'],
    ['tcp', 127, 'sh: nc: not found', 'error'],
    ['http', 0, 'HTTP/1.1 404 Not Found', 'connected'],
    ['http', 0, '', 'error'],
    ['icmp', 0, '64 bytes from 10.0.0.2: seq=0 ttl=64 time=0.330 ms', 'answered'],
    ['icmp', 1, '1 packets transmitted, 0 packets received, 100% packet loss', 'no-answer'],
    ['icmp', 1, 'From 10.0.0.1 icmp_seq=1 Destination Host Unreachable', 'unreachable'],
  ] as const)('%s exit %i "%s" → %s', (kind, code, msg, want) => {
    expect(classifyShell(kind, code, msg).result).toBe(want);
  });
});

// Real busybox 1.35 nslookup output captured on the live daemon (see the fixture's _note).
interface Capture {
  cmd: string[];
  code: number;
  stdout: string;
  stderr: string;
}
const CAPTURES = (JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'probe', 'busybox-nslookup.json'), 'utf8')) as { cases: Record<string, Capture> }).cases;
const captured = (k: string): { code: number; out: string } => {
  const c = CAPTURES[k];
  if (!c) throw new Error(`no capture ${k}`);
  // The script runs nslookup with 2>&1; stderr (the ICMP error) comes first.
  return { code: c.code, out: c.stderr + c.stdout };
};

describe('busybox nslookup output (captured)', () => {
  it.each([
    ['answer-embedded', 'answered', 'NOERROR', ['10.214.160.10']],
    ['answer-embedded-port', 'answered', 'NOERROR', ['10.214.160.10']],
    ['answer-two', 'answered', 'NOERROR', ['10.214.160.10', '10.214.160.11']],
    ['answer-aaaa', 'answered', 'NOERROR', ['fd21:ee75::1']],
    ['nodata-aaaa', 'answered', 'NOERROR', []],
    ['txt', 'answered', 'NOERROR', []],
    ['nxdomain-embedded', 'answered', 'NXDOMAIN', []],
    ['nxdomain-direct', 'answered', 'NXDOMAIN', []],
    ['servfail', 'answered', 'SERVFAIL', []],
    ['refused-rcode', 'answered', 'REFUSED', []],
    ['closed-port', 'refused', undefined, undefined],
    ['dropped', 'timeout', undefined, undefined],
    ['unused-address', 'timeout', undefined, undefined],
    ['ptr-embedded', 'timeout', undefined, undefined],
  ] as const)('dns %s → %s %s', (k, result, rcode, answers) => {
    const { code, out } = captured(k);
    const r = classifyShell('dns', code, out);
    expect(r.result).toBe(result);
    expect(r.rcode).toBe(rcode);
    expect(r.answers).toEqual(answers);
    // the script folds the output onto one line: the same reading
    expect(classifyShell('dns', code, out.replace(/\s+/g, ' '))).toEqual(r);
  });

  it('reads a PTR answer with its type', () => {
    const { code, out } = captured('ptr-name');
    expect(parseNslookup(code, out)).toEqual({
      outcome: 'reply',
      rcode: 'NOERROR',
      records: [{ name: '10.160.214.10.in-addr.arpa', type: 'PTR', data: expect.stringMatching(/^nst-[0-9a-f]{6}-esrv\.nst-[0-9a-f]{6}-expa$/) }],
    });
    expect(parseNslookup(...Object.values(captured('answer-aaaa')) as [number, string]).records[0]).toMatchObject({ type: 'AAAA' });
  });

  it.each([
    ['udp-answered', 'answered'],
    ['nxdomain-direct', 'answered'],
    ['closed-port', 'refused'],
    ['dropped', 'no-answer'],
  ] as const)('udp %s → %s, saying how the datagram was sent', (k, result) => {
    const { code, out } = captured(k);
    const r = classifyShell('udp', code, out);
    expect(r.result).toBe(result);
    expect(r.detail).toMatch(/sent a DNS query datagram with busybox nslookup/);
    if (result === 'no-answer') expect(r.detail).toMatch(/proves nothing/);
  });

  it('other record lines, a missing tool and garbage', () => {
    const mx = 'Server:\t\t10.0.0.1\nAddress:\t10.0.0.1:53\n\nx.test\tmail exchanger = 10 mx.x.test\nx.test\tcanonical name = y.test\n';
    expect(parseNslookup(0, mx).records).toEqual([
      { name: 'x.test', type: 'MX', data: '10 mx.x.test' },
      { name: 'x.test', type: 'CNAME', data: 'y.test' },
    ]);
    expect(classifyShell('dns', 127, 'sh: nslookup: not found')).toMatchObject({ result: 'error', errno: 'ENOTOOL' });
    expect(classifyShell('dns', 1, 'something else')).toMatchObject({ result: 'error' });
    expect(classifyShell('udp', 1, 'nslookup: read: No route to host')).toMatchObject({ result: 'unreachable', errno: 'EHOSTUNREACH' });
  });
});

describe('parseShellOutput', () => {
  const targets: AgentTarget[] = [
    { kind: 'tcp', address: '10.0.0.2', port: 80 },
    { kind: 'http', address: '10.0.0.2', port: 80 },
    { kind: 'tcp', address: '10.0.0.3', port: 80 },
  ];
  it('maps lines back by index, with latency from the uptime pair, and names missing ones', () => {
    const out = 'junk\nNSPROBE 1 0 100.10 100.35 HTTP/1.0 200 OK\nNSPROBE 0 1 100.00 100.02 nc: ... Connection refused\nNSPROBE-END\n';
    const r = parseShellOutput(targets, out, 'cut short');
    expect(r[0]).toMatchObject({ result: 'refused', latencyMs: 20 });
    expect(r[1]).toMatchObject({ result: 'connected', status: 200, latencyMs: 250 });
    expect(r[2]).toMatchObject({ result: 'error', errno: 'NORESULT', detail: 'cut short' });
  });

  it('never throws and always returns one result per target, whatever the output', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('NSPROBE 0 0 1 2 x', 'NSPROBE 9 1 a b', 'NSPROBE 2 1 5.5 4.0 refused'))), (lines) => {
        const r = parseShellOutput(targets, lines.join('\n'), 'm');
        expect(r).toHaveLength(3);
        for (const x of r) expect(x.latencyMs === null || x.latencyMs >= 0).toBe(true);
      }),
    );
  });
});

describe.skipIf(!BUSYBOX)('the script under the host busybox, against loopback', () => {
  let bin: string;
  let open: net.Server;
  let openPort: number;
  let web: http.Server;
  let webPort: number;
  let dnsServer: DnsServer;
  const listen = (s: net.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), 'netsleuth-shell-'));
    for (const a of ['sh', 'nc', 'timeout', 'ping', 'head', 'printf', 'nslookup']) symlinkSync(BUSYBOX!, join(bin, a));
    dnsServer = await startDnsServer({ address: '127.0.0.1', port: 0, zone: { 'db.test.': ['10.0.0.7'] } });
    open = net.createServer((c) => c.destroy());
    openPort = await listen(open);
    web = http.createServer((_q, res) => {
      res.writeHead(204);
      res.end();
    });
    webPort = await listen(web);
  });
  afterAll(async () => {
    await dnsServer.close();
    open.close();
    web.closeAllConnections();
    web.close();
    rmSync(bin, { recursive: true, force: true });
  });

  const runScript = (script: string): Promise<string> =>
    new Promise((resolve) => {
      execFile(join(bin, 'sh'), ['-c', script], { env: { PATH: bin }, timeout: 30_000, encoding: 'utf8' }, (_e, stdout) => resolve(stdout));
    });

  it('connected, refused, an HTTP status and an ICMP echo reply, all in one run', async () => {
    const closed = await unusedPort();
    const targets: AgentTarget[] = [
      { kind: 'tcp', address: '127.0.0.1', port: openPort },
      { kind: 'tcp', address: '127.0.0.1', port: closed },
      { kind: 'http', address: '127.0.0.1', port: webPort, path: '/x?y=1' },
      { kind: 'icmp', address: '127.0.0.1' },
    ];
    const out = await runScript(buildShellScript(targets, { timeoutMs: 2000, concurrency: 2, tools: ALL }));
    expect(out).toContain('NSPROBE-END');
    const r = parseShellOutput(targets, out, 'missing');
    expect(r.map((x) => x.result)).toEqual(['connected', 'refused', 'connected', expect.stringMatching(/answered|error/)]);
    expect(r[2]!.status).toBe(204);
  });

  it('dns and udp through nslookup: an answer, NXDOMAIN, ICMP port unreachable, silence', async () => {
    const closed = await unusedPort();
    const silent = (await import('node:dgram')).createSocket('udp4');
    const silentPort = await new Promise<number>((r) => silent.bind(0, '127.0.0.1', () => r(silent.address().port)));
    try {
      const targets: AgentTarget[] = [
        { kind: 'dns', address: '127.0.0.1', port: dnsServer.port, name: 'db.test' },
        { kind: 'dns', address: '127.0.0.1', port: dnsServer.port, name: 'nothere.test' },
        { kind: 'dns', address: '127.0.0.1', port: closed, name: 'db.test' },
        { kind: 'udp', address: '127.0.0.1', port: dnsServer.port },
        { kind: 'udp', address: '127.0.0.1', port: closed },
        { kind: 'udp', address: '127.0.0.1', port: silentPort },
      ];
      const out = await runScript(buildShellScript(targets, { timeoutMs: 1000, concurrency: 8, tools: ALL }));
      const r = parseShellOutput(targets, out, 'missing');
      expect(r.map((x) => x.result)).toEqual(['answered', 'answered', 'refused', 'answered', 'refused', 'no-answer']);
      expect(r[0]).toMatchObject({ rcode: 'NOERROR', answers: ['10.0.0.7'] });
      expect(r[1]).toMatchObject({ rcode: 'NXDOMAIN', answers: [] });
      expect(dnsServer.queries.some((q) => q.name === 'netsleuth-probe.invalid')).toBe(true);
    } finally {
      silent.close();
    }
  });
});
