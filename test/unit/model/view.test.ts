// The state view: one rule set for naming subjects (name, id, alias, Compose service, address,
// host), namespace owners (container: chains, cycles), address and network indexes. On the bundled
// example (a real capture) and on small states built here.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Container, NetworkState, Snapshot } from '../../../src/model/types.js';
import { SubjectError, editDistance, suggest, viewOf } from '../../../src/model/view.js';
import { analyzeReach } from '../../../src/analysis/reach.js';
import { traceRoute } from '../../../src/analysis/route.js';
import { EXAMPLE } from '../../support/cli.js';
import { container, host, network } from '../../support/build-snapshot.js';

const ex = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;
const name = (s: ReturnType<ReturnType<typeof viewOf>['resolve']>) => (s.kind === 'container' ? s.container.name : s.kind);

describe('subject resolution on the bundled example', () => {
  const v = viewOf(ex);
  it('an exact name, then the full id, then a unique id prefix', () => {
    expect(v.resolve('shop-web-1')).toMatchObject({ kind: 'container', matchedBy: 'name', label: 'shop-web-1' });
    const web = ex.containers.find((c) => c.name === 'shop-web-1')!;
    expect(v.resolve(web.id)).toMatchObject({ kind: 'container', matchedBy: 'id' });
    expect(v.resolve(web.id.slice(0, 6))).toMatchObject({ kind: 'container', matchedBy: 'id-prefix', container: web });
    expect(v.resolve('/shop-web-1')).toMatchObject({ matchedBy: 'name' });
  });
  it('a Compose service, bare or as project/service', () => {
    expect(name(v.resolve('web'))).toBe('shop-web-1');
    expect(v.resolve('web')).toMatchObject({ matchedBy: 'service' });
    expect(name(v.resolve('shop/db'))).toBe('shop-db-1');
    expect(name(v.resolve('SHOP/DB'))).toBe('shop-db-1');
  });
  it('a network alias, as the embedded DNS answers it', () => {
    expect(v.resolve('api')).toMatchObject({ kind: 'container', matchedBy: 'alias', label: 'shop-api-1' });
    const proxy = ex.containers.find((c) => c.name === 'shop-proxy-1')!;
    expect(name(v.resolve('frontend', { from: proxy }))).toBe('shop-web-1');
  });
  it('host and addresses; an address is kept as given and indexed canonically', () => {
    expect(v.resolve('host')).toMatchObject({ kind: 'host' });
    expect(v.resolve('10.214.11.4')).toEqual({ kind: 'address', label: '10.214.11.4', address: '10.214.11.4' });
    expect(v.containerByAddress('10.214.11.4')?.name).toBe('shop-db-1');
  });
  it('not found: one wording, with "did you mean" for near names', () => {
    expect(() => v.resolve('shop-wbe-1')).toThrow(/no container, alias, Compose service, address or "host" called "shop-wbe-1" in this state \(did you mean "shop-web-1"\?\)/);
    try {
      v.resolve('shop-wbe-1');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SubjectError);
      expect((e as SubjectError).code).toBe('SUBJECT_NOT_FOUND');
      expect((e as SubjectError).candidates).toContain('shop-web-1');
    }
    expect(() => v.resolve('zzzzzzzz')).toThrow(/called "zzzzzzzz" in this state$/);
    expect(() => v.resolve('  ')).toThrow(SubjectError);
  });
  it('reach and route accept every name form and agree with the exact names', () => {
    const byName = analyzeReach(ex, { from: 'shop-web-1', to: 'shop-db-1', port: 5432, protocol: 'tcp' });
    const byService = analyzeReach(ex, { from: 'web', to: 'db', port: 5432, protocol: 'tcp' });
    const byAlias = analyzeReach(ex, { from: 'shop/web', to: 'shop/db', port: 5432, protocol: 'tcp' });
    for (const r of [byService, byAlias]) {
      expect(r.verdict).toBe(byName.verdict);
      expect(r.listening).toBe(byName.listening);
      expect(r.hops.map((h) => [h.stage, h.status, h.code])).toEqual(byName.hops.map((h) => [h.stage, h.status, h.code]));
      expect(r.fromRef).toEqual(byName.fromRef);
      expect(r.toRef).toEqual({ kind: 'container', id: ex.containers.find((c) => c.name === 'shop-db-1')!.id });
    }
    expect(traceRoute(ex, 'proxy', 'api').verdict).toBe(traceRoute(ex, 'shop-proxy-1', 'shop-api-1').verdict);
  });
});

describe('subject resolution: ambiguity and the source\'s networks', () => {
  const a = network('a', '10.1.0.0/24');
  const b = network('b', '10.2.0.0/24');
  const withAlias = (c: Container, alias: string): Container => ({ ...c, endpoints: c.endpoints.map((e) => ({ ...e, aliases: [alias], dnsNames: [...e.dnsNames, alias] })) });
  const dbA = withAlias(container('db-a', a, '10.1.0.5'), 'db');
  const dbB = withAlias(container('db-b', b, '10.2.0.5'), 'db');
  const appA = container('app-a', a, '10.1.0.6');
  const appX = container('app-x', network('x', '10.3.0.0/24'), '10.3.0.6');
  const state: NetworkState = { hosts: [host()], networks: [a, b], containers: [dbA, dbB, appA, appX] };
  const v = viewOf(state);
  it('an alias on two networks resolves from the source\'s network', () => {
    expect(name(v.resolve('db', { from: appA }))).toBe('db-a');
  });
  it('without a source (or from elsewhere) it is ambiguous and lists the candidates', () => {
    expect(() => v.resolve('db')).toThrow(/"db" is ambiguous: .* 2 containers \(db-a, db-b\)/);
    expect(() => v.resolve('db', { from: appX })).toThrow(SubjectError);
    try {
      v.resolve('db');
    } catch (e) {
      expect((e as SubjectError).code).toBe('SUBJECT_AMBIGUOUS');
      expect((e as SubjectError).candidates).toEqual(['db-a', 'db-b']);
    }
  });
  it('a Compose service with replicas: ambiguous unless one replica runs; the source\'s project first', () => {
    const rep = (n: string, project: string, running = true): Container => ({ ...container(n, a, null), running, state: running ? 'running' : 'exited', compose: { project, service: 'web', containerNumber: '1', oneoff: false } });
    const s2: NetworkState = { hosts: [host()], networks: [a], containers: [rep('p-web-1', 'p'), rep('p-web-2', 'p'), rep('q-web-1', 'q'), rep('q-web-2', 'q', false)] };
    const v2 = viewOf(s2);
    expect(() => v2.resolve('web')).toThrow(/ambiguous/);
    expect(name(v2.resolve('q/web'))).toBe('q-web-1');
    expect(name(v2.resolve('web', { from: s2.containers[3]! }))).toBe('q-web-1');
  });
});

describe('namespaces, addresses, networks', () => {
  const a = network('a', '10.1.0.0/24');
  const owner = container('owner', a, '10.1.0.2');
  const sharer: Container = { ...container('sharer', null, null), networkMode: { kind: 'container', container: owner.id } };
  const byName: Container = { ...container('by-name', null, null), networkMode: { kind: 'container', container: 'sharer' } };
  const orphan: Container = { ...container('orphan', null, null), networkMode: { kind: 'container', container: 'gone' } };
  const loop1: Container = { ...container('loop1', null, null), networkMode: { kind: 'container', container: 'loop2' } };
  const loop2: Container = { ...container('loop2', null, null), networkMode: { kind: 'container', container: 'loop1' } };
  const hostMode: Container = { ...container('hm', null, null), networkMode: { kind: 'host' } };
  const v6 = { ...container('v6', a, null), endpoints: [{ ...container('v6', a, '10.1.0.9').endpoints[0]!, ipv6: { family: 'ipv6' as const, address: 'fd00:0:0::0001', prefixLength: 64 } }] };
  const state: NetworkState = { hosts: [host()], networks: [a], containers: [owner, sharer, byName, orphan, loop1, loop2, hostMode, v6] };
  const v = viewOf(state);
  it('container: chains are followed by id and by name; a missing owner or a cycle is null', () => {
    expect(v.namespaceOwner(sharer)).toBe(owner);
    expect(v.namespaceOwner(byName)).toBe(owner);
    expect(v.namespaceOwner(orphan)).toBeNull();
    expect(v.namespaceOwner(loop1)).toBeNull();
    expect(v.netnsOf(hostMode)).toMatchObject({ kind: 'host' });
    expect(v.netnsOf(sharer)).toEqual({ kind: 'container', owner });
  });
  it('a namespace cycle makes reach unknown, never an address-family error', () => {
    const r = analyzeReach(state, { from: 'loop1', to: 'owner', port: 80, protocol: 'tcp' });
    expect(r.verdict).toBe('unknown');
    expect(r.reasons[0]!.code).toBe('NETNS_OWNER_MISSING');
  });
  it('addresses are one key whatever their spelling', () => {
    expect(v.containerByAddress('fd00::1')?.name).toBe('v6');
    expect(v.containerByAddress('FD00:0000::1')?.name).toBe('v6');
    expect(v.endpointsByAddress('10.1.0.2')[0]!.network).toBe(a);
    expect(v.hostHasAddress('10.1.0.1')).toBe(true); // the bridge gateway, without captured interfaces
    expect(v.hostHasAddress('10.1.0.2')).toBe(false);
  });
  it('networks by name, id and id prefix, with suggestions', () => {
    expect(v.resolveNetwork('a')).toBe(a);
    expect(v.resolveNetwork(a.id)).toBe(a);
    expect(() => v.resolveNetwork('nope')).toThrow(/no network called "nope"/);
    expect(v.network(null, 'a')).toBe(a);
    expect(v.endpointsOn(a).map((r) => r.container.name).sort()).toEqual(['owner', 'v6']);
  });
  it('the view is built once per state and memoizes derived facts', () => {
    expect(viewOf(state)).toBe(v);
    let n = 0;
    const k = {};
    expect(v.memo(k, () => ++n)).toBe(1);
    expect(v.memo(k, () => ++n)).toBe(1);
  });
});

describe('did you mean', () => {
  it('edit distance counts an adjacent swap as one', () => {
    expect(editDistance('reahc', 'reach')).toBe(1);
    expect(editDistance('shop-wbe-1', 'shop-web-1')).toBe(1);
    expect(editDistance('abc', 'xyz')).toBe(3);
    expect(editDistance('abc', 'abcdefgh', 2)).toBe(3);
  });
  it('suggests the closest names, and none for unrelated text', () => {
    expect(suggest('shop-db', ['shop-db-1', 'shop-web-1', 'legacy-db'])).toEqual(['shop-db-1']);
    expect(suggest('qqqqqq', ['shop-db-1'])).toEqual([]);
  });
});
