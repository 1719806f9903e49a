import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTopology, labelText, type Topology } from '../../../src/analysis/topology.js';
import { SubjectError } from '../../../src/model/view.js';
import type { NetworkState, PortBinding, Snapshot } from '../../../src/model/types.js';
import { renderDot } from '../../../src/report/graph-dot.js';
import { renderMermaid } from '../../../src/report/graph-mermaid.js';
import { renderSvg } from '../../../src/report/graph-svg.js';
import { displayWidth } from '../../../src/report/term.js';
import { container, network, snapshot } from '../../support/build-snapshot.js';
import { EXAMPLE, runCli } from '../../support/cli.js';

const example = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;

// ---------------------------------------------------------------------------------------------
// A small DOT reader for the subset we emit: statements of nodes, edges and attribute lists.

type Attrs = Record<string, string>;
interface Dot {
  nodes: Map<string, Attrs>;
  edges: Array<{ from: string; to: string; attrs: Attrs }>;
}

function tokenizeDot(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s+|\/\/[^\n]*|"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?)|(->|[{}[\];,=])/gys;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    m = re.exec(text);
    if (!m || m.index !== pos) throw new Error(`DOT: unexpected text at ${pos}: ${JSON.stringify(text.slice(pos, pos + 30))}`);
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push(`"${m[1]}`);
    else if (m[2] !== undefined) tokens.push(m[2]);
    else if (m[3] !== undefined) tokens.push(m[3]);
  }
  return tokens;
}

// A backslash before a newline continues the string on the next line (and is not part of it).
const unquote = (tok: string): string => (tok.startsWith('"') ? tok.slice(1).replace(/\\\n/g, '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : tok);

function parseDot(text: string): Dot {
  const t = tokenizeDot(text);
  let i = 0;
  const expect1 = (v: string) => {
    if (t[i] !== v) throw new Error(`DOT: expected ${v} at token ${i}, got ${t[i]}`);
    i++;
  };
  const attrs = (): Attrs => {
    const a: Attrs = {};
    expect1('[');
    while (t[i] !== ']') {
      const k = t[i++]!;
      expect1('=');
      a[k] = unquote(t[i++]!);
      if (t[i] === ',') i++;
    }
    expect1(']');
    return a;
  };
  expect1('digraph');
  i++; // graph name
  expect1('{');
  const dot: Dot = { nodes: new Map(), edges: [] };
  while (t[i] !== '}') {
    if (t[i] === '{') {
      // { rank=same; a; b; }
      i++;
      while (t[i] !== '}') {
        if (t[i + 1] === '=') i += 3;
        else if (t[i] === ';') i++;
        else {
          if (!/^[a-z]\d+$/.test(t[i]!)) throw new Error(`DOT: bad rank member ${t[i]}`);
          i++;
        }
      }
      i++;
      continue;
    }
    const id = t[i++]!;
    if (t[i] === '->') {
      i++;
      const to = t[i++]!;
      dot.edges.push({ from: id, to, attrs: t[i] === '[' ? attrs() : {} });
    } else {
      const a = t[i] === '[' ? attrs() : {};
      if (!['graph', 'node', 'edge'].includes(id)) {
        if (dot.nodes.has(id)) throw new Error(`DOT: node ${id} declared twice`);
        dot.nodes.set(id, a);
      }
    }
    expect1(';');
  }
  expect1('}');
  if (i !== t.length) throw new Error('DOT: text after the graph');
  return dot;
}

// ---------------------------------------------------------------------------------------------

/** What the picture must show, computed from the state independently of buildTopology. */
function expectedEdges(state: NetworkState): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const c of state.containers)
    for (const ep of c.endpoints) {
      const n = state.networks.find((x) => x.id === ep.networkId);
      if (n && n.driver !== 'host' && n.driver !== 'null') out.push([labelText(n.name), labelText(c.name)]);
    }
  return out.sort();
}

const firstLine = (label: string) => label.split('\n')[0]!;

function dotFacts(text: string) {
  const dot = parseDot(text);
  const name = (id: string) => firstLine(dot.nodes.get(id)!.label!);
  const kind = (id: string) => id[0];
  return {
    dot,
    hosts: [...dot.nodes.keys()].filter((k) => kind(k) === 'h').map(name),
    networks: [...dot.nodes.keys()].filter((k) => kind(k) === 'n').map(name).sort(),
    containers: [...dot.nodes.keys()].filter((k) => kind(k) === 'c').map(name).sort(),
    endpoints: dot.edges.filter((e) => kind(e.from) === 'n' && kind(e.to) === 'c').map((e) => [name(e.from), name(e.to)] as [string, string]).sort(),
    edgeLabel: (from: string, to: string) => dot.edges.filter((e) => name(e.from) === from && name(e.to) === to).map((e) => e.attrs.label),
  };
}

describe('graph: topology model', () => {
  it('the example: real networks (not host/none), every container, modes and endpoints', () => {
    const t = buildTopology(example);
    expect(t.networks.map((n) => n.name).sort()).toEqual(['bridge', 'quarantine', 'shop_back', 'shop_front']);
    expect(t.containers.map((c) => c.name).sort()).toEqual(example.containers.map((c) => c.name).sort());
    const byName = (n: string) => t.containers.find((c) => c.name === n)!;
    expect(byName('node-exporter').mode).toBe('host');
    expect(byName('offline-batch').mode).toBe('none');
    expect(byName('shop-web-sidecar').sharesWith).toBe(byName('shop-web-1').key);
    expect(byName('old-proxy').ports).toEqual([expect.objectContaining({ text: '0.0.0.0:8080->80/tcp', active: false })]);
    expect(t.networks.find((n) => n.name === 'shop_back')!.internal).toBe(true);
    expect(t.networks.find((n) => n.name === 'quarantine')!.iccDisabled).toBe(true);
    expect(t.endpoints.filter((e) => e.container === byName('shop-web-1').key).map((e) => e.ipv4).sort()).toEqual(['10.214.10.3/24', '10.214.11.2/24']);
  });
  it('--network keeps that network, its containers and the ones sharing their namespace', () => {
    const t = buildTopology(example, { network: 'shop_back' });
    expect(t.networks.map((n) => n.name)).toEqual(['shop_back']);
    expect(t.containers.map((c) => c.name).sort()).toEqual(['shop-api-1', 'shop-db-1', 'shop-web-1', 'shop-web-sidecar']);
    expect(t.endpoints.every((e) => e.network === t.networks[0]!.key)).toBe(true);
    expect(() => buildTopology(example, { network: 'nope' })).toThrow(SubjectError);
    expect(() => buildTopology(example, { network: 'shop_bak' })).toThrow(/did you mean "shop_back"/);
    expect(() => buildTopology(example, { network: 'host' })).toThrow(/has no segment to draw/);
  });
});

describe('graph: DOT', () => {
  it('parses, and shows every network, container and endpoint of the example with the right labels', () => {
    const f = dotFacts(renderDot(buildTopology(example)));
    expect(f.hosts).toEqual(['host vm']);
    expect(f.networks).toEqual(['bridge', 'quarantine', 'shop_back', 'shop_front']);
    expect(f.containers).toEqual(example.containers.map((c) => c.name).sort());
    expect(f.endpoints).toEqual(expectedEdges(example));
    expect(f.edgeLabel('shop_back', 'shop-web-1')).toEqual(['10.214.11.2/24']);
    expect(f.edgeLabel('host vm', 'shop-proxy-1')).toEqual(['[::]:8080->80/tcp\n0.0.0.0:8080->80/tcp']);
    expect(f.edgeLabel('host vm', 'old-proxy')).toEqual(['0.0.0.0:8080->80/tcp (not started)']);
    expect(f.edgeLabel('host vm', 'node-exporter')).toEqual(['network: host']);
    expect(f.edgeLabel('shop-web-sidecar', 'shop-web-1')).toEqual(['shares netns']);
    expect(f.dot.nodes.get(f.dot.edges.find((e) => e.attrs.label === '10.214.11.2/24')!.from)!.label).toContain('internal');
  });
  it('every line fits 80 columns, whatever the names; long labels are continued and come back whole', () => {
    const long = 'a-very-long-container-name-'.repeat(8) + 'end';
    const net = network('network-with-a-name-that-goes-on-and-on-'.repeat(3) + 'x', '10.70.0.0/24');
    const bind: PortBinding = { hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: null, containerPort: 80, protocol: 'tcp' };
    const state = snapshot({ networks: [net], containers: [container(long, net, '10.70.0.2', { publishedPorts: [bind], portBindings: [bind] }), container('short', net, '10.70.0.3')] }).state;
    for (const [what, text] of [
      ['example', renderDot(buildTopology(example))],
      ['long names', renderDot(buildTopology(state))],
      ['hostile names', renderDot(buildTopology(hostileState()))],
    ] as const) {
      const wide = text.split('\n').filter((l) => displayWidth(l) > 80);
      expect(wide, what).toEqual([]);
    }
    const f = dotFacts(renderDot(buildTopology(state)));
    expect(f.containers).toEqual([long, 'short'].sort());
    expect(f.networks).toEqual([net.name]);
    expect(f.edgeLabel(f.hosts[0]!, long)).toEqual(['0.0.0.0:8080->80/tcp']);
  });
  it('findings: a "findings:" line and a coloured border on the nodes they name, and a legend node', () => {
    const t = buildTopology(example);
    const dot = parseDot(renderDot(t));
    const node = (name: string) => [...dot.nodes.values()].find((a) => firstLine(a.label!) === name)!;
    const conflict = t.findings.find((f) => f.code === 'PORT_CONFLICT_STOPPED_CONTAINER')!;
    expect(node('old-proxy').label).toMatch(new RegExp(`\\nfindings: (.*, )?${conflict.id}(,|$)`));
    expect(node('old-proxy').penwidth).toBe('2.5');
    expect(node('legacy-app').label).not.toContain('findings:');
    expect(node('legacy-app').color).toBeUndefined();
    const legend = dot.nodes.get('legend')!.label!;
    for (const f of t.findings) expect(legend).toContain(`${f.id}. ${f.severity} ${f.code}: ${f.title}`);
  });
  it('the DOT reader used here rejects broken DOT (so the checks above can fail)', () => {
    expect(() => parseDot('digraph g { a [label="x"]; }')).not.toThrow();
    expect(() => parseDot('digraph g { a [label="x""]; }')).toThrow();
    expect(() => parseDot('digraph g { a [label="x"] b; }')).toThrow();
  });
});

// Names a stranger could give: quote/backslash breakouts, markup, comments, control characters,
// a lone surrogate, and mermaid's own entity syntax.
const HOSTILE = [
  'x"]; evil [label="pwn',
  'back\\slash\\N\\l',
  '</text><script>alert(1)</script>',
  'end --> %% comment & <b>bold</b>',
  'quote"d #quot; #35;',
  'esc\u001b[31mred\nnewline',
  'lone\ud800surrogate',
  "apos' {{curly}} [[sq]] |pipe|",
];

function hostileState(): NetworkState {
  const nets = HOSTILE.slice(0, 3).map((n, i) => network(`net-${n}`, `10.${60 + i}.0.0/24`));
  const bind: PortBinding = { hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: null, containerPort: 80, protocol: 'tcp' };
  const containers = HOSTILE.map((n, i) => container(n, nets[i % nets.length]!, `10.${60 + (i % nets.length)}.0.${10 + i}`, i === 0 ? { publishedPorts: [bind], portBindings: [bind] } : {}));
  return snapshot({ networks: nets, containers }).state;
}

describe('graph: hostile names', () => {
  const state = hostileState();
  const topo: Topology = buildTopology(state);

  it('DOT: still one node per object, labels come back exactly, no injected nodes or edges', () => {
    const f = dotFacts(renderDot(topo));
    expect(f.containers).toEqual(HOSTILE.map(labelText).sort());
    expect(f.networks).toEqual(state.networks.map((n) => labelText(n.name)).sort());
    expect(f.dot.nodes.size).toBe(1 + 3 + HOSTILE.length);
    expect(f.endpoints).toEqual(expectedEdges(state));
    expect(f.dot.edges.length).toBe(3 + HOSTILE.length + 1);
    expect([...f.dot.nodes.keys()].some((k) => k === 'evil')).toBe(false);
  });

  it('mermaid: every line is one well-formed statement; decoded labels give the names back', () => {
    const text = renderMermaid(topo);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart TB');
    const label = '"[^"<>]*(?:<br/>[^"<>]*)*"';
    const node = new RegExp(`^  ([hnc]\\d+)(\\[\\[${label}\\]\\]|\\{\\{${label}\\}\\}|\\[${label}\\])$`);
    const edge = new RegExp(`^  [hnc]\\d+ (---|===|-\\.->)\\|${label}\\| [hnc]\\d+$`);
    const other = /^  (classDef \w+ [^"]+|class [\w,]+ \w+)$/;
    const decoded: string[] = [];
    for (const l of lines.slice(1)) {
      expect(node.test(l) || edge.test(l) || other.test(l), l).toBe(true);
      const m = node.exec(l);
      if (m?.[1]!.startsWith('c')) {
        const first = /"([^"]*)"/.exec(l)![1]!.split('<br/>')[0]!;
        decoded.push(first.replace(/#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))));
      }
    }
    expect(decoded.sort()).toEqual(HOSTILE.map(labelText).sort());
    expect(text).not.toMatch(/%%|-->|<script|<b>/);
  });

  it('SVG: parses as XML, one group per object, names only as text, no injected elements', () => {
    const svg = renderSvg(topo);
    const py = [
      'import sys, json, xml.etree.ElementTree as ET',
      'root = ET.fromstring(sys.stdin.buffer.read())',
      'ns = "{http://www.w3.org/2000/svg}"',
      'groups = [{"id": g.get("id"), "cls": g.get("class"), "texts": [t.text for t in g.iter(ns + "text")]} for g in root.iter(ns + "g")]',
      'tags = sorted({e.tag.replace(ns, "") for e in root.iter()})',
      'print(json.dumps({"groups": groups, "tags": tags}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', py], { input: svg }).toString()) as {
      groups: Array<{ id: string; cls: string; texts: string[] }>;
      tags: string[];
    };
    expect(out.tags).toEqual(['defs', 'g', 'marker', 'path', 'polyline', 'rect', 'style', 'svg', 'text', 'title'].sort());
    const ctr = out.groups.filter((g) => g.cls === 'container');
    expect(out.groups.filter((g) => g.cls === 'network').length).toBe(3);
    expect(ctr.map((g) => g.texts[0]).sort()).toEqual(HOSTILE.map(labelText).sort());
    const published = ctr.find((g) => g.texts[0] === labelText(HOSTILE[0]!))!;
    expect(published.texts).toContain('⇡ 0.0.0.0:8080->80/tcp');
  });

  it('SVG of the example: parses, boxes in a row do not overlap, every endpoint drawn', () => {
    const svg = renderSvg(buildTopology(example));
    const py = [
      'import sys, json, xml.etree.ElementTree as ET',
      'root = ET.fromstring(sys.stdin.buffer.read())',
      'ns = "{http://www.w3.org/2000/svg}"',
      'boxes = [{"cls": g.get("class"), **{k: float(g.find(ns + "rect").get(k)) for k in ("x", "y", "width", "height")}} for g in root.iter(ns + "g")]',
      'lines = [e.get("class") for e in root.iter(ns + "polyline")]',
      'print(json.dumps({"boxes": boxes, "lines": lines}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', py], { input: svg }).toString()) as {
      boxes: Array<{ cls: string; x: number; y: number; width: number; height: number }>;
      lines: string[];
    };
    expect(out.boxes.length).toBe(1 + 4 + example.containers.length);
    for (const a of out.boxes)
      for (const b of out.boxes) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        expect(overlap).toBe(false);
      }
    // Rows: every network below the host, every container below every network.
    const maxY = (cls: string) => Math.max(...out.boxes.filter((b) => b.cls === cls).map((b) => b.y + b.height));
    const minY = (cls: string) => Math.min(...out.boxes.filter((b) => b.cls === cls).map((b) => b.y));
    expect(minY('network')).toBeGreaterThan(maxY('host'));
    expect(minY('container')).toBeGreaterThan(maxY('network'));
    expect(out.lines.filter((l) => l === 'endpoint').length).toBe(expectedEdges(example).length);
    expect(out.lines.filter((l) => l === 'bridge').length).toBe(4);
    expect(out.lines.filter((l) => l === 'hostmode').length).toBe(1);
  });
});

describe('graph: CLI', () => {
  it('formats, -o, --network, --json and bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-graph-'));
    writeFileSync(join(dir, 'x'), '');
    const file = join(dir, 'topo.svg');
    // Independent runs in parallel: each is a fresh CLI process.
    const [dot, mm, svg, json, bad, fmt, unwritable] = await Promise.all([
      // DOT is a file format: 80 columns whatever the terminal is.
      runCli(['graph', '-s', EXAMPLE], { env: { ...process.env, COLUMNS: '200' } }),
      runCli(['graph', '-s', EXAMPLE, '--format', 'mermaid', '--network', 'shop_back']),
      runCli(['graph', '-s', EXAMPLE, '-f', 'svg', '-o', file]),
      runCli(['graph', '-s', EXAMPLE, '--json']),
      runCli(['graph', '-s', EXAMPLE, '--network', 'nope']),
      runCli(['graph', '-s', EXAMPLE, '--format', 'png']),
      runCli(['graph', '-s', EXAMPLE, '-o', join(dir, 'x', 'y.dot')]),
    ]);
    expect(dot.code).toBe(0);
    expect(dotFacts(dot.stdout).containers.length).toBe(example.containers.length);
    expect(dot.stdout.split('\n').filter((l) => displayWidth(l) > 80)).toEqual([]);
    expect(mm.code).toBe(0);
    expect(mm.stdout.startsWith('flowchart TB\n')).toBe(true);
    expect(mm.stdout).toContain('shop-db-1');
    expect(mm.stdout).not.toContain('quarantine');
    expect(svg.code).toBe(0);
    expect(svg.stdout).toBe('');
    expect(existsSync(file) && readFileSync(file, 'utf8').startsWith('<?xml')).toBe(true);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, command: 'graph', source: { kind: 'snapshot' }, focus: null, networks: expect.any(Array), containers: expect.any(Array), endpoints: expect.any(Array) });
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('netsleuth: no network called "nope" in this state (did you mean "none"?)');
    expect(fmt.code).toBe(2);
    expect(unwritable.code).toBe(3);
    expect(unwritable.stderr).not.toMatch(/\n\s+at /);
  });
});
