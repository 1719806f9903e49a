// runDoctor: selection (--only/--skip), missing evidence (never a finding about the subject, at
// most one EVIDENCE_MISSING info per missing section), check statuses, de-duplication, order.
import { describe, expect, it } from 'vitest';
import { CATALOG, RESERVED_CODES } from '../../../src/analysis/doctor/catalog.js';
import { PRODUCERS, runDoctor, unknownCodes } from '../../../src/analysis/doctor/registry.js';
import type { Host } from '../../../src/model/types.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';
import { CASES, app, bind, dockerRuleset, publishing } from './fixtures.js';

const STATE_CODES = CATALOG.filter((c) => c.group === 'state' && c.code !== 'EVIDENCE_MISSING').map((c) => c.code);

/** A host from which nothing but the Engine API was captured (remote daemon, no root). */
function blindHost(): Host {
  const h = host();
  return { ...h, daemon: { ...h.daemon, value: { ...h.daemon.value!, ipv4Forwarding: null, bridgeNfIptables: null } } };
}

describe('runDoctor', () => {
  it('missing host evidence yields no finding about the subjects, only EVIDENCE_MISSING infos naming the sections', () => {
    const noicc = network('quiet', '10.40.0.0/24', { options: { 'com.docker.network.bridge.enable_icc': 'false' } });
    const s = snapshot({
      hosts: [blindHost()],
      networks: [app, noicc],
      containers: [publishing('web', app, '10.9.0.2', [bind(8080, 80)]), container('x', noicc, '10.40.0.2')],
    }).state;
    const r = runDoctor(s);
    for (const code of ['IP_FORWARD_DISABLED', 'MASQUERADE_MISSING', 'BR_NETFILTER_DISABLED', 'DOCKER_NAT_RULE_MISSING', 'PUBLISHED_PORT_FIREWALL_BLOCKED', 'SUBNET_OVERLAPS_HOST_ROUTE', 'MTU_MISMATCH', 'MISSING_DEFAULT_ROUTE']) {
      expect(r.findings.map((f) => f.code)).not.toContain(code);
    }
    const missing = r.findings.filter((f) => f.code === 'EVIDENCE_MISSING');
    expect(missing.every((f) => f.severity === 'info')).toBe(true);
    const text = missing.map((f) => f.message).join('\n');
    for (const code of ['IP_FORWARD_DISABLED', 'MASQUERADE_MISSING', 'BR_NETFILTER_DISABLED', 'DOCKER_NAT_RULE_MISSING', 'PUBLISHED_PORT_FIREWALL_BLOCKED', 'FW_SHADOWED_RULE']) expect(text).toContain(code);
    // one finding per missing section, not one per check
    const sections = missing.map((f) => f.evidence[0]!.split(':')[0]);
    expect(new Set(sections).size).toBe(sections.length);
    // and the statuses say the checks did not run fully
    const st = new Map(r.checks.map((c) => [c.code, c]));
    expect(st.get('MASQUERADE_MISSING')!.reason).toMatch(/could not run fully: hosts\[host1\]\.firewall/);
    expect(st.get('IP_FORWARD_DISABLED')!.reason).toMatch(/sysctls/);
  });

  it('every state check is quiet on an empty state', () => {
    const r = runDoctor(snapshot().state);
    expect(r.findings.filter((f) => STATE_CODES.includes(f.code))).toEqual([]);
  });

  it('--only runs just those codes; --skip removes them; statuses say so', () => {
    const s = CASES.RISKY_EXPOSURE!.yes();
    const only = runDoctor(s, { only: ['RISKY_EXPOSURE'] });
    expect(new Set(only.findings.map((f) => f.code))).toEqual(new Set(['RISKY_EXPOSURE']));
    expect(only.checks.find((c) => c.code === 'PRIVILEGED_PORT')).toMatchObject({ status: 'skipped', reason: 'not in --only' });
    expect(only.checks.find((c) => c.code === 'RISKY_EXPOSURE')).toMatchObject({ status: 'run', findings: 1 });
    const skip = runDoctor(s, { skip: ['RISKY_EXPOSURE'] });
    expect(skip.findings.map((f) => f.code)).not.toContain('RISKY_EXPOSURE');
    expect(skip.checks.find((c) => c.code === 'RISKY_EXPOSURE')).toMatchObject({ status: 'skipped', reason: '--skip' });
    const noEvidence = runDoctor(snapshot().state, { skip: ['EVIDENCE_MISSING'] });
    expect(noEvidence.findings.map((f) => f.code)).not.toContain('EVIDENCE_MISSING');
  });

  it('a check list entry for every catalog code; PLANNED_PORT_DUPLICATE is skipped (needs --compose)', () => {
    const r = runDoctor(snapshot().state);
    expect(r.checks.map((c) => c.code)).toEqual(CATALOG.map((c) => c.code));
    expect(r.checks.find((c) => c.code === 'PLANNED_PORT_DUPLICATE')).toMatchObject({ status: 'skipped' });
    expect(r.checks.filter((c) => c.status === 'skipped')).toHaveLength(1);
  });

  it('unknown codes are reported; reserved codes are not registered as checks', () => {
    expect(unknownCodes(['RISKY_EXPOSURE', 'NOPE', 'risky_exposure'])).toEqual(['NOPE', 'risky_exposure']);
    for (const code of RESERVED_CODES) {
      expect(CATALOG.map((c) => c.code)).not.toContain(code);
      expect(PRODUCERS.flatMap((p) => p.codes)).not.toContain(code);
    }
  });

  it('every producer code is in the catalog, and every catalog code has a producer', () => {
    const produced = new Set(PRODUCERS.flatMap((p) => p.codes));
    expect([...produced].filter((c) => !CATALOG.some((x) => x.code === c))).toEqual([]);
    expect(CATALOG.filter((c) => !produced.has(c.code)).map((c) => c.code)).toEqual([]);
  });

  it('an internal-only publisher gets INTERNAL_NETWORK_PUBLISHED_PORT, not also PUBLISH_NOT_IN_EFFECT', () => {
    const internal = network('back', '10.30.0.0/24', { internal: true });
    const s = snapshot({ networks: [internal], containers: [container('db', internal, '10.30.0.2', { portBindings: [bind(5432, 5432)] })] }).state;
    const codes = runDoctor(s).findings.map((f) => f.code);
    expect(codes).toContain('INTERNAL_NETWORK_PUBLISHED_PORT');
    expect(codes).not.toContain('PUBLISH_NOT_IN_EFFECT');
    // without the internal finding (skipped), the ports finding is kept
    expect(runDoctor(s, { skip: ['INTERNAL_NETWORK_PUBLISHED_PORT'] }).findings.map((f) => f.code)).toContain('PUBLISH_NOT_IN_EFFECT');
  });

  it('orders findings by severity (error first)', () => {
    const s = CASES.PORT_ALLOCATED_BY_CONTAINER!.yes();
    const sev = runDoctor(s).findings.map((f) => f.severity);
    const rank = { error: 0, warning: 1, info: 2 };
    expect(sev).toEqual([...sev].sort((a, b) => rank[a] - rank[b]));
    expect(sev[0]).toBe('error');
  });

  it('PUBLISHED_PORT_FIREWALL_BLOCKED names the deciding DOCKER-USER rule', () => {
    const f = runDoctor(CASES.PUBLISHED_PORT_FIREWALL_BLOCKED!.yes(), { only: ['PUBLISHED_PORT_FIREWALL_BLOCKED'] }).findings[0]!;
    expect(f.subjects).toEqual(['web', 'filter/DOCKER-USER#1']);
    expect(f.evidence.join('\n')).toContain('-A DOCKER-USER -d 10.9.0.2/32 -p tcp -m tcp --dport 80 -j DROP');
  });

  it('PUBLISHED_PORT_FIREWALL_BLOCKED follows the trace: a broad DOCKER-USER drop on the uplink blocks, a drop for another address does not', () => {
    const base = CASES.PUBLISHED_PORT_FIREWALL_BLOCKED!.no();
    const withRule = (rule: string) => ({ ...base, hosts: [{ ...base.hosts[0]!, firewall: { ...base.hosts[0]!.firewall, value: { ...base.hosts[0]!.firewall.value!, iptablesSave: dockerRuleset().replace('-A DOCKER-USER -j RETURN', `${rule}\n-A DOCKER-USER -j RETURN`) } } }] });
    const codes = (rule: string) => runDoctor(withRule(rule), { only: ['PUBLISHED_PORT_FIREWALL_BLOCKED'] }).findings.map((f) => f.code);
    expect(codes('-A DOCKER-USER -i eth0 -j DROP')).toEqual(['PUBLISHED_PORT_FIREWALL_BLOCKED']);
    expect(codes('-A DOCKER-USER -i eth0 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable')).toEqual(['PUBLISHED_PORT_FIREWALL_BLOCKED']);
    expect(codes('-A DOCKER-USER -d 10.9.0.77/32 -j DROP')).toEqual([]);
    expect(codes('-A DOCKER-USER -i br-app -j DROP')).toEqual([]); // only traffic from the containers
    expect(codes('-A DOCKER-USER -s 203.0.113.0/24 -j DROP')).toEqual([]); // not the modelled client
  });
});
