// The `ports` command's result: JSON shape (docs/ports.md: {conflicts: [{hostIp, hostPort, protocol,
// claimants}], findings}) plus its human rendering. Every name from the state or a compose file
// passes through sanitize() (renderTable sanitizes its cells).

import type { Claimant, PortConflict, PortsResult } from '../analysis/ports.js';
import { countBySeverity, type Finding } from '../model/finding.js';
import { formatHostPort } from '../analysis/ports-addr.js';
import { fitTable, paintSeverity } from './paint.js';
import { sanitize } from './sanitize.js';
import { hang, makeTerm, type Term } from './term.js';

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

export function renderPorts(r: PortsReport, term: Term = makeTerm()): string {
  const out: string[] = [];
  const para = (text: string, first = '', indent = first.length) => out.push(...hang(sanitize(text), term.width, first, indent));
  const c = r.claims;
  para(
    `Host ports — ${r.origin === 'snapshot' ? 'snapshot' : 'live daemon'} ${r.source}` +
      (r.compose ? `, planned by ${r.compose.file} (project ${r.compose.project}, ${r.compose.planned} binding(s))` : ''),
    '',
    2,
  );
  para(`claims checked: ${c.container} container binding(s), ${c['host-network-container']} host-network listener(s), ${c['host-process']} host process listener(s), ${c.planned} planned`, '', 2);
  out.push('');
  if (r.conflicts.length === 0) out.push(`CONFLICTS: ${term.c.green('none')}`);
  else {
    out.push(term.c.red(`CONFLICTS (${r.conflicts.length})`));
    const rows: Array<{ at: string; c: Claimant }> = [];
    for (const cf of r.conflicts) {
      cf.claimants.forEach((cl, i) => rows.push({ at: i === 0 ? `${formatHostPort(cf.hostIp, cf.hostPort, cf.hostPortEnd)}/${cf.protocol}` : '', c: cl }));
    }
    // The evidence path of each claim is detail: --verbose adds the column.
    out.push(
      fitTable(term, rows, [
        { header: 'CONFLICT', value: (x) => x.at },
        { header: 'CLAIMANT', value: (x) => x.c.name, shrink: 'truncate', min: 10 },
        { header: 'KIND', value: (x) => kind(x.c), shrink: 'truncate' },
        { header: 'STATE', value: (x) => (x.c.active ? x.c.state : `${x.c.state} (inactive)`), shrink: 'wrap', min: 8 },
        { header: 'BINDING', value: (x) => `${binding(x.c)}/${x.c.protocol}`, shrink: 'wrap', min: term.width >= 70 ? 21 : 12 },
        ...(term.verbose ? [{ header: 'EVIDENCE', value: (x: { c: Claimant }) => x.c.evidence, shrink: 'wrap' as const }] : []),
      ]),
    );
  }
  out.push('');
  if (r.findings.length === 0) out.push(`FINDINGS: ${term.c.green('none')}`);
  else {
    const n = countBySeverity(r.findings);
    out.push(`FINDINGS (${paintSeverity(term, 'error', `${n.error} error`)}, ${paintSeverity(term, 'warning', `${n.warning} warning`)}, ${paintSeverity(term, 'info', `${n.info} info`)})`);
    r.findings.forEach((f, i) => {
      const head = hang(sanitize(`${f.code}: ${f.title}`), term.width, `${i + 1}. [${f.severity}] `, 3);
      out.push(head[0]!.replace(`[${f.severity}]`, `[${paintSeverity(term, f.severity)}]`), ...head.slice(1));
      para(f.message, '   ');
      for (const e of f.evidence) para(e, '   evidence: ', 5);
      para(f.remediation, '   fix: ', 8);
    });
  }
  if (r.notes.length) {
    out.push('');
    out.push('NOTES');
    for (const n2 of r.notes) para(n2, '- ');
  }
  return out.join('\n');
}
