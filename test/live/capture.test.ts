// Live capture against the real test dockerd: build a labelled topology covering the network
// modes and options the issue names, capture it through the CLI as a user would, and check the
// snapshot holds exactly what `docker inspect` says — plus the host and namespace evidence that
// the API cannot give.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Network, Snapshot } from '../../src/model/types.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';
import { expectOneLineError, runCli } from '../support/cli.js';
import {
  cleanupAll,
  connect,
  createNetwork,
  docker,
  dockerHost,
  exec,
  inspect,
  preflight,
  requireLiveDaemon,
  runContainer,
  RUN_PREFIX,
  TEST_LABEL,
  type TestNetwork,
} from './harness.js';

const live = requireLiveDaemon();

type Inspect = {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Pid: number };
  HostConfig: { NetworkMode: string; PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> | null };
  NetworkSettings: {
    Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
    Networks: Record<string, { NetworkID: string; IPAddress: string; IPPrefixLen: number; Gateway: string; MacAddress: string; Aliases: string[] | null }>;
  };
};

describe.skipIf(!live)('snapshot capture on a real daemon', () => {
  let dir: string;
  let app: TestNetwork;
  let internal: TestNetwork;
  let noicc: TestNetwork;
  let dns: DnsServer;
  let snap: Snapshot;
  const names: Record<string, string> = {};

  const byName = (n: string): Container => {
    const c = snap.state.containers.find((x) => x.name === names[n]);
    if (!c) throw new Error(`container ${names[n]} not in snapshot`);
    return c;
  };
  const net = (n: TestNetwork): Network => {
    const found = snap.state.networks.find((x) => x.name === n.name);
    if (!found) throw new Error(`network ${n.name} not in snapshot`);
    return found;
  };

  beforeAll(async () => {
    await preflight();
    await cleanupAll();
    dir = mkdtempSync(join(tmpdir(), 'netsleuth-live-capture-'));
    app = await createNetwork({ name: 'app' });
    internal = await createNetwork({ name: 'internal', internal: true });
    noicc = await createNetwork({ name: 'noicc', icc: false });
    // Our own DNS server on app's gateway (the host owns every gateway address, so containers on
    // all three networks reach it); Docker's embedded DNS forwards unknown names here, never out.
    dns = await startDnsServer({ address: app.gateway, port: 53, zone: { 'api.test.': ['10.214.250.1'] } });
    const d = app.gateway;

    const web = await runContainer({
      name: 'web', network: app.name, aliases: ['frontend', 'www'], dns: d,
      publish: ['80', '127.0.0.1::443', '53/udp'], command: ['httpd', '-f', '-p', '80'],
      extraArgs: ['--add-host', 'legacy-db:10.214.200.5', '--dns-search', 'corp.test', '--dns-option', 'ndots:3'],
      labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
    });
    await connect(internal.name, web.name, { aliases: ['web-internal'] });
    const db = await runContainer({ name: 'db', network: internal.name, dns: d, command: ['httpd', '-f', '-p', '127.0.0.1:5432'] });
    const iso1 = await runContainer({ name: 'iso1', network: noicc.name, dns: d });
    const hostnet = await runContainer({ name: 'hostnet', networkMode: 'host', dns: d });
    const side = await runContainer({ name: 'side', networkMode: `container:${web.name}`, dns: 'inherit' });
    const off = await runContainer({ name: 'off', networkMode: 'none', dns: d });
    names.web = web.name;
    names.db = db.name;
    names.iso1 = iso1.name;
    names.hostnet = hostnet.name;
    names.side = side.name;
    names.off = off.name;
    // A created-but-never-started container (configured binding, no effective one).
    names.created = `${RUN_PREFIX}created`;
    await docker(['create', '--pull', 'never', '--label', `${TEST_LABEL}=1`, '--name', names.created, '--dns', d, '--network', app.name, '-p', '18099:80', 'netsleuth-test/busybox:latest']);

    const file = join(dir, 'live.json.gz');
    const r = await runCli(['snapshot', 'capture', '--host', dockerHost(), '-o', file, '--json'], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`capture failed (${r.code}): ${r.stderr}`);
    const v = await runCli(['snapshot', 'validate', file]);
    expect(v.code).toBe(0);
    const { readSnapshot } = await import('../../src/sources/snapshot/read.js');
    snap = await readSnapshot(file);
  });

  afterAll(async () => {
    await cleanupAll();
    await dns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds every container exactly as docker inspect reports it', async () => {
    for (const key of Object.keys(names)) {
      const ins = (await inspect(names[key]!)) as unknown as Inspect;
      const c = byName(key);
      expect(c.id).toBe(ins.Id);
      expect(c.state).toBe(ins.State.Status);
      expect(c.running).toBe(ins.State.Running);
      expect(c.pid).toBe(ins.State.Running ? ins.State.Pid : null);
      // Endpoints: same networks, same addresses, gateways, MACs and aliases.
      const expected = Object.entries(ins.NetworkSettings.Networks ?? {}).sort(([a], [b]) => a.localeCompare(b));
      expect(c.endpoints.map((e) => e.networkName)).toEqual(expected.map(([n]) => n));
      for (const [netName, ep] of expected) {
        const mine = c.endpoints.find((e) => e.networkName === netName)!;
        // A never-started container has an empty NetworkID; the capture fills it from the network.
        expect(mine.networkId).toBe(ep.NetworkID || snap.state.networks.find((n) => n.name === netName)!.id);
        expect(mine.ipv4?.address ?? '').toBe(ep.IPAddress);
        if (ep.IPAddress) expect(mine.ipv4?.prefixLength).toBe(ep.IPPrefixLen);
        expect(mine.gateway ?? '').toBe(ep.Gateway);
        expect(mine.mac ?? '').toBe(ep.MacAddress);
        expect(mine.aliases).toEqual(ep.Aliases ?? []);
      }
      // Effective bindings: each one docker reports is in the snapshot, and nothing else.
      const effective = Object.entries(ins.NetworkSettings.Ports ?? {}).flatMap(([key, list]) =>
        (list ?? []).map((b) => `${b.HostIp}:${b.HostPort}->${key}`),
      );
      expect(c.publishedPorts.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`).sort()).toEqual(effective.sort());
      const configured = Object.entries(ins.HostConfig.PortBindings ?? {}).flatMap(([key, list]) =>
        (list ?? []).map((b) => `${b.HostIp || '0.0.0.0'}:${b.HostPort || 'null'}->${key}`),
      );
      expect(c.portBindings.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`).sort()).toEqual(configured.sort());
    }
  });

  it('captures network modes: user network, host, none, container:', () => {
    expect(byName('web').networkMode).toEqual({ kind: 'network', network: app.name });
    expect(byName('hostnet').networkMode).toEqual({ kind: 'host' });
    expect(byName('off').networkMode).toEqual({ kind: 'none' });
    expect(byName('off').endpoints.filter((e) => e.ipv4)).toEqual([]);
    const side = byName('side');
    expect(side.networkMode.kind).toBe('container');
    if (side.networkMode.kind === 'container') expect(side.networkMode.container).toBe(byName('web').id);
  });

  it('captures aliases, DNS names, DNS settings, extra hosts and compose labels', () => {
    const web = byName('web');
    const appEp = web.endpoints.find((e) => e.networkName === app.name)!;
    expect(appEp.aliases).toEqual(expect.arrayContaining(['frontend', 'www']));
    expect(appEp.dnsNames).toEqual(expect.arrayContaining([names.web, 'frontend', 'www']));
    expect(web.endpoints.find((e) => e.networkName === internal.name)!.aliases).toContain('web-internal');
    expect(web.dns).toEqual({ servers: [app.gateway], search: ['corp.test'], options: ['ndots:3'] });
    expect(web.extraHosts).toEqual([{ name: 'legacy-db', address: '10.214.200.5' }]);
    expect(web.compose).toMatchObject({ project: 'shop', service: 'web' });
  });

  it('reads each container\'s own resolv.conf and hosts through the archive endpoint', async () => {
    const web = byName('web');
    expect(web.resolvConf.status).toBe('ok');
    const inside = await exec(names.web!, ['cat', '/etc/resolv.conf']);
    expect(web.resolvConf.value!.raw).toBe(inside.stdout);
    // User-defined network: the embedded DNS server, with our search domain and option.
    expect(web.resolvConf.value!.nameservers).toEqual(['127.0.0.11']);
    expect(web.resolvConf.value!.search).toEqual(['corp.test']);
    expect(web.hostsFile.status).toBe('ok');
    expect(web.hostsFile.value).toEqual(expect.arrayContaining([{ address: '10.214.200.5', names: ['legacy-db'] }]));
    // As root on the daemon's host the files are read through /proc/<pid>/root (fast); a capture
    // without host evidence reads them through the API's archive endpoint. Both must agree.
    expect(web.resolvConf.source).toBe(`/proc/${web.pid}/root/etc/resolv.conf`);
    const viaApi = await runCli(['snapshot', 'capture', '--host', dockerHost(), '-o', '-', '--no-host-evidence'], { timeoutMs: 120_000 });
    expect(viaApi.code, viaApi.stderr).toBe(0);
    const apiWeb = (JSON.parse(viaApi.stdout) as Snapshot).state.containers.find((c) => c.id === web.id)!;
    expect(apiWeb.resolvConf.source).toMatch(/^GET \/containers\/[0-9a-f]{12}\/archive\?path=\/etc\/resolv\.conf$/);
    expect(apiWeb.resolvConf.value).toEqual(web.resolvConf.value);
    expect(apiWeb.hostsFile.value).toEqual(web.hostsFile.value);
  });

  it('records the created container with its configured binding and no effective one', () => {
    const c = byName('created');
    expect(c.state).toBe('created');
    expect(c.running).toBe(false);
    expect(c.publishedPorts).toEqual([]);
    expect(c.portBindings).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18099, hostPortEnd: null }]);
    expect(c.netns.status).toBe('unavailable');
    expect(c.netns.reason).toMatch(/not running/);
  });

  it('holds the networks as docker network inspect reports them', async () => {
    for (const n of [app, internal, noicc]) {
      const ins = (await inspect(n.name)) as { Id: string; Internal: boolean; Options: Record<string, string>; IPAM: { Config: Array<{ Subnet: string; Gateway?: string }> } };
      const mine = net(n);
      expect(mine.id).toBe(ins.Id);
      expect(mine.internal).toBe(ins.Internal);
      expect(mine.options).toEqual(ins.Options ?? {});
      expect(mine.ipam.configs.map((c) => [c.subnet, c.gateway])).toEqual(ins.IPAM.Config.map((c) => [c.Subnet, c.Gateway ?? null]));
      expect(mine.labels[TEST_LABEL]).toBe('1');
    }
    expect(net(internal).internal).toBe(true);
    expect(net(noicc).options['com.docker.network.bridge.enable_icc']).toBe('false');
  });

  it('captures host evidence: bridges with addresses, routes, the Docker ruleset, listeners, sysctls', () => {
    const host = snap.state.hosts[0]!;
    expect(host.interfaces.status).toBe('ok');
    const bridge = host.interfaces.value!.find((i) => i.name === net(app).bridgeName);
    expect(bridge, `bridge ${net(app).bridgeName} among host interfaces`).toBeDefined();
    expect(bridge!.addresses.map((a) => a.address)).toContain(app.gateway);
    expect(host.routes.status).toBe('ok');
    expect(host.routes.value!.some((r) => r.dst === app.subnet && r.dev === net(app).bridgeName)).toBe(true);
    expect(host.firewall.status === 'ok' || host.firewall.status === 'partial').toBe(true);
    expect(host.firewall.value!.iptablesSave).toContain(`-A DOCKER-ISOLATION-STAGE-1 -i ${net(app).bridgeName}`);
    expect(host.raw['iptables-save']?.stdout).toBe(host.firewall.value!.iptablesSave);
    // The published port 80 of web is held by docker-proxy on the host.
    const web = byName('web');
    const hostPort = web.publishedPorts.find((p) => p.containerPort === 80 && p.hostIp === '0.0.0.0')!.hostPort!;
    expect(host.listeners.value!.some((l) => l.port === hostPort && l.protocol === 'tcp')).toBe(true);
    expect(host.sysctls.value!['net.ipv4.ip_forward']).toBe('1');
    // The daemon's own flags (the test daemon runs with --bip and --default-address-pool) are
    // read from its command line: the API shows neither.
    if (dockerHost() === 'unix:///run/netsleuth-test/docker.sock') {
      expect(host.daemonConfig.status).toBe('ok');
      expect(host.daemonConfig.value).toMatchObject({ bip: '10.212.0.1/24', defaultAddressPools: [{ base: '10.213.0.0/16', size: 24 }] });
      expect(host.raw['dockerd-cmdline']!.stdout).toContain('--bip 10.212.0.1/24');
    }
  });

  it('captures each running container\'s namespace: the routes the kernel has, and listeners (loopback-only ones too)', async () => {
    for (const key of ['web', 'db', 'iso1']) {
      const c = byName(key);
      expect(c.netns.status).toBe('ok');
      // Oracle: `ip route` inside the container, as (destination, gateway) pairs of the main table.
      const inside = await exec(names[key]!, ['ip', '-4', 'route', 'show']);
      expect(inside.code).toBe(0);
      const kernel = inside.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const f = l.trim().split(/\s+/);
          const via = f.indexOf('via');
          return `${f[0] === 'default' ? '0.0.0.0/0' : f[0]} via ${via > 0 ? f[via + 1] : '-'}`;
        })
        .sort();
      const mine = c.netns.value!.routes
        .filter((r) => r.family === 'ipv4' && r.table === 'main')
        .map((r) => `${r.dst} via ${r.gateway ?? '-'}`)
        .sort();
      expect(mine).toEqual(kernel);
    }
    const web = byName('web');
    expect(web.netns.value!.routes.some((r) => r.dst === '0.0.0.0/0' && r.gateway === app.gateway)).toBe(true);
    expect(web.netns.value!.listeners.some((l) => l.protocol === 'tcp' && l.port === 80)).toBe(true);
    const db = byName('db');
    expect(db.netns.value!.listeners).toEqual(expect.arrayContaining([expect.objectContaining({ protocol: 'tcp', port: 5432, address: '127.0.0.1' })]));
  });

  it('never captures environment variables', async () => {
    await runContainer({ name: 'envy', network: app.name, dns: app.gateway, env: { NETSLEUTH_SECRET: 'hunter2-do-not-capture' } });
    const r = await runCli(['snapshot', 'capture', '--host', dockerHost(), '-o', '-'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${RUN_PREFIX}envy`);
    expect(r.stdout).not.toContain('hunter2-do-not-capture');
  });

  it('uses DOCKER_HOST when no --host is given, and reports a missing daemon as exit 3', async () => {
    const r = await runCli(['snapshot', 'capture', '-o', join(dir, 'env.json'), '--no-host-evidence', '--json'], {
      env: { DOCKER_HOST: dockerHost() },
      timeoutMs: 120_000,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).endpoint).toBe(dockerHost());
    const bad = await runCli(['snapshot', 'capture', '-o', join(dir, 'bad.json')], { env: { DOCKER_HOST: `unix://${join(dir, 'nothing.sock')}` } });
    expect(bad.code).toBe(3);
    expectOneLineError(bad);
  });

  it('reads a context created by the real docker CLI (--context and DOCKER_CONTEXT)', async () => {
    const config = join(dir, 'docker-config');
    const ctx = `${RUN_PREFIX}ctx`;
    await docker(['--config', config, 'context', 'create', ctx, '--docker', `host=${dockerHost()}`]);
    for (const how of [['--context', ctx], []]) {
      const r = await runCli(['snapshot', 'capture', ...how, '-o', '-', '--no-host-evidence'], {
        env: { DOCKER_CONFIG: config, DOCKER_HOST: '', ...(how.length ? {} : { DOCKER_CONTEXT: ctx }) },
        timeoutMs: 120_000,
      });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as Snapshot;
      expect(doc.capture.source).toMatchObject({ endpoint: dockerHost(), context: ctx });
      expect(doc.state.containers.some((c) => c.name === names.web)).toBe(true);
    }
    const missing = await runCli(['snapshot', 'capture', '--context', 'no-such-context', '-o', '-'], { env: { DOCKER_CONFIG: config } });
    expect(missing.code).toBe(2);
    expect(expectOneLineError(missing)).toMatch(/no-such-context/);
  });

  it('shows capture progress on a terminal (tmux), and none with --json', async (ctx) => {
    const { spawnSync } = await import('node:child_process');
    if (spawnSync('tmux', ['-V']).status !== 0) ctx.skip();
    const { CLI } = await import('../support/cli.js');
    const session = `${RUN_PREFIX}tty`;
    const screens: string[] = [];
    const run = async (extra: string) => {
      const out = join(dir, `tty${extra ? '-json' : ''}.json`);
      const cmd = `env -u CI NO_COLOR= ${process.execPath} ${CLI} snapshot capture --host ${dockerHost()} -o ${out} ${extra}; sleep 30`;
      spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '30', cmd]);
      try {
        // Sample the screen while the capture runs; the spinner text changes with each phase.
        let seen = '';
        for (let i = 0; i < 200 && !/Wrote |"containers"/.test(seen); i++) {
          await new Promise((r) => setTimeout(r, 100));
          seen += spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
        }
        screens.push(seen);
        return seen;
      } finally {
        spawnSync('tmux', ['kill-session', '-t', session]);
      }
    };
    const human = await run('');
    expect(human).toMatch(/(Inspecting|Reading) .*\(\d+\/\d+\)/);
    expect(human).toMatch(/Wrote .*tty\.json/);
    const json = await run('--json');
    expect(json).toMatch(/"containers"/);
    expect(json).not.toMatch(/Inspecting|Reading resolv/);
  });

  it('permission denied on the daemon socket is exit 3 with a hint (as an unprivileged user)', async (ctx) => {
    const socketPath = dockerHost().replace(/^unix:\/\//, '');
    if (!dockerHost().startsWith('unix://') || process.getuid?.() !== 0) ctx.skip();
    // nobody (65534) cannot open the root-owned socket: a real EACCES, not a simulated one.
    const r = await runCli(['snapshot', 'capture', '--host', `unix://${socketPath}`, '-o', '-'], {
      uid: 65534,
      gid: 65534,
      cwd: '/',
      env: { HOME: '/nonexistent', XDG_DATA_HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent', XDG_CACHE_HOME: '/nonexistent' },
    });
    if (r.code === 2 && /Cannot find module|EACCES.*(bin|dist)/.test(r.stderr)) ctx.skip(); // checkout not readable by nobody
    expect(r.code).toBe(3);
    expect(expectOneLineError(r)).toMatch(/permission denied/i);
    expect(r.stderr).toMatch(/hint: .*(docker group|sudo|root)/i);
  });
});
