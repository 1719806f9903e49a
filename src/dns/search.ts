// The stub resolver's search-list logic, as pure functions shared by the predictor (analysis) and
// the probe agent (which replays the same candidates on the wire). No I/O, no dns-packet.
//
// Three flavours, because the answer depends on the C library of the process that resolves:
// - glibc (Debian/Ubuntu/RHEL images; res_nsearch): a name with at least `ndots` dots (or a
//   trailing dot) is tried as-is first; then the search domains (single-label names and dotted
//   names alike); then, if not tried yet, the name as-is — unless `no-tld-query` and no dot.
//   NXDOMAIN, NODATA and SERVFAIL move on to the next candidate; a timeout ends the search.
// - musl (Alpine): a name with ≥ ndots dots or a trailing dot is tried as-is only, never with the
//   search list; otherwise each search domain, then the name as-is. Only NXDOMAIN moves on:
//   NODATA and SERVFAIL end the search (musl's well-known "search stops at NODATA").
// - busybox (its own `nslookup` applet, the one in the test image): ignores ndots; a name with any
//   dot, or a PTR question, is asked as-is only; otherwise each search domain, then the name.
//   It does NOT read /etc/hosts.
// The predictor follows glibc by default (what `getaddrinfo` in most application images does);
// `--resolver musl|busybox` picks another.

export type ResolverFlavour = 'glibc' | 'musl' | 'busybox';

export interface SearchConfig {
  search: readonly string[];
  ndots: number;
  /** glibc `options no-tld-query`. */
  noTldQuery?: boolean;
}

export interface ResolverOptions {
  ndots: number;
  /** Seconds per try (glibc default 5). */
  timeout: number;
  attempts: number;
  rotate: boolean;
  noTldQuery: boolean;
  useVc: boolean;
  edns0: boolean;
  /** Options present but not understood here. */
  other: string[];
}

/** Reads `options` lines the way glibc does (later values win; ndots capped at 15). */
export function parseResolverOptions(options: readonly string[]): ResolverOptions {
  const o: ResolverOptions = { ndots: 1, timeout: 5, attempts: 2, rotate: false, noTldQuery: false, useVc: false, edns0: false, other: [] };
  for (const opt of options) {
    const m = /^(ndots|timeout|attempts):(\d+)$/.exec(opt);
    if (m) {
      const n = Number(m[2]);
      if (m[1] === 'ndots') o.ndots = Math.min(n, 15);
      else if (m[1] === 'timeout') o.timeout = Math.min(Math.max(n, 1), 30);
      else o.attempts = Math.min(Math.max(n, 1), 5);
    } else if (opt === 'rotate') o.rotate = true;
    else if (opt === 'no-tld-query') o.noTldQuery = true;
    else if (opt === 'use-vc' || opt === 'tcp') o.useVc = true;
    else if (opt === 'edns0') o.edns0 = true;
    else o.other.push(opt);
  }
  return o;
}

/** The names a resolver of `flavour` asks, in order, for `name`. Names come back without a trailing dot. */
export function searchCandidates(name: string, cfg: SearchConfig, flavour: ResolverFlavour = 'glibc', isPtr = false): string[] {
  const trailing = name.endsWith('.');
  const bare = name.replace(/\.+$/, '');
  if (bare === '') return [''];
  const dots = (bare.match(/\./g) ?? []).length;
  const search = cfg.search.map((d) => d.replace(/^\.+|\.+$/g, '')).filter((d) => d !== '');
  const withDomains = search.map((d) => `${bare}.${d}`);
  if (trailing) return [bare];
  if (flavour === 'busybox') {
    if (isPtr || dots > 0 || search.length === 0) return [bare];
    return [...withDomains, bare];
  }
  if (flavour === 'musl') {
    if (dots >= cfg.ndots) return [bare];
    return [...withDomains, bare];
  }
  const out: string[] = [];
  let triedAsIs = false;
  if (dots >= cfg.ndots) {
    out.push(bare);
    triedAsIs = true;
  }
  out.push(...withDomains);
  if (!triedAsIs && !(cfg.noTldQuery && dots === 0)) out.push(bare);
  return [...new Set(out)];
}

export type CandidateOutcome = 'answer' | 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'error';

/** Whether the resolver moves on to the next search candidate after `outcome`. */
export function continuesAfter(outcome: CandidateOutcome, flavour: ResolverFlavour): boolean {
  if (outcome === 'answer') return false;
  if (outcome === 'nxdomain') return true;
  if (flavour === 'glibc') return outcome === 'nodata' || outcome === 'servfail';
  if (flavour === 'busybox') return outcome === 'nodata' || outcome === 'servfail';
  return false;
}

/** Maps a wire rcode + answer count to an outcome for the search walk. */
export function outcomeOf(rcode: string, answerCount: number): CandidateOutcome {
  if (rcode === 'NOERROR') return answerCount > 0 ? 'answer' : 'nodata';
  if (rcode === 'NXDOMAIN') return 'nxdomain';
  if (rcode === 'SERVFAIL') return 'servfail';
  if (rcode === 'REFUSED') return 'refused';
  return 'error';
}
