// Which generation of Docker's iptables layout a ruleset carries, recognised by its chains
// (analysis-anchors §6): ≤27 isolation stages; 28.0.0 ipset-based FORWARD rules and raw-table
// drops; 28.0.1+ DOCKER-FORWARD / DOCKER-CT / DOCKER-BRIDGE; 29 DOCKER-INTERNAL replaces the
// isolation stages; 29 nftables backend (`ip docker-bridges` table).

import type { DockerDialect, Ruleset } from './types.js';

export interface DialectInfo {
  dialect: DockerDialect;
  /** What the decision rests on, e.g. `filter chain DOCKER-FORWARD`. */
  evidence: string[];
}

export function detectDockerDialect(rs: Ruleset): DialectInfo {
  const evidence: string[] = [];
  if (rs.format === 'nft-json') {
    const t = Object.keys(rs.tables).find((n) => /(^|:)docker-bridges$/.test(n));
    if (t) return { dialect: 'docker-29-nftables', evidence: [`nftables table ${t}`] };
  }
  const filter = rs.tables['filter'];
  const has = (c: string) => !!filter?.chains[c];
  const docker = Object.values(rs.tables).flatMap((t) =>
    t.chainOrder.filter((c) => /^DOCKER($|[-_])/.test(c)).map((c) => `${t.name} chain ${c}`),
  );
  if (docker.length === 0) return { dialect: 'none', evidence: ['no DOCKER chains in any table'] };
  const mark = (c: string) => evidence.push(`filter chain ${c}`);
  if (has('DOCKER-FORWARD')) {
    mark('DOCKER-FORWARD');
    if (has('DOCKER-INTERNAL')) {
      mark('DOCKER-INTERNAL');
      if (!has('DOCKER-ISOLATION-STAGE-1')) evidence.push('no DOCKER-ISOLATION-STAGE-1');
      return { dialect: 'docker-29', evidence };
    }
    for (const c of ['DOCKER-CT', 'DOCKER-BRIDGE']) if (has(c)) mark(c);
    return { dialect: 'docker-28.0.1+', evidence };
  }
  if (has('DOCKER-ISOLATION-STAGE-1') || has('DOCKER-ISOLATION-STAGE-2') || has('DOCKER-USER')) {
    for (const c of ['DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-USER']) if (has(c)) mark(c);
    const setRule = filter!.chains['FORWARD']?.rules.find((r) => r.matches.some((m) => m.kind === 'set' && /^docker-/.test(m.name)));
    if (setRule) {
      const set = setRule.matches.find((m) => m.kind === 'set');
      evidence.push(`FORWARD rule ${setRule.index} uses ipset ${set && set.kind === 'set' ? set.name : ''}`);
      return { dialect: 'docker-28.0.0', evidence };
    }
    return { dialect: 'docker-le-27', evidence };
  }
  return { dialect: 'docker-unrecognised', evidence: docker };
}
