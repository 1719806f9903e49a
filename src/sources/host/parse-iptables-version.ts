// `iptables --version` → which kernel backend the host's `iptables` command drives.

import { HostParseError } from './parse-util.js';

/**
 * `iptables v1.8.9 (nf_tables)` → nf_tables; `iptables v1.8.7 (legacy)` → legacy. Releases before
 * 1.8 print no backend and only had the legacy one.
 */
export function parseIptablesVersion(text: string): 'nf_tables' | 'legacy' {
  const m = /iptables v(\d+)\.(\d+)[^\s(]*\s*(?:\(([^)]+)\))?/.exec(text);
  if (!m) throw new HostParseError(`iptables --version: unrecognized output "${text.trim().slice(0, 80)}"`);
  const backend = m[3];
  if (backend === 'nf_tables') return 'nf_tables';
  if (backend === 'legacy') return 'legacy';
  if (backend === undefined && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 8))) return 'legacy';
  throw new HostParseError(`iptables --version: unknown backend in "${text.trim().slice(0, 80)}"`);
}
