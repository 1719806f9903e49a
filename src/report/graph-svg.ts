// SVG picture of the topology, laid out by graph-layout.ts (layered, edges routed around boxes,
// labels where nothing else is). Findings are drawn: a box a finding names gets its number as a
// badge and a border in the colour of its worst finding; the legend under the picture lists them.
// Text is monospace so box widths computed from character counts fit. Every string is
// XML-escaped; names cannot add elements or attributes.

import type { Severity } from '../model/finding.js';
import type { Topology } from '../analysis/topology.js';
import { BADGE_H, EDGE_LINE_H, FONT, LINE_H, PAD, badgeText, badgeWidth, layoutTopology, textWidth, type LaidBox, type Layout } from './graph-layout.js';

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export const SEVERITY_COLOR: Record<Severity, string> = { error: '#cc0000', warning: '#c76b00', info: '#2266bb' };
const RANK: Record<Severity, number> = { error: 2, warning: 1, info: 0 };
const LEGEND_LINE_H = 18;
const LEGEND_MAX_CHARS = 140;

const n = (v: number) => Math.round(v * 10) / 10;

const BOX_STYLE: Record<string, string> = {
  host: 'fill:#eeeeee;stroke:#333',
  network: 'fill:#e0f0ff;stroke:#2255aa',
  'network internal': 'fill:#fff4e0;stroke:#aa5500;stroke-dasharray:6 3',
  container: 'fill:#e8f8e8;stroke:#227722',
  'container stopped': 'fill:#f4f4f4;stroke:#777;stroke-dasharray:4 3',
};

function boxStyle(b: LaidBox, t: Topology): string {
  let style = BOX_STYLE[b.kind]!;
  if (b.kind === 'network' && t.networks.find((x) => x.key === b.key)?.internal) style = BOX_STYLE['network internal']!;
  if (b.kind === 'container' && !t.containers.find((x) => x.key === b.key)?.running) style = BOX_STYLE['container stopped']!;
  if (b.badges.length) {
    const worst = b.badges.reduce((w, f) => (RANK[f.severity] > RANK[w] ? f.severity : w), b.badges[0]!.severity);
    style = style.replace(/stroke:#[0-9a-f]+/, `stroke:${SEVERITY_COLOR[worst]};stroke-width:2.5`);
  }
  return style;
}

/** The legend's lines: what the marks mean, then one line per finding. */
function legendLines(t: Topology): Array<{ text: string; badge: { id: string; severity: Severity } | null }> {
  const cut = (s: string) => ([...s].length > LEGEND_MAX_CHARS ? [...s].slice(0, LEGEND_MAX_CHARS - 1).join('') + '…' : s);
  const out: Array<{ text: string; badge: { id: string; severity: Severity } | null }> = [];
  out.push({ text: 'Dashed box: stopped container or internal network.  ⇡ published host port.  Coloured border: a finding.', badge: null });
  if (!t.findings.length) out.push({ text: 'No findings about what is drawn (ports, isolation, listeners, stopped containers).', badge: null });
  for (const f of t.findings) out.push({ text: cut(`${f.severity} ${f.code}: ${f.title}`), badge: { id: String(f.id), severity: f.severity } });
  return out;
}

export function renderSvg(t: Topology, layout: Layout = layoutTopology(t)): string {
  const edges: string[] = [];
  const labels: string[] = [];
  for (const e of layout.edges) {
    const pts = e.points.map((p) => `${n(p.x)},${n(p.y)}`).join(' ');
    const marker = e.kind === 'netns' ? ' marker-end="url(#arrow)"' : '';
    edges.push(`<polyline class="${e.kind}" data-from="${e.from}" data-to="${e.to}" points="${pts}"${marker}/>`);
    if (!e.label) continue;
    const l = e.label;
    labels.push(`<rect class="elabel" x="${n(l.x)}" y="${n(l.y)}" width="${n(l.w)}" height="${n(l.h)}"/>`);
    l.lines.forEach((line, i) => {
      labels.push(`<text class="elabel" x="${n(l.x + l.w / 2)}" y="${n(l.y + 2 + (i + 1) * EDGE_LINE_H - 3)}" text-anchor="middle">${xmlEscape(line)}</text>`);
    });
  }

  const nodes: string[] = [];
  for (const b of layout.boxes) {
    const rx = b.kind === 'container' ? 6 : b.kind === 'network' ? 14 : 0;
    nodes.push(`<g class="${b.kind}" id="${b.key}">`);
    nodes.push(`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" rx="${rx}" style="${boxStyle(b, t)}"/>`);
    let ty = b.y + PAD + LINE_H - 3;
    b.lines.forEach((l, i) => {
      nodes.push(`<text x="${n(b.x + b.w / 2)}" y="${n(ty)}" text-anchor="middle"${i === 0 ? ' class="name"' : ''}>${xmlEscape(l)}</text>`);
      ty += LINE_H;
    });
    for (const l of b.ports) {
      nodes.push(`<text x="${n(b.x + PAD)}" y="${n(ty)}" class="port">${xmlEscape(l)}</text>`);
      ty += LINE_H;
    }
    // Badges: the numbers of the findings about this box, bottom left, in severity colours.
    let bx = b.x + PAD;
    const by = b.y + b.h - PAD - BADGE_H;
    for (const f of b.badges) {
      const w = badgeWidth(f);
      nodes.push(`<rect class="badge" x="${n(bx)}" y="${n(by)}" width="${n(w)}" height="${BADGE_H}" rx="7" fill="${SEVERITY_COLOR[f.severity]}"/>`);
      nodes.push(`<text class="badge" x="${n(bx + w / 2)}" y="${n(by + BADGE_H - 3.5)}" text-anchor="middle">${xmlEscape(badgeText(f))}</text>`);
      bx += w + 4;
    }
    nodes.push('</g>');
  }

  // Legend under the picture.
  const legend: string[] = [];
  const lines = legendLines(t);
  let ly = layout.height + 6;
  let legendW = 0;
  legend.push(`<text class="legend-title" x="20" y="${n(ly + 12)}">Legend</text>`);
  ly += LEGEND_LINE_H;
  for (const l of lines) {
    let x = 20;
    if (l.badge) {
      const w = textWidth(l.badge.id, FONT.badge) + 10;
      legend.push(`<rect class="badge" x="${x}" y="${n(ly + 1)}" width="${n(w)}" height="${BADGE_H}" rx="7" fill="${SEVERITY_COLOR[l.badge.severity]}"/>`);
      legend.push(`<text class="badge" x="${n(x + w / 2)}" y="${n(ly + BADGE_H - 2.5)}" text-anchor="middle">${xmlEscape(l.badge.id)}</text>`);
      x += w + 6;
    }
    legend.push(`<text class="legend" x="${n(x)}" y="${n(ly + 12)}">${xmlEscape(l.text)}</text>`);
    legendW = Math.max(legendW, x + textWidth(l.text, FONT.legend));
    ly += LEGEND_LINE_H;
  }
  const width = Math.ceil(Math.max(layout.width, legendW + 20, 200));
  const height = Math.ceil(ly + 10);

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, monospace" font-size="${FONT.box}">`,
    `<title>${xmlEscape(`netsleuth topology${t.focus ? ` (network ${t.focus})` : ''}`)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#666"/></marker></defs>',
    '<style>',
    `text { fill: #111; } text.name { font-weight: bold; } text.port { fill: #cc0000; font-size: ${FONT.port}px; }`,
    `text.elabel { fill: #333; font-size: ${FONT.edge}px; } rect.elabel { fill: #ffffff; fill-opacity: 0.9; stroke: none; }`,
    `text.badge { fill: #ffffff; font-size: ${FONT.badge}px; font-weight: bold; } text.legend { font-size: ${FONT.legend}px; } text.legend-title { font-weight: bold; }`,
    'polyline { fill: none; stroke: #666; stroke-width: 1.2; stroke-linejoin: round; } polyline.bridge { stroke: #2255aa; } polyline.hostmode { stroke: #aa5500; stroke-width: 2.5; } polyline.netns { stroke-dasharray: 2 3; }',
    '</style>',
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    ...edges,
    ...nodes,
    ...labels,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
