import { Args, Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag } from '../../src/cli/base.js';
import { EXIT } from '../../src/cli/errors.js';
import { outputFlag, portFlag } from '../../src/cli/flags.js';
import type { SnapshotDiffReport, SnapshotSide } from '../../src/report/snapshot-diff.js';
import type { Snapshot } from '../../src/model/types.js';

export default class SnapshotDiff extends NetsleuthCommand {
  static override summary = 'What changed between two snapshots, and which findings changed as a result.';
  static override description = [
    'Compares snapshot A (before) with snapshot B (after): containers added, removed, renamed or recreated (matched by id, then by name), state changes; endpoints attached, detached or moved between networks, and their addresses; published ports; networks added or removed and changed options (internal, ICC, subnets, driver options); firewall rules added or removed, compared by rule text per table and chain regardless of position and counters; host and per-container routes; daemon settings and sysctls.',
    'Then runs the finding checks on both sides and lists findings that appeared, were resolved or changed severity (matched by code and subjects), and the reach verdicts between containers (as `netsleuth matrix`) that changed: ICMP echo, plus every --port given. --no-verdicts skips them.',
    'Human output groups changes by kind: "+" added, "-" removed, "~" changed. --json prints {schemaVersion, command, source, a, b, identical, summary, changes: [{kind, op, subject, field, before, after, message}], notes, compared} (see docs/diff.md).',
    'Exit code 0, or with --exit-code 1 when anything differs (like git diff --exit-code). 2 for an unreadable or invalid snapshot file.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> snapshot diff good-day.json outage.json.gz',
    '<%= config.bin %> snapshot diff before.json after.json --exit-code || echo "the network changed"',
    '<%= config.bin %> snapshot diff before.json after.json --json | jq \'.changes[] | select(.kind == "firewall")\'',
  ];
  static override args = {
    a: Args.string({ description: 'The earlier snapshot (.json or .json.gz)', required: true }),
    b: Args.string({ description: 'The later snapshot (.json or .json.gz)', required: true }),
  };
  static override flags = {
    port: portFlag({ description: 'Also compare reach verdicts on this port (N/tcp, N/udp, N); repeatable.', multiple: true }),
    verdicts: Flags.boolean({ description: 'Compare reach verdicts between every pair of containers (ICMP, and --port).', default: true, allowNo: true }),
    'exit-code': Flags.boolean({ description: 'Exit 1 when the snapshots differ, 0 when they do not (like git diff --exit-code).', default: false }),
    output: outputFlag(),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotDiff);
    this.setOutput(flags.json);
    const { readSnapshot } = await import('../../src/sources/snapshot/read.js');
    const [sa, sb] = await Promise.all([readSnapshot(args.a), readSnapshot(args.b)]);
    const { diffStates } = await import('../../src/analysis/snapshot-diff.js');
    const { allFindings } = await import('../../src/analysis/gate.js');
    const ports: Array<{ port: number | null; protocol: 'tcp' | 'udp' }> = [{ port: null, protocol: 'tcp' }, ...(flags.port ?? [])];
    const { analyzeMatrix } = await import('../../src/analysis/matrix.js');
    const verdicts = (st: Snapshot['state']) => ports.flatMap((p) => analyzeMatrix(st, { port: p.port, protocol: p.protocol }).cells.map(({ from, to, port, protocol, verdict }) => ({ from, to, port, protocol, verdict })));
    const diff = diffStates(sa.state, sb.state, flags.verdicts ? { findings: allFindings, verdicts } : { findings: allFindings });
    const side = (file: string, s: Snapshot): SnapshotSide => ({ file, capturedAt: s.capture.time, host: s.state.hosts[0]?.name ?? null });
    const report: SnapshotDiffReport = { a: side(args.a, sa), b: side(args.b, sb), ...diff, compared: flags.verdicts ? ['findings', 'verdicts'] : ['findings'] };
    if (flags.json) {
      this.useSource({ kind: 'snapshot', label: `${args.a} -> ${args.b}`, capturedAt: null });
      await this.printDocument((await import('../../src/report/json.js')).diffJson(report));
    }
    else {
      const { renderSnapshotDiff } = await import('../../src/report/snapshot-diff.js');
      await this.emit(renderSnapshotDiff(report, this.term()));
    }
    if (flags['exit-code'] && !diff.identical) {
      // Not an error: the report is already printed; only the exit status says "differs".
      process.exitCode = EXIT.gateFailed;
    }
  }
}
