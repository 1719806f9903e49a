// resolv.conf and /etc/hosts text → model. Used for the host's files and for the copies Docker
// writes into each container, so they follow the glibc resolver's reading of the files.

import type { HostsEntry, ResolvConf } from '../../model/types.js';

function tokens(line: string): string[] {
  const out: string[] = [];
  for (const t of line.trim().split(/\s+/)) {
    if (t === '') continue;
    if (t.startsWith('#') || t.startsWith(';')) break; // trailing comment
    out.push(t);
  }
  return out;
}

/**
 * Nameservers in file order; `search` and `domain` replace each other (the last one wins, as in
 * glibc); `options` accumulate. Comment lines start with `#` or `;` — Docker's own comments
 * (`# ExtServers: [...]`) stay available in `raw`.
 */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  const options: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*[#;]/.test(line)) continue;
    const [key, ...args] = tokens(line);
    if (key === 'nameserver' && args[0] !== undefined) nameservers.push(args[0]);
    else if (key === 'search') search = args;
    else if (key === 'domain' && args[0] !== undefined) search = [args[0]];
    else if (key === 'options') options.push(...args);
  }
  return { nameservers, search, options, raw: text };
}

/** `/etc/hosts`: an address then one or more names; comments and lines without a name are skipped. */
export function parseHostsFile(text: string): HostsEntry[] {
  const out: HostsEntry[] = [];
  for (const line of text.split('\n')) {
    const t = tokens(line.replace(/#.*$/, ''));
    if (t.length < 2) continue;
    out.push({ address: t[0]!, names: t.slice(1) });
  }
  return out;
}
