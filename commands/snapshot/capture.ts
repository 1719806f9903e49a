import { Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../../src/cli/base.js';
import { InputError } from '../../src/cli/errors.js';
import { outputFlag } from '../../src/cli/flags.js';
import { sanitize } from '../../src/report/sanitize.js';
import type { CaptureProgress } from '../../src/sources/docker/capture.js';

const PHASES: Record<CaptureProgress['phase'], string> = {
  connect: 'Connecting to the daemon',
  networks: 'Inspecting networks',
  containers: 'Inspecting containers',
  files: 'Reading resolv.conf and hosts',
  host: 'Reading host routes, firewall and listeners',
  netns: 'Reading container namespaces',
  done: 'Done',
};

export default class SnapshotCapture extends NetsleuthCommand {
  static override summary = "Capture the live daemon's network state (and, on its host as root, routes, firewall and listeners) into a snapshot file.";
  static override description =
    'Reads the Docker Engine API (daemon, networks, every container in every state, each container\'s /etc/resolv.conf and /etc/hosts) and, when run as root on the daemon\'s own host, host evidence: interfaces, routes, policy rules, iptables/ip6tables/nft rulesets, listening sockets, sysctls, resolv.conf, /etc/docker/daemon.json, and each running container\'s routes and listeners. Whatever cannot be read is recorded as unavailable with the reason. Environment variables are never captured. The file is written atomically; a name ending in .gz is gzip-compressed.';
  static override examples = [
    '<%= config.bin %> snapshot capture -o state.json',
    '<%= config.bin %> snapshot capture -o state.json.gz --host tcp://10.0.0.5:2376',
    'sudo <%= config.bin %> snapshot capture -o incident-$(date +%s).json.gz',
    '<%= config.bin %> snapshot capture -o - | jq .state.networks',
  ];
  static override flags = {
    output: outputFlag({
      description: 'Where to write the snapshot; "-" for stdout. Default: netsleuth-<UTC time>.json in the current directory.',
    }),
    host: sourceFlags.host,
    context: sourceFlags.context,
    timeout: sourceFlags.timeout,
    concurrency: Flags.integer({ description: 'Concurrent inspect requests.', default: 8, min: 1, max: 64 }),
    'no-host-evidence': Flags.boolean({ description: 'Do not read host routes, firewall or container namespaces even when possible.', default: false }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SnapshotCapture);
    const mode = this.setOutput(flags.json);
    const output = flags.output ?? `netsleuth-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    if (output === '-' && flags.json) throw new InputError('--json and "-o -" both write to stdout; choose one');

    // ora is loaded only when a spinner may be shown (a --json or CI run never pays for it).
    let spinner: { text: string; stop(): unknown } | null = null;
    if (mode.spinner) {
      const { default: ora } = await import('ora');
      // discardStdin: false: netsleuth never reads stdin, so ora need not put it in raw mode.
      // A pseudo-terminal with no window size (util-linux `script` run without a terminal, some CI
      // runners) reports 0 columns; ora divides by that (its `?? 80` lets 0 through), counts
      // Infinity lines to erase, and its synchronous erase loop then blocks the event loop for
      // ever — the capture stalled at "Connecting". So ora gets stderr with a width that is never 0.
      const { termFor } = await import('../../src/report/term.js');
      const err = process.stderr;
      const stream = {
        isTTY: true,
        get columns() {
          return err.columns || termFor({ stream: err }).width;
        },
        write: (s: string) => err.write(s),
        cursorTo: (x: number) => err.cursorTo(x),
        moveCursor: (dx: number, dy: number) => err.moveCursor(dx, dy),
        clearLine: (dir: -1 | 0 | 1) => err.clearLine(dir),
      } as unknown as NodeJS.WriteStream;
      spinner = ora({ text: PHASES.connect, stream, discardStdin: false }).start();
    }
    const onProgress = (p: CaptureProgress) => {
      if (spinner) spinner.text = p.total > 1 ? `${PHASES[p.phase]} (${p.done}/${p.total})` : PHASES[p.phase];
    };

    const { resolveEndpoint } = await import('../../src/sources/docker/endpoint.js');
    const { captureSnapshot } = await import('../../src/sources/docker/capture.js');
    let snapshot;
    try {
      const endpoint = resolveEndpoint({ host: flags.host, context: flags.context, env: process.env });
      snapshot = await captureSnapshot({
        endpoint,
        toolVersion: this.config.version,
        timeoutMs: flags.timeout,
        concurrency: flags.concurrency,
        hostEvidence: flags['no-host-evidence'] ? 'never' : 'auto',
        onProgress,
      });
    } finally {
      spinner?.stop();
    }

    if (output === '-') {
      process.stdout.write(JSON.stringify(snapshot, null, 2) + '\n');
    } else {
      const { writeSnapshotAtomic } = await import('../../src/sources/snapshot/write.js');
      await writeSnapshotAtomic(snapshot, output);
    }

    const host = snapshot.state.hosts[0]!;
    const missing = Object.entries({
      interfaces: host.interfaces,
      routes: host.routes,
      rules: host.rules,
      firewall: host.firewall,
      listeners: host.listeners,
      sysctls: host.sysctls,
      'daemon.json': host.daemonConfig,
    })
      .filter(([, s]) => s.status !== 'ok')
      .map(([name, s]) => ({ section: name, status: s.status, reason: s.reason ?? null }));
    const result = {
      file: output === '-' ? null : output,
      endpoint: snapshot.capture.source.endpoint,
      apiVersion: host.daemon.value?.negotiatedApiVersion ?? null,
      networks: snapshot.state.networks.length,
      containers: snapshot.state.containers.length,
      vanished: snapshot.capture.vanished,
      missingEvidence: missing,
      durationMs: snapshot.capture.durationMs,
    };
    if (flags.json) {
      this.useSource({ kind: 'daemon', label: result.endpoint, capturedAt: snapshot.capture.time });
      // -o is the snapshot here, not the report: the summary goes to stdout (stderr when the
      // snapshot itself is on stdout, so stdout stays one JSON document).
      const doc = JSON.stringify(this.document(result), null, 2) + '\n';
      (output === '-' ? process.stderr : process.stdout).write(doc);
      return;
    }
    const lines = [
      `${output === '-' ? 'Captured' : `Wrote ${output}:`} ${result.networks} networks, ${result.containers} containers from ${result.endpoint} (API ${result.apiVersion ?? '?'}) in ${result.durationMs} ms`,
    ];
    for (const v of result.vanished) lines.push(`  vanished during capture: ${v.name || v.id.slice(0, 12)} (${v.reason})`);
    for (const m of missing) lines.push(`  ${m.status}: ${m.section} — ${m.reason}`);
    const { fitLines } = await import('../../src/report/term.js');
    const text = fitLines(lines.map(sanitize).join('\n'), this.term().width) + '\n';
    // With -o - the snapshot owns stdout; the human summary goes to stderr.
    (output === '-' ? process.stderr : process.stdout).write(text);
  }
}
