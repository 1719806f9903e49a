// What changed between two states: containers, endpoints, published ports, networks, firewall
// rules, routes and daemon settings, then which findings and verdicts changed as a result.
// Pure: no I/O. The analyses whose results are compared are injected (`DiffAnalyses`), so
// `doctor` and `matrix` can plug in without this module knowing them.

import type { Container, Endpoint, Host, Network, NetworkState, PortBinding, Route } from '../model/types.js';
import type { Finding } from '../model/finding.js';
import { parseNftJson } from '../firewall/nft.js';

export type ChangeKind =
  | 'container'
  | 'endpoint'
  | 'port'
  | 'network'
  | 'firewall'
  | 'route'
  | 'daemon'
  | 'finding'
  | 'verdict';

export type ChangeOp = 'added' | 'removed' | 'changed';

export interface Change {
  kind: ChangeKind;
  op: ChangeOp;
  /** What changed, in the state's own names: a container, a network, `filter/DOCKER-USER`, `host`. */
  subject: string;
  /** The attribute that changed (`state`, `ipv4`, `internal`, `option com.docker...`); null for whole-object adds/removes. */
  field: string | null;
  /** Values before and after; null on the side where the thing does not exist. */
  before: unknown;
  after: unknown;
  /** One sentence for people. */
  message: string;
}

/** One cell of a reachability matrix, as `matrix --json` prints it. */
export interface VerdictCell {
  from: string;
  to: string;
  port: number | null;
  protocol: string;
  verdict: string;
}

export interface DiffAnalyses {
  findings?(state: NetworkState): Finding[];
  verdicts?(state: NetworkState): VerdictCell[];
}

export interface StateDiff {
  identical: boolean;
  counts: Record<ChangeOp, number>;
  changes: Change[];
  /** What could not be compared (evidence missing on one side), in plain sentences. */
  notes: string[];
}

export const KIND_ORDER: readonly ChangeKind[] = ['container', 'endpoint', 'port', 'network', 'firewall', 'route', 'daemon', 'finding', 'verdict'];

// ---------------------------------------------------------------------------------------------

class Collector {
  readonly changes: Change[] = [];
  readonly notes: string[] = [];
  push(kind: ChangeKind, op: ChangeOp, subject: string, field: string | null, before: unknown, after: unknown, message: string): void {
    this.changes.push({ kind, op, subject, field, before, after, message });
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown): string => (v === null || v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Pairs items of two lists: first by stable id, then (among the leftovers) by name, which is how a
 * container or network recreated under the same name is recognised.
 */
export function pairByIdThenName<T extends { id: string; name: string }>(
  a: readonly T[],
  b: readonly T[],
): { pairs: Array<{ a: T; b: T; by: 'id' | 'name' }>; removed: T[]; added: T[] } {
  const bById = new Map(b.map((x) => [x.id, x]));
  const pairs: Array<{ a: T; b: T; by: 'id' | 'name' }> = [];
  const usedB = new Set<T>();
  const leftA: T[] = [];
  for (const x of a) {
    const y = bById.get(x.id);
    if (y && !usedB.has(y)) {
      pairs.push({ a: x, b: y, by: 'id' });
      usedB.add(y);
    } else leftA.push(x);
  }
  const bByName = new Map<string, T>();
  for (const y of b) if (!usedB.has(y) && !bByName.has(y.name)) bByName.set(y.name, y);
  const removed: T[] = [];
  for (const x of leftA) {
    const y = bByName.get(x.name);
    if (y && !usedB.has(y)) {
      pairs.push({ a: x, b: y, by: 'name' });
      usedB.add(y);
    } else removed.push(x);
  }
  return { pairs, removed, added: b.filter((y) => !usedB.has(y)) };
}

/** Counts of each string; the difference of two such multisets is position-independent. */
function multiset(items: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of items) m.set(s, (m.get(s) ?? 0) + 1);
  return m;
}

function multisetDiff(a: Map<string, number>, b: Map<string, number>): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const [k, n] of a) for (let i = (b.get(k) ?? 0); i < n; i++) removed.push(k);
  for (const [k, n] of b) for (let i = (a.get(k) ?? 0); i < n; i++) added.push(k);
  return { removed: removed.sort(), added: added.sort() };
}

// ---------------------------------------------------------------------------------------------
// Containers, endpoints, ports

function modeText(c: Container): string {
  const m = c.networkMode;
  switch (m.kind) {
    case 'network':
      return m.network;
    case 'container':
      return `container:${m.container}`;
    default:
      return m.kind;
  }
}

export function bindingText(b: PortBinding): string {
  const hostIp = b.hostIp.includes(':') ? `[${b.hostIp}]` : b.hostIp;
  const hostPort = b.hostPort === null ? '(any)' : b.hostPortEnd !== null && b.hostPortEnd !== b.hostPort ? `${b.hostPort}-${b.hostPortEnd}` : String(b.hostPort);
  return `${hostIp}:${hostPort}->${b.containerPort}/${b.protocol}`;
}

/**
 * The bindings to compare: the ones in effect when the container runs on both sides (Docker
 * picks ephemeral host ports only then), else the configured ones, so that stopping a container
 * reads as a state change rather than as every port being unpublished.
 */
function bindingsFor(a: Container, b: Container): [PortBinding[], PortBinding[]] {
  if (a.running && b.running) return [a.publishedPorts, b.publishedPorts];
  return [a.portBindings, b.portBindings];
}

function endpointAddr(ep: Endpoint, fam: 'ipv4' | 'ipv6'): string | null {
  const a = ep[fam];
  return a ? `${a.address}/${a.prefixLength}` : null;
}

/** Aliases minus the short container id Docker adds on user networks: it changes with every recreation. */
function userAliases(ep: Endpoint, c: Container): string[] {
  return ep.aliases.filter((x) => !(x.length >= 12 && c.id.startsWith(x))).sort();
}

function diffEndpoints(out: Collector, name: string, a: Container, b: Container): void {
  const aBy = new Map(a.endpoints.map((e) => [e.networkName, e]));
  const bBy = new Map(b.endpoints.map((e) => [e.networkName, e]));
  const detached = a.endpoints.filter((e) => !bBy.has(e.networkName));
  const attached = b.endpoints.filter((e) => !aBy.has(e.networkName));
  const epSummary = (e: Endpoint) => ({ network: e.networkName, ipv4: endpointAddr(e, 'ipv4'), ipv6: endpointAddr(e, 'ipv6') });
  const where = (e: Endpoint) => [endpointAddr(e, 'ipv4'), endpointAddr(e, 'ipv6')].filter(Boolean).join(', ');
  if (detached.length === 1 && attached.length === 1) {
    // Left one network and joined another between the captures: one move, not two unrelated events.
    const [d, t] = [detached[0]!, attached[0]!];
    out.push('endpoint', 'changed', name, 'network', epSummary(d), epSummary(t),
      `${name} moved from network ${d.networkName}${where(d) ? ` (${where(d)})` : ''} to ${t.networkName}${where(t) ? ` (${where(t)})` : ''}`);
  } else {
    for (const d of detached) out.push('endpoint', 'removed', name, 'network', epSummary(d), null, `${name} detached from network ${d.networkName}${where(d) ? ` (was ${where(d)})` : ''}`);
    for (const t of attached) out.push('endpoint', 'added', name, 'network', null, epSummary(t), `${name} attached to network ${t.networkName}${where(t) ? ` (${where(t)})` : ''}`);
  }
  for (const [net, ea] of aBy) {
    const eb = bBy.get(net);
    if (!eb) continue;
    const fields: Array<[string, unknown, unknown]> = [
      ['ipv4', endpointAddr(ea, 'ipv4'), endpointAddr(eb, 'ipv4')],
      ['ipv6', endpointAddr(ea, 'ipv6'), endpointAddr(eb, 'ipv6')],
      ['gateway', ea.gateway, eb.gateway],
      ['mac', ea.mac, eb.mac],
      ['aliases', userAliases(ea, a), userAliases(eb, b)],
    ];
    for (const [field, x, y] of fields) {
      if (same(x, y)) continue;
      out.push('endpoint', 'changed', name, `${net} ${field}`, x, y, `${name} on ${net}: ${field} ${show(x)} → ${show(y)}`);
    }
  }
}

function diffPorts(out: Collector, name: string, a: Container, b: Container): void {
  const [pa, pb] = bindingsFor(a, b);
  const { removed, added } = multisetDiff(multiset(pa.map(bindingText)), multiset(pb.map(bindingText)));
  for (const r of removed) out.push('port', 'removed', name, 'binding', r, null, `${name} no longer publishes ${r}`);
  for (const r of added) out.push('port', 'added', name, 'binding', null, r, `${name} publishes ${r}`);
}

function diffContainers(out: Collector, a: NetworkState, b: NetworkState): void {
  const { pairs, removed, added } = pairByIdThenName(a.containers, b.containers);
  for (const c of removed) out.push('container', 'removed', c.name, null, { id: c.id, state: c.state }, null, `container ${c.name} removed (was ${c.state})`);
  for (const c of added) out.push('container', 'added', c.name, null, null, { id: c.id, state: c.state }, `container ${c.name} added (${c.state}, ${modeText(c)})`);
  for (const { a: ca, b: cb, by } of pairs) {
    const name = cb.name;
    if (by === 'name') out.push('container', 'changed', name, 'id', ca.id, cb.id, `container ${name} was recreated (id ${ca.id.slice(0, 12)} → ${cb.id.slice(0, 12)})`);
    else if (ca.name !== cb.name) out.push('container', 'changed', name, 'name', ca.name, cb.name, `container ${ca.name} renamed to ${cb.name}`);
    const fields: Array<[string, unknown, unknown]> = [
      ['state', ca.state, cb.state],
      ['image', ca.image, cb.image],
      ['networkMode', modeText(ca), modeText(cb)],
      ['dns', ca.dns, cb.dns],
      ['extraHosts', ca.extraHosts, cb.extraHosts],
    ];
    for (const [field, x, y] of fields) {
      if (same(x, y)) continue;
      out.push('container', 'changed', name, field, x, y, `container ${name}: ${field} ${show(x)} → ${show(y)}`);
    }
    diffEndpoints(out, name, ca, cb);
    diffPorts(out, name, ca, cb);
    const ra = ca.netns.value?.routes;
    const rb = cb.netns.value?.routes;
    // A host-network container sees the host's veths: the same kernel churn hostRoutes() drops.
    const own = (rs: Route[]) => rs.filter((r) => !(r.protocol === 'kernel' && r.dev?.startsWith('veth')));
    if (ra && rb) diffRouteLists(out, `container ${name}`, own(ra), own(rb));
  }
}

// ---------------------------------------------------------------------------------------------
// Networks

function ipamText(n: Network): string[] {
  return n.ipam.configs
    .map((c) => [c.subnet ?? '(auto)', c.ipRange ? `range ${c.ipRange}` : '', c.gateway ? `gw ${c.gateway}` : ''].filter(Boolean).join(' '))
    .sort();
}

function diffNetworks(out: Collector, a: NetworkState, b: NetworkState): void {
  const { pairs, removed, added } = pairByIdThenName(a.networks, b.networks);
  const brief = (n: Network) => ({ id: n.id, driver: n.driver, subnets: ipamText(n), internal: n.internal });
  for (const n of removed) out.push('network', 'removed', n.name, null, brief(n), null, `network ${n.name} removed (${n.driver}${ipamText(n).length ? `, ${ipamText(n).join('; ')}` : ''})`);
  for (const n of added) out.push('network', 'added', n.name, null, null, brief(n), `network ${n.name} added (${n.driver}${ipamText(n).length ? `, ${ipamText(n).join('; ')}` : ''}${n.internal ? ', internal' : ''})`);
  for (const { a: na, b: nb, by } of pairs) {
    const name = nb.name;
    if (by === 'name') out.push('network', 'changed', name, 'id', na.id, nb.id, `network ${name} was recreated (id ${na.id.slice(0, 12)} → ${nb.id.slice(0, 12)})`);
    else if (na.name !== nb.name) out.push('network', 'changed', name, 'name', na.name, nb.name, `network ${na.name} renamed to ${nb.name}`);
    const fields: Array<[string, unknown, unknown]> = [
      ['driver', na.driver, nb.driver],
      ['internal', na.internal, nb.internal],
      ['attachable', na.attachable, nb.attachable],
      ['enableIPv4', na.enableIPv4, nb.enableIPv4],
      ['enableIPv6', na.enableIPv6, nb.enableIPv6],
      ['subnets', ipamText(na), ipamText(nb)],
      ['bridgeName', na.bridgeName, nb.bridgeName],
    ];
    for (const [field, x, y] of fields) {
      if (same(x, y)) continue;
      out.push('network', 'changed', name, field, x, y, `network ${name}: ${field} ${show(x)} → ${show(y)}`);
    }
    // Driver options one by one: ICC, masquerade, host binding address, MTU each matter alone.
    const keys = [...new Set([...Object.keys(na.options), ...Object.keys(nb.options)])].sort();
    for (const k of keys) {
      const x = na.options[k] ?? null;
      const y = nb.options[k] ?? null;
      if (x === y) continue;
      const op: ChangeOp = x === null ? 'added' : y === null ? 'removed' : 'changed';
      const what = op === 'added' ? `set to ${y}` : op === 'removed' ? `removed (was ${x})` : `${x} → ${y}`;
      out.push('network', op, name, `option ${k}`, x, y, `network ${name}: option ${k} ${what}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Firewall

export interface FirewallRuleText {
  /** `ipv4/filter/DOCKER-USER` */
  chain: string;
  /** The rule as `iptables-save` prints it, without counters. */
  rule: string;
}

/**
 * Rules and chain policies of an `iptables-save` dump, keyed for comparison: counters dropped
 * (`[p:b]` prefixes, `-c p b`), whitespace collapsed. Order is deliberately not kept.
 */
export function iptablesRuleTexts(text: string, family: 'ipv4' | 'ipv6'): { rules: FirewallRuleText[]; policies: Map<string, string> } {
  const rules: FirewallRuleText[] = [];
  const policies = new Map<string, string>();
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^\[\d+:\d+\]\s+/, '');
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (chain) policies.set(`${family}/${table}/${chain}`, policy ?? '-');
      continue;
    }
    const m = /^-A\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const body = m[2]!.replace(/(^|\s)-c\s+\d+\s+\d+(?=\s|$)/, '').replace(/\s+/g, ' ').trim();
    rules.push({ chain: `${family}/${table}/${m[1]}`, rule: body });
  }
  return { rules, policies };
}

const IPTABLES_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

/**
 * Rule texts from `nft -j list ruleset`, keyed `nft/<family>:<table>/<chain>`. With iptables text
 * present only native nftables tables are taken (iptables-nft's own tables are in that text
 * already). Counter values are dropped like iptables counters.
 */
function nftRuleTexts(json: string, skipIptablesTables: boolean): FirewallRuleText[] {
  const rs = parseNftJson(json);
  const rules: FirewallRuleText[] = [];
  for (const t of Object.values(rs.tables)) {
    const [fam, name] = t.name.includes(':') ? (t.name.split(':', 2) as [string, string]) : ['', t.name];
    if (skipIptablesTables && (fam === 'ip' || fam === 'ip6') && IPTABLES_TABLES.has(name)) continue;
    for (const c of Object.values(t.chains)) {
      for (const r of c.rules) rules.push({ chain: `nft/${t.name}/${c.name}`, rule: r.text.replace(/\bcounter packets \d+ bytes \d+/g, 'counter').replace(/\s+/g, ' ').trim() });
    }
  }
  return rules;
}

function firewallTexts(h: Host, notes: string[], side: 'A' | 'B', label: string): { rules: FirewallRuleText[]; policies: Map<string, string> } | null {
  const fw = h.firewall.value;
  if (!fw || (!fw.iptablesSave && !fw.ip6tablesSave && !fw.nftJson)) return null;
  const v4 = fw.iptablesSave ? iptablesRuleTexts(fw.iptablesSave, 'ipv4') : { rules: [], policies: new Map<string, string>() };
  const v6 = fw.ip6tablesSave ? iptablesRuleTexts(fw.ip6tablesSave, 'ipv6') : { rules: [], policies: new Map<string, string>() };
  let nft: FirewallRuleText[] = [];
  if (fw.nftJson) {
    try {
      nft = nftRuleTexts(fw.nftJson, !!(fw.iptablesSave || fw.ip6tablesSave));
    } catch (e) {
      notes.push(`${label}nftables rules in ${side} not compared: ${(e as Error).message}`);
    }
  }
  return { rules: [...v4.rules, ...v6.rules, ...nft], policies: new Map([...v4.policies, ...v6.policies]) };
}

const SEP = '\u0000';

const ruleLine = (chain: string, rule: string): string => (chain.startsWith('nft/') ? `${chain}: ${rule}` : `${chain}: -A ${chain.split('/')[2]} ${rule}`);

function diffFirewall(out: Collector, label: string, ha: Host, hb: Host): void {
  const fa = firewallTexts(ha, out.notes, 'A', label);
  const fb = firewallTexts(hb, out.notes, 'B', label);
  if (!fa || !fb) {
    if (fa || fb || ha.firewall.status !== 'unavailable' || hb.firewall.status !== 'unavailable')
      out.notes.push(`${label}firewall rules not compared: no ruleset captured in ${fa ? 'B' : fb ? 'A' : 'either snapshot'}`);
    return;
  }
  const key = (r: FirewallRuleText) => `${r.chain}${SEP}${r.rule}`;
  const { removed, added } = multisetDiff(multiset(fa.rules.map(key)), multiset(fb.rules.map(key)));
  const split = (k: string) => k.split(SEP) as [string, string];
  for (const k of removed) {
    const [chain, rule] = split(k);
    out.push('firewall', 'removed', `${label}${chain}`, 'rule', rule, null, ruleLine(chain, rule));
  }
  for (const k of added) {
    const [chain, rule] = split(k);
    out.push('firewall', 'added', `${label}${chain}`, 'rule', null, rule, ruleLine(chain, rule));
  }
  const chains = [...new Set([...fa.policies.keys(), ...fb.policies.keys()])].sort();
  for (const c of chains) {
    const x = fa.policies.get(c) ?? null;
    const y = fb.policies.get(c) ?? null;
    if (x === y) continue;
    if (x === null) out.push('firewall', 'added', `${label}${c}`, 'chain', null, y, `chain ${c} created${y !== '-' ? ` (policy ${y})` : ''}`);
    else if (y === null) out.push('firewall', 'removed', `${label}${c}`, 'chain', x, null, `chain ${c} deleted`);
    else out.push('firewall', 'changed', `${label}${c}`, 'policy', x, y, `chain ${c}: policy ${x} → ${y}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Routes

export function routeText(r: Route): string {
  return [
    r.type === 'unicast' ? '' : r.type,
    r.dst,
    r.gateway ? `via ${r.gateway}` : '',
    r.dev ? `dev ${r.dev}` : '',
    r.table !== 'main' ? `table ${r.table}` : '',
    r.protocol ? `proto ${r.protocol}` : '',
    r.scope && r.scope !== 'global' ? `scope ${r.scope}` : '',
    r.prefsrc ? `src ${r.prefsrc}` : '',
    r.metric ? `metric ${r.metric}` : '',
    r.mtu ? `mtu ${r.mtu}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * Host routes minus the ones the kernel adds by itself on a container's host-side veth (fe80::/64,
 * ff00::/8): the veth gets a random name on every (re)start, so they would show up as churn; the
 * container change that caused them is reported already.
 */
function hostRoutes(h: Host, routes: Route[]): Route[] {
  const ifaces = h.interfaces.value;
  const containerVeth = (dev: string): boolean => {
    if (!ifaces) return dev.startsWith('veth');
    const i = ifaces.find((x) => x.name === dev);
    return i ? i.kind === 'veth' && i.master !== null : dev.startsWith('veth');
  };
  return routes.filter((r) => !(r.protocol === 'kernel' && r.dev && containerVeth(r.dev)));
}

function diffRouteLists(out: Collector, subject: string, a: Route[], b: Route[]): void {
  const { removed, added } = multisetDiff(multiset(a.map(routeText)), multiset(b.map(routeText)));
  for (const r of removed) out.push('route', 'removed', subject, 'route', r, null, `${subject}: route ${r}`);
  for (const r of added) out.push('route', 'added', subject, 'route', null, r, `${subject}: route ${r}`);
}

// ---------------------------------------------------------------------------------------------
// Daemon and host settings

function diffDaemon(out: Collector, label: string, ha: Host, hb: Host): void {
  const subject = `${label}daemon`;
  const da = ha.daemon.value;
  const db = hb.daemon.value;
  if (da && db) {
    const fields = ['version', 'apiVersion', 'ipv4Forwarding', 'bridgeNfIptables', 'bridgeNfIp6tables', 'firewallBackend', 'defaultAddressPools'] as const;
    for (const f of fields) {
      if (same(da[f], db[f])) continue;
      out.push('daemon', 'changed', subject, f, da[f], db[f], `daemon ${f}: ${show(da[f])} → ${show(db[f])}`);
    }
  }
  const ca = ha.daemonConfig.value;
  const cb = hb.daemonConfig.value;
  if (ca && cb) {
    const fields = ['iptables', 'ip6tables', 'ipForward', 'ipMasq', 'userlandProxy', 'icc', 'bip', 'mtu', 'dns', 'dnsSearch', 'dnsOpts', 'defaultAddressPools', 'firewallBackend'] as const;
    for (const f of fields) {
      if (same(ca[f], cb[f])) continue;
      out.push('daemon', 'changed', subject, `daemon.json ${f}`, ca[f], cb[f], `daemon.json ${f}: ${show(ca[f])} → ${show(cb[f])}`);
    }
  } else if (ca || cb) out.notes.push(`${label}daemon.json not compared: not captured in ${ca ? 'B' : 'A'}`);
  const sa = ha.sysctls.value;
  const sb = hb.sysctls.value;
  if (sa && sb) {
    for (const k of [...new Set([...Object.keys(sa), ...Object.keys(sb)])].sort()) {
      const x = sa[k] ?? null;
      const y = sb[k] ?? null;
      if (x === y) continue;
      out.push('daemon', 'changed', `${label}host`, `sysctl ${k}`, x, y, `sysctl ${k}: ${show(x)} → ${show(y)}`);
    }
  }
}

function diffHosts(out: Collector, a: NetworkState, b: NetworkState): void {
  let { pairs, removed, added } = pairByIdThenName(a.hosts, b.hosts);
  // One host on each side with a new daemon id (reinstalled, or another machine): still compare.
  if (pairs.length === 0 && removed.length === 1 && added.length === 1) {
    pairs = [{ a: removed[0]!, b: added[0]!, by: 'name' }];
    removed = [];
    added = [];
  }
  const multi = pairs.length + removed.length + added.length > 1;
  for (const h of removed) out.notes.push(`host ${h.name} is only in A; its routes, firewall and daemon settings are not compared`);
  for (const h of added) out.notes.push(`host ${h.name} is only in B; its routes, firewall and daemon settings are not compared`);
  for (const { a: ha, b: hb } of pairs) {
    const label = multi ? `${hb.name}:` : '';
    diffDaemon(out, label, ha, hb);
    diffFirewall(out, label, ha, hb);
    const ra = ha.routes.value;
    const rb = hb.routes.value;
    if (ra && rb) diffRouteLists(out, `${label}host`, hostRoutes(ha, ra), hostRoutes(hb, rb));
    else if (ra || rb) out.notes.push(`${label}host routes not compared: not captured in ${ra ? 'B' : 'A'}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Consequences: findings and verdicts

export function findingKey(f: Pick<Finding, 'code' | 'subjects'>): string {
  return `${f.code} ${[...f.subjects].sort().join(',')}`;
}

function diffFindings(out: Collector, a: Finding[], b: Finding[]): void {
  const group = (fs: Finding[]) => {
    const m = new Map<string, Finding[]>();
    for (const f of fs) {
      const k = findingKey(f);
      const list = m.get(k);
      if (list) list.push(f);
      else m.set(k, [f]);
    }
    return m;
  };
  const ga = group(a);
  const gb = group(b);
  const brief = (f: Finding) => ({ code: f.code, severity: f.severity, subjects: f.subjects, title: f.title });
  const keys = [...new Set([...ga.keys(), ...gb.keys()])].sort();
  const removed: Finding[] = [];
  const added: Finding[] = [];
  for (const k of keys) {
    const la = ga.get(k) ?? [];
    const lb = gb.get(k) ?? [];
    const n = Math.min(la.length, lb.length);
    for (let i = 0; i < n; i++) {
      if (la[i]!.severity !== lb[i]!.severity)
        out.push('finding', 'changed', lb[i]!.subjects.join(', ') || lb[i]!.code, 'severity', brief(la[i]!), brief(lb[i]!), `${lb[i]!.code} ${la[i]!.severity} → ${lb[i]!.severity}: ${lb[i]!.title}`);
    }
    removed.push(...la.slice(n));
    added.push(...lb.slice(n));
  }
  // The same finding (code, severity, title) whose subjects changed — a container recreated
  // or moved — is one change, not a "resolved" and a "new" with identical text.
  const same = (x: Finding, y: Finding) => x.code === y.code && x.severity === y.severity && x.title === y.title;
  const unmatched = [...added];
  for (const f of removed) {
    const i = unmatched.findIndex((g) => same(f, g));
    if (i < 0) {
      out.push('finding', 'removed', f.subjects.join(', ') || f.code, null, brief(f), null, `resolved ${f.code} (${f.severity}): ${f.title}`);
      continue;
    }
    const g = unmatched.splice(i, 1)[0]!;
    out.push('finding', 'changed', g.subjects.join(', ') || g.code, 'subjects', brief(f), brief(g), `${g.code} (${g.severity}): ${g.title} — subjects ${f.subjects.join(', ')} → ${g.subjects.join(', ')}`);
  }
  for (const f of unmatched) out.push('finding', 'added', f.subjects.join(', ') || f.code, null, null, brief(f), `new ${f.code} (${f.severity}): ${f.title}`);
}

function diffVerdicts(out: Collector, a: VerdictCell[], b: VerdictCell[]): void {
  const key = (c: VerdictCell) => `${c.from} → ${c.to}${c.port === null ? '' : ` ${c.port}/${c.protocol}`}`;
  const ma = new Map(a.map((c) => [key(c), c]));
  const mb = new Map(b.map((c) => [key(c), c]));
  for (const k of [...new Set([...ma.keys(), ...mb.keys()])].sort()) {
    const x = ma.get(k);
    const y = mb.get(k);
    if (x && y) {
      if (x.verdict !== y.verdict) out.push('verdict', 'changed', k, 'verdict', x.verdict, y.verdict, `${k}: ${x.verdict} → ${y.verdict}`);
    } else if (x) out.push('verdict', 'removed', k, 'verdict', x.verdict, null, `${k}: no longer evaluated (was ${x.verdict})`);
    else if (y) out.push('verdict', 'added', k, 'verdict', null, y.verdict, `${k}: ${y.verdict} (new pair)`);
  }
}

// ---------------------------------------------------------------------------------------------

export function diffStates(a: NetworkState, b: NetworkState, analyses: DiffAnalyses = {}): StateDiff {
  const out = new Collector();
  diffContainers(out, a, b);
  diffNetworks(out, a, b);
  diffHosts(out, a, b);
  if (analyses.findings) diffFindings(out, analyses.findings(a), analyses.findings(b));
  if (analyses.verdicts) diffVerdicts(out, analyses.verdicts(a), analyses.verdicts(b));
  // Stable order: by kind, then subject, then field, so two runs print the same diff.
  const rank = new Map(KIND_ORDER.map((k, i) => [k, i]));
  const changes = out.changes
    .map((c, i) => ({ c, i }))
    .sort((x, y) => rank.get(x.c.kind)! - rank.get(y.c.kind)! || cmp(x.c.subject, y.c.subject) || x.i - y.i)
    .map((x) => x.c);
  const counts: Record<ChangeOp, number> = { added: 0, removed: 0, changed: 0 };
  for (const c of changes) counts[c.op]++;
  return { identical: changes.length === 0, counts, changes, notes: out.notes };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
