// The one port validator: a TCP/UDP port is an integer 1-65535. Analyses (reach, matrix, the
// firewall trace), the `--port` spec parser and the policy reader all ask it, so "is 0 a port?"
// has one answer. Pure: no I/O.

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
