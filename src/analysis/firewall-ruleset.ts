// `--ruleset FILE` mode of `firewall trace` / `firewall lint`: a plain iptables-save (or nft -j)
// document with no snapshot around it, so the packet is described by the caller (IPs,
// interfaces, path) instead of being built from the model. Pure: the command reads the file.

import { InputError } from '../model/errors.js';
import { worstFirst } from '../model/finding.js';
import {
  compileRuleset,
  detectDockerDialect,
  evaluate,
  lintRuleset,
  parseIptablesSave,
  parseNftJson,
  FirewallParseError,
  type Family,
  type LintFinding,
  type Ruleset,
} from '../firewall/index.js';
import { familyOf } from '../firewall/addr.js';
import type { FirewallTrace, FlowCtState, PortProtocol } from './firewall-flow.js';

export interface RulesetFlow {
  from: string;
  to: string;
  port: number;
  protocol: PortProtocol;
  ctState: FlowCtState;
  inIface?: string;
  outIface?: string;
  path: 'forward' | 'input' | 'output';
  local: string[];
  ipsetSave: string | null;
}

/** Parse a ruleset document (iptables-save text, or nft JSON when it starts with `{`). */
export function parseRulesetText(text: string, label: string, family?: Family): Ruleset {
  try {
    if (text.trimStart().startsWith('{')) return parseNftJson(text, family ? { family } : {});
    return parseIptablesSave(text, family ? { family } : {});
  } catch (e) {
    if (e instanceof FirewallParseError) throw new InputError(`${label}: ${e.message}`, e.hint);
    if (e instanceof InputError) throw new InputError(`${label}: ${e.message}`, e.hint);
    throw e;
  }
}

export function traceRuleset(text: string, label: string, f: RulesetFlow): FirewallTrace {
  const fs = familyOf(f.from);
  const fd = familyOf(f.to);
  if (!fs) throw new InputError(`with --ruleset, --from must be an IP address (got "${f.from}")`);
  if (!fd) throw new InputError(`with --ruleset, --to must be an IP address (got "${f.to}")`);
  if (fs !== fd) throw new InputError(`--from ${f.from} and --to ${f.to} are of different address families`);
  for (const a of f.local) if (!familyOf(a)) throw new InputError(`--local "${a}" is not an IP address`);
  const rs = parseRulesetText(text, label, fs);
  if (rs.family !== fs) throw new InputError(`${label} is an ${rs.family} ruleset but the addresses are ${fs}`);
  const compiled = compileRuleset(rs);
  const local = new Set(f.local);
  const notes: string[] = [];
  if (f.path !== 'output' && f.inIface === undefined) notes.push('no --in given: rules that test the in interface cannot be decided');
  if (f.path !== 'input' && f.outIface === undefined) notes.push('no --out given: rules that test the out interface cannot be decided');
  if (f.local.length === 0) notes.push('no --local addresses given: -m addrtype LOCAL is decided from --path alone');
  const packet = {
    family: fs,
    src: f.from,
    dst: f.to,
    protocol: f.protocol,
    sport: null,
    dport: f.port,
    ctState: f.ctState,
    path: f.path,
    ...(f.inIface !== undefined ? { inIface: f.inIface } : {}),
    ...(f.outIface !== undefined ? { outIface: f.outIface } : {}),
    srcLocal: f.path === 'output' ? true : f.local.length ? local.has(f.from) : undefined,
    dstLocal: f.path === 'input' ? true : f.local.length ? local.has(f.to) : f.path === 'forward' ? false : undefined,
  };
  const r = evaluate(compiled, packet, { localAddresses: f.local.length ? f.local : undefined, ipsetSave: f.ipsetSave });
  const end = (spec: string, iface: string | undefined) => ({ spec, kind: 'ip' as const, name: null, containerId: null, ip: spec, network: null, iface: iface ?? null });
  const t: FirewallTrace = {
    from: end(f.from, f.inIface),
    to: end(f.to, f.outIface),
    port: f.port,
    protocol: f.protocol,
    state: f.ctState,
    family: fs,
    verdict: r.verdict,
    packet: { ...packet, notes },
    path: r.path,
    decidedBy: r.decidedBy,
    natSteps: r.natSteps,
    reasons: r.reasons,
    hooks: r.hooks,
    finalPacket: r.finalPacket,
    dialect: detectDockerDialect(rs),
    rulesetSource: rs.format,
  };
  if (r.branches) t.branches = r.branches;
  return t;
}

/** A lint finding with the address family of the ruleset it came from (`firewall lint --json`). */
export interface LintJsonFinding extends LintFinding {
  family: string;
}

export interface LintResult {
  findings: LintJsonFinding[];
  rulesets: Array<{ family: Family; source: string; format: string; rules: number; dialect: string }>;
  summary: string[];
}

/** Lint each given ruleset text. A parse error of a `--ruleset` file is bad input (exit 2). */
export function lintTexts(inputs: Array<{ family: Family | null; text: string; source: string }>, fileLabel: string | null): LintResult {
  const out: LintResult = { findings: [], rulesets: [], summary: [] };
  for (const inp of inputs) {
    let rs: Ruleset;
    try {
      rs = parseRulesetText(inp.text, fileLabel ?? inp.source, inp.family ?? undefined);
    } catch (e) {
      if (fileLabel) throw e;
      out.findings.push({ code: 'FW_RULESET_UNPARSEABLE', severity: 'error', family: inp.family ?? 'ipv4', message: `the captured ${inp.source} output could not be parsed: ${(e as Error).message}`, rules: [] });
      continue;
    }
    let rules = 0;
    for (const t of Object.values(rs.tables)) for (const c of Object.values(t.chains)) rules += c.rules.length;
    const dialect = detectDockerDialect(rs);
    out.rulesets.push({ family: rs.family, source: inp.source, format: rs.format, rules, dialect: dialect.dialect });
    out.summary.push(`${inp.source}: ${rs.family}, ${rules} rules, Docker layout ${dialect.dialect}${rs.backend ? `, ${rs.backend} backend` : ''}`);
    for (const f of lintRuleset(rs)) out.findings.push({ ...f, family: rs.family });
  }
  out.findings.sort(worstFirst);
  return out;
}
