// Live probes on the real daemon, for each method (nsenter, sidecar, exec) and each kind where the
// method can do it: an open port, a closed port (refused), a port behind a DROP rule in
// DOCKER-USER (timeout), an internal network, two networks isolated by Docker (timeout), a
// published port from the host side, UDP answered/refused/silent, ICMP, HTTP; the noshell image
// via nsenter (and exec saying it cannot); sidecars gone after success, error and abort.
//
// Topology (subnets 10.214.140-142.0/24, used by no other live test):
//   pa 10.214.140.0/24: srv (httpd :80 and :8081, published 80 on a random host port), cli
//                       (busybox, used for exec), bare (netsleuth-test/noshell: no shell, no tools)
//   pb 10.214.141.0/24: other (httpd :80), unreachable from pa (Docker isolation)
//   pi 10.214.142.0/24 internal: isrv (httpd :80), icli
// Every target is an address on these networks (or pa's gateway, where our DNS server runs).
// The agent runs from dist/: run `npm run build` first.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressOwner } from '../../src/analysis/probe-scope.js';
import type { Container, NetworkState } from '../../src/model/types.js';
import { probeMany, type ProbeContext, type ProbeOutcome, type ProbePair } from '../../src/probe/runner.js';
import type { ProbeMethod } from '../../src/probe/types.js';
import { EngineClient } from '../../src/sources/docker/engine.js';
import { resolveEndpoint } from '../../src/sources/docker/endpoint.js';
import { openSource } from '../../src/sources/open.js';
import { ROOT } from '../support/cli.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import {
  BUSYBOX_IMAGE,
  NOSHELL_IMAGE,
  cleanupAll,
  createNetwork,
  docker,
  dockerHost,
  inspect,
  iptables,
  leftoverSidecars,
  preflight,
  requireLiveDaemon,
  runContainer,
  type TestContainer,
  type TestNetwork,
} from './harness.js';

const live = requireLiveDaemon();
const AGENT = join(ROOT, 'dist', 'src', 'probe', 'agent.js');
const SIDECAR_LABELS = { 'netsleuth.test': '1' };

describe.skipIf(!live)('probes (live)', () => {
  let pa: TestNetwork;
  let pb: TestNetwork;
  let pi: TestNetwork;
  let dns: DnsServer | undefined;
  let srv: TestContainer;
  let cli: TestContainer;
  let bare: TestContainer;
  let icli: TestContainer;
  let publishedPort: number;
  let state: NetworkState;
  let engine: EngineClient;
  let label: string;
  const dropRules: string[][] = [];

  const c = (t: TestContainer): Container => {
    const found = state.containers.find((x) => x.id === t.id);
    if (!found) throw new Error(`container ${t.name} is not in the captured state`);
    return found;
  };
  const ctx = (over: Partial<ProbeContext> = {}): ProbeContext => ({
    state,
    endpoint: label,
    engine,
    agentPath: AGENT,
    probeImage: BUSYBOX_IMAGE,
    sidecarLabels: SIDECAR_LABELS,
    ...over,
  });
  const run = (method: ProbeMethod | undefined, pairs: ProbePair[], timeoutMs = 1500, over: Partial<ProbeContext> = {}): Promise<ProbeOutcome[]> =>
    probeMany(ctx({ method, ...over }), pairs, { timeoutMs });

  beforeAll(async () => {
    if (!existsSync(AGENT)) throw new Error(`${AGENT} is missing: run npm run build before the live probe tests`);
    await preflight();
    await cleanupAll();
    pa = await createNetwork({ name: 'pa', subnet: '10.214.140.0/24' });
    pb = await createNetwork({ name: 'pb', subnet: '10.214.141.0/24' });
    pi = await createNetwork({ name: 'pi', subnet: '10.214.142.0/24', internal: true });
    dns = await startDnsServer({ address: pa.gateway, port: 53, zone: { 'probe.test.': ['10.214.140.10'] } });
    const gw = pa.gateway;
    srv = await runContainer({
      name: 'srv',
      network: pa.name,
      ip: '10.214.140.10',
      dns: gw,
      publish: ['80'],
      command: ['sh', '-c', 'httpd -p 80 && httpd -p 8081 && exec sleep 86400'],
    });
    cli = await runContainer({ name: 'cli', network: pa.name, ip: '10.214.140.20', dns: gw });
    bare = await runContainer({ name: 'bare', network: pa.name, ip: '10.214.140.30', dns: gw, image: NOSHELL_IMAGE });
    await runContainer({ name: 'other', network: pb.name, ip: '10.214.141.10', dns: gw, command: ['httpd', '-f', '-p', '80'] });
    await runContainer({ name: 'isrv', network: pi.name, ip: '10.214.142.10', dns: gw, command: ['httpd', '-f', '-p', '80'] });
    icli = await runContainer({ name: 'icli', network: pi.name, ip: '10.214.142.20', dns: gw });
    const info = (await inspect(srv.id)) as { NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> } };
    publishedPort = Number(info.NetworkSettings.Ports['80/tcp']!.find((b) => b.HostIp === '0.0.0.0' || b.HostIp === '')!.HostPort);

    // A DROP rule in DOCKER-USER for cli → srv:8081/tcp and cli → srv:5353/udp.
    for (const spec of [
      ['-s', '10.214.140.20', '-d', '10.214.140.10', '-p', 'tcp', '--dport', '8081', '-j', 'DROP'],
      ['-s', '10.214.140.20', '-d', '10.214.140.10', '-p', 'udp', '--dport', '5353', '-j', 'DROP'],
    ]) {
      const r = await iptables(['-I', 'DOCKER-USER', ...spec]);
      if (r.code !== 0) throw new Error(`iptables -I DOCKER-USER failed: ${r.stderr}`);
      dropRules.push(spec);
    }
    const opened = await openSource({ host: dockerHost() }, { toolVersion: 'test', hostEvidence: 'never' });
    state = opened.snapshot.state;
    label = opened.label;
    engine = await EngineClient.connect(resolveEndpoint({ host: dockerHost(), env: {} }));
  });

  afterAll(async () => {
    for (const spec of dropRules) {
      // delete every copy (a failed earlier run may have left one)
      for (let i = 0; i < 5; i++) if ((await iptables(['-D', 'DOCKER-USER', ...spec])).code !== 0) break;
    }
    await engine?.close();
    await dns?.close();
    await cleanupAll();
  });

  // ----------------------------------------------------------------------------------------------
  describe('nsenter', () => {
    it('TCP: open, closed, DROP rule, other network, internal network', async () => {
      const r = await run('nsenter', [
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 80 },
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 81 },
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 8081 },
        { from: c(cli), kind: 'tcp', address: '10.214.141.10', port: 80 },
        { from: c(icli), kind: 'tcp', address: '10.214.142.10', port: 80 },
        { from: c(icli), kind: 'tcp', address: '10.214.140.10', port: 80 },
        // the same port from a container the DROP rule does not match: open
        { from: c(bare), kind: 'tcp', address: '10.214.140.10', port: 8081 },
      ]);
      expect(r.map((x) => x.method)).toEqual(Array(7).fill('nsenter'));
      // internal → another network: this daemon drops it (timeout), as it does between networks
      expect(r.map((x) => x.result)).toEqual(['connected', 'refused', 'timeout', 'timeout', 'connected', 'timeout', 'connected']);
      expect(r[0]!.latencyMs).toBeLessThan(1000);
      expect(r[2]!.latencyMs).toBeGreaterThanOrEqual(1400);
    });

    it('unreachable: an unused address on the container\'s own subnet (ARP fails, EHOSTUNREACH)', async () => {
      const r = await run('nsenter', [{ from: c(cli), kind: 'tcp', address: '10.214.140.99', port: 80 }], 6000);
      expect(r[0]).toMatchObject({ result: 'unreachable', errno: 'EHOSTUNREACH' });
    });

    it('works in a container whose image has no shell and no tools', async () => {
      const r = await run(undefined, [
        { from: c(bare), kind: 'tcp', address: '10.214.140.10', port: 80 },
        { from: c(bare), kind: 'tcp', address: '10.214.140.10', port: 81 },
        { from: c(bare), kind: 'http', address: '10.214.140.10', port: 80 },
      ]);
      expect(r.map((x) => [x.method, x.result])).toEqual([
        ['nsenter', 'connected'],
        ['nsenter', 'refused'],
        ['nsenter', 'connected'],
      ]);
      expect(r[2]!.status).toBe(404);
    });

    it('UDP: answered (our DNS server), refused (ICMP port unreachable), no-answer behind DROP', async () => {
      const query = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'probe.test' }] }).toString('hex');
      const r = await run('nsenter', [
        { from: c(cli), kind: 'udp', address: pa.gateway, port: 53, payloadHex: query },
        { from: c(cli), kind: 'udp', address: '10.214.140.10', port: 5354 },
        { from: c(cli), kind: 'udp', address: '10.214.140.10', port: 5353 },
      ]);
      expect(r.map((x) => x.result)).toEqual(['answered', 'refused', 'no-answer']);
      expect(r[2]!.detail).toMatch(/proves nothing/);
      expect(dns!.queries.some((q) => q.name === 'probe.test' && q.from === '10.214.140.20')).toBe(true);
    });

    it('ICMP echo and HTTP status', async () => {
      const r = await run('nsenter', [
        { from: c(cli), kind: 'icmp', address: '10.214.140.10' },
        { from: c(cli), kind: 'icmp', address: '10.214.141.10' },
        { from: c(cli), kind: 'http', address: '10.214.140.10', port: 80, path: '/nothing-here' },
        { from: c(cli), kind: 'http', address: '10.214.140.10', port: 8081 },
      ]);
      expect(r[0]!.result).toBe('answered');
      expect(r[1]!.result).toBe('no-answer');
      expect(r[2]).toMatchObject({ result: 'connected', status: 404 });
      expect(r[3]!.result).toBe('timeout');
    });

    it('the published port from the host namespace (the agent runs there directly)', async () => {
      const r = await run('nsenter', [
        { from: 'host', kind: 'tcp', address: pa.gateway, port: publishedPort },
        { from: 'host', kind: 'http', address: pa.gateway, port: publishedPort },
      ]);
      expect(r.map((x) => [x.from, x.method, x.result])).toEqual([
        ['host', 'nsenter', 'connected'],
        ['host', 'nsenter', 'connected'],
      ]);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe('sidecar', () => {
    it('TCP, HTTP and ICMP from a busybox sidecar in the source namespace; nothing left after', async () => {
      const r = await run('sidecar', [
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 80 },
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 81 },
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 8081 },
        { from: c(cli), kind: 'tcp', address: '10.214.141.10', port: 80 },
        { from: c(cli), kind: 'http', address: '10.214.140.10', port: 80 },
        { from: c(cli), kind: 'icmp', address: '10.214.140.10' },
        { from: c(icli), kind: 'tcp', address: '10.214.142.10', port: 80 },
        { from: c(icli), kind: 'tcp', address: '10.214.140.10', port: 80 },
      ]);
      expect(r.map((x) => x.method)).toEqual(Array(8).fill('sidecar'));
      expect(r.map((x) => x.result)).toEqual(['connected', 'refused', 'timeout', 'timeout', 'connected', 'answered', 'connected', 'timeout']);
      expect(r[4]!.status).toBe(404);
      expect(await leftoverSidecars()).toEqual([]);
    });

    it('the noshell container, via a sidecar sharing its namespace', async () => {
      const r = await run('sidecar', [{ from: c(bare), kind: 'tcp', address: '10.214.140.10', port: 80 }]);
      expect(r[0]).toMatchObject({ method: 'sidecar', result: 'connected' });
    });

    it('the host side: a sidecar in the host namespace reaches the published port', async () => {
      const r = await run('sidecar', [{ from: 'host', kind: 'tcp', address: pa.gateway, port: publishedPort }]);
      expect(r[0]).toMatchObject({ method: 'sidecar', result: 'connected' });
      expect(await leftoverSidecars()).toEqual([]);
    });

    it('UDP: without a payload busybox nslookup sees the ICMP port unreachable; a payload is said, not guessed', async () => {
      const r = await run('sidecar', [
        { from: c(cli), kind: 'udp', address: '10.214.140.10', port: 5354 },
        { from: c(cli), kind: 'udp', address: '10.214.140.10', port: 5354, payloadHex: '00' },
      ]);
      expect(r[0]).toMatchObject({ method: 'sidecar', result: 'refused' });
      expect(r[0]!.detail).toMatch(/sent a DNS query datagram with busybox nslookup/);
      expect(r[1]).toMatchObject({ result: 'error', notSent: 'no-method' });
      expect(r[1]!.detail).toMatch(/payloadHex.*nsenter/);
    });

    it('an absent probe image is refused clearly and never pulled', async () => {
      const r = await run('sidecar', [{ from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 80 }], 1500, { probeImage: 'netsleuth-test/not-there:latest' });
      expect(r[0]!.detail).toMatch(/the probe image netsleuth-test\/not-there:latest is not on the daemon \(netsleuth never pulls/);
      const img = await docker(['image', 'inspect', 'netsleuth-test/not-there:latest'], { allowFailure: true });
      expect(img.code).not.toBe(0);
    });

    it('is removed after an error (a probe image without a shell)', async () => {
      const r = await run('sidecar', [{ from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 80 }], 1500, { probeImage: NOSHELL_IMAGE });
      expect(r[0]).toMatchObject({ method: 'sidecar', result: 'error' });
      expect(r[0]!.detail).toBeTruthy();
      expect(await leftoverSidecars()).toEqual([]);
    });

    it('is removed after an abort in the middle of its probes', async () => {
      const ac = new AbortController();
      // long timeouts behind the DROP rule: the sidecar is still probing when we abort
      const pairs: ProbePair[] = Array.from({ length: 4 }, () => ({ from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 8081 }));
      const p = probeMany(ctx({ method: 'sidecar' }), pairs, { timeoutMs: 20_000, signal: ac.signal });
      let seen: string[] = [];
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        seen = await leftoverSidecars();
      }
      expect(seen).toHaveLength(1);
      const running = await docker(['inspect', '--format', '{{.State.Running}} {{index .Config.Labels "netsleuth.probe"}} {{.HostConfig.NetworkMode}}', seen[0]!]);
      expect(running.stdout.trim()).toBe(`true 1 container:${cli.id}`);
      const started = Date.now();
      ac.abort();
      const r = await p;
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.every((x) => x.result === 'error' && x.detail === 'aborted')).toBe(true);
      expect(await leftoverSidecars()).toEqual([]);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe('exec', () => {
    it("uses the container's own busybox tools", async () => {
      const r = await run('exec', [
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 80 },
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 81 },
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 8081 },
        { from: c(cli), kind: 'tcp', address: '10.214.141.10', port: 80 },
        { from: c(cli), kind: 'http', address: '10.214.140.10', port: 80 },
        { from: c(cli), kind: 'icmp', address: '10.214.140.10' },
        { from: c(icli), kind: 'tcp', address: '10.214.142.10', port: 80 },
        { from: c(icli), kind: 'tcp', address: '10.214.140.10', port: 80 },
      ]);
      expect(r.map((x) => x.method)).toEqual(Array(8).fill('exec'));
      expect(r.map((x) => x.result)).toEqual(['connected', 'refused', 'timeout', 'timeout', 'connected', 'answered', 'connected', 'timeout']);
    });

    it('says clearly when the container has no shell, and auto mode never needs one', async () => {
      const r = await run('exec', [{ from: c(bare), kind: 'tcp', address: '10.214.140.10', port: 80 }]);
      expect(r[0]).toMatchObject({ method: 'exec', result: 'error', notSent: 'no-method' });
      expect(r[0]!.detail).toMatch(/has no shell \(sh\)/);
    });
  });

  // ----------------------------------------------------------------------------------------------
  describe('choice and safety', () => {
    it('auto without root skips nsenter with its reason and uses the sidecar', async () => {
      const r = await run(undefined, [{ from: c(bare), kind: 'tcp', address: '10.214.140.10', port: 80 }], 1500, { env: { uid: 1000 } });
      expect(r[0]).toMatchObject({ method: 'sidecar', result: 'connected' });
      expect(r[0]!.skipped).toEqual([{ method: 'nsenter', reason: expect.stringMatching(/needs root/) }]);
      expect(await leftoverSidecars()).toEqual([]);
    });

    it('refuses a target the model does not own, before any method runs', async () => {
      // an address in the guarded test range that no network on the daemon holds right now
      const free = [250, 251, 252, 253, 254].map((x) => `10.214.${x}.77`).find((ip) => addressOwner(state, ip) === null);
      expect(free).toBeDefined();
      const r = await run(undefined, [{ from: c(cli), kind: 'tcp', address: free!, port: 80 }]);
      expect(r[0]).toMatchObject({ method: null, result: 'error', notSent: 'scope' });
    });

    it('the same outcome from every method for the same pair', async () => {
      const pairs: ProbePair[] = [
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 80 },
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 81 },
        { from: c(cli), kind: 'tcp', address: '10.214.140.10', port: 8081 },
      ];
      const by = await Promise.all((['nsenter', 'sidecar', 'exec'] as const).map((m) => run(m, pairs)));
      for (const r of by) expect(r.map((x) => x.result)).toEqual(['connected', 'refused', 'timeout']);
    });
  });
});
