#!/usr/bin/env node
// `npm run example`: netsleuth on the bundled example pair, no Docker daemon needed.
//   1. doctor on docs/examples/example.snapshot.json (a small "shop" host captured from a real daemon)
//   2. snapshot diff against docs/examples/example-after.snapshot.json (the same host after a
//      deploy: a container fixed, one moved between networks, a firewall rule added) — the
//      reach verdicts that flipped, both ways
//   3. a few commands to try next
// Works from a fresh clone after `npm install && npm run build`. scripts/make-example.sh rebuilds the pair.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BEFORE = 'docs/examples/example.snapshot.json';
const AFTER = 'docs/examples/example-after.snapshot.json';

if (!existsSync(join(root, 'dist', 'commands'))) {
  console.error('netsleuth example: the CLI is not built yet: run `npm run build` first');
  process.exit(2);
}

function heading(text) {
  console.log(`\n\u2500\u2500 ${text} ${'\u2500'.repeat(Math.max(3, 76 - text.length))}\n`);
}

// Runs the CLI as a user would; returns its exit code. 1 is an answer here (doctor's gate failed),
// 2 or 3 would mean the example itself is broken: stop.
function netsleuth(args) {
  console.log(`$ netsleuth ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 && r.status !== 1) {
    console.error(`netsleuth example: \`netsleuth ${args.join(' ')}\` exited ${r.status ?? r.signal}`);
    process.exit(r.status ?? 1);
  }
  return r.status;
}

heading('1. what is wrong on this host?');
const code = netsleuth(['doctor', '--snapshot', BEFORE]);
if (code === 1) console.log('\n(exit 1: doctor found errors — in CI that fails the job; --fail-on warning|info tightens it)');

heading('2. what changed after the deploy, and which paths flipped?');
netsleuth(['snapshot', 'diff', BEFORE, AFTER]);

heading('try next');
const tries = [
  ['REFUSED: the path is open, but the cache listens on 127.0.0.1 only', 'reach shop-proxy-1 shop-cache-1 -p 6379', BEFORE],
  ['BLOCKED after the deploy, and the rule that does it', 'reach shop-web-1 shop-db-1 -p 5432', AFTER],
  ['how a name resolves inside a container, and why not', 'dns shop-db-1 --from shop-proxy-1', BEFORE],
  ['a picture of the host (writes example.svg)', 'graph --format svg -o example.svg', BEFORE],
];
// Two lines each (fits 80 columns), pasteable as they are.
for (const [why, cmd, file] of tries) console.log(`  # ${why}\n  node bin/run.js ${cmd} \\\n      --snapshot ${file}\n`);
console.log('(`npm link` puts `netsleuth` on your PATH; every command has --help and --json.)');
