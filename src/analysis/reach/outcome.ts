// The outcome a person reads first, and the fixes: derived from the hops once the verdict is
// earned (context.ts ReachTrail.result). The verdict and `listening` are not touched here.
//
//   BLOCKED   the verdict is blocked: at the first blocking hop, by its rule or reason
//   UNKNOWN   the verdict is unknown (the first undecided hop names the missing evidence), or the
//             path is open and whether something listens is not known
//   REFUSED   the path is open and nothing listens (or only on loopback, or ICMP echo is ignored)
//   OPEN      the path is open and something listens (ICMP echo: the kernel answers)
//
// A fix is named per blocking hop and per refusing listener when the case says what to change
// (the listener stage names its own; the others are worded here from the hop and the context).

import type { Container, Network } from '../../model/types.js';
import { bareName as bare } from '../../model/view.js';
import type { ReachContext } from './question.js';
import type { Listening, ReachCause, ReachFix, ReachHop, ReachOutcome, ReachVerdict } from './types.js';

export function outcomeOf(verdict: ReachVerdict, listening: Listening, icmp: boolean): ReachOutcome {
  if (verdict === 'blocked') return 'BLOCKED';
  if (verdict === 'unknown') return 'UNKNOWN';
  if (listening === false) return 'REFUSED';
  if (listening === true || icmp) return 'OPEN';
  return 'UNKNOWN';
}

/** Where a hop is, short, for "BLOCKED at …". */
function atOf(h: ReachHop): string {
  if (h.where.startsWith('netfilter')) return h.stage === 'firewall' ? 'firewall' : h.stage === 'return' ? 'firewall (reply)' : `${h.stage} firewall`;
  return `${h.stage} ${h.where}`;
}

/** What the outcome rests on. */
export function causeOf(outcome: ReachOutcome, hops: readonly ReachHop[], cx: ReachContext): ReachCause | null {
  if (outcome === 'OPEN') return null;
  if (outcome === 'BLOCKED') {
    const h = hops.find((x) => x.status === 'block')!;
    const code = h.code ?? 'REACH_BLOCKED';
    const by = h.rule ? `${h.rule.label}${h.cause ? ` (${h.cause.code})` : ''}` : code;
    return { code, message: h.cause?.message ?? h.detail, stage: h.stage, at: atOf(h), by, missing: null };
  }
  const undecided = hops.find((x) => x.status === 'unknown');
  if (undecided) {
    const code = undecided.code ?? 'REACH_UNKNOWN';
    return { code, message: undecided.detail, stage: undecided.stage, at: atOf(undecided), by: code, missing: missingOf(code, undecided, cx) };
  }
  // The path is open: the listener decides (refused, or not known).
  const l = [...hops].reverse().find((x) => x.stage === 'listener');
  if (!l) return { code: 'LISTENER_EVIDENCE_MISSING', message: 'no listener was checked', stage: 'listener', at: null, by: null, missing: 'the listening sockets at the destination' };
  const code = l.code ?? (outcome === 'REFUSED' ? 'LISTENER_NONE' : 'LISTENER_EVIDENCE_MISSING');
  return { code, message: l.detail, stage: 'listener', at: atOf(l), by: code, missing: outcome === 'UNKNOWN' ? missingOf(code, l, cx) : null };
}

/** The piece of evidence an undecided hop lacks, named short (the hop's detail says more). */
function missingOf(code: string, h: ReachHop, cx: ReachContext): string {
  const who = h.where.startsWith('container:') ? h.where.slice('container:'.length) : null;
  switch (code) {
    case 'LISTENER_EVIDENCE_MISSING':
      return who ? `the sockets inside ${who}` : "the host's listening sockets";
    case 'LISTENER_EVIDENCE_PARTIAL':
      return who ? `the full socket list of ${who}` : "the host's full socket list";
    case 'EVIDENCE_MISSING_SYSCTL':
      return /^(\S+) was not captured/.exec(h.detail)?.[1] ?? 'a host sysctl';
    case 'FW_EVIDENCE_UNAVAILABLE':
      return "the host's firewall ruleset";
    case 'FW_RULESET_UNPARSEABLE':
      return "a readable firewall ruleset (it could not be parsed)";
    case 'NETNS_OWNER_MISSING':
      return `the container whose network namespace ${who ?? 'it'} shares`;
    case 'REACH_DRIVER_UNKNOWN':
      return `how the ${/"([^"]+)"/.exec(h.detail)?.[1] ?? 'plug-in'} network driver forwards`;
    case 'MACVLAN_EXTERNAL_SWITCH':
      return "the external switch's hairpin behaviour";
    case 'REACH_EXTERNAL_PATH':
    case 'REACH_BEYOND_HOST':
    case 'EGRESS_WITHOUT_SNAT':
      return 'the network beyond this host';
  }
  if (h.stage === 'listener') return `whether anything listens at ${h.where}${cx.to.kind === 'address' ? ' (outside this host)' : ''}`;
  if (code.startsWith('ROUTE_') || code === 'EVIDENCE_MISSING_ROUTES') return `the routes at ${h.where}`;
  if (code.startsWith('FW_')) return `a firewall decision (${code})`;
  return h.detail;
}

const NETWORK_FIXED = new Set(['FW_ICC_DISABLED', 'FW_DOCKER_ISOLATION', 'FW_INTERNAL_NETWORK', 'FW_UNPUBLISHED_PORT']);

/** One fix per blocking hop and per refusing listener, in path order. */
export function fixesOf(outcome: ReachOutcome, hops: readonly ReachHop[], cx: ReachContext): ReachFix[] {
  const out: ReachFix[] = [];
  for (const h of hops) {
    const refusing = h.stage === 'listener' && h.fix !== undefined && (outcome === 'REFUSED' || outcome === 'BLOCKED');
    if (h.status !== 'block' && !refusing) continue;
    const fix = h.fix ?? blockFix(h, cx);
    if (fix === null) continue;
    h.fix = fix;
    const code = h.cause?.code ?? h.code ?? 'REACH_BLOCKED';
    // Docker's own rules (ICC, isolation, internal, unpublished) for the request and the reply have one fix.
    if (NETWORK_FIXED.has(code) && out.some((f) => f.code === code)) continue;
    out.push({ code, fix });
  }
  return out;
}

function networksOf(c: Container | null, cx: ReachContext): Network[] {
  if (!c) return [];
  return c.endpoints.map((e) => cx.view.network(e.networkId, e.networkName)).filter((n): n is Network => n !== null);
}

/** Wording for a blocking hop outside the listener stage; null when nothing specific can be said. */
function blockFix(h: ReachHop, cx: ReachContext): string | null {
  const code = h.cause?.code ?? h.code ?? '';
  const from = cx.from.label;
  const to = cx.to.label;
  const r = h.rule;
  const ip6 = cx.family === 'ipv6';
  const ipt = ip6 ? 'ip6tables' : 'iptables';
  const nft = r !== undefined && !r.text.trimStart().startsWith('-A ');
  switch (code) {
    case 'FW_ICC_DISABLED': {
      const dev = r ? /-i (\S+)/.exec(r.text)?.[1] : undefined;
      const net = (dev ? cx.view.networkByBridge(dev) : null) ?? networksOf(cx.toOwner, cx).find((n) => n.options['com.docker.network.bridge.enable_icc'] === 'false') ?? null;
      const name = net?.name ?? dev ?? 'the network';
      return `network ${name} has com.docker.network.bridge.enable_icc=false, so Docker drops traffic between its containers (${r?.label ?? 'filter/FORWARD'}). If ${from} should reach ${to}: connect both to a network with ICC on (docker network create NET; docker network connect NET ${from}; docker network connect NET ${to}), or recreate ${name} without -o com.docker.network.bridge.enable_icc=false. If the isolation is intended, nothing to fix.`;
    }
    case 'FW_DOCKER_ISOLATION': {
      const target = networksOf(cx.toOwner, cx).find((n) => n.driver === 'bridge' && !n.internal);
      return target
        ? `${from} and ${to} share no network and Docker isolates bridge networks from each other (${r?.label ?? 'DOCKER-ISOLATION'}): docker network connect ${target.name} ${bare(cx.fromOwner?.name ?? from)} (or connect ${to} to a network of ${from}), or publish the port and go through the host.`
        : `${from} and ${to} share no network and Docker isolates bridge networks from each other (${r?.label ?? 'DOCKER-ISOLATION'}): put both on one network (docker network connect NET ${from}).`;
    }
    case 'FW_INTERNAL_NETWORK': {
      const internal = [...networksOf(cx.fromOwner, cx), ...networksOf(cx.toOwner, cx)].find((n) => n.internal);
      const name = internal?.name ?? 'NET';
      const inside = internal && networksOf(cx.toOwner, cx).includes(internal) ? bare(cx.fromOwner?.name ?? from) : bare(cx.toOwner?.name ?? to);
      return `network ${name} is internal (--internal): nothing goes in or out of its subnet (${r?.label ?? 'Docker internal rule'}). Put both on it (docker network connect ${name} ${inside}), or give the container on it a second, non-internal network.`;
    }
    case 'FW_UNPUBLISHED_PORT':
      return `${to} does not publish ${cx.port ?? ''}/${cx.protocol} and Docker blocks direct access to unpublished container ports (${r?.label ?? 'raw/PREROUTING'}): publish it (docker run -p HOSTPORT:${cx.port ?? 'PORT'}) and connect to the host port, or connect from a container on ${to}'s network.`;
    case 'FW_REPLY_DROPPED':
      if (!r) return null;
      return nft
        ? `the reply is dropped by ${r.label} (${r.text}): accept established replies before it (ct state established,related accept) in that chain.`
        : `the reply is dropped by ${r.label} (${r.text}): accept replies before it: ${ipt} -t ${r.table} -I ${r.chain}${r.index !== null ? ` ${r.index}` : ''} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`;
    case 'FW_DROPPED':
    case 'FW_REJECTED':
    case 'FW_DOCKER_USER_DROP':
    case 'FW_CHAIN_POLICY_DROP': {
      if (!r) return null;
      const what = code === 'FW_CHAIN_POLICY_DROP' || r.index === null ? `no rule accepts it and the policy of ${r.table}/${r.chain} is DROP` : `${r.label} ${code === 'FW_REJECTED' || /REJECT/.test(r.text) ? 'rejects' : 'drops'} it (${r.text})`;
      if (nft) return `${what}: remove or narrow that rule, or add an accept for this flow before it in ${r.table}/${r.chain}.`;
      // An ACCEPT in DOCKER-USER only helps a packet the filter table's FORWARD walk drops later.
      const local = r.table !== 'filter' || r.chain === 'INPUT' || r.chain === 'OUTPUT' || (cx.fromPlace.kind === 'host' && cx.toPlace.kind === 'host');
      if (r.chain === 'DOCKER-USER') return `${what}: remove or narrow it, or insert an ACCEPT before it: ${ipt} -I DOCKER-USER${r.index !== null ? ` ${r.index}` : ''} ${r.match} -j ACCEPT`;
      if (local) return `${what}: remove or narrow it, or insert an ACCEPT before it: ${ipt} -t ${r.table} -I ${r.chain}${r.index !== null ? ` ${r.index}` : ''} ${r.match} -j ACCEPT`;
      return `${what}: remove or narrow it, or allow this flow in DOCKER-USER (Docker evaluates it first in FORWARD): ${ipt} -I DOCKER-USER ${r.match} -j ACCEPT`;
    }
    case 'IP_FORWARD_OFF': {
      const key = ip6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward';
      return `turn forwarding on: sysctl -w ${key}=1 on the host, and persist it in /etc/sysctl.d/ (Docker sets it at start unless "ip-forward": false in daemon.json).`;
    }
    case 'REACH_SOURCE_NOT_RUNNING':
      return `docker start ${bare(cx.fromOwner?.name ?? from)}`;
    case 'REACH_DEST_NOT_RUNNING':
      return `docker start ${bare(cx.toOwner?.name ?? to)}`;
    case 'REACH_NO_NETWORK': {
      const c = cx.fromOwner?.networkMode.kind === 'none' ? cx.fromOwner : cx.toOwner;
      return `${bare(c?.name ?? '?')} runs with network mode none and cannot be connected: recreate it on a network (docker run --network NET …).`;
    }
    case 'MACVLAN_PRIVATE':
      return `recreate ${h.where.replace(/^network:/, 'network ')} with -o macvlan_mode=bridge (private mode forbids traffic between its endpoints).`;
    case 'MACVLAN_HOST_ISOLATION':
    case 'IPVLAN_HOST_ISOLATION': {
      const driver = code.startsWith('MACVLAN') ? 'macvlan' : 'ipvlan';
      const parent = /parent interface (\S+)/.exec(h.detail)?.[1] ?? 'PARENT';
      return `give the host its own ${driver} interface on ${parent} (ip link add ${driver}-shim link ${parent} type ${driver} mode ${driver === 'macvlan' ? 'bridge' : 'l2'}; ip addr add ADDR/32 dev ${driver}-shim; ip link set ${driver}-shim up; ip route add CONTAINER-ADDR dev ${driver}-shim).`;
    }
  }
  if (code.startsWith('ROUTE_')) {
    const kind = code === 'ROUTE_NONE' ? null : code.slice('ROUTE_'.length).toLowerCase();
    return kind
      ? `a ${kind} route at ${h.where} covers the destination (${h.evidence[h.evidence.length - 1] ?? h.detail}): remove or narrow it (netsleuth route ${from} ${to} shows the table).`
      : `${h.where} has no route to the destination: add one there (netsleuth route ${from} ${to} shows which table was consulted).`;
  }
  return null;
}
