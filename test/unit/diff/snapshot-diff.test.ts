import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffStates, iptablesRuleTexts, type Change, type VerdictCell } from '../../../src/analysis/snapshot-diff.js';
import { allFindings } from '../../../src/analysis/gate.js';
import type { Finding } from '../../../src/model/finding.js';
import type { Host, NetworkState, PortBinding, Route, Snapshot } from '../../../src/model/types.js';
import { renderSnapshotDiff } from '../../../src/report/snapshot-diff.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';
import { EXAMPLE, ROOT, runCli } from '../../support/cli.js';

const ok = <T>(value: T) => ({ status: 'ok' as const, source: 'test', value });
const clone = <T>(x: T): T => structuredClone(x);
const front = network('front', '172.20.0.0/16');
const back = network('back', '172.21.0.0/16');
const bind = (hostIp: string, hostPort: number | null, containerPort: number, protocol: PortBinding['protocol'] = 'tcp'): PortBinding => ({
  hostIp, hostPort, hostPortEnd: null, containerPort, protocol,
});
const route = (dst: string, dev: string, over: Partial<Route> = {}): Route => ({
  family: 'ipv4', table: 'main', type: 'unicast', dst, dev, gateway: null, prefsrc: null, metric: null, scope: null, protocol: 'kernel', mtu: null, ...over,
});
const fwHost = (iptablesSave: string, over: Partial<Host> = {}): Host =>
  host({ firewall: ok({ iptablesSave, ip6tablesSave: null, nftJson: null, ipsetSave: null, iptablesBackend: 'nf_tables' as const }), ...over });

function base(): NetworkState {
  const web = container('web', front, '172.20.0.2', { portBindings: [bind('0.0.0.0', 8080, 80)], publishedPorts: [bind('0.0.0.0', 8080, 80)] });
  const db = container('db', back, '172.21.0.2');
  return snapshot({ networks: [front, back], containers: [web, db] }).state;
}
const only = (changes: Change[]) => changes.map((c) => ({ kind: c.kind, op: c.op, subject: c.subject, field: c.field, before: c.before, after: c.after }));

describe('snapshot diff: identical inputs', () => {
  it('an identical state gives an empty diff', () => {
    const a = base();
    const d = diffStates(a, clone(a), { findings: allFindings });
    expect(d).toEqual({ identical: true, counts: { added: 0, removed: 0, changed: 0 }, changes: [], notes: [] });
  });
  it('the bundled example diffed with itself is empty, findings included', () => {
    const s = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot;
    expect(allFindings(s.state).length).toBeGreaterThan(0);
    const d = diffStates(s.state, clone(s.state), { findings: allFindings });
    expect(d.changes).toEqual([]);
    expect(d.identical).toBe(true);
  });
});

describe('snapshot diff: containers', () => {
  it('added and removed containers', () => {
    const a = base();
    const b = clone(a);
    b.containers = b.containers.filter((c) => c.name !== 'db');
    b.containers.push(container('cache', back, '172.21.0.3'));
    expect(only(diffStates(a, b).changes)).toEqual([
      { kind: 'container', op: 'added', subject: 'cache', field: null, before: null, after: { id: b.containers[1]!.id, state: 'running' } },
      { kind: 'container', op: 'removed', subject: 'db', field: null, before: { id: a.containers[1]!.id, state: 'running' }, after: null },
    ]);
  });
  it('a rename keeps the id: one rename, not a remove and an add', () => {
    const a = base();
    const b = clone(a);
    b.containers[1]!.name = 'database';
    expect(only(diffStates(a, b).changes)).toEqual([{ kind: 'container', op: 'changed', subject: 'database', field: 'name', before: 'db', after: 'database' }]);
  });
  it('a container recreated under the same name is matched by name and its id change reported', () => {
    const a = base();
    const b = clone(a);
    b.containers[1]!.id = 'new-db-id'.padEnd(64, '0');
    const d = diffStates(a, b);
    expect(only(d.changes)).toEqual([{ kind: 'container', op: 'changed', subject: 'db', field: 'id', before: a.containers[1]!.id, after: b.containers[1]!.id }]);
    expect(d.changes[0]!.message).toMatch(/recreated/);
  });
  it('the short-id alias Docker adds on user networks is not reported when a container is recreated', () => {
    const a = base();
    a.containers[1]!.endpoints[0]!.aliases = ['database', a.containers[1]!.id.slice(0, 12)];
    const b = clone(a);
    b.containers[1]!.id = 'fedcba987654'.padEnd(64, '0');
    b.containers[1]!.endpoints[0]!.aliases = [b.containers[1]!.id.slice(0, 12), 'database'];
    expect(only(diffStates(a, b).changes).map((c) => `${c.kind} ${c.field}`)).toEqual(['container id']);
    b.containers[1]!.endpoints[0]!.aliases.push('db-new');
    expect(only(diffStates(a, b).changes).map((c) => `${c.kind} ${c.field} ${JSON.stringify(c.after)}`)).toEqual(['container id "' + b.containers[1]!.id + '"', 'endpoint back aliases ["database","db-new"]']);
  });
  it('a state change is reported once; configured ports of a stopped container are not reported as unpublished', () => {
    const a = base();
    const b = clone(a);
    Object.assign(b.containers[0]!, { state: 'exited', running: false, pid: null, publishedPorts: [] });
    expect(only(diffStates(a, b).changes)).toEqual([{ kind: 'container', op: 'changed', subject: 'web', field: 'state', before: 'running', after: 'exited' }]);
  });
});

describe('snapshot diff: endpoints and addresses', () => {
  it('attached to a second network', () => {
    const a = base();
    const b = clone(a);
    b.containers[0]!.endpoints.push(clone(container('web', back, '172.21.0.9').endpoints[0]!));
    expect(only(diffStates(a, b).changes)).toEqual([
      { kind: 'endpoint', op: 'added', subject: 'web', field: 'network', before: null, after: { network: 'back', ipv4: '172.21.0.9/16', ipv6: null } },
    ]);
  });
  it('detached from a network', () => {
    const a = base();
    a.containers[0]!.endpoints.push(clone(container('web', back, '172.21.0.9').endpoints[0]!));
    const b = clone(a);
    b.containers[0]!.endpoints.pop();
    expect(only(diffStates(a, b).changes)).toEqual([
      { kind: 'endpoint', op: 'removed', subject: 'web', field: 'network', before: { network: 'back', ipv4: '172.21.0.9/16', ipv6: null }, after: null },
    ]);
  });
  it('moved from one network to another is one change', () => {
    const a = base();
    const b = clone(a);
    b.containers[1]!.endpoints = clone(container('db', front, '172.20.0.7').endpoints);
    const d = diffStates(a, b);
    expect(only(d.changes)).toEqual([
      { kind: 'endpoint', op: 'changed', subject: 'db', field: 'network', before: { network: 'back', ipv4: '172.21.0.2/16', ipv6: null }, after: { network: 'front', ipv4: '172.20.0.7/16', ipv6: null } },
    ]);
    expect(d.changes[0]!.message).toBe('db moved from network back (172.21.0.2/16) to front (172.20.0.7/16)');
  });
  it('an address change on the same network', () => {
    const a = base();
    const b = clone(a);
    b.containers[1]!.endpoints[0]!.ipv4!.address = '172.21.0.42';
    expect(only(diffStates(a, b).changes)).toEqual([{ kind: 'endpoint', op: 'changed', subject: 'db', field: 'back ipv4', before: '172.21.0.2/16', after: '172.21.0.42/16' }]);
  });
});

describe('snapshot diff: published ports', () => {
  it('a new and a removed binding', () => {
    const a = base();
    const b = clone(a);
    b.containers[0]!.publishedPorts = [bind('127.0.0.1', 9090, 90, 'udp')];
    expect(only(diffStates(a, b).changes)).toEqual([
      { kind: 'port', op: 'removed', subject: 'web', field: 'binding', before: '0.0.0.0:8080->80/tcp', after: null },
      { kind: 'port', op: 'added', subject: 'web', field: 'binding', before: null, after: '127.0.0.1:9090->90/udp' },
    ]);
  });
  it('a container recreated with an extra port shows the recreation and the new binding only', () => {
    const a = base();
    const b = clone(a);
    const web = b.containers[0]!;
    web.id = 'web2'.padEnd(64, '0');
    web.publishedPorts = [...web.publishedPorts, bind('0.0.0.0', 8443, 443)];
    web.portBindings = web.publishedPorts;
    expect(only(diffStates(a, b).changes).map((c) => `${c.kind} ${c.op} ${c.field}`)).toEqual(['container changed id', 'port added binding']);
  });
});

describe('snapshot diff: networks', () => {
  it('added and removed networks', () => {
    const a = base();
    const b = clone(a);
    b.networks.push(network('extra', '10.50.0.0/24', { internal: true }));
    b.networks = b.networks.filter((n) => n.name !== 'front');
    const d = diffStates(a, b);
    expect(only(d.changes).map((c) => `${c.op} ${c.subject}`)).toEqual(['added extra', 'removed front']);
    expect(d.changes[0]!.message).toBe('network extra added (bridge, 10.50.0.0/24 gw 10.50.0.1, internal)');
  });
  it('internal flag, ICC option, subnets and driver options', () => {
    const a = base();
    a.networks[0]!.options = { 'com.docker.network.driver.mtu': '1500', 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0' };
    const b = clone(a);
    const n = b.networks[0]!;
    n.internal = true;
    n.options = { 'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.enable_icc': 'false' };
    n.ipam.configs = [{ subnet: '172.30.0.0/16', ipRange: null, gateway: '172.30.0.1', auxAddresses: {} }];
    expect(only(diffStates(a, b).changes)).toEqual([
      { kind: 'network', op: 'changed', subject: 'front', field: 'internal', before: false, after: true },
      { kind: 'network', op: 'changed', subject: 'front', field: 'subnets', before: ['172.20.0.0/16 gw 172.20.0.1'], after: ['172.30.0.0/16 gw 172.30.0.1'] },
      { kind: 'network', op: 'added', subject: 'front', field: 'option com.docker.network.bridge.enable_icc', before: null, after: 'false' },
      { kind: 'network', op: 'removed', subject: 'front', field: 'option com.docker.network.bridge.host_binding_ipv4', before: '0.0.0.0', after: null },
      { kind: 'network', op: 'changed', subject: 'front', field: 'option com.docker.network.driver.mtu', before: '1500', after: '1400' },
    ]);
  });
  it('a network recreated under the same name (new id) is one change', () => {
    const a = base();
    const b = clone(a);
    b.networks[1]!.id = 'back2'.padEnd(64, '0');
    expect(only(diffStates(a, b).changes).map((c) => `${c.kind} ${c.op} ${c.subject} ${c.field}`)).toEqual(['network changed back id']);
  });
});

const SAVE = `# Generated by iptables-save v1.8.9 (nf_tables)
*filter
:INPUT ACCEPT [10:200]
:FORWARD DROP [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -o br-a -j DOCKER
-A DOCKER -d 172.20.0.2/32 ! -i br-a -o br-a -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER -d 172.20.0.3/32 ! -i br-a -o br-a -p tcp -m tcp --dport 81 -j ACCEPT
-A DOCKER-USER -j RETURN
COMMIT
`;

describe('snapshot diff: firewall rules', () => {
  it('rule order, counters and whitespace do not count; added and removed rules do', () => {
    // Docker re-adds per-container rules when containers restart: the same rules in another order.
    const reordered = SAVE.replace(
      /(-A DOCKER -d 172.20.0.2.*\n)(-A DOCKER -d 172.20.0.3.*\n)/,
      '$2$1',
    ).replace(':INPUT ACCEPT [10:200]', ':INPUT ACCEPT [99:9999]').replace('-A FORWARD -j DOCKER-USER', '[5:300] -A FORWARD  -j DOCKER-USER');
    expect(reordered).not.toBe(SAVE);
    const a = snapshot({ hosts: [fwHost(SAVE)] }).state;
    expect(diffStates(a, snapshot({ hosts: [fwHost(reordered)] }).state).changes).toEqual([]);
    const changed = SAVE.replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -s 10.9.0.0/16 -j DROP\n-A DOCKER-USER -j RETURN').replace(/-A DOCKER -d 172.20.0.3.*\n/, '');
    expect(only(diffStates(a, snapshot({ hosts: [fwHost(changed)] }).state).changes)).toEqual([
      { kind: 'firewall', op: 'removed', subject: 'ipv4/filter/DOCKER', field: 'rule', before: '-d 172.20.0.3/32 ! -i br-a -o br-a -p tcp -m tcp --dport 81 -j ACCEPT', after: null },
      { kind: 'firewall', op: 'added', subject: 'ipv4/filter/DOCKER-USER', field: 'rule', before: null, after: '-s 10.9.0.0/16 -j DROP' },
    ]);
  });
  it('duplicated rules count as a multiset', () => {
    const dup = SAVE.replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -j RETURN\n-A DOCKER-USER -j RETURN');
    const d = diffStates(snapshot({ hosts: [fwHost(SAVE)] }).state, snapshot({ hosts: [fwHost(dup)] }).state);
    expect(only(d.changes)).toEqual([{ kind: 'firewall', op: 'added', subject: 'ipv4/filter/DOCKER-USER', field: 'rule', before: null, after: '-j RETURN' }]);
  });
  it('chain policy changes and new chains', () => {
    const b = SAVE.replace(':FORWARD DROP [0:0]', ':FORWARD ACCEPT [0:0]').replace(':DOCKER-USER - [0:0]', ':DOCKER-USER - [0:0]\n:MY-CHAIN - [0:0]');
    const d = diffStates(snapshot({ hosts: [fwHost(SAVE)] }).state, snapshot({ hosts: [fwHost(b)] }).state);
    expect(only(d.changes).map((c) => `${c.op} ${c.subject} ${c.field} ${String(c.before)}→${String(c.after)}`)).toEqual([
      'changed ipv4/filter/FORWARD policy DROP→ACCEPT',
      'added ipv4/filter/MY-CHAIN chain null→-',
    ]);
  });
  it('`-c` counters inside a rule are ignored', () => {
    expect(iptablesRuleTexts('*filter\n-A INPUT -c 5 100 -p tcp -j ACCEPT\nCOMMIT\n', 'ipv4').rules).toEqual([{ chain: 'ipv4/filter/INPUT', rule: '-p tcp -j ACCEPT' }]);
  });
  it('native nftables rules (Docker 29 nftables backend), position-independent', () => {
    const text = readFileSync(join(ROOT, 'test/fixtures/firewall/docker-29-nft.json'), 'utf8');
    const doc = JSON.parse(text) as { nftables: Array<Record<string, { handle?: number; chain?: string; expr?: unknown[] }>> };
    const rules = doc.nftables.filter((x) => x.rule);
    expect(rules.length).toBeGreaterThan(3);
    const nftHost = (json: string) => host({ firewall: ok({ iptablesSave: null, ip6tablesSave: null, nftJson: json, ipsetSave: null, iptablesBackend: null }) });
    // Same rules, reversed order and new handles: no change. One rule dropped: one removal.
    const shuffled = { nftables: [...doc.nftables.filter((x) => !x.rule), ...rules.map((x) => ({ rule: { ...x.rule, handle: (x.rule!.handle ?? 0) + 1000 } })).reverse()] };
    const a = snapshot({ hosts: [nftHost(text)] }).state;
    expect(diffStates(a, snapshot({ hosts: [nftHost(JSON.stringify(shuffled))] }).state).changes).toEqual([]);
    const dropped = rules.find((x) => x.rule!.chain === 'nat-prerouting-and-output')!;
    const fewer = { nftables: doc.nftables.filter((x) => x !== dropped) };
    const d = diffStates(a, snapshot({ hosts: [nftHost(JSON.stringify(fewer))] }).state);
    expect(only(d.changes)).toEqual([{ kind: 'firewall', op: 'removed', subject: 'nft/ip:docker-bridges/nat-prerouting-and-output', field: 'rule', before: expect.stringContaining('dnat to 10.20.0.2:80'), after: null }]);
  });
  it('a firewall missing on one side is a note, not a list of removed rules', () => {
    const d = diffStates(snapshot({ hosts: [fwHost(SAVE)] }).state, snapshot({ hosts: [host()] }).state);
    expect(d.changes).toEqual([]);
    expect(d.notes).toEqual(['firewall rules not compared: no ruleset captured in B']);
  });
});

describe('snapshot diff: routes and daemon settings', () => {
  it('host routes added and removed, position-independent', () => {
    const ra = [route('172.20.0.0/16', 'br-a'), route('0.0.0.0/0', 'eth0', { gateway: '192.0.2.1', protocol: 'dhcp', metric: 100 })];
    const rb = [route('10.8.0.0/24', 'wg0', { protocol: 'static' }), ra[1]!];
    const d = diffStates(snapshot({ hosts: [host({ routes: ok(ra) })] }).state, snapshot({ hosts: [host({ routes: ok([...rb].reverse()) })] }).state);
    expect(only(d.changes)).toEqual([
      { kind: 'route', op: 'removed', subject: 'host', field: 'route', before: '172.20.0.0/16 dev br-a proto kernel', after: null },
      { kind: 'route', op: 'added', subject: 'host', field: 'route', before: null, after: '10.8.0.0/24 dev wg0 proto static' },
    ]);
  });
  it('kernel routes on a container\'s host-side veth (renamed on every restart) are not reported', () => {
    const v6 = (dev: string, protocol = 'kernel') => route('fe80::/64', dev, { family: 'ipv6', metric: 256, protocol });
    const ha = host({ routes: ok([v6('veth1111111'), v6('eth0')]) });
    const hb = host({ routes: ok([v6('veth2222222'), v6('eth0'), v6('veth3333333', 'static')]) });
    expect(only(diffStates(snapshot({ hosts: [ha] }).state, snapshot({ hosts: [hb] }).state).changes)).toEqual([
      { kind: 'route', op: 'added', subject: 'host', field: 'route', before: null, after: 'fe80::/64 dev veth3333333 proto static metric 256' },
    ]);
  });
  it('per-container routes', () => {
    const netns = (routes: Route[]) => ok({ interfaces: [], routes, listeners: [] });
    const a = snapshot({ networks: [front], containers: [container('web', front, '172.20.0.2', { netns: netns([route('0.0.0.0/0', 'eth0', { gateway: '172.20.0.1' })]) })] }).state;
    const b = clone(a);
    b.containers[0]!.netns = netns([]);
    expect(only(diffStates(a, b).changes)).toEqual([{ kind: 'route', op: 'removed', subject: 'container web', field: 'route', before: '0.0.0.0/0 via 172.20.0.1 dev eth0 proto kernel', after: null }]);
  });
  it('daemon.json, daemon info and sysctl changes', () => {
    const cfg = { raw: {}, iptables: null, ip6tables: null, ipForward: null, ipMasq: null, userlandProxy: null, icc: null, bip: null, mtu: null, dns: [], dnsSearch: [], dnsOpts: [], defaultAddressPools: [], firewallBackend: null };
    const ha = host({ daemonConfig: ok(cfg), sysctls: ok({ 'net.ipv4.ip_forward': '1' }) });
    const hb = clone(ha);
    hb.daemonConfig.value!.icc = false;
    hb.daemonConfig.value!.userlandProxy = false;
    hb.daemon.value!.ipv4Forwarding = false;
    hb.sysctls.value!['net.ipv4.ip_forward'] = '0';
    const d = diffStates(snapshot({ hosts: [ha] }).state, snapshot({ hosts: [hb] }).state);
    expect(only(d.changes).map((c) => `${c.subject} ${c.field} ${String(c.before)}→${String(c.after)}`)).toEqual([
      'daemon ipv4Forwarding true→false',
      'daemon daemon.json userlandProxy null→false',
      'daemon daemon.json icc null→false',
      'host sysctl net.ipv4.ip_forward 1→0',
    ]);
  });
});

describe('snapshot diff: consequences', () => {
  const f = (code: string, subjects: string[], severity: Finding['severity'] = 'warning'): Finding => ({ code, severity, subjects, title: code, message: '', evidence: [], remediation: '' });
  it('findings appear, resolve and change severity, keyed by code and subjects', () => {
    const a = base();
    const b = clone(a);
    b.containers[0]!.name = 'web2'; // any difference; the injected producers decide the findings
    const fa = [f('A', ['x', 'y']), f('B', ['x']), f('C', ['z'], 'info')];
    const fb = [f('A', ['y', 'x']), f('C', ['z'], 'error'), f('D', ['x'])];
    const d = diffStates(a, b, { findings: (s) => (s === a ? fa : fb) });
    expect(only(d.changes.filter((c) => c.kind === 'finding')).map((c) => `${c.op} ${c.subject}`)).toEqual(['removed x', 'added x', 'changed z']);
  });
  it('verdicts changed, new and gone pairs', () => {
    const a = base();
    const cell = (from: string, to: string, verdict: string, port: number | null = 80): VerdictCell => ({ from, to, port, protocol: 'tcp', verdict });
    const va = [cell('web', 'db', 'reachable'), cell('db', 'web', 'blocked'), cell('web', 'gone', 'unknown')];
    const vb = [cell('web', 'db', 'blocked'), cell('db', 'web', 'blocked'), cell('web', 'new', 'reachable', null)];
    const b = clone(a);
    const d = diffStates(a, b, { verdicts: (s) => (s === a ? va : vb) });
    expect(only(d.changes).map((c) => `${c.op} ${c.subject} ${String(c.before)}→${String(c.after)}`)).toEqual([
      'changed web → db 80/tcp reachable→blocked',
      'removed web → gone 80/tcp unknown→null',
      'added web → new null→reachable',
    ]);
  });
  it('real producers: a new host route overlapping a Docker subnet raises a routing finding', () => {
    const wg = route('172.20.0.0/24', 'wg0', { protocol: 'static' });
    const a = snapshot({ hosts: [host({ routes: ok([route('172.20.0.0/16', 'br-front')]) })], networks: [front], containers: [] }).state;
    const b = clone(a);
    b.hosts[0]!.routes.value!.push(wg);
    const d = diffStates(a, b, { findings: allFindings });
    expect(only(d.changes).map((c) => `${c.kind} ${c.op} ${c.subject}`)).toEqual(['route added host', 'finding added front']);
    expect(d.changes[1]!.after).toMatchObject({ code: 'SUBNET_OVERLAPS_HOST_ROUTE', severity: 'error' });
  });
});

describe('snapshot diff: rendering and CLI', () => {
  it('human output groups by kind with +/-/~ markers and sanitizes names', () => {
    const a = base();
    const b = clone(a);
    b.containers[1]!.name = 'evil\u001b[2Jname';
    b.containers.push(container('new', front, '172.20.0.5'));
    const text = renderSnapshotDiff({ a: { file: 'a.json', capturedAt: 't1', host: 'h' }, b: { file: 'b.json', capturedAt: 't2', host: 'h' }, compared: [], ...diffStates(a, b) });
    expect(text).not.toContain('\u001b');
    expect(text).toContain('CONTAINERS (2)');
    expect(text).toMatch(/^~ container db renamed to evil\\x1b\[2Jname$/m);
    expect(text).toMatch(/^\+ container new added/m);
  });

  it('--json, --exit-code and bad input through the built CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-diff-'));
    const s = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot;
    const b = clone(s);
    const victim = b.state.containers[0]!;
    b.state.containers = b.state.containers.slice(1);
    writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
    const same = await runCli(['snapshot', 'diff', EXAMPLE, EXAMPLE, '--exit-code']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('No differences.');
    const diff = await runCli(['snapshot', 'diff', EXAMPLE, join(dir, 'b.json'), '--json', '--exit-code']);
    expect(diff.code).toBe(1);
    expect(diff.stderr).toBe('');
    const doc = JSON.parse(diff.stdout) as { identical: boolean; changes: Change[]; a: { file: string }; compared: string[] };
    expect(doc.identical).toBe(false);
    expect(doc.compared).toEqual(['findings', 'verdicts']);
    expect(doc.changes.filter((c) => c.kind === 'container')).toEqual([
      { kind: 'container', op: 'removed', subject: victim.name, field: null, before: { id: victim.id, state: victim.state }, after: null, message: expect.any(String) },
    ]);
    const plain = await runCli(['snapshot', 'diff', EXAMPLE, join(dir, 'b.json')]);
    expect(plain.code).toBe(0);
    writeFileSync(join(dir, 'bad.json'), '{"schema": 1');
    const bad = await runCli(['snapshot', 'diff', EXAMPLE, join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(/^netsleuth: .*bad\.json: not valid JSON/);
    const missing = await runCli(['snapshot', 'diff', EXAMPLE]);
    expect(missing.code).toBe(2);
  });
});
