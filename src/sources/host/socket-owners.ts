// Which process owns a socket, by its inode (`ss -e` prints `ino:NNN`), without `ss -p`.
//
// `ss -p` finds owners by reading every process's /proc/PID/fd on the whole host; run once per
// container that is O(containers²). Here the candidates are looked at in stages, each only for the
// inodes the previous ones left unresolved:
//   1. the container's init process and its descendants (/proc/P/task/T/children, recursively);
//   2. every dockerd: it holds the sockets of the embedded DNS server (127.0.0.11) it opens inside
//      each container's namespace. Its inode → owner map is cached between calls (socket inodes
//      are not reused while the socket lives), so it is read about once per capture;
//   3. processes in the same network namespace (docker exec, a container sharing the namespace
//      with --network container:X, nsenter): one readlink of /proc/P/ns/net per host process.
// An inode no stage resolves has no owner (null), as with `ss -p`.
//
// Like `ss -p`, which prints the holder it found last (the highest pid) first, the owner of a
// socket held by several processes (a forking server's workers) is the holder with the highest pid;
// the name is the one ss shows: /proc/P/comm up to the first `)` (ss reads it from /proc/P/stat).

import { readdir, readFile, readlink } from 'node:fs/promises';
import { findDockerdProcesses } from './dockerd-args.js';

export interface SocketOwner {
  name: string;
  pid: number;
}

/** At most this many processes are taken from one container's process tree. */
export const MAX_TREE_PROCESSES = 4096;

const SOCKET_RE = /^socket:\[(\d+)\]$/;

const isPid = (s: string): boolean => /^[1-9]\d*$/.test(s);

/** The pids holding each wanted inode, and the name of every such pid. */
type Holders = Map<number, number[]>;

/** Adds to `holders` every process in `pids` with an fd on a wanted socket (`null`: every socket). */
async function scanFds(procRoot: string, pids: Iterable<number>, wanted: ReadonlySet<number> | null, holders: Holders): Promise<void> {
  await Promise.all(
    [...pids].map(async (pid) => {
      let fds: string[];
      try {
        fds = await readdir(`${procRoot}/${pid}/fd`);
      } catch {
        return; // gone, or not readable
      }
      await Promise.all(
        fds.map(async (fd) => {
          let target: string;
          try {
            target = await readlink(`${procRoot}/${pid}/fd/${fd}`);
          } catch {
            return; // closed meanwhile
          }
          const m = SOCKET_RE.exec(target);
          if (!m) return;
          const ino = Number(m[1]);
          if (wanted !== null && !wanted.has(ino)) return;
          const list = holders.get(ino) ?? [];
          if (!list.includes(pid)) list.push(pid);
          holders.set(ino, list);
        }),
      );
    }),
  );
}

async function commName(procRoot: string, pid: number): Promise<string | null> {
  try {
    const comm = (await readFile(`${procRoot}/${pid}/comm`, 'utf8')).replace(/\n$/, '');
    return comm.split(')')[0]!;
  } catch {
    return null;
  }
}

/** Resolves `holders` (highest pid wins) into `out` for inodes not already there. */
async function settle(procRoot: string, holders: Holders, out: Map<number, SocketOwner>): Promise<void> {
  const names = new Map<number, Promise<string | null>>();
  await Promise.all(
    [...holders.entries()].map(async ([ino, pids]) => {
      if (out.has(ino)) return;
      // Highest pid first; a holder that exited before its name was read gives way to the next.
      for (const pid of [...pids].sort((a, b) => b - a)) {
        let p = names.get(pid);
        if (!p) names.set(pid, (p = commName(procRoot, pid)));
        const name = await p;
        if (name !== null) {
          out.set(ino, { name, pid });
          return;
        }
      }
    }),
  );
}

/** `pid` and its descendants, breadth first, at most `max` of them. */
export async function processTree(procRoot: string, pid: number, max = MAX_TREE_PROCESSES): Promise<number[]> {
  const seen = new Set<number>([pid]);
  const order: number[] = [pid];
  let level = [pid];
  while (level.length > 0 && order.length < max) {
    const next: number[] = [];
    const children = await Promise.all(level.map((p) => childrenOf(procRoot, p)));
    for (const list of children) {
      for (const c of list) {
        if (seen.has(c) || order.length >= max) continue;
        seen.add(c);
        order.push(c);
        next.push(c);
      }
    }
    level = next;
  }
  return order;
}

/** Children of every thread of `pid` (a child's parent is the thread that forked it). */
async function childrenOf(procRoot: string, pid: number): Promise<number[]> {
  let tids: string[];
  try {
    tids = (await readdir(`${procRoot}/${pid}/task`)).filter(isPid);
  } catch {
    return [];
  }
  const lists = await Promise.all(
    tids.map(async (tid) => {
      try {
        return (await readFile(`${procRoot}/${pid}/task/${tid}/children`, 'utf8')).split(/\s+/).filter(isPid).map(Number);
      } catch {
        return [];
      }
    }),
  );
  return lists.flat();
}

// Stage 2: dockerd's sockets, cached per procRoot. A scan's map is complete for the moment it
// started; a miss is rescanned only when the cached scan started before the socket was seen.
interface DockerdScan {
  startedAt: number;
  owners: Promise<Map<number, SocketOwner>>;
}
const dockerdScans = new Map<string, DockerdScan>();

function scanDockerd(procRoot: string): DockerdScan {
  const startedAt = performance.now();
  const owners = (async () => {
    const pids = (await findDockerdProcesses(procRoot)).map((p) => p.pid);
    const holders: Holders = new Map();
    await scanFds(procRoot, pids, null, holders);
    const out = new Map<number, SocketOwner>();
    await settle(procRoot, holders, out);
    return out;
  })();
  const scan = { startedAt, owners };
  dockerdScans.set(procRoot, scan);
  return scan;
}

/** Forgets cached dockerd sockets (tests). */
export function clearSocketOwnerCache(): void {
  dockerdScans.clear();
}

/** Processes other than `exclude` whose network namespace is the one of `pid`. */
async function sameNetns(procRoot: string, pid: number, exclude: ReadonlySet<number>): Promise<number[]> {
  let ns: string;
  let entries: string[];
  try {
    ns = await readlink(`${procRoot}/${pid}/ns/net`);
    entries = (await readdir(procRoot)).filter(isPid);
  } catch {
    return [];
  }
  const found = await Promise.all(
    entries.map(Number).map(async (p) => {
      if (exclude.has(p)) return null;
      try {
        return (await readlink(`${procRoot}/${p}/ns/net`)) === ns ? p : null;
      } catch {
        return null;
      }
    }),
  );
  return found.filter((p): p is number => p !== null);
}

export interface SocketOwnerOptions {
  /** Where /proc is (tests point it at a fake tree). */
  procRoot?: string;
  /**
   * When the sockets were seen (performance.now() before the dump was taken): a cached dockerd
   * scan that started earlier is refreshed for inodes it does not know. Defaults to now.
   */
  seenAt?: number;
}

/**
 * Owners of the given socket inodes in the network namespace of `pid` (see the stages above).
 * Never throws: what cannot be read is left unresolved.
 */
export async function findSocketOwners(
  pid: number,
  inodes: Iterable<number>,
  opts?: SocketOwnerOptions,
): Promise<Map<number, SocketOwner>> {
  const procRoot = opts?.procRoot ?? '/proc';
  const seenAt = opts?.seenAt ?? performance.now();
  const out = new Map<number, SocketOwner>();
  const wanted = new Set(inodes);
  if (wanted.size === 0) return out;
  const unresolved = (): Set<number> => new Set([...wanted].filter((i) => !out.has(i)));

  // 1. the container's own processes
  const tree = await processTree(procRoot, pid);
  const holders: Holders = new Map();
  await scanFds(procRoot, tree, wanted, holders);
  await settle(procRoot, holders, out);
  if (unresolved().size === 0) return out;

  // 2. dockerd (embedded DNS sockets)
  const fromDockerd = async (scan: DockerdScan): Promise<void> => {
    const owners = await scan.owners;
    for (const ino of unresolved()) {
      const o = owners.get(ino);
      if (o) out.set(ino, o);
    }
  };
  const cached = dockerdScans.get(procRoot);
  await fromDockerd(cached ?? scanDockerd(procRoot));
  if (cached && unresolved().size > 0) {
    // The socket may be newer than the cached scan: look again, once, unless a newer scan exists.
    const latest = dockerdScans.get(procRoot)!;
    await fromDockerd(latest.startedAt >= seenAt ? latest : scanDockerd(procRoot));
  }
  if (unresolved().size === 0) return out;

  // 3. anything else in the namespace
  const others = await sameNetns(procRoot, pid, new Set(tree));
  const rest = unresolved();
  const more: Holders = new Map();
  await scanFds(procRoot, others, rest, more);
  await settle(procRoot, more, out);
  return out;
}
