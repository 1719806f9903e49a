import { Args, Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { InputError } from '../src/cli/errors.js';
import { QUERY_TYPES } from '../src/dns/types.js';
import { durationFlag, outputFlag, portNumberFlag } from '../src/cli/flags.js';
import { interruptSignal, probeFlags } from '../src/cli/probe-flags.js';
import type { DnsReport } from '../src/report/dns.js';

const FLAVOURS = ['glibc', 'musl', 'busybox'] as const;

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
    from: Flags.string({ description: 'Container to resolve from (name or id prefix).' }),
    type: Flags.string({ char: 't', description: 'Record type.', options: [...QUERY_TYPES], default: 'A' }),
    server: Flags.string({ description: 'Ask this DNS server (IP) directly with the name as given, instead of the container\'s resolv.conf.' }),
    port: portNumberFlag({ description: 'Server port.', default: 53 }),
    tcp: Flags.boolean({ description: 'Use TCP from the start (UDP otherwise, with TCP fallback on truncation).', default: false }),
    norecurse: Flags.boolean({ description: 'Clear the RD (recursion desired) bit.', default: false }),
    'dns-timeout': durationFlag('dns-timeout', { description: 'Per-attempt DNS timeout.', bare: 's', min: 1, max: 60_000, default: 2000 })(),
    retries: Flags.integer({ description: 'Further attempts after a timeout.', default: 1, min: 0, max: 10 }),
    resolver: Flags.string({ description: 'Stub resolver rules to model: glibc, musl, busybox.', options: [...FLAVOURS], default: 'glibc' }),
    snapshot: sourceFlags.snapshot,
    host: sourceFlags.host,
    context: sourceFlags.context,
    timeout: sourceFlags.timeout,
    'probe-method': probeFlags['probe-method'],
    'probe-image': Flags.string({ description: 'Image for the sidecar method (never pulled; needs sh and nslookup, busybox is enough).' }),
    output: outputFlag(),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Dns);
    this.setOutput(flags.json);
    const { nameProblem, reverseName } = await import('../src/dns/names.js');
    const type = flags.type;
    const problem = type === 'PTR' && reverseName(args.name) ? null : nameProblem(args.name);
    if (problem) throw new InputError(problem);
    const timeoutMs = flags['dns-timeout'];
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
      const opened = await this.openSource(flags, { hostEvidence: 'never' });
      const state = opened.snapshot.state;
      let prediction;
      try {
        prediction = predictResolution(state, { from: flags.from, name: args.name, type, server: flags.server, flavour: flags.resolver as (typeof FLAVOURS)[number] });
      } catch (e) {
        if (e instanceof DnsPredictError) throw new InputError(e.message, `See: ${this.config.bin} snapshot show for the containers`);
        throw e;
      }
      let live: import('../src/probe/dns-live.js').DnsLiveCheck | null = null;
      if (opened.origin === 'live') {
        const { checkDnsLive } = await import('../src/probe/dns-live.js');
        live = await checkDnsLive({
          state,
          endpoint: opened.label,
          from: flags.from,
          prediction,
          type,
          flavour: flags.resolver as (typeof FLAVOURS)[number],
          wire,
          host: flags.host,
          context: flags.context,
          method: flags['probe-method'] as 'nsenter' | 'sidecar' | 'exec' | undefined,
          probeImage: flags['probe-image'],
          interruptible: interruptSignal,
        });
      }
      report = buildReport({ prediction, mode: opened.origin, source: opened.label, server: flags.server ?? null, observed: live?.observed ?? null, comparison: live?.comparison ?? null, liveCheck: live?.liveCheck ?? null });
    }
    if (flags.json) await this.printDocument((await import('../src/report/json.js')).dnsJson(report));
    else {
      const { renderDnsReport } = await import('../src/report/dns.js');
      await this.emit(renderDnsReport(report, this.term()));
    }
  }
}
