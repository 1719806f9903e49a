// The wire client against local servers on 127.0.0.1 that this test starts: good answers, TC → TCP
// fallback, EDNS fallback, and hostile answers (wrong id, compression loop, bad lengths, wrong
// question, garbage) — all reported as typed errors, never a crash.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../../src/dns/client.js';
import { DnsError } from '../../../src/dns/errors.js';
import { parseResponse, validateMessage } from '../../../src/dns/wire.js';
import { renderResponse } from '../../../src/report/dns.js';

type Behaviour = (q: dnsPacket.DecodedPacket, raw: Buffer, proto: 'udp' | 'tcp') => Buffer[] | null;

interface Srv {
  port: number;
  set(b: Behaviour): void;
  close(): Promise<void>;
  tcpQueries: number;
}

async function startServer(): Promise<Srv> {
  let behaviour: Behaviour = () => null;
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const port = udp.address().port;
  const srv: Srv = { port, set: (b) => (behaviour = b), close: async () => {}, tcpQueries: 0 };
  udp.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    for (const out of behaviour(q, msg, 'udp') ?? []) udp.send(out, rinfo.port, rinfo.address);
  });
  const tcp = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('error', () => {});
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      srv.tcpQueries++;
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      const outs = behaviour(dnsPacket.decode(msg), msg, 'tcp') ?? [];
      for (const out of outs) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        c.write(Buffer.concat([len, out]));
      }
      c.end();
    });
  });
  await new Promise<void>((r) => tcp.listen(port, '127.0.0.1', () => r()));
  srv.close = async () => {
    await new Promise<void>((r) => udp.close(() => r()));
    await new Promise<void>((r) => tcp.close(() => r()));
  };
  return srv;
}

function reply(q: dnsPacket.DecodedPacket, answers: dnsPacket.Answer[], extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED, questions: q.questions, answers, ...extra });
}

const A = (name: string, data: string): dnsPacket.Answer => ({ type: 'A', name, ttl: 60, class: 'IN', data });

let srv: Srv;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.close();
});

const ask = (over: Partial<Parameters<typeof query>[0]> = {}) => query({ server: '127.0.0.1', port: srv.port, name: 'api.test', type: 'A', timeoutMs: 300, retries: 0, ...over });

async function expectCode(p: Promise<unknown>, code: string): Promise<DnsError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DnsError);
  expect((e as DnsError).code).toBe(code);
  return e as DnsError;
}

describe('query()', () => {
  it('returns a validated answer with flags, sections, EDNS and latency', async () => {
    srv.set((q) => [reply(q, [A('api.test', '10.0.0.7')], { authorities: [{ type: 'NS', name: 'test', ttl: 60, class: 'IN', data: 'ns.test' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [] } as never] })]);
    const r = await ask();
    expect(r.rcode).toBe('NOERROR');
    expect(r.transport).toBe('udp');
    expect(r.flags).toEqual(expect.objectContaining({ qr: true, aa: true, rd: true, tc: false }));
    expect(r.answers).toEqual([{ name: 'api.test.', type: 'A', class: 'IN', ttl: 60, data: '10.0.0.7' }]);
    expect(r.authorities[0]!.data).toBe('ns.test.');
    expect(r.edns?.udpPayloadSize).toBe(1232);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(renderResponse(r)).toMatch(/ANSWER SECTION:\napi\.test\.\t60\tIN\tA\t10\.0\.0\.7/);
  });

  it('falls back to TCP when the UDP answer is truncated', async () => {
    srv.tcpQueries = 0;
    srv.set((q, _raw, proto) => (proto === 'udp' ? [reply(q, [], { flags: dnsPacket.TRUNCATED_RESPONSE })] : [reply(q, [A('api.test', '10.0.0.8'), A('api.test', '10.0.0.9')])]));
    const r = await ask();
    expect(r.transport).toBe('tcp');
    expect(r.truncated).toBe(true);
    expect(r.answers.map((a) => a.data)).toEqual(['10.0.0.8', '10.0.0.9']);
    expect(srv.tcpQueries).toBe(1);
  });

  it('honours --tcp and --norecurse', async () => {
    let rd: boolean | null = null;
    srv.set((q, _r, proto) => {
      rd = !!((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED);
      return proto === 'tcp' ? [reply(q, [A('api.test', '10.0.0.1')])] : null;
    });
    const r = await ask({ tcp: true, recurse: false });
    expect(r.transport).toBe('tcp');
    expect(rd).toBe(false);
  });

  it('ignores answers with a wrong id and reports them when nothing else comes', async () => {
    srv.set((q) => [reply({ ...q, id: (q.id! + 1) & 0xffff }, [A('api.test', '6.6.6.6')])]);
    const e = await expectCode(ask(), 'ID_MISMATCH');
    expect(e.message).toMatch(/wrong id/);
    // a spoofed packet first, then the real one: the real one wins, the spoof is noted
    srv.set((q) => [reply({ ...q, id: (q.id! + 1) & 0xffff }, [A('api.test', '6.6.6.6')]), reply(q, [A('api.test', '10.0.0.7')])]);
    const r = await ask();
    expect(r.answers[0]!.data).toBe('10.0.0.7');
    expect(r.issues.map((i) => i.code)).toContain('ID_MISMATCH');
  });

  it('reports a compression loop', async () => {
    srv.set((q) => {
      const good = reply(q, [A('api.test', '10.0.0.7')]);
      // answer name (right after the question) becomes a pointer to itself
      // 'api.test' on the wire: 3 api 4 test 0 = 10 bytes (dns-packet's name codec is untyped).
      const qEnd = 12 + 10 + 4;
      const bad = Buffer.concat([good.subarray(0, qEnd), Buffer.from([0xc0 | (qEnd >> 8), qEnd & 0xff]), good.subarray(qEnd + 2)]);
      return [bad];
    });
    await expectCode(ask(), 'COMPRESSION_LOOP');
  });

  it('reports records that overrun the message and wrong RDLENGTHs', async () => {
    srv.set((q) => {
      const good = reply(q, [A('api.test', '10.0.0.7')]);
      return [good.subarray(0, good.length - 2)];
    });
    await expectCode(ask(), 'TRUNCATED_MESSAGE');
    srv.set((q) => {
      const good = reply(q, [A('api.test', '10.0.0.7')]);
      const bad = Buffer.concat([good, Buffer.from([1, 2, 3])]);
      bad.writeUInt16BE(7, good.length - 6); // RDLENGTH of the A record
      return [bad];
    });
    await expectCode(ask(), 'RDATA_LENGTH');
  });

  it('reports an answer to another question, a non-response, and a short packet', async () => {
    srv.set((q) => [reply({ ...q, questions: [{ type: 'A', name: 'evil.test', class: 'IN' }] }, [A('evil.test', '6.6.6.6')])]);
    await expectCode(ask(), 'QUESTION_MISMATCH');
    srv.set((q) => [dnsPacket.encode({ type: 'query', id: q.id, questions: q.questions })]);
    await expectCode(ask(), 'NOT_RESPONSE');
    srv.set((q) => {
      const b = Buffer.alloc(6);
      b.writeUInt16BE(q.id!, 0);
      return [b];
    });
    await expectCode(ask(), 'SHORT_HEADER');
  });

  it('times out with retries, and reports a refused port at once', async () => {
    let n = 0;
    srv.set(() => {
      n++;
      return null;
    });
    const started = Date.now();
    const e = await expectCode(ask({ timeoutMs: 100, retries: 2 }), 'TIMEOUT');
    expect(n).toBe(3);
    expect(e.message).toMatch(/3 attempt/);
    expect(Date.now() - started).toBeLessThan(2000);
    const closed = dgram.createSocket('udp4');
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', () => r()));
    const port = closed.address().port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expectCode(query({ server: '127.0.0.1', port, name: 'x.test', type: 'A', timeoutMs: 1000, retries: 0 }), 'CONNECTION_REFUSED');
  });

  it('retries without EDNS after FORMERR', async () => {
    srv.set((q) => {
      const hasOpt = (q.additionals ?? []).some((a) => a.type === 'OPT');
      return [hasOpt ? reply(q, [], { flags: 1 }) : reply(q, [A('api.test', '10.0.0.7')])];
    });
    const r = await ask();
    expect(r.answers).toHaveLength(1);
    expect(r.issues.map((i) => i.code)).toContain('EDNS_FALLBACK');
  });

  it('renders MX, SRV, TXT and SOA and builds PTR names from addresses', async () => {
    let asked = '';
    srv.set((q) => {
      asked = q.questions![0]!.name;
      return [
        reply(q, [
          { type: 'MX', name: q.questions![0]!.name, ttl: 1, class: 'IN', data: { preference: 10, exchange: 'mx.test' } },
          { type: 'SRV', name: q.questions![0]!.name, ttl: 1, class: 'IN', data: { priority: 1, weight: 2, port: 53, target: 't.test' } },
          { type: 'TXT', name: q.questions![0]!.name, ttl: 1, class: 'IN', data: ['a "b"'] },
        ], { authorities: [{ type: 'SOA', name: 'test', ttl: 1, class: 'IN', data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } }] }),
      ];
    });
    const r = await query({ server: '127.0.0.1', port: srv.port, name: '10.1.2.3', type: 'PTR', timeoutMs: 300, retries: 0 });
    expect(asked).toBe('3.2.1.10.in-addr.arpa');
    expect(r.answers.map((a) => a.data)).toEqual(['10 mx.test.', '1 2 53 t.test.', '"a \\"b\\""']);
    expect(r.authorities[0]!.data).toBe('ns.test. h.test. 1 2 3 4 5');
  });

  it('rejects bad requests before sending anything', async () => {
    await expectCode(query({ server: 'not-an-ip', name: 'x', type: 'A' }), 'BAD_REQUEST');
    await expectCode(query({ server: '127.0.0.1', name: `${'a'.repeat(64)}.test`, type: 'A' }), 'BAD_REQUEST');
  });
});

describe('parseResponse fuzzing', () => {
  const base = dnsPacket.encode({
    type: 'response',
    id: 7,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ type: 'A', name: 'api.test' }],
    answers: [A('api.test', '10.0.0.7'), { type: 'CNAME', name: 'api.test', ttl: 5, class: 'IN', data: 'x.api.test' }, { type: 'TXT', name: 'api.test', ttl: 5, class: 'IN', data: ['x'] }],
    authorities: [{ type: 'SOA', name: 'test', ttl: 1, class: 'IN', data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } }],
  });

  const onlyDnsErrors = (buf: Uint8Array) => {
    try {
      const r = parseResponse(buf, { id: 7, name: 'api.test', type: 'A' });
      // whatever parses is well-formed JSON-able data
      JSON.stringify(r);
    } catch (e) {
      if (!(e instanceof DnsError)) throw e;
    }
  };

  it('never throws anything but DnsError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), onlyDnsErrors), { numRuns: 3000 });
  });

  it('never throws anything but DnsError on mutated valid responses', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(base.length), (edits, cut) => {
        const b = Buffer.from(base);
        for (const [i, v] of edits) b[i] = v;
        onlyDnsErrors(b.subarray(0, Math.max(cut, 0)));
        onlyDnsErrors(b);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts everything dns-packet encodes from random records', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,20}$/);
    const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
    const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((t) => t.join('.'));
    const rec = fc.oneof(
      fc.record({ type: fc.constant('A' as const), name, ttl: fc.nat(1000), class: fc.constant('IN' as const), data: ip }),
      fc.record({ type: fc.constant('CNAME' as const), name, ttl: fc.nat(1000), class: fc.constant('IN' as const), data: name }),
      fc.record({ type: fc.constant('MX' as const), name, ttl: fc.nat(1000), class: fc.constant('IN' as const), data: fc.record({ preference: fc.nat(100), exchange: name }) }),
      fc.record({ type: fc.constant('TXT' as const), name, ttl: fc.nat(1000), class: fc.constant('IN' as const), data: fc.array(fc.string({ maxLength: 50 }), { minLength: 1, maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 10 }), (answers) => {
        const buf = dnsPacket.encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'q.test' }], answers: answers as dnsPacket.Answer[] });
        expect(() => validateMessage(buf)).not.toThrow();
        const r = parseResponse(buf, { id: 9, name: 'q.test', type: 'A' });
        expect(r.answers).toHaveLength(answers.length);
      }),
      { numRuns: 500 },
    );
  });
});
