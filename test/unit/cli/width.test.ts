// Default human output fits the terminal (docs/cli.md "Output rules"): every command on the
// bundled example at COLUMNS=80 (and ours at 60), measured in display columns as string-width
// counts them; colour only when wanted (FORCE_COLOR on, NO_COLOR / a pipe off).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE, ROOT, runCli } from '../../support/cli.js';

const POLICY = join(ROOT, 'docs', 'examples', 'gate-policy.yaml');
let dir: string;
let changed: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-width-'));
  const s = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
  s.state.containers = s.state.containers.slice(1);
  s.state.networks[0].options = { ...s.state.networks[0].options, 'com.docker.network.bridge.enable_icc': 'false' };
  changed = join(dir, 'b.json');
  writeFileSync(changed, JSON.stringify(s));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ours: Record<string, () => string[]> = {
  'snapshot show': () => ['snapshot', 'show', EXAMPLE],
  'snapshot validate': () => ['snapshot', 'validate', EXAMPLE],
  'snapshot diff': () => ['snapshot', 'diff', EXAMPLE, changed],
  ports: () => ['ports', '-s', EXAMPLE],
  route: () => ['route', 'shop-proxy-1', '8.8.8.8', '-s', EXAMPLE],
  'route (no-route)': () => ['route', 'offline-batch', 'shop-db-1', '-s', EXAMPLE],
  dns: () => ['dns', 'shop-db-1', '--from', 'shop-proxy-1', '-s', EXAMPLE],
  'firewall trace': () => ['firewall', 'trace', '-s', EXAMPLE, '--from', '198.51.100.7', '--to', 'host', '--port', '8080/tcp'],
  'firewall trace (drop)': () => ['firewall', 'trace', '-s', EXAMPLE, '--from', 'quarantine-a', '--to', 'quarantine-b', '--port', '80/tcp'],
  'firewall lint': () => ['firewall', 'lint', '-s', EXAMPLE],
  gate: () => ['gate', POLICY, '-s', EXAMPLE],
};
// Renderers with their own fitting tests elsewhere (reach, matrix, doctor, graph), checked here too
// so one file answers "does every command fit 80 columns".
const theirs: Record<string, () => string[]> = {
  reach: () => ['reach', 'shop-web-1', 'shop-db-1', '-p', '5432', '-s', EXAMPLE],
  'reach (refused)': () => ['reach', 'shop-proxy-1', 'shop-cache-1', '-p', '6379', '-s', EXAMPLE],
  'reach (blocked)': () => ['reach', 'quarantine-a', 'quarantine-b', '-p', '80', '-s', EXAMPLE],
  'doctor --verbose': () => ['doctor', '-v', '-s', EXAMPLE, '--fail-on', 'none'],
  matrix: () => ['matrix', '-s', EXAMPLE, '--port', '80'],
  doctor: () => ['doctor', '-s', EXAMPLE],
  graph: () => ['graph', '-s', EXAMPLE],
};

function widest(text: string): { width: number; line: string } {
  let best = { width: 0, line: '' };
  for (const line of text.split('\n')) {
    // A line that is only a URL is never cut (terminals make it clickable).
    if (/^\s*https:\/\/\S+$/.test(line)) continue;
    const w = stringWidth(line);
    if (w > best.width) best = { width: w, line };
  }
  return best;
}

async function fits(args: string[], columns: number): Promise<string> {
  const r = await runCli(args, { env: { COLUMNS: String(columns) } });
  expect(r.stdout.length, r.stderr).toBeGreaterThan(0);
  const w = widest(r.stdout);
  expect(w.width, `widest line:\n${w.line}`).toBeLessThanOrEqual(columns);
  return r.stdout;
}

describe('default human output fits COLUMNS=80', () => {
  for (const [name, args] of Object.entries(ours)) it(name, () => fits(args(), 80));
  for (const [name, args] of Object.entries(theirs)) it(name, () => fits(args(), 80));
});

describe('our renderers fit COLUMNS=60', () => {
  for (const [name, args] of Object.entries(ours)) it(name, () => fits(args(), 60));
});

describe('colour', () => {
  // runCli pipes stdout and sets CI=true NO_COLOR=1 unless told otherwise.
  it('FORCE_COLOR=1 paints verdicts and severities even into a pipe', async () => {
    const t = await runCli(['firewall', 'trace', '-s', EXAMPLE, '--from', 'quarantine-a', '--to', 'quarantine-b', '--port', '80/tcp'], { env: { FORCE_COLOR: '1' } });
    expect(t.stdout).toContain('verdict: \u001b[31mDROP\u001b[39m');
    const p = await runCli(['ports', '-s', EXAMPLE], { env: { FORCE_COLOR: '1' } });
    expect(p.stdout).toMatch(/\[\u001b\[1m\u001b\[31merror\u001b\[39m\u001b\[22m\]/);
    expect(p.stdout).toContain('[\u001b[33mwarning\u001b[39m]');
    // Painted text still fits: colour codes take no columns.
    expect(widest(p.stdout).width).toBeLessThanOrEqual(80);
  });

  it('no colour codes with NO_COLOR, in a pipe, or with FORCE_COLOR=0', async () => {
    for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: '', CI: '' }, { FORCE_COLOR: '0', NO_COLOR: '', CI: '' }]) {
      const r = await runCli(['firewall', 'trace', '-s', EXAMPLE, '--from', 'quarantine-a', '--to', 'quarantine-b', '--port', '80/tcp'], { env });
      expect(r.stdout).toContain('verdict: DROP');
      expect(r.stdout).not.toContain('\u001b');
    }
  });
});
