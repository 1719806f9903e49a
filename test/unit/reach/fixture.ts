import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/cli.js';

/** A firewall fixture from test/fixtures/firewall. */
export function readFixture(name: string): string {
  return readFileSync(join(ROOT, 'test', 'fixtures', 'firewall', name), 'utf8');
}
