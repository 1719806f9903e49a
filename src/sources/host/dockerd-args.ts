// dockerd's command line: flags like --bip, --iptables=false or --default-address-pool override
// (and, for the same option, conflict with) /etc/docker/daemon.json, and the Engine API shows
// neither. `--config-file` moves daemon.json itself. Pure parsing here; finding the process is in
// findDockerd().

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonConfig } from '../../model/types.js';

const BOOL_FLAGS: Record<string, keyof DaemonConfig> = {
  iptables: 'iptables',
  ip6tables: 'ip6tables',
  'ip-forward': 'ipForward',
  'ip-masq': 'ipMasq',
  'userland-proxy': 'userlandProxy',
  icc: 'icc',
};
const VALUE_FLAGS = new Set([
  'bip', 'mtu', 'dns', 'dns-search', 'dns-opt', 'default-address-pool', 'firewall-backend', 'config-file',
  'host', 'H', 'data-root', 'exec-root', 'pidfile', 'bridge', 'b', 'fixed-cidr', 'ip', 'default-gateway',
]);

export interface DockerdArgs {
  /** Networking options given as flags (only the ones present). */
  overrides: Partial<DaemonConfig>;
  /** Every -H/--host value (unix:///..., tcp://..., fd://). */
  hosts: string[];
  configFile: string | null;
  /** Networking flag names given (for the section's source line). */
  flags: string[];
}

function parseBool(v: string | undefined): boolean | null {
  if (v === undefined || v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return null;
}

/** Pool spec "base=10.0.0.0/8,size=24" → {base, size}. */
function parsePool(v: string): { base: string; size: number } | null {
  const parts = Object.fromEntries(v.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const size = Number(parts.size);
  return parts.base && Number.isInteger(size) ? { base: parts.base, size } : null;
}

export function parseDockerdArgs(argv: readonly string[]): DockerdArgs {
  const out: DockerdArgs = { overrides: {}, hosts: [], configFile: null, flags: [] };
  const o = out.overrides;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) continue;
    const name = m[1]!;
    let value = m[2];
    if (name in BOOL_FLAGS) {
      // Go's flag package: booleans take =value only; a following word is a positional argument.
      const b = parseBool(value);
      if (b !== null) (o as Record<string, unknown>)[BOOL_FLAGS[name]!] = b;
      out.flags.push(name);
      continue;
    }
    if (!VALUE_FLAGS.has(name)) continue;
    if (value === undefined) value = argv[++i];
    if (value === undefined) break;
    if (!['host', 'H', 'data-root', 'exec-root', 'pidfile'].includes(name)) out.flags.push(name);
    switch (name) {
      case 'bip':
        o.bip = value;
        break;
      case 'mtu': {
        const n = Number(value);
        if (Number.isInteger(n) && n > 0) o.mtu = n;
        break;
      }
      case 'dns':
        o.dns = [...(o.dns ?? []), value];
        break;
      case 'dns-search':
        o.dnsSearch = [...(o.dnsSearch ?? []), value];
        break;
      case 'dns-opt':
        o.dnsOpts = [...(o.dnsOpts ?? []), value];
        break;
      case 'default-address-pool': {
        const pool = parsePool(value);
        if (pool) o.defaultAddressPools = [...(o.defaultAddressPools ?? []), pool];
        break;
      }
      case 'firewall-backend':
        o.firewallBackend = value;
        break;
      case 'config-file':
        out.configFile = value;
        break;
      case 'host':
      case 'H':
        out.hosts.push(value);
        break;
    }
  }
  return out;
}

/** daemon.json merged with command-line flags (dockerd rejects the same option in both). */
export function applyDockerdArgs(cfg: DaemonConfig, args: DockerdArgs): DaemonConfig {
  return { ...cfg, ...args.overrides, raw: { ...cfg.raw } };
}

/** Whether a dockerd with these -H values serves the given unix socket. */
export function servesSocket(args: DockerdArgs, socketPath: string): boolean {
  if (args.hosts.length === 0) return socketPath === '/var/run/docker.sock' || socketPath === '/run/docker.sock';
  return args.hosts.some((h) => {
    const path = h.startsWith('unix://') ? h.slice('unix://'.length) : null;
    if (path) return path === socketPath || (path.replace(/^\/var\/run\//, '/run/') === socketPath.replace(/^\/var\/run\//, '/run/'));
    // systemd socket activation: fd:// serves the default socket.
    return h.startsWith('fd://') && (socketPath === '/var/run/docker.sock' || socketPath === '/run/docker.sock');
  });
}

export interface DockerdProcess {
  pid: number;
  argv: string[];
}

/** Every running dockerd, from /proc/<pid>/comm and cmdline (procRoot is injectable for tests). */
export async function findDockerdProcesses(procRoot = '/proc'): Promise<DockerdProcess[]> {
  const found: DockerdProcess[] = [];
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch {
    return found;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        try {
          const comm = (await readFile(join(procRoot, pid, 'comm'), 'utf8')).trim();
          if (comm !== 'dockerd') return;
          const argv = (await readFile(join(procRoot, pid, 'cmdline'), 'utf8')).split('\0').filter((a) => a !== '');
          found.push({ pid: Number(pid), argv });
        } catch {
          /* the process ended while we looked */
        }
      }),
  );
  return found.sort((a, b) => a.pid - b.pid);
}
