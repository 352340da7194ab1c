/**
 * The secret under which owner marks are made (owner-mark.ts): 32 random bytes in
 * `$XDG_STATE_HOME/sidekick/owner.key` (default `~/.local/state/sidekick/owner.key`), mode
 * 0600, made on first use. It is per user and per client machine: another user, or another
 * machine using the same engine, holds another key, so their objects are not recognised as
 * this user's (copying the file shares the key). When the state directory cannot be written
 * (a read-only home), `$XDG_RUNTIME_DIR/sidekick` is used; with neither, objects are made
 * without a mark and `prune` never removes them.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

export const OWNER_KEY_FILE = 'owner.key';
const KEY_TEXT = /^([0-9a-f]{64})\n?$/;

export type KeyLookup = { key: Buffer; path: string } | { key: undefined; problems: string[] };

/** Where the key may be, best first. */
export function ownerKeyDirectories(env: NodeJS.ProcessEnv, homedir: string | undefined = safeHomedir()): string[] {
  const dirs: string[] = [];
  const add = (base: string | undefined, ...rest: string[]): void => {
    if (base === undefined || !isAbsolute(base)) return;
    const dir = join(base, ...rest, 'sidekick');
    if (!dirs.includes(dir)) dirs.push(dir);
  };
  if (env.XDG_STATE_HOME !== undefined && isAbsolute(env.XDG_STATE_HOME)) {
    add(env.XDG_STATE_HOME);
  } else {
    add(env.HOME, '.local', 'state');
    // Under sudo, HOME may still be the invoking user's: this user's own home comes next.
    add(homedir, '.local', 'state');
  }
  add(env.XDG_RUNTIME_DIR);
  return dirs;
}

const signingCache = new Map<string, KeyLookup>();

/** The key new objects are marked with, made on first use. */
export function signingKey(env: NodeJS.ProcessEnv = process.env, homedir?: string): KeyLookup {
  const dirs = ownerKeyDirectories(env, homedir);
  const cacheKey = dirs.join('\0');
  const hit = signingCache.get(cacheKey);
  if (hit) return hit;
  const problems: string[] = [];
  let found: KeyLookup | undefined;
  for (const dir of dirs) {
    const result = loadKey(dir, true);
    if ('key' in result) {
      found = { key: result.key, path: join(dir, OWNER_KEY_FILE) };
      break;
    }
    problems.push(result.problem);
  }
  const lookup = found ?? { key: undefined, problems };
  signingCache.set(cacheKey, lookup);
  return lookup;
}

/** Every key found (none is made): a mark made with any of them is this user's on this machine. */
export function verifyingKeys(env: NodeJS.ProcessEnv = process.env, homedir?: string): Buffer[] {
  const keys: Buffer[] = [];
  for (const dir of ownerKeyDirectories(env, homedir)) {
    const result = loadKey(dir, false);
    if ('key' in result && !keys.some((k) => k.equals(result.key))) keys.push(result.key);
  }
  return keys;
}

type Loaded = { key: Buffer } | { problem: string };

function loadKey(dir: string, create: boolean): Loaded {
  const path = join(dir, OWNER_KEY_FILE);
  const existing = readKeyFile(path);
  if (existing !== 'missing' || !create) return existing === 'missing' ? { problem: `${path} does not exist` } : existing;
  try {
    const ancestor = nearestExisting(dir);
    if (!ownedByMe(lstatSync(ancestor).uid)) return { problem: `${ancestor} belongs to another user` };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const info = lstatSync(dir);
    if (!info.isDirectory() || !ownedByMe(info.uid) || (info.mode & 0o022) !== 0) return { problem: `${dir} is not a private directory of this user` };
    // Written aside and linked into place: two first runs at once end with one key, never a torn one.
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temporary, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
  } catch (error) {
    return { problem: `cannot create ${path}: ${(error as Error).message}` };
  }
  const made = readKeyFile(path);
  return made === 'missing' ? { problem: `${path} vanished after it was made` } : made;
}

function readKeyFile(path: string): Loaded | 'missing' {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'missing' : { problem: `cannot read ${path}: ${(error as Error).message}` };
  }
  try {
    const info = fstatSync(fd);
    // A key others can read or replace proves nothing: they could mark objects as this user's.
    if (!info.isFile() || !ownedByMe(info.uid) || (info.mode & 0o077) !== 0) {
      return { problem: `${path} is not private to this user (chmod 600 it, or remove it to make a new one)` };
    }
    const match = KEY_TEXT.exec(readFileSync(fd, 'utf8'));
    return match ? { key: Buffer.from(match[1]!, 'hex') } : { problem: `${path} does not hold a key (remove it to make a new one)` };
  } finally {
    closeSync(fd);
  }
}

function nearestExisting(path: string): string {
  let current = path;
  for (;;) {
    try {
      lstatSync(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

function ownedByMe(uid: number): boolean {
  return typeof process.getuid !== 'function' || process.getuid() === uid;
}

function safeHomedir(): string | undefined {
  try {
    return userInfo().homedir;
  } catch {
    return undefined;
  }
}
