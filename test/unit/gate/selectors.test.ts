// Selectors in `reach` expectations: `{service: shop/web}`, "service:web", `{network: shop_back}`,
// "network:shop_back" expand to every running container of that Compose service or network, and
// the expectation holds only if it holds for every pair (docs/gate.md, "Selectors").
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, type GateResult } from '../../../src/analysis/gate.js';
import type { ReachExpectation } from '../../../src/model/policy.js';
import type { Container, NetworkState, Snapshot } from '../../../src/model/types.js';
import { parsePolicy, PolicyError } from '../../../src/sources/policy.js';
import { EXAMPLE } from '../../support/cli.js';

const example = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;

function gate(state: NetworkState, ...items: string[]): GateResult[] {
  return evaluatePolicy(state, parsePolicy(`expect:\n${items.map((i) => `  - ${i}`).join('\n')}\n`, 't.yaml')).results;
}
function reachOf(yaml: string): ReachExpectation {
  return parsePolicy(`expect:\n  - ${yaml}\n`, 't.yaml').expectations[0] as ReachExpectation;
}
function policyError(yaml: string): string {
  try {
    parsePolicy(`expect:\n  - ${yaml}\n`, 'p.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as Error).message;
  }
  throw new Error('expected a policy error');
}
/** A copy of the example with some containers changed. */
function edited(change: (c: Container) => Container | null): NetworkState {
  const copy = structuredClone(example);
  copy.containers = copy.containers.map(change).filter((c): c is Container => c !== null);
  return copy;
}

describe('selectors: the policy reader', () => {
  it('reads the mapping and the prefixed forms', () => {
    expect(reachOf('reach: {from: {service: shop/web}, to: {network: shop_back}, expect: reachable}')).toMatchObject({
      from: { kind: 'service', project: 'shop', service: 'web', text: 'service:shop/web' },
      to: { kind: 'network', network: 'shop_back', text: 'network:shop_back' },
    });
    expect(reachOf('reach: {from: "service:web", to: "network:shop_back", expect: reachable}')).toMatchObject({
      from: { kind: 'service', project: null, service: 'web' },
      to: { kind: 'network', network: 'shop_back' },
    });
    // Addresses with a colon are still addresses, names are still subjects.
    expect(reachOf('reach: {from: web, to: "fd00::1", expect: blocked}').to).toEqual({ kind: 'subject', text: 'fd00::1' });
    expect(reachOf('reach: {from: "dead:beef::1", to: web, expect: blocked}').from).toEqual({ kind: 'subject', text: 'dead:beef::1' });
  });
  it.each([
    ['an unknown selector key', 'reach: {from: {svc: web}, to: db, expect: reachable}', 'p.yaml:2: reach.from: a selector has exactly one key, service or network (found "svc")'],
    ['two selector keys', 'reach: {from: {service: web, network: back}, to: db, expect: reachable}', 'p.yaml:2: reach.from: a selector has exactly one key'],
    ['an unknown prefix', 'reach: {from: web, to: "svc:db", expect: reachable}', 'p.yaml:2: reach.to: unknown selector "svc:" (use service:NAME, network:NAME, or a container name)'],
    ['an empty prefixed selector', 'reach: {from: "service:", to: db, expect: reachable}', 'p.yaml:2: reach.from: "service:" names no service'],
    ['a bad service', 'reach: {from: {service: a/b/c}, to: db, expect: reachable}', 'p.yaml:2: reach.from.service: "a/b/c" is not a Compose service'],
    ['a bad network name', 'reach: {from: web, to: {network: "no such"}, expect: reachable}', 'p.yaml:2: reach.to.network: "no such" is not a network name or id'],
    ['a selector that is not a string', 'reach: {from: {service: [a]}, to: db, expect: reachable}', 'p.yaml:2: reach.from.service must be a string'],
  ])('%s is a policy error naming the line', (_what, yaml, message) => {
    expect(policyError(yaml)).toContain(message);
  });
});

describe('selectors: evaluation on the example', () => {
  it('a service/network selector holds only if every pair holds, and says how many pairs', () => {
    const [all, one] = gate(example,
      '{reach: {from: {network: shop_back}, to: {network: shop_back}, expect: reachable}}',
      '{reach: {from: {service: shop/web}, to: {network: shop_back}, port: 5432, expect: reachable}}',
    );
    expect(all).toMatchObject({ status: 'pass', message: 'all 6 pair(s) (3 from × 3 to) reachable', pairs: { total: 6, pass: 6, fail: 0, unknown: 0 } });
    expect(all!.pairs!.from).toEqual(['shop-api-1', 'shop-db-1', 'shop-web-1']);
    // web → api:5432 has nothing listening; web → db:5432 holds. The failing pair is named.
    expect(one).toMatchObject({ status: 'fail', message: '1 of 2 pair(s) (1 from × 3 to) not reachable', pairs: { total: 2, pass: 1, fail: 1 } });
    expect(one!.evidence.filter((e) => e.startsWith('FAIL'))).toEqual([expect.stringMatching(/^FAIL expected shop-web-1 → shop-api-1 5432\/tcp to be reachable: .*nothing listens/)]);
    expect(one!.expectation).toBe('reach service:shop/web → network:shop_back 5432/tcp: reachable');
  });

  it('isolation over a whole network: quarantine blocked both ways', () => {
    const [r] = gate(example, '{reach: {from: "network:quarantine", to: "network:quarantine", port: 80, expect: blocked}}');
    expect(r).toMatchObject({ status: 'pass', pairs: { total: 2, pass: 2 } });
  });

  it('a selector that matches nothing fails with the reason (never a silent pass)', () => {
    const rs = gate(example,
      '{reach: {from: {service: wbe}, to: shop-db-1, expect: reachable}}',
      '{reach: {from: web, to: {network: shop_bak}, expect: reachable}}',
      '{reach: {from: {service: shop/db}, to: {service: shop/db}, expect: reachable}}',
    );
    expect(rs.map((r) => r.status)).toEqual(['fail', 'fail', 'fail']);
    expect(rs[0]!.message).toBe('reach.from service:wbe: no container of Compose service "wbe" in this state (did you mean "web"?)');
    expect(rs[1]!.message).toMatch(/^reach\.to network:shop_bak: no network called "shop_bak" in this state \(did you mean "shop_back"\?\)/);
    expect(rs[2]!.message).toBe('service:shop/db → service:shop/db expands to no pair: both sides are only shop-db-1');
  });

  it('only running containers count; a service whose containers are all stopped fails', () => {
    const stopped = edited((c) => (c.name === 'shop-db-1' ? { ...c, state: 'exited', running: false, pid: null } : c));
    const [r, net] = gate(stopped,
      '{reach: {from: {service: shop/web}, to: {service: shop/db}, port: 5432, expect: reachable}}',
      '{reach: {from: {network: shop_back}, to: {network: shop_back}, expect: reachable}}',
    );
    expect(r).toMatchObject({ status: 'fail', message: 'reach.to service:shop/db: none of the 1 container(s) of Compose service shop/db is running (shop-db-1 exited)' });
    expect(net).toMatchObject({ status: 'pass', pairs: { from: ['shop-api-1', 'shop-web-1'], total: 2 } });
  });

  it('a new replica that is cut off fails the expectation, naming that pair', () => {
    const db = example.containers.find((c) => c.name === 'shop-db-1')!;
    const qa = example.containers.find((c) => c.name === 'quarantine-a')!;
    // shop-db-2 was started on the quarantine network by mistake.
    const endpoints = structuredClone(qa.endpoints).map((ep) => ({ ...ep, ipv4: ep.ipv4 ? { ...ep.ipv4, address: ep.ipv4.address.replace(/\d+$/, '77') } : null, ipv6: null, aliases: [], dnsNames: [] }));
    const replica: Container = { ...structuredClone(db), id: 'f'.repeat(64), name: 'shop-db-2', networkMode: qa.networkMode, endpoints, compose: { ...db.compose!, containerNumber: '2' } };
    const state = { ...example, containers: [...example.containers, replica] };
    const [r] = gate(state, '{reach: {from: {service: shop/web}, to: {service: shop/db}, port: 5432, expect: reachable}}');
    // Without any endpoint the replica's path cannot be decided: unknown, which does not pass either.
    const [u] = gate({ ...example, containers: [...example.containers, { ...replica, endpoints: [] }] }, '{reach: {from: {service: shop/web}, to: {service: shop/db}, port: 5432, expect: reachable}}');
    expect(u).toMatchObject({ status: 'unknown', message: '1 of 2 pair(s) (1 from × 2 to) cannot be decided', pairs: { pass: 1, unknown: 1 } });
    expect(r).toMatchObject({ status: 'fail', pairs: { total: 2, pass: 1, fail: 1 } });
    expect(r!.pairs!.to).toEqual(['shop-db-1', 'shop-db-2']);
    expect(r!.evidence.filter((e) => e.startsWith('FAIL'))).toEqual([expect.stringMatching(/^FAIL expected shop-web-1 → shop-db-2 5432\/tcp to be reachable, but it is blocked/)]);
  });

  it('a plain subject keeps the old result (no pairs)', () => {
    const [r] = gate(example, '{reach: {from: shop-web-1, to: shop-db-1, port: 5432, expect: reachable}}');
    expect(r).toMatchObject({ status: 'pass', pairs: null });
  });
});
