// The resolver's walk replayed over dns probes sent all at once (the sidecar/exec path of `dns`).
import { describe, expect, it } from 'vitest';
import { walkFromProbes, walkPairs, type DnsProbeResult } from '../../../src/analysis/dns/probe-walk.js';

const ans = (rcode: string, ...data: string[]): DnsProbeResult => ({ result: 'answered', latencyMs: 1, detail: null, errno: null, rcode, records: data.map((d) => ({ name: 'x', type: 'A', data: d })) });
const fail = (result: DnsProbeResult['result'], errno: string | null = null): DnsProbeResult => ({ result, latencyMs: 1, detail: result, errno });

describe('walkFromProbes', () => {
  it('orders pairs candidate-major', () => {
    expect(walkPairs(['a.x', 'a'], ['s1', 's2'])).toEqual([
      { name: 'a.x', server: 's1' },
      { name: 'a.x', server: 's2' },
      { name: 'a', server: 's1' },
      { name: 'a', server: 's2' },
    ]);
  });

  it('NXDOMAIN moves to the next candidate; an answer stops the walk; later servers are not asked after an answer', () => {
    const w = walkFromProbes(['db.corp', 'db'], ['127.0.0.11', '10.0.0.2'], 'A', [ans('NXDOMAIN'), ans('NXDOMAIN'), ans('NOERROR', '10.0.0.7'), ans('NOERROR', '10.9.9.9')]);
    expect(w.steps.map((s) => [s.name, s.server, s.outcome])).toEqual([
      ['db.corp', '127.0.0.11', 'nxdomain'],
      ['db', '127.0.0.11', 'answer'],
    ]);
    expect(w).toMatchObject({ outcome: 'answer', decidedBy: 1 });
    expect(w.steps[1]!.response!.answers[0]).toMatchObject({ data: '10.0.0.7', ttl: null });
  });

  it('a timeout or ICMP refusal moves to the next server; musl stops at SERVFAIL, glibc goes on', () => {
    // 3 candidates x 2 servers
    const r = [fail('timeout'), ans('SERVFAIL'), fail('refused', 'ECONNREFUSED'), ans('SERVFAIL'), ans('NOERROR', '10.0.0.7'), ans('NOERROR', '10.0.0.7')];
    const glibc = walkFromProbes(['a', 'b', 'c'], ['s1', 's2'], 'A', r, 'glibc');
    expect(glibc.steps.map((s) => s.outcome)).toEqual(['timeout', 'servfail', 'refused', 'servfail', 'answer']);
    expect(glibc.steps[0]!.error).toMatchObject({ code: 'TIMEOUT' });
    expect(glibc.steps[2]!.error).toMatchObject({ code: 'CONNECTION_REFUSED' });
    const musl = walkFromProbes(['a', 'b', 'c'], ['s1', 's2'], 'A', r, 'musl');
    expect(musl.outcome).toBe('servfail');
    expect(musl.steps).toHaveLength(2);
    // the last server's transport failure decides a candidate, as in the agent's walk
    expect(walkFromProbes(['a', 'b'], ['s1'], 'A', [fail('refused'), ans('NOERROR', '10.0.0.7')], 'glibc')).toMatchObject({ outcome: 'refused', decidedBy: 0 });
  });

  it('NODATA wins over a later NXDOMAIN (glibc); a wrong number of results is refused', () => {
    const w = walkFromProbes(['a.x', 'a'], ['s1'], 'AAAA', [ans('NOERROR'), ans('NXDOMAIN')]);
    expect(w).toMatchObject({ outcome: 'nodata', decidedBy: 0 });
    expect(() => walkFromProbes(['a'], ['s1', 's2'], 'A', [ans('NOERROR')])).toThrow(RangeError);
  });
});
