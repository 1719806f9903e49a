// Shared helpers for the firewall tests: locating Docker's reference rule sets in ../shared
// (read at test time, never copied) and turning the `iptables -S` blocks of Docker's generated
// iptablesdoc pages into iptables-save documents.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..', '..');
export const SHARED_RULES = join(ROOT, '..', 'shared', 'docker-rules');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'firewall');

export function sharedRulesAvailable(): boolean {
  const ok = existsSync(SHARED_RULES) && statSync(SHARED_RULES).isDirectory();
  if (!ok) console.warn(`[firewall tests] SKIP: ${SHARED_RULES} is absent; Docker reference rule sets not checked`);
  return ok;
}

export function walk(dir: string, pred: (p: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** Which table an `iptables -S` block belongs to, from its -P lines (and targets). */
function tableOf(lines: string[]): string {
  const pol = new Set(lines.filter((l) => l.startsWith('-P ')).map((l) => l.split(/\s+/)[1]));
  const has = (c: string) => pol.has(c);
  if (has('PREROUTING') && has('POSTROUTING') && has('FORWARD')) return 'mangle';
  if (has('PREROUTING') && has('POSTROUTING')) return 'nat';
  if (has('PREROUTING') && has('OUTPUT')) return 'raw';
  if (has('FORWARD')) return 'filter';
  if (lines.some((l) => /-j (DNAT|MASQUERADE|SNAT)\b/.test(l))) return 'nat';
  return 'filter';
}

/** Convert `iptables -S` output for one table into an iptables-save document. */
export function sToSave(sText: string, table?: string): string {
  const lines = sText.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('-'));
  const t = table ?? tableOf(lines);
  const out = [`*${t}`];
  for (const l of lines) {
    const parts = l.split(/\s+/);
    if (parts[0] === '-P') out.push(`:${parts[1]} ${parts[2]} [0:0]`);
    else if (parts[0] === '-N') out.push(`:${parts[1]} - [0:0]`);
  }
  for (const l of lines) if (l.startsWith('-A ')) out.push(l);
  out.push('COMMIT');
  return `${out.join('\n')}\n`;
}

/** Every `iptables commands` block of a generated iptablesdoc page, as iptables-save text. */
export function mdToSave(md: string): string {
  const blocks: string[] = [];
  const re = /<summary>iptables commands<\/summary>([\s\S]*?)<\/details>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(md))) blocks.push(m[1]!);
  const byTable = new Map<string, string>();
  for (const b of blocks) {
    const lines = b.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('-'));
    if (lines.length === 0) continue;
    byTable.set(tableOf(lines), b);
  }
  return [...byTable.entries()].map(([t, b]) => sToSave(b, t)).join('');
}
