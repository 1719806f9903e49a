// Reads the port bindings a compose file plans (`services.<name>.ports`), to check them against
// the current state before deploying (`netsleuth ports --compose FILE`).
//
// JSON compose files are read as JSON. For YAML there is deliberately no YAML library: a small,
// strict parser accepts the subset compose files use (docs/ports.md lists it) and rejects anything
// else with `file:line` and a reason, rather than guessing.

import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, dirname, resolve } from 'node:path';
import { InputError, SourceError } from '../model/errors.js';
import type { PlannedBinding, PortProtocol as Protocol } from '../model/plan.js';

export class ComposeError extends InputError {
  readonly file: string;
  readonly line: number | null;
  /** The reason alone, without `file:line:`, for readers that reuse the YAML subset. */
  readonly reason: string;
  constructor(file: string, line: number | null, reason: string) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${reason}`, 'Convert the file with `docker compose config --format json > compose.json` and pass that, or see docs/ports.md for the supported YAML subset.');
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

export interface ComposePlan {
  project: string;
  file: string;
  services: string[];
  planned: PlannedBinding[];
  notes: string[];
}

// ------------------------------------------------------------------------------------------------
// A tiny YAML-subset tree with line numbers.

type Node =
  | { t: 'map'; line: number; entries: Array<{ key: string; line: number; value: Node }> }
  | { t: 'seq'; line: number; items: Node[] }
  | { t: 'scalar'; line: number; value: string | number | boolean | null; quoted: boolean };

interface Line {
  no: number;
  indent: number;
  text: string; // without indentation and comment, trimmed right
}

class YamlSubset {
  private lines: Line[] = [];
  private i = 0;
  constructor(
    private readonly file: string,
    text: string,
  ) {
    const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    let started = false;
    for (let n = 0; n < raw.length; n++) {
      const src = raw[n]!;
      const no = n + 1;
      const m = /^( *)(.*)$/.exec(src)!;
      const body = m[2]!;
      if (/^\t/.test(body) && stripComment(body, file, no).trim() !== '') this.fail(no, 'tab used for indentation (YAML allows spaces only)');
      const text2 = stripComment(body, file, no).trimEnd();
      if (text2.trim() === '') continue;
      if (text2 === '---') {
        if (started) this.fail(no, 'a second YAML document ("---") is not supported');
        started = true;
        continue;
      }
      if (text2 === '...') this.fail(no, 'document end marker "..." is not supported');
      if (m[1]!.length === 0 && text2.startsWith('%')) this.fail(no, 'YAML directives are not supported');
      started = true;
      this.lines.push({ no, indent: m[1]!.length, text: text2 });
    }
  }

  fail(line: number | null, reason: string): never {
    throw new ComposeError(this.file, line, reason);
  }

  parse(): Node {
    if (this.lines.length === 0) this.fail(1, 'the file is empty');
    const first = this.lines[0]!;
    if (first.indent !== 0) this.fail(first.no, 'the top level must start at column 1');
    const node = this.block(0);
    if (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      this.fail(l.no, 'unexpected indentation');
    }
    return node;
  }

  /** Parses a block (mapping or sequence) whose lines have exactly `indent`. */
  private depth = 0;
  private block(indent: number): Node {
    const l = this.lines[this.i]!;
    if (++this.depth > 64) this.fail(l.no, 'nesting deeper than 64 levels');
    try {
      if (l.text.startsWith('- ') || l.text === '-') return this.seq(indent);
      return this.map(indent);
    } finally {
      this.depth--;
    }
  }

  private seq(indent: number): Node {
    const start = this.lines[this.i]!;
    const items: Node[] = [];
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (l.indent < indent) break;
      if (l.indent > indent) this.fail(l.no, 'unexpected indentation');
      if (!(l.text.startsWith('- ') || l.text === '-')) {
        this.fail(l.no, 'expected a "- " sequence item at this indentation');
      }
      const rest = l.text === '-' ? '' : l.text.slice(2);
      const restTrim = rest.trimStart();
      const innerIndent = indent + 2 + (rest.length - restTrim.length);
      if (restTrim === '') {
        this.i++;
        const next = this.lines[this.i];
        if (!next || next.indent <= indent) items.push({ t: 'scalar', line: l.no, value: null, quoted: false });
        else items.push(this.block(next.indent));
      } else if (restTrim.startsWith('- ')) {
        this.fail(l.no, 'nested sequences on one line ("- - x") are not supported');
      } else if (findMapColon(restTrim, this.file, l.no) >= 0) {
        // "- key: value" starts a mapping whose further keys are indented to align with "key"
        this.lines[this.i] = { no: l.no, indent: innerIndent, text: restTrim };
        items.push(this.map(innerIndent));
      } else {
        this.i++;
        items.push(this.scalarOrFlow(restTrim, l.no, innerIndent));
      }
    }
    return { t: 'seq', line: start.no, items };
  }

  private map(indent: number): Node {
    const start = this.lines[this.i]!;
    const entries: Array<{ key: string; line: number; value: Node }> = [];
    const seen = new Set<string>();
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (l.indent < indent) break;
      if (l.indent > indent) this.fail(l.no, 'unexpected indentation');
      if (l.text.startsWith('- ')) this.fail(l.no, 'a sequence item where a "key: value" was expected');
      const colon = findMapColon(l.text, this.file, l.no);
      if (colon < 0) this.fail(l.no, `expected "key: value", got "${short(l.text)}"`);
      const key = this.key(l.text.slice(0, colon).trim(), l.no);
      if (key === '<<') this.fail(l.no, 'merge keys ("<<") are not supported');
      if (seen.has(key)) this.fail(l.no, `duplicate key "${key}"`);
      seen.add(key);
      const rest = l.text.slice(colon + 1).trim();
      this.i++;
      if (rest === '') {
        const next = this.lines[this.i];
        if (next && next.indent > indent) entries.push({ key, line: l.no, value: this.block(next.indent) });
        else if (next && next.indent === indent && (next.text.startsWith('- ') || next.text === '-')) {
          // compose style: "ports:" followed by "- ..." at the same indentation
          entries.push({ key, line: l.no, value: this.seq(indent) });
        } else entries.push({ key, line: l.no, value: { t: 'scalar', line: l.no, value: null, quoted: false } });
      } else {
        entries.push({ key, line: l.no, value: this.scalarOrFlow(rest, l.no, indent) });
      }
    }
    return { t: 'map', line: start.no, entries };
  }

  private key(text: string, line: number): string {
    if (text === '') this.fail(line, 'empty mapping key');
    if (text.startsWith('"') || text.startsWith("'")) {
      const s = parseQuoted(text, 0, this.file, line);
      if (s.end !== text.length) this.fail(line, `unexpected text after quoted key: "${short(text)}"`);
      return s.value;
    }
    if (/^[&*!?|>{[]/.test(text) || text.startsWith('@') || text.startsWith('`')) this.fail(line, `unsupported key syntax "${short(text)}" (anchors, aliases, tags and complex keys are outside the subset)`);
    return text;
  }

  private scalarOrFlow(text: string, line: number, parentIndent: number): Node {
    if (text.startsWith('|') || text.startsWith('>')) {
      if (!/^[|>][+-]?[1-9]?$/.test(text)) this.fail(line, `unsupported block scalar header "${short(text)}"`);
      // Block scalar: take every following line indented deeper than the parent.
      const parts: string[] = [];
      while (this.i < this.lines.length && this.lines[this.i]!.indent > parentIndent) {
        parts.push(this.lines[this.i]!.text);
        this.i++;
      }
      return { t: 'scalar', line, value: parts.join(text.startsWith('|') ? '\n' : ' '), quoted: true };
    }
    if (text.startsWith('[') || text.startsWith('{')) {
      const p = new FlowParser(text, this.file, line);
      const node = p.value();
      p.end();
      return node;
    }
    return scalar(text, line, this.file);
  }
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Removes a trailing comment (" #..." or a line starting with "#") outside quotes. */
function stripComment(s: string, file: string, line: number): string {
  let q: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (q) {
      if (q === '"' && ch === '\\') i++;
      else if (ch === q) {
        if (q === "'" && s[i + 1] === "'") i++;
        else q = null;
      }
      continue;
    }
    if ((ch === '"' || ch === "'") && (i === 0 || /[\s[{,:-]/.test(s[i - 1]!))) q = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  if (q) throw new ComposeError(file, line, 'unterminated quoted string (multi-line quoted scalars are not supported)');
  return s;
}

/** Index of the ": " (or final ":") that separates a mapping key, outside quotes and brackets; -1 if none. */
function findMapColon(s: string, file: string, line: number): number {
  let i = 0;
  if (s.startsWith('"') || s.startsWith("'")) i = parseQuoted(s, 0, file, line).end;
  else if (s.startsWith('[') || s.startsWith('{')) return -1;
  for (; i < s.length; i++) {
    if (s[i] === ':' && (i + 1 === s.length || s[i + 1] === ' ')) return i;
    if (s[i] === ' ' && s[i + 1] === '#') return -1;
  }
  return -1;
}

function parseQuoted(s: string, at: number, file: string, line: number): { value: string; end: number } {
  const q = s[at]!;
  let out = '';
  for (let i = at + 1; i < s.length; i++) {
    const ch = s[i]!;
    if (q === "'") {
      if (ch === "'") {
        if (s[i + 1] === "'") {
          out += "'";
          i++;
          continue;
        }
        return { value: out, end: i + 1 };
      }
      out += ch;
    } else {
      if (ch === '"') return { value: out, end: i + 1 };
      if (ch === '\\') {
        const e = s[++i];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '/': '/', '0': '\0', ' ': ' ' };
        if (e === undefined || !(e in map)) throw new ComposeError(file, line, `unsupported escape "\\${e ?? ''}" in a double-quoted string`);
        out += map[e];
        continue;
      }
      out += ch;
    }
  }
  throw new ComposeError(file, line, 'unterminated quoted string (multi-line quoted scalars are not supported)');
}

function scalar(text: string, line: number, file: string): Node {
  if (text.startsWith('"') || text.startsWith("'")) {
    const q = parseQuoted(text, 0, file, line);
    if (text.slice(q.end).trim() !== '') throw new ComposeError(file, line, `unexpected text after a quoted string: "${short(text)}"`);
    return { t: 'scalar', line, value: q.value, quoted: true };
  }
  if (/^[&*!]/.test(text)) throw new ComposeError(file, line, `anchors, aliases and tags ("${short(text)}") are outside the supported YAML subset`);
  if (/^[@`%]/.test(text)) throw new ComposeError(file, line, `a plain scalar cannot start with "${text[0]}"`);
  if (/^[|>]/.test(text)) throw new ComposeError(file, line, 'unexpected block scalar indicator');
  if (/: /.test(text) || text.endsWith(':')) throw new ComposeError(file, line, `nested mapping on one line ("${short(text)}") is not supported`);
  if (/^(null|Null|NULL|~)$/.test(text)) return { t: 'scalar', line, value: null, quoted: false };
  if (/^(true|True|TRUE)$/.test(text)) return { t: 'scalar', line, value: true, quoted: false };
  if (/^(false|False|FALSE)$/.test(text)) return { t: 'scalar', line, value: false, quoted: false };
  if (/^[-+]?\d+$/.test(text)) return { t: 'scalar', line, value: Number(text), quoted: false };
  return { t: 'scalar', line, value: text, quoted: false };
}

/** Flow collections on one line: [a, "b", {k: v}] and {k: v, k2: [x]}. */
class FlowParser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly file: string,
    private readonly line: number,
  ) {}
  private fail(reason: string): never {
    throw new ComposeError(this.file, this.line, reason);
  }
  private ws(): void {
    while (this.s[this.i] === ' ') this.i++;
  }
  end(): void {
    this.ws();
    if (this.i !== this.s.length) this.fail(`unexpected text after a flow collection: "${short(this.s.slice(this.i))}" (multi-line flow collections are not supported)`);
  }
  private depth = 0;
  value(): Node {
    if (++this.depth > 64) this.fail('flow collection nested deeper than 64 levels');
    try {
      return this.value1();
    } finally {
      this.depth--;
    }
  }
  private value1(): Node {
    this.ws();
    const ch = this.s[this.i];
    if (ch === undefined) this.fail('unterminated flow collection (multi-line flow collections are not supported)');
    if (ch === '[') {
      this.i++;
      const items: Node[] = [];
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return { t: 'seq', line: this.line, items };
      }
      for (;;) {
        items.push(this.value());
        this.ws();
        const c = this.s[this.i];
        if (c === ',') {
          this.i++;
          this.ws();
          if (this.s[this.i] === ']') {
            this.i++;
            return { t: 'seq', line: this.line, items };
          }
          continue;
        }
        if (c === ']') {
          this.i++;
          return { t: 'seq', line: this.line, items };
        }
        this.fail(c === undefined ? 'unterminated flow sequence (multi-line flow collections are not supported)' : `expected "," or "]" in a flow sequence, got "${c}"`);
      }
    }
    if (ch === '{') {
      this.i++;
      const entries: Array<{ key: string; line: number; value: Node }> = [];
      const seen = new Set<string>();
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return { t: 'map', line: this.line, entries };
      }
      for (;;) {
        const k = this.value();
        if (k.t !== 'scalar' || k.value === null) this.fail('flow mapping keys must be plain or quoted scalars');
        this.ws();
        if (this.s[this.i] !== ':') this.fail('expected ":" after a flow mapping key');
        this.i++;
        const key = String(k.value);
        if (seen.has(key)) this.fail(`duplicate key "${key}"`);
        seen.add(key);
        entries.push({ key, line: this.line, value: this.value() });
        this.ws();
        const c = this.s[this.i];
        if (c === ',') {
          this.i++;
          continue;
        }
        if (c === '}') {
          this.i++;
          return { t: 'map', line: this.line, entries };
        }
        this.fail(c === undefined ? 'unterminated flow mapping (multi-line flow collections are not supported)' : `expected "," or "}" in a flow mapping, got "${c}"`);
      }
    }
    if (ch === '"' || ch === "'") {
      const q = parseQuoted(this.s, this.i, this.file, this.line);
      this.i = q.end;
      return { t: 'scalar', line: this.line, value: q.value, quoted: true };
    }
    // plain scalar in flow context: up to , ] } or ": "
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === ',' || c === ']' || c === '}') break;
      if (c === ':' && (this.s[this.i + 1] === ' ' || this.s[this.i + 1] === undefined || this.s[this.i + 1] === ',' || this.s[this.i + 1] === '}')) break;
      if (c === '[' || c === '{') this.fail(`unexpected "${c}" inside a plain scalar`);
      this.i++;
    }
    const text = this.s.slice(start, this.i).trim();
    if (text === '') this.fail('empty value in a flow collection');
    return scalar(text, this.line, this.file);
  }
}

// ------------------------------------------------------------------------------------------------
// JSON → the same tree (lines from the text, so errors still point somewhere useful)

function jsonToNode(v: unknown, line: number): Node {
  if (Array.isArray(v)) return { t: 'seq', line, items: v.map((x) => jsonToNode(x, line)) };
  if (v !== null && typeof v === 'object') {
    return { t: 'map', line, entries: Object.entries(v as Record<string, unknown>).map(([key, value]) => ({ key, line, value: jsonToNode(value, line) })) };
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return { t: 'scalar', line, value: v, quoted: typeof v === 'string' };
  return { t: 'scalar', line, value: null, quoted: false };
}

/** Where JSON.parse gave up: its reported position, or the shortest failing prefix (binary search). */
function jsonErrorOffset(text: string, message: string): number | null {
  const m = /position (\d+)/.exec(message);
  if (m && Number(m[1]) < text.length) return Number(m[1]);
  const endError = (n: number): boolean => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      const pm = /position (\d+)/.exec(msg);
      return /end of JSON input/.test(msg) || (pm !== null && Number(pm[1]) >= n);
    }
  };
  let lo = 0;
  let hi = text.length;
  if (endError(hi)) return null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (endError(mid)) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

function parseJson(text: string, file: string): Node {
  try {
    return jsonToNode(JSON.parse(text), 1);
  } catch (e) {
    const msg = (e as Error).message;
    const at = jsonErrorOffset(text, msg);
    const line = at !== null ? text.slice(0, at).split('\n').length : null;
    const reason = /^Unexpected token/.test(msg) ? msg.split(',')[0]! : msg.replace(/ in JSON at position \d+.*$/, '').split('\n')[0]!;
    throw new ComposeError(file, line, `invalid JSON: ${reason}`);
  }
}

// ------------------------------------------------------------------------------------------------

/** The tree other strict readers (gate policies) walk: mappings, sequences and scalars with lines. */
export type YamlNode = Node;

/**
 * Parses JSON (when the text starts with "{") or the YAML subset into a tree with line numbers.
 * Errors are ComposeError; callers that are not compose readers re-wrap them (see `reason`).
 */
export function parseYamlOrJson(text: string, file: string): YamlNode {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  return trimmed.startsWith('{') ? parseJson(text, file) : new YamlSubset(file, text).parse();
}

/** Compose's project name normalization: lower case, [a-z0-9_-], starting with a letter or digit. */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function portRange(text: string, what: string, fail: (r: string) => never): [number, number | null] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) fail(`${what} "${text}" is not a port or port range`);
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : null;
  if (a < 0 || a > 65535 || (b !== null && (b > 65535 || b < a))) fail(`${what} "${text}" is out of range (0-65535, start ≤ end)`);
  return [a, b !== null && b !== a ? b : null];
}

/** Parses one short-syntax port: "80", "8080:80", "127.0.0.1:8080:80/udp", "8000-8010:80", "[::1]:53:53/udp". */
export function parseShortPort(spec: string, fail: (reason: string) => never): Omit<PlannedBinding, 'project' | 'service' | 'source' | 'mode'>[] {
  const s = spec.trim();
  if (s.includes('${') || s.includes('$')) fail(`"${s}": variable interpolation is not supported (resolve it with \`docker compose config\`)`);
  let protocol: Protocol = 'tcp';
  let body = s;
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const p = s.slice(slash + 1).toLowerCase();
    if (!PROTOCOLS.has(p)) fail(`"${s}": unknown protocol "${p}" (tcp, udp or sctp)`);
    protocol = p as Protocol;
    body = s.slice(0, slash);
  }
  let ip = '';
  let hostPart: string | null = null;
  let ctrPart: string;
  const br = /^\[([^\]]*)\]:(.*)$/.exec(body);
  if (br) {
    ip = br[1]!;
    const rest = br[2]!.split(':');
    if (rest.length !== 2) fail(`"${s}": expected [IP]:HOST:CONTAINER`);
    hostPart = rest[0]!;
    ctrPart = rest[1]!;
  } else {
    const parts = body.split(':');
    if (parts.length === 1) ctrPart = parts[0]!;
    else if (parts.length === 2) {
      hostPart = parts[0]!;
      ctrPart = parts[1]!;
    } else {
      ctrPart = parts.pop()!;
      hostPart = parts.pop()!;
      ip = parts.join(':');
    }
  }
  if (ip !== '' && isIP(ip) === 0) fail(`"${s}": "${ip}" is not an IP address`);
  const [cStart, cEnd] = portRange(ctrPart, 'container port', fail);
  if (cStart === 0) fail(`"${s}": container port 0 is not valid`);
  let hStart: number | null = null;
  let hEnd: number | null = null;
  if (hostPart !== null && hostPart !== '') {
    [hStart, hEnd] = portRange(hostPart, 'host port', fail);
    if (hStart === 0) {
      hStart = null;
      hEnd = null;
    }
  }
  const cLen = (cEnd ?? cStart) - cStart;
  if (hStart !== null) {
    const hLen = (hEnd ?? hStart) - hStart;
    if (cLen > 0 && hLen !== cLen) fail(`"${s}": host and container port ranges differ in length`);
    if (cLen === 0 && hLen > 0) {
      // Docker picks one free port from the host range: no fixed claim.
      return [{ hostIp: ip, hostPort: null, hostPortEnd: null, containerPort: cStart, containerPortEnd: null, protocol }];
    }
  }
  return [{ hostIp: ip, hostPort: hStart, hostPortEnd: hEnd, containerPort: cStart, containerPortEnd: cEnd, protocol }];
}

const LONG_KEYS = new Set(['target', 'published', 'host_ip', 'protocol', 'mode', 'app_protocol', 'name']);

export function planFromText(text: string, file: string, opts: { defaultProject: string }): ComposePlan {
  const root = parseYamlOrJson(text, file);
  const fail = (line: number | null, reason: string): never => {
    throw new ComposeError(file, line, reason);
  };
  if (root.t !== 'map') fail(root.line, 'the top level of a compose file must be a mapping');
  const top = root as Extract<Node, { t: 'map' }>;
  const get = (m: Extract<Node, { t: 'map' }>, k: string) => m.entries.find((e) => e.key === k);
  const nameEntry = get(top, 'name');
  let project = normalizeProjectName(opts.defaultProject);
  if (nameEntry) {
    const v = nameEntry.value;
    if (v.t !== 'scalar' || typeof v.value !== 'string' || v.value === '') fail(nameEntry.line, '"name" must be a non-empty string');
    const raw = (v as Extract<Node, { t: 'scalar' }>).value as string;
    if (raw.includes('$')) fail(nameEntry.line, '"name": variable interpolation is not supported (resolve it with `docker compose config`)');
    project = normalizeProjectName(raw);
  }
  if (!project) fail(nameEntry?.line ?? null, 'cannot derive a project name (give the file a top-level "name:")');
  const servicesEntry = get(top, 'services');
  if (!servicesEntry) fail(null, 'no "services" section');
  const services = servicesEntry!.value;
  const notes: string[] = [];
  const planned: PlannedBinding[] = [];
  const names: string[] = [];
  if (services.t === 'scalar' && services.value === null) return { project, file, services: [], planned, notes };
  if (services.t !== 'map') fail(servicesEntry!.line, '"services" must be a mapping of service names');
  for (const svc of (services as Extract<Node, { t: 'map' }>).entries) {
    names.push(svc.key);
    if (svc.value.t === 'scalar' && svc.value.value === null) continue;
    if (svc.value.t !== 'map') fail(svc.line, `service "${svc.key}" must be a mapping`);
    const sm = svc.value as Extract<Node, { t: 'map' }>;
    const portsEntry = get(sm, 'ports');
    if (!portsEntry) continue;
    const nm = get(sm, 'network_mode');
    const netMode = nm && nm.value.t === 'scalar' ? String(nm.value.value) : null;
    if (netMode === 'host') {
      notes.push(`${file}:${portsEntry.line}: service "${svc.key}" uses network_mode: host, so its ports are discarded and were not checked`);
      continue;
    }
    const ports = portsEntry.value;
    if (ports.t === 'scalar' && ports.value === null) continue;
    if (ports.t !== 'seq') fail(portsEntry.line, `service "${svc.key}": "ports" must be a list`);
    let idx = 0;
    for (const item of (ports as Extract<Node, { t: 'seq' }>).items) {
      const source = `${file}:${item.line}`;
      const where = `service "${svc.key}" ports[${idx++}]`;
      const itemFail = (reason: string): never => fail(item.line, `${where}: ${reason}`);
      if (item.t === 'scalar') {
        if (item.value === null || typeof item.value === 'boolean') itemFail('expected a port string such as "8080:80"');
        const text = String(item.value);
        for (const b of parseShortPort(text, itemFail)) planned.push({ ...b, project, service: svc.key, mode: null, source });
      } else if (item.t === 'map') {
        const f = (k: string) => item.entries.find((e) => e.key === k)?.value;
        for (const e of item.entries) if (!LONG_KEYS.has(e.key)) fail(e.line, `${where}: unknown key "${e.key}" in long port syntax`);
        const str = (n: Node | undefined, k: string): string | null => {
          if (!n || (n.t === 'scalar' && n.value === null)) return null;
          if (n.t !== 'scalar' || typeof n.value === 'boolean') itemFail(`"${k}" must be a string or number`);
          const s = String((n as Extract<Node, { t: 'scalar' }>).value);
          if (s.includes('$')) itemFail(`"${k}": variable interpolation is not supported (resolve it with \`docker compose config\`)`);
          return s;
        };
        const target = str(f('target'), 'target');
        if (target === null) itemFail('long syntax needs "target"');
        const [cStart, cEnd] = portRange(target!, 'target', itemFail);
        if (cStart === 0) itemFail('target port 0 is not valid');
        const published = str(f('published'), 'published');
        const hostIp = str(f('host_ip'), 'host_ip') ?? '';
        const protocol = (str(f('protocol'), 'protocol') ?? 'tcp').toLowerCase();
        if (!PROTOCOLS.has(protocol)) itemFail(`unknown protocol "${protocol}"`);
        const mode = str(f('mode'), 'mode');
        if (mode !== null && mode !== 'ingress' && mode !== 'host') itemFail(`mode must be "ingress" or "host", got "${mode}"`);
        const spec = `${hostIp ? (hostIp.includes(':') ? `[${hostIp}]:` : `${hostIp}:`) : ''}${published !== null ? `${published}:` : ''}${cEnd !== null ? `${cStart}-${cEnd}` : cStart}/${protocol}`;
        for (const b of parseShortPort(spec, itemFail)) planned.push({ ...b, project, service: svc.key, mode: mode as PlannedBinding['mode'], source });
      } else {
        itemFail('expected a port string or a mapping (long syntax)');
      }
    }
  }
  return { project, file, services: names, planned, notes };
}

/** Reads a compose file (JSON, or the YAML subset). Errors: ComposeError (exit 2) or SourceError (exit 3). */
export async function readComposePlan(file: string): Promise<ComposePlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${file}: no such compose file`);
    if (code === 'EISDIR') throw new InputError(`${file}: is a directory, not a compose file`);
    throw new SourceError(`${file}: cannot read the compose file (${code ?? (e as Error).message})`);
  }
  return planFromText(text, file, { defaultProject: basename(dirname(resolve(file))) });
}
