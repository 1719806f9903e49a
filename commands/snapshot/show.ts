import { Args } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../../src/cli/base.js';
import { argOrFlag, outputFlag } from '../../src/cli/flags.js';
import { readSnapshot } from '../../src/sources/snapshot/read.js';
import { summarizeSnapshot } from '../../src/analysis/summary.js';
import { renderSnapshotSummary } from '../../src/report/snapshot-summary.js';
import { snapshotFileSource } from '../../src/report/json.js';

export default class SnapshotShow extends NetsleuthCommand {
  static override summary = 'Summarize a snapshot: host, evidence, networks and containers.';
  static override description =
    'Prints who captured the snapshot and when, the daemon and which host evidence it holds (and why any is missing), every network with its subnets and driver, and every container with its addresses and published ports.';
  static override examples = [
    '<%= config.bin %> snapshot show docs/examples/example.snapshot.json',
    '<%= config.bin %> snapshot show outage.json.gz --json | jq ".containers[].name"',
  ];
  static override args = {
    file: Args.string({ description: 'Snapshot file (.json or .json.gz); or --snapshot/-s FILE' }),
  };
  static override flags = { snapshot: { ...sourceFlags.snapshot, description: 'The snapshot file (the same as the FILE argument).' }, output: outputFlag(), ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotShow);
    this.setOutput(flags.json);
    const file = argOrFlag(args.file, flags.snapshot, { arg: 'FILE', flag: 'snapshot' });
    const snapshot = await readSnapshot(file);
    const summary = summarizeSnapshot(snapshot);
    if (flags.json) {
      this.useSource(snapshotFileSource(file, snapshot));
      await this.printDocument({ ...summary });
    }
    else await this.emit(renderSnapshotSummary(summary, file, this.term()));
  }
}
