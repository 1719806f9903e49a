// Routing findings over a whole state (reusable by `doctor`): Docker subnets that overlap host
// routes or each other, containers without a default route, and MTUs that shrink along the path.
// Pure: no I/O.

import type { Container, Host, Network, NetworkState, Route } from '../model/types.js';
import type { Finding } from '../model/finding.js';
import { viewOf } from '../model/view.js';
import { type Prefix, containsPrefix, formatPrefix, parsePrefix } from '../net/addr.js';

interface NetPrefix {
  network: Network;
  subnet: string;
  prefix: Prefix;
}

function networkPrefixes(state: NetworkState): NetPrefix[] {
  const out: NetPrefix[] = [];
  for (const n of state.networks) {
    if (n.configOnly) continue;
    for (const c of n.ipam.configs) {
      const p = c.subnet ? parsePrefix(c.subnet) : null;
      if (p && c.subnet) out.push({ network: n, subnet: c.subnet, prefix: p });
    }
  }
  return out;
}

const SKIP_TYPES = new Set<Route['type']>(['local', 'broadcast', 'multicast', 'anycast']);

export function subnetOverlapsHostRoute(state: NetworkState): Finding[] {
  const findings: Finding[] = [];
  const nets = networkPrefixes(state);
  for (const host of state.hosts) {
    const routes = host.routes.value;
    if (!routes) continue;
    const bridges = new Set(state.networks.map((n) => n.bridgeName).filter((b): b is string => !!b));
    const families = new Set(nets.map((n) => n.prefix.family));
    const candidates = routes
      .filter((r) => families.has(r.family) && !SKIP_TYPES.has(r.type) && r.table !== 'local')
      .map((r) => ({ r, p: parsePrefix(r.dst) }))
      .filter((x): x is { r: Route; p: Prefix } => x.p !== null && x.p.length > 0 && !(x.r.dev !== null && bridges.has(x.r.dev)));
    for (const np of nets) {
      if (np.network.hostId !== host.id && state.hosts.length > 1) continue;
      for (const { r, p } of candidates) {
        if (p.family !== np.prefix.family) continue;
        const inner = containsPrefix(np.prefix, p); // host route inside (or equal to) the subnet
        const outer = containsPrefix(p, np.prefix);
        if (!inner && !outer) continue;
        const where = `${r.type === 'unicast' ? '' : `${r.type} `}${r.dst}${r.dev ? ` dev ${r.dev}` : ''}${r.gateway ? ` via ${r.gateway}` : ''} (table ${r.table})`;
        findings.push({
          code: 'SUBNET_OVERLAPS_HOST_ROUTE',
          severity: inner ? 'error' : 'warning',
          title: `Docker network ${np.network.name} (${np.subnet}) overlaps a host route`,
          message: inner
            ? `The host routes ${r.dst} through ${r.dev ?? r.type}, inside ${np.network.name}'s subnet ${np.subnet}: traffic to those container addresses leaves the host the wrong way.`
            : `${np.network.name}'s subnet ${np.subnet} lies inside the host route ${r.dst} (${r.dev ?? r.type}, e.g. a VPN or LAN): containers cannot reach the part of that network the subnet shadows.`,
          subjects: [np.network.name],
          evidence: [`network ${np.network.name}: subnet ${np.subnet}${np.network.bridgeName ? ` on ${np.network.bridgeName}` : ''}`, `host route: ${where}`],
          remediation: `Move ${np.network.name} to a free range (docker network create --subnet ..., or default-address-pools in daemon.json) that does not overlap ${r.dst}.`,
        });
      }
    }
  }
  return findings;
}

export function dockerSubnetsOverlap(state: NetworkState): Finding[] {
  const findings: Finding[] = [];
  // Prefixes nest or are disjoint: sort by (family, network, length) and sweep with a stack of
  // open prefixes; every prefix on the stack that contains the next one overlaps it.
  const nets = networkPrefixes(state).sort((a, b) =>
    a.prefix.family !== b.prefix.family ? (a.prefix.family < b.prefix.family ? -1 : 1)
      : a.prefix.network !== b.prefix.network ? (a.prefix.network < b.prefix.network ? -1 : 1)
        : a.prefix.length - b.prefix.length);
  const stack: NetPrefix[] = [];
  for (const np of nets) {
    while (stack.length && !containsPrefix(stack[stack.length - 1]!.prefix, np.prefix)) stack.pop();
    for (const open of stack) {
      if (open.network.id === np.network.id) continue;
      if (open.network.hostId !== np.network.hostId && open.network.scope !== 'swarm' && np.network.scope !== 'swarm') continue;
      findings.push({
        code: 'DOCKER_SUBNETS_OVERLAP',
        severity: 'error',
        title: `Docker networks ${open.network.name} and ${np.network.name} have overlapping subnets`,
        message: `${open.network.name} (${open.subnet}) and ${np.network.name} (${np.subnet}) overlap: the host has two connected routes for the same addresses, and one network's containers are unreachable from the host and from each other.`,
        subjects: [open.network.name, np.network.name],
        evidence: [`${open.network.name}: ${formatPrefix(open.prefix)}`, `${np.network.name}: ${formatPrefix(np.prefix)}`],
        remediation: 'Recreate one of the networks with a non-overlapping --subnet.',
      });
    }
    stack.push(np);
  }
  return findings;
}

export function missingDefaultRoute(state: NetworkState): Finding[] {
  const findings: Finding[] = [];
  const view = viewOf(state);
  for (const c of state.containers) {
    if (!c.running || c.networkMode.kind === 'host' || c.networkMode.kind === 'none' || c.networkMode.kind === 'container') continue;
    const ns = c.netns.value;
    if (c.netns.status === 'unavailable' || !ns) continue;
    const external = c.endpoints
      .map((e) => view.networkOf(e) ?? undefined)
      .filter((n): n is Network => !!n && !n.internal && n.driver !== 'null' && n.driver !== 'host');
    if (external.length === 0) continue;
    for (const family of ['ipv4', 'ipv6'] as const) {
      const hasAddr = c.endpoints.some((e) => (family === 'ipv4' ? e.ipv4 : e.ipv6));
      if (!hasAddr) continue;
      const def = family === 'ipv4' ? '0.0.0.0/0' : '::/0';
      const has = ns.routes.some((r) => r.family === family && r.dst === def && r.table !== 'local');
      if (has) continue;
      findings.push({
        code: 'MISSING_DEFAULT_ROUTE',
        severity: 'warning',
        title: `${c.name} has no ${family === 'ipv4' ? 'IPv4' : 'IPv6'} default route`,
        message: `${c.name} is on non-internal network(s) ${external.map((n) => n.name).join(', ')} but its namespace has no ${def} route: anything outside its connected subnets fails with "Network is unreachable".`,
        subjects: [c.name],
        evidence: [`routes in ${c.name}: ${ns.routes.filter((r) => r.family === family && r.table !== 'local').map((r) => r.dst).join(', ') || '(none)'}`],
        remediation: `Check the network's gateway (docker network inspect) and whether something in the container removed the route; reconnect the container to restore it.`,
      });
    }
  }
  return findings;
}

function hostEgressMtu(host: Host, family: 'ipv4' | 'ipv6'): { dev: string; mtu: number } | null {
  const routes = host.routes.value;
  const ifaces = host.interfaces.value;
  if (!routes || !ifaces) return null;
  const def = routes.find((r) => r.family === family && r.table === 'main' && r.type === 'unicast' && (r.dst === '0.0.0.0/0' || r.dst === '::/0'));
  if (!def?.dev) return null;
  const mtu = def.mtu ?? ifaces.find((i) => i.name === def.dev)?.mtu ?? null;
  return mtu === null ? null : { dev: def.dev, mtu };
}

export function mtuMismatch(state: NetworkState): Finding[] {
  const findings: Finding[] = [];
  const view = viewOf(state);
  // Group by (network, container MTU, host egress) so a network of 500 containers is one finding.
  const groups = new Map<string, { net: Network; mtu: number; egress: { dev: string; mtu: number }; containers: Container[] }>();
  for (const c of state.containers) {
    const ns = c.netns.value;
    if (!c.running || !ns || c.networkMode.kind === 'host' || c.networkMode.kind === 'container') continue;
    const host = view.host(c);
    if (!host) continue;
    const egress = hostEgressMtu(host, 'ipv4');
    for (const e of c.endpoints) {
      const net = view.networkOf(e);
      if (!net || net.internal || net.driver !== 'bridge') continue;
      const ifc = ns.interfaces.find((i) => i.addresses.some((a) => a.address === e.ipv4?.address || a.address === e.ipv6?.address));
      if (!ifc?.mtu || !egress || ifc.mtu <= egress.mtu) continue;
      const key = `${net.id}|${ifc.mtu}|${egress.dev}`;
      const g = groups.get(key);
      if (g) g.containers.push(c);
      else groups.set(key, { net, mtu: ifc.mtu, egress, containers: [c] });
    }
  }
  for (const g of groups.values()) {
    const names = g.containers.map((c) => c.name);
    findings.push({
      code: 'MTU_MISMATCH',
      severity: 'warning',
      title: `Containers on ${g.net.name} use MTU ${g.mtu}, larger than the host uplink ${g.egress.dev} (${g.egress.mtu})`,
      message: `${names.length} container(s) on ${g.net.name} send packets up to ${g.mtu} bytes, but the host's default route leaves through ${g.egress.dev} with MTU ${g.egress.mtu} (an overlay, tunnel or VPN is typical): large packets need fragmentation or PMTU discovery, and stall where ICMP is filtered.`,
      subjects: [g.net.name, ...names.slice(0, 20)],
      evidence: [`container interface MTU ${g.mtu} (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})`, `host ${g.egress.dev} MTU ${g.egress.mtu}`],
      remediation: `Set the network MTU to ${g.egress.mtu} or less (docker network create -o com.docker.network.driver.mtu=${g.egress.mtu}, or "mtu" in daemon.json for the default bridge).`,
    });
  }
  return findings;
}

/** Every routing finding for a state. */
export function routeFindings(state: NetworkState): Finding[] {
  return [...subnetOverlapsHostRoute(state), ...dockerSubnetsOverlap(state), ...missingDefaultRoute(state), ...mtuMismatch(state)];
}
