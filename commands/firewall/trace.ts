import { Args, Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../../src/cli/base.js';
import { InputError, SourceError } from '../../src/cli/errors.js';
import { outputFlag, pathEnds, pathFlags, portFlag } from '../../src/cli/flags.js';
import type { FirewallTrace as Trace } from '../../src/analysis/firewall-flow.js';

async function readRulesetFile(file: string, what: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw new InputError(`${what} ${file}: ${code === 'ENOENT' ? 'no such file' : 'is a directory'}`);
    throw new SourceError(`${what} ${file}: cannot be read (${(e as Error).message})`);
  }
}

export default class FirewallTrace extends NetsleuthCommand {
  static override summary = 'Walk one flow through the host firewall rule by rule and name the rule that decides it.';
  static override description = [
    'Builds the packet the Docker host\'s netfilter sees for a flow — in and out interfaces (the containers\' bridges, the uplink of the default route), addresses, path (forward, input to the host, output from the host) — and walks it through the captured iptables ruleset in kernel order: raw, mangle, nat (DNAT of published ports in PREROUTING), filter (DOCKER-USER, isolation, ICC, internal networks), and SNAT/MASQUERADE in POSTROUTING.',
    'FROM and TO are a container (name or id prefix), an IP address, or "host". The verdict is ACCEPT, DROP, REJECT or unknown (when the ruleset was not captured, or a rule depends on something the evidence does not say — the reasons name it).',
    'With --ruleset FILE it evaluates a plain iptables-save file without any snapshot or daemon: FROM and TO are then IP addresses, and --in/--out/--path describe the packet.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> firewall trace web db --port 5432/tcp',
    '<%= config.bin %> firewall trace shop-web-1 shop-api-1 --port 80/tcp --snapshot docs/examples/example.snapshot.json',
    '<%= config.bin %> firewall trace --snapshot docs/examples/example.snapshot.json --from 198.51.100.7 --to host --port 8080/tcp',
    '<%= config.bin %> firewall trace --snapshot state.json.gz --from api --to 198.51.100.10 --port 443/tcp --json',
    '<%= config.bin %> firewall trace --ruleset rules.v4 --from 203.0.113.9 --to 172.18.0.2 --port 80/tcp --in eth0 --out br-1a2b3c4d5e6f',
  ];
  static override args = {
    from: Args.string({ description: 'Source: a container (name or id prefix), an IP address, or "host" (or --from)' }),
    to: Args.string({ description: 'Destination: a container (name or id prefix), an IP address, or "host" (or --to)' }),
  };
  static override flags = {
    ...pathFlags,
    port: portFlag({ description: 'Destination port and protocol, e.g. 5432/tcp or 53/udp (N alone: tcp).', required: true }),
    state: Flags.string({ description: 'Conntrack state of the packet.', options: ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'], default: 'NEW' }),
    ruleset: Flags.string({ char: 'r', description: 'Evaluate this iptables-save (or ip6tables-save) file instead of a snapshot or daemon.', exclusive: ['snapshot', 'host', 'context'], helpGroup: 'RULESET' }),
    in: Flags.string({ description: 'With --ruleset: the interface the packet arrives on.', dependsOn: ['ruleset'], helpGroup: 'RULESET' }),
    out: Flags.string({ description: 'With --ruleset: the interface the packet leaves by.', dependsOn: ['ruleset'], helpGroup: 'RULESET' }),
    path: Flags.string({ description: 'With --ruleset: forward (routed through the host), input (to the host), output (from the host).', options: ['forward', 'input', 'output'], dependsOn: ['ruleset'], helpGroup: 'RULESET' }),
    local: Flags.string({ description: 'With --ruleset: a host-local address (for -m addrtype --dst-type LOCAL); repeatable.', multiple: true, dependsOn: ['ruleset'], helpGroup: 'RULESET' }),
    verbose: Flags.boolean({ char: 'v', description: 'Show every rule walked (also those the packet did not match), with every column and the whole rule text.', default: false }),
    ipset: Flags.string({ description: 'With --ruleset: an `ipset save` file for -m set matches.', dependsOn: ['ruleset'], helpGroup: 'RULESET' }),
    ...sourceFlags,
    output: outputFlag(),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(FirewallTrace);
    this.setOutput(flags.json);
    const { from, to } = pathEnds(args, flags);
    const { port, protocol } = flags.port;
    const ctState = flags.state as Trace['state'];
    let trace: Trace;
    let label: string;
    if (flags.ruleset) {
      const text = await readRulesetFile(flags.ruleset, 'ruleset');
      const ipsetSave = flags.ipset ? await readRulesetFile(flags.ipset, 'ipset file') : null;
      const { traceRuleset } = await import('../../src/analysis/firewall-ruleset.js');
      trace = traceRuleset(text, flags.ruleset, {
        from,
        to,
        port,
        protocol,
        ctState,
        inIface: flags.in,
        outIface: flags.out,
        path: (flags.path ?? 'forward') as 'forward' | 'input' | 'output',
        local: flags.local ?? [],
        ipsetSave,
      });
      label = `ruleset ${flags.ruleset}`;
      this.useSource({ kind: 'ruleset', label: flags.ruleset, capturedAt: null });
    } else {
      if (flags.in || flags.out || flags.path) throw new InputError('--in, --out and --path apply only with --ruleset (with a snapshot or daemon they come from the model)');
      const { traceFlow } = await import('../../src/analysis/firewall-flow.js');
      const opened = await this.openSource(flags);
      trace = traceFlow(opened.snapshot.state, { from, to, port, protocol, ctState });
      label = opened.origin === 'snapshot' ? `snapshot ${opened.label}` : `live daemon ${opened.label}`;
    }
    if (flags.json) await this.printDocument((await import('../../src/report/json.js')).traceJson(trace));
    else await this.emit((await import('../../src/report/firewall.js')).renderTrace(trace, label, this.term({ verbose: flags.verbose })));
  }
}
