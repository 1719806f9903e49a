// The `ports` command's result: JSON shape (docs/ports.md: {conflicts: [{hostIp, hostPort, protocol,
// claimants}], findings}) plus its human rendering. Every name from the state or a compose file
// passes through sanitize() (renderTable sanitizes its cells).

import type { Claimant, PortConflict, PortsResult } from '../analysis/ports.js';
import { countBySeverity, type Finding } from '../model/finding.js';
import { formatHostPort } from '../analysis/ports-addr.js';
import { sanitize } from './sanitize.js';
import { renderTable } from './table.js';

export interface PortsReport {
  source: string;
  origin: 'snapshot' | 'live';
  compose: { file: string; project: string; services: string[]; planned: number } | null;
  conflicts: PortConflict[];
  findings: Finding[];
  notes: string[];
  claims: PortsResult['claims'];
}

function binding(c: Claimant): string {
  const host = formatHostPort(c.hostIp, c.hostPort, c.hostPortEnd);
  return c.containerPort !== null ? `${host}->${c.containerPort}` : host;
}

function kind(c: Claimant): string {
  switch (c.kind) {
    case 'container':
      return 'container';
    case 'host-network-container':
      return 'host-net ctr';
    case 'host-process':
      return 'host process';
    case 'planned':
      return 'planned';
  }
}

export function renderPorts(r: PortsReport): string {
  const out: string[] = [];
  const c = r.claims;
  out.push(
    sanitize(
      `Host ports — ${r.origin === 'snapshot' ? 'snapshot' : 'live daemon'} ${r.source}` +
        (r.compose ? `, planned by ${r.compose.file} (project ${r.compose.project}, ${r.compose.planned} binding(s))` : ''),
    ),
  );
  out.push(`claims checked: ${c.container} container binding(s), ${c['host-network-container']} host-network listener(s), ${c['host-process']} host process listener(s), ${c.planned} planned`);
  out.push('');
  if (r.conflicts.length === 0) out.push('CONFLICTS: none');
  else {
    out.push(`CONFLICTS (${r.conflicts.length})`);
    const rows: Array<{ at: string; c: Claimant }> = [];
    for (const cf of r.conflicts) {
      cf.claimants.forEach((cl, i) => rows.push({ at: i === 0 ? `${formatHostPort(cf.hostIp, cf.hostPort, cf.hostPortEnd)}/${cf.protocol}` : '', c: cl }));
    }
    out.push(
      renderTable(rows, [
        { header: 'CONFLICT', value: (x) => x.at },
        { header: 'CLAIMANT', value: (x) => x.c.name },
        { header: 'KIND', value: (x) => kind(x.c) },
        { header: 'STATE', value: (x) => (x.c.active ? x.c.state : `${x.c.state} (inactive)`) },
        { header: 'BINDING', value: (x) => `${binding(x.c)}/${x.c.protocol}` },
        { header: 'EVIDENCE', value: (x) => x.c.evidence },
      ]),
    );
  }
  out.push('');
  if (r.findings.length === 0) out.push('FINDINGS: none');
  else {
    const n = countBySeverity(r.findings);
    out.push(`FINDINGS (${n.error} error, ${n.warning} warning, ${n.info} info)`);
    r.findings.forEach((f, i) => {
      out.push(sanitize(`${i + 1}. [${f.severity}] ${f.code}: ${f.title}`));
      out.push(sanitize(`   ${f.message}`));
      for (const e of f.evidence) out.push(sanitize(`   evidence: ${e}`));
      out.push(sanitize(`   fix: ${f.remediation}`));
    });
  }
  if (r.notes.length) {
    out.push('');
    out.push('NOTES');
    for (const n2 of r.notes) out.push(sanitize(`- ${n2}`));
  }
  return out.join('\n');
}
