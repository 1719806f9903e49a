// A tiny authoritative DNS server for tests. It answers ONLY from the zone map it is given
// (A, AAAA, TXT), says NXDOMAIN for every other name, and never forwards, recurses or contacts
// anything: it only ever writes replies back to the peer that asked.
//
//   const dns = await startDnsServer({ address: '10.214.7.1', port: 53, zone: { 'api.test.': ['10.214.9.9'] } });
//   ... containers run with --dns 10.214.7.1 ...
//   expect(dns.queries).toContainEqual(expect.objectContaining({ name: 'api.test', type: 'A' }));
//   await dns.close();
//
// Zone values: a string that is an IPv4 address becomes an A record, an IPv6 address an AAAA
// record; anything else must be spelled as an object: { type: 'TXT', data: 'v=1' } (also
// { type: 'A' | 'AAAA', data: '...' }, each with an optional ttl). Names are case-insensitive and
// the trailing dot is optional. A name in the zone with no record of the asked type gets NOERROR
// with no answers (NODATA), as a real authoritative server does.
//
// Listens on UDP and (by default) TCP on the same port. Port 0 picks a free port (the same one for
// both). Binding port 53 needs root or CAP_NET_BIND_SERVICE.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export type ZoneRecord =
  | string
  | { type: 'A' | 'AAAA' | 'TXT'; data: string; ttl?: number };

export type Zone = Record<string, readonly ZoneRecord[]>;

export interface DnsQueryLog {
  name: string; // as asked, lower-cased, no trailing dot
  type: string; // 'A', 'AAAA', 'TXT', ...
  protocol: 'udp' | 'tcp';
  from: string; // peer address
  rcode: 'NOERROR' | 'NXDOMAIN' | 'NOTIMP' | 'FORMERR' | 'SERVFAIL' | 'REFUSED';
  answers: number;
}

export interface DnsServerOptions {
  address: string;
  port: number;
  zone: Zone;
  tcp?: boolean; // default true
  ttl?: number; // default 5 s
  /** Names answered with this rcode and no records (to see how clients report server failures). */
  rcodes?: Record<string, 'SERVFAIL' | 'REFUSED'>;
}

export interface DnsServer {
  address: string;
  port: number;
  /** Every question seen, in arrival order. */
  queries: DnsQueryLog[];
  /** Replace the zone while running. */
  setZone(zone: Zone): void;
  close(): Promise<void>;
}

interface NormalizedRecord {
  type: 'A' | 'AAAA' | 'TXT';
  data: string;
  ttl?: number;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

function normName(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

function normalizeZone(zone: Zone): Map<string, NormalizedRecord[]> {
  const out = new Map<string, NormalizedRecord[]>();
  for (const [rawName, records] of Object.entries(zone)) {
    const list: NormalizedRecord[] = [];
    for (const r of records) {
      if (typeof r === 'string') {
        const fam = net.isIP(r);
        if (fam === 4) list.push({ type: 'A', data: r });
        else if (fam === 6) list.push({ type: 'AAAA', data: r });
        else throw new Error(`dns-server: zone value ${JSON.stringify(r)} for ${rawName} is not an IP address; use { type: 'TXT', data }`);
      } else {
        if (r.type === 'A' && net.isIPv4(r.data) === false) throw new Error(`dns-server: bad A data ${r.data}`);
        if (r.type === 'AAAA' && net.isIPv6(r.data) === false) throw new Error(`dns-server: bad AAAA data ${r.data}`);
        list.push({ ...r });
      }
    }
    const key = normName(rawName);
    out.set(key, [...(out.get(key) ?? []), ...list]);
  }
  return out;
}

/** Builds the reply for one raw query, or null when the packet cannot even be parsed. */
function answer(
  raw: Buffer,
  zone: Map<string, NormalizedRecord[]>,
  defaultTtl: number,
  rcodes: ReadonlyMap<string, 'SERVFAIL' | 'REFUSED'>,
  log: (q: Omit<DnsQueryLog, 'protocol' | 'from'>) => void,
): Buffer | null {
  let query: dnsPacket.Packet;
  try {
    query = dnsPacket.decode(raw);
  } catch {
    if (raw.length < 2) return null;
    // FORMERR with the id echoed (header only).
    const hdr = Buffer.alloc(12);
    raw.copy(hdr, 0, 0, 2);
    hdr.writeUInt16BE(0x8000 | RCODE.FORMERR, 2);
    log({ name: '', type: '', rcode: 'FORMERR', answers: 0 });
    return hdr;
  }
  if (query.type !== 'query') return null;
  const questions = query.questions ?? [];
  const rd = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;

  const reply = (rcode: number, answers: dnsPacket.Answer[]): Buffer =>
    dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      // AA set, RA never set (we do not recurse), RD echoed, rcode in the low 4 bits.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | rd | rcode,
      questions,
      answers,
    });

  if (opcode !== 0 || questions.length !== 1) {
    const q = questions[0];
    log({ name: q ? normName(q.name) : '', type: q ? String(q.type) : '', rcode: opcode !== 0 ? 'NOTIMP' : 'FORMERR', answers: 0 });
    return reply(opcode !== 0 ? RCODE.NOTIMP : RCODE.FORMERR, []);
  }
  const q = questions[0]!;
  const name = normName(q.name);
  const forced = rcodes.get(name);
  if (forced) {
    log({ name, type: String(q.type), rcode: forced, answers: 0 });
    return reply(RCODE[forced], []);
  }
  const records = zone.get(name);
  if (!records) {
    log({ name, type: String(q.type), rcode: 'NXDOMAIN', answers: 0 });
    return reply(RCODE.NXDOMAIN, []);
  }
  const wanted = records.filter((r) => (q.type as string) === 'ANY' || r.type === q.type);
  const answers: dnsPacket.Answer[] = wanted.map((r) => {
    const ttl = r.ttl ?? defaultTtl;
    if (r.type === 'TXT') return { type: 'TXT', name: q.name, ttl, class: 'IN', data: r.data };
    return { type: r.type, name: q.name, ttl, class: 'IN', data: r.data };
  });
  log({ name, type: String(q.type), rcode: 'NOERROR', answers: answers.length });
  return reply(RCODE.NOERROR, answers);
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  let zone = normalizeZone(opts.zone);
  const ttl = opts.ttl ?? 5;
  const rcodes = new Map(Object.entries(opts.rcodes ?? {}).map(([n, r]) => [normName(n), r] as const));
  const wantTcp = opts.tcp ?? true;
  const queries: DnsQueryLog[] = [];
  const family = net.isIPv6(opts.address) ? 'udp6' : 'udp4';

  const bindUdp = (port: number): Promise<dgram.Socket> =>
    new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: family, reuseAddr: false });
      sock.once('error', reject);
      sock.bind({ address: opts.address, port, exclusive: true }, () => {
        sock.off('error', reject);
        resolve(sock);
      });
    });

  const bindTcp = (port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen({ host: opts.address, port, exclusive: true }, () => {
        srv.off('error', reject);
        resolve(srv);
      });
    });

  // Bind UDP, then TCP on the same port; with port 0 retry a few times if TCP's port is taken.
  let udp: dgram.Socket | undefined;
  let tcp: net.Server | undefined;
  for (let attempt = 0; ; attempt++) {
    udp = await bindUdp(opts.port);
    if (!wantTcp) break;
    try {
      tcp = await bindTcp(udp.address().port);
      break;
    } catch (err) {
      await new Promise<void>((r) => udp!.close(() => r()));
      if (opts.port !== 0 || attempt >= 5) throw err;
    }
  }
  const port = udp.address().port;

  const sockets = new Set<net.Socket>();

  udp.on('message', (msg, rinfo) => {
    const out = answer(msg, zone, ttl, rcodes, (q) => queries.push({ ...q, protocol: 'udp', from: rinfo.address }));
    if (!out) return;
    // Replies go only back to the asking peer.
    udp!.send(out, rinfo.port, rinfo.address);
  });
  udp.on('error', () => {
    /* keep serving; a send error to a vanished peer is not fatal */
  });

  tcp?.on('connection', (conn) => {
    sockets.add(conn);
    conn.setTimeout(10_000, () => conn.destroy());
    conn.on('close', () => sockets.delete(conn));
    conn.on('error', () => conn.destroy());
    let buf = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 70_000) return conn.destroy();
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const out = answer(msg, zone, ttl, rcodes, (q) => queries.push({ ...q, protocol: 'tcp', from: conn.remoteAddress ?? '' }));
        if (!out) return conn.destroy();
        const lenBuf = Buffer.alloc(2);
        lenBuf.writeUInt16BE(out.length);
        conn.write(Buffer.concat([lenBuf, out]));
      }
    });
  });

  let closed = false;
  return {
    address: opts.address,
    port,
    queries,
    setZone(z: Zone) {
      zone = normalizeZone(z);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp!.close(() => r())),
        tcp ? new Promise<void>((r) => tcp!.close(() => r())) : Promise.resolve(),
      ]);
    },
  };
}
