// The bundled before/after pair: a finding whose subjects changed is one change, not a
// "resolved" and a "new" with the same text.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const A = 'docs/examples/example.snapshot.json';
const B = 'docs/examples/example-after.snapshot.json';

describe('snapshot diff on the bundled pair', () => {
  it('reports MTU_MISMATCH with moved subjects as changed subjects, never as resolved + new', async () => {
    const r = await runCli(['snapshot', 'diff', A, B, '--json']);
    const d = JSON.parse(r.stdout) as { changes: Array<{ kind: string; op: string; field: string | null; before: { code: string; title: string } | null; after: { code: string; title: string } | null }> };
    const findings = d.changes.filter((c) => c.kind === 'finding');
    const moved = findings.filter((c) => c.op === 'changed' && c.field === 'subjects');
    expect(moved.map((c) => c.after!.code)).toContain('MTU_MISMATCH');
    const titles = (change: string) => findings.filter((c) => c.op === change).map((c) => `${(c.before ?? c.after)!.code} ${(c.before ?? c.after)!.title}`);
    const both = titles('removed').filter((t) => titles('added').includes(t));
    expect(both).toEqual([]);
  });

  it('does not list the host veth churn a host-network container sees', async () => {
    const r = await runCli(['snapshot', 'diff', A, B]);
    expect(r.stdout).not.toMatch(/node-exporter: route .* dev veth/);
  });
});
