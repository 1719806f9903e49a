// Typed errors of the DNS wire client. Every failure a server (or a hostile peer) can cause is one
// of these, with a stable `code`; nothing else escapes `query()` or `parseResponse()`.

export type DnsErrorCode =
  // the message itself is broken
  | 'SHORT_HEADER'
  | 'TRUNCATED_MESSAGE'
  | 'COMPRESSION_LOOP'
  | 'BAD_POINTER'
  | 'BAD_LABEL'
  | 'NAME_TOO_LONG'
  | 'RDATA_LENGTH'
  | 'OVERSIZED'
  | 'UNDECODABLE'
  // the message does not answer our question
  | 'NOT_RESPONSE'
  | 'ID_MISMATCH'
  | 'QUESTION_MISMATCH'
  | 'OPCODE_MISMATCH'
  // transport
  | 'TIMEOUT'
  | 'CONNECTION_REFUSED'
  | 'NETWORK_UNREACHABLE'
  | 'CONNECTION_CLOSED'
  | 'SOCKET_ERROR'
  // usage
  | 'BAD_REQUEST';

export type DnsErrorKind = 'malformed' | 'mismatch' | 'transport' | 'usage';

const KIND: Record<DnsErrorCode, DnsErrorKind> = {
  SHORT_HEADER: 'malformed',
  TRUNCATED_MESSAGE: 'malformed',
  COMPRESSION_LOOP: 'malformed',
  BAD_POINTER: 'malformed',
  BAD_LABEL: 'malformed',
  NAME_TOO_LONG: 'malformed',
  RDATA_LENGTH: 'malformed',
  OVERSIZED: 'malformed',
  UNDECODABLE: 'malformed',
  NOT_RESPONSE: 'mismatch',
  ID_MISMATCH: 'mismatch',
  QUESTION_MISMATCH: 'mismatch',
  OPCODE_MISMATCH: 'mismatch',
  TIMEOUT: 'transport',
  CONNECTION_REFUSED: 'transport',
  NETWORK_UNREACHABLE: 'transport',
  CONNECTION_CLOSED: 'transport',
  SOCKET_ERROR: 'transport',
  BAD_REQUEST: 'usage',
};

export class DnsError extends Error {
  readonly code: DnsErrorCode;
  readonly kind: DnsErrorKind;
  /** Byte offset in the message where the problem was found, for malformed messages. */
  readonly offset: number | null;
  constructor(code: DnsErrorCode, message: string, offset: number | null = null) {
    super(message);
    this.name = 'DnsError';
    this.code = code;
    this.kind = KIND[code];
    this.offset = offset;
  }

  toJSON(): { code: DnsErrorCode; kind: DnsErrorKind; message: string; offset: number | null } {
    return { code: this.code, kind: this.kind, message: this.message, offset: this.offset };
  }
}

export function isDnsError(e: unknown): e is DnsError {
  return e instanceof DnsError;
}
