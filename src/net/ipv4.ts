// The one dotted-quad parser. Plain integer math and no imports: the firewall's per-packet path
// and the route tables both use it. Leading zeros are rejected ("010" is octal to inet_aton and
// decimal to others: ambiguous, and never what iptables-save or ip -j print).

/** Parses a dotted IPv4 address to an unsigned 32-bit number; -1 when invalid. */
export function parseIPv4(s: string): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return acc * 256 + part;
}
