// SVG picture of the topology with our own layered layout (no graphviz): hosts on top, a row of
// networks, rows of containers, straight edges. Text is monospace so box widths computed from
// character counts always fit. Every string is XML-escaped; names cannot add elements or
// attributes.

import {
  containerLines,
  endpointLabel,
  hostLines,
  networkLines,
  portLabel,
  type TopoContainer,
  type Topology,
} from '../analysis/topology.js';

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const CHAR_W = 7.2; // monospace 12px
const LINE_H = 15;
const PAD = 8;
const GAP_X = 24;
const ROW_GAP = 70;
const MAX_PER_ROW = 8;
const MARGIN = 20;
const MAX_CHARS = 48; // longer lines are cut with … so one name cannot make the picture unreadable

interface Box {
  key: string;
  lines: string[];
  /** Lines drawn smaller, under the main ones (published ports). */
  extra: string[];
  x: number;
  y: number;
  w: number;
  h: number;
  kind: 'host' | 'network' | 'container';
  style: string;
}

const cut = (s: string): string => ([...s].length > MAX_CHARS ? [...s].slice(0, MAX_CHARS - 1).join('') + '…' : s);

function box(key: string, kind: Box['kind'], lines: string[], extra: string[], style: string): Box {
  const all = [...lines, ...extra].map(cut);
  const w = Math.max(80, Math.ceil(Math.max(...all.map((l) => [...l].length)) * CHAR_W) + 2 * PAD);
  const h = all.length * LINE_H + 2 * PAD;
  return { key, lines: lines.map(cut), extra: extra.map(cut), x: 0, y: 0, w, h, kind, style };
}

/** Lays boxes out in rows of at most MAX_PER_ROW, centred on `width`; returns the y after them. */
function placeRows(boxes: Box[], y: number, width: number): number {
  for (let i = 0; i < boxes.length; i += MAX_PER_ROW) {
    const row = boxes.slice(i, i + MAX_PER_ROW);
    const rowW = row.reduce((s, b) => s + b.w, 0) + GAP_X * (row.length - 1);
    let x = MARGIN + Math.max(0, (width - rowW) / 2);
    const h = Math.max(...row.map((b) => b.h));
    for (const b of row) {
      b.x = x;
      b.y = y;
      x += b.w + GAP_X;
    }
    y += h + ROW_GAP;
  }
  return y;
}

function rowWidth(boxes: Box[]): number {
  let max = 0;
  for (let i = 0; i < boxes.length; i += MAX_PER_ROW) {
    const row = boxes.slice(i, i + MAX_PER_ROW);
    max = Math.max(max, row.reduce((s, b) => s + b.w, 0) + GAP_X * (row.length - 1));
  }
  return max;
}

export function renderSvg(t: Topology): string {
  const hostBoxes = t.hosts.map((h) => box(h.key, 'host', hostLines(h), [], 'fill:#eeeeee;stroke:#333'));
  const netBoxes = t.networks.map((n) =>
    box(n.key, 'network', networkLines(n), [], n.internal ? 'fill:#fff4e0;stroke:#aa5500;stroke-dasharray:6 3' : 'fill:#e0f0ff;stroke:#2255aa'),
  );
  // Containers ordered by the mean position of their networks, so edges cross less.
  const netIndex = new Map(t.networks.map((n, i) => [n.key, i]));
  const netsOf = new Map<string, number[]>();
  for (const e of t.endpoints) {
    const list = netsOf.get(e.container) ?? [];
    list.push(netIndex.get(e.network) ?? 0);
    netsOf.set(e.container, list);
  }
  const byKey = new Map(t.containers.map((c) => [c.key, c]));
  const weight = (c: TopoContainer, depth = 0): number => {
    const idx = netsOf.get(c.key) ?? [];
    if (idx.length) return idx.reduce((s, i) => s + i, 0) / idx.length;
    // Next to the container whose namespace it shares (bounded: a snapshot may hold a cycle).
    if (c.mode === 'container' && c.sharesWith && depth < 4) return weight(byKey.get(c.sharesWith) ?? c, depth + 1) + 0.01;
    return c.mode === 'host' ? -1 : t.networks.length;
  };
  const ordered = t.containers.map((c, i) => ({ c, w: weight(c), i }));
  ordered.sort((a, b) => a.w - b.w || a.i - b.i);
  const ctrBoxes = ordered.map(({ c }) =>
    box(c.key, 'container', containerLines(c, t), c.ports.map((p) => `⇡ ${portLabel(p)}`), c.running ? 'fill:#e8f8e8;stroke:#227722' : 'fill:#f4f4f4;stroke:#777;stroke-dasharray:4 3'),
  );

  const width = Math.max(rowWidth(hostBoxes), rowWidth(netBoxes), rowWidth(ctrBoxes), 200);
  let y = MARGIN;
  y = placeRows(hostBoxes, y, width);
  if (netBoxes.length) y = placeRows(netBoxes, y, width);
  if (ctrBoxes.length) y = placeRows(ctrBoxes, y, width);
  const height = y - ROW_GAP + MARGIN;
  const total = width + 2 * MARGIN;

  const at = new Map([...hostBoxes, ...netBoxes, ...ctrBoxes].map((b) => [b.key, b]));
  const n = (v: number) => Math.round(v * 10) / 10;
  const edges: string[] = [];
  const labels: string[] = [];
  // Edge labels sit on the edge just above the box it enters (stacked when several edges enter
  // one box), so a label never lands on a box of an earlier row.
  const entering = new Map<string, number>();
  const line = (from: string, to: string, cls: string, label: string | null) => {
    const a = at.get(from);
    const b = at.get(to);
    if (!a || !b) return;
    const x1 = a.x + a.w / 2;
    const y1 = a.y + a.h;
    const x2 = b.x + b.w / 2;
    const y2 = b.y;
    edges.push(`<line class="${cls}" x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}"/>`);
    if (label) {
      const k = entering.get(to) ?? 0;
      entering.set(to, k + 1);
      const ly = Math.max(y1 + 10, y2 - 8 - 12 * k);
      const f = y2 === y1 ? 0.5 : (ly - y1) / (y2 - y1);
      const lx = x1 + (x2 - x1) * f;
      labels.push(`<text class="elabel" x="${n(lx)}" y="${n(ly)}" text-anchor="middle">${xmlEscape(cut(label))}</text>`);
    }
  };
  for (const nw of t.networks) line(nw.hostKey, nw.key, 'bridge', nw.bridge ?? nw.driver);
  for (const e of t.endpoints) line(e.network, e.container, 'endpoint', endpointLabel(e));
  for (const c of t.containers) if (c.mode === 'host') line(c.hostKey, c.key, 'hostmode', 'network: host');
  for (const c of t.containers) {
    if (c.mode !== 'container' || !c.sharesWith) continue;
    const a = at.get(c.key);
    const b = at.get(c.sharesWith);
    if (!a || !b) continue;
    // Same row, usually: an arc under the boxes.
    const x1 = a.x + a.w / 2;
    const x2 = b.x + b.w / 2;
    const yb = Math.max(a.y + a.h, b.y + b.h);
    edges.push(`<path class="netns" d="M ${n(x1)} ${n(a.y + a.h)} C ${n(x1)} ${n(yb + 40)}, ${n(x2)} ${n(yb + 40)}, ${n(x2)} ${n(b.y + b.h)}"/>`);
    labels.push(`<text class="elabel" x="${n((x1 + x2) / 2)}" y="${n(yb + 34)}" text-anchor="middle">shares netns</text>`);
  }

  const nodes: string[] = [];
  for (const b of [...hostBoxes, ...netBoxes, ...ctrBoxes]) {
    const rx = b.kind === 'container' ? 6 : b.kind === 'network' ? 14 : 0;
    nodes.push(`<g class="${b.kind}" id="${b.key}">`);
    nodes.push(`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" rx="${rx}" style="${b.style}"/>`);
    let ty = b.y + PAD + LINE_H - 3;
    b.lines.forEach((l, i) => {
      nodes.push(`<text x="${n(b.x + b.w / 2)}" y="${n(ty)}" text-anchor="middle"${i === 0 ? ' class="name"' : ''}>${xmlEscape(l)}</text>`);
      ty += LINE_H;
    });
    for (const l of b.extra) {
      nodes.push(`<text x="${n(b.x + PAD)}" y="${n(ty)}" class="port">${xmlEscape(l)}</text>`);
      ty += LINE_H;
    }
    nodes.push('</g>');
  }

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(total)}" height="${n(height + 40)}" viewBox="0 0 ${n(total)} ${n(height + 40)}" font-family="monospace" font-size="12">`,
    `<title>${xmlEscape(`netsleuth topology${t.focus ? ` (network ${t.focus})` : ''}`)}</title>`,
    '<style>',
    'text { fill: #111; } text.name { font-weight: bold; } text.port { fill: #cc0000; font-size: 11px; }',
    'text.elabel { fill: #444; font-size: 10px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }',
    'line, path { fill: none; stroke: #666; stroke-width: 1.2; } line.bridge { stroke: #2255aa; } line.hostmode { stroke: #aa5500; stroke-width: 2.5; } path.netns { stroke-dasharray: 2 3; }',
    '</style>',
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    ...edges,
    ...nodes,
    ...labels,
    '</svg>',
    '',
  ].join('\n');
}
