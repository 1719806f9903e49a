import { Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { InputError } from '../src/cli/errors.js';

export default class Matrix extends NetsleuthCommand {
  static override summary = 'The reach verdict for every ordered pair of running containers, optionally on one network.';
  static override description = [
    'Each cell is what `netsleuth reach FROM TO --port …` would answer: reachable, blocked or unknown, with whether something listens and the code of the first blocking stage. Containers the analysis cannot tell apart (same networks, routes and listeners; addresses no firewall rule or route singles out) share one walk, so 1,000 containers (a million pairs) take seconds.',
    'Without --port the cells are ICMP echo. Stopped containers are listed as not in the matrix.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> matrix --snapshot docs/examples/example.snapshot.json --port 80',
    '<%= config.bin %> matrix --network shop_front --port 80/tcp',
    '<%= config.bin %> matrix -s outage.json.gz --port 5432 --json | jq \'.cells[] | select(.verdict != "reachable")\'',
  ];
  static override flags = {
    ...jsonFlag,
    ...sourceFlags,
    network: Flags.string({ char: 'n', description: 'Only containers attached to this network (name or id).' }),
    port: Flags.string({ char: 'p', description: 'Destination port: N/tcp, N/udp or N (tcp). Without it: ICMP echo.' }),
    limit: Flags.integer({ description: 'Pairs listed per blocking code in the human output.', default: 10, min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Matrix);
    this.setOutput(flags.json);
    let port: number | null = null;
    let protocol: 'tcp' | 'udp' = 'tcp';
    if (flags.port !== undefined) {
      const { parsePortSpec } = await import('../src/analysis/firewall-flow.js');
      ({ port, protocol } = parsePortSpec(flags.port));
    }
    const { openSource } = await import('../src/sources/open.js');
    const opened = await openSource(flags, { toolVersion: this.config.version });
    const { analyzeMatrix, MatrixInputError } = await import('../src/analysis/matrix.js');
    let m;
    try {
      m = analyzeMatrix(opened.snapshot.state, { network: flags.network ?? null, port, protocol });
    } catch (e) {
      if (e instanceof MatrixInputError) throw new InputError(e.message, 'List networks with `netsleuth snapshot show`.');
      throw e;
    }
    if (flags.json) this.printJson(m);
    else {
      const { renderMatrix } = await import('../src/report/matrix.js');
      this.print(renderMatrix(m, { limit: flags.limit }));
    }
  }
}
