import type { SnapshotSummary } from '../analysis/summary.js';
import { sanitize } from './sanitize.js';
import { renderTable } from './table.js';

export function renderSnapshotSummary(s: SnapshotSummary, label: string): string {
  const out: string[] = [];
  const c = s.capture;
  const who = [c.by?.user, c.by?.hostname].filter(Boolean).join('@');
  out.push(sanitize(`Snapshot  ${label}`));
  out.push(sanitize(`Captured  ${c.time}${who ? ` by ${who}` : ''} with ${c.tool.name} ${c.tool.version} from ${c.source.endpoint}`));
  for (const h of s.hosts) {
    const fwd = h.ipv4Forwarding === null ? 'ip_forward unknown' : h.ipv4Forwarding ? 'ip_forward on' : 'ip_forward OFF';
    const api = h.apiVersion ? ` (API ${h.apiVersion}${h.negotiatedApiVersion && h.negotiatedApiVersion !== h.apiVersion ? `, spoke ${h.negotiatedApiVersion}` : ''})` : '';
    out.push(sanitize(`Host      ${h.name}  Docker ${h.dockerVersion ?? 'unknown'}${api}  ${h.os ?? ''}  kernel ${h.kernel ?? 'unknown'}  ${fwd}`));
    const missing = h.evidence.filter((e) => e.status !== 'ok');
    const okList = h.evidence.filter((e) => e.status === 'ok').map((e) => e.section);
    out.push(sanitize(`Evidence  ok: ${okList.join(', ') || 'none'}`));
    for (const e of missing) out.push(sanitize(`          ${e.status}: ${e.section} — ${e.reason ?? 'no reason recorded'}`));
  }
  if (c.vanished?.length) {
    out.push(sanitize(`Vanished  ${c.vanished.map((v) => `${v.name || v.id.slice(0, 12)} (${v.reason})`).join(', ')}`));
  }
  for (const w of c.warnings ?? []) out.push(sanitize(`Warning   ${w}`));

  out.push('', `NETWORKS (${s.networks.length})`);
  out.push(
    renderTable(s.networks, [
      { header: 'NAME', value: (n) => n.name },
      { header: 'DRIVER', value: (n) => n.driver },
      { header: 'SCOPE', value: (n) => n.scope },
      { header: 'SUBNET', value: (n) => n.subnets.join(',') || '-' },
      { header: 'GATEWAY', value: (n) => n.gateways.join(',') || '-' },
      { header: 'BRIDGE', value: (n) => n.bridge ?? '-' },
      {
        header: 'FLAGS',
        value: (n) => [n.internal && 'internal', n.attachable && 'attachable', n.ingress && 'ingress', n.ipv6 && 'ipv6'].filter(Boolean).join(',') || '-',
      },
      { header: 'CONTAINERS', value: (n) => String(n.containers), align: 'right' },
    ]),
  );

  out.push('', `CONTAINERS (${s.containers.length})`);
  out.push(
    renderTable(s.containers, [
      { header: 'NAME', value: (x) => x.name },
      { header: 'STATE', value: (x) => x.state },
      { header: 'MODE', value: (x) => x.networkMode },
      {
        header: 'ADDRESSES',
        value: (x) => x.addresses.map((a) => `${a.network}=${[a.ipv4, a.ipv6].filter(Boolean).join(',') || '-'}`).join(' ') || '-',
      },
      { header: 'PUBLISHED', value: (x) => x.published.join(' ') || '-' },
      { header: 'COMPOSE', value: (x) => (x.compose ? `${x.compose.project}/${x.compose.service}` : '-') },
    ]),
  );
  return out.join('\n');
}
