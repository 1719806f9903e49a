import { NetsleuthCommand, sourceFlags } from '../../src/cli/base.js';
import { InputError } from '../../src/cli/errors.js';
import { outputFlag } from '../../src/cli/flags.js';

export default class GateInit extends NetsleuthCommand {
  static override summary = 'Write a gate policy that passes on the current state (snapshot or live daemon), to review and commit.';
  static override description = [
    'Like goss autoadd: proposes what holds today, grouped by Compose service and network rather than container names — the reach outcomes between services that share a network (reachable, or blocked), a network whose containers all reach (or all cannot reach) each other as one expectation, the published host ports (exposed: allow), no-conflicts and no-findings {severity: error} when they hold.',
    'Every proposed expectation is checked with the gate before it is written, so `netsleuth gate FILE` on the same state exits 0. A header says when and from what it was generated and what was left out (mixed or unknown outcomes, more than a bounded number of pairs). See docs/gate.md.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> gate init -s docs/examples/example.snapshot.json -o policy.yaml',
    '<%= config.bin %> gate init -o policy.yaml                  # from the live daemon',
    '<%= config.bin %> gate policy.yaml                          # later, in CI',
  ];
  static override flags = {
    ...sourceFlags,
    output: outputFlag({ description: 'Write the policy to this file (atomically; see docs/cli.md) instead of stdout ("-": stdout).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GateInit);
    this.setOutput(false);
    const opened = await this.openSource(flags);
    const { proposePolicy } = await import('../../src/analysis/gate-init.js');
    const proposal = proposePolicy(opened.snapshot.state);
    if (!proposal.items.length) throw new InputError(`nothing in ${opened.label} holds for certain, so no policy can be proposed (${proposal.leftOut[0] ?? 'no containers'})`);
    const { renderPolicyYaml } = await import('../../src/report/gate-policy.js');
    const text = renderPolicyYaml(proposal, {
      generatedAt: new Date().toISOString(),
      source: opened.label,
      origin: opened.origin,
      capturedAt: opened.snapshot.capture?.time ?? null,
      toolVersion: this.config.version,
    });
    if (!flags.output || flags.output === '-') {
      this.print(text);
      return;
    }
    const { writeFileAtomic } = await import('../../src/sources/output-file.js');
    await writeFileAtomic(flags.output, text);
    process.stderr.write(`Wrote ${flags.output}: ${proposal.items.length} expectations, ${proposal.leftOut.length} note(s) on what was left out\n`);
  }
}
