// bench/gen-snapshot: a synthetic, schema-valid netsleuth snapshot at scale — N containers over M
// bridge networks, with published ports, a few deliberate port conflicts, host listeners
// (docker-proxy per binding plus some host services) and per-container namespace listeners.
// Deterministic for a given seed. Reusable by other benches (matrix, route, ...):
//
//   import { generateSnapshot } from './gen-snapshot.mjs';
//   const snap = generateSnapshot({ containers: 5000, networks: 50, conflicts: 10, seed: 1 });
//
//   node bench/gen-snapshot.mjs --containers 5000 --networks 50 [--conflicts 10] [--seed 1] -o out.json[.gz]
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ok = (value, source = 'synthetic') => ({ status: 'ok', source, value });
const hex = (n, len) => n.toString(16).padStart(len, '0').slice(-len);

/** A small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @param {{containers?: number, networks?: number, conflicts?: number, seed?: number, publishRatio?: number}} opts
 * @returns a Snapshot (netsleuth.snapshot/v1)
 */
export function generateSnapshot(opts = {}) {
  const N = opts.containers ?? 1000;
  const M = Math.max(1, opts.networks ?? Math.ceil(N / 100));
  const K = opts.conflicts ?? Math.max(1, Math.round(N / 500));
  const publishRatio = opts.publishRatio ?? 0.6;
  const rand = rng(opts.seed ?? 1);
  const hostId = 'SYNT:HOST:0000:0000';
  const networks = [];
  for (let i = 0; i < M; i++) {
    const b = Math.floor(i / 250);
    const c = i % 250;
    const subnet = `10.${100 + b}.${c}.0/24`;
    networks.push({
      id: hex(0xa000000 + i, 64),
      name: `net${i}`,
      hostId,
      driver: 'bridge',
      scope: 'local',
      internal: false,
      attachable: false,
      ingress: false,
      enableIPv4: null,
      enableIPv6: false,
      ipam: { driver: 'default', configs: [{ subnet, ipRange: null, gateway: `10.${100 + b}.${c}.1`, auxAddresses: {} }], options: {} },
      options: {},
      labels: {},
      created: null,
      configOnly: false,
      configFrom: null,
      bridgeName: `br-${hex(0xa000000 + i, 12)}`,
    });
  }
  const hostListeners = [
    { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 22, process: { name: 'sshd', pid: 500 } },
    { protocol: 'tcp', family: 'ipv6', address: '::', port: 22, process: { name: 'sshd', pid: 500 } },
    { protocol: 'udp', family: 'ipv4', address: '127.0.0.53', port: 53, process: { name: 'systemd-resolve', pid: 400 } },
    { protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 9999, process: { name: 'node', pid: 600 } },
  ];
  const containers = [];
  const perNet = new Array(M).fill(0);
  let nextPort = 10000;
  let pid = 10000;
  const taken = [];
  for (let i = 0; i < N; i++) {
    const n = i % M;
    const net = networks[n];
    const host = 2 + perNet[n]++;
    const [a, b, c] = net.ipam.configs[0].subnet.split('.');
    const ip = `${a}.${b}.${c}.${host % 254}`;
    const name = `svc${i}`;
    const id = hex(0xc000000 + i, 64);
    const cport = [80, 8080, 3000, 5432, 6379][i % 5];
    const publishes = rand() < publishRatio;
    const random = publishes && rand() < 0.1;
    const hostPort = publishes ? (random ? 32768 + (nextPort % 20000) : nextPort) : null;
    if (publishes) nextPort++;
    const ipFor = publishes && rand() < 0.2 ? '127.0.0.1' : '0.0.0.0';
    const portBindings = publishes ? [{ containerPort: cport, protocol: 'tcp', hostIp: ipFor, hostPort: random ? null : hostPort, hostPortEnd: null }] : [];
    const publishedPorts = publishes
      ? [
          { containerPort: cport, protocol: 'tcp', hostIp: ipFor, hostPort, hostPortEnd: null },
          ...(ipFor === '0.0.0.0' ? [{ containerPort: cport, protocol: 'tcp', hostIp: '::', hostPort, hostPortEnd: null }] : []),
        ]
      : [];
    const myPid = pid++;
    if (publishes) {
      for (const pp of publishedPorts) {
        hostListeners.push({ protocol: 'tcp', family: pp.hostIp === '::' ? 'ipv6' : 'ipv4', address: pp.hostIp, port: hostPort, process: { name: 'docker-proxy', pid: pid++ } });
      }
      if (ipFor === '0.0.0.0' && !random) taken.push({ port: hostPort, cport });
    }
    containers.push(container({ id, name, hostId, net, ip, state: 'running', pid: myPid, cport, portBindings, publishedPorts, listenLo: i % 97 === 0 }));
  }
  // K stopped containers configured for ports running containers hold, and one host process.
  for (let k = 0; k < K && taken.length; k++) {
    const t = taken[Math.floor(rand() * taken.length)];
    const net = networks[k % M];
    containers.push(
      container({
        id: hex(0xd000000 + k, 64),
        name: `stale${k}`,
        hostId,
        net,
        ip: null,
        state: 'exited',
        pid: null,
        cport: t.cport,
        portBindings: [{ containerPort: t.cport, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: t.port, hostPortEnd: null }],
        publishedPorts: [],
      }),
    );
  }
  if (taken.length) hostListeners.push({ protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: taken[0].port, process: { name: 'rogue', pid: 700 } });
  return {
    schema: 'netsleuth.snapshot/v1',
    capture: {
      time: '2026-11-24T00:00:00.000Z',
      durationMs: 0,
      tool: { name: 'netsleuth', version: 'synthetic' },
      by: { user: 'bench', hostname: 'synthetic' },
      source: { kind: 'docker', endpoint: 'unix:///var/run/docker.sock', context: null },
      vanished: [],
      warnings: [],
    },
    state: {
      hosts: [
        {
          id: hostId,
          name: 'synthetic',
          daemon: ok({
            version: '28.0.0',
            apiVersion: '1.48',
            minApiVersion: '1.24',
            negotiatedApiVersion: '1.48',
            os: 'Debian GNU/Linux 12',
            osType: 'linux',
            arch: 'x86_64',
            kernelVersion: '6.1.0',
            name: 'synthetic',
            id: hostId,
            ipv4Forwarding: true,
            bridgeNfIptables: true,
            bridgeNfIp6tables: true,
            firewallBackend: null,
            defaultAddressPools: [],
            warnings: [],
            swarm: { state: 'inactive', nodeId: null, nodeAddr: null },
          }),
          daemonConfig: { status: 'unavailable', source: 'synthetic', reason: 'not generated', value: null },
          interfaces: ok([]),
          routes: ok([]),
          rules: ok([]),
          firewall: { status: 'unavailable', source: 'synthetic', reason: 'not generated', value: null },
          listeners: ok(hostListeners),
          sysctls: ok({ 'net.ipv4.ip_forward': '1', 'net.ipv4.ip_local_port_range': '32768 60999' }),
          resolvConf: { status: 'unavailable', source: 'synthetic', reason: 'not generated', value: null },
          raw: {},
        },
      ],
      networks,
      containers,
    },
  };
}

function container({ id, name, hostId, net, ip, state, pid, cport, portBindings, publishedPorts, listenLo = false }) {
  const running = state === 'running';
  const prefix = Number(net.ipam.configs[0].subnet.split('/')[1]);
  return {
    id,
    name,
    hostId,
    image: 'synthetic:latest',
    state,
    running,
    pid,
    networkMode: { kind: 'network', network: net.name },
    endpoints: running
      ? [
          {
            networkId: net.id,
            networkName: net.name,
            endpointId: `${id.slice(0, 32)}ep`,
            ipv4: { family: 'ipv4', address: ip, prefixLength: prefix },
            ipv6: null,
            gateway: net.ipam.configs[0].gateway,
            ipv6Gateway: null,
            mac: null,
            aliases: [],
            dnsNames: [name],
            links: [],
            ipamConfig: null,
          },
        ]
      : [],
    exposedPorts: [{ port: cport, protocol: 'tcp' }],
    portBindings,
    publishedPorts,
    publishAll: false,
    dns: { servers: [], search: [], options: [] },
    extraHosts: [],
    labels: {},
    compose: null,
    hostname: id.slice(0, 12),
    domainname: null,
    sandboxKey: null,
    restartCount: 0,
    health: null,
    resolvConf: { status: 'unavailable', source: 'synthetic', reason: 'not generated', value: null },
    hostsFile: { status: 'unavailable', source: 'synthetic', reason: 'not generated', value: null },
    netns: running
      ? ok({
          interfaces: [],
          routes: [],
          listeners: [{ protocol: 'tcp', family: 'ipv4', address: listenLo ? '127.0.0.1' : '0.0.0.0', port: cport, process: { name: 'app', pid } }],
        })
      : { status: 'unavailable', source: 'synthetic', reason: 'container not running', value: null },
  };
}

// CLI
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (k, d) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : d;
  };
  const out = opt('-o', opt('--out', null));
  const snap = generateSnapshot({
    containers: Number(opt('--containers', '1000')),
    networks: opt('--networks', null) ? Number(opt('--networks')) : undefined,
    conflicts: opt('--conflicts', null) ? Number(opt('--conflicts')) : undefined,
    seed: Number(opt('--seed', '1')),
  });
  const text = JSON.stringify(snap);
  if (!out || out === '-') process.stdout.write(text + '\n');
  else writeFileSync(out, out.endsWith('.gz') ? gzipSync(text) : text);
}
