import { Args, Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { EXIT, GateFailure } from '../src/cli/errors.js';
import { outputFlag } from '../src/cli/flags.js';
import type { GateOutput } from '../src/report/gate.js';

export default class Gate extends NetsleuthCommand {
  static override summary = 'Check a policy of expectations (reach, dns, conflicts, findings, exposure) as a CI gate.';
  static override description = [
    [
      'Reads POLICY (the YAML subset of docs/ports.md, or JSON; format in docs/gate.md), a list under "expect:" of',
      '  reach: {from, to, port: N/tcp, expect: reachable|blocked}',
      '    from/to: a container, or {service: PROJECT/NAME} / {network: NAME}: every pair must hold',
      '  no-conflicts: true, or {ports: [N]}',
      '  no-findings: true, or {codes: [CODE], severity: S}',
      '  dns: {from, name, resolves-to: [IP]}, or resolves: true|false',
      '  exposed: {allow: ["[ip:]port[/proto]"], ignore-loopback: true}',
    ].join('\n'),
    'Evaluates each against the live daemon or a --snapshot. Each expectation passes, fails, or is UNKNOWN when the evidence to decide it is missing; an unknown never passes a gate.',
    'Exit codes: 0 every expectation passed; 1 one failed or is unknown; 2 the policy is invalid (one line naming file:line: unknown key, bad address, bad port) or missing; 3 the source cannot be read.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> gate docs/examples/gate-policy.yaml --snapshot docs/examples/example.snapshot.json',
    '<%= config.bin %> gate policy.yaml                       # against the live daemon, in CI',
    '<%= config.bin %> gate policy.yaml --json | jq ".results[] | select(.status != \\"pass\\")"',
    '<%= config.bin %> gate init -o policy.yaml                # write a policy that passes today, to review',
  ];
  static override args = {
    policy: Args.string({ description: 'Policy file (YAML subset or JSON)', required: true }),
  };
  static override flags = {
    ...sourceFlags,
    verbose: Flags.boolean({ char: 'v', description: 'Show the evidence of passing expectations too.', default: false }),
    output: outputFlag(),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Gate);
    this.setOutput(flags.json);
    // The policy first: a bad policy is bad input (exit 2) whatever the daemon says.
    const { readPolicy } = await import('../src/sources/policy.js');
    const policy = await readPolicy(args.policy);
    const opened = await this.openSource(flags);
    const { evaluatePolicy } = await import('../src/analysis/gate.js');
    const report: GateOutput = { policy: args.policy, source: opened.label, origin: opened.origin, ...evaluatePolicy(opened.snapshot.state, policy) };
    if (flags.json) await this.printDocument((await import('../src/report/json.js')).gateJson(report));
    else {
      const { renderGate } = await import('../src/report/gate.js');
      await this.emit(renderGate(report, this.term({ verbose: flags.verbose })));
    }
    if (!report.passed) {
      const first = report.results.find((r) => r.status !== 'pass')!;
      const msg = `gate failed: ${report.counts.fail} failed, ${report.counts.unknown} unknown (first: line ${first.line}, ${first.kind})`;
      // The report is already printed; with --json stdout stays pure JSON.
      if (!flags.json) throw new GateFailure(msg);
      process.stderr.write(`netsleuth: ${msg}\n`);
      process.exitCode = EXIT.gateFailed;
    }
  }
}
