// Live dns probes and UDP from the shell methods, on the real daemon, for each method (nsenter,
// sidecar, exec): Docker's embedded DNS (127.0.0.11) answering a container name on the same
// network; NXDOMAIN for a name it does not know (it forwards unknown names to the container's
// --dns server, our test server, which answers NXDOMAIN) and for a container on another network;
// SERVFAIL from our server; a closed UDP port on a peer (ICMP port unreachable → refused); UDP
// without payload to our DNS server (answered) and to a port behind a DOCKER-USER DROP rule
// (no-answer). Then `dns NAME --from C --probe-method sidecar` through the CLI.
//
// Topology (subnets 10.214.160-161.0/24, used by no other live test):
//   da 10.214.160.0/24: srv 10.214.160.10 (busybox), cli 10.214.160.20 (busybox); our DNS server on
//                       the gateway 10.214.160.1:53
//   db 10.214.161.0/24: far 10.214.161.10 (a name da's containers cannot resolve)
// Every container gets --dns 10.214.160.1. The agent runs from dist/: run `npm run build` first.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, NetworkState } from '../../src/model/types.js';
import { probeMany, type ProbeContext, type ProbeOutcome, type ProbePair } from '../../src/probe/runner.js';
import type { ProbeMethod } from '../../src/probe/types.js';
import { EngineClient } from '../../src/sources/docker/engine.js';
import { resolveEndpoint } from '../../src/sources/docker/endpoint.js';
import { openSource } from '../../src/sources/open.js';
import { ROOT, runCli } from '../support/cli.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import { BUSYBOX_IMAGE, cleanupRun, createNetwork, dockerHost, iptables, leftoverSidecars, preflight, requireLiveDaemon, runContainer, type TestContainer, type TestNetwork } from './harness.js';

const live = requireLiveDaemon();
const AGENT = join(ROOT, 'dist', 'src', 'probe', 'agent.js');
const SIDECAR_LABELS = { 'netsleuth.test': '1' };
const DROP = ['-s', '10.214.160.20', '-d', '10.214.160.10', '-p', 'udp', '--dport', '5353', '-j', 'DROP'];

describe.skipIf(!live)('dns probes and shell UDP (live)', () => {
  let da: TestNetwork;
  let db: TestNetwork;
  let dns: DnsServer | undefined;
  let srv: TestContainer;
  let cli: TestContainer;
  let far: TestContainer;
  let state: NetworkState;
  let engine: EngineClient | undefined;
  let label: string;
  let dropped = false;

  const c = (t: TestContainer): Container => {
    const found = state.containers.find((x) => x.id === t.id);
    if (!found) throw new Error(`container ${t.name} is not in the captured state`);
    return found;
  };
  const run = (method: ProbeMethod, pairs: ProbePair[], timeoutMs = 1500): Promise<ProbeOutcome[]> => {
    const ctx: ProbeContext = { state, endpoint: label, engine, method, agentPath: AGENT, probeImage: BUSYBOX_IMAGE, sidecarLabels: SIDECAR_LABELS };
    return probeMany(ctx, pairs, { timeoutMs });
  };

  beforeAll(async () => {
    if (!existsSync(AGENT)) throw new Error(`${AGENT} is missing: run npm run build before the live probe tests`);
    await preflight();
    await cleanupRun();
    da = await createNetwork({ name: 'da', subnet: '10.214.160.0/24' });
    db = await createNetwork({ name: 'db', subnet: '10.214.161.0/24' });
    // Answers NXDOMAIN for every name outside its zone: what the embedded DNS forwards lands here.
    dns = await startDnsServer({ address: da.gateway, port: 53, zone: { 'probe.test.': ['10.214.160.10'] }, rcodes: { 'fail.test.': 'SERVFAIL' } });
    srv = await runContainer({ name: 'srv', network: da.name, ip: '10.214.160.10', dns: da.gateway });
    cli = await runContainer({ name: 'cli', network: da.name, ip: '10.214.160.20', dns: da.gateway });
    far = await runContainer({ name: 'far', network: db.name, ip: '10.214.161.10', dns: da.gateway });
    const r = await iptables(['-I', 'DOCKER-USER', ...DROP]);
    if (r.code !== 0) throw new Error(`iptables -I DOCKER-USER failed: ${r.stderr}`);
    dropped = true;
    const opened = await openSource({ host: dockerHost() }, { toolVersion: 'test', hostEvidence: 'never' });
    state = opened.snapshot.state;
    label = opened.label;
    engine = await EngineClient.connect(resolveEndpoint({ host: dockerHost(), env: {} }));
  });

  afterAll(async () => {
    // delete every copy (a failed earlier run may have left one)
    if (dropped) for (let i = 0; i < 5; i++) if ((await iptables(['-D', 'DOCKER-USER', ...DROP])).code !== 0) break;
    await engine?.close();
    await dns?.close();
    await cleanupRun();
  });

  describe.each(['nsenter', 'sidecar', 'exec'] as const)('%s', (method) => {
    it('dns: an answer from the embedded DNS, NXDOMAIN (unknown, other network), SERVFAIL, ICMP port unreachable', async () => {
      const from = c(cli);
      const r = await run(method, [
        { from, kind: 'dns', address: '127.0.0.11', name: srv.name },
        { from, kind: 'dns', address: '127.0.0.11', name: 'nothere.test' },
        { from, kind: 'dns', address: '127.0.0.11', name: far.name },
        { from, kind: 'dns', address: da.gateway, name: 'fail.test' },
        { from, kind: 'dns', address: '10.214.160.10', port: 5354, name: 'probe.test' },
        { from, kind: 'dns', address: da.gateway, name: 'probe.test', qtype: 'AAAA' },
      ]);
      expect(r.map((x) => x.method)).toEqual(Array(6).fill(method));
      expect(r.map((x) => [x.result, x.rcode])).toEqual([
        ['answered', 'NOERROR'],
        ['answered', 'NXDOMAIN'],
        ['answered', 'NXDOMAIN'],
        ['answered', 'SERVFAIL'],
        ['refused', undefined],
        ['answered', 'NOERROR'],
      ]);
      expect(r[0]!.answers).toEqual(['10.214.160.10']);
      expect(r[0]!.records).toEqual([{ name: srv.name, type: 'A', data: '10.214.160.10' }]);
      expect(r[0]!.target).toEqual({ address: '127.0.0.11', port: 53, name: srv.name, qtype: 'A' });
      expect(r[1]!.answers).toEqual([]);
      expect(r[5]!.answers).toEqual([]); // NODATA
      expect(r[4]!.errno).toBe('ECONNREFUSED');
      // the embedded DNS forwarded the unknown names to our server, from the container's namespace
      expect(dns!.queries.some((q) => q.name === 'nothere.test')).toBe(true);
    });

    it('udp without a payload: answered by our DNS server, refused on a closed port, silent behind DROP', async () => {
      const from = c(cli);
      const r = await run(method, [
        { from, kind: 'udp', address: da.gateway, port: 53 },
        { from, kind: 'udp', address: '10.214.160.10', port: 5354 },
        { from, kind: 'udp', address: '10.214.160.10', port: 5353 },
      ]);
      // Without a payload the agent sends an EMPTY datagram, which a DNS server ignores (silence);
      // the shell methods can only send a DNS query, which it answers. Documented in docs/probes.md.
      expect(r.map((x) => [x.method, x.result])).toEqual([
        [method, method === 'nsenter' ? 'no-answer' : 'answered'],
        [method, 'refused'],
        [method, 'no-answer'],
      ]);
      if (method === 'nsenter') {
        const query = '00070100000100000000000005' + Buffer.from('probe').toString('hex') + '04' + Buffer.from('test').toString('hex') + '0000010001';
        const [withPayload] = await run(method, [{ from, kind: 'udp', address: da.gateway, port: 53, payloadHex: query }]);
        expect(withPayload).toMatchObject({ method, result: 'answered' });
      }
      expect(r[2]!.detail).toMatch(/proves nothing/);
      if (method !== 'nsenter') {
        for (const x of r) expect(x.detail).toMatch(/sent a DNS query datagram with busybox nslookup/);
        expect(dns!.queries.some((q) => q.name === 'netsleuth-probe.invalid' && q.from === '10.214.160.20')).toBe(true);
      }
    });
  });

  it('udp with a payload stays with nsenter: the shell methods say why', async () => {
    const r = await run('sidecar', [{ from: c(cli), kind: 'udp', address: da.gateway, port: 53, payloadHex: '0000' }]);
    expect(r[0]).toMatchObject({ result: 'error', notSent: 'no-method' });
    expect(r[0]!.detail).toMatch(/payloadHex.*nsenter/);
    expect(await leftoverSidecars()).toEqual([]);
  });

  it('the dns command with --probe-method sidecar checks the walk on the wire and says so', async () => {
    const args = ['--from', cli.name, '--probe-method', 'sidecar', '--probe-image', BUSYBOX_IMAGE, '--host', dockerHost()];
    const ok = await runCli(['dns', srv.name, ...args, '--json'], { timeoutMs: 60_000 });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const j = JSON.parse(ok.stdout) as { verdict: string; answers: Array<{ data: string; source: string }>; agreement: string; liveCheck: { available: boolean; method: string }; observed: { steps: Array<{ server: string; outcome: string }> } };
    expect(j.liveCheck).toMatchObject({ available: true, method: 'sidecar' });
    expect(j.verdict).toBe('resolved');
    expect(j.answers).toEqual([expect.objectContaining({ data: '10.214.160.10', source: 'wire' })]);
    expect(j.observed.steps[0]).toMatchObject({ server: '127.0.0.11', outcome: 'answer' });
    expect(j.agreement).toBe('agree');

    const nx = await runCli(['dns', 'nothere.test', ...args], { timeoutMs: 60_000 });
    expect(nx.code).toBe(0);
    expect(nx.stdout).toMatch(/Live {6}checked on the wire with sidecar \(busybox nslookup/);
    expect(nx.stdout).toMatch(/Verdict {3}nxdomain/);
    expect(await leftoverSidecars()).toEqual([]);
  });
});
