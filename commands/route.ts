import { Args, Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { traceRoute } from '../src/analysis/route.js';
import { viewOf } from '../src/model/view.js';
import { routeFindings } from '../src/analysis/route-findings.js';
import { renderRoute } from '../src/report/route.js';
import { routeJson } from '../src/report/json.js';
import { outputFlag, pathEnds, pathFlags } from '../src/cli/flags.js';

export default class Route extends NetsleuthCommand {
  static override summary = 'Hop-by-hop forwarding path from FROM to TO: the policy rule, table and route used at each hop, NAT, MTU.';
  static override description =
    "Looks the packet up the way the Linux kernel does: in FROM's namespace (container routes, or the host's tables for the host and host-mode containers), then on the host as it arrives from the container's bridge — every policy rule (from/to/iif/oif/fwmark/not, goto, nop, suppress_prefixlength), longest prefix and metric, throw — until it is delivered on a bridge, delivered locally, or leaves through an uplink (with the source NAT the host's nat/POSTROUTING rules apply). Failures name the kernel's errno: no-route (ENETUNREACH), unreachable (EHOSTUNREACH), prohibit (EACCES), blackhole (EINVAL). Missing evidence makes the verdict unknown. FROM and TO are a container name, id prefix, network alias or Compose service (web, shop/web), an IP address, or `host`.";
  static override examples = [
    '<%= config.bin %> route shop-web-1 shop-db-1 --snapshot docs/examples/example.snapshot.json',
    '<%= config.bin %> route shop-proxy-1 8.8.8.8 -s docs/examples/example.snapshot.json --verbose',
    '<%= config.bin %> route host shop-db-1 --json | jq .verdict',
  ];
  static override args = {
    from: Args.string({ description: 'Source: container name, id prefix, alias or Compose service, IP address, or "host" (or --from)' }),
    to: Args.string({ description: 'Destination: container name, id prefix, alias or Compose service (as FROM\'s embedded DNS resolves it), IP address, or "host" (or --to)' }),
  };
  static override flags = {
    ...jsonFlag,
    ...sourceFlags,
    ipv6: Flags.boolean({ description: 'Use IPv6 addresses when FROM/TO are containers or the host.', default: false }),
    verbose: Flags.boolean({ char: 'v', description: 'Show every policy rule visited and why it matched or not.', default: false }),
    ...pathFlags,
    output: outputFlag(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Route);
    this.setOutput(flags.json);
    const { from, to } = pathEnds(args, flags);
    const src = await this.openSource(flags);
    const state = src.snapshot.state;
    const view = viewOf(state);
    const trace = traceRoute(view, from, to, { family: flags.ipv6 ? 'ipv6' : undefined });
    const related = new Set<string>([trace.from, trace.to]);
    for (const name of [trace.from, trace.to]) {
      for (const e of view.containerRef(name)?.endpoints ?? []) related.add(e.networkName);
    }
    const findings = routeFindings(state).filter((f) => f.subjects.some((s) => related.has(s)));
    if (flags.json) {
      const fromSubject = view.resolve(from);
      const refs = { fromRef: view.ref(fromSubject), toRef: view.ref(view.resolve(to, { from: fromSubject.kind === 'container' ? fromSubject.container : null })) };
      await this.printDocument(routeJson(trace, refs, findings));
    }
    else await this.emit(renderRoute(trace, findings, this.term({ verbose: flags.verbose })));
  }
}
