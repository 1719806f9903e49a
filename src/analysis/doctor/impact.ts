// The impact class of every finding code, beside the catalog (catalog.ts): what doctor's triage
// list ranks by before severity. A unit test keeps this table and the catalog in step.
//
// - broken: traffic that should flow does not, now (refused, dropped, unresolvable, stalled);
// - on-deploy: works today, fails at the next start, restart, reboot or `compose up`;
// - hygiene: exposure, dead or misleading configuration, unmodelled rules, evidence gaps.

export type Impact = 'broken' | 'on-deploy' | 'hygiene';

/** Every impact class, most urgent first (the order of doctor's triage list). */
export const IMPACTS: readonly Impact[] = ['broken', 'on-deploy', 'hygiene'];

export const IMPACT_LABEL: Record<Impact, string> = {
  broken: 'traffic broken now',
  'on-deploy': 'will break on deploy/restart',
  hygiene: 'hygiene',
};

export const IMPACT: Readonly<Record<string, Impact>> = {
  // ports
  PORT_ALLOCATED_BY_CONTAINER: 'broken',
  PORT_BOUND_BY_HOST_PROCESS: 'broken',
  PORT_CONFLICT_STOPPED_CONTAINER: 'on-deploy',
  PUBLISH_HOST_MODE_CONFLICT: 'broken',
  PLANNED_PORT_DUPLICATE: 'on-deploy',
  PUBLISH_LISTENER_LOOPBACK_ONLY: 'broken',
  PUBLISH_NO_LISTENER: 'broken',
  PUBLISH_NOT_IN_EFFECT: 'broken',
  PUBLISH_IGNORED_HOST_MODE: 'hygiene',
  PUBLISH_IGNORED_SHARED_NETNS: 'hygiene',
  RISKY_EXPOSURE: 'hygiene',
  EPHEMERAL_RANGE_PORT: 'on-deploy',
  PUBLISH_LOOPBACK_ONLY: 'hygiene',
  PRIVILEGED_PORT: 'hygiene',
  EVIDENCE_MISSING: 'hygiene',
  // firewall lint
  FW_SHADOWED_RULE: 'hygiene',
  FW_DEAD_CHAIN: 'hygiene',
  FW_RULE_AFTER_DOCKER_ACCEPT: 'hygiene',
  FW_UFW_BYPASS: 'hygiene',
  FW_UNKNOWN_TARGET: 'hygiene',
  FW_UNKNOWN_MATCH: 'hygiene',
  FW_RULESET_UNPARSEABLE: 'hygiene',
  // routes
  SUBNET_OVERLAPS_HOST_ROUTE: 'broken',
  DOCKER_SUBNETS_OVERLAP: 'broken',
  MISSING_DEFAULT_ROUTE: 'broken',
  MTU_MISMATCH: 'broken',
  // dns
  DNS_NAME_COLLISION: 'broken',
  DNS_INCONSISTENT_ANSWER: 'broken',
  DNS_STALE_HOSTS_ENTRY: 'broken',
  DEFAULT_BRIDGE_NO_DNS: 'hygiene',
  HOST_STUB_RESOLVER: 'broken',
  DNS_RESOLVER_UNREACHABLE: 'broken',
  EMBEDDED_DNS_ABSENT: 'broken',
  EMBEDDED_NO_UPSTREAM: 'broken',
  DNS_PUBLIC_FALLBACK: 'broken',
  NDOTS_EXPANSION: 'hygiene',
  // state checks
  INTERNAL_NETWORK_PUBLISHED_PORT: 'broken',
  ICC_DISABLED_ISOLATION: 'broken',
  IP_FORWARD_DISABLED: 'broken',
  MASQUERADE_MISSING: 'broken',
  BR_NETFILTER_DISABLED: 'hygiene',
  DOCKER_NAT_RULE_MISSING: 'broken',
  PUBLISHED_PORT_FIREWALL_BLOCKED: 'broken',
  STOPPED_CONTAINER_NAME_CLASH: 'on-deploy',
  LOOPBACK_PUBLISH_LAN_EXPOSED: 'hygiene',
  IPTABLES_DISABLED: 'hygiene',
  MACVLAN_PARENT_MISSING: 'broken',
  COMPOSE_SIBLING_UNREACHABLE: 'broken',
  NETWORK_ENDPOINT_LIMIT: 'hygiene',
};

/** A code's impact class (a code missing from the table — none should be — ranks as hygiene). */
export function impactOf(code: string): Impact {
  return IMPACT[code] ?? 'hygiene';
}
