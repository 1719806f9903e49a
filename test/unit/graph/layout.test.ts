// The SVG picture does not lie: no edge runs through a box that is not one of its two ends, and no
// two pieces of text sit on each other. Checked on the pure layout and, independently, on the SVG
// itself (its <rect>s, <polyline>s/<line>s and <text>s parsed back), for the example snapshot and
// a generated bigger one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain .mjs bench helpers, no types
import { generateSnapshot } from '../../../bench/gen-snapshot.mjs';
// @ts-expect-error -- plain .mjs bench helpers, no types
import { addNetworkEvidence } from '../../../bench/gen-network.mjs';
import { buildTopology } from '../../../src/analysis/topology.js';
import type { NetworkState, Snapshot } from '../../../src/model/types.js';
import { layoutTopology } from '../../../src/report/graph-layout.js';
import { renderSvg } from '../../../src/report/graph-svg.js';
import { displayWidth } from '../../../src/report/term.js';
import { EXAMPLE } from '../../support/cli.js';

const example = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;
const generated = (addNetworkEvidence(generateSnapshot({ containers: 60, networks: 6, conflicts: 2, seed: 3 }), { seed: 3, iccOff: 0.3, userDrops: 4 }) as Snapshot).state;

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Pt {
  x: number;
  y: number;
}

// ---------------------------------------------------------------------------------------------
// Geometry written here, independently of src/report/graph-layout.ts.

/** Does segment a→b pass through the inside of r (shrunk by 1px: running along a border is fine)? */
function crossesInterior(a: Pt, b: Pt, r: Rect): boolean {
  const x0 = r.x + 1;
  const x1 = r.x + r.w - 1;
  const y0 = r.y + 1;
  const y1 = r.y + r.h - 1;
  const inside = (p: Pt) => p.x > x0 && p.x < x1 && p.y > y0 && p.y < y1;
  // Sample the segment finely (boxes are at least 30px, so a 1px step cannot miss one).
  const steps = Math.max(2, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y)));
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    if (inside({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t })) return true;
  }
  return false;
}

const overlaps = (a: Rect, b: Rect) => a.x + 0.5 < b.x + b.w && b.x + 0.5 < a.x + a.w && a.y + 0.5 < b.y + b.h && b.y + 0.5 < a.y + a.h;
const onBorder = (p: Pt, r: Rect) =>
  p.x >= r.x - 1 && p.x <= r.x + r.w + 1 && p.y >= r.y - 1 && p.y <= r.y + r.h + 1 && (Math.abs(p.x - r.x) <= 1 || Math.abs(p.x - r.x - r.w) <= 1 || Math.abs(p.y - r.y) <= 1 || Math.abs(p.y - r.y - r.h) <= 1);

interface Picture {
  boxes: Array<Rect & { id: string }>;
  edges: Array<{ from: string | null; to: string | null; points: Pt[] }>;
  texts: Array<Rect & { text: string }>;
}

/** Everything wrong with a picture; [] when it does not lie. */
function problems(p: Picture): string[] {
  const out: string[] = [];
  for (const e of p.edges) {
    // Ends: given, or the boxes whose border the first and last points lie on.
    const from = e.from ?? p.boxes.find((b) => onBorder(e.points[0]!, b))?.id;
    const to = e.to ?? p.boxes.find((b) => onBorder(e.points[e.points.length - 1]!, b))?.id;
    for (let i = 0; i + 1 < e.points.length; i++)
      for (const b of p.boxes) {
        if (b.id === from || b.id === to) continue;
        if (crossesInterior(e.points[i]!, e.points[i + 1]!, b)) out.push(`edge ${from}→${to} crosses box ${b.id}`);
      }
  }
  for (let i = 0; i < p.texts.length; i++)
    for (let j = i + 1; j < p.texts.length; j++) {
      if (overlaps(p.texts[i]!, p.texts[j]!)) out.push(`texts overlap: ${JSON.stringify(p.texts[i]!.text)} and ${JSON.stringify(p.texts[j]!.text)}`);
    }
  for (let i = 0; i < p.boxes.length; i++)
    for (let j = i + 1; j < p.boxes.length; j++) if (overlaps(p.boxes[i]!, p.boxes[j]!)) out.push(`boxes overlap: ${p.boxes[i]!.id} and ${p.boxes[j]!.id}`);
  return out;
}

/** A text's box from its position, anchor and font size: monospace, 0.6 em a column. */
function textBox(text: string, x: number, y: number, size: number, anchor: string): Rect & { text: string } {
  const w = displayWidth(text) * size * 0.6;
  const left = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
  return { text, x: left, y: y - 0.8 * size, w, h: size };
}

/** The picture as the SVG draws it: node boxes, edges (polyline or line), every text. */
function parseSvg(svg: string): Picture {
  const py = String.raw`
import sys, json, re, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
ns = "{http://www.w3.org/2000/svg}"
css = root.find(ns + "style").text or ""
def size_of(cls, default):
    for c in (cls or "").split():
        m = re.search(r"text\." + re.escape(c) + r"\s*\{[^}]*font-size:\s*([\d.]+)px", css)
        if m: return float(m.group(1))
    return default
base = float(root.get("font-size", "12"))
boxes, edges, texts = [], [], []
for g in root.iter(ns + "g"):
    if g.get("class") in ("host", "network", "container"):
        r = g.find(ns + "rect")
        boxes.append({"id": g.get("id"), **{k: float(r.get(a)) for k, a in (("x","x"),("y","y"),("w","width"),("h","height"))}})
for e in root.iter(ns + "polyline"):
    pts = [dict(zip("xy", map(float, p.split(",")))) for p in e.get("points").split()]
    edges.append({"from": e.get("data-from"), "to": e.get("data-to"), "points": pts})
for e in root.iter(ns + "line"):
    edges.append({"from": None, "to": None, "points": [{"x": float(e.get("x1")), "y": float(e.get("y1"))}, {"x": float(e.get("x2")), "y": float(e.get("y2"))}]})
for t in root.iter(ns + "text"):
    if t.text is None: continue
    texts.append({"text": t.text, "x": float(t.get("x")), "y": float(t.get("y")), "size": size_of(t.get("class"), base), "anchor": t.get("text-anchor") or "start"})
print(json.dumps({"boxes": boxes, "edges": edges, "texts": texts}))
`;
  const raw = JSON.parse(execFileSync('python3', ['-c', py], { input: svg }).toString()) as {
    boxes: Picture['boxes'];
    edges: Picture['edges'];
    texts: Array<{ text: string; x: number; y: number; size: number; anchor: string }>;
  };
  return { boxes: raw.boxes, edges: raw.edges, texts: raw.texts.map((t) => textBox(t.text, t.x, t.y, t.size, t.anchor)) };
}

/** The pure layout's output as a Picture: boxes, edges, and every label line as text. */
function fromLayout(state: NetworkState): Picture {
  const l = layoutTopology(buildTopology(state));
  const texts: Picture['texts'] = [];
  for (const e of l.edges) if (e.label) texts.push({ text: e.label.lines.join('\n'), x: e.label.x, y: e.label.y, w: e.label.w, h: e.label.h });
  // Box texts stay inside their box; boxes must not overlap each other or any label.
  for (const b of l.boxes) texts.push({ text: `[box ${b.key}]`, x: b.x, y: b.y, w: b.w, h: b.h });
  return { boxes: l.boxes.map((b) => ({ id: b.key, x: b.x, y: b.y, w: b.w, h: b.h })), edges: l.edges.map((e) => ({ from: e.from, to: e.to, points: e.points })), texts };
}

const cases: Array<[string, NetworkState]> = [
  ['the example', example],
  ['a generated host (62 containers, 6 networks, icc off on some)', generated],
];

describe('graph layout: edges avoid boxes, labels avoid each other', () => {
  it('the checks can fail: a straight line through a box and two texts on each other are caught', () => {
    const bad: Picture = {
      boxes: [
        { id: 'a', x: 0, y: 0, w: 100, h: 40 },
        { id: 'b', x: 0, y: 200, w: 100, h: 40 },
        { id: 'c', x: 30, y: 100, w: 100, h: 40 },
      ],
      edges: [{ from: null, to: null, points: [{ x: 50, y: 40 }, { x: 50, y: 200 }] }],
      texts: [textBox('10.0.0.2/24', 100, 50, 10, 'middle'), textBox('10.0.0.3/24', 110, 52, 10, 'middle')],
    };
    expect(problems(bad)).toEqual(['edge a→b crosses box c', 'texts overlap: "10.0.0.2/24" and "10.0.0.3/24"']);
  });

  for (const [name, state] of cases) {
    it(`${name}: the pure layout`, () => {
      const p = fromLayout(state);
      expect(p.edges.length).toBeGreaterThan(0);
      // Every edge starts on the border of its first box and ends on the border of its last.
      const box = new Map(p.boxes.map((b) => [b.id, b]));
      for (const e of p.edges) {
        expect(onBorder(e.points[0]!, box.get(e.from!)!), `${e.from}→${e.to} start`).toBe(true);
        expect(onBorder(e.points[e.points.length - 1]!, box.get(e.to!)!), `${e.from}→${e.to} end`).toBe(true);
      }
      expect(problems(p)).toEqual([]);
    });

    it(`${name}: the SVG as drawn (rects, polylines, texts)`, () => {
      const topo = buildTopology(state);
      const p = parseSvg(renderSvg(topo));
      expect(p.boxes.length).toBe(topo.hosts.length + topo.networks.length + topo.containers.length);
      expect(p.edges.length).toBe(topo.networks.length + topo.endpoints.length + topo.containers.filter((c) => c.mode === 'host' || (c.mode === 'container' && c.sharesWith)).length);
      expect(p.texts.length).toBeGreaterThan(p.boxes.length * 2);
      expect(problems(p)).toEqual([]);
    });
  }
});

describe('graph SVG: findings are drawn', () => {
  it('the example: badges on the boxes the findings name, coloured borders, a legend line each', () => {
    const topo = buildTopology(example);
    const codes = topo.findings.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['PORT_CONFLICT_STOPPED_CONTAINER', 'ICC_DISABLED_ISOLATION', 'PUBLISH_LISTENER_LOOPBACK_ONLY']));
    const svg = renderSvg(topo);
    const key = (name: string) => [...topo.containers, ...topo.networks].find((x) => x.name === name)!.key;
    const group = (k: string) => new RegExp(`<g class="\\w+" id="${k}">([\\s\\S]*?)</g>`).exec(svg)![1]!;
    const badges = (k: string) => [...group(k).matchAll(/<text class="badge"[^>]*>(\d+)<\/text>/g)].map((m) => Number(m[1]));
    const id = (code: string, subject: string) => topo.findings.find((f) => f.code === code && f.nodes.includes(key(subject)))!.id;
    // The stopped container and the running one it would collide with.
    expect(badges(key('old-proxy'))).toContain(id('PORT_CONFLICT_STOPPED_CONTAINER', 'old-proxy'));
    expect(badges(key('shop-proxy-1'))).toContain(id('PORT_CONFLICT_STOPPED_CONTAINER', 'old-proxy'));
    // icc=false: the network and both isolated containers.
    for (const n of ['quarantine', 'quarantine-a', 'quarantine-b']) expect(badges(key(n))).toContain(id('ICC_DISABLED_ISOLATION', 'quarantine'));
    // Loopback-only listener: an error, so a red border.
    expect(badges(key('shop-cache-1'))).toContain(id('PUBLISH_LISTENER_LOOPBACK_ONLY', 'shop-cache-1'));
    expect(group(key('shop-cache-1'))).toMatch(/<rect [^>]*style="[^"]*stroke:#cc0000;stroke-width:2.5/);
    // A box nobody has a finding about keeps its plain border and has no badge.
    expect(badges(key('legacy-app'))).toEqual([]);
    expect(group(key('legacy-app'))).not.toContain('stroke-width:2.5');
    // The legend: one line per finding, with its number, code and title.
    for (const f of topo.findings) expect(svg).toContain(`>${f.severity} ${f.code}: ${f.title.replace(/&/g, '&amp;')}</text>`);
  });

  it('--network keeps only the findings about what is drawn', () => {
    const topo = buildTopology(example, { network: 'quarantine' });
    expect(topo.findings.map((f) => f.code)).toEqual(['ICC_DISABLED_ISOLATION']);
    expect(buildTopology(example, { findings: false }).findings).toEqual([]);
  });
});
