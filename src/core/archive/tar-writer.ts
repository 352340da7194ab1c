/**
 * Tar records written straight into buffers, for the archives sidekick makes on a command's
 * critical path (the toolbox of `inject`: a binary and a few hundred hard links), already
 * encoded before the upload starts. tar-stream passes each entry through its own stream
 * machinery, which cost about 10 ms of a 480 ms `inject` here (docs/BENCHMARKS.md, "inject +
 * eject: the toolbox tar and the applet list").
 *
 * What it writes is what Go's archive/tar (the engine's reader) and GNU tar read: ustar headers;
 * a name or link target too long for them goes into a PAX extended header before the entry.
 */

export type TarRecordType = 'file' | 'directory' | 'link' | 'symlink';

export interface TarRecord {
  /** Relative, '/'-separated; a directory's may end with '/'. */
  name: string;
  type: TarRecordType;
  mode: number;
  mtime: Date;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** The target of a hard or symbolic link. */
  linkname?: string;
  /** A file's bytes (a string is UTF-8). */
  content?: Buffer | string;
}

const BLOCK = 512;
/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

const TYPE_FLAGS: Record<TarRecordType, string> = { file: '0', link: '1', symlink: '2', directory: '5' };
/** 11 octal digits: the most a ustar size or time field holds. */
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

/** The records, each header followed by its content padded to whole blocks; without the end blocks. */
export function tarRecords(records: readonly TarRecord[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (const record of records) writeRecord(record, chunks);
  return chunks;
}

/** A whole archive: the records and the end blocks, in one buffer. */
export function tarArchive(records: readonly TarRecord[]): Buffer {
  return Buffer.concat([...tarRecords(records), TAR_END]);
}

function writeRecord(record: TarRecord, chunks: Buffer[]): void {
  const content = record.content === undefined ? undefined : typeof record.content === 'string' ? Buffer.from(record.content, 'utf8') : record.content;
  if (content !== undefined && record.type !== 'file') throw new Error(`tar record ${record.name}: only a file has content`);
  if ((record.type === 'link' || record.type === 'symlink') && !record.linkname) throw new Error(`tar record ${record.name}: a link needs a target`);
  const size = content?.length ?? 0;
  if (size > MAX_OCTAL_11) throw new Error(`tar record ${record.name}: ${size} bytes is more than a ustar header holds`);
  const name = record.type === 'directory' && !record.name.endsWith('/') ? `${record.name}/` : record.name;
  const seconds = Math.floor(record.mtime.getTime() / 1000);
  if (seconds < 0 || seconds > MAX_OCTAL_11) throw new Error(`tar record ${record.name}: its time is outside what a ustar header holds`);
  for (const [field, id] of [['uid', record.uid ?? 0], ['gid', record.gid ?? 0]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_OCTAL_7) throw new Error(`tar record ${record.name}: ${field} ${id} is outside what a ustar header holds`);
  }

  const split = splitName(name);
  const linkname = record.linkname ?? '';
  const pax: Array<[string, string]> = [];
  if (split === undefined) pax.push(['path', name]);
  if (Buffer.byteLength(linkname) > 100) pax.push(['linkpath', linkname]);
  if (pax.length > 0) {
    const body = Buffer.from(pax.map(([key, value]) => paxRecord(key, value)).join(''), 'utf8');
    chunks.push(header({ name: paxName(name), prefix: '', typeflag: 'x', mode: 0o644, uid: 0, gid: 0, size: body.length, seconds, linkname: '', uname: '', gname: '' }));
    pushPadded(body, chunks);
  }
  chunks.push(
    header({
      name: split?.name ?? truncateBytes(name, 100),
      prefix: split?.prefix ?? '',
      typeflag: TYPE_FLAGS[record.type],
      mode: record.mode & 0o7777,
      uid: record.uid ?? 0,
      gid: record.gid ?? 0,
      size,
      seconds,
      linkname: truncateBytes(linkname, 100),
      uname: record.uname ?? '',
      gname: record.gname ?? '',
    }),
  );
  if (content !== undefined) pushPadded(content, chunks);
}

interface HeaderFields {
  name: string;
  prefix: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  seconds: number;
  linkname: string;
  uname: string;
  gname: string;
}

function header(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, fields.uid);
  writeOctal(block, 116, 8, fields.gid);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.seconds);
  block.write(fields.typeflag, 156, 1, 'latin1');
  block.write(fields.linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.write(truncateBytes(fields.uname, 31), 265, 32, 'utf8');
  block.write(truncateBytes(fields.gname, 31), 297, 32, 'utf8');
  block.write(fields.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += block[i]!;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

/** Zero-padded octal, NUL-terminated, filling the field. */
function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'latin1');
}

function pushPadded(data: Buffer, chunks: Buffer[]): void {
  chunks.push(data);
  const rest = data.length % BLOCK;
  if (rest !== 0) chunks.push(Buffer.alloc(BLOCK - rest));
}

/** A name that fits ustar's name (100 bytes) or prefix (155) + '/' + name fields; undefined when none does. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  // The slash that separates them is not stored; a directory's trailing slash stays in the name.
  for (let at = name.indexOf('/'); at !== -1; at = name.indexOf('/', at + 1)) {
    const prefix = name.slice(0, at);
    const rest = name.slice(at + 1);
    if (rest === '' || rest === '/') break;
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { name: rest, prefix };
  }
  return undefined;
}

/** One "LENGTH key=value\n" record, LENGTH counting itself. */
function paxRecord(key: string, value: string): string {
  const payload = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(payload);
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(bytes).length) length += 1;
  return `${length}${payload}`;
}

/** The extended header's own name, as GNU tar makes it: harmless if a reader ignores PAX. */
function paxName(name: string): string {
  const base = name.replace(/\/$/, '').split('/').pop() ?? 'entry';
  return truncateBytes(`PaxHeaders/${base}`, 100);
}

/** At most `max` bytes of UTF-8, never cutting a character in two. */
function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > max) break;
    out += char;
    bytes += size;
  }
  return out;
}
