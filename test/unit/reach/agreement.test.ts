// Holding predictions against probe results: what each prediction allows, and who is suspected.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeReach } from '../../../src/analysis/reach.js';
import { compareProbe, expectedResults } from '../../../src/analysis/reach-agreement.js';
import type { Snapshot } from '../../../src/model/types.js';
import { EXAMPLE } from '../../support/cli.js';

const ex = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Snapshot).state;
const reach = (from: string, to: string, port: number | null, protocol: 'tcp' | 'udp' = 'tcp') => analyzeReach(ex, { from, to, port, protocol });
const probe = (result: string) => ({ method: 'nsenter', result, latencyMs: 1 });

describe('expected probe results', () => {
  it('reachable + listening: connected; nothing listening: refused; blocked by DROP: timeout', () => {
    expect(expectedResults(reach('shop-web-1', 'shop-db-1', 5432))).toEqual(['connected']);
    expect(expectedResults(reach('quarantine-a', 'host', 1))).toEqual(['refused']);
    expect(expectedResults(reach('shop-proxy-1', 'shop-db-1', 5432))).toEqual(['timeout', 'unreachable']);
    expect(expectedResults(reach('shop-web-1', 'shop-cache-1', null))).toEqual(['answered']);
  });
});

describe('compareProbe', () => {
  it('agreement when the probe saw what was predicted', () => {
    expect(compareProbe(reach('shop-web-1', 'shop-db-1', 5432), probe('connected')).agreement).toBe(true);
    expect(compareProbe(reach('shop-proxy-1', 'shop-db-1', 5432), probe('timeout')).agreement).toBe(true);
  });

  it('predicted blocked but it connected: the first blocking hop is suspected', () => {
    const a = compareProbe(reach('shop-proxy-1', 'shop-db-1', 5432), probe('connected'));
    expect(a.agreement).toBe(false);
    expect(a.suspect).toMatchObject({ stage: 'firewall' });
    expect(a.next.join('\n')).toContain('netsleuth firewall trace --from shop-proxy-1 --to shop-db-1 --port 5432/tcp');
  });

  it('predicted reachable but it timed out: the least certain passing hop, and a capture on the bridge', () => {
    const a = compareProbe(reach('shop-web-1', 'shop-db-1', 5432), probe('timeout'));
    expect(a.agreement).toBe(false);
    expect(a.suspect!.stage).toBe('firewall');
    expect(a.next.some((n) => n.startsWith('tcpdump -ni br-6ad83018d545 host 10.214.11.4 and port 5432'))).toBe(true);
  });

  it('refused where a listener was seen: the listener is suspected', () => {
    expect(compareProbe(reach('shop-web-1', 'shop-db-1', 5432), probe('refused')).suspect!.stage).toBe('listener');
  });

  it('no comparison for probe errors, unknown predictions, UDP silence', () => {
    expect(compareProbe(reach('shop-web-1', 'shop-db-1', 5432), { method: null, result: 'error', latencyMs: null, detail: 'no method' }).agreement).toBeNull();
    const udp = reach('shop-web-1', 'shop-db-1', 5432, 'udp');
    if (udp.verdict === 'reachable') expect(compareProbe(udp, probe('no-answer')).agreement).toBeNull();
  });
});
