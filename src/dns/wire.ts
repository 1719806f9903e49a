// DNS messages on the wire: encoding queries (dns-packet) and strict, total parsing of responses.
//
// dns-packet decodes well-formed messages but trusts the lengths it reads (an A record with
// RDLENGTH 7 is decoded as 4 bytes and the rest misread). So every response is first walked here,
// field by field, with bounds checks, pointer-loop detection and RDATA-length checks; only a
// message that passes is handed to dns-packet for decoding. `parseResponse` either returns a
// response or throws a DnsError — never anything else (fuzzed in test/unit/dns).

import dnsPacket from 'dns-packet';
import { DnsError } from './errors.js';
import { nameProblem } from './names.js';
import type { DnsMessage, DnsRecord, QueryType, WireIssue } from './types.js';

const MAX_POINTER_HOPS = 128;

function malformed(code: ConstructorParameters<typeof DnsError>[0], message: string, offset: number | null): DnsError {
  return new DnsError(code, message, offset);
}

/** Walks a (possibly compressed) name starting at `off`; returns the offset just after it. */
export function skipName(buf: Uint8Array, off: number, limit = buf.length): number {
  let pos = off;
  let end = -1;
  let hops = 0;
  let total = 0;
  let forward = false;
  let segStart = off;
  const seen = new Set<number>();
  for (;;) {
    if (pos >= buf.length || (end === -1 && pos >= limit)) {
      throw malformed('TRUNCATED_MESSAGE', `name at offset ${off} runs past the end of the ${end === -1 && limit < buf.length ? 'record' : 'message'}`, off);
    }
    const b = buf[pos]!;
    if (b === 0) {
      if (end === -1) end = pos + 1;
      break;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length || (end === -1 && pos + 1 >= limit)) {
        throw malformed('TRUNCATED_MESSAGE', `compression pointer at offset ${pos} is cut off`, pos);
      }
      const target = ((b & 0x3f) << 8) | buf[pos + 1]!;
      if (end === -1) end = pos + 2;
      if (seen.has(target) || ++hops > MAX_POINTER_HOPS) {
        throw malformed('COMPRESSION_LOOP', `compression pointers loop (name at offset ${off} revisits offset ${target})`, pos);
      }
      seen.add(target);
      if (target < 12 || target >= buf.length) {
        throw malformed('BAD_POINTER', `compression pointer at offset ${pos} points to ${target}, outside the message body`, pos);
      }
      // dns-packet's rule (and RFC 1035's intent): a pointer must go back before the current run.
      if (target >= segStart) forward = true;
      segStart = target;
      pos = target;
      continue;
    }
    if (kind !== 0) {
      throw malformed('BAD_LABEL', `unsupported label type 0x${b.toString(16)} at offset ${pos}`, pos);
    }
    if (pos + 1 + b > buf.length || (end === -1 && pos + 1 + b > limit)) {
      throw malformed('TRUNCATED_MESSAGE', `label at offset ${pos} (${b} bytes) runs past the end`, pos);
    }
    total += b + 1;
    if (total > 255) throw malformed('NAME_TOO_LONG', `name at offset ${off} is longer than 255 bytes`, off);
    pos += 1 + b;
  }
  if (forward) {
    // RFC 1035 4.1.4: a pointer replaces a name with a *prior* occurrence.
    throw malformed('BAD_POINTER', `name at offset ${off} uses a compression pointer to a later offset`, off);
  }
  return end;
}

const FIXED_RDATA: Record<number, number> = { 1: 4, 28: 16 };
/** RR types whose RDATA is exactly one domain name: NS, CNAME, PTR, DNAME. */
const NAME_RDATA = new Set([2, 5, 12, 39]);

function checkRdata(buf: Uint8Array, type: number, start: number, len: number): void {
  const end = start + len;
  const fixed = FIXED_RDATA[type];
  const bad = (what: string) => malformed('RDATA_LENGTH', `${what} (record data at offset ${start}, ${len} bytes)`, start);
  if (fixed !== undefined) {
    if (len !== fixed) throw bad(`${type === 1 ? 'A' : 'AAAA'} record with RDLENGTH ${len}, expected ${fixed}`);
    return;
  }
  if (NAME_RDATA.has(type)) {
    if (skipName(buf, start, end) !== end) throw bad('name in record data does not fill RDLENGTH');
  } else if (type === 15) {
    // MX: preference + exchange
    if (len < 3 || skipName(buf, start + 2, end) !== end) throw bad('MX record data does not fit RDLENGTH');
  } else if (type === 33) {
    // SRV: priority, weight, port + target
    if (len < 7 || skipName(buf, start + 6, end) !== end) throw bad('SRV record data does not fit RDLENGTH');
  } else if (type === 6) {
    // SOA: mname, rname, five 32-bit numbers
    const a = skipName(buf, start, end);
    const b = skipName(buf, a, end);
    if (b + 20 !== end) throw bad('SOA record data does not fit RDLENGTH');
  } else if (type === 16) {
    // TXT: length-prefixed strings that exactly fill RDLENGTH
    let p = start;
    if (len === 0) throw bad('empty TXT record');
    while (p < end) p += 1 + buf[p]!;
    if (p !== end) throw bad('TXT strings do not fill RDLENGTH');
  } else if (type === 41) {
    // OPT: code/length/value options
    let p = start;
    while (p < end) {
      if (p + 4 > end) throw bad('EDNS option header cut off');
      p += 4 + ((buf[p + 2]! << 8) | buf[p + 3]!);
    }
    if (p !== end) throw bad('EDNS options do not fill RDLENGTH');
  }
}

export interface MessageLayout {
  id: number;
  flagsWord: number;
  counts: { qd: number; an: number; ns: number; ar: number };
  /** Present when the message stopped early but had TC set (records cut by the server). */
  cutByServer: boolean;
  trailingBytes: number;
}

/** Structural validation of a whole message. Throws DnsError; returns the layout when sound. */
export function validateMessage(buf: Uint8Array): MessageLayout {
  if (buf.length < 12) throw malformed('SHORT_HEADER', `message is ${buf.length} bytes, shorter than the 12-byte header`, 0);
  if (buf.length > 65535) throw malformed('OVERSIZED', `message is ${buf.length} bytes, more than DNS allows (65535)`, null);
  const u16 = (o: number) => (buf[o]! << 8) | buf[o + 1]!;
  const id = u16(0);
  const flagsWord = u16(2);
  const counts = { qd: u16(4), an: u16(6), ns: u16(8), ar: u16(10) };
  const tc = (flagsWord & 0x0200) !== 0;
  let pos = 12;
  let cutByServer = false;
  const sections: Array<[keyof typeof counts, string]> = [
    ['qd', 'question'],
    ['an', 'answer'],
    ['ns', 'authority'],
    ['ar', 'additional'],
  ];
  try {
    for (const [key, label] of sections) {
      for (let i = 0; i < counts[key]; i++) {
        if (pos >= buf.length) {
          throw malformed('TRUNCATED_MESSAGE', `header announces ${counts[key]} ${label} record(s) but the message ends after ${i}`, pos);
        }
        pos = skipName(buf, pos);
        if (key === 'qd') {
          if (pos + 4 > buf.length) throw malformed('TRUNCATED_MESSAGE', `question at offset ${pos} is cut off`, pos);
          pos += 4;
          continue;
        }
        if (pos + 10 > buf.length) throw malformed('TRUNCATED_MESSAGE', `${label} record header at offset ${pos} is cut off`, pos);
        const type = u16(pos);
        const rdlen = u16(pos + 8);
        const start = pos + 10;
        if (start + rdlen > buf.length) {
          throw malformed('TRUNCATED_MESSAGE', `${label} record at offset ${pos} claims ${rdlen} bytes of data; only ${buf.length - start} remain`, pos);
        }
        checkRdata(buf, type, start, rdlen);
        pos = start + rdlen;
      }
    }
  } catch (e) {
    // A server that sets TC may cut records off; that is what TC says, not an attack.
    if (tc && e instanceof DnsError && e.code === 'TRUNCATED_MESSAGE') cutByServer = true;
    else throw e;
  }
  return { id, flagsWord, counts, cutByServer, trailingBytes: cutByServer ? 0 : buf.length - pos };
}

// ---------------------------------------------------------------------------------------------
// encoding

export { reverseName } from './names.js';

/** Checks a query name: labels 1..63 bytes, total ≤ 253 characters. Returns it without a trailing dot. */
export function checkQueryName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new DnsError('BAD_REQUEST', problem);
  return name === '.' ? '' : name.replace(/\.$/, '');
}

export function encodeQuery(opts: { id: number; name: string; type: QueryType; recurse: boolean; edns: number | false }): Buffer {
  const additionals: dnsPacket.Answer[] = [];
  if (opts.edns !== false) {
    additionals.push({ type: 'OPT', name: '.', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] } as unknown as dnsPacket.Answer);
  }
  return dnsPacket.encode({
    type: 'query',
    id: opts.id,
    flags: opts.recurse ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type: opts.type as dnsPacket.RecordType, name: opts.name === '' ? '.' : opts.name, class: 'IN' }],
    additionals,
  });
}

// ---------------------------------------------------------------------------------------------
// decoding

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function fqdn(n: string): string {
  return n === '.' || n === '' ? '.' : `${n}.`;
}

function txtString(b: Buffer | string): string {
  const s = typeof b === 'string' ? b : b.toString('latin1');
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function rdataText(a: { type: string; data?: unknown }): string {
  const d = a.data as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return String(d);
    case 'CNAME':
    case 'PTR':
    case 'NS':
    case 'DNAME':
      return fqdn(String(d));
    case 'MX':
      return `${d.preference} ${fqdn(d.exchange)}`;
    case 'SRV':
      return `${d.priority ?? 0} ${d.weight ?? 0} ${d.port} ${fqdn(d.target)}`;
    case 'SOA':
      return `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'TXT':
      return (Array.isArray(d) ? d : [d]).map(txtString).join(' ');
    case 'CAA':
      return `${d.flags ?? 0} ${d.tag} ${txtString(String(d.value))}`;
    default:
      if (Buffer.isBuffer(d)) return `\\# ${d.length} ${hex(d)}`;
      try {
        return JSON.stringify(d) ?? '';
      } catch {
        return '';
      }
  }
}

function toRecord(a: dnsPacket.Answer): DnsRecord {
  const r = a as unknown as { name: string; type: string; class?: string; ttl?: number; data?: unknown };
  return { name: fqdn(r.name), type: r.type, class: r.class ?? 'IN', ttl: r.ttl ?? 0, data: rdataText(r) };
}

export type ParsedResponse = DnsMessage;

/**
 * Parses one DNS message that claims to be a response. With `expect`, also checks that it answers
 * that question (id, QR, opcode, question name/type/class). Throws DnsError only.
 */
export function parseResponse(buf: Uint8Array, expect?: { id: number; name: string; type: string }): ParsedResponse {
  const layout = validateMessage(buf);
  const issues: WireIssue[] = [];
  if (layout.cutByServer) issues.push({ code: 'CUT_BY_SERVER', message: 'the server set TC and cut records off (the message is incomplete)' });
  if (layout.trailingBytes > 0) issues.push({ code: 'TRAILING_BYTES', message: `${layout.trailingBytes} byte(s) after the last record were ignored` });
  if (expect && layout.id !== expect.id) {
    throw new DnsError('ID_MISMATCH', `response id ${layout.id} does not match query id ${expect.id}`, 0);
  }
  if ((layout.flagsWord & 0x8000) === 0) throw new DnsError('NOT_RESPONSE', 'message has QR=0 (a query, not a response)', 2);
  const opcodeNum = (layout.flagsWord >> 11) & 0xf;
  if (expect && opcodeNum !== 0) throw new DnsError('OPCODE_MISMATCH', `response opcode ${opcodeNum} is not QUERY`, 2);

  let decoded: dnsPacket.DecodedPacket;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  try {
    if (layout.cutByServer) {
      // Decode only what is complete: the header and the question(s).
      const copy = Buffer.from(b);
      copy.writeUInt16BE(0, 6);
      copy.writeUInt16BE(0, 8);
      copy.writeUInt16BE(0, 10);
      decoded = dnsPacket.decode(copy);
    } else {
      decoded = dnsPacket.decode(b);
    }
  } catch (e) {
    throw new DnsError('UNDECODABLE', `response could not be decoded: ${(e as Error).message}`, null);
  }
  const d = decoded as dnsPacket.DecodedPacket & { rcode?: string; opcode?: string };
  let question: ParsedResponse['question'] = null;
  const q = d.questions?.[0];
  if (q) question = { name: q.name, type: String(q.type), class: String(q.class ?? 'IN') };
  let rcode = d.rcode ?? 'NOERROR';
  if (expect) {
    const want = expect.name.replace(/\.$/, '').toLowerCase();
    if (!question) {
      // RFC-wise a FORMERR/NOTIMP/REFUSED may come back without the question; anything else must echo it.
      if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') throw new DnsError('QUESTION_MISMATCH', 'response carries no question section', 12);
    } else if ((d.questions?.length ?? 0) > 1) {
      throw new DnsError('QUESTION_MISMATCH', `response carries ${d.questions!.length} questions; we asked one`, 12);
    } else if (question.name.replace(/\.$/, '').toLowerCase() !== want || question.type !== expect.type || question.class !== 'IN') {
      throw new DnsError(
        'QUESTION_MISMATCH',
        `response answers "${question.name} ${question.class} ${question.type}", we asked "${expect.name} IN ${expect.type}"`,
        12,
      );
    }
  }
  const additionals: DnsRecord[] = [];
  let edns: ParsedResponse['edns'] = null;
  for (const a of d.additionals ?? []) {
    if (a.type === 'OPT') {
      const o = a as unknown as { udpPayloadSize: number; ednsVersion: number; flag_do?: boolean; extendedRcode: number };
      if (edns) issues.push({ code: 'MULTIPLE_OPT', message: 'more than one OPT record' });
      edns = { udpPayloadSize: o.udpPayloadSize, version: o.ednsVersion, do: !!o.flag_do, extendedRcode: o.extendedRcode };
      if (o.extendedRcode) {
        const full = (o.extendedRcode << 4) | (layout.flagsWord & 0xf);
        rcode = full === 16 ? 'BADVERS' : `RCODE_${full}`;
      }
    } else additionals.push(toRecord(a));
  }
  const f = layout.flagsWord;
  return {
    id: layout.id,
    opcode: d.opcode ?? 'QUERY',
    rcode,
    flags: {
      qr: (f & 0x8000) !== 0,
      aa: (f & 0x0400) !== 0,
      tc: (f & 0x0200) !== 0,
      rd: (f & 0x0100) !== 0,
      ra: (f & 0x0080) !== 0,
      ad: (f & 0x0020) !== 0,
      cd: (f & 0x0010) !== 0,
    },
    question,
    answers: (d.answers ?? []).map(toRecord),
    authorities: (d.authorities ?? []).map(toRecord),
    additionals,
    edns,
    size: buf.length,
    issues,
  };
}
