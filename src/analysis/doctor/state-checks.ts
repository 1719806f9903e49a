// Doctor checks of their own: state-level problems no other analysis reports, each proved from
// evidence in the model (network options, sysctls, the captured nat/filter tables). Pure.
//
// A check that needs a section the capture lacks reports a `Gap` instead of a finding; the
// registry turns gaps into one EVIDENCE_MISSING info per missing section. Missing evidence never
// becomes a finding about the subject.

import type { Container, Host, Network, NetworkState } from '../../model/types.js';
import type { Rule } from '../../firewall/types.js';
import { hostFacts, hostRuleset } from '../firewall-flow.js';
import { evaluate } from '../../firewall/index.js';
import { egressNat } from '../route-nat.js';
import { endpointNames, isDefaultBridge, viewOf } from '../../model/view.js';
import type { Finding } from './types.js';

/** A check that could not (fully) run: which evidence was missing, and why. */
export interface Gap {
  check: string;
  host: string;
  /** The missing section, e.g. `hosts[h].sysctls`. */
  section: string;
  reason: string;
}

export interface StateCheckResult {
  findings: Finding[];
  gaps: Gap[];
}

const ICC = 'com.docker.network.bridge.enable_icc';
const MASQ = 'com.docker.network.bridge.enable_ip_masquerade';
/** A documentation address (RFC 5737) standing for "a client/server outside this host" in modelled packets. */
export const OUTSIDE_V4 = '198.51.100.7';


const ownsNetns = (c: Container) => c.networkMode.kind === 'network' || c.networkMode.kind === 'default';


function v4Subnet(n: Network): string | null {
  return n.ipam.configs.map((x) => x.subnet).find((s): s is string => !!s && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s)) ?? null;
}

function bindingText(b: { hostIp: string; hostPort: number | null; containerPort: number; protocol: string }): string {
  return `${b.hostIp}:${b.hostPort ?? '(any)'}->${b.containerPort}/${b.protocol}`;
}

// ---------------------------------------------------------------------------------------------

/** INTERNAL_NETWORK_PUBLISHED_PORT: -p on a container whose every network is internal. */
export function internalNetworkPublishedPort(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const netOf = viewOf(state).networkOf;
  for (const c of state.containers) {
    if (!ownsNetns(c) || (c.portBindings.length === 0 && !c.publishAll) || c.endpoints.length === 0) continue;
    const nets = c.endpoints.map(netOf);
    if (nets.some((n) => !n || !n.internal)) continue; // a non-internal network publishes them (the usual front/back pattern)
    const names = nets.map((n) => n!.name);
    const ports = c.portBindings.map(bindingText).join(', ') || '-P (all exposed ports)';
    findings.push({
      code: 'INTERNAL_NETWORK_PUBLISHED_PORT',
      severity: 'warning',
      title: `${c.name} publishes ports but is only on internal network(s) ${names.join(', ')}`,
      message: `${c.name} is configured to publish ${ports}, but it is attached only to internal network(s) ${names.join(', ')}: Docker sets up no port mapping for internal networks, so ${c.running ? 'nothing listens on those host ports for it' : 'the host ports will lead nowhere when it starts'}.`,
      subjects: [c.name, ...names],
      evidence: [
        ...names.map((n) => `networks[${n}].internal: true`),
        `containers[${c.name}].portBindings: ${ports}`,
        `containers[${c.name}].publishedPorts: ${c.publishedPorts.length ? c.publishedPorts.map(bindingText).join(', ') : '(none)'}`,
      ],
      remediation: 'Attach the container to a non-internal network as well (docker network connect), or drop the -p flags and reach it from containers on the internal network.',
    });
  }
  return { findings, gaps: [] };
}

/** ICC_DISABLED_ISOLATION: containers that share only an icc=false network. */
export function iccDisabledIsolation(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const netOf = viewOf(state).networkOf;
  const running = state.containers.filter((c) => c.running && ownsNetns(c));
  const netsOf = new Map(running.map((c) => [c.id, new Set(c.endpoints.map((e) => netOf(e)?.id ?? e.networkName))]));
  for (const n of state.networks) {
    if (n.driver !== 'bridge' || n.name === 'docker_gwbridge') continue; // swarm's gwbridge is icc=false by design
    const daemonIcc = viewOf(state).host(n.hostId)?.daemonConfig.value?.icc;
    const off = n.options[ICC] === 'false' || (n.options[ICC] === undefined && isDefaultBridge(n) && daemonIcc === false);
    if (!off) continue;
    const members = running.filter((c) => netsOf.get(c.id)!.has(n.id));
    const isolated = new Set<Container>();
    const pairs: string[] = [];
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const a = members[i]!;
        const b = members[j]!;
        const sa = netsOf.get(a.id)!;
        let other = false;
        for (const x of netsOf.get(b.id)!) if (x !== n.id && sa.has(x)) other = true;
        if (other) continue;
        isolated.add(a).add(b);
        if (pairs.length < 5) pairs.push(`${a.name} ↔ ${b.name}`);
      }
    }
    if (isolated.size < 2) continue;
    const names = [...isolated].map((c) => c.name);
    findings.push({
      code: 'ICC_DISABLED_ISOLATION',
      severity: 'warning',
      title: `Containers on ${n.name} cannot reach each other (icc=false)`,
      message: `${n.name} disables inter-container communication, and ${names.length} running container(s) share no other network (${pairs.join(', ')}${isolated.size > 5 ? ', ...' : ''}): Docker drops traffic between them on the bridge; only their published host ports are reachable.`,
      subjects: [n.name, ...names.slice(0, 50)],
      evidence: [
        n.options[ICC] === 'false' ? `networks[${n.name}].options["${ICC}"]: "false"` : `daemon.json "icc": false (default bridge ${n.name})`,
        ...[...isolated].slice(0, 10).map((c) => `containers[${c.name}] networks: ${c.endpoints.map((e) => e.networkName).join(', ')}`),
      ],
      remediation: `If they should talk, connect them to a shared network with ICC on (docker network create app; docker network connect app <container>), or recreate ${n.name} without -o ${ICC}=false. If the isolation is intended, nothing to do.`,
    });
  }
  return { findings, gaps: [] };
}

/** IP_FORWARD_DISABLED: net.ipv4.ip_forward=0 while bridge networks exist. */
export function ipForwardDisabled(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  for (const h of state.hosts) {
    const bridges = state.networks.filter((n) => (n.hostId === h.id || state.hosts.length === 1) && n.driver === 'bridge' && !n.internal && !n.configOnly);
    if (bridges.length === 0) continue;
    const sys = h.sysctls.status !== 'unavailable' ? h.sysctls.value : null;
    const sysVal = sys?.['net.ipv4.ip_forward'];
    const info = h.daemon.value?.ipv4Forwarding ?? null;
    let evidence: string | null = null;
    if (sysVal !== undefined) {
      if (sysVal.trim() === '0') evidence = `hosts[${h.name}].sysctls["net.ipv4.ip_forward"]: 0`;
    } else if (info === false) {
      evidence = `docker info: IPv4Forwarding false${h.daemon.value?.warnings.some((w) => /forwarding/i.test(w)) ? ' ("WARNING: IPv4 forwarding is disabled")' : ''}`;
    } else if (info === null) {
      gaps.push({ check: 'IP_FORWARD_DISABLED', host: h.name, section: `hosts[${h.name}].sysctls`, reason: h.sysctls.reason ?? 'net.ipv4.ip_forward not captured, and the daemon did not report IPv4Forwarding' });
      continue;
    }
    if (!evidence) continue;
    findings.push({
      code: 'IP_FORWARD_DISABLED',
      severity: 'error',
      title: `IPv4 forwarding is disabled on ${h.name}`,
      message: `The host does not forward IPv4 packets, but ${bridges.length} bridge network(s) (${bridges.slice(0, 5).map((n) => n.name).join(', ')}${bridges.length > 5 ? ', ...' : ''}) depend on it: containers have no egress and connections to published ports are not forwarded to them.`,
      subjects: [h.name, ...bridges.slice(0, 20).map((n) => n.name)],
      evidence: [evidence, ...(h.daemonConfig.value?.ipForward === false ? ['daemon.json "ip-forward": false'] : [])],
      remediation: 'sysctl -w net.ipv4.ip_forward=1 and persist it in /etc/sysctl.d/; remove "ip-forward": false from daemon.json (or let Docker enable it on restart).',
    });
  }
  return { findings, gaps };
}

/** BR_NETFILTER_DISABLED: an icc=false network while bridged traffic skips iptables. */
export function brNetfilterDisabled(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  for (const h of state.hosts) {
    const daemonIcc = h.daemonConfig.value?.icc;
    const noicc = state.networks.filter((n) => (n.hostId === h.id || state.hosts.length === 1) && n.driver === 'bridge' && n.name !== 'docker_gwbridge' && (n.options[ICC] === 'false' || (n.options[ICC] === undefined && isDefaultBridge(n) && daemonIcc === false)));
    if (noicc.length === 0) continue;
    const v = h.sysctls.status !== 'unavailable' ? h.sysctls.value?.['net.bridge.bridge-nf-call-iptables'] : undefined;
    const info = h.daemon.value?.bridgeNfIptables ?? null;
    let evidence: string | null = null;
    if (v !== undefined) {
      if (v.trim() === '0') evidence = `hosts[${h.name}].sysctls["net.bridge.bridge-nf-call-iptables"]: 0`;
    } else if (info === false) evidence = 'docker info: BridgeNfIptables false';
    else if (info === null) {
      gaps.push({ check: 'BR_NETFILTER_DISABLED', host: h.name, section: `hosts[${h.name}].sysctls`, reason: h.sysctls.reason ?? 'net.bridge.bridge-nf-call-iptables not captured (br_netfilter not loaded, or not read)' });
      continue;
    }
    if (!evidence) continue;
    findings.push({
      code: 'BR_NETFILTER_DISABLED',
      severity: 'warning',
      title: `icc=false is not enforced on ${h.name}: bridged traffic skips iptables`,
      message: `${noicc.map((n) => n.name).join(', ')} disable inter-container communication with an iptables DROP, but net.bridge.bridge-nf-call-iptables is 0, so packets between containers on one bridge never traverse iptables and are delivered anyway.`,
      subjects: [h.name, ...noicc.map((n) => n.name)],
      evidence: [evidence, ...noicc.map((n) => `networks[${n.name}].options["${ICC}"]: "false"`)],
      remediation: 'modprobe br_netfilter and sysctl -w net.bridge.bridge-nf-call-iptables=1 (persist both), then restart Docker.',
    });
  }
  return { findings, gaps };
}

function natText(h: Host): { text: string | null; reason: string | null } {
  const fw = h.firewall;
  if (fw.status === 'unavailable' || !fw.value) return { text: null, reason: `the firewall ruleset was not captured${fw.reason ? ` (${fw.reason})` : ''}` };
  const t = fw.value.iptablesSave;
  if (!t || !t.trim()) return { text: null, reason: fw.value.nftJson ? 'only an nft ruleset was captured; these checks read the iptables nat table' : 'no iptables-save output in the capture' };
  if (!/^\*nat\s*$/m.test(t)) return { text: null, reason: 'the nat table is not in the captured iptables-save output' };
  return { text: t, reason: null };
}

function usesIptables(h: Host): boolean {
  if (h.daemonConfig.value?.iptables === false) return false;
  const be = h.daemon.value?.firewallBackend ?? h.daemonConfig.value?.firewallBackend ?? null;
  return !(be && be.startsWith('nftables'));
}

/** MASQUERADE_MISSING: no source NAT for a non-internal bridge subnet's egress. */
export function masqueradeMissing(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const netOf = viewOf(state).networkOf;
  for (const h of state.hosts) {
    const nets = state.networks.filter((n) => (n.hostId === h.id || state.hosts.length === 1) && n.driver === 'bridge' && !n.internal && !n.configOnly && v4Subnet(n) && n.options[MASQ] !== 'false' && !(n.options['com.docker.network.bridge.gateway_mode_ipv4'] ?? '').startsWith('routed'));
    if (nets.length === 0 || !usesIptables(h)) continue;
    if (h.daemonConfig.value?.ipMasq === false) continue; // masquerade turned off on purpose (daemon "ip-masq": false)
    const { text, reason } = natText(h);
    if (!text) {
      gaps.push({ check: 'MASQUERADE_MISSING', host: h.name, section: `hosts[${h.name}].firewall`, reason: reason! });
      continue;
    }
    const uplink = h.routes.value?.find((r) => r.family === 'ipv4' && r.table === 'main' && r.dst === '0.0.0.0/0' && r.dev)?.dev ?? null;
    for (const n of nets) {
      const subnet = v4Subnet(n)!;
      const member = state.containers.find((c) => c.running && c.endpoints.some((e) => netOf(e)?.id === n.id && e.ipv4));
      const src = member?.endpoints.find((e) => netOf(e)?.id === n.id)?.ipv4?.address ?? sampleAddress(subnet);
      if (!src) continue;
      const oif = uplink ?? 'uplink0';
      const nat = egressNat(h, src, OUTSIDE_V4, oif);
      if (nat.kind === 'masquerade' || nat.kind === 'snat') continue;
      if (nat.kind === 'unknown') {
        gaps.push({ check: 'MASQUERADE_MISSING', host: h.name, section: `hosts[${h.name}].firewall (nat/POSTROUTING)`, reason: `${n.name}: ${nat.message}` });
        continue;
      }
      findings.push({
        code: 'MASQUERADE_MISSING',
        severity: 'error',
        title: `No masquerade for ${n.name} (${subnet})`,
        message: `Traffic from ${n.name}'s containers (${subnet}) leaving the host through ${uplink ?? 'its uplink'} is not source-NATed: ${nat.message}. Replies to the private source address never come back, so containers on ${n.name} have no working egress.`,
        subjects: [n.name],
        evidence: [
          `networks[${n.name}]: bridge ${n.bridgeName ?? '?'}, subnet ${subnet}, internal false${n.options[MASQ] ? `, ${MASQ}=${n.options[MASQ]}` : ''}`,
          `modelled packet ${src} → ${OUTSIDE_V4} out of ${oif}${uplink ? '' : ' (uplink not captured)'}: ${nat.message}`,
          `hosts[${h.name}].firewall.iptablesSave *nat POSTROUTING: ${text.split('\n').filter((l) => l.startsWith('-A POSTROUTING')).length} rule(s)`,
        ],
        remediation: 'Restart Docker to restore its rules (something flushed the nat table: a firewall reload, iptables-restore, csf, ferm), or add -t nat -A POSTROUTING -s <subnet> ! -o <bridge> -j MASQUERADE.',
      });
    }
  }
  return { findings, gaps };
}

function sampleAddress(subnet: string): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  if (!m) return null;
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const len = Number(m[5]);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const a = (((base & mask) >>> 0) + 2) >>> 0;
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
}

/** DOCKER_NAT_RULE_MISSING: a published port with no DNAT rule in the captured nat table. */
export function dockerNatRuleMissing(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const netOf = viewOf(state).networkOf;
  for (const h of state.hosts) {
    const cts = state.containers.filter((c) => (c.hostId === h.id || state.hosts.length === 1) && c.running && ownsNetns(c) && c.publishedPorts.some((b) => b.hostPort !== null && !b.hostIp.includes(':')));
    if (cts.length === 0 || !usesIptables(h)) continue;
    const { text, reason } = natText(h);
    if (!text) {
      gaps.push({ check: 'DOCKER_NAT_RULE_MISSING', host: h.name, section: `hosts[${h.name}].firewall`, reason: reason! });
      continue;
    }
    // DNAT targets anywhere in the nat table, as the firewall engine parsed them.
    const targets = new Set<string>();
    for (const ch of Object.values(hostRuleset(h, 'ipv4').ruleset?.tables['nat']?.chains ?? {})) {
      for (const r of ch.rules) if (r.target.kind === 'dnat' && r.target.to) targets.add(r.target.to.text);
    }
    for (const c of cts) {
      const ips = c.endpoints.filter((e) => e.ipv4 && !(netOf(e)?.internal ?? false)).map((e) => e.ipv4!.address);
      if (ips.length === 0) continue;
      const missing = c.publishedPorts.filter((b) => b.hostPort !== null && !b.hostIp.includes(':') && b.protocol !== 'sctp' && !ips.some((ip) => targets.has(`${ip}:${b.containerPort}`)));
      if (missing.length === 0) continue;
      findings.push({
        code: 'DOCKER_NAT_RULE_MISSING',
        severity: 'error',
        title: `${c.name}: published port(s) without a DNAT rule`,
        message: `${c.name} publishes ${missing.map(bindingText).join(', ')}, but the captured nat table has no DNAT rule to ${ips.join(' or ')} for ${missing.length === 1 ? 'it' : 'them'}: connections to the host port from other machines are not forwarded to the container (Docker's rules were removed, e.g. by a firewall reload).`,
        subjects: [c.name],
        evidence: [
          ...missing.map((b) => `containers[${c.name}].publishedPorts: ${bindingText(b)}`),
          `hosts[${h.name}].firewall.iptablesSave: no "-j DNAT --to-destination ${ips[0]}:${missing[0]!.containerPort}" (${targets.size} DNAT rule(s) in total)`,
        ],
        remediation: 'Restart Docker (systemctl restart docker) to reprogram its rules, and make the firewall service (firewalld, ufw, iptables-persistent) leave Docker\'s chains alone on reload.',
      });
    }
  }
  return { findings, gaps };
}

const DOCKER_OWNED = /^DOCKER(-ISOLATION-STAGE-[12]|-FORWARD|-CT|-BRIDGE|-INTERNAL|-INGRESS)?$/;

const v4Num = (ip: string): number | null => (/^\d+\.\d+\.\d+\.\d+$/.test(ip) ? ip.split('.').reduce((x, o) => x * 256 + Number(o), 0) : null);

/** An operator rule reduced to what the prefilter reads: its positive destination address and port matches. */
interface OperatorRule {
  /** [network, mask] of each `-d`; null when one does not parse (then it may match anything). */
  dst: Array<[number, number]> | null;
  ports: Array<Array<[number, number]>>;
}

function operatorRule(r: Rule): OperatorRule {
  const dst: Array<[number, number]> = [];
  let unparsed = false;
  const ports: Array<Array<[number, number]>> = [];
  for (const m of r.matches) {
    if (m.kind === 'addr' && m.dir === 'dst' && !m.neg) {
      const x = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(m.cidr);
      const b = x ? v4Num(x[1]!) : null;
      if (b === null) unparsed = true;
      else {
        const len = x![2] === undefined ? 32 : Number(x![2]);
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        dst.push([(b & mask) >>> 0, mask]);
      }
    } else if (m.kind === 'port' && m.dir === 'dst' && !m.neg) ports.push(m.ranges);
  }
  return { dst: unparsed ? null : dst, ports };
}

/** Could one of the operator rules decide a packet to one of `ips` (numeric) on one of `ports`? Anything else may match. */
function mayBlock(rules: OperatorRule[], ips: number[], ports: number[]): boolean {
  return rules.some(
    (r) =>
      (r.dst === null || r.dst.every(([net, mask]) => ips.some((ip) => ((ip & mask) >>> 0) === net))) &&
      r.ports.every((ranges) => ports.some((p) => ranges.some(([a, b]) => a <= p && p <= b))),
  );
}

/** PUBLISHED_PORT_FIREWALL_BLOCKED: a connection from outside to a published port is dropped by an operator rule. */
export function publishedPortFirewallBlocked(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const netOf = viewOf(state).networkOf;
  for (const h of state.hosts) {
    const cts = state.containers.filter((c) => (c.hostId === h.id || state.hosts.length === 1) && c.running && ownsNetns(c) && c.publishedPorts.some((b) => b.hostPort !== null && !b.hostIp.includes(':') && b.hostIp !== '127.0.0.1'));
    if (cts.length === 0) continue;
    const rs = hostRuleset(h, 'ipv4');
    if (!rs.compiled || !rs.ruleset) {
      gaps.push({ check: 'PUBLISHED_PORT_FIREWALL_BLOCKED', host: h.name, section: `hosts[${h.name}].firewall`, reason: rs.unavailable?.message ?? 'no IPv4 ruleset' });
      continue;
    }
    // Only a DROP/REJECT rule outside Docker's chains can produce this finding: without one there
    // is nothing to trace; with some, trace just the bindings they could match.
    const operator: OperatorRule[] = [];
    for (const t of Object.values(rs.ruleset.tables)) {
      if (t.name === 'raw' || t.name === 'nat') continue;
      for (const ch of Object.values(t.chains)) {
        if (DOCKER_OWNED.test(ch.name)) continue;
        for (const r of ch.rules) if (r.target.kind === 'verdict' && r.target.verdict !== 'ACCEPT') operator.push(operatorRule(r));
      }
    }
    if (operator.length === 0) continue;
    const facts = hostFacts(h, state);
    const local = [...facts.localAddresses].map(v4Num).filter((x): x is number => x !== null);
    const seen = new Set<string>();
    for (const c of cts) {
      const ips = c.endpoints.filter((e) => e.ipv4 && !(netOf(e)?.internal ?? false)).map((e) => e.ipv4!.address);
      for (const b of c.publishedPorts) {
        if (b.hostPort === null || b.hostIp.includes(':') || b.hostIp === '127.0.0.1' || (b.protocol !== 'tcp' && b.protocol !== 'udp')) continue;
        const key = `${c.id}|${b.hostIp}|${b.hostPort}|${b.protocol}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const targets = [...ips, b.hostIp].map(v4Num).filter((x): x is number => x !== null);
        if (!mayBlock(operator, b.hostIp === '0.0.0.0' ? [...targets, ...local] : targets, [b.containerPort, b.hostPort])) continue;
        // The packet `firewall trace --from OUTSIDE --to host` builds: arriving on the interface
        // the host routes the outside address by, to that interface's address (or the bound one).
        const inIface = facts.route(OUTSIDE_V4, 'ipv4')?.outIface ?? null;
        const dst = b.hostIp === '0.0.0.0' ? (inIface ? facts.ifaceAddress(inIface) : null) : b.hostIp;
        if (!inIface || !dst) {
          gaps.push({ check: 'PUBLISHED_PORT_FIREWALL_BLOCKED', host: h.name, section: `hosts[${h.name}].interfaces/routes`, reason: inIface ? `no address on ${inIface}` : 'no route for an outside address (the uplink) in the captured routes' });
          break;
        }
        const packet = { family: 'ipv4' as const, src: OUTSIDE_V4, dst, protocol: b.protocol, sport: null, dport: b.hostPort, ctState: 'NEW' as const, path: 'input' as const, inIface, outIface: null, srcLocal: false, dstLocal: true };
        // The lean path computes verdict and decidedBy; natSteps is computed on first access.
        const t = evaluate(rs.compiled, packet, { localAddresses: facts.localAddresses, ifaceAddress: facts.ifaceAddress, route: facts.route, ipsetSave: rs.ipsetSave, explain: false });
        if (t.verdict !== 'DROP' && t.verdict !== 'REJECT') continue;
        const d = t.decidedBy;
        if (!d || d.policy || DOCKER_OWNED.test(d.chain) || d.table === 'raw') continue;
        findings.push({
          code: 'PUBLISHED_PORT_FIREWALL_BLOCKED',
          severity: 'warning',
          title: `${c.name}'s published port ${b.hostPort}/${b.protocol} is ${t.verdict === 'DROP' ? 'dropped' : 'rejected'} by ${d.table}/${d.chain}`,
          message: `A ${b.protocol.toUpperCase()} connection from outside the host (modelled as ${OUTSIDE_V4}) to ${b.hostIp}:${b.hostPort} ${t.natSteps.some((n) => n.kind === 'DNAT') ? `is DNATed to ${c.name} and then` : 'is'} ${t.verdict === 'DROP' ? 'dropped' : 'rejected'} by rule ${d.index ?? '?'} in ${d.table}/${d.chain}: "${d.rule}". Clients outside the host cannot use this published port${d.chain === 'DOCKER-USER' ? ' (DOCKER-USER sees packets after DNAT: the rule matches the container address and port)' : ''}.`,
          subjects: [c.name, `${d.table}/${d.chain}#${d.index ?? '?'}`],
          evidence: [
            `containers[${c.name}].publishedPorts: ${bindingText(b)}`,
            `${d.table}/${d.chain} rule ${d.index ?? '?'}: ${d.rule}`,
            `modelled packet: ${packet.src} → ${packet.dst}:${packet.dport} in on ${inIface}; verdict ${t.verdict}`,
          ],
          remediation: `If the port should be reachable, remove or narrow the rule (iptables -t ${d.table} -D ${d.chain} ...); if it should not, stop publishing it (or publish on 127.0.0.1) so the intent is visible in the container's configuration.`,
        });
      }
    }
  }
  return { findings, gaps };
}

/** STOPPED_CONTAINER_NAME_CLASH: a stopped container holds a name a running unrelated container answers on the same network. */
export function stoppedContainerNameClash(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const netOf = viewOf(state).networkOf;
  const names = new Map<string, Map<string, Container[]>>(); // network id → name → running holders
  for (const c of state.containers) {
    if (!c.running) continue;
    for (const ep of c.endpoints) {
      const n = netOf(ep);
      if (!n || isDefaultBridge(n) || n.driver === 'host' || n.driver === 'null') continue;
      let m = names.get(n.id);
      if (!m) names.set(n.id, (m = new Map()));
      for (const nm of endpointNames(c, ep)) {
        const l = m.get(nm);
        if (l) l.push(c);
        else m.set(nm, [c]);
      }
    }
  }
  const svc = (c: Container) => (c.compose ? `${c.compose.project}/${c.compose.service}` : null);
  for (const c of state.containers) {
    if (c.running || !ownsNetns(c)) continue;
    for (const ep of c.endpoints) {
      const n = netOf(ep);
      if (!n) continue;
      const m = names.get(n.id);
      if (!m) continue;
      // DNSNames of a stopped container are not reported; its name and aliases are what it will register.
      const mine = [...new Set([c.name, ...ep.aliases].map((x) => x.toLowerCase()))];
      for (const nm of mine) {
        const holders = (m.get(nm) ?? []).filter((o) => o.id !== c.id && !(svc(o) && svc(o) === svc(c)));
        if (holders.length === 0) continue;
        findings.push({
          code: 'STOPPED_CONTAINER_NAME_CLASH',
          severity: 'warning',
          title: `Stopped ${c.name} would make "${nm}" ambiguous on ${n.name}`,
          message: `${c.name} (${c.state}) is still attached to ${n.name} with the name "${nm}", which running ${holders.map((o) => o.name).join(', ')} answer${holders.length === 1 ? 's' : ''} there. If it starts (restart policy, compose up, a reboot), the embedded DNS returns both addresses and clients reach either.`,
          subjects: [c.name, n.name, ...holders.map((o) => o.name)],
          evidence: [
            `containers[${c.name}].state: ${c.state}; on ${n.name} as ${ep.aliases.length ? `${c.name}, aliases ${ep.aliases.join(', ')}` : c.name}`,
            ...holders.map((o) => `containers[${o.name}] (running) answers "${nm}" on ${n.name}`),
          ],
          remediation: `Remove the stale container (docker rm ${c.name}) or disconnect it from ${n.name} (docker network disconnect ${n.name} ${c.name}).`,
        });
      }
    }
  }
  return { findings, gaps: [] };
}

/** NETWORK_ENDPOINT_LIMIT: 1000 or more endpoints on one network. */
export function networkEndpointLimit(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const netOf = viewOf(state).networkOf;
  const count = new Map<string, number>();
  for (const c of state.containers) {
    for (const ep of c.endpoints) {
      const n = netOf(ep);
      if (n && (n.driver === 'bridge' || n.driver === 'overlay')) count.set(n.id, (count.get(n.id) ?? 0) + 1);
    }
  }
  for (const n of state.networks) {
    const k = count.get(n.id) ?? 0;
    if (k < 1000) continue;
    findings.push({
      code: 'NETWORK_ENDPOINT_LIMIT',
      severity: 'warning',
      title: `${n.name} has ${k} endpoints`,
      message: `${k} containers are attached to ${n.driver} network ${n.name}; Docker documents that networks with 1000 or more endpoints become unstable (ARP/neighbour tables, bridge ports, the embedded DNS and, for overlays, the gossip layer).`,
      subjects: [n.name],
      evidence: [`${k} endpoints on networks[${n.name}] (driver ${n.driver})`],
      remediation: 'Split the containers over several networks (per compose project or service group).',
    });
  }
  return { findings, gaps: [] };
}

function engineMajor(h: Host): number | null {
  const m = /^(\d+)\./.exec(h.daemon.value?.version ?? '');
  return m ? Number(m[1]) : null;
}

/** LOOPBACK_PUBLISH_LAN_EXPOSED: Engine < 28 publishes 127.0.0.1 ports that LAN neighbours reach at the container address. */
export function loopbackPublishLanExposed(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const netOf = viewOf(state).networkOf;
  for (const h of state.hosts) {
    const cts = state.containers.filter((c) => (c.hostId === h.id || state.hosts.length === 1) && c.running && ownsNetns(c) && c.publishedPorts.some((b) => b.hostIp === '127.0.0.1'));
    if (cts.length === 0) continue;
    const major = engineMajor(h);
    if (major === null) {
      gaps.push({ check: 'LOOPBACK_PUBLISH_LAN_EXPOSED', host: h.name, section: `hosts[${h.name}].daemon.version`, reason: h.daemon.reason ?? 'engine version not reported' });
      continue;
    }
    if (major >= 28) continue;
    for (const c of cts) {
      const lo = c.publishedPorts.filter((b) => b.hostIp === '127.0.0.1');
      const ips = c.endpoints.filter((e) => e.ipv4 && netOf(e)?.driver === 'bridge' && !netOf(e)?.internal).map((e) => e.ipv4!.address);
      if (ips.length === 0) continue;
      findings.push({
        code: 'LOOPBACK_PUBLISH_LAN_EXPOSED',
        severity: 'warning',
        title: `${c.name}'s loopback-only ports are reachable from the LAN (Engine ${h.daemon.value!.version})`,
        message: `${c.name} publishes ${lo.map(bindingText).join(', ')} to be reachable from this host only, but Docker ${major} accepts forwarded traffic to the container's address ${ips.join(', ')} on those ports from anywhere: a machine on the same L2 segment that routes ${ips[0]} via this host reaches the service directly. Engine 28 added the raw-table rules that stop this.`,
        subjects: [c.name],
        evidence: [`hosts[${h.name}].daemon.version: ${h.daemon.value!.version}`, ...lo.map((b) => `containers[${c.name}].publishedPorts: ${bindingText(b)}`), `container address: ${ips.join(', ')}`],
        remediation: 'Upgrade to Docker Engine 28 or later, or add DOCKER-USER rules that drop traffic to the container from outside interfaces (iptables -I DOCKER-USER ! -i <bridge> -d <container ip> -j DROP), or do not publish and reach it over a Docker network.',
      });
    }
  }
  return { findings, gaps };
}

/** IPTABLES_DISABLED: "iptables": false in daemon.json while containers publish ports. */
export function iptablesDisabled(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  for (const h of state.hosts) {
    if (h.daemonConfig.value?.iptables !== false) continue;
    const pubs = state.containers.filter((c) => (c.hostId === h.id || state.hosts.length === 1) && c.running && c.publishedPorts.length > 0);
    const nets = state.networks.filter((n) => (n.hostId === h.id || state.hosts.length === 1) && n.driver === 'bridge' && !n.internal);
    if (pubs.length === 0 && nets.length === 0) continue;
    findings.push({
      code: 'IPTABLES_DISABLED',
      severity: 'warning',
      title: `Docker does not manage the firewall on ${h.name} ("iptables": false)`,
      message: `With "iptables": false Docker writes no NAT or filter rules: published ports work only through docker-proxy (no DNAT), container egress is not masqueraded unless the host does it, and nothing isolates networks or internal networks from each other${pubs.length ? `; ${pubs.length} running container(s) publish ports` : ''}.`,
      subjects: [h.name, ...pubs.slice(0, 20).map((c) => c.name)],
      evidence: ['daemon.json "iptables": false', ...pubs.slice(0, 5).map((c) => `containers[${c.name}].publishedPorts: ${c.publishedPorts.map(bindingText).join(', ')}`)],
      remediation: 'Remove "iptables": false from /etc/docker/daemon.json and restart Docker, or manage equivalent NAT, forwarding and isolation rules yourself.',
    });
  }
  return { findings, gaps: [] };
}

/** MACVLAN_PARENT_MISSING: a macvlan/ipvlan network whose parent interface the host does not have. */
export function macvlanParentMissing(state: NetworkState): StateCheckResult {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  for (const n of state.networks) {
    if ((n.driver !== 'macvlan' && n.driver !== 'ipvlan') || n.configOnly) continue;
    const parent = n.options['parent'];
    if (!parent) continue; // no parent: a dummy interface, isolated by design
    const h = viewOf(state).host(n.hostId);
    if (!h) continue;
    if (h.interfaces.status === 'unavailable' || !h.interfaces.value) {
      gaps.push({ check: 'MACVLAN_PARENT_MISSING', host: h.name, section: `hosts[${h.name}].interfaces`, reason: h.interfaces.reason ?? 'not captured' });
      continue;
    }
    if (h.interfaces.value.some((i) => i.name === parent)) continue;
    findings.push({
      code: 'MACVLAN_PARENT_MISSING',
      severity: 'error',
      title: `${n.driver} network ${n.name}: parent ${parent} does not exist`,
      message: `${n.name} is a ${n.driver} network on parent interface ${parent}, which the host does not have (renamed NIC, missing VLAN sub-interface): containers cannot be attached, or have no link to the outside.`,
      subjects: [n.name],
      evidence: [`networks[${n.name}].options.parent: ${parent}`, `hosts[${h.name}].interfaces: ${h.interfaces.value.map((i) => i.name).slice(0, 12).join(', ')}`],
      remediation: `Recreate the network with the right -o parent= (ip link shows the interfaces), or create the VLAN interface (ip link add link <nic> name ${parent} type vlan id <id>).`,
    });
  }
  return { findings, gaps };
}
