import { Args, Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { EXIT, GateFailure, InputError } from '../src/cli/errors.js';
import { outputFlag, pathEnds, pathFlags, portFlag } from '../src/cli/flags.js';
import { interruptSignal, probeFlags } from '../src/cli/probe-flags.js';
import type { Expectation } from '../src/analysis/reach.js';

// The values --expect takes (src/analysis/reach EXPECTATIONS; not imported, to keep --help cheap).
const EXPECT = ['reachable', 'blocked', 'open', 'refused', 'unknown'] as const satisfies readonly Expectation[];

export default class Reach extends NetsleuthCommand {
  static override summary = 'Can FROM reach TO (on a port)? The outcome (OPEN, REFUSED, BLOCKED, UNKNOWN), why, a fix, and every hop.';
  static override description = [
    "Walks the packet the way the host does: FROM's namespace and routes, the bridge or driver (macvlan/ipvlan/overlay), the host's routing tables and ip_forward, the host firewall (raw, mangle, nat with DNAT for published ports, filter, Docker's chains, nftables), docker-proxy for published ports it answers, then the reply (route back, ESTABLISHED through the firewall). Every stage is evaluated even after one blocks, so all blockers are listed and the first is flagged.",
    'The path verdict is reachable, blocked or unknown (missing evidence is named, never guessed). Whether something listens is separate: `listening` is true, false (nothing bound, or bound to 127.0.0.1 only) or unknown. Without --port the question is ICMP echo (ping).',
    'On a live daemon it also probes: from inside FROM\'s network namespace (nsenter with netsleuth\'s own agent, else a short-lived labelled sidecar from --probe-image, else exec with the container\'s tools) it connects to the same address and port, prints both, and sets `agreement`; on a disagreement it names the hop whose evidence is weakest and the next check. Probes only go to addresses the state owns unless --allow-external. --no-probe predicts only.',
    'FROM and TO are a container name or id prefix, an IP address, or `host`. --expect makes it a CI gate: exit 1 when the answer differs (reachable also needs something listening when that is known), or when the probe disagrees with the prediction.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> reach shop-web-1 shop-db-1 --port 5432/tcp --snapshot docs/examples/example.snapshot.json',
    '<%= config.bin %> reach shop-proxy-1 host --port 8080 -s docs/examples/example.snapshot.json --verbose',
    '<%= config.bin %> reach web db --port 5432 --expect reachable          # CI gate on the live daemon',
    '<%= config.bin %> reach web 10.0.0.5 --json | jq .verdict               # ICMP echo',
  ];
  static override args = {
    from: Args.string({ description: 'Source: container name or id prefix, IP address, or "host" (or --from)' }),
    to: Args.string({ description: 'Destination: container name or id prefix, IP address, or "host" (or --to)' }),
  };
  static override flags = {
    ...jsonFlag,
    ...sourceFlags,
    port: portFlag({ description: 'Destination port: N/tcp, N/udp or N (tcp). Without it: ICMP echo.' }),
    expect: Flags.custom<Expectation>({
      description: 'Exit 1 unless the answer is this (a CI gate): reachable, blocked (the path), or the outcome open, refused, unknown (any case).',
      helpValue: 'reachable|blocked|open|refused|unknown',
      parse: async (input) => {
        const v = input.toLowerCase();
        if (!(EXPECT as readonly string[]).includes(v)) throw new InputError(`--expect must be one of ${EXPECT.join(', ')} (got "${input}")`);
        return v as Expectation;
      },
    })(),
    verbose: Flags.boolean({ char: 'v', description: 'Show the rule, route or socket behind each step.', default: false }),
    ...probeFlags,
    ...pathFlags,
    output: outputFlag(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Reach);
    this.setOutput(flags.json);
    const port = flags.port?.port ?? null;
    const protocol = flags.port?.protocol ?? 'tcp';
    const { from, to } = pathEnds(args, flags);
    const opened = await this.openSource(flags);
    const { analyzeReach, expectationMet } = await import('../src/analysis/reach.js');
    const result = analyzeReach(opened.snapshot.state, { from, to, port, protocol });
    const probing = flags.probe ?? opened.origin === 'live';
    if (probing && opened.origin !== 'live') throw new InputError('--probe needs a live daemon: a snapshot cannot be probed', 'Drop --snapshot, or drop --probe.');
    let check = null;
    if (probing) {
      const { probePredictions } = await import('../src/probe/live.js');
      const stop = interruptSignal();
      try {
        const [p] = await probePredictions([result], {
          state: opened.snapshot.state,
          host: flags.host,
          context: flags.context,
          method: flags['probe-method'] as 'nsenter' | 'sidecar' | 'exec' | undefined,
          probeImage: flags['probe-image'],
          timeoutMs: flags['probe-timeout'],
          allowExternal: flags['allow-external'],
          signal: stop.signal,
        });
        check = p!;
      } finally {
        stop.dispose();
      }
      if (check.outcome) result.probe = { method: check.outcome.method ?? 'none', result: check.outcome.result, latencyMs: check.outcome.latencyMs };
      result.agreement = check.agreement?.agreement ?? null;
    }
    const probeCheck = check ? { outcome: check.outcome, skipped: check.skipped, ...(check.agreement ?? {}) } : null;
    if (flags.json) await this.printDocument({ ...result, probeCheck });
    else {
      const { renderReach } = await import('../src/report/reach.js');
      await this.emit(renderReach(result, { term: this.term({ verbose: flags.verbose }), probeCheck }));
    }
    if (result.agreement === false) {
      const msg = `the probe saw ${result.probe?.result}, the prediction was ${result.verdict}${result.port !== null ? ` (listening: ${String(result.listening)})` : ''}: see the suspect hop above`;
      if (flags.expect) {
        if (!flags.json) throw new GateFailure(msg);
        process.stderr.write(`netsleuth: ${msg}\n`);
        process.exitCode = 1;
        return;
      }
    }
    if (flags.expect) {
      const miss = expectationMet(result, flags.expect);
      if (miss) {
        if (!flags.json) throw new GateFailure(miss);
        process.stderr.write(`netsleuth: ${miss}\n`);
        process.exitCode = EXIT.gateFailed;
      }
    }
  }
}
