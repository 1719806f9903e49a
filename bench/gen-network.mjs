// bench/gen-network: adds the network evidence a host capture holds to a snapshot made by
// gen-snapshot.mjs — host interfaces, routes, policy rules, sysctls, and an iptables-save ruleset
// in the layout Docker ≤27 writes (DNAT and ACCEPT per published port, isolation chains, ICC,
// masquerade), plus each container's interfaces and routes — so reach and matrix have real work.
//
//   import { addNetworkEvidence } from './gen-network.mjs';
//   addNetworkEvidence(snapshot, { iccOff: 0.1, userDrops: 20, seed: 1 });

const ok = (value, source = 'synthetic') => ({ status: 'ok', source, value });
const rule = (family, priority, table) => ({ family, priority, invert: false, from: null, to: null, iif: null, oif: null, fwmark: null, action: 'lookup', table, target: null, suppressPrefixLength: null });
const route = (dst, dev, gateway = null, prefsrc = null, scope = null) => ({ family: 'ipv4', table: 'main', type: 'unicast', dst, dev, gateway, prefsrc, metric: 0, scope, protocol: gateway ? 'boot' : 'kernel', mtu: null });
const iface = (name, kind, address, prefixLength) => ({ name, index: null, kind, mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: address ? [{ family: 'ipv4', address, prefixLength }] : [] });

export function addNetworkEvidence(snap, opts = {}) {
  const iccOff = opts.iccOff ?? 0.1;
  const userDrops = opts.userDrops ?? 20;
  let a = (opts.seed ?? 1) >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const st = snap.state;
  const host = st.hosts[0];
  const nets = st.networks.filter((n) => n.driver === 'bridge' && n.bridgeName);
  const noIcc = new Set(nets.filter(() => rand() < iccOff).map((n) => n.id));
  for (const n of nets) if (noIcc.has(n.id)) n.options = { ...n.options, 'com.docker.network.bridge.enable_icc': 'false' };
  const cfg = (n) => n.ipam.configs[0];
  host.interfaces = ok([iface('lo', 'loopback', '127.0.0.1', 8), iface('eth0', 'device', '203.0.113.10', 24), ...nets.map((n) => iface(n.bridgeName, 'bridge', cfg(n).gateway, Number(cfg(n).subnet.split('/')[1])))]);
  host.routes = ok([route('0.0.0.0/0', 'eth0', '203.0.113.1'), route('203.0.113.0/24', 'eth0', null, '203.0.113.10', 'link'), ...nets.map((n) => route(cfg(n).subnet, n.bridgeName, null, cfg(n).gateway, 'link'))]);
  host.rules = ok([rule('ipv4', 0, 'local'), rule('ipv4', 32766, 'main'), rule('ipv4', 32767, 'default')]);
  host.sysctls = ok({ ...(host.sysctls.value ?? {}), 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1', 'net.ipv4.ip_local_port_range': '32768 60999' });

  const byNet = new Map(st.networks.map((n) => [n.id, n]));
  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER'];
  const filter = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':DOCKER - [0:0]', ':DOCKER-ISOLATION-STAGE-1 - [0:0]', ':DOCKER-ISOLATION-STAGE-2 - [0:0]', ':DOCKER-USER - [0:0]', '-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-ISOLATION-STAGE-1'];
  for (const n of nets) {
    nat.push(`-A POSTROUTING -s ${cfg(n).subnet} ! -o ${n.bridgeName} -j MASQUERADE`);
    nat.push(`-A DOCKER -i ${n.bridgeName} -j RETURN`);
    filter.push(`-A FORWARD -o ${n.bridgeName} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-A FORWARD -o ${n.bridgeName} -j DOCKER`, `-A FORWARD -i ${n.bridgeName} ! -o ${n.bridgeName} -j ACCEPT`, `-A FORWARD -i ${n.bridgeName} -o ${n.bridgeName} -j ${noIcc.has(n.id) ? 'DROP' : 'ACCEPT'}`);
  }
  const dockerAccept = [];
  for (const c of st.containers) {
    const ep = c.endpoints[0];
    if (!c.running || !ep?.ipv4) continue;
    const n = byNet.get(ep.networkId);
    for (const p of c.publishedPorts) {
      if (p.hostIp.includes(':') || p.hostPort === null) continue;
      const d = p.hostIp === '0.0.0.0' ? '' : `-d ${p.hostIp}/32 `;
      nat.push(`-A DOCKER ${d}! -i ${n.bridgeName} -p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort} -j DNAT --to-destination ${ep.ipv4.address}:${p.containerPort}`);
      dockerAccept.push(`-A DOCKER -d ${ep.ipv4.address}/32 ! -i ${n.bridgeName} -o ${n.bridgeName} -p ${p.protocol} -m ${p.protocol} --dport ${p.containerPort} -j ACCEPT`);
    }
    c.netns = ok({
      interfaces: [iface('lo', 'loopback', '127.0.0.1', 8), iface('eth0', 'veth', ep.ipv4.address, ep.ipv4.prefixLength)],
      routes: [route('0.0.0.0/0', 'eth0', ep.gateway), route(cfg(n).subnet, 'eth0', null, ep.ipv4.address, 'link')],
      listeners: c.netns.value?.listeners ?? [],
    });
  }
  filter.push(...[...new Set(dockerAccept)]);
  for (const n of nets) filter.push(`-A DOCKER-ISOLATION-STAGE-1 -i ${n.bridgeName} ! -o ${n.bridgeName} -j DOCKER-ISOLATION-STAGE-2`);
  filter.push('-A DOCKER-ISOLATION-STAGE-1 -j RETURN');
  for (const n of nets) filter.push(`-A DOCKER-ISOLATION-STAGE-2 -o ${n.bridgeName} -j DROP`);
  filter.push('-A DOCKER-ISOLATION-STAGE-2 -j RETURN');
  // A few operator rules: drop one container's traffic to another on one port.
  const running = st.containers.filter((c) => c.running && c.endpoints[0]?.ipv4);
  for (let i = 0; i < userDrops && running.length > 1; i++) {
    const s = running[Math.floor(rand() * running.length)];
    const d = running[Math.floor(rand() * running.length)];
    filter.push(`-A DOCKER-USER -s ${s.endpoints[0].ipv4.address}/32 -d ${d.endpoints[0].ipv4.address}/32 -p tcp -m tcp --dport ${[80, 5432, 6379][i % 3]} -j DROP`);
  }
  filter.push('-A DOCKER-USER -j RETURN');
  const text = ['# Generated by bench/gen-network.mjs', ...nat, 'COMMIT', ...filter, 'COMMIT', ''].join('\n');
  host.firewall = ok({ iptablesSave: text, ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: 'legacy' });
  return snap;
}
