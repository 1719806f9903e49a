// Oracle test for `firewall trace`: build a small topology on the real test daemon, ask netsleuth
// (live, and from a captured snapshot) for the verdict of each flow, and compare with what the
// kernel actually does to a real TCP connection from inside the source container
// (`echo GET | nc -w 2 B 80` against `httpd -f -p 80` in B; this busybox's nc has no -z).
//
//   same network             → ACCEPT / connected
//   ICC-disabled network     → DROP   / timeout
//   across two networks      → DROP   / timeout (isolation)
//   DOCKER-USER DROP A → B   → DROP   / timeout (the rule is inserted here and removed in afterAll)
//
// A `ACCEPT` prediction where the kernel dropped (or the reverse) fails the test. Containers get
// --dns at their network's gateway (nothing needs to resolve: probes use addresses). Needs root on
// the daemon's host, so the capture includes the host's iptables-save.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { cleanupRun, createNetwork, dockerHost, exec, preflight, requireLiveDaemon, runContainer, type TestContainer, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();

type Probe = 'connected' | 'refused' | 'timeout' | 'error';
const EXPECT: Record<Probe, string> = { connected: 'ACCEPT', timeout: 'DROP', refused: 'REJECT', error: '?' };

async function probe(from: TestContainer, ip: string): Promise<{ result: Probe; detail: string }> {
  const r = await exec(from.name, ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 80`], 20_000);
  const text = `${r.stdout}${r.stderr}`;
  if (r.code === 0 && /HTTP\/1\.[01] /.test(r.stdout)) return { result: 'connected', detail: r.stdout.split('\n')[0]! };
  if (/timed out/i.test(text) || r.timedOut) return { result: 'timeout', detail: text.trim() };
  if (/refused|unreachable/i.test(text)) return { result: 'refused', detail: text.trim() };
  return { result: 'error', detail: `exit ${r.code}: ${text.trim()}` };
}

function iptables(args: string[]): void {
  execFileSync('iptables', ['-w', '5', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.skipIf(!live)('firewall trace agrees with the kernel (live daemon and captured snapshot)', () => {
  let dir: string;
  let snapFile: string;
  let open: TestNetwork;
  let noicc: TestNetwork;
  const c: Record<string, TestContainer> = {};
  const ip = (k: string, n: TestNetwork) => c[k]!.ips[n.name]!;
  let userRule: string[] | null = null;

  beforeAll(async () => {
    await preflight();
    await cleanupRun();
    dir = mkdtempSync(join(tmpdir(), 'netsleuth-live-fw-'));
    open = await createNetwork({ name: 'fw-open' });
    noicc = await createNetwork({ name: 'fw-noicc', icc: false });
    const server = ['httpd', '-f', '-p', '80'];
    c.a = await runContainer({ name: 'fw-a', network: open.name, dns: open.gateway });
    c.b = await runContainer({ name: 'fw-b', network: open.name, dns: open.gateway, command: server });
    c.x = await runContainer({ name: 'fw-x', network: noicc.name, dns: noicc.gateway });
    c.y = await runContainer({ name: 'fw-y', network: noicc.name, dns: noicc.gateway, command: server });
    c.e = await runContainer({ name: 'fw-e', network: open.name, dns: open.gateway });
    snapFile = join(dir, 'fw.json');
    const r = await runCli(['snapshot', 'capture', '--host', dockerHost(), '-o', snapFile], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`capture failed (${r.code}): ${r.stderr}`);
  });

  afterAll(async () => {
    if (userRule) {
      try {
        iptables(['-D', ...userRule]);
      } catch {
        /* already gone */
      }
    }
    await cleanupRun();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function trace(from: string, to: string, source: string[]): Promise<{ verdict: string; reasons: Array<{ code: string }>; decidedBy: { chain: string } | null }> {
    const r = await runCli(['firewall', 'trace', ...source, '--from', from, '--to', to, '--port', '80/tcp', '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  async function agree(fromKey: string, toKey: string, net: TestNetwork, expected: { verdict: string; probe: Probe; code?: string }, snapshotToo = true) {
    const src = c[fromKey]!;
    const dstIp = ip(toKey, net);
    const observed = await probe(src, dstIp);
    const liveT = await trace(src.name, c[toKey]!.name, ['--host', dockerHost()]);
    // The core promise: the prediction matches what the kernel did.
    expect(liveT.verdict, `live verdict ${liveT.verdict} but the kernel's probe gave ${observed.result} (${observed.detail})`).toBe(EXPECT[observed.result]);
    if (snapshotToo) {
      const snapT = await trace(src.name, c[toKey]!.name, ['--snapshot', snapFile]);
      expect(snapT.verdict, `snapshot verdict ${snapT.verdict} vs probe ${observed.result}`).toBe(EXPECT[observed.result]);
      expect(snapT.decidedBy).toEqual(liveT.decidedBy);
    }
    // And the scenario is the one intended (guards against a topology that silently changed).
    expect(observed.result).toBe(expected.probe);
    expect(liveT.verdict).toBe(expected.verdict);
    if (expected.code) expect(liveT.reasons[0]!.code).toBe(expected.code);
  }

  it('same network: ACCEPT, and the connection is made', async () => {
    await agree('a', 'b', open, { verdict: 'ACCEPT', probe: 'connected' });
  });

  it('ICC-disabled network: DROP, and the connection times out', async () => {
    await agree('x', 'y', noicc, { verdict: 'DROP', probe: 'timeout', code: 'FW_ICC_DISABLED' });
  });

  it('across networks: DROP by isolation, and the connection times out', async () => {
    await agree('a', 'y', noicc, { verdict: 'DROP', probe: 'timeout', code: 'FW_DOCKER_ISOLATION' });
  });

  it('a DOCKER-USER DROP rule for e → b: DROP, the kernel drops it, while a → b still connects', async () => {
    userRule = ['DOCKER-USER', '-s', `${ip('e', open)}/32`, '-d', `${ip('b', open)}/32`, '-j', 'DROP'];
    iptables(['-I', ...userRule]);
    // The snapshot captured before the rule does not know it: live only.
    await agree('e', 'b', open, { verdict: 'DROP', probe: 'timeout', code: 'FW_DOCKER_USER_DROP' }, false);
    await agree('a', 'b', open, { verdict: 'ACCEPT', probe: 'connected' }, false);
    iptables(['-D', ...userRule]);
    userRule = null;
    await agree('e', 'b', open, { verdict: 'ACCEPT', probe: 'connected' }, false);
  });
});
