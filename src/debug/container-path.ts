import path from 'node:path';
import { SidekickError } from '../core/errors.js';
import { containerReference } from '../core/reference.js';

export interface ContainerPath {
  target: string;
  /** Absolute, normalized; a trailing '/' (follow a symlinked directory) is kept. */
  path: string;
  /** Written with a trailing "/." : the directory's contents, not the directory (docker cp's rule). */
  contentsOnly: boolean;
}

/**
 * `TARGET:PATH` as docker cp spells it. An argument that starts with '/' or '.', or has no
 * ':', is a local path (so `./a:b` is a local file named "a:b").
 */
export function parseContainerPath(argument: string): ContainerPath | undefined {
  if (argument.startsWith('/') || argument.startsWith('.')) return undefined;
  const colon = argument.indexOf(':');
  if (colon < 0) return undefined;
  const target = argument.slice(0, colon);
  const rawPath = argument.slice(colon + 1);
  if (target === '') return undefined;
  if (rawPath.includes('\0')) {
    throw new SidekickError('BAD_USAGE', `the path in ${JSON.stringify(argument)} contains a NUL byte.`, { hint: 'Give a path without it.' });
  }
  assertPathLength(rawPath, argument);
  return { target: containerReference(target, `in ${JSON.stringify(shortened(argument))}, TARGET`), path: normalizeContainerPath(rawPath), contentsOnly: rawPath === '.' || rawPath.endsWith('/.') };
}

/** Relative paths are taken from the container's root, as docker cp does. */
export function normalizeContainerPath(raw: string): string {
  const trailing = raw.length > 1 && raw.endsWith('/');
  const normalized = path.posix.resolve('/', raw === '' ? '/' : raw);
  return trailing && normalized !== '/' ? `${normalized}/` : normalized;
}

export function requireContainerPath(argument: string, what: string): ContainerPath {
  const parsed = parseContainerPath(argument);
  if (parsed === undefined) {
    throw new SidekickError('BAD_USAGE', `${what} ${JSON.stringify(argument)} is not TARGET:PATH.`, { hint: 'Write it as container:/path, e.g. web:/etc.' });
  }
  return parsed;
}

/** Linux's limits (PATH_MAX, NAME_MAX): a longer path cannot exist, and the engine answers it with an empty 500. */
function assertPathLength(rawPath: string, argument: string): void {
  const tooLong = Buffer.byteLength(rawPath) > 4095 || rawPath.split('/').some((name) => Buffer.byteLength(name) > 255);
  if (tooLong) {
    throw new SidekickError('BAD_USAGE', `the path in ${JSON.stringify(shortened(argument))} is too long for Linux (4095 bytes in all, 255 per name).`, {
      hint: 'Check the path; no file can have that name.',
    });
  }
}

/** An argument quoted in a message, cut to a readable length. */
function shortened(argument: string): string {
  return argument.length > 80 ? `${argument.slice(0, 60)}…(${argument.length} characters)` : argument;
}
