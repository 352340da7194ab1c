/**
 * Decoder for the `X-Docker-Container-Path-Stat` header that the engine sends with
 * `HEAD`/`GET /containers/{id}/archive`: base64 of a JSON `{name, size, mode, mtime, linkTarget}`
 * where `mode` is a Go `os.FileMode`. The values describe a path inside an untrusted container
 * (and may come from an untrusted or broken engine), so nothing here throws: a header that does
 * not decode yields `stat: undefined` and a reason the caller can show.
 *
 * `name` and `linkTarget` are passed on verbatim: they are container paths chosen by the
 * container, and whoever uses them as local names must check them (see core/archive/entry-path.ts).
 */
import type { ContainerPathKind, ContainerPathStat } from '../../core/path-stat.js';

export type { ContainerPathKind, ContainerPathStat };

export type ContainerPathStatResult =
  | { stat: ContainerPathStat; reason?: undefined }
  | { stat: undefined; reason: string };

/** Go's os.FileMode bits (io/fs), which are not the Unix st_mode layout. */
export const GoFileMode = {
  dir: 2 ** 31,
  append: 2 ** 30,
  exclusive: 2 ** 29,
  temporary: 2 ** 28,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
  irregular: 2 ** 19,
  perm: 0o777,
} as const;

export const CONTAINER_PATH_STAT_HEADER = 'x-docker-container-path-stat';

// A real stat is ~150 bytes; anything far larger is not worth parsing.
const MAX_HEADER_LENGTH = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Accepts the raw header value as Node's http module gives it (string, string[] when repeated,
 * or undefined when absent).
 */
export function decodeContainerPathStat(header: unknown): ContainerPathStatResult {
  if (header === undefined || header === null) return fail('the engine sent no path stat header');
  if (Array.isArray(header)) {
    if (header.length !== 1) return fail('the engine sent the path stat header more than once');
    header = header[0];
  }
  if (typeof header !== 'string') return fail('the path stat header is not text');
  const encoded = header.trim();
  if (encoded.length === 0) return fail('the path stat header is empty');
  if (encoded.length > MAX_HEADER_LENGTH) return fail('the path stat header is implausibly long');
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) return fail('the path stat header is not base64');

  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return fail('the path stat header is not base64-encoded JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('the path stat header is not a JSON object');
  }
  const record = json as Record<string, unknown>;
  const { name, size, mode, mtime } = record;
  const linkTarget = record.linkTarget ?? '';

  if (typeof name !== 'string') return fail('the path stat has no "name" string');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return fail('the path stat "size" is not a non-negative integer');
  }
  // FileMode is a uint32; JSON cannot carry anything else honestly.
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode >= 2 ** 32) {
    return fail('the path stat "mode" is not a 32-bit unsigned integer');
  }
  if (typeof mtime !== 'string') return fail('the path stat has no "mtime" string');
  const date = new Date(mtime);
  if (!Number.isFinite(date.getTime())) return fail('the path stat "mtime" is not a date');
  if (typeof linkTarget !== 'string') return fail('the path stat "linkTarget" is not a string');

  const stat: ContainerPathStat = {
    name,
    size,
    kind: goModeKind(mode),
    mode: goModeToUnixPermissions(mode),
    mtime: date,
    linkTarget,
  };
  return { stat };
}

/** The kind of file a Go os.FileMode describes. */
export function goModeKind(goMode: number): ContainerPathKind {
  if (has(goMode, GoFileMode.dir)) return 'dir';
  if (has(goMode, GoFileMode.symlink)) return 'symlink';
  if (
    has(goMode, GoFileMode.device) ||
    has(goMode, GoFileMode.namedPipe) ||
    has(goMode, GoFileMode.socket) ||
    has(goMode, GoFileMode.charDevice) ||
    has(goMode, GoFileMode.irregular)
  ) {
    return 'other';
  }
  return 'file';
}

/** Go keeps setuid/setgid/sticky in high bits of its own; Unix wants them at 0o7000. */
export function goModeToUnixPermissions(goMode: number): number {
  let mode = goMode % 0o1000;
  if (has(goMode, GoFileMode.setuid)) mode |= 0o4000;
  if (has(goMode, GoFileMode.setgid)) mode |= 0o2000;
  if (has(goMode, GoFileMode.sticky)) mode |= 0o1000;
  return mode;
}

// Arithmetic rather than `&`: JavaScript's bitwise operators are signed 32-bit, and ModeDir is bit 31.
function has(value: number, bit: number): boolean {
  return Math.floor(value / bit) % 2 === 1;
}

function fail(reason: string): ContainerPathStatResult {
  return { stat: undefined, reason };
}
