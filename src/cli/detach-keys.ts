import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SidekickError } from '../core/errors.js';

/** Detach keys as written (for messages and the engine) and as the bytes typed. */
export interface DetachKeys {
  spec: string;
  keys: Buffer;
}

/** docker's default: Ctrl-P then Ctrl-Q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

// docker's names for the control characters 0..31, in byte order.
const CONTROL_NAMES = ['ctrl-@', ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `ctrl-${c}`), 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_'];

/**
 * docker's detach-keys syntax: comma-separated keys, each a single character, `ctrl-<c>`
 * (c in a-z @ [ \ ] ^ _) or DEL. Names are case-sensitive, as in docker.
 */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1 && key.charCodeAt(0) < 128) {
      bytes.push(key.charCodeAt(0));
      continue;
    }
    const control = CONTROL_NAMES.indexOf(key);
    if (control >= 0) bytes.push(control);
    else if (key === 'DEL') bytes.push(127);
    else {
      throw new SidekickError('BAD_USAGE', `--detach-keys ${JSON.stringify(spec)}: unknown key ${JSON.stringify(key)}.`, {
        hint: 'Write keys as docker does, comma-separated: a single character, ctrl-a … ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_ (default ctrl-p,ctrl-q).',
      });
    }
  }
  return Buffer.from(bytes);
}

/**
 * The keys in force, as the docker CLI picks them: the flag, else "detachKeys" of the docker
 * CLI's config.json (a broken config is ignored, as docker does), else ctrl-p,ctrl-q.
 */
export function chooseDetachKeys(flag: string | undefined, env: NodeJS.ProcessEnv, readFile: (path: string) => string | undefined = readOptional): string {
  if (flag !== undefined && flag !== '') return flag;
  const config = readFile(join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json'));
  if (config !== undefined) {
    try {
      const keys = (JSON.parse(config) as { detachKeys?: unknown }).detachKeys;
      if (typeof keys === 'string' && keys !== '') return keys;
    } catch {
      // as the docker CLI: a config it cannot read changes nothing here
    }
  }
  return DEFAULT_DETACH_KEYS;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Watches typed bytes for the detach sequence. Bytes that may begin it are held back until the
 * next key shows whether they do; a key that breaks the sequence releases every held byte, in
 * order, so nothing typed is lost (Ctrl-P then x delivers both).
 */
export class DetachKeyMatcher {
  private held: number[] = [];

  constructor(private readonly sequence: Buffer) {}

  /** What to forward now, and whether the sequence was completed (bytes after it are dropped). */
  push(chunk: Buffer): { forward: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      this.held.push(byte);
      // Release from the front until what is held is a prefix of the sequence again.
      while (this.held.length > 0 && !this.isPrefix(this.held)) out.push(this.held.shift()!);
      if (this.held.length === this.sequence.length && this.sequence.length > 0) {
        this.held = [];
        return { forward: Buffer.from(out), detached: true };
      }
    }
    return { forward: Buffer.from(out), detached: false };
  }

  private isPrefix(bytes: number[]): boolean {
    return bytes.length <= this.sequence.length && bytes.every((byte, i) => this.sequence[i] === byte);
  }
}
