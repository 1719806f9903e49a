// Ports, in one place: a TCP/UDP port is an integer 1-65535, and port specs are what users type
// (`N`, `N/tcp`, `N/udp`). Analyses (reach, matrix, the firewall trace), every port flag
// (src/cli/flags.ts) and the policy reader ask this module, so "is 0 a port?" has one answer.
// Pure: no I/O.

import { InputError } from './errors.js';

export const PORT_MIN = 1;
export const PORT_MAX = 65535;

/** Whether `n` is a usable TCP/UDP port (an integer 1-65535). */
export function validPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= PORT_MIN && n <= PORT_MAX;
}

/** `n` when it is a port, else an InputError worded `<what> <n> is out of range (1-65535)`. */
export function checkPort(n: number, what = 'port'): number {
  if (!validPort(n)) throw new InputError(`${what} ${n} is out of range (${PORT_MIN}-${PORT_MAX})`);
  return n;
}

export type PortProtocol = 'tcp' | 'udp';

export interface PortSpec {
  port: number;
  protocol: PortProtocol;
}

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
  if (!/^\d{1,5}$/.test(text.trim())) throw new InputError(`${flag} "${text}" is not a port number (${PORT_MIN}-${PORT_MAX})`);
  return portNumber(text.trim(), flag);
}

function portNumber(digits: string, flag: string): number {
  return checkPort(Number(digits), flag);
}
