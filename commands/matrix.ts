import { Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { InputError } from '../src/cli/errors.js';
import { durationFlag, outputFlag, portFlag } from '../src/cli/flags.js';
import { interruptSignal, probeFlags } from '../src/cli/probe-flags.js';

export default class Matrix extends NetsleuthCommand {
  static override summary = 'The reach verdict for every ordered pair of running containers, optionally on one network.';
  static override description = [
    'Each cell is what `netsleuth reach FROM TO --port …` would answer: reachable, blocked or unknown, with whether something listens and the code of the first blocking stage. Containers the analysis cannot tell apart (same networks, routes and listeners; addresses no firewall rule or route singles out) share one walk, so 1,000 containers (a million pairs) take seconds.',
    'Without --port the cells are ICMP echo. Stopped containers are listed as not in the matrix.',
    'With --probe (live daemon) every pair is also probed for real, bounded by --concurrency, --probe-timeout and --deadline, with a progress line on a terminal; each cell gets `probe` and `agreement`, and the summary counts disagreements. Ctrl-C stops the probes and removes any sidecar.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> matrix --snapshot docs/examples/example.snapshot.json --port 80',
    '<%= config.bin %> matrix --network shop_front --port 80/tcp',
    'sudo <%= config.bin %> matrix --network shop_front --port 80 --probe --concurrency 4 --deadline 2m',
    '<%= config.bin %> matrix -s outage.json.gz --port 5432 --json | jq \'.cells[] | select(.verdict != "reachable")\'',
  ];
  static override flags = {
    ...jsonFlag,
    ...sourceFlags,
    network: Flags.string({ char: 'n', description: 'Only containers attached to this network (name or id).' }),
    port: portFlag({ description: 'Destination port: N/tcp, N/udp or N (tcp). Without it: ICMP echo.' }),
    limit: Flags.integer({ description: 'Pairs listed per blocking code in the human output.', default: 10, min: 0 }),
    ...probeFlags,
    probe: Flags.boolean({ description: 'Also probe every pair for real from inside its source\'s namespace (live daemon only) and compare.', default: false }),
    concurrency: Flags.integer({ description: 'With --probe: sources probed at the same time.', default: 4, min: 1, max: 64 }),
    'neighbour-reclaim': Flags.boolean({
      description: 'With --probe, as root on the daemon\'s host: when the mesh needs more neighbour (ARP) entries than the kernel\'s table allows (gc_thresh3), delete the entries the probes created instead of waiting for the kernel to free them (docs/probes.md).',
      default: true,
      allowNo: true,
    }),
    deadline: durationFlag('deadline', { description: 'With --probe: overall bound; probes not done by then are reported as not run.', bare: 's', min: 1000, max: 86_400_000, default: 300_000 })(),
    output: outputFlag(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Matrix);
    this.setOutput(flags.json);
    const port = flags.port?.port ?? null;
    const protocol = flags.port?.protocol ?? 'tcp';
    const opened = await this.openSource(flags);
    const { analyzeMatrix } = await import('../src/analysis/matrix.js');
    const m = analyzeMatrix(opened.snapshot.state, { network: flags.network ?? null, port, protocol });
    if (flags.probe) {
      if (opened.origin !== 'live') throw new InputError('--probe needs a live daemon: a snapshot cannot be probed', 'Drop --snapshot, or drop --probe.');
      const { probeMatrix } = await import('../src/probe/live.js');
      const state = opened.snapshot.state;
      let spinner: { text: string; stop(): unknown } | null = null;
      if (this.mode.spinner) {
        const { default: ora } = await import('ora');
        spinner = ora({ text: `probing ${m.cells.length} pairs`, stream: process.stderr, discardStdin: false }).start();
      }
      const stop = interruptSignal();
      let summary;
      try {
        summary = await probeMatrix(m, {
          state,
          host: flags.host,
          context: flags.context,
          method: flags['probe-method'] as 'nsenter' | 'sidecar' | 'exec' | undefined,
          probeImage: flags['probe-image'],
          timeoutMs: flags['probe-timeout'],
          concurrency: flags.concurrency,
          deadlineMs: flags.deadline,
          allowExternal: flags['allow-external'],
          neighbourReclaim: flags['neighbour-reclaim'],
          signal: stop.signal,
          onProgress: (done, total) => {
            if (spinner) spinner.text = `probing: ${done}/${total} pairs`;
          },
        });
      } finally {
        stop.dispose();
        spinner?.stop();
      }
      (m as typeof m & { probeSummary?: unknown }).probeSummary = summary;
    }
    if (flags.json) await this.printDocument((await import('../src/report/json.js')).matrixJson(m));
    else {
      const { renderMatrix } = await import('../src/report/matrix.js');
      await this.emit(renderMatrix(m, { limit: flags.limit, term: this.term() }));
    }
  }
}
