// Graphviz DOT for the topology. Node ids are generated (h0, n0, c0), never names; every label is
// a DOT quoted string with `"` and `\` escaped, so a name cannot end the string or inject
// attributes, and escape sequences like \N or \l in a name stay literal text.

import { containerLines, endpointLabel, hostLines, networkLines, portLabel, type Topology } from '../analysis/topology.js';

/** A DOT double-quoted string; lines joined with DOT's centred line break. */
export function dotString(lines: string | string[]): string {
  const list = typeof lines === 'string' ? [lines] : lines;
  return `"${list.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n')}"`;
}

export function renderDot(t: Topology): string {
  const out: string[] = [];
  out.push('digraph netsleuth {');
  out.push('  graph [rankdir=TB, fontname="Helvetica", nodesep=0.4, ranksep=0.8];');
  out.push('  node [fontname="Helvetica", fontsize=10];');
  out.push('  edge [fontname="Helvetica", fontsize=9, arrowsize=0.6];');
  out.push('  // row 1: hosts');
  out.push(`  { rank=same; ${t.hosts.map((h) => `${h.key};`).join(' ')} }`);
  for (const h of t.hosts) out.push(`  ${h.key} [shape=box3d, style=filled, fillcolor="#eeeeee", label=${dotString(hostLines(h))}];`);
  if (t.networks.length) {
    out.push('  // row 2: networks');
    out.push(`  { rank=same; ${t.networks.map((n) => `${n.key};`).join(' ')} }`);
  }
  for (const n of t.networks) {
    const style = n.internal ? 'style="filled,dashed", fillcolor="#fff4e0"' : 'style=filled, fillcolor="#e0f0ff"';
    out.push(`  ${n.key} [shape=hexagon, ${style}, label=${dotString(networkLines(n))}];`);
  }
  if (t.containers.length) {
    out.push('  // row 3: containers');
    out.push(`  { rank=same; ${t.containers.map((c) => `${c.key};`).join(' ')} }`);
  }
  for (const c of t.containers) {
    const style = c.running ? 'style="rounded,filled", fillcolor="#e8f8e8"' : 'style="rounded,filled,dashed", fillcolor="#f4f4f4"';
    out.push(`  ${c.key} [shape=box, ${style}, label=${dotString(containerLines(c, t))}];`);
  }
  out.push('  // host ↔ network (the bridge)');
  for (const n of t.networks) out.push(`  ${n.hostKey} -> ${n.key} [dir=none, label=${dotString(n.bridge ?? n.driver)}];`);
  out.push('  // endpoints: network ↔ container, with the container\'s addresses');
  for (const e of t.endpoints) out.push(`  ${e.network} -> ${e.container} [dir=none, label=${dotString(endpointLabel(e))}];`);
  const keys = new Set(t.containers.map((c) => c.key));
  for (const c of t.containers) {
    if (c.mode === 'host') out.push(`  ${c.hostKey} -> ${c.key} [dir=none, style=bold, color="#aa5500", label=${dotString('network: host')}];`);
    if (c.mode === 'container' && c.sharesWith && keys.has(c.sharesWith)) out.push(`  ${c.key} -> ${c.sharesWith} [style=dotted, label=${dotString('shares netns')}];`);
  }
  const published = t.containers.filter((c) => c.ports.length);
  if (published.length) out.push('  // published ports: host address:port -> container port');
  for (const c of published) {
    out.push(`  ${c.hostKey} -> ${c.key} [style=dashed, color="#cc0000", fontcolor="#cc0000", constraint=false, label=${dotString(c.ports.map(portLabel))}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
