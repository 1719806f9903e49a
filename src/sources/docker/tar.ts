// A minimal tar reader for the Engine API's archive endpoint, which returns one file (or a
// directory tree) as a tar stream. Reads ustar and GNU headers, GNU long names and PAX path/size
// records (Go's archive/tar, which dockerd uses, writes PAX for long names). Rejects anything
// malformed with TarFormatError rather than guessing.

const BLOCK = 512;

export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'directory' | 'other';

export interface TarEntry {
  name: string;
  type: TarEntryType;
  /** Raw typeflag character, for the 'other' case. */
  typeflag: string;
  linkName: string;
  size: number;
  mode: number;
  data: Buffer;
}

/** Parses a whole tar archive held in memory. Bounded: each step consumes at least one block. */
export function readTar(buf: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  let longLink: string | null = null;
  let pax: Record<string, string> = {};

  while (offset < buf.length) {
    if (buf.length - offset < BLOCK) throw new TarFormatError(`truncated header at byte ${offset} (${buf.length - offset} of 512 bytes)`);
    const header = buf.subarray(offset, offset + BLOCK);
    // A zero block marks the end of the archive (two are written; one is enough to stop).
    if (header.every((b) => b === 0)) break;
    verifyChecksum(header, offset);

    const typeflag = header[156] === 0 ? '0' : String.fromCharCode(header[156]!);
    const headerSize = parseNumeric(header.subarray(124, 136), 'size', offset);
    const dataStart = offset + BLOCK;
    const size = typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K' ? headerSize : Number(pax.size ?? headerSize);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError(`invalid size for entry at byte ${offset}`);
    if (dataStart + size > buf.length) {
      throw new TarFormatError(`truncated data at byte ${dataStart}: entry needs ${size} bytes, ${buf.length - dataStart} remain`);
    }
    const data = buf.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    switch (typeflag) {
      case 'L':
        longName = cString(data);
        continue;
      case 'K':
        longLink = cString(data);
        continue;
      case 'x':
        pax = parsePax(data, dataStart);
        continue;
      case 'g':
        // Global PAX records (charset, comments) carry nothing we use; parse only to validate.
        parsePax(data, dataStart);
        continue;
    }

    const magic = header.subarray(257, 263).toString('latin1');
    // Only POSIX ustar ("ustar\0") has a prefix field; GNU ("ustar  ") uses those bytes for times.
    const prefix = magic === 'ustar\0' ? cString(header.subarray(345, 500)) : '';
    const baseName = cString(header.subarray(0, 100));
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
    const linkName = pax.linkpath ?? longLink ?? cString(header.subarray(157, 257));
    entries.push({
      name,
      type: entryType(typeflag),
      typeflag,
      linkName,
      size,
      mode: parseNumeric(header.subarray(100, 108), 'mode', offset),
      data,
    });
    longName = null;
    longLink = null;
    pax = {};
  }
  if (longName !== null || longLink !== null || Object.keys(pax).length > 0) {
    throw new TarFormatError('archive ends after an extended header with no entry to apply it to');
  }
  return entries;
}

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '7': // contiguous file: a regular file for every practical purpose
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    default:
      return 'other';
  }
}

function verifyChecksum(header: Buffer, offset: number): void {
  const stored = parseNumeric(header.subarray(148, 156), 'checksum', offset);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  if (sum !== stored) throw new TarFormatError(`bad header checksum at byte ${offset} (not a tar archive?)`);
}

/** Octal text (NUL/space terminated), or GNU base-256 when the high bit of the first byte is set. */
function parseNumeric(field: Buffer, what: string, offset: number): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    if ((field[0]! & 0x40) !== 0) throw new TarFormatError(`negative ${what} in header at byte ${offset}`);
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) {
      n = n * 256 + field[i]!;
      if (!Number.isSafeInteger(n)) throw new TarFormatError(`${what} too large in header at byte ${offset}`);
    }
    return n;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[ ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`invalid ${what} field ${JSON.stringify(text)} in header at byte ${offset}`);
  return parseInt(text, 8);
}

/** PAX records: "<len> <key>=<value>\n", len counting the whole record. */
function parsePax(data: Buffer, at: number): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // NUL padding after the last record
    const space = data.indexOf(0x20, pos);
    const lenText = space === -1 ? '' : data.subarray(pos, space).toString('latin1');
    if (!/^\d{1,9}$/.test(lenText)) throw new TarFormatError(`malformed PAX record at byte ${at + pos}`);
    const len = Number(lenText);
    if (len <= space - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new TarFormatError(`malformed PAX record at byte ${at + pos}`);
    }
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError(`malformed PAX record at byte ${at + pos}`);
    out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  if (out.size !== undefined && !/^\d+$/.test(out.size)) throw new TarFormatError(`invalid PAX size ${JSON.stringify(out.size)}`);
  return out;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}
