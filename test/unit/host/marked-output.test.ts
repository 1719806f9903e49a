import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { markedScript, markerPrefix, splitMarked } from '../../../src/sources/host/marked-output.js';

const NONCE = '0123456789abcdef';
const M = markerPrefix(NONCE);

/** What the script prints on one stream for the given parts. */
const emit = (parts: Array<[string, string, number]>): string => parts.map(([k, t, s]) => `${t}\n${M} ${k} ${s}\n`).join('');

describe('markedScript', () => {
  it('runs each command followed by its marker; refuses words that need quoting', () => {
    const s = markedScript([{ key: 'ip-link', argv: ['ip', '-j', 'link'] }], NONCE);
    expect(s).toContain(`M='${M}'`);
    expect(s).toContain('ip -j link; m ip-link $?');
    expect(() => markedScript([{ key: 'x', argv: ['echo', '$(reboot)'] }], NONCE)).toThrow(/plain shell word/);
    expect(() => markedScript([{ key: 'a b', argv: ['true'] }], NONCE)).toThrow(/invalid key/);
    expect(() => markedScript([], "x'; reboot")).toThrow(/invalid nonce/);
  });
});

describe('splitMarked', () => {
  it('gives each part byte for byte, with or without a trailing newline, and its status', () => {
    const { parts, rest } = splitMarked(emit([['a', '[1]\n', 0], ['b', 'no newline', 3], ['c', '', 0], ['d', '\n\n', 0]]), NONCE);
    expect(Object.fromEntries(parts)).toEqual({
      a: { text: '[1]\n', status: 0 },
      b: { text: 'no newline', status: 3 },
      c: { text: '', status: 0 },
      d: { text: '\n\n', status: 0 },
    });
    expect(rest).toBe('');
  });

  it('ignores markers of another nonce and incomplete marker lines; keeps trailing text in rest', () => {
    const foreign = `x\n${markerPrefix('ffff')} a 0\ny`;
    const text = `${foreign}\n${M} a 0\n\n${M} b 1`; // b's marker cut off (no final newline)
    const { parts, rest } = splitMarked(text, NONCE);
    expect(Object.fromEntries(parts)).toEqual({ a: { text: foreign, status: 0 } });
    expect(rest).toBe(`\n${M} b 1`);
    expect(splitMarked('nsenter: cannot open /proc/1/ns/net: No such file or directory\n', NONCE)).toEqual({
      parts: new Map(),
      rest: 'nsenter: cannot open /proc/1/ns/net: No such file or directory\n',
    });
  });

  const key = fc.constantFrom('ip-link', 'ip-addr', 'ip-route-4', 'ip-route-6', 'ss-listen');
  // Part contents: anything, plus fragments that look like markers (other nonces, no newline,
  // bad status) — but never the run's own nonce, which the namespace cannot know.
  const content = fc
    .array(
      fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.constantFrom('\n', '\n\n', `\n${markerPrefix('abc')} ip-link 0\n`, '@@netsleuth:', '@@ ip-addr 0\n', '\r\n', ' 0\n'),
      ),
      { maxLength: 6 },
    )
    .map((a) => a.join(''))
    .filter((t) => !t.includes(NONCE));

  it('never mixes parts: whatever the commands print, each part comes back as printed (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { minLength: 1, maxLength: 5 }), fc.array(content, { minLength: 5, maxLength: 5 }), fc.array(fc.nat(255), { minLength: 5, maxLength: 5 }), (keys, texts, statuses) => {
        const parts = keys.map((k, i): [string, string, number] => [k, texts[i]!, statuses[i]!]);
        const split = splitMarked(emit(parts), NONCE);
        expect([...split.parts.keys()]).toEqual(keys);
        for (const [k, t, s] of parts) expect(split.parts.get(k)).toEqual({ text: t, status: s });
        expect(split.rest).toBe('');
      }),
    );
  });

  it('output cut off anywhere (timeout) gives a prefix of the parts, each intact (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { minLength: 1, maxLength: 5 }), fc.array(content, { minLength: 5, maxLength: 5 }), fc.nat(), (keys, texts, cutAt) => {
        const parts = keys.map((k, i): [string, string, number] => [k, texts[i]!, 0]);
        const full = emit(parts);
        const split = splitMarked(full.slice(0, cutAt % (full.length + 1)), NONCE);
        const got = [...split.parts.keys()];
        expect(got).toEqual(keys.slice(0, got.length));
        for (const k of got) expect(split.parts.get(k)!.text).toBe(texts[(keys as string[]).indexOf(k)]);
      }),
    );
  });

  it('never throws on arbitrary output, and parts never overlap (property)', () => {
    const noise = fc.array(fc.oneof(fc.string(), fc.constantFrom(`\n${M} `, `\n${M} a 1\n`, `${M} b 2\n`, '\n', 'ip-link 0\n')), { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(
      fc.property(noise, (text) => {
        const { parts, rest } = splitMarked(text, NONCE);
        // Parts and rest, in order, are disjoint pieces of the text.
        let at = 0;
        for (const p of parts.values()) {
          const i = text.indexOf(p.text, at);
          expect(i).toBeGreaterThanOrEqual(at);
          at = i + p.text.length;
        }
        expect(text.endsWith(rest)).toBe(true);
        expect(text.length - rest.length).toBeGreaterThanOrEqual(at);
      }),
    );
  });
});
