// Flags shared by the commands that probe (reach, matrix).
import { Flags } from '@oclif/core';
import { durationFlag } from './flags.js';

export const probeFlags = {
  probe: Flags.boolean({ description: 'Also probe for real from inside FROM\'s network namespace and compare (default: on for a live daemon, off for --snapshot).', allowNo: true }),
  'probe-method': Flags.string({ description: 'Force a probe method (default: nsenter, then sidecar, then exec).', options: ['nsenter', 'sidecar', 'exec'] }),
  'probe-image': Flags.string({ description: 'Image for sidecar probes (never pulled; needs sh and nc, busybox is enough).' }),
  'probe-timeout': durationFlag('probe-timeout', { description: 'Per-probe timeout.', bare: 'ms', min: 100, max: 60_000, default: 2000 })(),
  'allow-external': Flags.boolean({ description: 'Allow probing addresses no container, network or host interface in the state owns.', default: false }),
};

/** An AbortSignal that fires on Ctrl-C / SIGTERM, so probes stop and sidecars are removed. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const on = () => ac.abort();
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return { signal: ac.signal, dispose: () => { process.off('SIGINT', on); process.off('SIGTERM', on); } };
}
