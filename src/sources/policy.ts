// Reads a gate policy (`netsleuth gate POLICY.yaml`): a list of declarative expectations about a
// network state. The YAML subset is the compose reader's (src/sources/compose.ts); this module
// only checks the policy's own shape, strictly: an unknown key, a bad address or a bad port is an
// error naming `file:line`, never a silently ignored expectation. docs/gate.md documents the format.

import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { InputError, SourceError } from '../model/errors.js';
import { SEVERITIES, type Severity } from '../model/finding.js';
import type {
  AllowedBinding,
  DnsExpectation,
  Expectation,
  ExpectationBase as Base,
  ExposedExpectation,
  NoConflictsExpectation,
  NoFindingsExpectation,
  Policy,
  ReachExpectation,
  Selector,
} from '../model/policy.js';
import { REACH_EXPECTATIONS, SELECTOR_NAME, type ReachExpect } from '../model/policy.js';
import { PORT_MAX, PORT_MIN, validPort } from '../model/port.js';
import { ComposeError, parseYamlOrJson, type YamlNode } from './compose.js';

export class PolicyError extends InputError {
  readonly file: string;
  readonly line: number | null;
  constructor(file: string, line: number | null, reason: string) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${reason}`, 'See docs/gate.md for the policy format.');
    this.file = file;
    this.line = line;
  }
}

type MapNode = Extract<YamlNode, { t: 'map' }>;
type ScalarNode = Extract<YamlNode, { t: 'scalar' }>;

const KINDS = ['reach', 'no-conflicts', 'no-findings', 'dns', 'exposed'] as const;

class Reader {
  constructor(private readonly file: string) {}

  fail(line: number | null, reason: string): never {
    throw new PolicyError(this.file, line, reason);
  }

  map(n: YamlNode, what: string): MapNode {
    if (n.t !== 'map') this.fail(n.line, `${what} must be a mapping`);
    return n as MapNode;
  }

  /** Checks keys against the allowed set and returns a lookup. */
  fields(m: MapNode, what: string, allowed: readonly string[], required: readonly string[] = []): Map<string, { line: number; value: YamlNode }> {
    const out = new Map<string, { line: number; value: YamlNode }>();
    for (const e of m.entries) {
      if (!allowed.includes(e.key)) this.fail(e.line, `${what}: unknown key "${e.key}" (allowed: ${allowed.join(', ')})`);
      out.set(e.key, { line: e.line, value: e.value });
    }
    for (const r of required) if (!out.has(r)) this.fail(m.line, `${what}: "${r}" is required`);
    return out;
  }

  string(n: YamlNode, what: string): string {
    if (n.t !== 'scalar' || n.value === null || typeof n.value === 'boolean') this.fail(n.line, `${what} must be a string`);
    const s = String((n as ScalarNode).value);
    if (s.trim() === '') this.fail(n.line, `${what} must not be empty`);
    return s;
  }

  bool(n: YamlNode, what: string): boolean {
    if (n.t !== 'scalar' || typeof n.value !== 'boolean') this.fail(n.line, `${what} must be true or false`);
    return (n as ScalarNode).value as boolean;
  }

  list(n: YamlNode, what: string): YamlNode[] {
    if (n.t === 'seq') return n.items;
    if (n.t === 'scalar' && n.value !== null) return [n]; // a single value where a list is allowed
    this.fail(n.line, `${what} must be a list`);
  }

  port(text: string, line: number, what: string): number {
    if (!/^\d{1,5}$/.test(text)) this.fail(line, `${what}: "${text}" is not a port number`);
    const p = Number(text);
    if (!validPort(p)) this.fail(line, `${what}: port ${p} is out of range (${PORT_MIN}-${PORT_MAX})`);
    return p;
  }

  address(text: string, line: number, what: string): string {
    const s = text.replace(/^\[|\]$/g, '');
    if (!isIP(s)) this.fail(line, `${what}: "${text}" is not an IP address`);
    return s;
  }
}

/** A FROM/TO subject: a name, an id prefix, `host`, or an address — which must then be valid. */
function subject(r: Reader, n: YamlNode, what: string): string {
  const s = r.string(n, what);
  if (/^[\d.]+$/.test(s) || (s.includes(':') && /^[0-9a-f:.[\]]+$/i.test(s))) r.address(s, n.line, what);
  return s;
}

const NAME = SELECTOR_NAME;
const SELECTOR_KINDS = ['service', 'network'] as const;

function selectorOf(r: Reader, kind: string, value: string, line: number, what: string): Selector {
  const v = value.trim();
  if (kind === 'service') {
    const m = /^(?:([^/]+)\/)?([^/]+)$/.exec(v);
    if (!m || (m[1] !== undefined && !NAME.test(m[1])) || !NAME.test(m[2]!)) r.fail(line, `${what}: "${value}" is not a Compose service (SERVICE or PROJECT/SERVICE, e.g. shop/web)`);
    return { kind: 'service', project: m[1] ?? null, service: m[2]!, text: `service:${v}` };
  }
  if (!NAME.test(v)) r.fail(line, `${what}: "${value}" is not a network name or id`);
  return { kind: 'network', network: v, text: `network:${v}` };
}

/**
 * FROM/TO of a reach: one subject (as `reach` names it), or a selector that expands to every
 * running container of a Compose service or on a network — `{service: shop/web}`,
 * `"service:web"`, `{network: shop_back}`, `"network:shop_back"` (docs/gate.md, "Selectors").
 */
function selector(r: Reader, n: YamlNode, what: string): Selector {
  if (n.t === 'map') {
    const m = n as MapNode;
    if (m.entries.length !== 1 || !(SELECTOR_KINDS as readonly string[]).includes(m.entries[0]!.key)) {
      const bad = m.entries.find((e) => !(SELECTOR_KINDS as readonly string[]).includes(e.key));
      r.fail(bad?.line ?? m.line, `${what}: a selector has exactly one key, service or network${bad ? ` (found "${bad.key}")` : ''}`);
    }
    const e = m.entries[0]!;
    return selectorOf(r, e.key, r.string(e.value, `${what}.${e.key}`), e.value.line, `${what}.${e.key}`);
  }
  const s = r.string(n, what);
  const prefixed = /^([A-Za-z-]+):(.*)$/.exec(s.trim());
  if (prefixed && !isIP(s.replace(/^\[|\]$/g, ''))) {
    const kind = prefixed[1]!.toLowerCase();
    if (kind !== 'service' && kind !== 'network') r.fail(n.line, `${what}: unknown selector "${prefixed[1]}:" (use service:NAME, network:NAME, or a container name)`);
    if (prefixed[2]!.trim() === '') r.fail(n.line, `${what}: "${s}" names no ${kind}`);
    return selectorOf(r, kind, prefixed[2]!, n.line, what);
  }
  return { kind: 'subject', text: subject(r, n, what) };
}

function parseReach(r: Reader, body: YamlNode, base: Base): ReachExpectation {
  const f = r.fields(r.map(body, 'reach'), 'reach', ['from', 'to', 'port', 'protocol', 'expect'], ['from', 'to', 'expect']);
  const from = selector(r, f.get('from')!.value, 'reach.from');
  const to = selector(r, f.get('to')!.value, 'reach.to');
  const expect = r.string(f.get('expect')!.value, 'reach.expect');
  if (!(REACH_EXPECTATIONS as readonly string[]).includes(expect.toLowerCase())) r.fail(f.get('expect')!.line, `reach.expect must be one of ${REACH_EXPECTATIONS.join(', ')}, got "${expect}"`);
  let port: number | null = null;
  let protocol: ReachExpectation['protocol'] | null = null;
  const pf = f.get('port');
  if (pf) {
    const text = r.string(pf.value, 'reach.port');
    const m = /^([^/]+)(?:\/(.*))?$/.exec(text)!;
    port = r.port(m[1]!, pf.line, 'reach.port');
    if (m[2] !== undefined) {
      const p = m[2].toLowerCase();
      if (p !== 'tcp' && p !== 'udp') r.fail(pf.line, `reach.port: protocol "${m[2]}" must be tcp or udp`);
      protocol = p;
    }
  }
  const prf = f.get('protocol');
  if (prf) {
    const p = r.string(prf.value, 'reach.protocol').toLowerCase();
    if (p !== 'tcp' && p !== 'udp' && p !== 'icmp') r.fail(prf.line, `reach.protocol must be tcp, udp or icmp, got "${p}"`);
    if (protocol && protocol !== p) r.fail(prf.line, `reach.protocol ${p} contradicts reach.port's /${protocol}`);
    if (p === 'icmp' && port !== null) r.fail(prf.line, 'reach.protocol icmp takes no port');
    if (p !== 'icmp' && port === null) r.fail(prf.line, `reach.protocol ${p} needs a port`);
    protocol = p as ReachExpectation['protocol'];
  }
  return { ...base, kind: 'reach', from, to, port, protocol: port === null ? 'icmp' : (protocol ?? 'tcp'), expect: expect.toLowerCase() as ReachExpect };
}

function parseNoConflicts(r: Reader, body: YamlNode, base: Base): NoConflictsExpectation {
  if (body.t === 'scalar') {
    if (body.value !== true) r.fail(body.line, 'no-conflicts takes true or a mapping with "ports"');
    return { ...base, kind: 'no-conflicts', ports: null };
  }
  const f = r.fields(r.map(body, 'no-conflicts'), 'no-conflicts', ['ports']);
  const pf = f.get('ports');
  return { ...base, kind: 'no-conflicts', ports: pf ? r.list(pf.value, 'no-conflicts.ports').map((n) => r.port(r.string(n, 'no-conflicts.ports'), n.line, 'no-conflicts.ports')) : null };
}

function parseNoFindings(r: Reader, body: YamlNode, base: Base): NoFindingsExpectation {
  if (body.t === 'scalar') {
    if (body.value !== true) r.fail(body.line, 'no-findings takes true or a mapping with "codes" and/or "severity"');
    return { ...base, kind: 'no-findings', codes: null, severity: 'warning' };
  }
  const f = r.fields(r.map(body, 'no-findings'), 'no-findings', ['codes', 'severity']);
  let codes: string[] | null = null;
  const cf = f.get('codes');
  if (cf) {
    codes = r.list(cf.value, 'no-findings.codes').map((n) => {
      const c = r.string(n, 'no-findings.codes');
      if (!/^[A-Z][A-Z0-9_]*$/.test(c)) r.fail(n.line, `no-findings.codes: "${c}" is not a finding code (UPPER_SNAKE_CASE, e.g. PORT_ALLOCATED_BY_CONTAINER)`);
      return c;
    });
  }
  let severity: Severity = codes ? 'info' : 'warning';
  const sf = f.get('severity');
  if (sf) {
    const s = r.string(sf.value, 'no-findings.severity');
    if (!SEVERITIES.includes(s as Severity)) r.fail(sf.line, `no-findings.severity must be error, warning or info, got "${s}"`);
    severity = s as Severity;
  }
  return { ...base, kind: 'no-findings', codes, severity };
}

function parseDns(r: Reader, body: YamlNode, base: Base): DnsExpectation {
  const f = r.fields(r.map(body, 'dns'), 'dns', ['from', 'name', 'type', 'resolves-to', 'resolves'], ['from', 'name']);
  const from = r.string(f.get('from')!.value, 'dns.from');
  const name = r.string(f.get('name')!.value, 'dns.name');
  let type: DnsExpectation['type'] = 'A';
  const tf = f.get('type');
  if (tf) {
    const t = r.string(tf.value, 'dns.type').toUpperCase();
    if (t !== 'A' && t !== 'AAAA') r.fail(tf.line, `dns.type must be A or AAAA, got "${t}"`);
    type = t;
  }
  const rt = f.get('resolves-to');
  const rs = f.get('resolves');
  if (rt && rs) r.fail(rs.line, 'dns: give "resolves-to" or "resolves", not both');
  if (!rt && !rs) r.fail(body.line, 'dns: "resolves-to" (addresses) or "resolves" (true/false) is required');
  let resolvesTo: string[] | null = null;
  if (rt) {
    resolvesTo = r.list(rt.value, 'dns.resolves-to').map((n) => {
      const a = r.address(r.string(n, 'dns.resolves-to'), n.line, 'dns.resolves-to');
      if ((isIP(a) === 4) !== (type === 'A')) r.fail(n.line, `dns.resolves-to: ${a} is not an ${type === 'A' ? 'IPv4' : 'IPv6'} address (type ${type})`);
      return a;
    });
    if (resolvesTo.length === 0) r.fail(rt.line, 'dns.resolves-to must list at least one address (use resolves: false for "does not resolve")');
  }
  return { ...base, kind: 'dns', from, name, type, resolvesTo, resolves: rs ? r.bool(rs.value, 'dns.resolves') : null };
}

function parseAllowed(r: Reader, n: YamlNode): AllowedBinding {
  const text = r.string(n, 'exposed.allow');
  // [ip:]port[-end][/proto]; IPv6 in brackets.
  const m = /^(?:(\[[^\]]+\]|[^:[\]/]+):)?(\d+)(?:-(\d+))?(?:\/([a-z]+))?$/i.exec(text.trim());
  if (!m) r.fail(n.line, `exposed.allow: "${text}" is not [address:]port[-end][/tcp|udp|sctp]`);
  const hostIp = m[1] ? r.address(m[1], n.line, 'exposed.allow') : null;
  const port = r.port(m[2]!, n.line, 'exposed.allow');
  const portEnd = m[3] ? r.port(m[3], n.line, 'exposed.allow') : port;
  if (portEnd < port) r.fail(n.line, `exposed.allow: range ${port}-${portEnd} ends before it starts`);
  const proto = m[4]?.toLowerCase() ?? null;
  if (proto !== null && proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') r.fail(n.line, `exposed.allow: protocol "${m[4]}" must be tcp, udp or sctp`);
  return { hostIp, port, portEnd, protocol: proto as AllowedBinding['protocol'], text };
}

function parseExposed(r: Reader, body: YamlNode, base: Base): ExposedExpectation {
  const f = r.fields(r.map(body, 'exposed'), 'exposed', ['allow', 'ignore-loopback'], ['allow']);
  const a = f.get('allow')!;
  const allow = a.value.t === 'scalar' && a.value.value === null ? [] : r.list(a.value, 'exposed.allow').map((n) => parseAllowed(r, n));
  const il = f.get('ignore-loopback');
  return { ...base, kind: 'exposed', allow, ignoreLoopback: il ? r.bool(il.value, 'exposed.ignore-loopback') : false };
}

export function parsePolicy(text: string, file: string): Policy {
  let root: YamlNode;
  try {
    root = parseYamlOrJson(text, file);
  } catch (e) {
    if (e instanceof ComposeError) throw new PolicyError(file, e.line, e.reason);
    throw e;
  }
  const r = new Reader(file);
  const top = r.fields(r.map(root, 'the top level of a policy'), 'policy', ['version', 'expect'], ['expect']);
  const v = top.get('version');
  if (v && !(v.value.t === 'scalar' && v.value.value === 1)) r.fail(v.line, 'only policy version 1 exists');
  const list = top.get('expect')!;
  if (list.value.t !== 'seq') r.fail(list.line, '"expect" must be a list of expectations');
  const expectations: Expectation[] = [];
  for (const item of (list.value as Extract<YamlNode, { t: 'seq' }>).items) {
    const m = r.map(item, 'each expectation');
    const kinds = m.entries.filter((e) => (KINDS as readonly string[]).includes(e.key));
    for (const e of m.entries) {
      if (e.key !== 'label' && !(KINDS as readonly string[]).includes(e.key)) r.fail(e.line, `unknown expectation "${e.key}" (one of: ${KINDS.join(', ')}; plus an optional "label")`);
    }
    if (kinds.length !== 1) r.fail(m.line, kinds.length ? `one expectation per list item, found ${kinds.map((k) => k.key).join(' and ')}` : 'the item names no expectation');
    const k = kinds[0]!;
    const labelEntry = m.entries.find((e) => e.key === 'label');
    const base: Base = { line: k.line, label: labelEntry ? r.string(labelEntry.value, 'label') : null };
    switch (k.key as (typeof KINDS)[number]) {
      case 'reach':
        expectations.push(parseReach(r, k.value, base));
        break;
      case 'no-conflicts':
        expectations.push(parseNoConflicts(r, k.value, base));
        break;
      case 'no-findings':
        expectations.push(parseNoFindings(r, k.value, base));
        break;
      case 'dns':
        expectations.push(parseDns(r, k.value, base));
        break;
      case 'exposed':
        expectations.push(parseExposed(r, k.value, base));
        break;
    }
  }
  if (expectations.length === 0) r.fail(list.line, '"expect" is empty: a gate with no expectations would always pass');
  return { file, expectations };
}

/** Reads and parses a policy file. Errors: PolicyError/InputError (exit 2), SourceError (exit 3). */
export async function readPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such policy file`);
    if (code === 'EISDIR') throw new InputError(`${file}: is a directory, not a policy file`);
    throw new SourceError(`${file}: cannot read the policy file (${code ?? (e as Error).message})`);
  }
  return parsePolicy(text, file);
}
