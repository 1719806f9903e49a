import { Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { failOnFlag, formatFlag, outputFlag } from '../src/cli/flags.js';
import type { PortsReport } from '../src/report/ports.js';

export default class Ports extends NetsleuthCommand {
  static override summary = 'Host port conflicts and risky exposures; with --compose, check planned bindings before deploying.';
  static override description = [
    'Lists every claim on a host port — running containers\' published ports, stopped containers\' configured ports (they collide when started), host-network containers\' listeners, other host processes\' listeners (docker-proxy sockets count as the binding they serve), and with --compose the bindings a compose file plans — and reports each host IP/port/protocol claimed twice, with every claimant. 0.0.0.0 overlaps every IPv4 address, :: every IPv6 address and, unless net.ipv6.bindv6only=1, IPv4 too; port ranges count port by port.',
    'Findings with stable codes: PORT_ALLOCATED_BY_CONTAINER, PORT_BOUND_BY_HOST_PROCESS, PORT_CONFLICT_STOPPED_CONTAINER, PUBLISH_HOST_MODE_CONFLICT, PLANNED_PORT_DUPLICATE, PUBLISH_LISTENER_LOOPBACK_ONLY, PUBLISH_NO_LISTENER, PUBLISH_NOT_IN_EFFECT, PUBLISH_IGNORED_HOST_MODE, RISKY_EXPOSURE, EPHEMERAL_RANGE_PORT, PUBLISH_LOOPBACK_ONLY, PRIVILEGED_PORT, EVIDENCE_MISSING (what could not be checked, e.g. host listeners not captured). See docs/ports.md.',
    '--compose FILE reads a compose file (JSON, or the YAML subset in docs/ports.md) and predicts the "port is already allocated" / "address already in use" errors a deploy would meet.',
    'Exit code 1 when a finding at or above --fail-on (default error; none: never) exists, 0 otherwise.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> ports --snapshot docs/examples/example.snapshot.json',
    '<%= config.bin %> ports --compose compose.yaml',
    '<%= config.bin %> ports --compose compose.json --fail-on error',
    '<%= config.bin %> ports --snapshot outage.json.gz --json | jq ".conflicts[] | {hostPort, claimants: [.claimants[].name]}"',
    '<%= config.bin %> ports --format sarif > ports.sarif',
  ];
  static override flags = {
    ...sourceFlags,
    compose: Flags.string({ char: 'c', description: 'Compose file (JSON, or the YAML subset in docs/ports.md) whose planned port bindings to check against the current state.' }),
    'fail-on': failOnFlag(),
    verbose: Flags.boolean({ char: 'v', description: 'Show the evidence path of every claim in the conflicts table.', default: false }),
    format: formatFlag(['table', 'json', 'sarif', 'junit', 'markdown'], { description: 'Output format: table (default), json (= --json), sarif (SARIF 2.1.0), junit (JUnit XML, failures at or above --fail-on), markdown.' }),
    output: outputFlag(),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ports);
    const { resolveFormat } = await import('../src/report/formats/emit.js');
    const format = resolveFormat(flags.format, flags.json);
    this.setOutput(format === 'json');
    // Read the compose file first: a bad file is bad input (exit 2) whatever the daemon says.
    let plan = null;
    if (flags.compose) {
      const { readComposePlan } = await import('../src/sources/compose.js');
      plan = await readComposePlan(flags.compose);
    }
    const opened = await this.openSource(flags);
    const { analyzePorts } = await import('../src/analysis/ports.js');
    const result = analyzePorts(opened.snapshot.state, { planned: plan?.planned ?? [] });
    const report: PortsReport = {
      source: opened.label,
      origin: opened.origin,
      compose: plan ? { file: plan.file, project: plan.project, services: plan.services, planned: plan.planned.length } : null,
      conflicts: result.conflicts,
      findings: result.findings,
      notes: [...(plan?.notes ?? []), ...result.notes],
      claims: result.claims,
    };
    if (format === 'json') await this.printDocument((await import('../src/report/json.js')).portsJson(report));
    else if (format === 'table') {
      const { renderPorts } = await import('../src/report/ports.js');
      await this.emit(renderPorts(report, this.term({ verbose: flags.verbose })));
    } else {
      const { renderDocument, subjectKinds } = await import('../src/report/formats/emit.js');
      const { checksForCodes, groupCodes } = await import('../src/analysis/doctor/registry.js');
      const codes = [...groupCodes('ports').filter((c) => c !== 'PLANNED_PORT_DUPLICATE' || plan), 'EVIDENCE_MISSING'];
      await this.emit(renderDocument({
        command: 'ports',
        toolVersion: this.config.version,
        source: { origin: opened.origin, label: opened.label, file: opened.origin === 'snapshot' ? (flags.snapshot ?? null) : null },
        failOn: flags['fail-on'] ?? null,
        findings: result.findings,
        checks: checksForCodes(codes, result.findings),
        subjectKind: subjectKinds(opened.snapshot.state),
      }, format, this.config.pjson));
    }
    this.gateOnFindings(result.findings, flags['fail-on'], format);
  }
}
