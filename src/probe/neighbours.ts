// Neighbour-table budgeting for probe runs.
//
// The kernel keeps ONE neighbour (ARP) table for all network namespaces, capped at
// net.ipv4.neigh.default.gc_thresh3 (1024 by default). Forced GC cannot evict an entry whose state
// timer runs (REACHABLE holds a reference for a random 0.5-1.5 x base_reachable_time, 30 s) or that
// was updated in the last 5 s. A full mesh of 50 containers needs 2,450 entries within seconds: past
// the cap the kernel drops packets and probes time out on paths that are open.
//
// So every batch (one source's probes) first takes a token for each neighbour entry it will make the
// kernel create: the source's entry for each next hop, and each target's entry for the source. Two
// batches that need the same entry (A→B and B→A) share it. Tokens come back in one of two ways:
//   reclaim  on the daemon's own host as root, the entries this run created (absent before it, for
//            addresses it probed) are deleted with `ip neigh del` in their namespace as soon as no
//            running batch needs them, when the budget runs short; a run that had to reclaim also
//            deletes the rest at its end, so it leaves the table as it found it;
//   hold     otherwise an entry's token returns holdMs after its last use, when the kernel can
//            evict it again (1.5 x base_reachable_time + 5 s).

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { addressOwner } from '../analysis/probe-scope.js';
import { viewOf } from '../model/view.js';
import type { Container, NetworkState } from '../model/types.js';
import { containsAddr, formatAddr, parseAddr, parsePrefix, type Addr, type Prefix } from '../net/addr.js';
import { pidBelongsToContainer } from '../sources/host/container-files.js';
import { which } from './nsenter.js';

/** One neighbour entry: in namespace `ns` (a container id, or "host"), for `address`. */
export interface NeighbourEntry {
  ns: string;
  /** The neighbour's address; a `~…` pseudo-address for a next hop the model cannot name (never deleted). */
  address: string;
}

export const entryKey = (e: NeighbourEntry): string => `${e.ns}|${e.address}`;

interface Attachment {
  addr: Addr;
  prefix: Prefix;
  gateway: Addr | null;
}

function attachments(c: Container): Attachment[] {
  const out: Attachment[] = [];
  for (const ep of c.endpoints) {
    for (const [ia, gw] of [
      [ep.ipv4, ep.gateway],
      [ep.ipv6, ep.ipv6Gateway],
    ] as const) {
      const addr = ia ? parseAddr(ia.address) : null;
      const prefix = ia ? parsePrefix(`${ia.address}/${ia.prefixLength}`) : null;
      if (addr && prefix) out.push({ addr, prefix, gateway: gw ? parseAddr(gw) : null });
    }
  }
  return out;
}

/** The address a namespace asks its neighbour table for on the way to `dst`: dst on a connected subnet, else the gateway. */
function nextHop(state: NetworkState, ns: Container | null, dst: Addr): string | null {
  if (ns) {
    const att = attachments(ns);
    if (att.some((a) => containsAddr(a.prefix, dst))) return formatAddr(dst);
    const gw = att.find((a) => a.addr.family === dst.family && a.gateway)?.gateway;
    return gw ? formatAddr(gw) : null;
  }
  // The host: Docker's bridges are connected subnets; anything else leaves by some route we do not name.
  for (const n of state.networks) {
    for (const cfg of n.ipam.configs) {
      const p = cfg.subnet ? parsePrefix(cfg.subnet) : null;
      if (p && containsAddr(p, dst)) return formatAddr(dst);
    }
  }
  return `~route-${dst.family}`;
}

/**
 * The neighbour entries a batch from `source` (a namespace owner, or null for the host) to
 * `targets` makes the kernel hold. Pure: it reads only the model.
 */
export function neighbourEntries(state: NetworkState, source: Container | null, targets: string[]): NeighbourEntry[] {
  const nsOf = (c: Container | null): string => (c ? c.id : 'host');
  const srcNs = nsOf(source);
  const seen = new Map<string, NeighbourEntry>();
  const add = (e: NeighbourEntry): void => {
    seen.set(entryKey(e), e);
  };
  const srcAtt = source ? attachments(source) : [];
  for (const t of targets) {
    const dst = parseAddr(t);
    if (!dst) continue;
    const owner = addressOwner(state, t);
    if (owner?.kind === 'loopback') continue; // the namespace's own lo: no neighbour
    if (source && srcAtt.some((a) => a.addr.family === dst.family && a.addr.value === dst.value)) continue; // its own address
    const hop = nextHop(state, source, dst);
    if (hop) add({ ns: srcNs, address: hop });
    // The reply: the target's namespace resolves whoever it answers.
    if (owner?.kind === 'container') {
      const c = viewOf(state).container(owner.containerId);
      const peer = c ? viewOf(state).namespaceOwner(c) : null;
      if (!peer || peer.id === srcNs) continue;
      const peerAtt = attachments(peer).filter((a) => containsAddr(a.prefix, dst));
      // The source's own address on the target's subnet, else the target answers through its gateway.
      const mine = srcAtt.find((a) => peerAtt.some((p) => containsAddr(p.prefix, a.addr)));
      if (mine) add({ ns: peer.id, address: formatAddr(mine.addr) });
      else {
        const back = source ? null : peerAtt.find((a) => a.gateway)?.gateway;
        if (back) add({ ns: peer.id, address: formatAddr(back) }); // the host talks from the bridge's gateway address
        else add({ ns: peer.id, address: nextHop(state, peer, srcAtt[0]?.addr ?? dst) ?? `~reply-${dst.family}` });
      }
    } else if ((owner?.kind === 'gateway' || owner?.kind === 'host') && source) {
      const mine = srcAtt.find((a) => containsAddr(a.prefix, dst));
      if (mine) add({ ns: 'host', address: formatAddr(mine.addr) });
    }
  }
  return [...seen.values()];
}

// ------------------------------------------------------------------------------------------------
// the budget (one per process: the kernel's table outlives a single run)

export interface NeighbourBudgetOptions {
  /** Entries runs may hold at once (default 75% of gc_thresh3, read from /proc, else of 1024). */
  capacity?: number;
  /** How long the kernel may keep an entry after its last use (default 1.5 x base_reachable_time + 5 s, 50 s). */
  holdMs?: number;
}

export class NeighbourBudget {
  readonly capacity: number;
  readonly holdMs: number;
  private available: number;
  private waiters: Array<() => void> = [];
  /** Bumped on every notify, so a waiter that looked before a change does not sleep through it. */
  epoch = 0;

  constructor(o: NeighbourBudgetOptions = {}) {
    this.capacity = Math.max(2, Math.floor(o.capacity ?? 0.75 * (readSysctl('net/ipv4/neigh/default/gc_thresh3') ?? 1024)));
    this.holdMs = o.holdMs ?? Math.round(1.5 * (readSysctl('net/ipv4/neigh/default/base_reachable_time_ms') ?? 30_000)) + 5_000;
    this.available = this.capacity;
  }

  get free(): number {
    return this.available;
  }

  take(n: number): void {
    this.available -= n;
  }

  give(n: number): void {
    if (n <= 0) return;
    this.available += n;
    this.notify();
  }

  /** Wakes every waiter to look again. */
  notify(): void {
    this.epoch++;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when anything changed since `seen` (an epoch), after at most 1 s, or at the deadline or abort. */
  changed(seen: number, deadlineAt: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.epoch !== seen) return resolve();
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, Math.min(1_000, deadlineAt - Date.now())));
      signal?.addEventListener('abort', wake, { once: true });
      this.waiters.push(wake);
    });
  }
}

function readSysctl(path: string): number | null {
  try {
    const v = Number(readFileSync(`/proc/sys/${path}`, 'utf8').trim());
    return Number.isInteger(v) && v > 0 ? v : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------
// the namespaces' tables (I/O), behind an interface so the ledger is testable

export interface NeighbourTables {
  /** The IPv4 neighbour addresses present in a namespace now, or null when it cannot be read. */
  read(ns: string): Promise<Set<string> | null>;
  /** Deletes the entries for these addresses in the namespace (those present); resolves to how many went. */
  remove(ns: string, addresses: string[]): Promise<number>;
}

/** /proc/net/arp: `IP address  HW type  Flags  HW address  Mask  Device`. */
export function parseProcArp(text: string): Array<{ address: string; device: string }> {
  const out: Array<{ address: string; device: string }> = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 6 && parseAddr(f[0]!)?.family === 'ipv4' && /^[\w.@:-]{1,15}$/.test(f[5]!)) out.push({ address: f[0]!, device: f[5]! });
  }
  return out;
}

/**
 * The real tables, read from /proc/PID/net/arp and changed with `nsenter -t PID -n ip -batch -`.
 * Null (no reclaim) unless this is Linux, we are root, the daemon is local, and nsenter and ip exist.
 */
export function hostNeighbourTables(state: NetworkState, endpoint: string, env: { uid?: number | null; platform?: string } = {}): NeighbourTables | null {
  const uid = env.uid !== undefined ? env.uid : typeof process.getuid === 'function' ? process.getuid() : null;
  if ((env.platform ?? process.platform) !== 'linux' || uid !== 0 || !endpoint.startsWith('unix://')) return null;
  const nsenter = which('nsenter');
  const ip = which('ip');
  if (!nsenter || !ip) return null;
  // "host" is netsleuth's own namespace, as for the host source's agent.
  // A container's PID is used only while its cgroup still names the container: a PID from a state
  // captured earlier may belong to another process by now.
  const owned = new Map<string, Promise<string | null>>();
  const pidOf = (ns: string): Promise<string | null> => {
    if (ns === 'host') return Promise.resolve('self');
    let p = owned.get(ns);
    if (!p) {
      const c = viewOf(state).container(ns);
      const pid = c?.running ? c.pid : null;
      p = pid ? pidBelongsToContainer(pid, ns).then((ok) => (ok ? String(pid) : null)) : Promise.resolve(null);
      owned.set(ns, p);
    }
    return p;
  };
  const entries = async (ns: string): Promise<Array<{ address: string; device: string }> | null> => {
    const pid = await pidOf(ns);
    if (!pid) return null;
    try {
      return parseProcArp(await readFile(`/proc/${pid}/net/arp`, 'utf8'));
    } catch {
      return null;
    }
  };
  return {
    async read(ns) {
      const e = await entries(ns);
      return e ? new Set(e.map((x) => x.address)) : null;
    },
    async remove(ns, addresses) {
      const want = new Set(addresses);
      const rows = (await entries(ns))?.filter((r) => want.has(r.address)) ?? [];
      if (!rows.length) return 0;
      const pid = (await pidOf(ns))!;
      const argv = pid === 'self' ? [ip, '-force', '-batch', '-'] : [nsenter, '-t', pid, '-n', '--', ip, '-force', '-batch', '-'];
      await new Promise<void>((resolve) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'ignore'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.on('error', () => resolve());
        child.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin!.on('error', () => undefined);
        // Addresses and device names come from the kernel's own table (checked by parseProcArp).
        child.stdin!.end(rows.map((r) => `neigh del ${r.address} dev ${r.device}\n`).join(''));
      });
      return rows.length;
    },
  };
}

// ------------------------------------------------------------------------------------------------
// the ledger (one per run)

interface Held {
  entry: NeighbourEntry;
  /** Running batches using it. */
  users: number;
  /** Took a token (false for the overflow of a batch bigger than the whole capacity). */
  charged: boolean;
  reclaimable: boolean;
  timer: NodeJS.Timeout | null;
}

export interface NeighbourLease {
  keys: string[];
}

export interface NeighbourStats {
  /** Tokens taken for new entries. */
  charged: number;
  /** Reclaim passes, and entries deleted by them. */
  reclaimPasses: number;
  reclaimed: number;
  /** Milliseconds batches spent waiting for the budget. */
  waitedMs: number;
}

export class NeighbourLedger {
  private held = new Map<string, Held>();
  private pending = new Map<string, number>();
  /** Per namespace: addresses present before the run (never charged, never deleted); null: unreadable. */
  private before = new Map<string, Set<string> | null>();
  private reclaiming: Promise<void> | null = null;
  readonly stats: NeighbourStats = { charged: 0, reclaimPasses: 0, reclaimed: 0, waitedMs: 0 };

  constructor(
    private readonly budget: NeighbourBudget,
    private readonly tables: NeighbourTables | null,
  ) {}

  /** Records what the run's batches will need, and (when reclaim is possible) what was there before. */
  async begin(batches: NeighbourEntry[][]): Promise<void> {
    const nss = new Set<string>();
    for (const b of batches) {
      for (const e of b) {
        this.pending.set(entryKey(e), (this.pending.get(entryKey(e)) ?? 0) + 1);
        nss.add(e.ns);
      }
    }
    if (!this.tables) return;
    await Promise.all([...nss].map(async (ns) => this.before.set(ns, await this.tables!.read(ns).catch(() => null))));
  }

  private preexisting(e: NeighbourEntry): boolean {
    return this.before.get(e.ns)?.has(e.address) === true;
  }

  private isReclaimable(e: NeighbourEntry): boolean {
    return this.tables !== null && !e.address.startsWith('~') && parseAddr(e.address)?.family === 'ipv4' && (this.before.get(e.ns) ?? null) !== null;
  }

  /** Takes the batch's new entries from the budget; null when aborted or past the deadline first. */
  async acquire(entries: NeighbourEntry[], deadlineAt: number, signal?: AbortSignal): Promise<NeighbourLease | null> {
    const started = Date.now();
    try {
      for (;;) {
        if (signal?.aborted || Date.now() >= deadlineAt) return null;
        const seen = this.budget.epoch;
        const fresh = entries.filter((e) => !this.held.has(entryKey(e)) && !this.preexisting(e));
        // A batch larger than the whole budget runs when the budget is full (alone), charged up to it.
        const want = Math.min(fresh.length, this.budget.capacity);
        if (this.budget.free >= want) {
          this.budget.take(want);
          this.stats.charged += want;
          let charge = want;
          for (const e of entries) {
            const k = entryKey(e);
            this.pending.set(k, Math.max(0, (this.pending.get(k) ?? 0) - 1));
            let h = this.held.get(k);
            if (!h && this.preexisting(e)) continue;
            if (!h) {
              h = { entry: e, users: 0, charged: charge-- > 0, reclaimable: this.isReclaimable(e), timer: null };
              this.held.set(k, h);
            }
            if (h.timer) clearTimeout(h.timer);
            h.timer = null;
            h.users++;
          }
          return { keys: entries.map(entryKey) };
        }
        if (await this.reclaim(want - this.budget.free)) continue;
        await this.budget.changed(seen, deadlineAt, signal);
      }
    } finally {
      this.stats.waitedMs += Date.now() - started;
    }
  }

  /** The batch is over: its entries are idle (reclaimable ones wait for a reclaim; others for holdMs). */
  release(lease: NeighbourLease): void {
    for (const k of lease.keys) {
      const h = this.held.get(k);
      if (!h) continue;
      h.users = Math.max(0, h.users - 1);
      if (h.users === 0 && !h.reclaimable) this.holdThenFree(k, h);
    }
    // Idle entries can now be reclaimed: wake batches waiting for the budget.
    this.budget.notify();
  }

  /** A batch that never ran: its future need is gone. */
  forget(entries: NeighbourEntry[]): void {
    for (const e of entries) {
      const k = entryKey(e);
      this.pending.set(k, Math.max(0, (this.pending.get(k) ?? 0) - 1));
    }
  }

  private holdThenFree(k: string, h: Held): void {
    if (h.timer) clearTimeout(h.timer);
    h.timer = setTimeout(() => {
      this.held.delete(k);
      if (h.charged) this.budget.give(1);
    }, this.budget.holdMs);
    h.timer.unref();
  }

  /**
   * Deletes idle entries this run created, at least `short` of them when it can: first those no
   * later batch needs, then those needed by the fewest, plus a quarter of the budget so passes stay
   * few. False when nothing could be reclaimed (the caller then waits).
   */
  private async reclaim(short: number): Promise<boolean> {
    if (!this.tables) return false;
    if (this.reclaiming) {
      await this.reclaiming;
      return true;
    }
    const idle = [...this.held].filter(([, h]) => h.users === 0 && h.reclaimable);
    if (!idle.length) return false;
    const pendingOf = ([k]: [string, Held]): number => this.pending.get(k) ?? 0;
    idle.sort((a, b) => pendingOf(a) - pendingOf(b));
    const target = short + Math.floor(this.budget.capacity / 4);
    const pick = idle.filter((x, i) => pendingOf(x) === 0 || i < target);
    this.reclaiming = this.remove(pick).finally(() => (this.reclaiming = null));
    await this.reclaiming;
    return true;
  }

  private async remove(pick: Array<[string, Held]>): Promise<void> {
    this.stats.reclaimPasses++;
    const byNs = new Map<string, Array<[string, Held]>>();
    for (const x of pick) byNs.set(x[1].entry.ns, [...(byNs.get(x[1].entry.ns) ?? []), x]);
    const groups = [...byNs];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < groups.length) {
        const [ns, items] = groups[next++]!;
        // Only entries still idle now: a batch may have taken one while we waited.
        const still = items.filter(([k, h]) => this.held.get(k) === h && h.users === 0);
        await this.tables!.remove(ns, still.map(([, h]) => h.entry.address)).catch(() => 0);
        for (const [k, h] of still) {
          if (this.held.get(k) !== h || h.users !== 0) continue;
          this.held.delete(k);
          this.stats.reclaimed++;
          if (h.charged) this.budget.give(1);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, groups.length) }, worker));
  }

  /**
   * The run is over. A run that had to reclaim deletes every entry it created, leaving the table
   * as it found it; any other run only hands its tokens to the hold timers.
   */
  async end(): Promise<void> {
    if (this.reclaiming) await this.reclaiming;
    const rest = [...this.held].filter(([, h]) => h.users === 0);
    if (this.stats.reclaimPasses > 0) await this.remove(rest.filter(([, h]) => h.reclaimable));
    for (const [k, h] of this.held) if (h.users === 0 && !h.timer) this.holdThenFree(k, h);
  }
}
