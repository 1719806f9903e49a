import { Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { InputError } from '../src/cli/errors.js';
import { formatFlag, outputFlag, resolveFormatFlag } from '../src/cli/flags.js';

export default class Graph extends NetsleuthCommand {
  static override summary = 'Draw the topology: host, networks, containers, endpoints and published ports (DOT, mermaid or SVG).';
  static override description = [
    'Draws the host, its Docker networks (driver, subnets, bridge; internal and ICC-disabled networks marked), every container (state; network mode host, none or container:<other> shown), each endpoint as an edge labelled with the container\'s addresses, and published ports as host address:port->port/proto (ports of stopped containers marked "not started").',
    '--format dot (default) for Graphviz, mermaid for markdown that GitHub and GitLab render, svg for a picture laid out by netsleuth itself (no Graphviz needed; edges routed around boxes). --network N draws one network and its containers. --json prints the graph model instead.',
    'Findings about what is drawn (host-port conflicts, stopped containers that would collide, loopback-only listeners, icc=false isolation, blocked compose siblings) are marked on the boxes they name and listed in a legend.',
    'Names are escaped for each format, so a hostile container name cannot break or inject into the output.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> graph --snapshot docs/examples/example.snapshot.json --format svg -o topology.svg',
    '<%= config.bin %> graph --format dot | dot -Tpng -o topology.png',
    '<%= config.bin %> graph --format mermaid --network shop_front >> README.md',
    '<%= config.bin %> graph --snapshot outage.json.gz --json | jq ".containers[].name"',
  ];
  static override flags = {
    ...sourceFlags,
    format: formatFlag(['dot', 'mermaid', 'svg', 'json'], { description: 'Output format: dot (default), mermaid, svg, json (the graph model; = --json).' }),
    network: Flags.string({ char: 'n', description: 'Draw only this network (name or id) and its containers.' }),
    output: outputFlag({ description: 'Write to this file instead of stdout ("-": stdout). Written atomically; see docs/cli.md.' }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Graph);
    const format = resolveFormatFlag(flags.format, flags.json, 'dot');
    this.setOutput(format === 'json');
    const opened = await this.openSource(flags);
    const { buildTopology, TopologyFilterError } = await import('../src/analysis/topology.js');
    let topo;
    try {
      topo = buildTopology(opened.snapshot.state, { network: flags.network });
    } catch (e) {
      if (e instanceof TopologyFilterError) throw new InputError(e.message, `List the networks with: ${this.config.bin} snapshot show FILE (or docker network ls)`);
      throw e;
    }
    let text: string;
    if (format === 'json') text = JSON.stringify(this.document({ ...topo }), null, 2) + '\n';
    else if (format === 'mermaid') text = (await import('../src/report/graph-mermaid.js')).renderMermaid(topo);
    else if (format === 'svg') text = (await import('../src/report/graph-svg.js')).renderSvg(topo);
    else text = (await import('../src/report/graph-dot.js')).renderDot(topo);
    await this.emit(text);
    if (!flags.output || flags.output === '-' || format === 'json') return;
    process.stderr.write(`Wrote ${flags.output}: ${topo.networks.length} networks, ${topo.containers.length} containers\n`);
  }
}
