// A parsed gate policy (`netsleuth gate POLICY.yaml`): declarative expectations about a network
// state. src/sources/policy.ts reads and checks the file; src/analysis/gate.ts evaluates it.
// docs/gate.md documents the format.

import type { Severity } from './finding.js';

/**
 * What a reach expectation (`gate`, `reach --expect`) may ask for: the path verdicts `reachable`
 * (a connection would succeed) and `blocked`, or an outcome (`open`, `refused`, `unknown`).
 */
export const REACH_EXPECTATIONS = ['reachable', 'blocked', 'open', 'refused', 'unknown'] as const;
export type ReachExpect = (typeof REACH_EXPECTATIONS)[number];

/** What every expectation has. */
export interface ExpectationBase {
  /** Line of the expectation in the policy file. */
  line: number;
  /** Optional label from the policy (`label:`). */
  label: string | null;
}

/**
 * Who a `reach` expectation is about. A `subject` is one container, address or `host` named as
 * `reach` names it; a `service` or `network` selector expands to every running container of that
 * Compose service or attached to that network, and the expectation must hold for every pair.
 */
export type Selector =
  | { kind: 'subject'; text: string }
  /** `{service: shop/web}`, `service:web` — project null: the service name must be in one project. */
  | { kind: 'service'; project: string | null; service: string; text: string }
  /** `{network: shop_back}`, `network:shop_back` — by name, full id or unique id prefix. */
  | { kind: 'network'; network: string; text: string };

/** A Compose project or service name, a Docker network name or id, as a selector may give it. */
export const SELECTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface ReachExpectation extends ExpectationBase {
  kind: 'reach';
  from: Selector;
  to: Selector;
  /** null: ICMP echo. */
  port: number | null;
  protocol: 'tcp' | 'udp' | 'icmp';
  expect: ReachExpect;
}

export interface NoConflictsExpectation extends ExpectationBase {
  kind: 'no-conflicts';
  /** Only conflicts on these host ports count; null: every port. */
  ports: number[] | null;
}

export interface NoFindingsExpectation extends ExpectationBase {
  kind: 'no-findings';
  /** Only these codes count; null: every code. */
  codes: string[] | null;
  /** Findings at or above this severity count. */
  severity: Severity;
}

export interface DnsExpectation extends ExpectationBase {
  kind: 'dns';
  from: string;
  name: string;
  type: 'A' | 'AAAA';
  /** resolves-to: exactly these addresses (any order). */
  resolvesTo: string[] | null;
  /** resolves: true (to anything) / false (NXDOMAIN or no records). */
  resolves: boolean | null;
}

export interface AllowedBinding {
  /** null: any address. Wildcards (0.0.0.0, ::) allow every address. */
  hostIp: string | null;
  port: number;
  portEnd: number;
  /** null: any protocol. */
  protocol: 'tcp' | 'udp' | 'sctp' | null;
  text: string;
}

export interface ExposedExpectation extends ExpectationBase {
  kind: 'exposed';
  allow: AllowedBinding[];
  /** Bindings on 127.0.0.0/8 and ::1 are not exposures (reachable from the host only). */
  ignoreLoopback: boolean;
}

export type Expectation = ReachExpectation | NoConflictsExpectation | NoFindingsExpectation | DnsExpectation | ExposedExpectation;

export interface Policy {
  file: string;
  expectations: Expectation[];
}
