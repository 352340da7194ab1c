import { decodeOctalEscapes } from './octal-escapes.js';
import { parseDecimal } from './numbers.js';
import { type ParseResult, type ProblemLog, type ProcInput, parseSafely, quote } from './parse-result.js';
import { splitLines, toText } from './text.js';

/** One line of /proc/<pid>/mountinfo (proc(5)), with octal escapes decoded. */
export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  major: number;
  minor: number;
  /** The directory of the filesystem that is mounted here (not "/" for bind mounts). */
  root: string;
  mountPoint: string;
  /** Per-mount options: rw/ro, nosuid, relatime… */
  mountOptions: string[];
  /** shared:N, master:N, propagate_from:N, unbindable. */
  optionalFields: string[];
  fsType: string;
  source: string;
  /** Per-superblock options. */
  superOptions: string[];
  /** Writes fail here: the mount or the whole superblock is read-only. */
  readOnly: boolean;
}

const FIELDS_BEFORE_OPTIONAL = 6;
const FIELDS_AFTER_SEPARATOR = 3;

export function parseMountinfo(input: ProcInput): ParseResult<MountInfoEntry[]> {
  return parseSafely('mountinfo', (log) => readMountinfo(toText(input, log), log), () => []);
}

function readMountinfo(text: string, log: ProblemLog): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  splitLines(text).forEach((line, index) => {
    if (line.trim() === '') return;
    const entry = readEntry(line, (problem) => log.atLine(index + 1, problem));
    if (entry !== undefined) entries.push(entry);
  });
  return entries;
}

// Fields are separated by single spaces; a space inside a path is always escaped (\040).
function readEntry(line: string, report: (problem: string) => void): MountInfoEntry | undefined {
  const fields = line.split(' ');
  const separator = fields.indexOf('-', FIELDS_BEFORE_OPTIONAL);
  if (separator < 0 || fields.length - separator - 1 < FIELDS_AFTER_SEPARATOR) {
    report(`not a complete mountinfo line: ${quote(line)}`);
    return undefined;
  }
  const [mountId, parentId, device, root, mountPoint, options] = fields;
  const [fsType, source, superOptions] = fields.slice(separator + 1);
  const ids = { mountId: parseDecimal(mountId), parentId: parseDecimal(parentId), ...parseDevice(device) };
  if (ids.mountId === undefined || ids.parentId === undefined || ids.major === undefined || ids.minor === undefined) {
    report(`bad mount id, parent id or major:minor: ${quote(line)}`);
    return undefined;
  }
  const decode = decoderReporting(report);
  const mountOptions = splitOptions(options ?? '', decode);
  const superOptionList = splitOptions(superOptions ?? '', decode);
  return {
    mountId: ids.mountId,
    parentId: ids.parentId,
    major: ids.major,
    minor: ids.minor,
    root: decode(root ?? ''),
    mountPoint: decode(mountPoint ?? ''),
    mountOptions,
    optionalFields: fields.slice(FIELDS_BEFORE_OPTIONAL, separator),
    fsType: decode(fsType ?? ''),
    source: decode(source ?? ''),
    superOptions: superOptionList,
    readOnly: mountOptions.includes('ro') || superOptionList.includes('ro'),
  };
}

function parseDevice(device: string | undefined): { major?: number; minor?: number } {
  const [major, minor, extra] = (device ?? '').split(':');
  if (extra !== undefined) return {};
  return { major: parseDecimal(major), minor: parseDecimal(minor) };
}

// Options are split before decoding: a comma inside a value (overlay's lowerdir) is escaped.
function splitOptions(options: string, decode: (field: string) => string): string[] {
  return options === '' ? [] : options.split(',').map(decode);
}

function decoderReporting(report: (problem: string) => void): (field: string) => string {
  return (field) => {
    const { text, malformed } = decodeOctalEscapes(field);
    if (malformed) report(`a backslash that is not an octal escape in ${quote(field)}`);
    return text;
  };
}
