import { Args, Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { InputError } from '../src/cli/errors.js';
import { QUERY_TYPES } from '../src/dns/types.js';
import { portNumberFlag } from '../src/cli/flags.js';
import { interruptSignal, probeFlags } from '../src/cli/probe-flags.js';
import type { DnsReport } from '../src/report/dns.js';

const FLAVOURS = ['glibc', 'musl', 'busybox'] as const;

function parseSeconds(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(v.trim());
  if (!m) throw new InputError(`--timeout "${v}" is not a duration (e.g. 2, 1.5, 500ms)`);
  const ms = m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
  if (!(ms >= 1 && ms <= 60_000)) throw new InputError('--timeout must be between 1 ms and 60 s');
  return Math.round(ms);
}

export default class Dns extends NetsleuthCommand {
  static override summary = 'How a name resolves from inside a container, step by step — predicted, and on a live daemon checked on the wire.';
  static override description = [
    'Walks the resolution a container would do: /etc/hosts (and --add-host entries), the search-list expansion with ndots, Docker\'s embedded DNS at 127.0.0.11 (container names, aliases and compose services on the user-defined networks the container shares; round robin for shared aliases), and the upstream servers it forwards to. It names the reason a lookup fails: the default bridge has no name resolution, the name lives on a network the container is not attached to, an alias is ambiguous, a resolver (such as the host stub 127.0.0.53) is unreachable from the container.',
    'With --snapshot it predicts only. Against a live daemon it also runs the same queries on the wire from inside the container\'s network namespace and flags any disagreement: as root on the daemon\'s host with nsenter and netsleuth\'s own probe agent (the image needs no tools); otherwise (a remote daemon, no root, or --probe-method sidecar|exec) one query per candidate name and server with busybox nslookup in a sidecar from --probe-image or in the container itself, the resolver\'s stop rules applied to the answers. The output names the method that ran.',
    'With --server and without --from it is a plain dig-like query from this machine, which needs no daemon.',
    'The stub-resolver logic follows glibc by default; --resolver musl (Alpine) or busybox (busybox nslookup, which skips /etc/hosts) changes the search and stop rules.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> dns db --from web',
    '<%= config.bin %> dns api.internal --from web --type AAAA --json',
    '<%= config.bin %> dns db --from web --snapshot incident.json.gz',
    '<%= config.bin %> dns example.test --server 10.0.0.2 --tcp --norecurse',
    '<%= config.bin %> dns 10.214.3.4 --type PTR --from web',
    '<%= config.bin %> dns db --from web --probe-method sidecar --probe-image busybox:latest',
  ];
  static override args = {
    name: Args.string({ description: 'Name to resolve (an IP address with --type PTR)', required: true }),
  };
  static override flags = {
    from: Flags.string({ char: 'f', description: 'Container to resolve from (name or id prefix).' }),
    type: Flags.string({ char: 't', description: 'Record type.', options: [...QUERY_TYPES], default: 'A' }),
    server: Flags.string({ description: 'Ask this DNS server (IP) directly with the name as given, instead of the container\'s resolv.conf.' }),
    port: portNumberFlag({ description: 'Server port.', default: 53 }),
    tcp: Flags.boolean({ description: 'Use TCP from the start (UDP otherwise, with TCP fallback on truncation).', default: false }),
    norecurse: Flags.boolean({ description: 'Clear the RD (recursion desired) bit.', default: false }),
    timeout: Flags.string({ description: 'Per-attempt DNS timeout: seconds, or e.g. 500ms.', default: '2' }),
    retries: Flags.integer({ description: 'Further attempts after a timeout.', default: 1, min: 0, max: 10 }),
    resolver: Flags.string({ description: 'Stub resolver rules to model: glibc, musl, busybox.', options: [...FLAVOURS], default: 'glibc' }),
    snapshot: sourceFlags.snapshot,
    host: sourceFlags.host,
    context: sourceFlags.context,
    // --timeout is the DNS timeout here: the daemon's is the shared source flag under another name.
    'daemon-timeout': { ...sourceFlags.timeout },
    'probe-method': probeFlags['probe-method'],
    'probe-image': Flags.string({ description: 'Image for the sidecar method (never pulled; needs sh and nslookup, busybox is enough).' }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Dns);
    this.setOutput(flags.json);
    const { nameProblem, reverseName } = await import('../src/dns/names.js');
    const type = flags.type;
    const problem = type === 'PTR' && reverseName(args.name) ? null : nameProblem(args.name);
    if (problem) throw new InputError(problem);
    const timeoutMs = parseSeconds(flags.timeout);
    const { isIP } = await import('node:net');
    if (flags.server && isIP(flags.server) === 0) throw new InputError(`--server "${flags.server}" is not an IP address`);
    const qname = type === 'PTR' && reverseName(args.name) ? reverseName(args.name)! : args.name.replace(/\.$/, '').toLowerCase();
    const wire = { port: flags.port, tcp: flags.tcp, recurse: !flags.norecurse, timeoutMs, retries: flags.retries };

    let report: DnsReport;
    if (flags.server && !flags.from && !flags.snapshot) {
      // dig-like: no daemon, no source.
      const { query } = await import('../src/dns/client.js');
      const { DnsError } = await import('../src/dns/errors.js');
      const { buildDirectReport } = await import('../src/report/dns.js');
      try {
        const response = await query({ server: flags.server, name: args.name, type: type as never, ...wire });
        report = buildDirectReport({ name: args.name, type, qname, server: flags.server, response, error: null });
      } catch (e) {
        if (!(e instanceof DnsError)) throw e;
        if (e.code === 'BAD_REQUEST') throw new InputError(e.message);
        report = buildDirectReport({ name: args.name, type, qname, server: flags.server, response: null, error: e.toJSON() });
      }
    } else {
      const { predictResolution, DnsPredictError } = await import('../src/analysis/dns/predict.js');
      const { buildReport } = await import('../src/report/dns.js');
      const opened = await this.openSource({ ...flags, timeout: flags['daemon-timeout'] }, { hostEvidence: 'never' });
      const state = opened.snapshot.state;
      let prediction;
      try {
        prediction = predictResolution(state, { from: flags.from, name: args.name, type, server: flags.server, flavour: flags.resolver as (typeof FLAVOURS)[number] });
      } catch (e) {
        if (e instanceof DnsPredictError) throw new InputError(e.message, `See: ${this.config.bin} snapshot show for the containers`);
        throw e;
      }
      let observed = null;
      let comparison = null;
      let liveCheck: DnsReport['liveCheck'] = null;
      if (opened.origin === 'live' && flags.from) {
        const { viewOf } = await import('../src/model/view.js');
        const view = viewOf(state);
        const from = view.container(prediction.from!.id)!;
        const owner = view.namespaceOwner(from) ?? from;
        const { nsenterBlocker, runAgent, AgentRunError } = await import('../src/probe/nsenter.js');
        const method = flags['probe-method'] as 'nsenter' | 'sidecar' | 'exec' | undefined;
        const blocker = nsenterBlocker({ endpoint: opened.label, pid: owner.pid, running: owner.running, name: owner.name });
        const servers = prediction.resolver?.nameservers ?? [];
        const candidates = prediction.candidates;
        const flavour = flags.resolver as (typeof FLAVOURS)[number];
        if (!servers.length || !candidates.length) liveCheck = { available: false, reason: 'the prediction has no nameserver or candidate to query (resolv.conf missing?)', method: null };
        else if (blocker && (method === 'nsenter' || !owner.running)) liveCheck = { available: false, reason: blocker, method: null };
        else if (!blocker && (method === undefined || method === 'nsenter')) {
          // The agent replays the whole walk itself, with every wire option.
          const request = { candidates, servers, type, ...wire, flavour };
          const budget = Math.min(120_000, candidates.length * servers.length * (flags.retries + 1) * timeoutMs + 5_000);
          try {
            const res = (await runAgent(owner.pid!, 'dns', request, budget)) as Record<string, unknown> & { ok: boolean; error?: { message: string } };
            if (!res.ok) liveCheck = { available: false, reason: `the probe agent failed: ${res.error?.message ?? 'unknown error'}`, method: null };
            else {
              observed = res as unknown as import('../src/analysis/dns/types.js').ObservedWalk;
              liveCheck = { available: true, reason: null, method: 'nsenter' };
            }
          } catch (e) {
            if (!(e instanceof AgentRunError)) throw e;
            liveCheck = { available: false, reason: e.message, method: null };
          }
        } else {
          // No agent walk: one dns probe per candidate and server through the common runner.
          const { probeDnsWalk } = await import('../src/probe/live.js');
          const stop = interruptSignal();
          try {
            const r = await probeDnsWalk({
              state,
              host: flags.host,
              context: flags.context,
              method,
              probeImage: flags['probe-image'],
              timeoutMs,
              deadlineMs: 120_000,
              signal: stop.signal,
              from: owner,
              candidates,
              servers,
              qtype: type,
              flavour,
            });
            const skipped = r.skipped.map((x) => `${x.method}: ${x.reason}`);
            const unapplied = [flags.tcp && '--tcp', flags.norecurse && '--norecurse', flags.port !== 53 && '--port', flags.retries !== 1 && '--retries'].filter(Boolean);
            const note = unapplied.length ? `${unapplied.join(', ')} apply to the nsenter agent only: these probes asked over UDP, port 53, with recursion, once each` : null;
            if (!r.walk) liveCheck = { available: false, reason: r.reason, method: null, skipped };
            else {
              observed = r.walk;
              liveCheck = { available: true, reason: null, method: r.methods.join('+') || null, skipped, ...(note ? { note } : {}) };
            }
          } finally {
            stop.dispose();
          }
        }
        if (observed) {
          const { compareWithObserved } = await import('../src/analysis/dns/compare.js');
          comparison = compareWithObserved(prediction, observed);
        }
      } else if (opened.origin === 'live') {
        liveCheck = { available: false, reason: 'without --from there is no container to query from (use --server for a direct query)', method: null };
      }
      report = buildReport({ prediction, mode: opened.origin, source: opened.label, server: flags.server ?? null, observed, comparison, liveCheck });
    }
    if (flags.json) this.printJson(report);
    else {
      const { renderDnsReport } = await import('../src/report/dns.js');
      this.print(renderDnsReport(report));
    }
  }
}
