// The layout of the SVG topology picture (docs/graph.md): a pure function from a Topology to
// positioned boxes, polyline edges and edge labels, that the SVG renderer only draws.
//
// dagre gives a layered layout (host, networks, containers; a container sharing another's
// namespace one layer below it) with edges routed through dummy nodes and labels placed as nodes
// of their own, so labels do not sit on boxes or on each other. dagre's straight segments between
// layers can still clip a box it did not expect (a tall neighbour), so every segment is then
// checked against every box that is not one of the edge's two endpoints, and against the other
// edges' labels; a segment that crosses one is replaced by an orthogonal detour around it.

import dagre from '@dagrejs/dagre';
import {
  containerLines,
  endpointLabel,
  hostLines,
  networkLines,
  portLabel,
  type TopoEndpoint,
  type TopoFinding,
  type Topology,
} from '../analysis/topology.js';
import { displayWidth } from './term.js';

/** Font sizes (px) of the picture's text; the renderer and the tests measure with these. */
export const FONT = { box: 12, port: 11, edge: 10, badge: 10, legend: 11 } as const;
/** Width of one monospace column at `size` px (DejaVu Sans Mono and most monospace fonts: 0.6 em). */
export const charWidth = (size: number): number => size * 0.6;
/** The width of a line of monospace text at `size` px (wide glyphs count two columns). */
export const textWidth = (s: string, size: number): number => displayWidth(s) * charWidth(size);

export const LINE_H = 15;
export const EDGE_LINE_H = 12;
export const PAD = 8;
export const BADGE_H = 14;
const BADGE_GAP = 4;
const MARGIN = 20;
const MAX_CHARS = 48; // longer lines are cut with … so one name cannot make the picture unreadable
/** Clearance kept between a detour and the box it goes around. */
const CLEAR = 8;

export type BoxKind = 'host' | 'network' | 'container';
export type EdgeKind = 'bridge' | 'endpoint' | 'hostmode' | 'netns';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface LaidBox extends Rect {
  key: string;
  kind: BoxKind;
  /** Centred lines; the first is the name. */
  lines: string[];
  /** Published ports, left-aligned under the lines. */
  ports: string[];
  /** Finding ids drawn as badges in a row at the bottom of the box. */
  badges: TopoFinding[];
}

export interface LaidLabel extends Rect {
  lines: string[];
}

export interface LaidEdge {
  kind: EdgeKind;
  /** Drawing direction: bridge host→network, endpoint network→container, hostmode host→container, netns container→owner. */
  from: string;
  to: string;
  points: Point[];
  label: LaidLabel | null;
}

export interface Layout {
  width: number;
  height: number;
  boxes: LaidBox[];
  edges: LaidEdge[];
}

export const cut = (s: string): string => ([...s].length > MAX_CHARS ? [...s].slice(0, MAX_CHARS - 1).join('') + '…' : s);

/** Badge text for a finding (its number) and its width. */
export const badgeText = (f: TopoFinding): string => `${f.id}`;
export const badgeWidth = (f: TopoFinding): number => textWidth(badgeText(f), FONT.badge) + 10;

function measureBox(lines: string[], ports: string[], badges: TopoFinding[]): { w: number; h: number } {
  const textW = Math.max(...lines.map((l) => textWidth(l, FONT.box)), ...ports.map((l) => textWidth(l, FONT.port)));
  const badgeW = badges.reduce((s, b) => s + badgeWidth(b) + BADGE_GAP, 0) - BADGE_GAP;
  const w = Math.ceil(Math.max(80, textW, badgeW) + 2 * PAD);
  const h = (lines.length + ports.length) * LINE_H + (badges.length ? BADGE_H + BADGE_GAP : 0) + 2 * PAD;
  return { w, h };
}

function labelRect(lines: string[]): { w: number; h: number } {
  return { w: Math.ceil(Math.max(...lines.map((l) => textWidth(l, FONT.edge))) + 6), h: lines.length * EDGE_LINE_H + 4 };
}

/** An endpoint's label: one line per address (or "no address"). */
function endpointLines(e: TopoEndpoint): string[] {
  const text = endpointLabel(e);
  return e.ipv4 && e.ipv6 ? text.split(' ') : [text];
}

interface EdgeSpec {
  kind: EdgeKind;
  from: string;
  to: string;
  label: string[] | null;
  /** dagre's direction is top → bottom; netns edges are drawn against it (sidecar → owner). */
  reversed: boolean;
  minlen: number;
}

export function layoutTopology(t: Topology): Layout {
  const badgesOf = new Map<string, TopoFinding[]>();
  for (const f of t.findings) for (const k of f.nodes) badgesOf.set(k, [...(badgesOf.get(k) ?? []), f]);
  const boxes: LaidBox[] = [];
  const addBox = (key: string, kind: BoxKind, lines: string[], ports: string[]) => {
    const badges = badgesOf.get(key) ?? [];
    const l = lines.map(cut);
    const p = ports.map(cut);
    boxes.push({ key, kind, lines: l, ports: p, badges, x: 0, y: 0, ...measureBox(l, p, badges) });
  };
  for (const h of t.hosts) addBox(h.key, 'host', hostLines(h), []);
  for (const n of t.networks) addBox(n.key, 'network', networkLines(n), []);
  for (const c of t.containers) addBox(c.key, 'container', containerLines(c, t), c.ports.map((p) => `⇡ ${portLabel(p)}`));
  const present = new Set(boxes.map((b) => b.key));

  const specs: EdgeSpec[] = [];
  for (const n of t.networks) specs.push({ kind: 'bridge', from: n.hostKey, to: n.key, label: [n.bridge ?? n.driver], reversed: false, minlen: 1 });
  // Endpoints grouped by network (in the networks' order): dagre's first ordering of a layer
  // follows the order edges are met, and its crossing reduction starts from there.
  const netIndex = new Map(t.networks.map((x, i) => [x.key, i]));
  const ordered = t.endpoints.map((e, i) => ({ e, i })).sort((a, b) => netIndex.get(a.e.network)! - netIndex.get(b.e.network)! || a.i - b.i);
  for (const { e } of ordered) {
    if (!present.has(e.container)) continue;
    specs.push({ kind: 'endpoint', from: e.network, to: e.container, label: endpointLines(e), reversed: false, minlen: 1 });
  }
  for (const c of t.containers) {
    if (c.mode === 'host') specs.push({ kind: 'hostmode', from: c.hostKey, to: c.key, label: ['network: host'], reversed: false, minlen: 2 });
    if (c.mode === 'container' && c.sharesWith && present.has(c.sharesWith) && c.sharesWith !== c.key)
      specs.push({ kind: 'netns', from: c.key, to: c.sharesWith, label: ['shares netns'], reversed: true, minlen: 1 });
  }

  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', rankalign: 'top', nodesep: 28, edgesep: 14, ranksep: 56, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const b of boxes) g.setNode(b.key, { width: b.w, height: b.h });
  specs.forEach((s, i) => {
    const lr = s.label ? labelRect(s.label.map(cut)) : { w: 0, h: 0 };
    const [v, w] = s.reversed ? [s.to, s.from] : [s.from, s.to];
    g.setEdge(v, w, { width: lr.w, height: lr.h, labelpos: 'c', minlen: s.minlen, weight: s.kind === 'netns' ? 4 : 1 }, `e${i}`);
  });
  // Containers drawn with no edge (network mode none, a namespace owner that is not in the
  // picture) still belong in the containers' layer: an invisible edge from their host.
  const linked = new Set(specs.flatMap((s) => [s.from, s.to]));
  t.containers.forEach((c, i) => {
    if (!linked.has(c.key)) g.setEdge(c.hostKey, c.key, { minlen: 2, weight: 1, width: 0, height: 0 }, `x${i}`);
  });
  dagre.layout(g);

  for (const b of boxes) {
    const n = g.node(b.key);
    b.x = n.x! - b.w / 2;
    b.y = n.y! - b.h / 2;
  }
  const byKey = new Map(boxes.map((b) => [b.key, b]));
  // Each edge in dagre's direction (top → bottom): its two boxes, the bends dagre gave it
  // (dummy nodes and the label's place), and its label.
  const routes = specs.map((s, i) => {
    const [v, w] = s.reversed ? [s.to, s.from] : [s.from, s.to];
    const e = g.edge(v, w, `e${i}`);
    const bends = ((e.points ?? []) as Point[]).slice(1, -1).map((p) => ({ x: p.x, y: p.y }));
    let label: LaidLabel | null = null;
    if (s.label && e.x !== undefined && e.y !== undefined) {
      const lines = s.label.map(cut);
      const r = labelRect(lines);
      label = { lines, x: e.x - r.w / 2, y: e.y - r.h / 2, w: r.w, h: r.h };
    }
    return { spec: s, top: byKey.get(v)!, bottom: byKey.get(w)!, bends, label, out: 0, in: 0 };
  });

  untangleLabels(routes);

  // Where each edge leaves its upper box (bottom side) and enters its lower one (top side):
  // spread along the side in the order of where the edges go, so they do not overlap there.
  const sides = new Map<string, Array<{ toward: number; set: (x: number) => void }>>();
  const attach = (key: string, toward: number, set: (x: number) => void) => sides.set(key, [...(sides.get(key) ?? []), { toward, set }]);
  for (const r of routes) {
    const first = r.bends[0] ?? { x: r.bottom.x + r.bottom.w / 2 };
    const last = r.bends[r.bends.length - 1] ?? { x: r.top.x + r.top.w / 2 };
    attach(`${r.top.key}:bottom`, first.x, (x) => (r.out = x));
    attach(`${r.bottom.key}:top`, last.x, (x) => (r.in = x));
  }
  for (const [side, list] of sides) {
    const b = byKey.get(side.slice(0, side.lastIndexOf(':')))!;
    const lo = b.x + Math.min(12, b.w / 2);
    const hi = b.x + b.w - Math.min(12, b.w / 2);
    list.sort((p, q) => p.toward - q.toward);
    const gap = list.length > 1 ? Math.min(16, (hi - lo) / (list.length - 1)) : 0;
    const xs = list.map((p) => Math.min(hi, Math.max(lo, p.toward)));
    for (let i = 1; i < xs.length; i++) xs[i] = Math.max(xs[i]!, xs[i - 1]! + gap);
    for (let i = xs.length - 1; i >= 0; i--) xs[i] = Math.min(xs[i]!, hi - gap * (xs.length - 1 - i));
    for (let i = 1; i < xs.length; i++) xs[i] = Math.max(xs[i]!, xs[i - 1]! + gap);
    list.forEach((p, i) => p.set(xs[i]!));
  }

  // Bands: the horizontal strips holding boxes or labels (a layer of dagre). Inside a band an
  // edge runs vertically, in its own column (dagre keeps columns of one layer apart); it bends
  // only in the free gaps between bands.
  const labels = routes.flatMap((r) => (r.label ? [r.label] : []));
  const bands = mergeIntervals([...boxes, ...labels].map((r) => [r.y, r.y + r.h] as [number, number]));
  const bandAt = (y: number) => bands.find(([t, b]) => y >= t - 0.01 && y <= b + 0.01) ?? null;
  const edges: LaidEdge[] = routes.map((r) => {
    const pts: Point[] = [{ x: r.out, y: r.top.y + r.top.h }];
    const below = bandAt(r.top.y + r.top.h);
    if (below) pts.push({ x: r.out, y: below[1] });
    for (const p of r.bends) {
      const band = bandAt(p.y);
      if (band) pts.push({ x: p.x, y: band[0] }, { x: p.x, y: band[1] });
      else pts.push(p);
    }
    const above = bandAt(r.bottom.y);
    if (above) pts.push({ x: r.in, y: above[0] });
    pts.push({ x: r.in, y: r.bottom.y });
    let points = tidy(pts);
    if (r.spec.reversed) points = points.reverse();
    return { kind: r.spec.kind, from: r.spec.from, to: r.spec.to, points, label: r.label };
  });

  for (const e of edges) {
    const obstacles: Rect[] = [...boxes.filter((b) => b.key !== e.from && b.key !== e.to), ...edges.filter((o) => o !== e && o.label).map((o) => o.label!)];
    e.points = avoid(e.points, obstacles);
  }

  let width = 0;
  let height = 0;
  const grow = (p: Point) => {
    width = Math.max(width, p.x);
    height = Math.max(height, p.y);
  };
  for (const b of boxes) grow({ x: b.x + b.w, y: b.y + b.h });
  for (const e of edges) {
    e.points.forEach(grow);
    if (e.label) grow({ x: e.label.x + e.label.w, y: e.label.y + e.label.h });
  }
  return { width: Math.ceil(width + MARGIN), height: Math.ceil(height + MARGIN), boxes, edges };
}

// ---------------------------------------------------------------------------------------------
// Geometry

/** Does the segment a→b pass through the interior of `r` (touching its border does not count)? */
export function segmentHitsRect(a: Point, b: Point, r: Rect, eps = 0.5): boolean {
  // Liang–Barsky clipping against the rectangle shrunk by eps.
  const x0 = r.x + eps;
  const x1 = r.x + r.w - eps;
  const y0 = r.y + eps;
  const y1 = r.y + r.h - eps;
  if (x1 <= x0 || y1 <= y0) return false;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  let t0 = 0;
  let t1 = 1;
  const clip = (p: number, q: number): boolean => {
    if (p === 0) return q > 0;
    const t = q / p;
    if (p < 0) {
      if (t > t1) return false;
      if (t > t0) t0 = t;
    } else {
      if (t < t0) return false;
      if (t < t1) t1 = t;
    }
    return true;
  };
  if (!clip(-dx, a.x - x0) || !clip(dx, x1 - a.x) || !clip(-dy, a.y - y0) || !clip(dy, y1 - a.y)) return false;
  return t1 - t0 > 1e-9;
}

export function rectsOverlap(a: Rect, b: Rect, eps = 0.5): boolean {
  return a.x + eps < b.x + b.w && b.x + eps < a.x + a.w && a.y + eps < b.y + b.h && b.y + eps < a.y + a.h;
}

interface Route {
  top: Rect & { key: string };
  bottom: Rect & { key: string };
  bends: Point[];
  label: LaidLabel | null;
}

/**
 * dagre's crossing reduction can leave the labels of one box's edges in a different order than
 * the boxes they lead to (edges then cross just above the boxes). Within a layer, a run of
 * neighbouring labels whose edges leave the same box is put back in the order of their target
 * boxes, in the same span; each label's bend moves with it.
 */
function untangleLabels(routes: Route[]): void {
  const withLabel = routes.filter((r) => r.label);
  const layers = new Map<number, Route[]>();
  for (const r of withLabel) {
    const cy = Math.round(r.label!.y + r.label!.h / 2);
    layers.set(cy, [...(layers.get(cy) ?? []), r]);
  }
  for (const layer of layers.values()) {
    layer.sort((a, b) => a.label!.x - b.label!.x);
    for (let i = 0; i < layer.length; ) {
      let j = i + 1;
      while (j < layer.length && layer[j]!.top.key === layer[i]!.top.key) j++;
      const run = layer.slice(i, j);
      i = j;
      if (run.length < 2) continue;
      const target = (r: Route) => r.bottom.x + r.bottom.w / 2;
      const wanted = [...run].sort((a, b) => target(a) - target(b));
      if (wanted.every((r, k) => r === run[k])) continue;
      const left = run[0]!.label!.x;
      const right = run[run.length - 1]!.label!.x + run[run.length - 1]!.label!.w;
      const gap = (right - left - run.reduce((s, r) => s + r.label!.w, 0)) / (run.length - 1);
      let x = left;
      for (const r of wanted) {
        const l = r.label!;
        const oldC = { x: l.x + l.w / 2, y: l.y + l.h / 2 };
        l.x = x;
        x += l.w + gap;
        const bend = r.bends.find((p) => Math.abs(p.x - oldC.x) < 0.5 && Math.abs(p.y - oldC.y) < 0.5);
        if (bend) bend.x = l.x + l.w / 2;
      }
    }
  }
}

/** Overlapping [top, bottom] intervals merged, in order. */
function mergeIntervals(list: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [t, b] of [...list].sort((p, q) => p[0] - q[0])) {
    const last = out[out.length - 1];
    if (last && t <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([t, b]);
  }
  return out;
}

/** Drop repeated points and the middle of three points on one vertical or horizontal line. */
function tidy(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    const q = out[out.length - 1];
    if (q && Math.abs(q.x - p.x) < 0.01 && Math.abs(q.y - p.y) < 0.01) continue;
    const o = out[out.length - 2];
    if (o && q && ((Math.abs(o.x - q.x) < 0.01 && Math.abs(q.x - p.x) < 0.01) || (Math.abs(o.y - q.y) < 0.01 && Math.abs(q.y - p.y) < 0.01))) out.pop();
    out.push(p);
  }
  return out;
}

const len = (a: Point, b: Point) => Math.hypot(b.x - a.x, b.y - a.y);

/** Replace every segment that crosses an obstacle by an orthogonal detour around it. */
function avoid(points: Point[], obstacles: Rect[]): Point[] {
  let pts = points;
  for (let guard = 0; guard < 60; guard++) {
    let hit: { i: number; r: Rect } | null = null;
    for (let i = 0; i + 1 < pts.length && !hit; i++) {
      // The nearest obstacle along the segment first.
      let best: Rect | null = null;
      let bestD = Infinity;
      for (const r of obstacles) {
        if (!segmentHitsRect(pts[i]!, pts[i + 1]!, r)) continue;
        const d = len(pts[i]!, { x: r.x + r.w / 2, y: r.y + r.h / 2 });
        if (d < bestD) {
          bestD = d;
          best = r;
        }
      }
      if (best) hit = { i, r: best };
    }
    if (!hit) return pts;
    const a = pts[hit.i]!;
    const b = pts[hit.i + 1]!;
    const detour = bestDetour(a, b, hit.r, obstacles);
    pts = [...pts.slice(0, hit.i + 1), ...detour, ...pts.slice(hit.i + 1)];
  }
  return pts;
}

/** Waypoints that take a→b around `r`: down its left or right side, or across above or below it. */
function bestDetour(a: Point, b: Point, r: Rect, obstacles: Rect[]): Point[] {
  const left = r.x - CLEAR;
  const right = r.x + r.w + CLEAR;
  const top = r.y - CLEAR;
  const bottom = r.y + r.h + CLEAR;
  const down = b.y >= a.y;
  const across = b.x >= a.x;
  const yIn = down ? Math.max(top, Math.min(a.y, bottom)) : Math.min(bottom, Math.max(a.y, top));
  const yOut = down ? Math.min(bottom, Math.max(b.y, top)) : Math.max(top, Math.min(b.y, bottom));
  const xIn = across ? Math.max(left, Math.min(a.x, right)) : Math.min(right, Math.max(a.x, left));
  const xOut = across ? Math.min(right, Math.max(b.x, left)) : Math.max(left, Math.min(b.x, right));
  const vertical = (x: number): Point[] => [
    { x, y: down ? Math.min(yIn, top) : Math.max(yIn, bottom) },
    { x, y: down ? Math.max(yOut, bottom) : Math.min(yOut, top) },
  ];
  const horizontal = (y: number): Point[] => [
    { x: across ? Math.min(xIn, left) : Math.max(xIn, right), y },
    { x: across ? Math.max(xOut, right) : Math.min(xOut, left), y },
  ];
  const candidates = [vertical(left), vertical(right), horizontal(top), horizontal(bottom)];
  const score = (wp: Point[]) => {
    const path = [a, ...wp, b];
    let hits = 0;
    let length = 0;
    for (let i = 0; i + 1 < path.length; i++) {
      length += len(path[i]!, path[i + 1]!);
      for (const o of obstacles) if (segmentHitsRect(path[i]!, path[i + 1]!, o)) hits++;
    }
    return hits * 1e6 + length;
  };
  return candidates.map((c) => ({ c, s: score(c) })).sort((x, y) => x.s - y.s)[0]!.c;
}
