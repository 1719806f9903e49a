// Captures a live Docker host into a Snapshot: the Engine API for daemon, networks and
// containers (with each container's resolv.conf and hosts through the archive endpoint, which
// needs no exec and works remotely), plus host evidence (routes, firewall, listeners, sysctls,
// per-container namespaces) when running as root on the daemon's own host.
//
// Nothing missing is silently empty: each section says ok / partial / unavailable and why.

import { hostname, userInfo } from 'node:os';
import type {
  Container,
  Host,
  Network,
  Section,
  Snapshot,
  CaptureMeta,
} from '../../model/types.js';
import { SNAPSHOT_SCHEMA } from '../../model/types.js';
import type { DockerEndpoint } from './endpoint.js';
import { EngineClient, NotFoundError } from './engine.js';
import { mapLimit } from './limit.js';
import { mapContainer, mapDaemonInfo, mapNetwork } from './map.js';
import { collectContainerNetns, collectHostEvidence } from '../host/collect.js';
import { parseHostsFile, parseResolvConf } from '../host/parse-resolv.js';
import { pidBelongsToContainer, readContainerFileViaProc } from '../host/container-files.js';

export interface CaptureProgress {
  phase: 'connect' | 'networks' | 'containers' | 'files' | 'host' | 'netns' | 'done';
  done: number;
  total: number;
}

export interface CaptureOptions {
  endpoint: DockerEndpoint;
  toolVersion: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Bound on concurrent inspect/archive requests. */
  concurrency?: number;
  /** `auto`: collect host evidence when local and root; `never`: skip it (reason recorded). */
  hostEvidence?: 'auto' | 'never';
  onProgress?: (p: CaptureProgress) => void;
}

function unavailable<T>(source: string, reason: string): Section<T> {
  return { status: 'unavailable', source, reason, value: null };
}

/** Why host evidence cannot be collected for this endpoint, or null when it can. */
export function hostEvidenceBlocker(
  endpoint: DockerEndpoint,
  osType: string | null,
  uid: number | null,
  mode: 'auto' | 'never',
): string | null {
  if (mode === 'never') return 'host evidence collection was turned off (--no-host-evidence)';
  if (!endpoint.isLocal) return `the daemon is remote (${endpoint.url}); host evidence can only be read on the daemon's host`;
  if (endpoint.kind !== 'unix') return `the daemon is reached over ${endpoint.url}; host evidence is read only for a local unix socket`;
  if (osType && osType !== 'linux') return `the daemon's host runs ${osType}; Linux host evidence does not apply`;
  if (process.platform !== 'linux') return `netsleuth runs on ${process.platform}, not on the daemon's Linux host`;
  if (uid !== 0) return `reading routes, firewall and container namespaces needs root (running as uid ${uid ?? 'unknown'})`;
  return null;
}

async function readContainerFile<T>(
  client: EngineClient,
  container: Container,
  path: string,
  parse: (text: string) => T,
  viaProc: boolean,
): Promise<Section<T>> {
  if (viaProc && container.pid !== null) {
    // On the daemon's host as root: read the container's own view directly (see container-files.ts);
    // anything unusual falls back to the daemon's archive endpoint below.
    try {
      const text = await readContainerFileViaProc(container.pid, path);
      if (text !== null) return { status: 'ok', source: `/proc/${container.pid}/root${path}`, value: parse(text) };
    } catch {
      /* fall through to the archive endpoint */
    }
  }
  const source = `GET /containers/${container.id.slice(0, 12)}/archive?path=${path}`;
  try {
    const text = await client.getFileFromContainer(container.id, path);
    if (text === null) return unavailable(source, `${path} does not exist in the container`);
    return { status: 'ok', source, value: parse(text) };
  } catch (err) {
    if (err instanceof NotFoundError) return unavailable(source, 'the container vanished before its files were read');
    return unavailable(source, (err as Error).message);
  }
}

export async function captureSnapshot(opts: CaptureOptions): Promise<Snapshot> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => undefined);
  const concurrency = opts.concurrency ?? 8;
  const warnings: string[] = [];
  const vanished: CaptureMeta['vanished'] = [];

  progress({ phase: 'connect', done: 0, total: 1 });
  const client = await EngineClient.connect(opts.endpoint, { timeoutMs: opts.timeoutMs });
  try {
    const [info, version] = await Promise.all([client.get<unknown>('/info'), client.get<unknown>('/version')]);
    const daemon = mapDaemonInfo(info, version, client.apiVersion);
    const hostId = daemon.id ?? daemon.name ?? opts.endpoint.url;

    // Networks: the list, then a verbose inspect of each (a network removed in between is skipped).
    const summaries = await client.get<Array<{ Id: string; Name: string }>>('/networks');
    let networksDone = 0;
    progress({ phase: 'networks', done: 0, total: summaries.length });
    const networkDocs = await mapLimit(summaries, concurrency, async (s) => {
      try {
        return await client.get<unknown>(`/networks/${encodeURIComponent(s.Id)}`, { verbose: true });
      } catch (err) {
        if (err instanceof NotFoundError) {
          warnings.push(`network ${s.Name} (${s.Id.slice(0, 12)}) was removed during capture`);
          return null;
        } else throw err;
      } finally {
        progress({ phase: 'networks', done: ++networksDone, total: summaries.length });
      }
    });
    const networks: Network[] = networkDocs
      .filter((d) => d !== null)
      .map((d) => mapNetwork(d, hostId))
      .sort((a, b) => a.name.localeCompare(b.name));
    const networksByName = new Map(networks.map((n) => [n.name, n]));

    // Containers: list all states, inspect each; one removed in between is recorded as vanished.
    const list = await client.get<Array<{ Id: string; Names?: string[] }>>('/containers/json', { all: true });
    let inspected = 0;
    progress({ phase: 'containers', done: 0, total: list.length });
    const inspectedDocs = await mapLimit(list, concurrency, async (summary) => {
      try {
        return await client.get<unknown>(`/containers/${encodeURIComponent(summary.Id)}/json`);
      } catch (err) {
        if (err instanceof NotFoundError) {
          vanished.push({
            id: summary.Id,
            name: (summary.Names?.[0] ?? '').replace(/^\//, ''),
            reason: 'removed between list and inspect',
          });
          return null;
        }
        throw err;
      } finally {
        progress({ phase: 'containers', done: ++inspected, total: list.length });
      }
    });
    const containers: Container[] = inspectedDocs
      .filter((d) => d !== null)
      .map((d) => mapContainer(d, hostId, networksByName))
      .sort((a, b) => a.name.localeCompare(b.name));

    // Host evidence (and the fast /proc paths) only on the daemon's own host, as root.
    const uid = typeof process.getuid === 'function' ? process.getuid() : null;
    const blocker = hostEvidenceBlocker(opts.endpoint, daemon.osType, uid, opts.hostEvidence ?? 'auto');
    // A pid is only used when it really is the container's (same PID namespace as the daemon).
    const ownPid = new Set<string>();
    if (!blocker) {
      await mapLimit(containers.filter((c) => c.pid !== null), concurrency, async (c) => {
        if (await pidBelongsToContainer(c.pid!, c.id)) ownPid.add(c.id);
      });
    }

    // DNS evidence from inside each container, without exec.
    let filesDone = 0;
    progress({ phase: 'files', done: 0, total: containers.length });
    await mapLimit(containers, concurrency, async (c) => {
      c.resolvConf = await readContainerFile(client, c, '/etc/resolv.conf', parseResolvConf, ownPid.has(c.id));
      c.hostsFile = await readContainerFile(client, c, '/etc/hosts', parseHostsFile, ownPid.has(c.id));
      progress({ phase: 'files', done: ++filesDone, total: containers.length });
    });

    let hostSections: Pick<Host, 'interfaces' | 'routes' | 'rules' | 'firewall' | 'listeners' | 'sysctls' | 'resolvConf' | 'daemonConfig' | 'raw'>;
    if (blocker) {
      hostSections = {
        interfaces: unavailable('ip -j -d link/addr', blocker),
        routes: unavailable('ip -j route show table all', blocker),
        rules: unavailable('ip -j rule show', blocker),
        firewall: unavailable('iptables-save', blocker),
        listeners: unavailable('ss -H -ltunp', blocker),
        sysctls: unavailable('/proc/sys', blocker),
        resolvConf: unavailable('/etc/resolv.conf', blocker),
        daemonConfig: unavailable('/etc/docker/daemon.json', blocker),
        raw: {},
      };
      for (const c of containers) c.netns = unavailable('nsenter -t PID -n', blocker);
    } else {
      progress({ phase: 'host', done: 0, total: 1 });
      hostSections = await collectHostEvidence({ daemonSocket: opts.endpoint.socketPath });
      const running = containers.filter((c) => c.pid !== null && ownPid.has(c.id));
      for (const c of containers) {
        if (c.pid !== null && !ownPid.has(c.id)) {
          c.netns = unavailable(
            'nsenter -t PID -n',
            `pid ${c.pid} reported by the daemon does not belong to this container on this host (is the daemon in another PID namespace?)`,
          );
        }
      }
      let netnsDone = 0;
      progress({ phase: 'netns', done: 0, total: running.length });
      await mapLimit(running, concurrency, async (c) => {
        c.netns = await collectContainerNetns(c.pid!);
        progress({ phase: 'netns', done: ++netnsDone, total: running.length });
      });
      for (const c of containers) {
        if (c.pid === null) c.netns = unavailable('nsenter -t PID -n', 'the container is not running (no network namespace)');
      }
    }

    const host: Host = {
      id: hostId,
      name: daemon.name ?? hostId,
      daemon: { status: 'ok', source: `${opts.endpoint.url} GET /info, /version`, value: daemon },
      ...hostSections,
    };

    let user: string | null = null;
    try {
      user = userInfo().username;
    } catch {
      user = null;
    }
    progress({ phase: 'done', done: 1, total: 1 });
    return {
      schema: SNAPSHOT_SCHEMA,
      capture: {
        time: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        tool: { name: 'netsleuth', version: opts.toolVersion },
        by: { user, hostname: hostname() },
        source: { kind: 'docker', endpoint: opts.endpoint.url, context: opts.endpoint.context },
        vanished,
        warnings,
      },
      state: { hosts: [host], networks, containers },
    };
  } finally {
    await client.close();
  }
}
