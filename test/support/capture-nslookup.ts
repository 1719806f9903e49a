// Captures what busybox nslookup really prints, inside a container on the live test daemon, into
// test/fixtures/probe/busybox-nslookup.json (the cases only; keep the _note). Run from the repo root:
//   eval "$(bash scripts/test-dockerd.sh env)" && flock /run/netsleuth-live.lock npx vite-node test/support/capture-nslookup.ts
// Uses 10.214.160.0/24 (shared with test/live/probe-dns.test.ts: do not run both at once).
import { writeFileSync } from 'node:fs';
import { startDnsServer } from './dns-server.js';
import { cleanupRun, createNetwork, exec, runContainer } from '../live/harness.js';
import { execFileSync } from 'node:child_process';

const out: Record<string, { cmd: string[]; code: number | null; stdout: string; stderr: string; ms: number }> = {};
const net = await createNetwork({ name: 'expa', subnet: '10.214.160.0/24' });
const dns = await startDnsServer({ address: net.gateway, port: 53, zone: { 'probe.test.': ['10.214.160.10'], 'six.test.': ['fd21:ee75::1'], 'two.test.': ['10.214.160.10', '10.214.160.11'] }, rcodes: { 'fail.test.': 'SERVFAIL', 'refused.test.': 'REFUSED' } });
const drop = ['-s', '10.214.160.20', '-d', '10.214.160.10', '-p', 'udp', '--dport', '5353', '-j', 'DROP'];
try {
  const srv = await runContainer({ name: 'esrv', network: net.name, ip: '10.214.160.10', dns: net.gateway });
  const cli = await runContainer({ name: 'ecli', network: net.name, ip: '10.214.160.20', dns: net.gateway });
  execFileSync('iptables', ['-w', '-I', 'DOCKER-USER', ...drop]);
  const cases: Record<string, string[]> = {
    'answer-embedded': ['nslookup', '-type=a', '-timeout=2', '-retry=1', srv.name, '127.0.0.11'],
    'answer-embedded-port': ['nslookup', '-type=a', '-timeout=2', '-retry=1', srv.name, '127.0.0.11:53'],
    'answer-two': ['nslookup', '-type=a', '-timeout=2', '-retry=1', 'two.test', `${net.gateway}:53`],
    'answer-aaaa': ['nslookup', '-type=aaaa', '-timeout=2', '-retry=1', 'six.test', `${net.gateway}:53`],
    'nodata-aaaa': ['nslookup', '-type=aaaa', '-timeout=2', '-retry=1', 'probe.test', `${net.gateway}:53`],
    'nxdomain-embedded': ['nslookup', '-type=a', '-timeout=2', '-retry=1', 'nothere.test', '127.0.0.11'],
    'nxdomain-direct': ['nslookup', '-type=a', '-timeout=2', '-retry=1', 'nothere.test', `${net.gateway}:53`],
    'servfail': ['nslookup', '-type=a', '-timeout=2', '-retry=1', 'fail.test', `${net.gateway}:53`],
    'refused-rcode': ['nslookup', '-type=a', '-timeout=2', '-retry=1', 'refused.test', `${net.gateway}:53`],
    'ptr-embedded': ['nslookup', '-type=ptr', '-timeout=2', '-retry=1', '10.214.160.10', '127.0.0.11'],
    'ptr-name': ['nslookup', '-type=ptr', '-timeout=2', '-retry=1', '10.160.214.10.in-addr.arpa', '127.0.0.11'],
    'closed-port': ['nslookup', '-type=a', '-timeout=2', '-retry=1', 'probe.invalid', '10.214.160.10:5354'],
    'dropped': ['nslookup', '-type=a', '-timeout=2', '-retry=1', 'probe.invalid', '10.214.160.10:5353'],
    'unused-address': ['nslookup', '-type=a', '-timeout=4', '-retry=1', 'probe.invalid', '10.214.160.99:53'],
    'udp-answered': ['nslookup', '-type=a', '-timeout=2', '-retry=1', 'netsleuth-probe.invalid', `${net.gateway}:53`],
    'txt': ['nslookup', '-type=txt', '-timeout=2', '-retry=1', 'probe.test', `${net.gateway}:53`],
  };
  for (const [k, cmd] of Object.entries(cases)) {
    const t = Date.now();
    const r = await exec(cli.name, cmd);
    out[k] = { cmd, code: r.code, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t };
    console.log(`==== ${k} (exit ${r.code}, ${Date.now() - t} ms): ${cmd.join(' ')}\n--stdout--\n${r.stdout}--stderr--\n${r.stderr}`);
  }
  console.log(JSON.stringify(dns.queries));
} finally {
  try { execFileSync('iptables', ['-w', '-D', 'DOCKER-USER', ...drop]); } catch { /* the rule is already gone */ }
  await dns.close();
  await cleanupRun();
}
writeFileSync('/tmp/busybox-nslookup-cases.json', JSON.stringify(out, null, 2));
console.log('wrote /tmp/busybox-nslookup-cases.json: copy it into the fixture\'s "cases"');
