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
import { buildShellScript, classifyShell, parseShellOutput, parseTools, shellSupport, TOOL_PROBE_SCRIPT } from '../../../src/probe/shell.js';
import type { AgentTarget } from '../../../src/probe/types.js';
import { unusedPort } from '../../support/fake-engine.js';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const ALL: Parameters<typeof buildShellScript>[1]['tools'] = { nc: true, bash: false, timeout: true, ping: true };

describe('buildShellScript', () => {
  it('refuses to interpolate anything but addresses, ports and plain paths', () => {
    const opts = { timeoutMs: 1000, concurrency: 4, tools: ALL };
    expect(() => buildShellScript([{ kind: 'tcp', address: '1.2.3.4; rm -rf /', port: 80 }], opts)).toThrow(/not an IP/);
    expect(() => buildShellScript([{ kind: 'tcp', address: '10.0.0.1', port: 70000 }], opts)).toThrow(/port/);
    expect(() => buildShellScript([{ kind: 'http', address: '10.0.0.1', port: 80, path: "/'$(id)'" }], opts)).toThrow(/path/);
    expect(() => buildShellScript([{ kind: 'udp', address: '10.0.0.1', port: 53 }], opts)).toThrow(/cannot do udp/);
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
    expect(parseTools('have nc\nhave ping\ntools-done\n')).toEqual({ nc: true, bash: false, timeout: false, ping: true });
    expect(TOOL_PROBE_SCRIPT).toContain('command -v');
  });
  it('says why a kind cannot be probed with the tools at hand', () => {
    const none = { nc: false, bash: false, timeout: false, ping: false };
    expect(shellSupport('tcp', none)).toMatch(/no nc and no bash/);
    expect(shellSupport('tcp', { ...none, bash: true })).toBeNull();
    expect(shellSupport('icmp', none)).toMatch(/no ping/);
    expect(shellSupport('udp', ALL)).toMatch(/nsenter/);
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
  const listen = (s: net.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), 'netsleuth-shell-'));
    for (const a of ['sh', 'nc', 'timeout', 'ping', 'head', 'printf']) symlinkSync(BUSYBOX!, join(bin, a));
    open = net.createServer((c) => c.destroy());
    openPort = await listen(open);
    web = http.createServer((_q, res) => {
      res.writeHead(204);
      res.end();
    });
    webPort = await listen(web);
  });
  afterAll(() => {
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
});
