import { Flags } from '@oclif/core';
import { NetsleuthCommand, jsonFlag, sourceFlags } from '../src/cli/base.js';
import { failOnFlag, formatFlag, outputFlag } from '../src/cli/flags.js';
import { InputError } from '../src/cli/errors.js';
import { countBySeverity, type Severity } from '../src/model/finding.js';

const codeList = (v: string | undefined): string[] => (v ? v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean) : []);

export default class Doctor extends NetsleuthCommand {
  static override summary = 'Run every check on a daemon or snapshot: findings with evidence and remediation, and a CI gate.';
  static override description = [
    'Runs every registered check — port conflicts and risky exposures, firewall lint, subnet overlaps and MTU, DNS resolver configuration and name collisions, internal networks with published ports, ICC isolation, ip_forward, masquerade, missing DNAT rules, DOCKER-USER drops on published ports, stale stopped containers, Engine < 28 loopback exposure, "iptables": false, missing macvlan parents — and prints a triage list: one line per group of identical findings, ranked by impact (traffic broken now, will break on deploy/restart, hygiene), then severity and count. --verbose shows every finding in full; --explain CODE says what a code means and shows each instance. Each finding has a stable code with a page in docs/findings/ (docs/findings/README.md lists them).',
    'A check whose evidence was not captured (no root, remote daemon) does not guess: it reports one EVIDENCE_MISSING info finding saying what could not be checked.',
    'Exit code: 1 when a finding at or above --fail-on (default error) exists, 0 otherwise; 2 for bad usage (e.g. an unknown code in --only/--skip); 3 when the source cannot be read.',
    'Formats: table (default), json (same as --json; {findings, checks}), sarif (SARIF 2.1.0 for GitHub code scanning), junit (one testcase per check), markdown (PR comments, incident notes). See docs/doctor.md.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --snapshot docs/examples/example.snapshot.json',
    '<%= config.bin %> doctor --fail-on warning --skip NDOTS_EXPANSION,PRIVILEGED_PORT',
    '<%= config.bin %> doctor --only PORT_ALLOCATED_BY_CONTAINER,RISKY_EXPOSURE --json',
    '<%= config.bin %> doctor --snapshot outage.json.gz --format sarif > netsleuth.sarif',
    '<%= config.bin %> doctor --format junit > netsleuth-junit.xml',
    '<%= config.bin %> doctor --snapshot outage.json.gz --format markdown > findings.md',
    '<%= config.bin %> doctor --verbose',
    '<%= config.bin %> doctor --explain MTU_MISMATCH',
  ];
  static override flags = {
    only: Flags.string({ description: 'Run only these finding codes (comma-separated).' }),
    skip: Flags.string({ description: 'Skip these finding codes (comma-separated).' }),
    'fail-on': failOnFlag({ default: 'error' }),
    format: formatFlag(['table', 'json', 'sarif', 'junit', 'markdown'], { description: 'Output format: table (default), json (= --json), sarif (SARIF 2.1.0, GitHub code scanning), junit (one testcase per check, failures at or above --fail-on), markdown (PR comments).' }),
    output: outputFlag(),
    verbose: Flags.boolean({ char: 'v', description: 'Table format: every finding in full (message, subjects, evidence, fix), grouped like the default triage list.', default: false }),
    explain: Flags.string({ description: 'Explain one finding code (what it means, why it matters, the fix) and show every instance of it in the source, in full.', helpValue: 'CODE', exclusive: ['only', 'skip', 'format', 'json'] }),
    ...sourceFlags,
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const { resolveFormat } = await import('../src/report/formats/emit.js');
    const format = resolveFormat(flags.format, flags.json);
    this.setOutput(format === 'json');
    const only = codeList(flags.only);
    const skip = codeList(flags.skip);
    // Check the codes before touching the daemon: a typo is bad usage whatever the state.
    const { unknownCodes, runDoctor } = await import('../src/analysis/doctor/registry.js');
    const bad = unknownCodes([...only, ...skip]);
    if (bad.length) throw new InputError(`unknown finding code${bad.length > 1 ? 's' : ''} ${bad.join(', ')} in --${only.includes(bad[0]!) ? 'only' : 'skip'}`, 'docs/findings/README.md lists every code');
    const explain = flags.explain === undefined ? undefined : flags.explain.trim().toUpperCase();
    if (explain !== undefined && unknownCodes([explain]).length) {
      const [{ CATALOG }, { suggest }] = await Promise.all([import('../src/analysis/doctor/catalog.js'), import('../src/model/view.js')]);
      const near = suggest(explain, CATALOG.map((c) => c.code));
      throw new InputError(`unknown finding code "${flags.explain}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`, 'docs/findings/README.md lists every code');
    }
    const opened = await this.openSource(flags);
    const state = opened.snapshot.state;
    const result = runDoctor(state, explain ? { only: [explain] } : { only, skip });
    const failOn: Severity | null = flags['fail-on'];
    const { subjectKinds, renderDocument, renderFindings } = await import('../src/report/formats/emit.js');
    const report = {
      command: 'doctor',
      toolVersion: this.config.version,
      source: { origin: opened.origin, label: opened.label, file: opened.origin === 'snapshot' ? (flags.snapshot ?? null) : null },
      failOn,
      findings: result.findings,
      checks: result.checks,
      subjectKind: subjectKinds(state),
    };
    if (explain) {
      // The code's page ships in the package (docs/ is in package.json "files"); the catalog summary stands in without it.
      const [{ readFileSync }, { join }, { projectRoot }, { renderExplain }] = await Promise.all([import('node:fs'), import('node:path'), import('../src/util/project-root.js'), import('../src/report/formats/human.js')]);
      let page: string | null = null;
      try {
        page = readFileSync(join(projectRoot(), 'docs', 'findings', `${explain}.md`), 'utf8');
      } catch {
        page = null;
      }
      const { docLinker } = await import('../src/report/links.js');
      await this.emit(renderExplain(report, explain, page, this.term(), docLinker(this.config.pjson, process.env)));
      return; // an explanation, not a gate: exit 0 whatever it found
    }
    if (format === 'json') {
      await this.printDocument({ failOn, summary: countBySeverity(result.findings), findings: result.findings, checks: result.checks });
    } else if (format === 'table') await this.emit(renderFindings(report, this.term({ verbose: flags.verbose }), (await import('../src/report/links.js')).docLinker(this.config.pjson, process.env)));
    else await this.emit(renderDocument(report, format, this.config.pjson));

    this.gateOnFindings(result.findings, failOn, format);
  }
}
