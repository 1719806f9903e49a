import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sanitize } from '../../../src/report/sanitize.js';
import { renderTable } from '../../../src/report/table.js';
import { renderSnapshotSummary } from '../../../src/report/snapshot-summary.js';
import { summarizeSnapshot } from '../../../src/analysis/summary.js';
import { container, network, snapshot } from '../../support/build-snapshot.js';

describe('sanitize', () => {
  it('neutralizes escape sequences that could rewrite the terminal', () => {
    expect(sanitize('evil\x1b[2J\x1b]0;pwned\x07name')).toBe('evil\\x1b[2J\\x1b]0;pwned\\x07name');
    expect(sanitize('a\nb\rc')).toBe('a\\nb\\rc');
    expect(sanitize('csi\u009b31m')).toBe('csi\\x9b31m');
    expect(sanitize('tab\tok ünïcødé')).toBe('tab\tok ünïcødé');
  });

  it('never lets a control character through (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(sanitize(s))).toBe(false);
      }),
    );
  });

  it('is applied to every table cell and to the snapshot summary', () => {
    expect(renderTable([{ n: 'x\x1b[31m' }], [{ header: 'N', value: (r) => r.n }])).toContain('x\\x1b[31m');
    const net = network('app\x1b[1m', '10.214.0.0/24');
    const s = snapshot({ networks: [net], containers: [container('web\x1b]0;owned\x07', net, '10.214.0.2', { labels: { 'x': '\x1b[2J' } })] });
    const out = renderSnapshotSummary(summarizeSnapshot(s), 'f.json');
    expect(out).not.toMatch(/\x1b/);
    expect(out).toContain('web\\x1b]0;owned\\x07');
  });
});

describe('summarizeSnapshot', () => {
  it('counts attachments, formats bindings and reports missing evidence with reasons', () => {
    const app = network('app', '10.214.0.0/24');
    const web = container('web', app, '10.214.0.2', {
      publishedPorts: [
        { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: null },
        { containerPort: 80, protocol: 'tcp', hostIp: '::', hostPort: 8080, hostPortEnd: null },
      ],
      compose: { project: 'shop', service: 'web', containerNumber: '1', oneoff: false },
    });
    const sidecar = container('side', null, null, { networkMode: { kind: 'container', container: web.id } });
    const s = summarizeSnapshot(snapshot({ networks: [app], containers: [web, sidecar] }));
    expect(s.networks[0]).toMatchObject({ name: 'app', subnets: ['10.214.0.0/24'], gateways: ['10.214.0.1'], containers: 1 });
    expect(s.containers[0]!.published).toEqual(['0.0.0.0:8080->80/tcp', '[::]:8080->80/tcp']);
    expect(s.containers[1]!.networkMode).toBe('container:web');
    const routes = s.hosts[0]!.evidence.find((e) => e.section === 'routes')!;
    expect(routes).toMatchObject({ status: 'unavailable', reason: 'not captured in this test' });
    const text = renderSnapshotSummary(s, 'x.json');
    expect(text).toMatch(/unavailable: routes — not captured in this test/);
    // One line per address or published port, the Compose service under the name.
    expect(text).toMatch(/^web\s+running\s+app\s+10\.214\.0\.2\s+0\.0\.0\.0:8080->80\/tcp$/m);
    expect(text).toMatch(/^  shop\/web\s+\[::\]:8080->80\/tcp$/m);
    expect(text).toMatch(/^side\s+running\s+container:web\s+-\s+-$/m);
  });
});
