// COMPOSE_SIBLING_UNREACHABLE: a container cannot reach a container of its own compose project
// over a network they share, on a port the destination exposes. Compose puts a project's services
// on shared networks so they talk; a blocked path there is almost always a mistake (a DOCKER-USER
// rule, icc=false, a stale firewall). Uses the reach analysis (lean); pure: no I/O.

import type { Container } from '../../model/types.js';
import { analyzeReach } from '../reach.js';
import { asView, bareName, type StateInput } from '../../model/view.js';
import type { Gap, StateCheckResult } from './state-checks.js';
import type { Finding } from './types.js';

const bare = bareName;

/** Ports a container serves: exposed ports and the container side of its bindings. */
function servicePorts(c: Container): Array<{ port: number; protocol: 'tcp' | 'udp' }> {
  const seen = new Map<string, { port: number; protocol: 'tcp' | 'udp' }>();
  for (const p of [...c.exposedPorts.map((e) => ({ port: e.port, protocol: e.protocol })), ...c.publishedPorts.map((b) => ({ port: b.containerPort, protocol: b.protocol }))]) {
    if (p.protocol === 'tcp' || p.protocol === 'udp') seen.set(`${p.port}/${p.protocol}`, { port: p.port, protocol: p.protocol });
  }
  return [...seen.values()].sort((a, b) => a.port - b.port);
}

export function composeSiblingUnreachable(input: StateInput): StateCheckResult {
  const view = asView(input);
  const state = view.state;
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  const byProject = new Map<string, Container[]>();
  for (const c of state.containers) {
    if (!c.running || !c.compose || c.compose.oneoff) continue;
    const l = byProject.get(c.compose.project);
    if (l) l.push(c);
    else byProject.set(c.compose.project, [c]);
  }
  const missing = new Set<string>();
  for (const [project, members] of byProject) {
    if (members.length < 2) continue;
    for (const a of members) {
      const ao = view.namespaceOwner(a);
      if (!ao) continue;
      for (const b of members) {
        if (a === b) continue;
        const bo = view.namespaceOwner(b);
        if (!bo || bo === ao) continue;
        const shared = ao.endpoints.filter((e) => bo.endpoints.some((f) => f.networkId === e.networkId)).map((e) => e.networkName);
        if (shared.length === 0) continue; // not meant to talk directly
        const blocked: Array<{ spec: string; code: string; message: string }> = [];
        for (const p of servicePorts(b)) {
          const r = analyzeReach(view, { from: { kind: 'container', label: bare(a.name), container: a, matchedBy: 'id' }, to: { kind: 'container', label: bare(b.name), container: b, matchedBy: 'id' }, port: p.port, protocol: p.protocol }, { lean: true });
          if (r.verdict === 'blocked') blocked.push({ spec: `${p.port}/${p.protocol}`, code: r.blocking[0]!.code, message: r.blocking[0]!.message });
          else if (r.verdict === 'unknown') for (const x of r.reasons) if (/EVIDENCE|UNAVAILABLE/.test(x.code)) missing.add(`${x.code}: ${x.message}`);
        }
        if (blocked.length === 0) continue;
        findings.push({
          code: 'COMPOSE_SIBLING_UNREACHABLE',
          severity: 'error',
          title: `${bare(a.name)} cannot reach its compose sibling ${bare(b.name)}`,
          message: `In compose project ${project}, ${bare(a.name)} and ${bare(b.name)} share ${shared.join(', ')}, but ${bare(a.name)} cannot reach ${bare(b.name)} on ${blocked.map((x) => x.spec).join(', ')}: ${blocked[0]!.message}`,
          subjects: [bare(a.name), bare(b.name), ...shared],
          evidence: blocked.map((x) => `reach ${bare(a.name)} → ${bare(b.name)} ${x.spec}: blocked (${x.code}) — ${x.message}`),
          remediation: `Run \`netsleuth reach ${bare(a.name)} ${bare(b.name)} --port ${blocked[0]!.spec}\` for every hop; remove or narrow the rule it names (DOCKER-USER is the place for operator rules), or put the services on a network with inter-container communication on.`,
        });
      }
    }
  }
  const host = view.host();
  for (const m of [...missing].slice(0, 3)) gaps.push({ check: 'COMPOSE_SIBLING_UNREACHABLE', host: host?.name ?? 'host', section: 'reach evidence', reason: m });
  return { findings, gaps };
}
