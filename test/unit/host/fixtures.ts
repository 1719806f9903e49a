import { readFileSync } from 'node:fs';

/** Text of a fixture under test/fixtures/host/ (captured with iproute2 6.1 on the dev machine). */
export function fixture(path: string): string {
  return readFileSync(new URL(`../../fixtures/host/${path}`, import.meta.url), 'utf8');
}
