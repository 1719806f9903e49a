// Mermaid flowchart for the topology (pastes into GitHub/GitLab markdown). Node ids are generated;
// labels are quoted and every character outside a small safe set is written as a mermaid entity
// code (#34; for ", #60; for <, ...), so a name cannot close a label, start markup or a comment.

import { containerLines, endpointLabel, hostLines, networkLines, portLabel, type Topology } from '../analysis/topology.js';

const SAFE = /[A-Za-z0-9 .,:/_+=@()[\]-]/;

export function mermaidText(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  return out;
}

/** A quoted label; lines joined with <br/>, the only markup we emit. */
export function mermaidLabel(lines: string | string[]): string {
  const list = typeof lines === 'string' ? [lines] : lines;
  return `"${list.map(mermaidText).join('<br/>')}"`;
}

export function renderMermaid(t: Topology): string {
  const out: string[] = ['flowchart TB'];
  for (const h of t.hosts) out.push(`  ${h.key}[[${mermaidLabel(hostLines(h))}]]`);
  for (const n of t.networks) out.push(`  ${n.key}{{${mermaidLabel(networkLines(n))}}}`);
  for (const c of t.containers) out.push(`  ${c.key}[${mermaidLabel(containerLines(c, t))}]`);
  for (const n of t.networks) out.push(`  ${n.hostKey} ---|${mermaidLabel(n.bridge ?? n.driver)}| ${n.key}`);
  for (const e of t.endpoints) out.push(`  ${e.network} ---|${mermaidLabel(endpointLabel(e))}| ${e.container}`);
  const keys = new Set(t.containers.map((c) => c.key));
  for (const c of t.containers) {
    if (c.mode === 'host') out.push(`  ${c.hostKey} ===|${mermaidLabel('network: host')}| ${c.key}`);
    if (c.mode === 'container' && c.sharesWith && keys.has(c.sharesWith)) out.push(`  ${c.key} -.->|${mermaidLabel('shares netns')}| ${c.sharesWith}`);
  }
  for (const c of t.containers) if (c.ports.length) out.push(`  ${c.hostKey} -.->|${mermaidLabel(c.ports.map(portLabel))}| ${c.key}`);
  const internal = t.networks.filter((n) => n.internal).map((n) => n.key);
  const stopped = t.containers.filter((c) => !c.running).map((c) => c.key);
  out.push('  classDef internal stroke-dasharray: 5 5,fill:#fff4e0');
  out.push('  classDef stopped stroke-dasharray: 3 3,fill:#f4f4f4');
  if (internal.length) out.push(`  class ${internal.join(',')} internal`);
  if (stopped.length) out.push(`  class ${stopped.join(',')} stopped`);
  return out.join('\n') + '\n';
}
