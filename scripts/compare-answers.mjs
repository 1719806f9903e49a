// Compare the answers of two builds on the bundled example: every route and reach question between
// every pair of subjects (containers, host, a few addresses), every DNS prediction (each container
// and the host as the querier × names × types × resolver flavours × with/without --server), and the
// DNS checks. For refactors that must not change a verdict: prints the number of cases and the
// first differences, exits 1 when any answer differs.
//
//   node scripts/compare-answers.mjs OLD_DIST NEW_DIST [SNAPSHOT]
//   e.g. git worktree add /tmp/base HEAD~3 && (cd /tmp/base && npm ci && npm run build)
//        node scripts/compare-answers.mjs /tmp/base/dist dist
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [oldDist, newDist, snapFile = 'docs/examples/example.snapshot.json'] = process.argv.slice(2);
if (!oldDist || !newDist) {
  process.stderr.write('usage: node scripts/compare-answers.mjs OLD_DIST NEW_DIST [SNAPSHOT]\n');
  process.exit(2);
}
const load = (dist, mod) => import(pathToFileURL(resolve(dist, mod)).href);
const [OR, NR, OA, NA, OD, ND, OC, NC] = await Promise.all(
  ['src/analysis/route.js', 'src/analysis/reach.js', 'src/analysis/dns/predict.js', 'src/analysis/dns/checks.js'].flatMap((m) => [load(oldDist, m), load(newDist, m)]),
).then((m) => [m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]]);
// Each build gets its own copy of the state (analyses may memoize on the object).
const state = () => JSON.parse(readFileSync(snapFile, 'utf8')).state;
const s1 = state();
const s2 = state();
let cases = 0;
let diffs = 0;
const same = (what, a, b) => {
  cases++;
  if (a === b) return;
  diffs++;
  if (diffs <= 5) process.stdout.write(`DIFF ${what}\n  old: ${a.slice(0, 400)}\n  new: ${b.slice(0, 400)}\n`);
};
const run = (f) => {
  try {
    return JSON.stringify(f());
  } catch (e) {
    return `error: ${e.message}`;
  }
};
// Fields a newer build may add (ids for consumers) are dropped before comparing.
const drop = (r) => {
  if (r && typeof r === 'object') {
    delete r.fromRef;
    delete r.toRef;
  }
  return r;
};

const subjects = [...s1.containers.map((c) => c.name), 'host', '127.0.0.1', '8.8.8.8', ...s1.containers.flatMap((c) => c.endpoints.map((e) => e.ipv4?.address)).filter(Boolean).slice(0, 3)];
for (const a of subjects) {
  for (const b of subjects) {
    if (a === b) continue;
    for (const family of [undefined, 'ipv6']) same(`route ${a} ${b} ${family ?? ''}`, run(() => OR.traceRoute(s1, a, b, { family })), run(() => NR.traceRoute(s2, a, b, { family })));
    for (const port of [null, 80, 5432, 6379]) {
      for (const protocol of port === null ? ['tcp'] : ['tcp', 'udp']) {
        same(`reach ${a} ${b} ${port ?? 'icmp'}/${protocol}`, run(() => drop(OA.analyzeReach(s1, { from: a, to: b, port, protocol }))), run(() => drop(NA.analyzeReach(s2, { from: a, to: b, port, protocol }))));
      }
    }
  }
}
const names = [...new Set([...s1.containers.map((c) => c.name), ...s1.containers.flatMap((c) => c.endpoints.flatMap((e) => e.aliases)), 'example.com', 'nope.internal', 'localhost', '10.214.11.4'])];
for (const from of [undefined, ...s1.containers.map((c) => c.name)]) {
  for (const name of names) {
    for (const type of ['A', 'AAAA', 'PTR', 'MX']) {
      for (const flavour of ['glibc', 'musl', 'busybox']) {
        for (const server of [undefined, '127.0.0.11']) {
          const q = { from, name, type, flavour, server };
          same(`dns ${JSON.stringify(q)}`, run(() => OD.predictResolution(s1, q)), run(() => ND.predictResolution(s2, q)));
        }
      }
    }
  }
}
same('dnsChecks', run(() => OC.dnsChecks(s1)), run(() => NC.dnsChecks(s2)));
process.stdout.write(`${cases} answers compared, ${diffs} differ\n`);
process.exit(diffs ? 1 : 0);
