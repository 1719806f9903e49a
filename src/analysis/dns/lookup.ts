// Model lookups the DNS analysis needs: containers by reference, networks of an endpoint, and what
// Docker's embedded DNS server (127.0.0.11) answers for a name from a given container.

import type { Container, Endpoint, NetworkState } from '../../model/types.js';
import { endpointNames, viewOf } from '../../model/view.js';

export const EMBEDDED_DNS = '127.0.0.11';
/** TTL the embedded DNS gives container records. */
export const EMBEDDED_TTL = 600;

// Names, namespace owners and networks of endpoints come from the state view (src/model/view.ts).
export { endpointNames, isDefaultBridge, isUserDefined } from '../../model/view.js';

function lc(s: string): string {
  return s.toLowerCase().replace(/\.$/, '');
}

export interface EmbeddedMember {
  container: Container;
  endpoint: Endpoint;
  network: string;
  /** How the name matched: the container name, an alias, tasks.<service>. */
  via: 'name' | 'alias' | 'tasks';
}

export type EmbeddedResult =
  | { kind: 'answer'; network: string; members: EmbeddedMember[]; data: string[]; byNetwork: Array<{ network: string; data: string[]; members: EmbeddedMember[] }> }
  | { kind: 'nodata'; network: string; members: EmbeddedMember[] }
  | { kind: 'ptr'; data: string[]; members: EmbeddedMember[] }
  | { kind: 'forward' };

function membersOn(state: NetworkState, networkName: string, networkId: string, name: string): EmbeddedMember[] {
  const out: EmbeddedMember[] = [];
  for (const c of state.containers) {
    if (!c.running) continue;
    for (const ep of c.endpoints) {
      if (!(ep.networkName === networkName || (networkId && ep.networkId === networkId))) continue;
      const names = endpointNames(c, ep);
      if (names.includes(name)) {
        out.push({ container: c, endpoint: ep, network: networkName, via: lc(c.name) === name ? 'name' : 'alias' });
      } else if (name.startsWith('tasks.')) {
        const svc = c.labels['com.docker.swarm.service.name'];
        if (svc && lc(svc) === name.slice(6)) out.push({ container: c, endpoint: ep, network: networkName, via: 'tasks' });
      }
    }
  }
  return out;
}

function ipv6FromReverse(qname: string): string | null {
  const m = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(qname);
  if (!m) return null;
  const nibbles = m[1]!.split('.').filter(Boolean).reverse().join('');
  return nibbles.match(/.{4}/g)!.join(':');
}

function expand6(ip: string): string {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0').toLowerCase()).join(':');
}

/**
 * What 127.0.0.11 answers for `qname`/`type` asked from `from` (the netns owner), following
 * libnetwork's Sandbox.ResolveName: the full name on every network of the querier, then
 * "a.b.c" as "a.b" on network "c", and so on. Only running containers have records; only
 * user-defined networks the querier is attached to are searched. A, AAAA and PTR are answered
 * here; every other type (and every unknown name) is forwarded upstream.
 */
export function embeddedLookup(state: NetworkState, from: Container, qname: string, type: string): EmbeddedResult {
  const name = lc(qname);
  const nets = viewOf(state).userEndpoints(from);
  if (type === 'PTR') {
    let ip: string | null = null;
    const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
    if (v4) ip = `${v4[4]}.${v4[3]}.${v4[2]}.${v4[1]}`;
    else ip = ipv6FromReverse(name);
    if (!ip) return { kind: 'forward' };
    const members: EmbeddedMember[] = [];
    for (const { ep: mine } of nets) {
      for (const c of state.containers) {
        if (!c.running) continue;
        for (const ep of c.endpoints) {
          if (ep.networkName !== mine.networkName) continue;
          const match = ip.includes(':') ? ep.ipv6 && expand6(ep.ipv6.address) === expand6(ip) : ep.ipv4?.address === ip;
          if (match) members.push({ container: c, endpoint: ep, network: ep.networkName, via: 'name' });
        }
      }
    }
    if (!members.length) return { kind: 'forward' };
    return { kind: 'ptr', data: [...new Set(members.map((m) => `${m.container.name}.${m.network}.`))], members };
  }
  if (type !== 'A' && type !== 'AAAA') return { kind: 'forward' };
  // (name, network) pairs in libnetwork's order.
  const pairs: Array<[string, string | null]> = [[name, null]];
  let dup = name;
  for (let i = dup.lastIndexOf('.'); i !== -1; i = dup.lastIndexOf('.')) {
    pairs.push([name.slice(0, i), name.slice(i + 1)]);
    dup = dup.slice(0, i);
  }
  for (const [n, netName] of pairs) {
    const byNetwork: Array<{ network: string; data: string[]; members: EmbeddedMember[] }> = [];
    let nodata: EmbeddedMember[] = [];
    let nodataNet = '';
    for (const { ep } of nets) {
      if (netName !== null && lc(ep.networkName) !== netName) continue;
      const members = membersOn(state, ep.networkName, ep.networkId, n);
      if (!members.length) continue;
      const data = members
        .map((m) => (type === 'A' ? m.endpoint.ipv4?.address : m.endpoint.ipv6?.address))
        .filter((x): x is string => !!x);
      if (data.length) byNetwork.push({ network: ep.networkName, data: [...new Set(data)], members });
      else if (!nodata.length) {
        nodata = members;
        nodataNet = ep.networkName;
      }
    }
    if (byNetwork.length) {
      const first = byNetwork[0]!;
      return { kind: 'answer', network: first.network, members: first.members, data: first.data, byNetwork };
    }
    // libnetwork: the name exists but has no address of this family → NOERROR, no answers (not forwarded).
    if (nodata.length) return { kind: 'nodata', network: nodataNet, members: nodata };
  }
  return { kind: 'forward' };
}

/** Every container (running or not, any network) that some embedded DNS would know as `name`. */
export function dockerNameHolders(state: NetworkState, qname: string): Array<{ container: Container; networks: string[] }> {
  const name = lc(qname);
  const first = name.split('.')[0]!;
  const out: Array<{ container: Container; networks: string[] }> = [];
  for (const c of state.containers) {
    const nets = new Set<string>();
    let hit = lc(c.name) === name || (name.length >= 12 && c.id.startsWith(name));
    for (const ep of c.endpoints) {
      const names = [...endpointNames(c, ep), ...ep.aliases.map(lc)];
      if (names.includes(name) || (name.includes('.') && names.includes(first) && lc(ep.networkName) === name.slice(first.length + 1))) {
        hit = true;
        nets.add(ep.networkName);
      }
    }
    if (c.compose && lc(c.compose.service) === name) hit = true;
    if (hit) {
      for (const ep of c.endpoints) nets.add(ep.networkName);
      out.push({ container: c, networks: [...nets] });
    }
  }
  return out;
}

/** `# ExtServers: [host(127.0.0.53) 10.0.0.2]` footer Docker writes into resolv.conf. */
export function parseExtServers(raw: string): Array<{ address: string; from: 'host' | 'container' }> | null {
  const m = /^#\s*ExtServers:\s*\[([^\]]*)\]/m.exec(raw);
  if (!m) return null;
  return m[1]!
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((t) => {
      const h = /^host\((.+)\)$/.exec(t);
      return h ? { address: h[1]!, from: 'host' as const } : { address: t, from: 'container' as const };
    });
}

