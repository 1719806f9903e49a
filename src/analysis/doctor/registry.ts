// The doctor registry: every producer of findings over a state, the codes each emits, and one
// entry point (runDoctor) that runs the selected ones and says what ran, what was skipped and
// what could not run for lack of evidence. The producers are the existing analyses (ports,
// firewall lint, routes, DNS) plus the state checks in state-checks.ts. Pure.

import { viewOf } from '../../model/view.js';
import type { NetworkState } from '../../model/types.js';
import { analyzePorts } from '../ports.js';
import { routeFindings } from '../route-findings.js';
import { dnsChecks } from '../dns/checks.js';
import { lintTexts, type LintJsonFinding } from '../firewall-ruleset.js';
import { CATALOG, codeInfo, docsPath } from './catalog.js';
import * as sc from './state-checks.js';
import type { Gap, StateCheckResult } from './state-checks.js';
import { composeSiblingUnreachable } from './compose-siblings.js';
import { worstFirst } from '../../model/finding.js';
import type { CheckGroup, CheckStatus, Finding } from './types.js';

interface Producer {
  id: string;
  group: CheckGroup;
  codes: string[];
  run(state: NetworkState): StateCheckResult;
}

const codesOf = (g: CheckGroup) => CATALOG.filter((c) => c.group === g).map((c) => c.code);

const LINT_REMEDIATION: Record<string, string> = {
  FW_SHADOWED_RULE: 'Delete the shadowed rule, or move it above the rule that takes its packets if it was meant to decide them.',
  FW_DEAD_CHAIN: 'Add the jump that was meant to reach the chain (e.g. -A FORWARD -j <chain>), or delete the chain.',
  FW_RULE_AFTER_DOCKER_ACCEPT: 'Move the rule into DOCKER-USER (iptables -I DOCKER-USER ...), matching the original destination with -m conntrack --ctorigdst/--ctorigdstport.',
  FW_UFW_BYPASS: 'Restrict published ports in DOCKER-USER, publish them on 127.0.0.1 or a specific address, or use a ufw-docker style integration.',
  FW_UNKNOWN_TARGET: 'Nothing to fix in the ruleset; verdicts through this rule are reported as unknown. Check the flow with a live probe.',
  FW_UNKNOWN_MATCH: 'Nothing to fix in the ruleset; verdicts through this rule are reported as unknown. Check the flow with a live probe.',
  FW_RULESET_UNPARSEABLE: 'Recapture the ruleset (sudo netsleuth snapshot capture) and report the parse error if it persists.',
};

/** A `firewall lint` finding in the doctor shape. */
export function lintToFinding(f: LintJsonFinding): Finding {
  const info = codeInfo(f.code);
  const fam = f.family === 'ipv6' ? 'ip6tables ' : '';
  return {
    code: f.code,
    severity: f.severity,
    title: info?.title ?? f.code,
    message: f.message.charAt(0).toUpperCase() + f.message.slice(1),
    subjects: f.rules.map((r) => `${fam}${r.table}/${r.chain}#${r.index}`),
    evidence: f.rules.length ? f.rules.map((r) => `${fam}${r.table}/${r.chain} rule ${r.index}: ${r.text}`) : [`${f.family} ruleset: ${f.message}`],
    remediation: LINT_REMEDIATION[f.code] ?? 'See the finding page.',
  };
}

const LINT_CODES = codesOf('firewall').filter((c) => c !== 'FW_RULESET_UNPARSEABLE').join(', ');

function lintState(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  for (const h of state.hosts) {
    const fw = h.firewall;
    if (fw.status === 'unavailable' || !fw.value) {
      gaps.push({ check: LINT_CODES, host: h.name, section: `hosts[${h.name}].firewall`, reason: fw.reason ?? 'not captured' });
      continue;
    }
    const inputs: Array<{ family: 'ipv4' | 'ipv6' | null; text: string; source: string }> = [];
    if (fw.value.iptablesSave?.trim()) inputs.push({ family: 'ipv4', text: fw.value.iptablesSave, source: 'iptables-save' });
    if (fw.value.ip6tablesSave?.trim()) inputs.push({ family: 'ipv6', text: fw.value.ip6tablesSave, source: 'ip6tables-save' });
    if (inputs.length === 0 && fw.value.nftJson?.trim()) inputs.push({ family: 'ipv4', text: fw.value.nftJson, source: 'nft -j list ruleset' });
    if (inputs.length === 0) {
      gaps.push({ check: LINT_CODES, host: h.name, section: `hosts[${h.name}].firewall`, reason: 'no iptables-save or nft output in the capture' });
      continue;
    }
    for (const f of lintTexts(inputs, null).findings) findings.push(lintToFinding(f));
  }
  return { findings, gaps };
}

function routesWithGaps(state: NetworkState): StateCheckResult {
  const gaps: Gap[] = [];
  for (const h of state.hosts) {
    if (h.routes.status === 'unavailable') gaps.push({ check: 'SUBNET_OVERLAPS_HOST_ROUTE', host: h.name, section: `hosts[${h.name}].routes`, reason: h.routes.reason ?? 'not captured' });
    if (h.routes.status === 'unavailable' || h.interfaces.status === 'unavailable') {
      gaps.push({ check: 'MTU_MISMATCH', host: h.name, section: `hosts[${h.name}].${h.routes.status === 'unavailable' ? 'routes' : 'interfaces'}`, reason: (h.routes.status === 'unavailable' ? h.routes.reason : h.interfaces.reason) ?? 'not captured' });
    }
  }
  const noNetns = state.containers.filter((c) => c.running && (c.networkMode.kind === 'network' || c.networkMode.kind === 'default') && c.netns.status === 'unavailable');
  if (noNetns.length) {
    gaps.push({ check: 'MISSING_DEFAULT_ROUTE, MTU_MISMATCH', host: viewOf(state).host()?.name ?? 'host', section: 'containers[].netns', reason: `not captured for ${noNetns.length} running container(s) (${noNetns.slice(0, 5).map((c) => c.name).join(', ')}${noNetns.length > 5 ? ', ...' : ''})` });
  }
  return { findings: routeFindings(state), gaps };
}

function dnsWithGaps(state: NetworkState): StateCheckResult {
  const gaps: Gap[] = [];
  const noRc = state.containers.filter((c) => c.running && c.networkMode.kind !== 'container' && c.resolvConf.status === 'unavailable');
  if (noRc.length) {
    gaps.push({ check: 'HOST_STUB_RESOLVER, DNS_RESOLVER_UNREACHABLE, EMBEDDED_DNS_ABSENT, EMBEDDED_NO_UPSTREAM, DNS_PUBLIC_FALLBACK, NDOTS_EXPANSION', host: viewOf(state).host()?.name ?? 'host', section: 'containers[].resolvConf', reason: `not captured for ${noRc.length} running container(s) (${noRc.slice(0, 5).map((c) => c.name).join(', ')}${noRc.length > 5 ? ', ...' : ''})` });
  }
  return { findings: dnsChecks(state), gaps };
}

const one = (code: string, fn: (s: NetworkState) => StateCheckResult): Producer => ({ id: code, group: 'state', codes: [code], run: fn });

export const PRODUCERS: readonly Producer[] = [
  { id: 'ports', group: 'ports', codes: [...codesOf('ports'), 'EVIDENCE_MISSING'], run: (s) => ({ findings: analyzePorts(s).findings, gaps: [] }) },
  { id: 'firewall-lint', group: 'firewall', codes: codesOf('firewall'), run: lintState },
  { id: 'routes', group: 'routes', codes: codesOf('routes'), run: routesWithGaps },
  { id: 'dns', group: 'dns', codes: codesOf('dns'), run: dnsWithGaps },
  one('INTERNAL_NETWORK_PUBLISHED_PORT', sc.internalNetworkPublishedPort),
  one('ICC_DISABLED_ISOLATION', sc.iccDisabledIsolation),
  one('IP_FORWARD_DISABLED', sc.ipForwardDisabled),
  one('MASQUERADE_MISSING', sc.masqueradeMissing),
  one('BR_NETFILTER_DISABLED', sc.brNetfilterDisabled),
  one('DOCKER_NAT_RULE_MISSING', sc.dockerNatRuleMissing),
  one('PUBLISHED_PORT_FIREWALL_BLOCKED', sc.publishedPortFirewallBlocked),
  one('STOPPED_CONTAINER_NAME_CLASH', sc.stoppedContainerNameClash),
  one('NETWORK_ENDPOINT_LIMIT', sc.networkEndpointLimit),
  one('LOOPBACK_PUBLISH_LAN_EXPOSED', sc.loopbackPublishLanExposed),
  one('IPTABLES_DISABLED', sc.iptablesDisabled),
  one('MACVLAN_PARENT_MISSING', sc.macvlanParentMissing),
  one('COMPOSE_SIBLING_UNREACHABLE', composeSiblingUnreachable),
];

const LISTENER_CODES = ['PORT_BOUND_BY_HOST_PROCESS', 'PUBLISH_HOST_MODE_CONFLICT', 'PUBLISH_LISTENER_LOOPBACK_ONLY', 'PUBLISH_NO_LISTENER'];
const PORT_CONFLICT_CODES = ['PORT_ALLOCATED_BY_CONTAINER', 'PORT_BOUND_BY_HOST_PROCESS', 'PORT_CONFLICT_STOPPED_CONTAINER', 'PUBLISH_HOST_MODE_CONFLICT'];

export interface DoctorOptions {
  only?: string[];
  skip?: string[];
}

export interface DoctorResult {
  findings: Finding[];
  checks: CheckStatus[];
}

/** Codes in `list` that are not in the catalog (for a one-line usage error). */
export function unknownCodes(list: readonly string[]): string[] {
  return list.filter((c) => !codeInfo(c));
}

/** Turn gaps into one EVIDENCE_MISSING info per missing section. */
function gapFindings(gaps: Gap[]): Finding[] {
  const bySection = new Map<string, Gap[]>();
  for (const g of gaps) {
    const k = `${g.host}|${g.section}`;
    const l = bySection.get(k);
    if (l) l.push(g);
    else bySection.set(k, [g]);
  }
  const out: Finding[] = [];
  for (const gs of bySection.values()) {
    const checks = [...new Set(gs.map((g) => g.check))];
    const reasons = [...new Set(gs.map((g) => g.reason))];
    out.push({
      code: 'EVIDENCE_MISSING',
      severity: 'info',
      title: `Not checked: ${gs[0]!.section} missing`,
      message: `${checks.join(', ')} could not run${gs.length > 1 ? ' (fully)' : ''}: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? `; and ${reasons.length - 3} more` : ''}. No verdict is implied for what it covers.`,
      subjects: [gs[0]!.host],
      evidence: [`${gs[0]!.section}: ${reasons[0]}`],
      remediation: 'Capture on the Docker host as root (sudo netsleuth snapshot capture), where routes, firewall, sysctls and container namespaces can be read.',
    });
  }
  return out;
}

export function runDoctor(state: NetworkState, opts: DoctorOptions = {}): DoctorResult {
  const only = opts.only?.length ? new Set(opts.only) : null;
  const skip = new Set(opts.skip ?? []);
  const selected = (code: string) => (!only || only.has(code)) && !skip.has(code);
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const ran = new Set<string>();
  for (const p of PRODUCERS) {
    if (!p.codes.some((c) => c !== 'EVIDENCE_MISSING' && selected(c)) && !(p.id === 'ports' && only?.has('EVIDENCE_MISSING'))) continue;
    const r = p.run(state);
    for (const c of p.codes) ran.add(c);
    findings.push(...r.findings);
    gaps.push(...r.gaps);
  }
  // ports reports its own EVIDENCE_MISSING (listeners, swarm): with --only, keep it only when a
  // selected code depends on that evidence.
  const portsEvidence = (f: Finding) => !only || only.has('EVIDENCE_MISSING') || (/listeners/i.test(f.title) ? LISTENER_CODES : PORT_CONFLICT_CODES).some((c) => only.has(c));
  let kept = findings.filter((f) => selected(f.code) || (f.code === 'EVIDENCE_MISSING' && !skip.has('EVIDENCE_MISSING') && portsEvidence(f)));
  if (!skip.has('EVIDENCE_MISSING')) kept.push(...gapFindings(gaps.filter((g) => g.check.split(', ').some((c) => !codeInfo(c) || selected(c)))));
  // One cause, one finding: an internal-only container's unpublished ports are explained by
  // INTERNAL_NETWORK_PUBLISHED_PORT; ports' generic PUBLISH_NOT_IN_EFFECT would repeat it.
  const internal = new Set(kept.filter((f) => f.code === 'INTERNAL_NETWORK_PUBLISHED_PORT').map((f) => f.subjects[0]));
  if (internal.size) kept = kept.filter((f) => !(f.code === 'PUBLISH_NOT_IN_EFFECT' && internal.has(f.subjects[0])));
  kept.sort((a, b) => worstFirst(a, b) || a.code.localeCompare(b.code) || (a.subjects[0] ?? '').localeCompare(b.subjects[0] ?? ''));

  const count = new Map<string, number>();
  for (const f of kept) count.set(f.code, (count.get(f.code) ?? 0) + 1);
  const gapReason = (code: string) => {
    const g = gaps.find((x) => x.check.split(', ').includes(code));
    return g ? `could not run fully: ${g.section} (${g.reason})` : null;
  };
  const checks: CheckStatus[] = CATALOG.map((ci) => {
    const base = { code: ci.code, group: ci.group, title: ci.title, severity: ci.severity, findings: count.get(ci.code) ?? 0, docs: docsPath(ci.code) };
    if (only && !only.has(ci.code)) return { ...base, status: 'skipped' as const, reason: 'not in --only' };
    if (skip.has(ci.code)) return { ...base, status: 'skipped' as const, reason: '--skip' };
    if (ci.needs) return { ...base, status: 'skipped' as const, reason: `needs ${ci.needs}` };
    if (!ran.has(ci.code) && ci.code !== 'EVIDENCE_MISSING') return { ...base, status: 'skipped' as const, reason: 'not run' };
    return { ...base, status: 'run' as const, reason: gapReason(ci.code) };
  });
  return { findings: kept, checks };
}

/** Check statuses for a command that runs one producer's codes (ports, firewall lint). */
export function checksForCodes(codes: readonly string[], findings: readonly Finding[], reason: string | null = null): CheckStatus[] {
  const count = new Map<string, number>();
  for (const f of findings) count.set(f.code, (count.get(f.code) ?? 0) + 1);
  return codes.map((code) => {
    const ci = codeInfo(code)!;
    return { code, group: ci.group, title: ci.title, severity: ci.severity, status: 'run', reason: code === 'EVIDENCE_MISSING' ? null : reason, findings: count.get(code) ?? 0, docs: docsPath(code) };
  });
}

/** Catalog codes of a group (what `ports` or `firewall lint` checks). */
export function groupCodes(group: CheckGroup): string[] {
  return codesOf(group);
}
