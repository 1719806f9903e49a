import { Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../../src/cli/base.js';
import { failOnFlag, formatFlag, outputFlag } from '../../src/cli/flags.js';
import { InputError, SourceError } from '../../src/cli/errors.js';
import type { LintJsonFinding } from '../../src/analysis/firewall-ruleset.js';

export default class FirewallLint extends NetsleuthCommand {
  static override summary = 'Find shadowed, unreachable and misplaced firewall rules, and rules the engine cannot model.';
  static override description = [
    'Checks the host\'s iptables rulesets (IPv4 and IPv6): rules that can never match because an earlier rule takes every packet they would (shadowed, or redundant when the action is the same), user chains nothing jumps to, operator DROP/REJECT rules in FORWARD placed after Docker\'s rules (where they do not protect containers — DOCKER-USER is the place), published ports that bypass a host firewall\'s INPUT policy (the ufw surprise), and constructs the engine does not model.',
    'Exit code 1 when a finding at or above --fail-on (default error; none: never) exists, 0 otherwise.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> firewall lint',
    '<%= config.bin %> firewall lint --snapshot docs/examples/example.snapshot.json',
    '<%= config.bin %> firewall lint --ruleset /etc/iptables/rules.v4 --fail-on warning',
    '<%= config.bin %> firewall lint --snapshot state.json.gz --json | jq ".findings[].code"',
    '<%= config.bin %> firewall lint --ruleset /etc/iptables/rules.v4 --format junit > lint.xml',
  ];
  static override flags = {
    ruleset: Flags.string({ char: 'r', description: 'Lint this iptables-save (or ip6tables-save) file instead of a snapshot or daemon.', exclusive: ['snapshot', 'host', 'context'] }),
    'fail-on': failOnFlag(),
    verbose: Flags.boolean({ char: 'v', description: 'Print the rule text of each finding whole instead of cut to the terminal width.', default: false }),
    format: formatFlag(['table', 'json', 'sarif', 'junit', 'markdown'], { description: 'Output format: table (default), json (= --json), sarif (SARIF 2.1.0), junit (JUnit XML, failures at or above --fail-on), markdown.' }),
    output: outputFlag(),
    ...sourceFlags,
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(FirewallLint);
    const { resolveFormat } = await import('../../src/report/formats/emit.js');
    const format = resolveFormat(flags.format, flags.json);
    this.setOutput(format === 'json');
    let origin: 'snapshot' | 'live' | 'ruleset' = 'ruleset';
    let state: import('../../src/model/types.js').NetworkState | null = null;
    const { lintTexts } = await import('../../src/analysis/firewall-ruleset.js');
    let label: string;
    let inputs: Array<{ family: 'ipv4' | 'ipv6' | null; text: string; source: string }>;
    let summary: string[] = [];
    let unavailable: string | null = null;
    if (flags.ruleset) {
      const { readFile } = await import('node:fs/promises');
      let text: string;
      try {
        text = await readFile(flags.ruleset, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR') throw new InputError(`ruleset ${flags.ruleset}: ${code === 'ENOENT' ? 'no such file' : 'is a directory'}`);
        throw new SourceError(`ruleset ${flags.ruleset}: cannot be read (${(e as Error).message})`);
      }
      inputs = [{ family: null, text, source: flags.ruleset }];
      label = `ruleset ${flags.ruleset}`;
    } else {
      const opened = await this.openSource(flags);
      label = opened.origin === 'snapshot' ? `snapshot ${opened.label}` : `live daemon ${opened.label}`;
      origin = opened.origin;
      state = opened.snapshot.state;
      const host = opened.snapshot.state.hosts[0];
      const fw = host?.firewall;
      inputs = [];
      if (!fw || fw.status === 'unavailable' || !fw.value) unavailable = `the host's firewall ruleset was not captured${fw?.reason ? `: ${fw.reason}` : ''}`;
      else {
        if (fw.value.iptablesSave?.trim()) inputs.push({ family: 'ipv4', text: fw.value.iptablesSave, source: 'iptables-save' });
        if (fw.value.ip6tablesSave?.trim()) inputs.push({ family: 'ipv6', text: fw.value.ip6tablesSave, source: 'ip6tables-save' });
        if (inputs.length === 0 && fw.value.nftJson?.trim()) inputs.push({ family: 'ipv4', text: fw.value.nftJson, source: 'nft -j list ruleset' });
        if (inputs.length === 0) unavailable = 'the snapshot holds no iptables-save or nft output for this host';
      }
    }
    const res = lintTexts(inputs, flags.ruleset ? flags.ruleset : null);
    summary = res.summary;
    const findings: LintJsonFinding[] = res.findings;
    if (unavailable) summary.push(`not linted: ${unavailable}`);
    if (format === 'json') {
      if (flags.ruleset) this.useSource({ kind: 'ruleset', label: flags.ruleset, capturedAt: null });
      await this.printDocument((await import('../../src/report/json.js')).lintJson({ verdict: unavailable ? 'unknown' : 'checked', reason: unavailable, rulesets: res.rulesets, findings }));
    } else if (format === 'table') {
      const { renderLint } = await import('../../src/report/firewall.js');
      await this.emit(renderLint(findings, label, summary, this.term({ verbose: flags.verbose })));
    } else {
      const { renderDocument, subjectKinds } = await import('../../src/report/formats/emit.js');
      const { checksForCodes, groupCodes, lintToFinding } = await import('../../src/analysis/doctor/registry.js');
      const shaped = findings.map(lintToFinding);
      await this.emit(renderDocument({
        command: 'firewall lint',
        toolVersion: this.config.version,
        source: { origin, label: flags.ruleset ?? label.replace(/^(snapshot|live daemon) /, ''), file: flags.ruleset ?? (origin === 'snapshot' ? (flags.snapshot ?? null) : null) },
        failOn: flags['fail-on'] ?? null,
        findings: shaped,
        checks: checksForCodes(groupCodes('firewall'), shaped, unavailable ? `not linted: ${unavailable}` : null),
        subjectKind: subjectKinds(state),
      }, format, this.config.pjson));
    }
    this.gateOnFindings(findings, flags['fail-on'], format);
  }
}
