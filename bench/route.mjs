// Route engine benchmark: traceRoute for every container, to another container and to an
// outside address, in-process, on synthetic snapshots of 1,000 and 5,000 containers.
//
// Run `npm run build` first (this imports the compiled engine from dist/), then:
//   node bench/route.mjs [--sizes 1000,5000]
// Uses bench/gen-snapshot.mjs when it exists (and exports generateSnapshot), else the small
// generator below. NETSLEUTH_DIST overrides where the compiled engine is loaded from.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.NETSLEUTH_DIST ?? join(here, '..', 'dist');
const { traceRoute } = await import(pathToFileURL(join(dist, 'src', 'analysis', 'route.js')).href);
const { routeFindings } = await import(pathToFileURL(join(dist, 'src', 'analysis', 'route-findings.js')).href);

const argIdx = process.argv.indexOf('--sizes');
const SIZES = argIdx >= 0 ? process.argv[argIdx + 1].split(',').map(Number) : [1000, 5000];

let external = null;
const genPath = join(here, 'gen-snapshot.mjs');
if (existsSync(genPath)) {
  try {
    const mod = await import(pathToFileURL(genPath).href);
    external = mod.generateSnapshot ?? mod.default ?? null;
    if (typeof external !== 'function') external = null;
  } catch {
    external = null;
  }
}

const route = (over) => ({ family: 'ipv4', table: 'main', type: 'unicast', dev: null, gateway: null, prefsrc: null, metric: 0, scope: 'global', protocol: 'kernel', mtu: null, ...over });
const iface = (name, kind, mtu, addresses = [], master = null) => ({ name, index: null, kind, mtu, operState: 'UP', flags: [], mac: null, master, peerIndex: null, linkNetnsId: null, addresses });
const ok = (value) => ({ status: 'ok', source: 'bench', value });

/** N containers on N/50 bridge networks (10.<a>.<b>.0/24 style /22 subnets), host with VPN routes and policy rules. */
function ownSnapshot(n) {
  const perNet = 50;
  const nNets = Math.ceil(n / perNet);
  const networks = [];
  const hostRoutes = [route({ dst: '0.0.0.0/0', dev: 'eth0', gateway: '192.0.2.1', protocol: 'boot' }), route({ dst: '192.0.2.0/24', dev: 'eth0', prefsrc: '192.0.2.2', scope: 'link' })];
  const ifaces = [iface('lo', 'device', 65536, [{ family: 'ipv4', address: '127.0.0.1', prefixLength: 8 }]), iface('eth0', 'device', 1500, [{ family: 'ipv4', address: '192.0.2.2', prefixLength: 24 }]), iface('wg0', 'wireguard', 1420, [{ family: 'ipv4', address: '10.99.0.2', prefixLength: 24 }])];
  // a VPN with a few hundred routes in its own table, selected by policy rules
  for (let i = 0; i < 300; i++) hostRoutes.push(route({ dst: `10.99.${i % 256}.0/24`, dev: 'wg0', table: '51820', protocol: 'static' }));
  const nat = ['*nat', ':POSTROUTING ACCEPT [0:0]'];
  for (let k = 0; k < nNets; k++) {
    const a = 100 + Math.floor(k / 64);
    const b = (k % 64) * 4;
    const subnet = `10.${a}.${b}.0/22`;
    const gw = `10.${a}.${b}.1`;
    const bridge = `br-${k.toString(16).padStart(12, '0')}`;
    networks.push({ id: `net${k}`.padEnd(64, '0'), name: `net${k}`, hostId: 'h', driver: 'bridge', scope: 'local', internal: false, attachable: false, ingress: false, enableIPv4: null, enableIPv6: false, ipam: { driver: 'default', configs: [{ subnet, ipRange: null, gateway: gw, auxAddresses: {} }], options: {} }, options: {}, labels: {}, created: null, configOnly: false, configFrom: null, bridgeName: bridge });
    hostRoutes.push(route({ dst: subnet, dev: bridge, prefsrc: gw, scope: 'link' }));
    hostRoutes.push(route({ dst: `${gw}/32`, dev: bridge, prefsrc: gw, table: 'local', type: 'local', scope: 'host' }));
    ifaces.push(iface(bridge, 'bridge', 1500, [{ family: 'ipv4', address: gw, prefixLength: 22 }]));
    nat.push(`-A POSTROUTING -s ${subnet} ! -o ${bridge} -j MASQUERADE`);
  }
  nat.push('COMMIT');
  const rules = [
    { priority: 0, table: 'local' },
    { priority: 100, fwmark: '0xca6c', table: '51820' },
    { priority: 200, to: '10.99.0.0/16', table: '51820' },
    { priority: 32765, table: 'main', suppressPrefixLength: 0 },
    { priority: 32766, table: 'main' },
    { priority: 32767, table: 'default' },
  ].map((r) => ({ family: 'ipv4', invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'lookup', target: null, suppressPrefixLength: null, ...r }));
  const containers = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(i / perNet);
    const net = networks[k];
    const [base] = net.ipam.configs[0].subnet.split('/');
    const o = base.split('.').map(Number);
    const host = 2 + (i % perNet);
    const ip = `${o[0]}.${o[1]}.${o[2] + Math.floor(host / 256)}.${host % 256}`;
    const gw = net.ipam.configs[0].gateway;
    const name = `c${i}`;
    containers.push({
      id: `c${i}`.padEnd(64, 'f'), name, hostId: 'h', image: 'x', state: 'running', running: true, pid: 1000 + i,
      networkMode: { kind: 'network', network: net.name },
      endpoints: [{ networkId: net.id, networkName: net.name, endpointId: null, ipv4: { family: 'ipv4', address: ip, prefixLength: 22 }, ipv6: null, gateway: gw, ipv6Gateway: null, mac: null, aliases: [], dnsNames: [name], links: [], ipamConfig: null }],
      exposedPorts: [], portBindings: [], publishedPorts: [], publishAll: false, dns: { servers: [], search: [], options: [] }, extraHosts: [], labels: {}, compose: null,
      hostname: null, domainname: null, sandboxKey: null, restartCount: 0, health: null,
      resolvConf: { status: 'unavailable', source: 'bench', reason: 'bench', value: null }, hostsFile: { status: 'unavailable', source: 'bench', reason: 'bench', value: null },
      netns: ok({
        interfaces: [iface('lo', 'device', 65536), iface('eth0', 'veth', 1500, [{ family: 'ipv4', address: ip, prefixLength: 22 }])],
        routes: [
          route({ dst: '0.0.0.0/0', dev: 'eth0', gateway: gw, protocol: 'boot' }),
          route({ dst: net.ipam.configs[0].subnet, dev: 'eth0', prefsrc: ip, scope: 'link' }),
          route({ dst: `${ip}/32`, dev: 'eth0', prefsrc: ip, table: 'local', type: 'local', scope: 'host' }),
          route({ dst: '127.0.0.0/8', dev: 'lo', prefsrc: '127.0.0.1', table: 'local', type: 'local', scope: 'host' }),
        ],
        listeners: [],
      }),
    });
  }
  const missing = { status: 'unavailable', source: 'bench', reason: 'bench', value: null };
  const host = { id: 'h', name: 'h', daemon: missing, daemonConfig: missing, interfaces: ok(ifaces), routes: ok(hostRoutes), rules: ok(rules), firewall: ok({ iptablesSave: nat.join('\n'), ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: 'nf_tables' }), listeners: missing, sysctls: missing, resolvConf: missing, raw: {} };
  return { hosts: [host], networks, containers };
}

let generator = 'bench/route.mjs';
function stateFor(n) {
  if (external && process.env.ROUTE_BENCH_OWN !== '1') {
    const s = external({ containers: n });
    const state = s.state ?? s;
    // Only useful here when it carries routes (host tables and container namespaces).
    const hostRoutes = state.hosts[0]?.routes?.value?.length ?? 0;
    const nsRoutes = state.containers.some((c) => (c.netns?.value?.routes?.length ?? 0) > 0);
    if (hostRoutes > 0 && nsRoutes) {
      generator = 'gen-snapshot.mjs';
      return state;
    }
    generator = 'bench/route.mjs (gen-snapshot.mjs has no routes)';
  }
  return ownSnapshot(n);
}

const results = [];
for (const n of SIZES) {
  const state = stateFor(n);
  const cs = state.containers.filter((c) => c.running && c.endpoints.some((e) => e.ipv4));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let routed = 0;
  let other = 0;
  for (let i = 0; i < cs.length; i++) {
    const peer = cs[(i * 7919 + 13) % cs.length];
    const a = traceRoute(state, cs[i].id, peer.id);
    const b = traceRoute(state, cs[i].id, '198.51.100.7');
    for (const t of [a, b]) t.verdict === 'routed' ? routed++ : other++;
  }
  const traceMs = performance.now() - t0;
  const cu = process.cpuUsage(c0);
  const traceCpuMs = (cu.user + cu.system) / 1000;
  const t1 = performance.now();
  const findings = routeFindings(state);
  const findMs = performance.now() - t1;
  results.push({ n, traceMs, traceCpuMs, findMs });
  console.log(
    `${n} containers (${state.networks.length} networks, ${state.hosts[0].routes.value.length} host routes, generator: ${generator}): ` +
      `${cs.length * 2} traces in ${traceMs.toFixed(0)} ms wall, ${traceCpuMs.toFixed(0)} ms CPU (${((traceMs / (cs.length * 2)) * 1000).toFixed(1)} µs each; ${routed} routed, ${other} other); ` +
      `findings ${findMs.toFixed(0)} ms (${findings.length})`,
  );
}
if (results.length >= 2) {
  const [a, b] = [results[0], results[results.length - 1]];
  console.log(`growth ${a.n}→${b.n} (×${(b.n / a.n).toFixed(1)} containers): traces ×${(b.traceMs / a.traceMs).toFixed(2)}, findings ×${(b.findMs / a.findMs).toFixed(2)}`);
  const five = results.find((r) => r.n === 5000);
  if (five) console.log(`target: every container traced (to a container and outside) for 5,000 containers under 1 s → ${five.traceMs < 1000 ? 'met' : 'NOT met'} (${five.traceMs.toFixed(0)} ms)`);
}
