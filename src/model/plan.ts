// What a Compose file plans to create, before it exists: read by src/sources/compose.ts, taken as
// input by the analyses (`ports --compose` checks planned bindings against the current state).

import type { PortBinding } from './types.js';

export type PortProtocol = PortBinding['protocol'];

/** A binding a compose file plans to create (src/sources/compose.ts). */
export interface PlannedBinding {
  project: string;
  service: string;
  /** '' = all addresses (Docker binds 0.0.0.0 and ::). */
  hostIp: string;
  /** null: Docker picks a free port. */
  hostPort: number | null;
  hostPortEnd: number | null;
  containerPort: number;
  containerPortEnd: number | null;
  protocol: PortProtocol;
  /** Long syntax `mode` (swarm: ingress or host); null when not given. */
  mode: 'ingress' | 'host' | null;
  /** Where in the compose file: `file:line`. */
  source: string;
}
