// Smoke test of the live-test infrastructure: test daemon, labelled network in 10.214.0.0/16,
// our authoritative DNS server on the network's gateway, embedded DNS, egress guard, cleanup.
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import {
  BUSYBOX_IMAGE,
  TEST_LABEL,
  TEST_POOL_V4,
  cidrContains,
  cleanupAll,
  createNetwork,
  docker,
  exec,
  inspect,
  preflight,
  readGuard,
  requireLiveDaemon,
  runContainer,
  RUN_PREFIX,
  type TestContainer,
  type TestNetwork,
} from './harness.js';

const live = requireLiveDaemon();

/** One DNS question over TCP to our server, from the host (the gateway address is local). */
function tcpQuery(address: string, port: number, name: string): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const q = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    const sock = net.connect({ host: address, port }, () => sock.write(Buffer.concat([len, q])));
    let buf = Buffer.alloc(0);
    sock.setTimeout(5_000, () => {
      sock.destroy();
      reject(new Error('tcp dns query timed out'));
    });
    sock.on('error', reject);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.end();
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
  });
}

describe.skipIf(!live)('live test infrastructure', () => {
  let network: TestNetwork;
  let dns: DnsServer | undefined;
  let a: TestContainer;
  let b: TestContainer;

  beforeAll(async () => {
    await preflight();
    network = await createNetwork({ name: 'smoke' });
    dns = await startDnsServer({
      address: network.gateway,
      port: 53,
      zone: {
        'api.test.': ['10.214.9.9'],
        'v6.test.': ['fd21:ee75::9'],
        'txt.test.': [{ type: 'TXT', data: 'hello from netsleuth' }],
      },
    });
    a = await runContainer({ name: 'a', network: network.name, dns: network.gateway, aliases: ['alpha'] });
    b = await runContainer({ name: 'b', network: network.name, dns: network.gateway, aliases: ['beta'] });
  });

  afterAll(async () => {
    await dns?.close();
    await cleanupAll();
  });

  it('creates a labelled network in the guarded test range', async () => {
    expect(cidrContains(TEST_POOL_V4, network.subnet)).toBe(true);
    expect(cidrContains(network.subnet, network.gateway)).toBe(true);
    const info = (await inspect(network.id)) as { Labels?: Record<string, string> };
    expect(info.Labels?.[TEST_LABEL]).toBe('1');
  });

  it('runs labelled containers that use our DNS server', async () => {
    for (const c of [a, b]) {
      const info = (await inspect(c.id)) as {
        Config: { Labels?: Record<string, string>; Image: string };
        HostConfig: { Dns?: string[] };
        State: { Running: boolean };
      };
      expect(info.State.Running).toBe(true);
      expect(info.Config.Labels?.[TEST_LABEL]).toBe('1');
      expect(info.Config.Image).toBe(BUSYBOX_IMAGE);
      expect(info.HostConfig.Dns).toEqual([network.gateway]);
      expect(cidrContains(network.subnet, c.ips[network.name]!)).toBe(true);
    }
  });

  it('A reaches B by container name and alias (embedded DNS) and by IP', async () => {
    for (const target of [b.name, 'beta', b.ips[network.name]!]) {
      const r = await exec(a.name, ['ping', '-c', '1', '-W', '3', target]);
      expect(r.code, `ping ${target}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(b.ips[network.name]!);
    }
    // Names of other containers never reach our server: the embedded DNS answers them.
    expect(dns!.queries.filter((q) => q.name.startsWith(b.name) || q.name === 'beta')).toEqual([]);
  });

  it('nslookup of a zone name is answered by our server, via the embedded DNS', async () => {
    const before = dns!.queries.length;
    const r = await exec(a.name, ['nslookup', 'api.test']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('10.214.9.9');
    // The resolver the container used is Docker's embedded one...
    expect(r.stdout).toMatch(/127\.0\.0\.11/);
    // ...which forwarded to us from inside the container's namespace.
    const seen = dns!.queries.slice(before).filter((q) => q.name === 'api.test');
    expect(seen.map((q) => q.type)).toContain('A');
    for (const q of seen) expect(q.from).toBe(a.ips[network.name]);

    const v6 = await exec(a.name, ['nslookup', '-type=AAAA', 'v6.test']);
    expect(v6.stdout, v6.stderr).toContain('fd21:ee75::9');
    const txt = await exec(a.name, ['nslookup', '-type=TXT', 'txt.test']);
    expect(txt.stdout, txt.stderr).toContain('hello from netsleuth');
  });

  it('a name outside the zone is NXDOMAIN and is never forwarded beyond our server', async () => {
    const before = dns!.queries.length;
    const r = await exec(a.name, ['nslookup', 'nothere.test']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/NXDOMAIN/);
    const seen = dns!.queries.slice(before).filter((q) => q.name.startsWith('nothere.test'));
    expect(seen.length).toBeGreaterThan(0);
    for (const q of seen) expect(q.rcode).toBe('NXDOMAIN');
    // Asking our server directly gives the same answer.
    const direct = await exec(b.name, ['nslookup', 'nothere.test', network.gateway]);
    expect(direct.stdout + direct.stderr).toMatch(/NXDOMAIN/);
  });

  it('the DNS server also answers over TCP', async () => {
    const res = await tcpQuery(network.gateway, dns!.port, 'api.test');
    expect((res.flags ?? -1) & 0xf).toBe(0); // NOERROR
    expect(res.flag_aa).toBe(true);
    expect(res.flag_ra).toBe(false);
    expect(res.answers?.map((x) => (x as { data?: unknown }).data)).toEqual(['10.214.9.9']);
    const nx = await tcpQuery(network.gateway, dns!.port, 'elsewhere.example');
    expect((nx.flags ?? -1) & 0xf).toBe(3); // NXDOMAIN
  });

  it('the egress guard is installed and nothing has hit it', async () => {
    const g = await readGuard();
    expect(g.present.v4, 'NETSLEUTH-GUARD missing: was scripts/test-dockerd.sh start run as root?').toBe(true);
    expect(g.hooked.v4).toBe(true);
    const v4 = g.rules.filter((r) => r.family === 4);
    expect(v4.length, g.listing).toBeGreaterThan(0);
    for (const r of v4) {
      expect(r.target).toBe('DROP');
      expect(r.source).toBe('10.212.0.0/14');
      expect(r.out).not.toBe('*');
    }
    expect(g.packets, g.listing).toBe(0);
  });

  it('cleanupAll removes every labelled container and network', async () => {
    const startedAt = Date.now();
    await cleanupAll();
    // Anything labelled that is still listed must have been created after cleanupAll began, i.e.
    // by another test run sharing this daemon; alone (as in CI) both lists are simply empty.
    const ps = await docker(['ps', '-a', '--no-trunc', '--filter', `label=${TEST_LABEL}`, '--format', '{{.ID}} {{.Names}}']);
    const leftovers: string[] = [];
    for (const line of ps.stdout.split('\n').filter(Boolean)) {
      const [id, name] = line.split(' ') as [string, string];
      const created = Date.parse(((await inspect(id).catch(() => ({ Created: '' }))) as { Created: string }).Created);
      if (!(created > startedAt - 1000) || name.startsWith(RUN_PREFIX)) leftovers.push(line);
    }
    expect(leftovers).toEqual([]);
    for (const c of [a, b]) expect((await docker(['inspect', c.id], { allowFailure: true })).code).not.toBe(0);
    const nets = await docker(['network', 'ls', '--filter', `label=${TEST_LABEL}`, '--format', '{{.Name}}']);
    expect(nets.stdout.split('\n').filter((n) => n.startsWith(RUN_PREFIX))).toEqual([]);
    expect((await docker(['network', 'inspect', network.id], { allowFailure: true })).code).not.toBe(0);
    const g = await readGuard();
    expect(g.packets, g.listing).toBe(0);
  });
});
