// The findings catalog: every code a findings-reporting command can emit, with its worst
// severity, a title and a one-sentence summary. Each code has a page docs/findings/<CODE>.md
// (a unit test keeps the two in step). Codes are stable: rename never, add freely.

import type { CodeInfo } from './types.js';

const c = (code: string, group: CodeInfo['group'], severity: CodeInfo['severity'], title: string, summary: string, needs?: string): CodeInfo =>
  needs ? { code, group, severity, title, summary, needs } : { code, group, severity, title, summary };

export const CATALOG: readonly CodeInfo[] = [
  // ---- ports (src/analysis/ports.ts)
  c('PORT_ALLOCATED_BY_CONTAINER', 'ports', 'error', 'Host port already allocated by a container', 'Two running containers (or a planned binding and a running container) claim the same host address, port and protocol.'),
  c('PORT_BOUND_BY_HOST_PROCESS', 'ports', 'error', 'Host port held by a host process', 'A process on the host listens on a port a container publishes or plans to publish.'),
  c('PORT_CONFLICT_STOPPED_CONTAINER', 'ports', 'warning', 'Stopped container still holds a host port', 'A container that is not running is configured for a host port another container holds or is configured for; starting it fails.'),
  c('PUBLISH_HOST_MODE_CONFLICT', 'ports', 'error', 'Host-network container listens on a published port', 'A --network host container listens on a host port that a published binding or a host process also claims.'),
  c('PLANNED_PORT_DUPLICATE', 'ports', 'error', 'Compose file plans one host port twice', 'Two services of a compose file plan the same host port.', '`ports --compose FILE`'),
  c('PUBLISH_LISTENER_LOOPBACK_ONLY', 'ports', 'error', 'App behind a published port listens on loopback only', 'The process behind a published port listens on 127.0.0.1/::1 inside the container, so forwarded connections are refused.'),
  c('PUBLISH_NO_LISTENER', 'ports', 'warning', 'Nothing listens behind a published port', 'A published TCP port has no listener on the container port inside the container.'),
  c('PUBLISH_NOT_IN_EFFECT', 'ports', 'warning', 'Configured port bindings are not in effect', 'A running container is configured to publish ports but has no binding in effect.'),
  c('PUBLISH_IGNORED_HOST_MODE', 'ports', 'warning', 'Published ports discarded with host networking', 'A --network host container has -p bindings, which Docker ignores.'),
  c('PUBLISH_IGNORED_SHARED_NETNS', 'ports', 'warning', 'Published ports ignored with a shared namespace', 'A container with network mode container:<x> or none has -p bindings, which Docker ignores.'),
  c('RISKY_EXPOSURE', 'ports', 'warning', 'Database or control-plane port published on all addresses', 'A well-known internal service port (database, cache, Docker API, ...) is published on 0.0.0.0 or ::.'),
  c('EPHEMERAL_RANGE_PORT', 'ports', 'warning', 'Host port inside the ephemeral range', 'A fixed host port lies inside net.ipv4.ip_local_port_range, where outgoing connections can take it.'),
  c('PUBLISH_LOOPBACK_ONLY', 'ports', 'info', 'Port published on loopback only', 'A binding on 127.0.0.1 or ::1 serves only clients on the host itself.'),
  c('PRIVILEGED_PORT', 'ports', 'info', 'Privileged host port', 'A host port below 1024 is published; rootless Docker cannot bind it by default.'),
  c('EVIDENCE_MISSING', 'state', 'info', 'A check could not run: evidence missing', 'A section of the state a check needs (host listeners, firewall, routes, sysctls, container namespaces, resolv.conf) was not captured, so the check did not run; no verdict is implied.'),

  // ---- firewall lint (src/firewall/lint.ts via src/analysis/firewall-ruleset.ts)
  c('FW_SHADOWED_RULE', 'firewall', 'warning', 'Firewall rule shadowed by an earlier rule', 'An iptables rule can never match because an earlier rule in the same chain takes every packet it would.'),
  c('FW_DEAD_CHAIN', 'firewall', 'warning', 'Firewall chain nothing jumps to', 'A user chain holds rules but no rule jumps to it, so none of them is evaluated.'),
  c('FW_RULE_AFTER_DOCKER_ACCEPT', 'firewall', 'warning', 'DROP/REJECT placed after Docker\'s FORWARD rules', 'An operator DROP/REJECT in filter/FORWARD comes after Docker\'s rules and never sees container traffic Docker accepts; DOCKER-USER is the place.'),
  c('FW_UFW_BYPASS', 'firewall', 'warning', 'Published ports bypass the host firewall', 'The host firewall drops unsolicited INPUT, but Docker\'s DNAT sends published-port traffic through FORWARD, around it.'),
  c('FW_UNKNOWN_TARGET', 'firewall', 'info', 'Firewall target not modelled', 'A rule uses a target netsleuth does not model; verdicts that depend on it are unknown.'),
  c('FW_UNKNOWN_MATCH', 'firewall', 'info', 'Firewall match not modelled', 'A rule uses a match netsleuth does not model; verdicts that depend on it are unknown.'),
  c('FW_RULESET_UNPARSEABLE', 'firewall', 'error', 'Captured ruleset could not be parsed', 'The iptables-save or nft output in the snapshot could not be parsed, so no firewall check ran on it.'),

  // ---- routes (src/analysis/route-findings.ts)
  c('SUBNET_OVERLAPS_HOST_ROUTE', 'routes', 'error', 'Docker subnet overlaps a host route', 'A Docker network\'s subnet overlaps a route of the host (VPN, LAN), so one of the two is unreachable.'),
  c('DOCKER_SUBNETS_OVERLAP', 'routes', 'error', 'Docker networks with overlapping subnets', 'Two Docker networks on one host have overlapping subnets.'),
  c('MISSING_DEFAULT_ROUTE', 'routes', 'warning', 'Container without a default route', 'A container on a non-internal network has no default route in its namespace.'),
  c('MTU_MISMATCH', 'routes', 'warning', 'Container MTU larger than the host uplink', 'Containers send packets larger than the MTU of the host interface their traffic leaves by.'),

  // ---- dns (src/analysis/dns/checks.ts)
  c('DNS_NAME_COLLISION', 'dns', 'warning', 'One name, unrelated containers', 'On one network a DNS name belongs to unrelated containers; the embedded DNS answers with any of them.'),
  c('DNS_INCONSISTENT_ANSWER', 'dns', 'warning', 'hosts file disagrees with the embedded DNS', 'A container\'s /etc/hosts maps a network name to another running container\'s address than the embedded DNS gives.'),
  c('DNS_STALE_HOSTS_ENTRY', 'dns', 'warning', 'Stale hosts entry', 'A hosts/--add-host entry points into a Docker subnet at an address no running container holds.'),
  c('DEFAULT_BRIDGE_NO_DNS', 'dns', 'info', 'Containers share only the default bridge', 'Containers on the default bridge only cannot resolve each other by name.'),
  c('HOST_STUB_RESOLVER', 'dns', 'error', 'resolv.conf points at the host\'s systemd-resolved stub', 'A container uses 127.0.0.53, which inside its own namespace is nothing.'),
  c('DNS_RESOLVER_UNREACHABLE', 'dns', 'error', 'Resolver unreachable from the container', 'A container\'s nameserver is a loopback address of its own namespace, lies outside its internal-only networks, or is missing entirely.'),
  c('EMBEDDED_DNS_ABSENT', 'dns', 'error', '127.0.0.11 without an embedded DNS', 'resolv.conf names Docker\'s embedded DNS but the container is on no user-defined network, where it runs.'),
  c('EMBEDDED_NO_UPSTREAM', 'dns', 'warning', 'Embedded DNS has no upstream', 'The embedded DNS has no external servers to forward to; only container names resolve.'),
  c('DNS_PUBLIC_FALLBACK', 'dns', 'warning', 'Docker fell back to public DNS', 'A container resolves through 8.8.8.8/8.8.4.4 although nobody configured them.'),
  c('NDOTS_EXPANSION', 'dns', 'warning', 'ndots and search domains multiply lookups', 'With ndots above 1 and a search list, most names are first tried with every search suffix.'),

  // ---- state checks (src/analysis/doctor/state-checks.ts)
  c('INTERNAL_NETWORK_PUBLISHED_PORT', 'state', 'warning', 'Published port on an internal network', 'A container on an internal network is configured to publish ports: Docker publishes nothing for internal networks, or publishes through another network and around the isolation.'),
  c('ICC_DISABLED_ISOLATION', 'state', 'warning', 'Containers isolated by icc=false', 'Containers share only a network with inter-container communication disabled, so they cannot reach each other over it.'),
  c('IP_FORWARD_DISABLED', 'state', 'error', 'IPv4 forwarding disabled', 'net.ipv4.ip_forward is 0 while bridge networks exist: containers have no egress and published ports do not forward.'),
  c('MASQUERADE_MISSING', 'state', 'error', 'No masquerade for a bridge network', 'The nat table has no MASQUERADE/SNAT for a non-internal bridge network\'s subnet, so its egress leaves with private source addresses.'),
  c('BR_NETFILTER_DISABLED', 'state', 'warning', 'icc=false not enforced (bridge netfilter off)', 'A network disables ICC but net.bridge.bridge-nf-call-iptables is 0, so bridged traffic bypasses the DROP rule.'),
  c('DOCKER_NAT_RULE_MISSING', 'state', 'error', 'Published port has no DNAT rule', 'A running container publishes a port but the captured nat table has no DNAT rule to it (rules flushed by a firewall reload).'),
  c('PUBLISHED_PORT_FIREWALL_BLOCKED', 'state', 'warning', 'Published port dropped by an operator firewall rule', 'A connection from outside to a published port is dropped or rejected by a rule outside Docker\'s own chains (DOCKER-USER, FORWARD, ...).'),
  c('STOPPED_CONTAINER_NAME_CLASH', 'state', 'warning', 'Stopped container would make a name ambiguous', 'A container that is not running holds a DNS name a running unrelated container answers on the same network; starting it makes the name ambiguous.'),
  c('LOOPBACK_PUBLISH_LAN_EXPOSED', 'state', 'warning', 'Loopback-published port reachable from the LAN (Engine < 28)', 'On Docker Engine before 28, a port published on 127.0.0.1 is reachable by LAN neighbours at the container\'s address.'),
  c('IPTABLES_DISABLED', 'state', 'warning', 'Docker does not manage the firewall', '"iptables": false in daemon.json: no DNAT, masquerade or isolation rules for containers.'),
  c('MACVLAN_PARENT_MISSING', 'state', 'error', 'macvlan/ipvlan parent interface missing', 'A macvlan or ipvlan network names a parent interface the host does not have.'),
  c('COMPOSE_SIBLING_UNREACHABLE', 'state', 'error', 'Compose sibling unreachable', 'A container cannot reach a container of its own compose project over a network they share, on a port the destination exposes.'),
  c('NETWORK_ENDPOINT_LIMIT', 'state', 'warning', 'Network with 1000 or more endpoints', 'A bridge or overlay network has 1000 or more endpoints, where Docker documents instability.'),
];

const BY_CODE = new Map(CATALOG.map((x) => [x.code, x]));

export function codeInfo(code: string): CodeInfo | undefined {
  return BY_CODE.get(code);
}

/** Repository-relative path of a code's documentation page. */
export function docsPath(code: string): string {
  return `docs/findings/${code}.md`;
}

/** Codes announced but not registered yet (none today; kept so docs and tests can name them). */
export const RESERVED_CODES: readonly string[] = [];
