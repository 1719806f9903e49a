// DNS consistency checks over the whole state, as findings for `doctor`. Pure.
//
//   DNS_NAME_COLLISION           one name on one network held by unrelated containers
//   DNS_INCONSISTENT_ANSWER      a name answered differently by /etc/hosts of one member of a network than by the embedded DNS
//   DNS_STALE_HOSTS_ENTRY        a hosts/--add-host entry for a container name whose address is no longer that container's
//   DEFAULT_BRIDGE_NO_DNS        containers that only share the default bridge cannot find each other by name
//   HOST_STUB_RESOLVER / DNS_RESOLVER_UNREACHABLE   resolv.conf servers the container cannot reach
//   EMBEDDED_DNS_ABSENT          resolv.conf names 127.0.0.11 without a user-defined network
//   EMBEDDED_NO_UPSTREAM         the embedded DNS has nowhere to forward
//   DNS_PUBLIC_FALLBACK          Docker fell back to public resolvers (8.8.8.8...)
//   NDOTS_EXPANSION              search domains × ndots make short names slow

import type { Finding } from '../../model/finding.js';
import type { Container, Network, NetworkState } from '../../model/types.js';
import { parseResolverOptions } from '../../dns/search.js';
import { EMBEDDED_DNS, endpointNames, isUserDefined, parseExtServers } from './lookup.js';
import { type StateView, viewOf } from '../../model/view.js';
import { containsAddr, isLoopback, parseAddr, parsePrefix } from '../../net/addr.js';

const PUBLIC_FALLBACK = new Set(['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844']);

function lc(s: string): string {
  return s.toLowerCase().replace(/\.$/, '');
}

/** IPv4 or IPv6 `ip` inside `cidr`, by the project's address math. */
function inSubnet(ip: string, cidr: string): boolean {
  const p = parsePrefix(cidr);
  const a = parseAddr(ip);
  return p !== null && a !== null && containsAddr(p, a);
}

/** Every DNS check, in a stable order: names per network, --add-host entries, the default bridge, each resolver. */
export function dnsChecks(state: NetworkState): Finding[] {
  const view = viewOf(state);
  const out: Finding[] = [];
  const running = state.containers.filter((c) => c.running);
  for (const net of state.networks) {
    if (!isUserDefined(net)) continue;
    const byName = namesOn(net, running);
    nameCollisions(net, byName, out);
    hostsFileDisagreements(net, byName, running, out);
  }
  staleAddHosts(state, running, out);
  defaultBridgeOnly(view, running, out);
  for (const c of running) resolverChecks(view, c, out);
  return out;
}

type NameHolders = Map<string, Array<{ c: Container; ip: string | null; via: 'name' | 'alias' }>>;

/** The names the embedded DNS answers on a user-defined network, and who holds each. */
function namesOn(net: Network, running: Container[]): NameHolders {
  const byName: NameHolders = new Map();
  for (const c of running) {
    for (const ep of c.endpoints) {
      if (ep.networkId !== net.id && ep.networkName !== net.name) continue;
      for (const n of endpointNames(c, ep)) {
        if (n === c.id.slice(0, 12)) continue;
        const list = byName.get(n) ?? [];
        list.push({ c, ip: ep.ipv4?.address ?? ep.ipv6?.address ?? null, via: lc(c.name) === n ? 'name' : 'alias' });
        byName.set(n, list);
      }
    }
  }
  return byName;
}

/** DNS_NAME_COLLISION: one name on one network held by unrelated containers. */
function nameCollisions(net: Network, byName: NameHolders, out: Finding[]): void {
  for (const [name, members] of byName) {
    if (members.length < 2) continue;
    const svcs = new Set(members.map((m) => (m.c.compose ? `${m.c.compose.project}/${m.c.compose.service}` : null)));
    const replicas = svcs.size === 1 && !svcs.has(null);
    const unrelated = !replicas && (svcs.size > 1 || members.some((m) => m.via === 'name'));
    if (!unrelated) continue;
    out.push({
      code: 'DNS_NAME_COLLISION',
      severity: 'warning',
      title: `"${name}" is ambiguous on ${net.name}`,
      message: `On network ${net.name} the name "${name}" belongs to ${members.length} unrelated containers; the embedded DNS returns all of their addresses in random order, so clients reach any of them.`,
      subjects: [net.name, ...members.map((m) => m.c.name)],
      evidence: members.map((m) => `${m.c.name}${m.c.compose ? ` (compose ${m.c.compose.project}/${m.c.compose.service})` : ''} ${m.via} → ${m.ip ?? 'no address'}`),
      remediation: 'Give each service a unique alias on shared networks (or use project-scoped networks); with compose, avoid reusing service names on an external network.',
    });
  }
}

/** DNS_STALE_HOSTS_ENTRY / DNS_INCONSISTENT_ANSWER: a member whose /etc/hosts answers a network name differently. */
function hostsFileDisagreements(net: Network, byName: NameHolders, running: Container[], out: Finding[]): void {
  for (const c of running) {
    const hosts = c.hostsFile.value;
    if (!hosts || !c.endpoints.some((e) => e.networkName === net.name)) continue;
    for (const [name, members] of byName) {
      if (members.some((m) => m.c.id === c.id)) continue;
      const entry = hosts.find((h) => h.names.some((n) => lc(n) === name));
      if (!entry) continue;
      const ips = members.map((m) => m.ip).filter(Boolean);
      if (ips.includes(entry.address)) continue;
      const stale = !running.some((o) => o.endpoints.some((e) => e.ipv4?.address === entry.address || e.ipv6?.address === entry.address));
      out.push({
        code: stale ? 'DNS_STALE_HOSTS_ENTRY' : 'DNS_INCONSISTENT_ANSWER',
        severity: 'warning',
        title: `${c.name} resolves "${name}" differently`,
        message: stale
          ? `${c.name}'s /etc/hosts maps "${name}" to ${entry.address}, an address no running container holds; on ${net.name} the embedded DNS answers ${ips.join(', ')}. The entry is stale (the container was recreated with a new address).`
          : `${c.name}'s /etc/hosts maps "${name}" to ${entry.address}, while other containers on ${net.name} get ${ips.join(', ')} from the embedded DNS.`,
        subjects: [c.name, net.name, ...members.map((m) => m.c.name)],
        evidence: [`/etc/hosts of ${c.name}: ${entry.address} ${entry.names.join(' ')}`, `embedded DNS on ${net.name}: ${name} → ${ips.join(', ')}`],
        remediation: `Remove the --add-host / hosts entry for "${name}" from ${c.name} and rely on the embedded DNS, or recreate ${c.name} so its hosts file is regenerated.`,
      });
    }
  }
}

/** DNS_STALE_HOSTS_ENTRY: --add-host entries pointing into a Docker subnet at an address nobody holds. */
function staleAddHosts(state: NetworkState, running: Container[], out: Finding[]): void {
  const dockerSubnets = state.networks.flatMap((n) => n.ipam.configs.map((c) => ({ net: n.name, subnet: c.subnet, gw: c.gateway })).filter((x) => x.subnet));
  for (const c of running) {
    for (const h of c.extraHosts) {
      const inNet = dockerSubnets.find((s) => inSubnet(h.address, s.subnet!));
      if (!inNet || h.address === inNet.gw) continue;
      const holder = state.containers.some((o) => o.running && o.endpoints.some((e) => e.ipv4?.address === h.address));
      if (holder) continue;
      if (out.some((f) => f.code === 'DNS_STALE_HOSTS_ENTRY' && f.subjects[0] === c.name && f.evidence[0]?.includes(h.address))) continue;
      out.push({
        code: 'DNS_STALE_HOSTS_ENTRY',
        severity: 'warning',
        title: `${c.name} pins "${h.name}" to an unused address`,
        message: `${c.name} has --add-host ${h.name}:${h.address}, inside network ${inNet.net} (${inNet.subnet}), but no running container holds ${h.address}: the entry points at a container that no longer exists (or moved).`,
        subjects: [c.name, inNet.net],
        evidence: [`--add-host ${h.name}:${h.address} (extra hosts of ${c.name})`],
        remediation: `Drop the --add-host entry and resolve "${h.name}" through the embedded DNS on a shared user-defined network.`,
      });
    }
  }
}

/** DEFAULT_BRIDGE_NO_DNS: containers that share only the default bridge cannot find each other by name. */
function defaultBridgeOnly(view: StateView, running: Container[], out: Finding[]): void {
  const bridgeOnly = running.filter((c) => {
    const o = view.namespaceOwner(c);
    return o === c && c.endpoints.length > 0 && c.endpoints.every((e) => !isUserDefined(view.networkOf(e), e)) && c.networkMode.kind !== 'host';
  });
  if (bridgeOnly.length >= 2) {
    out.push({
      code: 'DEFAULT_BRIDGE_NO_DNS',
      severity: 'info',
      title: `${bridgeOnly.length} containers share only the default bridge`,
      message: 'The default bridge has no embedded DNS: these containers cannot resolve each other by name (only by IP, --link or --add-host).',
      subjects: bridgeOnly.map((c) => c.name),
      evidence: bridgeOnly.map((c) => `${c.name}: networks ${c.endpoints.map((e) => e.networkName).join(', ')}`),
      remediation: 'Create a user-defined network (docker network create app) and attach the containers to it.',
    });
  }
}

/** A container's resolv.conf: unreachable or absent servers, the embedded DNS's upstreams, public fallback, ndots. */
function resolverChecks(view: StateView, c: Container, out: Finding[]): void {
  const rc = c.resolvConf.value;
  if (!rc || c.networkMode.kind === 'container') return;
  const user = view.userEndpoints(c).length > 0 && c.networkMode.kind !== 'host' && c.networkMode.kind !== 'none';
  const internalOnly = c.endpoints.length > 0 && c.endpoints.every((e) => view.networkOf(e)?.internal ?? false);
  const subnets = c.endpoints.flatMap((e) => view.networkOf(e)?.ipam.configs.map((x) => x.subnet).filter((s): s is string => !!s) ?? []);
  const check = (ns: string, via: string) => {
    if (c.networkMode.kind === 'host') return;
    if (isLoopback(ns) && ns !== EMBEDDED_DNS) {
      out.push({
        code: ns === '127.0.0.53' ? 'HOST_STUB_RESOLVER' : 'DNS_RESOLVER_UNREACHABLE',
        severity: 'error',
        title: `${c.name} uses a loopback resolver it cannot reach`,
        message: `${c.name} ${via} ${ns}; inside the container's network namespace that is the container itself${ns === '127.0.0.53' ? ' (the host\'s systemd-resolved stub listens only in the host namespace)' : ''}, so lookups fail.`,
        subjects: [c.name],
        evidence: [`${via} ${ns}`],
        remediation: ns === '127.0.0.53' ? 'Do not pass --dns 127.0.0.53; let Docker read /run/systemd/resolve/resolv.conf, or set "dns" in daemon.json to the real upstream servers.' : `Use a resolver address reachable from the container instead of ${ns}.`,
      });
    } else if (!isLoopback(ns) && internalOnly && !subnets.some((s) => inSubnet(ns, s))) {
      out.push({
        code: 'DNS_RESOLVER_UNREACHABLE',
        severity: 'error',
        title: `${c.name} cannot reach resolver ${ns}`,
        message: `${c.name} is only on internal networks (${c.endpoints.map((e) => e.networkName).join(', ')}) and ${via} ${ns}, which is outside them.`,
        subjects: [c.name],
        evidence: [`${via} ${ns}`, `subnets: ${subnets.join(', ')}`],
        remediation: 'Attach the container to a non-internal network, or run a resolver inside the internal network.',
      });
    }
  };
  for (const ns of rc.nameservers) {
    if (ns === EMBEDDED_DNS && !user && c.networkMode.kind !== 'host') {
      out.push({
        code: 'EMBEDDED_DNS_ABSENT',
        severity: 'error',
        title: `${c.name} points at 127.0.0.11 without an embedded DNS`,
        message: `${c.name}'s resolv.conf names 127.0.0.11, but the container is on no user-defined network, so no embedded DNS server runs in its namespace.`,
        subjects: [c.name],
        evidence: [`nameserver ${ns}`],
        remediation: 'Attach the container to a user-defined network or remove the 127.0.0.11 entry.',
      });
    } else if (ns !== EMBEDDED_DNS) check(ns, 'has nameserver');
  }
  if (rc.nameservers.length === 0) {
    out.push({
      code: 'DNS_RESOLVER_UNREACHABLE',
      severity: 'error',
      title: `${c.name} has no nameserver`,
      message: `${c.name}'s resolv.conf lists no nameserver; the C library falls back to 127.0.0.1 inside the container, where nothing answers.`,
      subjects: [c.name],
      evidence: ['resolv.conf without nameserver lines'],
      remediation: 'Configure dns in daemon.json or pass --dns with a reachable server.',
    });
  }
  if (user && rc.nameservers.includes(EMBEDDED_DNS)) {
    const ext = parseExtServers(rc.raw);
    if (ext) {
      if (ext.length === 0) {
        out.push({
          code: 'EMBEDDED_NO_UPSTREAM',
          severity: 'warning',
          title: `${c.name}'s embedded DNS has no upstream`,
          message: `The embedded DNS of ${c.name} has no external servers (ExtServers is empty): names other than containers fail.`,
          subjects: [c.name],
          evidence: ['# ExtServers: []'],
          remediation: 'Set "dns" in /etc/docker/daemon.json or pass --dns.',
        });
      }
      for (const u of ext) if (u.from === 'container') check(u.address, 'forwards (from its own namespace) to');
    } else {
      for (const s of c.dns.servers) check(s, 'was started with --dns');
    }
  }
  const publicFallback = [...rc.nameservers, ...(parseExtServers(rc.raw) ?? []).map((u) => u.address)].filter((n) => PUBLIC_FALLBACK.has(n));
  if (publicFallback.length && !c.dns.servers.some((s) => PUBLIC_FALLBACK.has(s))) {
    out.push({
      code: 'DNS_PUBLIC_FALLBACK',
      severity: 'warning',
      title: `${c.name} resolves through public DNS`,
      message: `${c.name} uses ${publicFallback.join(', ')} although nobody asked for it: Docker falls back to public resolvers when the host has only loopback nameservers. On an air-gapped host lookups hang.`,
      subjects: [c.name],
      evidence: publicFallback.map((p) => `nameserver ${p}`),
      remediation: 'Set "dns" in /etc/docker/daemon.json to your real resolvers.',
    });
  }
  const opts = parseResolverOptions(rc.options);
  if (rc.search.length > 0 && opts.ndots > 1) {
    out.push({
      code: 'NDOTS_EXPANSION',
      severity: opts.ndots >= 3 ? 'warning' : 'info',
      title: `${c.name}: names with fewer than ${opts.ndots} dots try ${rc.search.length} search domain(s) first`,
      message: `With ndots:${opts.ndots} and search ${rc.search.join(' ')}, a name like "api.example.com" is first tried as ${rc.search.map((s) => `api.example.com.${s}`).join(', ')}: ${rc.search.length} extra round trip(s) per lookup (each forwarded upstream), before the real name.`,
      subjects: [c.name],
      evidence: [`search ${rc.search.join(' ')}`, `options ${rc.options.join(' ')}`],
      remediation: 'Lower ndots (--dns-opt ndots:1), trim the search list (--dns-search), or use fully qualified names with a trailing dot.',
    });
  }
}
