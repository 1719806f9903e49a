// Graphviz DOT for the topology. Node ids are generated (h0, n0, c0), never names; every label is
// a DOT quoted string with `"` and `\` escaped, so a name cannot end the string or inject
// attributes, and escape sequences like \N or \l in a name stay literal text.

import { displayWidth } from './term.js';
import { containerLines, endpointLabel, hostLines, labelText, networkLines, portLabel, type TopoFinding, type Topology } from '../analysis/topology.js';

/** A DOT double-quoted string; lines joined with DOT's centred line break. */
export function dotString(lines: string | string[]): string {
  const list = typeof lines === 'string' ? [lines] : lines;
  return `"${list.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n')}"`;
}

/** Lines of DOT source are kept to this many columns (docs/graph.md). */
export const DOT_WIDTH = 80;

/**
 * A quoted string that fits DOT_WIDTH: cut with DOT's backslash-newline continuation (the
 * backslash and the newline are not part of the string), preferably after a `\n` line break,
 * never inside an escape sequence. `col` is the column the string starts at, `tail` the columns
 * that must follow it on its line. Continued lines start at column 0 (leading blanks there would
 * be part of the string).
 */
export function dotWrapped(quoted: string, col: number, tail = 0): string {
  // Units: an escape sequence (\\, \", \n) stays whole; pieces: runs of units ending in \n.
  const units = quoted.match(/\\[\s\S]|[\s\S]/gu) ?? [];
  const pieces: string[][] = [[]];
  for (const u of units) {
    pieces[pieces.length - 1]!.push(u);
    if (u === '\\n' || u === '\\l') pieces.push([]);
  }
  let out = '';
  let c = col;
  const room = (w: number, last: boolean) => c + w + (last ? tail : 1) <= DOT_WIDTH;
  pieces.forEach((piece, pi) => {
    const lastPiece = pi === pieces.length - 1;
    const w = piece.reduce((s, u) => s + displayWidth(u), 0);
    if (out && !room(w, lastPiece) && w + (lastPiece ? tail : 1) <= DOT_WIDTH) {
      out += '\\\n';
      c = 0;
    }
    piece.forEach((u, ui) => {
      const uw = displayWidth(u);
      if (out && !room(uw, lastPiece && ui === piece.length - 1)) {
        out += '\\\n';
        c = 0;
      }
      out += u;
      c += uw;
    });
  });
  return out;
}

/** `  head [a=1, b="x"];` on one line when it fits, else attributes packed on indented lines. */
function statement(head: string, attrs: Array<[string, string]>): string {
  const one = `  ${head} [${attrs.map(([k, v]) => `${k}=${v}`).join(', ')}];`;
  if (displayWidth(one) <= DOT_WIDTH) return one;
  const lines = [`  ${head} [`];
  let line = '';
  attrs.forEach(([k, v], i) => {
    const end = i === attrs.length - 1 ? '' : ',';
    const text = `${k}=${v}${end}`;
    if (line && displayWidth(line) + 1 + displayWidth(text) <= DOT_WIDTH) {
      line += ` ${text}`;
      return;
    }
    if (line) lines.push(line);
    const prefix = `    ${k}=`;
    line = displayWidth(prefix + text) - k.length - 1 <= DOT_WIDTH || !v.startsWith('"') ? `    ${text}` : prefix + dotWrapped(v, prefix.length, end.length) + end;
    // A wrapped string ends its own line.
    if (line.includes('\n')) {
      lines.push(line);
      line = '';
    }
  });
  if (line) lines.push(line);
  lines.push('  ];');
  return lines.join('\n');
}

/** `  { rank=same; a; b; … }` wrapped at DOT_WIDTH. */
function sameRank(keys: string[]): string {
  const lines: string[] = [];
  let line = '  { rank=same;';
  for (const k of keys) {
    if (line.length + k.length + 2 > DOT_WIDTH) {
      lines.push(line);
      line = '   ';
    }
    line += ` ${k};`;
  }
  lines.push(line + ' }');
  return lines.join('\n');
}

const SEVERITY_COLOR = { error: '"#cc0000"', warning: '"#c76b00"', info: '"#2266bb"' } as const;

export function renderDot(t: Topology): string {
  const findingsOf = new Map<string, TopoFinding[]>();
  for (const f of t.findings) for (const k of f.nodes) findingsOf.set(k, [...(findingsOf.get(k) ?? []), f]);
  /** A node's findings: a `findings: 1, 3` label line, a border in the worst one's colour. */
  const marked = (key: string, lines: string[], attrs: Array<[string, string]>): Array<[string, string]> => {
    const fs = findingsOf.get(key);
    if (!fs?.length) return [...attrs, ['label', dotString(lines)]];
    const worst = fs.some((f) => f.severity === 'error') ? 'error' : fs.some((f) => f.severity === 'warning') ? 'warning' : 'info';
    return [...attrs, ['color', SEVERITY_COLOR[worst]], ['penwidth', '2.5'], ['label', dotString([...lines, `findings: ${fs.map((f) => f.id).join(', ')}`])]];
  };
  const out: string[] = [];
  out.push('digraph netsleuth {');
  out.push('  graph [rankdir=TB, fontname="Helvetica", nodesep=0.4, ranksep=0.8];');
  out.push('  node [fontname="Helvetica", fontsize=10];');
  out.push('  edge [fontname="Helvetica", fontsize=9, arrowsize=0.6];');
  out.push('  // row 1: hosts');
  out.push(sameRank(t.hosts.map((h) => h.key)));
  for (const h of t.hosts) out.push(statement(h.key, marked(h.key, hostLines(h), [['shape', 'box3d'], ['style', 'filled'], ['fillcolor', '"#eeeeee"']])));
  if (t.networks.length) {
    out.push('  // row 2: networks');
    out.push(sameRank(t.networks.map((n) => n.key)));
  }
  for (const n of t.networks) {
    const style: Array<[string, string]> = n.internal ? [['style', '"filled,dashed"'], ['fillcolor', '"#fff4e0"']] : [['style', 'filled'], ['fillcolor', '"#e0f0ff"']];
    out.push(statement(n.key, marked(n.key, networkLines(n), [['shape', 'hexagon'], ...style])));
  }
  if (t.containers.length) {
    out.push('  // row 3: containers');
    out.push(sameRank(t.containers.map((c) => c.key)));
  }
  for (const c of t.containers) {
    const style: Array<[string, string]> = c.running ? [['style', '"rounded,filled"'], ['fillcolor', '"#e8f8e8"']] : [['style', '"rounded,filled,dashed"'], ['fillcolor', '"#f4f4f4"']];
    out.push(statement(c.key, marked(c.key, containerLines(c, t), [['shape', 'box'], ...style])));
  }
  out.push('  // host ↔ network (the bridge)');
  for (const n of t.networks) out.push(statement(`${n.hostKey} -> ${n.key}`, [['dir', 'none'], ['label', dotString(n.bridge ?? n.driver)]]));
  out.push("  // endpoints: network ↔ container, with the container's addresses");
  for (const e of t.endpoints) out.push(statement(`${e.network} -> ${e.container}`, [['dir', 'none'], ['label', dotString(endpointLabel(e))]]));
  const keys = new Set(t.containers.map((c) => c.key));
  for (const c of t.containers) {
    if (c.mode === 'host') out.push(statement(`${c.hostKey} -> ${c.key}`, [['dir', 'none'], ['style', 'bold'], ['color', '"#aa5500"'], ['label', dotString('network: host')]]));
    if (c.mode === 'container' && c.sharesWith && keys.has(c.sharesWith)) out.push(statement(`${c.key} -> ${c.sharesWith}`, [['style', 'dotted'], ['label', dotString('shares netns')]]));
  }
  const published = t.containers.filter((c) => c.ports.length);
  if (published.length) out.push('  // published ports: host address:port -> container port');
  for (const c of published) {
    out.push(
      statement(`${c.hostKey} -> ${c.key}`, [
        ['style', 'dashed'],
        ['color', '"#cc0000"'],
        ['fontcolor', '"#cc0000"'],
        ['constraint', 'false'],
        ['label', dotString(c.ports.map(portLabel))],
      ]),
    );
  }
  if (t.findings.length) {
    // The legend: one left-aligned line per finding (\l ends a left-aligned line in DOT).
    out.push('  // findings: the numbers in the nodes\' "findings:" lines');
    const text = t.findings.map((f) => `${f.id}. ${f.severity} ${f.code}: ${f.title}`);
    const label = `"${text.map((l) => labelText(l).replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\l')}\\l"`;
    out.push(statement('legend', [['shape', 'note'], ['fontsize', '9'], ['label', label]]));
  }
  out.push('}');
  return out.join('\n') + '\n';
}
