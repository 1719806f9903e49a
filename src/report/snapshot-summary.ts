import type { SnapshotSummary } from '../analysis/summary.js';
import { fitTable, paintVerdict } from './paint.js';
import { sanitize } from './sanitize.js';
import { hang, makeTerm, type Term } from './term.js';

/** The longest space-separated word of any row: a wrap column is not made narrower than that. */
function longestWord(values: string[]): number {
  return Math.max(6, ...values.flatMap((v) => v.split(' ').map((w) => w.length)));
}

export function renderSnapshotSummary(s: SnapshotSummary, label: string, term: Term = makeTerm()): string {
  const out: string[] = [];
  const line = (head: string, text: string) => out.push(...hang(sanitize(text), term.width, head.padEnd(10)));
  const c = s.capture;
  const who = [c.by?.user, c.by?.hostname].filter(Boolean).join('@');
  line('Snapshot', label);
  line('Captured', `${c.time}${who ? ` by ${who}` : ''} with ${c.tool.name} ${c.tool.version} from ${c.source.endpoint}`);
  for (const h of s.hosts) {
    const fwd = h.ipv4Forwarding === null ? 'ip_forward unknown' : h.ipv4Forwarding ? 'ip_forward on' : 'ip_forward OFF';
    const api = h.apiVersion ? ` (API ${h.apiVersion}${h.negotiatedApiVersion && h.negotiatedApiVersion !== h.apiVersion ? `, spoke ${h.negotiatedApiVersion}` : ''})` : '';
    line('Host', `${h.name}  Docker ${h.dockerVersion ?? 'unknown'}${api}  ${h.os ?? ''}  kernel ${h.kernel ?? 'unknown'}  ${fwd}`);
    const missing = h.evidence.filter((e) => e.status !== 'ok');
    const okList = h.evidence.filter((e) => e.status === 'ok').map((e) => e.section);
    line('Evidence', `ok: ${okList.join(', ') || 'none'}`);
    for (const e of missing) {
      const text = sanitize(`${e.status}: ${e.section} — ${e.reason ?? 'no reason recorded'}`);
      const [first, ...rest] = hang(text, term.width, ' '.repeat(10), 12);
      out.push(first!.replace(e.status, paintVerdict(term, e.status)), ...rest);
    }
  }
  if (c.vanished?.length) line('Vanished', c.vanished.map((v) => `${v.name || v.id.slice(0, 12)} (${v.reason})`).join(', '));
  for (const w of c.warnings ?? []) line('Warning', w);

  // Scope is "local" on a single daemon; the column appears when some network is not.
  const scoped = s.networks.some((n) => n.scope !== 'local');
  const subnets = s.networks.map((n) => n.subnets.join(' ') || '-');
  const gateways = s.networks.map((n) => n.gateways.join(' ') || '-');
  out.push('', `NETWORKS (${s.networks.length})`);
  out.push(
    fitTable(term, s.networks, [
      { header: 'NAME', value: (n) => n.name, shrink: 'truncate', min: 10 },
      { header: 'DRIVER', value: (n) => n.driver, shrink: 'truncate' },
      ...(scoped ? [{ header: 'SCOPE', value: (n: (typeof s.networks)[number]) => n.scope }] : []),
      { header: 'SUBNET', value: (n) => n.subnets.join(' ') || '-', shrink: 'wrap', min: longestWord(subnets) },
      // Below 70 columns the gateway (by default the subnet's first address) gives way.
      ...(term.width >= 70 ? [{ header: 'GATEWAY', value: (n: (typeof s.networks)[number]) => n.gateways.join(' ') || '-', shrink: 'wrap' as const, min: longestWord(gateways) }] : []),
      { header: 'BRIDGE', value: (n) => n.bridge ?? '-', shrink: 'truncate', min: 6 },
      {
        header: 'FLAGS',
        value: (n) => [n.internal && 'internal', n.attachable && 'attachable', n.ingress && 'ingress', n.ipv6 && 'ipv6'].filter(Boolean).join(' ') || '-',
        shrink: 'wrap',
        min: 8,
      },
      { header: 'CTRS', value: (n) => String(n.containers), align: 'right', shrink: 'truncate' },
    ]),
  );

  // One line per address or published port; the Compose service goes under the name, so the
  // table keeps to 80 columns with every fact on it.
  type Line = { name: string; state: string; network: string; address: string; published: string; running: boolean };
  const lines: Line[] = [];
  for (const x of s.containers) {
    const mode = x.networkMode;
    const nets: Array<[string, string]> =
      mode === 'host' || mode === 'none' || mode.startsWith('container:')
        ? [[mode, '-']]
        : x.addresses.flatMap((a): Array<[string, string]> => {
            // Without the prefix length: the NETWORKS table gives the subnet.
            const ips = [a.ipv4, a.ipv6].filter((v): v is string => Boolean(v)).map((ip) => ip.replace(/\/\d+$/, ''));
            return ips.length ? ips.map((ip, i) => [i === 0 ? a.network : '', ip]) : [[a.network, '-']];
          });
    const names = [x.name, ...(x.compose ? [`  ${x.compose.project}/${x.compose.service}`] : [])];
    const height = Math.max(1, nets.length, x.published.length, names.length);
    for (let k = 0; k < height; k++) {
      lines.push({
        name: names[k] ?? '',
        state: k === 0 ? x.state : '',
        network: nets[k]?.[0] ?? (k === 0 ? '-' : ''),
        address: nets[k]?.[1] ?? '',
        published: x.published[k] ?? (k === 0 ? '-' : ''),
        running: x.state === 'running',
      });
    }
  }
  out.push('', `CONTAINERS (${s.containers.length})`);
  out.push(
    fitTable(term, lines, [
      { header: 'NAME', value: (l) => l.name, shrink: 'truncate', min: 12, paint: (t) => (t.startsWith('  ') ? term.c.dim(t) : t) },
      { header: 'STATE', value: (l) => l.state, min: 7, paint: (t, l) => (l.running ? term.c.green(t) : term.c.yellow(t)) },
      { header: 'NETWORK', value: (l) => l.network, shrink: 'truncate', min: 10 },
      { header: 'ADDRESS', value: (l) => l.address, shrink: 'truncate', min: 11 },
      { header: 'PUBLISHED', value: (l) => l.published, shrink: 'wrap', min: Math.min(term.width >= 70 ? 22 : 13, longestWord(lines.map((l) => l.published))) },
    ]),
  );
  return out.join('\n');
}
