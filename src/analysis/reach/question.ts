// The question a reach run answers, resolved: the context every stage reads. Its own module so
// stages (and outcome.ts) can name it without importing the code that builds it.

import type { AddressFamily, Container } from '../../model/types.js';
import type { StateView, Subject } from '../../model/view.js';
import type { BuiltFlow } from '../firewall-flow.js';
import type { Place } from './place.js';
import type { ReachProtocol } from './types.js';

/** The question, resolved: what every stage reads. */
export interface ReachContext {
  readonly view: StateView;
  readonly from: Subject;
  readonly to: Subject;
  /** The host as a subject (docker-proxy's legs, routes after DNAT start there). */
  readonly host: Subject;
  /** The containers FROM and TO are (an address subject: the container holding it), and their namespace owners. */
  readonly fromC: Container | null;
  readonly toC: Container | null;
  readonly fromOwner: Container | null;
  readonly toOwner: Container | null;
  /** Where FROM and TO live. A loopback TO is in FROM's place. */
  readonly fromPlace: Place;
  readonly toPlace: Place;
  /** null for ICMP. */
  readonly port: number | null;
  readonly protocol: ReachProtocol;
  /** The family the subjects ask for (an IPv6 address); the built flow's family once there is one. */
  readonly family: AddressFamily;
  /** Explain firewall walks rule by rule (off for `lean`, the matrix). */
  readonly explain: boolean;
}

/** The context once the packet is built (after the namespace stages). */
export interface FlowContext extends ReachContext {
  /** The packet netfilter sees for the request (the client port filled in). */
  readonly built: BuiltFlow;
  /** One representative ephemeral port, or null (ICMP; a rule tells ephemeral ports apart). */
  readonly clientPort: number | null;
}

