// The one JSON envelope every `--json` document has (docs/cli.md "JSON output", schemas in
// docs/schemas/): {schemaVersion, command, source: {kind, label, capturedAt}, ...the command's
// fields}, and the shaping that makes the commands agree on names: counts are `summary`, FROM/TO are
// a label plus a `fromRef`/`toRef` object, the source is only in the envelope.

import type { FirewallTrace, FlowEnd } from '../analysis/firewall-flow.js';
import type { Snapshot } from '../model/types.js';
import type { SubjectRef } from '../model/view.js';
import { countBySeverity, type Severity } from '../model/finding.js';
import type { DnsReport } from './dns.js';
import type { GateOutput } from './gate.js';
import type { PortsReport } from './ports.js';
import type { SnapshotDiffReport } from './snapshot-diff.js';

/** Bumped when a released field is renamed or removed; new fields do not bump it. */
export const SCHEMA_VERSION = 1;

/**
 * What the answer was computed from: a snapshot file, a live daemon, a plain iptables-save file
 * (`firewall --ruleset`), or nothing (`dns --server`, an error before any source was opened).
 */
export type SourceKind = 'snapshot' | 'daemon' | 'ruleset' | 'none';

export interface JsonSource {
  kind: SourceKind;
  /** The snapshot path, the daemon URL, the ruleset path; null when there is none. */
  label: string | null;
  /** When the state was captured (a live source: read just now); null without a state. */
  capturedAt: string | null;
}

export const NO_SOURCE: JsonSource = { kind: 'none', label: null, capturedAt: null };

/** The envelope's source for a state a command opened (src/sources/open.ts OpenedSource). */
export function openedSource(o: { origin: 'snapshot' | 'live'; label: string; snapshot: Pick<Snapshot, 'capture'> }): JsonSource {
  return { kind: o.origin === 'live' ? 'daemon' : 'snapshot', label: o.label, capturedAt: o.snapshot.capture?.time ?? null };
}

/** The envelope's source for a snapshot file read directly (`snapshot show`, `snapshot validate`). */
export function snapshotFileSource(file: string, s: Pick<Snapshot, 'capture'>): JsonSource {
  return { kind: 'snapshot', label: file, capturedAt: s.capture?.time ?? null };
}

/** A command's own fields: the envelope's names are reserved. */
export type Payload = { [k: string]: unknown } & { schemaVersion?: never; command?: never; source?: never };

export interface Envelope {
  schemaVersion: typeof SCHEMA_VERSION;
  command: string;
  source: JsonSource;
  [k: string]: unknown;
}

export function envelope(command: string, source: JsonSource, payload: Payload): Envelope {
  return { schemaVersion: SCHEMA_VERSION, command, source, ...payload };
}

/** The same object with key `from` renamed to `to`, in the same position. */
function renameKey<T extends object>(o: T, from: string, to: string): Payload {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k === from ? to : k, v])) as Payload;
}

function omit<T extends object>(o: T, ...keys: string[]): Payload {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k))) as Payload;
}

/** Findings counted by severity: the `summary` of every command that reports findings. */
export function findingSummary(findings: readonly { severity: Severity }[]): Record<Severity, number> {
  return countBySeverity(findings);
}

// --- per command ------------------------------------------------------------------------------

/** `matrix`: `counts` is `summary`. */
export function matrixJson<T extends { counts: unknown }>(m: T): Payload {
  return renameKey(m, 'counts', 'summary');
}

/** `gate`: the source is the envelope's; `counts` is `summary`. */
export function gateJson(r: GateOutput): Payload {
  return renameKey(omit(r, 'source', 'origin'), 'counts', 'summary');
}

/** `snapshot diff`: `counts` is `summary`. */
export function diffJson(r: SnapshotDiffReport): Payload {
  return renameKey(r, 'counts', 'summary');
}

/** `ports`: the source is the envelope's; `summary` counts the findings by severity. */
export function portsJson(r: PortsReport): Payload {
  const { conflicts, findings, ...rest } = omit(r, 'source', 'origin') as Payload & Pick<PortsReport, 'conflicts' | 'findings'>;
  return { summary: findingSummary(findings), conflicts, findings, ...rest };
}

/** `dns`: `from` is the container's name, `fromRef` its id; `mode` and `source` are the envelope's. */
export function dnsJson(r: DnsReport): Payload {
  return Object.fromEntries(
    Object.entries(r)
      .filter(([k]) => k !== 'mode' && k !== 'source')
      .flatMap(([k, v]) => (k === 'from' ? [['from', r.from?.name ?? null], ['fromRef', r.from ? { kind: 'container', id: r.from.id } : null]] : [[k, v]])),
  ) as Payload;
}

/** A firewall flow end as a subject ref (SubjectRef) plus where the packet is: ip, network, iface. */
function endRef(e: FlowEnd): SubjectRef & { ip: string | null; network: string | null; iface: string | null } {
  const where = { ip: e.ip, network: e.network, iface: e.iface };
  if (e.kind === 'container') return { kind: 'container', id: e.containerId ?? '', ...where };
  if (e.kind === 'host') return { kind: 'host', hostId: null, ...where };
  return { kind: 'address', address: e.ip ?? e.spec, ...where };
}

function endLabel(e: FlowEnd): string {
  if (e.kind === 'container') return e.name ?? e.spec;
  if (e.kind === 'host') return 'host';
  return e.ip ?? e.spec;
}

/** `firewall trace`: `from`/`to` are labels with `fromRef`/`toRef` (as in reach and route). */
export function traceJson(t: FirewallTrace): Payload {
  return Object.fromEntries(
    Object.entries(t).flatMap(([k, v]) =>
      k === 'from' ? [['from', endLabel(t.from)], ['fromRef', endRef(t.from)]] : k === 'to' ? [['to', endLabel(t.to)], ['toRef', endRef(t.to)]] : [[k, v]],
    ),
  ) as Payload;
}

/** `firewall lint`: `summary` counts the findings by severity. */
export function lintJson(r: { verdict: string; reason: string | null; rulesets: unknown[]; findings: readonly { severity: Severity }[] }): Payload {
  return { verdict: r.verdict, reason: r.reason, summary: findingSummary(r.findings), rulesets: r.rulesets, findings: r.findings };
}

/** `route`: the trace with `fromRef`/`toRef` beside the labels. */
export function routeJson<T extends { from: string; to: string }>(trace: T, refs: { fromRef: SubjectRef | null; toRef: SubjectRef | null }, findings: unknown[]): Payload {
  return Object.fromEntries(
    Object.entries({ ...trace, findings }).flatMap(([k, v]) => (k === 'from' ? [[k, v], ['fromRef', refs.fromRef]] : k === 'to' ? [[k, v], ['toRef', refs.toRef]] : [[k, v]])),
  ) as Payload;
}
