import { Args } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../../src/cli/base.js';
import { argOrFlag } from '../../src/cli/flags.js';
import { readSnapshot } from '../../src/sources/snapshot/read.js';
import { sanitize } from '../../src/report/sanitize.js';
import { snapshotFileSource } from '../../src/report/json.js';
import { hang } from '../../src/report/term.js';

export default class SnapshotValidate extends NetsleuthCommand {
  static override summary = 'Check a snapshot file against the published JSON Schema (docs/snapshot.schema.json).';
  static override description =
    'Exit 0 when the file is a valid netsleuth snapshot; exit 2 with one line naming the file and the JSON path of the first problem otherwise (not JSON, truncated gzip, wrong schema version, a field of the wrong type). Exit 3 when the file cannot be read.';
  static override examples = [
    '<%= config.bin %> snapshot validate state.json',
    '<%= config.bin %> snapshot validate state.json.gz --json',
  ];
  static override args = {
    file: Args.string({ description: 'Snapshot file (.json or .json.gz); or --snapshot/-s FILE' }),
  };
  static override flags = { snapshot: { ...sourceFlags.snapshot, description: 'The snapshot file (the same as the FILE argument).' }, ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SnapshotValidate);
    this.setOutput(flags.json);
    const file = argOrFlag(args.file, flags.snapshot, { arg: 'FILE', flag: 'snapshot' });
    const snapshot = await readSnapshot(file);
    const result = {
      file,
      valid: true,
      schema: snapshot.schema,
      capturedAt: snapshot.capture.time,
      hosts: snapshot.state.hosts.length,
      networks: snapshot.state.networks.length,
      containers: snapshot.state.containers.length,
    };
    if (flags.json) {
      this.useSource(snapshotFileSource(file, snapshot));
      await this.printDocument(result);
    }
    else
      this.print(
        hang(
          sanitize(`${file}: valid ${snapshot.schema} (captured ${result.capturedAt}; ${result.hosts} host, ${result.networks} networks, ${result.containers} containers)`),
          this.term().width,
          '',
          2,
        ).join('\n'),
      );
  }
}
