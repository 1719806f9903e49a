// Name helpers that need no DNS library (the snapshot-only path must not load dns-packet).

export function reverseName(ip: string): string | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255) ? `${v4.slice(1).reverse().join('.')}.in-addr.arpa` : null;
  if (!ip.includes(':')) return null;
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if (tail === undefined && h.length !== 8) return null;
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const nibbles = groups.map((g) => g.padStart(4, '0')).join('').toLowerCase().split('');
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** Why `name` cannot be asked as a DNS question, or null when it can. */
export function nameProblem(name: string): string | null {
  const n = name === '.' ? '' : name.replace(/\.$/, '');
  if (n.length > 253) return 'name is longer than 253 characters';
  if (n !== '' && n.split('.').some((l) => l.length === 0)) return `"${name}" has an empty label`;
  if (n !== '' && n.split('.').some((l) => Buffer.byteLength(l) > 63)) return `"${name}" has a label longer than 63 bytes`;
  return null;
}
