// Lint a parsed ruleset: shadowed rules, rules in chains nothing jumps to, operator DROP/REJECT
// rules in FORWARD placed after Docker's rules (where they do not affect container traffic),
// published ports that bypass a host firewall's INPUT policy (the classic ufw surprise), and
// constructs the engine does not understand. Every finding says why.

import { netSubset, netsIntersect } from './addr.js';
import { describeMatch } from './parse-iptables.js';
import type { LintFinding, Match, Rule, Ruleset } from './types.js';

export interface LintOptions {
  /** Skip the O(n²) shadowing check for chains longer than this (default 5000). */
  maxShadowChain?: number;
}

const ref = (r: Rule) => ({ table: r.table, chain: r.chain, index: r.index, text: r.text });

function terminating(r: Rule): boolean {
  return r.target.kind === 'verdict' || r.target.kind === 'return' || r.target.kind === 'dnat' || r.target.kind === 'snat' || r.target.kind === 'masquerade' || r.target.kind === 'redirect' || r.target.kind === 'goto';
}

function actionOf(r: Rule): string {
  const t = r.target;
  switch (t.kind) {
    case 'verdict':
      return t.verdict;
    case 'jump':
    case 'goto':
      return `${t.kind} ${t.chain}`;
    default:
      return t.kind.toUpperCase();
  }
}

/** Does the set of packets matching `js` (all of them) lie inside the packets matching `m`? */
function implied(m: Match, js: Match[]): boolean {
  switch (m.kind) {
    case 'comment':
      return true;
    case 'addr':
      return js.some((j) => {
        if (j.kind !== 'addr' || j.dir !== m.dir) return false;
        if (!m.neg) return !j.neg && netSubset(j.words, j.mask, m.words, m.mask);
        if (!j.neg) return !netsIntersect(j.words, j.mask, m.words, m.mask);
        return netSubset(m.words, m.mask, j.words, j.mask);
      });
    case 'iface':
      return js.some((j) => {
        if (j.kind !== 'iface' || j.dir !== m.dir) return false;
        if (!m.neg) {
          if (j.neg) return false;
          return m.iface.wildcard ? j.iface.name.startsWith(m.iface.name) : !j.iface.wildcard && j.iface.name === m.iface.name;
        }
        if (!j.neg) {
          // j: -i X; m: ! -i Y → implied when X can never be Y.
          if (m.iface.wildcard) return !j.iface.name.startsWith(m.iface.name) && !(j.iface.wildcard && m.iface.name.startsWith(j.iface.name));
          return j.iface.wildcard ? !m.iface.name.startsWith(j.iface.name) : j.iface.name !== m.iface.name;
        }
        return j.iface.name === m.iface.name && j.iface.wildcard === m.iface.wildcard;
      });
    case 'proto':
      if (m.proto === 0 && !m.neg) return true;
      return js.some((j) => j.kind === 'proto' && !j.neg && (m.neg ? j.proto !== m.proto && j.proto !== 0 : j.proto === m.proto));
    case 'port':
      if (m.neg || m.dir === 'any') return js.some((j) => j.kind === 'port' && describeMatch(j) === describeMatch(m));
      return js.some((j) => j.kind === 'port' && !j.neg && j.dir === m.dir && j.ranges.every(([a, b]) => m.ranges.some(([c, d]) => c <= a && b <= d)));
    case 'ctstate':
      if (m.neg) return js.some((j) => j.kind === 'ctstate' && describeMatch(j) === describeMatch(m));
      return js.some((j) => j.kind === 'ctstate' && !j.neg && j.states.every((s) => m.states.includes(s)));
    default: {
      const d = describeMatch(m);
      return js.some((j) => describeMatch(j) === d);
    }
  }
}

function shadows(i: Rule, j: Rule): boolean {
  for (const m of i.matches) if (!implied(m, j.matches)) return false;
  return true;
}

const DOCKER_CHAIN = /^DOCKER($|[-_])/;

function isDockerRule(r: Rule): boolean {
  if ((r.target.kind === 'jump' || r.target.kind === 'goto') && DOCKER_CHAIN.test(r.target.chain)) return true;
  return r.matches.some((m) => m.kind === 'iface' && (/^(docker0|br-[0-9a-f]{12})$/.test(m.iface.name) || m.iface.name === 'docker_gwbridge'));
}

export function lintRuleset(rs: Ruleset, opts: LintOptions = {}): LintFinding[] {
  const out: LintFinding[] = [];
  const maxShadow = opts.maxShadowChain ?? 5000;

  for (const table of Object.values(rs.tables)) {
    // Shadowed rules.
    for (const chain of Object.values(table.chains)) {
      const rules = chain.rules;
      if (rules.length > maxShadow) continue;
      for (let j = 1; j < rules.length; j++) {
        const rj = rules[j]!;
        for (let i = 0; i < j; i++) {
          const ri = rules[i]!;
          if (!terminating(ri) || ri.unknown.length > 0) continue;
          if (!shadows(ri, rj)) continue;
          const same = actionOf(ri) === actionOf(rj);
          out.push({
            code: 'FW_SHADOWED_RULE',
            severity: same ? 'info' : 'warning',
            message: `rule ${rj.index} in ${table.name}/${chain.name} can never match: rule ${ri.index} before it matches every packet it would (${describeMatches(ri)}) and ends the chain with ${actionOf(ri)}${same ? ' (same action: the later rule is redundant)' : `, while the shadowed rule would ${actionOf(rj)}`}`,
            rules: [ref(rj), ref(ri)],
          });
          break;
        }
      }
    }

    // User chains nothing jumps to.
    const referenced = new Set<string>();
    for (const c of Object.values(table.chains)) for (const r of c.rules) if (r.target.kind === 'jump' || r.target.kind === 'goto') referenced.add(r.target.chain);
    for (const c of Object.values(table.chains)) {
      if (c.builtin || referenced.has(c.name) || c.rules.length === 0 || c.hook) continue;
      out.push({
        code: 'FW_DEAD_CHAIN',
        severity: 'warning',
        message: `chain ${table.name}/${c.name} has ${c.rules.length} rule(s) but no rule jumps to it, so none of them is ever evaluated`,
        rules: c.rules.map(ref),
      });
    }
  }

  // Operator DROP/REJECT rules in FORWARD after Docker's rules.
  const fwd = rs.tables['filter']?.chains['FORWARD'];
  if (fwd) {
    const firstDocker = fwd.rules.find(isDockerRule);
    if (firstDocker) {
      for (const r of fwd.rules) {
        if (r.index <= firstDocker.index || isDockerRule(r)) continue;
        if (r.target.kind !== 'verdict' || r.target.verdict === 'ACCEPT') continue;
        out.push({
          code: 'FW_RULE_AFTER_DOCKER_ACCEPT',
          severity: 'warning',
          message: `rule ${r.index} in filter/FORWARD (${r.target.verdict}) comes after Docker's rule ${firstDocker.index} (${firstDocker.text}); container traffic that Docker's chains accept never reaches it, so it does not protect containers — put it in DOCKER-USER, which Docker evaluates first (match the original destination with -m conntrack --ctorigdst/--ctorigdstport, as DOCKER-USER sees packets after DNAT)`,
          rules: [ref(r), ref(firstDocker)],
        });
      }
    }
  }

  // Published ports bypass a host firewall's INPUT policy.
  const input = rs.tables['filter']?.chains['INPUT'];
  const nat = rs.tables['nat'];
  if (input && nat) {
    const last = input.rules[input.rules.length - 1];
    const catchAllDrop = last && last.target.kind === 'verdict' && last.target.verdict !== 'ACCEPT' && last.matches.every((m) => m.kind === 'comment');
    if (input.policy === 'DROP' || catchAllDrop) {
      const dnat = Object.values(nat.chains)
        .filter((c) => c.name !== 'POSTROUTING' && c.name !== 'INPUT')
        .flatMap((c) => c.rules)
        .filter((r) => r.target.kind === 'dnat' && !r.matches.some((m) => m.kind === 'iface' && m.dir === 'in' && !m.neg && m.iface.name === 'lo'));
      if (dnat.length) {
        const ports = dnat.flatMap((r) => r.matches.filter((m) => m.kind === 'port' && m.dir === 'dst' && !m.neg).map((m) => describeMatch(m).replace(/^.*--dports? /, '')));
        out.push({
          code: 'FW_UFW_BYPASS',
          severity: 'warning',
          message: `the host firewall drops unsolicited input (${input.policy === 'DROP' ? 'filter/INPUT policy DROP' : `catch-all rule ${last!.index} in filter/INPUT`}), but ${dnat.length} DNAT rule(s) in the nat table forward ${ports.length ? `port(s) ${[...new Set(ports)].join(', ')}` : 'traffic'} to containers: DNAT happens in PREROUTING, the packets are then forwarded (filter/FORWARD), never pass INPUT, and are reachable despite the host firewall — restrict them in DOCKER-USER or publish on 127.0.0.1`,
          rules: dnat.map(ref),
        });
      }
    }
  }

  // Constructs the engine does not understand.
  for (const u of rs.unknowns) {
    out.push({
      code: u.kind === 'target' ? 'FW_UNKNOWN_TARGET' : 'FW_UNKNOWN_MATCH',
      severity: 'info',
      message: `line ${u.line}: ${u.kind} "${u.name}" (${u.text}) in ${u.table}/${u.chain} is not modelled; verdicts that depend on it are reported as unknown`,
      rules: findRule(rs, u.table, u.chain, u.line),
    });
  }
  return out;
}

function describeMatches(r: Rule): string {
  const m = r.matches.filter((x) => x.kind !== 'comment').map(describeMatch);
  return m.length ? m.join(' ') : 'no conditions: every packet';
}

function findRule(rs: Ruleset, table: string, chain: string, line: number) {
  const r = rs.tables[table]?.chains[chain]?.rules.find((x) => x.line === line);
  return r ? [ref(r)] : [];
}
