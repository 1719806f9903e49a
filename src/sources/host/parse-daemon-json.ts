// /etc/docker/daemon.json text → DaemonConfig.
//
// Keys that are not set stay null (or empty lists): the daemon's defaults apply, and those depend
// on its version, which the analysis knows and this parser does not. Only networking-related keys
// are kept in `raw`: the file can also hold registry mirrors with credentials, TLS paths, etc.

import type { DaemonConfig } from '../../model/types.js';
import { HostParseError, isObj } from './parse-util.js';

/** daemon.json keys that shape container networking; everything else is left out of `raw`. */
export const NETWORK_DAEMON_KEYS: readonly string[] = [
  'allow-direct-routing', 'bip', 'bip6', 'bridge', 'bridge-accept-fwmark', 'default-address-pools',
  'default-gateway', 'default-gateway-v6', 'default-network-opts', 'dns', 'dns-opts', 'dns-search',
  'firewall-backend', 'fixed-cidr', 'fixed-cidr-v6', 'host-gateway-ip', 'host-gateway-ips', 'icc', 'ip',
  'ip-forward', 'ip-forward-no-drop', 'ip-masq', 'ip6tables', 'iptables', 'ipv6', 'mtu',
  'network-control-plane-mtu', 'swarm-default-advertise-addr', 'userland-proxy', 'userland-proxy-path',
];

export function emptyDaemonConfig(): DaemonConfig {
  return {
    raw: {},
    iptables: null,
    ip6tables: null,
    ipForward: null,
    ipMasq: null,
    userlandProxy: null,
    icc: null,
    bip: null,
    mtu: null,
    dns: [],
    dnsSearch: [],
    dnsOpts: [],
    defaultAddressPools: [],
    firewallBackend: null,
  };
}

/** Throws HostParseError for invalid JSON, a non-object document, or a known key of the wrong type. */
export function parseDaemonJson(text: string): DaemonConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new HostParseError(`daemon.json is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw new HostParseError('daemon.json must hold a JSON object');
  const cfg = emptyDaemonConfig();
  for (const k of NETWORK_DAEMON_KEYS) if (k in doc) cfg.raw[k] = doc[k];

  const bool = (k: string): boolean | null => {
    const v = doc[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'boolean') throw new HostParseError(`daemon.json: "${k}" must be true or false, not ${JSON.stringify(v)}`);
    return v;
  };
  const string = (k: string): string | null => {
    const v = doc[k];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string') throw new HostParseError(`daemon.json: "${k}" must be a string, not ${JSON.stringify(v)}`);
    return v;
  };
  const list = (k: string): string[] => {
    const v = doc[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new HostParseError(`daemon.json: "${k}" must be a list of strings`);
    }
    return v as string[];
  };

  cfg.iptables = bool('iptables');
  cfg.ip6tables = bool('ip6tables');
  cfg.ipForward = bool('ip-forward');
  cfg.ipMasq = bool('ip-masq');
  cfg.userlandProxy = bool('userland-proxy');
  cfg.icc = bool('icc');
  cfg.bip = string('bip');
  cfg.firewallBackend = string('firewall-backend');
  cfg.dns = list('dns');
  cfg.dnsSearch = list('dns-search');
  cfg.dnsOpts = list('dns-opts');
  const mtu = doc.mtu;
  if (mtu !== undefined && mtu !== null) {
    if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 0) {
      throw new HostParseError(`daemon.json: "mtu" must be a whole number, not ${JSON.stringify(mtu)}`);
    }
    // dockerd treats 0 as "not set" (use the default, 1500).
    cfg.mtu = mtu === 0 ? null : mtu;
  }
  const pools = doc['default-address-pools'];
  if (pools !== undefined && pools !== null) {
    if (!Array.isArray(pools)) throw new HostParseError('daemon.json: "default-address-pools" must be a list');
    cfg.defaultAddressPools = pools.map((p, i) => {
      if (!isObj(p) || typeof p.base !== 'string' || typeof p.size !== 'number' || !Number.isInteger(p.size)) {
        throw new HostParseError(`daemon.json: "default-address-pools"[${i}] must be {"base": "<CIDR>", "size": <prefix length>}`);
      }
      return { base: p.base, size: p.size };
    });
  }
  return cfg;
}
