import { describe, expect, it } from 'vitest';
import { colorWanted, displayWidth, hang, truncate, wrap } from '../../../src/report/term.js';
import { renderTable } from '../../../src/report/table.js';

const RED = (s: string) => `\u001b[31m${s}\u001b[39m`;

describe('term: width by display columns', () => {
  it('wide glyphs count two, ANSI codes none', () => {
    expect(displayWidth('網路')).toBe(4);
    expect(displayWidth(RED('DROP'))).toBe(4);
  });
  it('truncate cuts wide glyphs and coloured text to the width, with …', () => {
    const t = truncate('容器容器容器', 7);
    expect(displayWidth(t)).toBeLessThanOrEqual(7);
    expect(t.endsWith('…')).toBe(true);
    const c = truncate(RED('abcdefghij'), 5);
    expect(displayWidth(c)).toBe(5);
    expect(c).toContain('\u001b[31m');
  });
  it('wrap and hang keep every line within the width', () => {
    const text = '網路 shop_front 容器 web ' + RED('blocked') + ' by rule 15 in filter/FORWARD';
    for (const l of wrap(text, 12)) expect(displayWidth(l)).toBeLessThanOrEqual(12);
    const h = hang('one two three four five six seven', 14, 'Label ', 6);
    expect(h[0]!.startsWith('Label one')).toBe(true);
    for (const l of h.slice(1)) expect(l.startsWith('      ')).toBe(true);
    for (const l of h) expect(displayWidth(l)).toBeLessThanOrEqual(14);
  });
});

describe('term: colorWanted precedence', () => {
  it('--json beats FORCE_COLOR; FORCE_COLOR beats NO_COLOR, CI and a pipe; then NO_COLOR, CI, TERM=dumb, the TTY', () => {
    expect(colorWanted({ FORCE_COLOR: '1' }, true, true)).toBe(false);
    expect(colorWanted({ FORCE_COLOR: '1', NO_COLOR: '1', CI: 'true' }, false, false)).toBe(true);
    expect(colorWanted({ FORCE_COLOR: '0' }, true, false)).toBe(false);
    expect(colorWanted({ NO_COLOR: '1' }, true, false)).toBe(false);
    expect(colorWanted({ CI: 'true' }, true, false)).toBe(false);
    expect(colorWanted({ TERM: 'dumb' }, true, false)).toBe(false);
    expect(colorWanted({}, true, false)).toBe(true);
    expect(colorWanted({}, false, false)).toBe(false);
  });
});

describe('table: shrinking to a width', () => {
  const rows = [{ a: 'short', b: 'a long value that has to wrap somewhere', c: 'truncate-me-please-now' }];
  it('wraps the wrap column first, then truncates truncate columns, and fits', () => {
    const cols = [
      { header: 'A', value: (r: (typeof rows)[number]) => r.a },
      { header: 'C', value: (r: (typeof rows)[number]) => r.c, shrink: 'truncate' as const },
      { header: 'B', value: (r: (typeof rows)[number]) => r.b },
    ];
    const wide = renderTable(rows, cols);
    expect(wide.split('\n')).toHaveLength(2);
    const narrow = renderTable(rows, cols, { width: 40 });
    const lines = narrow.split('\n');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(40);
    expect(lines.length).toBeGreaterThan(2);
    expect(narrow).toContain('truncate-me-please-now');
    const tight = renderTable(rows, cols, { width: 30 }).split('\n');
    for (const l of tight) expect(displayWidth(l)).toBeLessThanOrEqual(30);
    expect(tight.join('\n')).toContain('…');
  });
});
