// Predicts how a name resolves from inside a container, step by step, from the model alone:
// /etc/hosts (files first, as nsswitch `hosts: files dns` and musl do), the search-list expansion
// with ndots, Docker's embedded DNS (names and aliases on user-defined networks the querier shares),
// and the servers it forwards to. Pure: no I/O. Missing evidence → verdict `unknown` naming it.

import type { Container, Network, NetworkState } from '../../model/types.js';
import { reverseName } from '../../dns/names.js';
import { continuesAfter, parseResolverOptions, searchCandidates, type CandidateOutcome, type ResolverFlavour } from '../../dns/search.js';
import {
  EMBEDDED_DNS,
  EMBEDDED_TTL,
  dockerNameHolders,
  embeddedLookup,
  isUserDefined,
  parseExtServers,
  type EmbeddedMember,
} from './lookup.js';
import { InputError } from '../../model/errors.js';
import { type StateView, viewOf } from '../../model/view.js';
import { isLoopback } from '../../net/addr.js';
import type { DnsPrediction, DnsReason, PredictedAnswer, PredictedStep, ResolverView, StepOutcome } from './types.js';

export interface PredictInput {
  from?: string;
  name: string;
  type: string;
  /** Ask this server directly with the name as given (like `dig @server`), instead of resolv.conf. */
  server?: string;
  flavour?: ResolverFlavour;
}

/** A question the predictor cannot ask (e.g. --from is not a container). */
export class DnsPredictError extends InputError {}

function lc(s: string): string {
  return s.toLowerCase().replace(/\.+$/, '');
}

const reverseOf = reverseName;

function isIPv4(s: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s);
}

function v4Int(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function inSubnet(ip: string, cidr: string): boolean {
  const [base, lenS] = cidr.split('/');
  if (!base || !isIPv4(ip) || !isIPv4(base)) return false;
  const len = Number(lenS);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((v4Int(ip) & mask) >>> 0) === ((v4Int(base) & mask) >>> 0);
}

function daemonMajor(state: NetworkState, of: Container | null): number | null {
  const v = viewOf(state).host(of)?.daemon.value?.version;
  const m = v ? /^(\d+)\./.exec(v) : null;
  return m ? Number(m[1]) : null;
}

interface ServerVerdict {
  outcome: StepOutcome;
  steps: Array<Omit<PredictedStep, 'index'>>;
  answers: PredictedAnswer[];
  answerMode: DnsPrediction['answerMode'];
}

/** The prediction for a query whose source is the host or a bare --server (no container). */
function withoutContainer(state: NetworkState, input: PredictInput, qname: string): DnsPrediction {
  const reasons: DnsReason[] = [];
  const missing: string[] = [];
  const steps: PredictedStep[] = [];
  let resolver: ResolverView | null = null;
  if (input.server) {
    steps.push({ index: 0, kind: 'nameserver', name: qname, server: input.server, outcome: 'forward', answers: [], detail: `asked directly; the answer depends on ${input.server}` });
  } else {
    const rc = viewOf(state).host()?.resolvConf;
    if (!rc || rc.status === 'unavailable' || !rc.value) {
      missing.push(`host resolv.conf (${rc?.reason ?? 'not captured'})`);
      reasons.push({ code: 'RESOLV_CONF_UNAVAILABLE', severity: 'warning', message: `the host's resolv.conf was not captured (${rc?.reason ?? 'not captured'})` });
    } else {
      const opts = parseResolverOptions(rc.value.options);
      resolver = { flavour: input.flavour ?? 'glibc', nameservers: rc.value.nameservers, search: rc.value.search, ndots: opts.ndots, options: rc.value.options, embedded: false, upstreams: [], source: 'resolv.conf' };
      for (const ns of rc.value.nameservers) {
        steps.push({ index: steps.length, kind: 'nameserver', name: qname, server: ns, outcome: 'forward', answers: [], detail: `the host asks ${ns}; its answer is not in the snapshot` });
      }
    }
  }
  const holders = dockerNameHolders(state, qname);
  if (!input.server && holders.length) {
    reasons.push({
      code: 'CONTAINER_NAME_FROM_HOST',
      severity: 'warning',
      message: `"${input.name}" is a container name, but the host does not use Docker's embedded DNS: container names resolve only inside containers on a shared user-defined network (use --from)`,
    });
  }
  reasons.push({ code: 'UPSTREAM_ANSWER_UNKNOWN', severity: 'info', message: 'the answer comes from an upstream server the snapshot cannot predict; run against the live daemon to query it' });
  return { name: input.name, type: input.type, qname, from: null, verdict: 'unknown', certainty: 'unknown', answers: [], answerMode: 'exact', candidates: [qname], steps, reasons, resolver, missing };
}

export function predictResolution(state: NetworkState, input: PredictInput): DnsPrediction {
  const flavour: ResolverFlavour = input.flavour ?? 'glibc';
  const type = input.type.toUpperCase();
  const isPtr = type === 'PTR';
  const qname = isPtr && reverseOf(input.name) ? reverseOf(input.name)! : lc(input.name);
  if (!input.from) return withoutContainer(state, { ...input, type }, qname);

  const view = viewOf(state);
  const subject = view.resolve(input.from);
  if (subject.kind !== 'container') throw new DnsPredictError(`--from ${input.from} is not a container: the resolver steps are a container's (leave --from out to ask as the host)`);
  const from = subject.container;
  const steps: PredictedStep[] = [];
  const cx: Omit<PredictCx, 'owner' | 'mode'> = {
    state,
    view,
    input,
    type,
    qname,
    isPtr,
    flavour,
    from,
    reasons: [],
    missing: [],
    steps,
    add: (st) => steps.push({ index: steps.length, ...st }),
    base: { name: input.name, type, qname, from: { id: from.id, name: from.name } },
  };
  const owner = view.namespaceOwner(from);
  if (!owner) {
    cx.reasons.push({ code: 'NETNS_OWNER_MISSING', severity: 'error', message: `${from.name} shares the network namespace of a container that is not in the state` });
    cx.missing.push('the container whose namespace is shared');
    return { ...cx.base, verdict: 'unknown', certainty: 'unknown', answers: [], answerMode: 'exact', candidates: [], steps, reasons: cx.reasons, resolver: null, missing: cx.missing };
  }
  const c: PredictCx = { ...cx, owner, mode: owner.networkMode.kind };
  if (owner !== from) c.reasons.push({ code: 'SHARED_NETNS', severity: 'info', message: `${from.name} uses the network namespace, resolv.conf and hosts of ${owner.name}` });
  if (!from.running) c.reasons.push({ code: 'CONTAINER_NOT_RUNNING', severity: 'info', message: `${from.name} is ${from.state}; this is what it would do when running` });

  // 1. /etc/hosts (files before dns), 2. resolv.conf, 3. search-list expansion, 4. each candidate at each server, 5. why a Docker name does not resolve.
  const fromHosts = hostsStage(c);
  if (fromHosts) return fromHosts;
  const env = resolverStage(c);
  if ('verdict' in env) return env;
  const candidates = searchStage(c, env);
  const walk = walkCandidates(c, env, candidates);
  return conclude(c, env, candidates, walk);
}

// ---------------------------------------------------------------------------------------------
// The stages of a prediction, over one context.

interface PredictCx {
  state: NetworkState;
  view: StateView;
  input: PredictInput;
  type: string;
  qname: string;
  isPtr: boolean;
  flavour: ResolverFlavour;
  from: Container;
  /** The container whose namespace, resolv.conf and hosts file `from` uses. */
  owner: Container;
  mode: Container['networkMode']['kind'];
  reasons: DnsReason[];
  missing: string[];
  steps: PredictedStep[];
  add: (s: Omit<PredictedStep, 'index'>) => void;
  base: Pick<DnsPrediction, 'name' | 'type' | 'qname' | 'from'>;
}

/** What the resolver works with once resolv.conf is read. */
interface ResolverEnv {
  resolver: ResolverView;
  servers: string[];
  search: string[];
  opts: ReturnType<typeof parseResolverOptions>;
  upstreams: ResolverView['upstreams'];
  userNets: Array<{ ep: Container['endpoints'][number]; net: Network | null }>;
  hasEmbedded: boolean;
  internalOnly: boolean;
  subnets: string[];
  major: number | null;
}

function reasonOnce(cx: PredictCx, r: DnsReason): void {
  if (!cx.reasons.some((x) => x.code === r.code && x.message === r.message)) cx.reasons.push(r);
}

/** 1. /etc/hosts: only address questions (and PTR of an address) consult it. A prediction when it answers. */
function hostsStage(cx: PredictCx): DnsPrediction | null {
  const { input, type, isPtr, qname, owner, mode, reasons, missing } = cx;
  let hostsAnswers: PredictedAnswer[] = [];
  const hostsApplies = !input.server && (type === 'A' || type === 'AAAA' || isPtr);
  if (hostsApplies && cx.flavour === 'busybox') {
    cx.add({ kind: 'hosts', name: qname, server: '/etc/hosts', outcome: 'skip', answers: [], detail: "busybox nslookup does not read /etc/hosts" });
    return null;
  }
  if (!hostsApplies) return null;
  const want = (addr: string) => (type === 'A' ? isIPv4(addr) : type === 'AAAA' ? addr.includes(':') : true);
  const hf = owner.hostsFile;
  let entries: Array<{ address: string; names: string[] }>;
  let derived = false;
  if (hf.status !== 'unavailable' && hf.value) entries = hf.value;
  else {
    derived = true;
    missing.push(`/etc/hosts of ${owner.name} (${hf.reason ?? 'not captured'})`);
    // Docker generates the file from: localhost lines, the container's hostname, --add-host.
    entries = [
      { address: '127.0.0.1', names: ['localhost'] },
      { address: '::1', names: ['localhost', 'ip6-localhost', 'ip6-loopback'] },
      ...owner.extraHosts.map((h) => ({ address: h.address, names: [h.name] })),
    ];
    const ip = owner.endpoints.find((e) => e.ipv4)?.ipv4?.address;
    if (ip && owner.hostname) entries.push({ address: ip, names: [owner.hostname] });
  }
  if (isPtr) {
    const hit = entries.find((e) => reverseOf(e.address) === qname);
    if (hit) hostsAnswers = [{ name: qname, type: 'PTR', data: `${hit.names[0]}.`, ttl: null, source: 'hosts' }];
  } else {
    for (const e of entries) {
      if (e.names.some((n) => lc(n) === qname) && want(e.address)) {
        const resolvedAddr = e.address === 'host-gateway' ? 'host-gateway' : e.address;
        hostsAnswers.push({ name: qname, type, data: resolvedAddr, ttl: null, source: 'hosts' });
      }
    }
  }
  const fromExtra = hostsAnswers.length > 0 && owner.extraHosts.some((h) => lc(h.name) === qname);
  cx.add({
    kind: 'hosts',
    name: qname,
    server: '/etc/hosts',
    outcome: hostsAnswers.length ? 'answer' : derived ? 'unknown' : 'nxdomain',
    answers: hostsAnswers.map((a) => a.data),
    detail: hostsAnswers.length
      ? `${fromExtra ? 'an --add-host (extra hosts) entry' : 'an /etc/hosts entry'} answers`
      : derived
        ? 'hosts file not captured: checked only the entries Docker generates (localhost, hostname, --add-host)'
        : 'no entry',
  });
  if (!hostsAnswers.length) return null;
  if (derived) reasons.push({ code: 'HOSTS_FILE_DERIVED', severity: 'info', message: `/etc/hosts was not captured; the answer comes from the container's --add-host configuration` });
  if (fromExtra) reasons.push({ code: 'EXTRA_HOSTS_ANSWER', severity: 'info', message: `"${input.name}" is pinned by --add-host; DNS is never asked` });
  // A hosts entry that shadows a container name the embedded DNS would answer differently.
  const emb = mode !== 'host' && mode !== 'none' && cx.view.userEndpoints(owner).length ? embeddedLookup(cx.state, owner, qname, type) : null;
  if (emb && emb.kind === 'answer' && !emb.data.every((d) => hostsAnswers.some((a) => a.data === d))) {
    reasons.push({ code: 'HOSTS_SHADOWS_DNS', severity: 'warning', message: `/etc/hosts says ${hostsAnswers.map((a) => a.data).join(', ')} but Docker's DNS would answer ${emb.data.join(', ')}` });
  }
  return { ...cx.base, verdict: 'resolved', certainty: derived ? 'inferred' : 'certain', answers: hostsAnswers, answerMode: 'exact', candidates: [qname], steps: cx.steps, reasons, resolver: null, missing };
}

/** 2. resolv.conf (or --server): the servers, search list, options and the embedded DNS's upstreams. A prediction when it is missing. */
function resolverStage(cx: PredictCx): ResolverEnv | DnsPrediction {
  const { input, owner, mode, view } = cx;
  let nameservers: string[];
  let search: string[] = [];
  let options: string[] = [];
  let upstreams: ResolverView['upstreams'] = [];
  const userNets = mode === 'host' || mode === 'none' ? [] : view.userEndpoints(owner);
  const hasEmbedded = userNets.length > 0;
  if (input.server) {
    nameservers = [input.server];
  } else {
    const rc = owner.resolvConf;
    if (rc.status === 'unavailable' || !rc.value) {
      cx.missing.push(`/etc/resolv.conf of ${owner.name} (${rc.reason ?? 'not captured'})`);
      cx.reasons.push({ code: 'RESOLV_CONF_UNAVAILABLE', severity: 'warning', message: `the container's resolv.conf was not captured (${rc.reason ?? 'not captured'}), so its nameservers, search list and ndots are unknown` });
      if (hasEmbedded) {
        const emb = embeddedLookup(cx.state, owner, cx.qname, cx.type);
        if (emb.kind === 'answer') cx.add({ kind: 'embedded', name: cx.qname, server: EMBEDDED_DNS, outcome: 'unknown', answers: emb.data, detail: `if resolv.conf points to 127.0.0.11 (usual on ${emb.network}), the embedded DNS answers ${emb.data.join(', ')}` });
      }
      return { ...cx.base, verdict: 'unknown', certainty: 'unknown', answers: [], answerMode: 'exact', candidates: [], steps: cx.steps, reasons: cx.reasons, resolver: null, missing: cx.missing };
    }
    nameservers = rc.value.nameservers;
    search = rc.value.search;
    options = rc.value.options;
    const ext = parseExtServers(rc.value.raw);
    if (ext) upstreams = ext;
    else {
      // No footer (older engines): explicit --dns, then daemon dns, then the host's resolv.conf.
      const host = view.host(owner);
      const daemonDns = host?.daemonConfig.value?.dns ?? [];
      if (owner.dns.servers.length) upstreams = owner.dns.servers.map((a) => ({ address: a, from: 'container' as const }));
      else if (daemonDns.length) upstreams = daemonDns.map((a) => ({ address: a, from: 'container' as const }));
      else if (host?.resolvConf.value) upstreams = host.resolvConf.value.nameservers.map((a) => ({ address: a, from: 'host' as const }));
    }
  }
  const opts = parseResolverOptions(options);
  const servers = nameservers.length ? nameservers : ['127.0.0.1'];
  if (!nameservers.length) {
    cx.reasons.push({ code: 'NO_NAMESERVERS', severity: 'error', message: 'resolv.conf lists no nameserver; the C library then asks 127.0.0.1 inside the container, where nothing answers' });
  }
  const resolver: ResolverView = {
    flavour: cx.flavour,
    nameservers: servers,
    search,
    ndots: opts.ndots,
    options,
    embedded: hasEmbedded && servers.includes(EMBEDDED_DNS),
    upstreams,
    source: input.server ? 'server-flag' : 'resolv.conf',
  };
  const internalOnly = userNets.length > 0 && userNets.every((x) => x.net?.internal) && owner.endpoints.every((e) => view.networkOf(e)?.internal ?? false);
  const subnets = owner.endpoints.flatMap((e) => view.networkOf(e)?.ipam.configs.map((x) => x.subnet).filter((x): x is string => !!x) ?? []);
  return { resolver, servers, search, opts, upstreams, userNets, hasEmbedded, internalOnly, subnets, major: daemonMajor(cx.state, owner) };
}

/** 3. The names asked, in order: the search-list expansion by ndots. */
function searchStage(cx: PredictCx, env: ResolverEnv): string[] {
  const { input, qname, flavour, isPtr } = cx;
  const { search, opts } = env;
  const candidates = input.server ? [qname] : searchCandidates(qname, { search, ndots: opts.ndots, noTldQuery: opts.noTldQuery }, flavour, isPtr);
  const asIsAt = candidates.indexOf(qname);
  if (!input.server && candidates.length > 1 && asIsAt > 0) {
    cx.reasons.push({
      code: 'NDOTS_EXPANSION',
      severity: asIsAt >= 2 || opts.ndots > 1 ? 'warning' : 'info',
      message: `"${input.name}" has fewer than ndots:${opts.ndots} dots, so ${asIsAt} search-domain quer${asIsAt === 1 ? 'y goes' : 'ies go'} out before the name itself (${candidates.slice(0, asIsAt).join(', ')})`,
    });
  }
  if (opts.rotate && env.servers.length > 1) cx.reasons.push({ code: 'RESOLVER_ROTATE', severity: 'info', message: 'options rotate: the first server asked varies per query' });
  return candidates;
}

/** Whether a server address can be reached from inside the querier's namespace. */
function reachFromContainer(cx: PredictCx, env: ResolverEnv, ns: string): { ok: boolean; why?: DnsReason } {
  const { owner, mode } = cx;
  if (mode === 'none') return { ok: false, why: { code: 'NO_NETWORK', severity: 'error', message: `${owner.name} has network mode none: no server is reachable` } };
  if (isLoopback(ns) && mode !== 'host') {
    return ns === '127.0.0.53'
      ? { ok: false, why: { code: 'HOST_STUB_RESOLVER', severity: 'error', message: `nameserver 127.0.0.53 is the host's systemd-resolved stub; inside the container's own network namespace nothing listens there` } }
      : { ok: false, why: { code: 'LOOPBACK_RESOLVER', severity: 'error', message: `nameserver ${ns} is a loopback address; inside the container's network namespace it is the container itself, where no DNS server runs` } };
  }
  if (env.internalOnly && !env.subnets.some((x) => inSubnet(ns, x))) {
    return { ok: false, why: { code: 'RESOLVER_UNREACHABLE_INTERNAL', severity: 'error', message: `${ns} is outside the subnets of ${owner.name}'s internal network(s), which have no route out` } };
  }
  return { ok: true };
}

/** One question (`cand`) to one server: the embedded DNS (answer, nodata, or forward upstream) or a server asked directly. */
function askServer(cx: PredictCx, env: ResolverEnv, cand: string, ns: string): ServerVerdict {
  const { owner, mode, type } = cx;
  if (ns === EMBEDDED_DNS && mode !== 'host') {
    if (!env.hasEmbedded) {
      reasonOnce(cx, { code: 'EMBEDDED_DNS_ABSENT', severity: 'error', message: `resolv.conf names 127.0.0.11 but ${owner.name} is on no user-defined network, so Docker runs no DNS server there` });
      return { outcome: 'unreachable', steps: [{ kind: 'embedded', name: cand, server: ns, outcome: 'unreachable', answers: [], detail: 'no embedded DNS in this namespace' }], answers: [], answerMode: 'exact' };
    }
    const emb = embeddedLookup(cx.state, owner, cand, type);
    if (emb.kind === 'answer') {
      const answers: PredictedAnswer[] = [];
      for (const g of emb.byNetwork) {
        for (const d of g.data) {
          const m = g.members.find((x) => (type === 'A' ? x.endpoint.ipv4?.address : x.endpoint.ipv6?.address) === d);
          answers.push({ name: cand, type, data: d, ttl: EMBEDDED_TTL, source: 'embedded', container: m?.container.name, network: g.network });
        }
      }
      describeMembers(emb.byNetwork, cand, (r) => reasonOnce(cx, r));
      const mode2: DnsPrediction['answerMode'] = emb.byNetwork.length > 1 ? 'one-of' : emb.data.length > 1 ? 'any-order' : 'exact';
      const who = emb.members.map((m) => `${m.container.name}${m.via === 'alias' ? ' (alias)' : m.via === 'tasks' ? ' (task)' : ''}`).join(', ');
      return { outcome: 'answer', steps: [{ kind: 'embedded', name: cand, server: ns, outcome: 'answer', answers: emb.byNetwork.flatMap((g) => g.data), detail: `${who} on ${emb.byNetwork.map((g) => g.network).join(' / ')}` }], answers, answerMode: mode2 };
    }
    if (emb.kind === 'ptr') {
      return { outcome: 'answer', steps: [{ kind: 'embedded', name: cand, server: ns, outcome: 'answer', answers: emb.data, detail: `address of ${emb.members.map((m) => m.container.name).join(', ')}` }], answers: emb.data.map((d) => ({ name: cand, type: 'PTR', data: d, ttl: EMBEDDED_TTL, source: 'embedded' as const })), answerMode: 'exact' };
    }
    if (emb.kind === 'nodata') {
      return { outcome: 'nodata', steps: [{ kind: 'embedded', name: cand, server: ns, outcome: 'nodata', answers: [], detail: `${emb.members.map((m) => m.container.name).join(', ')} on ${emb.network} has no ${type === 'A' ? 'IPv4' : 'IPv6'} address: NOERROR, no records (not forwarded)` }], answers: [], answerMode: 'exact' };
    }
    return forwardUpstream(cx, env, cand, ns);
  }
  // A server asked directly by the container's resolver.
  const r = reachFromContainer(cx, env, ns);
  if (!r.ok) {
    reasonOnce(cx, r.why!);
    return { outcome: 'unreachable', steps: [{ kind: 'nameserver', name: cand, server: ns, outcome: 'unreachable', answers: [], detail: r.why!.message }], answers: [], answerMode: 'exact' };
  }
  return { outcome: 'forward', steps: [{ kind: 'nameserver', name: cand, server: ns, outcome: 'forward', answers: [], detail: 'asked directly; answer not predictable from the model' }], answers: [], answerMode: 'exact' };
}

/** The embedded DNS does not own the name: it forwards to its upstreams (from the host's or the container's namespace). */
function forwardUpstream(cx: PredictCx, env: ResolverEnv, cand: string, ns: string): ServerVerdict {
  const { owner, type } = cx;
  const s: ServerVerdict['steps'] = [{ kind: 'embedded', name: cand, server: ns, outcome: 'forward', answers: [], detail: type === 'A' || type === 'AAAA' || type === 'PTR' ? 'not a container name or alias on a shared network: forwarded' : `${type} questions are always forwarded` }];
  if (env.internalOnly && env.major !== null && env.major >= 26) {
    reasonOnce(cx, { code: 'INTERNAL_NETWORK_NO_FORWARD', severity: 'warning', message: `${owner.name} is attached only to internal networks; Docker ${env.major} does not forward its DNS questions to external servers` });
    s.push({ kind: 'upstream', name: cand, server: '-', outcome: 'servfail', answers: [], detail: 'not forwarded from an internal-only container' });
    return { outcome: 'servfail', steps: s, answers: [], answerMode: 'exact' };
  }
  if (!env.upstreams.length) {
    reasonOnce(cx, { code: 'EMBEDDED_NO_UPSTREAM', severity: 'warning', message: 'the embedded DNS has no upstream servers to forward to (no ExtServers)' });
    s.push({ kind: 'upstream', name: cand, server: '-', outcome: 'servfail', answers: [], detail: 'no upstream configured' });
    return { outcome: 'servfail', steps: s, answers: [], answerMode: 'exact' };
  }
  let any = false;
  for (const u of env.upstreams) {
    if (u.from === 'host') {
      if (u.address === '127.0.0.53') reasonOnce(cx, { code: 'HOST_STUB_VIA_EMBEDDED', severity: 'info', message: 'upstream 127.0.0.53 (systemd-resolved) is reached from the host namespace by the embedded DNS, which works' });
      s.push({ kind: 'upstream', name: cand, server: u.address, outcome: 'forward', answers: [], detail: 'forwarded from the host namespace; answer not predictable' });
      any = true;
    } else {
      const r = reachFromContainer(cx, env, u.address);
      if (!r.ok) {
        reasonOnce(cx, r.why!);
        s.push({ kind: 'upstream', name: cand, server: u.address, outcome: 'unreachable', answers: [], detail: r.why!.message });
      } else {
        s.push({ kind: 'upstream', name: cand, server: u.address, outcome: 'forward', answers: [], detail: 'forwarded from the container namespace; answer not predictable' });
        any = true;
      }
    }
    if (any) break;
  }
  return { outcome: any ? 'forward' : 'servfail', steps: s, answers: [], answerMode: 'exact' };
}

interface Walk {
  verdict: DnsPrediction['verdict'] | null;
  answers: PredictedAnswer[];
  answerMode: DnsPrediction['answerMode'];
  /** The first candidate whose answer depends on an upstream server. */
  unknownFrom: number | null;
  last: CandidateOutcome | 'forward';
  sawNodata: boolean;
}

/** 4. Each candidate at each server, with the resolver's rules for moving on. */
function walkCandidates(cx: PredictCx, env: ResolverEnv, candidates: string[]): Walk {
  const w: Walk = { verdict: null, answers: [], answerMode: 'exact', unknownFrom: null, last: 'nxdomain', sawNodata: false };
  for (let i = 0; i < candidates.length; i++) {
    const cand = candidates[i]!;
    let result: ServerVerdict | null = null;
    for (const ns of env.servers) {
      const r = askServer(cx, env, cand, ns);
      for (const st of r.steps) cx.add(st);
      result = r;
      // Resolvers move to the next server on no answer or SERVFAIL.
      if (r.outcome !== 'unreachable' && r.outcome !== 'servfail') break;
    }
    const oc = result!.outcome;
    if (oc === 'answer') {
      w.verdict = 'resolved';
      w.answers = result!.answers;
      w.answerMode = result!.answerMode;
      w.last = 'answer';
      break;
    }
    if (oc === 'forward') {
      if (w.unknownFrom === null) w.unknownFrom = i;
      w.last = 'forward';
      continue; // if the upstream says NXDOMAIN the walk goes on; shown as what would follow
    }
    const co: CandidateOutcome = oc === 'nodata' ? 'nodata' : oc === 'nxdomain' ? 'nxdomain' : oc === 'servfail' ? 'servfail' : 'timeout';
    if (co === 'nodata') w.sawNodata = true;
    w.last = co;
    if (!continuesAfter(co, cx.flavour)) break;
  }
  return w;
}

/** The verdict and its certainty from the walk; 5. why a Docker name does not resolve. */
function conclude(cx: PredictCx, env: ResolverEnv, candidates: string[], w: Walk): DnsPrediction {
  const { reasons, type, qname, owner, input } = cx;
  let verdict = w.verdict;
  let certainty: DnsPrediction['certainty'] = 'certain';
  if (verdict === 'resolved') {
    if (w.unknownFrom !== null) {
      certainty = 'inferred';
      reasons.push({ code: 'ASSUMES_UPSTREAM_NXDOMAIN', severity: 'info', message: `assumes the upstream answers NXDOMAIN for ${candidates.slice(w.unknownFrom, candidates.indexOf(w.answers[0]?.name ?? qname)).join(', ') || 'the earlier candidates'}` });
    }
  } else if (w.unknownFrom !== null) {
    verdict = 'unknown';
    certainty = 'unknown';
  } else if (w.last === 'nodata' || (w.last === 'nxdomain' && w.sawNodata)) {
    verdict = 'nxdomain';
    reasons.push({ code: 'NODATA', severity: 'info', message: `the name exists but has no ${type} record (NOERROR with an empty answer)` });
  } else if (w.last === 'servfail') verdict = 'servfail';
  else if (w.last === 'timeout') verdict = 'timeout';
  else verdict = 'nxdomain';

  if (verdict !== 'resolved' && !input.server) {
    const holders = dockerNameHolders(cx.state, qname).filter((h) => h.container.id !== owner.id);
    if (holders.length) {
      explainDockerName(cx.state, owner, holders, env.hasEmbedded, reasons, input.name);
      if (verdict === 'unknown' && (type === 'A' || type === 'AAAA')) {
        // Upstream servers do not know Docker's container names.
        verdict = 'nxdomain';
        certainty = 'inferred';
        reasons.push({ code: 'UPSTREAM_DOES_NOT_KNOW_CONTAINERS', severity: 'info', message: `the question goes to upstream servers, which do not know Docker's container names: expect NXDOMAIN` });
      }
    }
  }
  if (verdict === 'unknown') {
    reasons.push({ code: 'UPSTREAM_ANSWER_UNKNOWN', severity: 'info', message: 'the answer comes from an upstream server the snapshot cannot predict; run against the live daemon to query it' });
  }
  return { ...cx.base, verdict: verdict!, certainty, answers: w.answers, answerMode: w.answerMode, candidates, steps: cx.steps, reasons, resolver: env.resolver, missing: cx.missing };
}

function describeMembers(byNetwork: Array<{ network: string; data: string[]; members: EmbeddedMember[] }>, cand: string, add: (r: DnsReason) => void): void {
  for (const g of byNetwork) {
    const cs = [...new Map(g.members.map((m) => [m.container.id, m])).values()];
    if (cs.length < 2) continue;
    const services = new Set(cs.map((m) => (m.container.compose ? `${m.container.compose.project}/${m.container.compose.service}` : null)));
    const sameService = services.size === 1 && !services.has(null);
    const nameClash = cs.some((m) => m.via === 'name');
    if (sameService) {
      add({ code: 'ROUND_ROBIN', severity: 'info', message: `"${cand}" on ${g.network} is ${cs.length} replicas of one service: all addresses come back, shuffled (round robin)` });
    } else if (nameClash || services.size > 1) {
      add({ code: 'AMBIGUOUS_ALIAS', severity: 'warning', message: `"${cand}" on ${g.network} belongs to unrelated containers (${cs.map((m) => m.container.name).join(', ')}): clients get any of them` });
    } else {
      add({ code: 'SHARED_ALIAS', severity: 'info', message: `"${cand}" on ${g.network} is an alias shared by ${cs.map((m) => m.container.name).join(', ')}: all addresses come back, shuffled (round robin)` });
    }
  }
  if (byNetwork.length > 1) {
    add({ code: 'MULTI_NETWORK_NAME', severity: 'warning', message: `"${cand}" exists on several networks of the querier (${byNetwork.map((g) => `${g.network}: ${g.data.join(', ')}`).join('; ')}); the embedded DNS answers from one of them` });
  }
}

function explainDockerName(
  state: NetworkState,
  owner: Container,
  holders: Array<{ container: Container; networks: string[] }>,
  hasEmbedded: boolean,
  reasons: DnsReason[],
  asked: string,
): void {
  const mine = new Set(owner.endpoints.map((e) => e.networkName));
  const targetNames = holders.map((h) => h.container.name).join(', ');
  if (!hasEmbedded) {
    const onlyBridge = owner.endpoints.length > 0 && owner.endpoints.every((e) => !isUserDefined(viewOf(state).networkOf(e), e));
    reasons.push({
      code: 'DEFAULT_BRIDGE_NO_DNS',
      severity: 'error',
      message: onlyBridge
        ? `${owner.name} is only on the default bridge, which has no embedded DNS: "${asked}" (${targetNames}) cannot be resolved by name there; put both on a user-defined network, or use --link / --add-host`
        : `${owner.name} has no embedded DNS (network mode ${owner.networkMode.kind}), so container names such as "${asked}" do not resolve`,
    });
    return;
  }
  for (const h of holders) {
    if (!h.container.running) {
      reasons.push({ code: 'TARGET_NOT_RUNNING', severity: 'error', message: `${h.container.name} is ${h.container.state}; the embedded DNS answers only for running containers` });
      continue;
    }
    const shared = h.networks.filter((n) => mine.has(n));
    const sharedUser = shared.filter((n) => isUserDefined(viewOf(state).network(null, n), { networkName: n } as never));
    if (sharedUser.length === 0) {
      if (shared.length) {
        reasons.push({ code: 'DEFAULT_BRIDGE_NO_DNS', severity: 'error', message: `${owner.name} and ${h.container.name} share only the default bridge, which has no name resolution; use a user-defined network` });
      } else {
        reasons.push({
          code: 'NAME_NOT_ON_SHARED_NETWORK',
          severity: 'error',
          message: `"${asked}" is ${h.container.name} on ${h.networks.join(', ') || 'no network'}, but ${owner.name} is on ${[...mine].join(', ') || 'no network'}; the embedded DNS only answers for networks the querier is attached to (docker network connect ${h.networks[0] ?? 'NET'} ${owner.name})`,
        });
      }
    }
  }
}
