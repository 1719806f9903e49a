// Port specs as users type them on the command line: `N`, `N/tcp`, `N/udp` (1-65535; tcp when no
// protocol is given). The one validator behind every port flag (src/cli/flags.ts).

import { InputError } from './errors.js';

export type PortProtocol = 'tcp' | 'udp';

export interface PortSpec {
  port: number;
  protocol: PortProtocol;
}

const RANGE = '1-65535';

/** `N`, `N/tcp` or `N/udp` (case-insensitive). Throws InputError with a one-line reason naming `flag`. */
export function parsePortSpec(spec: string, flag = '--port'): PortSpec {
  const m = /^(\d{1,5})(?:\/([a-z]+))?$/i.exec(spec.trim());
  if (!m) throw new InputError(`${flag} "${spec}" is not a port: use N, N/tcp or N/udp (e.g. 5432/tcp)`);
  const protocol = (m[2] ?? 'tcp').toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') throw new InputError(`${flag} "${spec}": the protocol must be tcp or udp, not ${m[2]}`);
  return { port: portNumber(m[1]!, flag), protocol };
}

/** A bare port number (no protocol), 1-65535. */
export function parsePortNumber(text: string, flag = '--port'): number {
  if (!/^\d{1,5}$/.test(text.trim())) throw new InputError(`${flag} "${text}" is not a port number (${RANGE})`);
  return portNumber(text.trim(), flag);
}

function portNumber(digits: string, flag: string): number {
  const port = Number(digits);
  if (port < 1 || port > 65535) throw new InputError(`${flag} ${port} is out of range (${RANGE})`);
  return port;
}
