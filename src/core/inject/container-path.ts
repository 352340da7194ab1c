/**
 * Container paths that sidekick is asked to write to (an injection prefix) are checked as
 * text before anything is asked of the engine: absolute, normalized, not the root itself and
 * not inside the kernel's pseudo filesystems, where nothing of ours belongs.
 */
import { SidekickError } from '../errors.js';

/** Never written by an injection: the kernel's views and the device tree, owned by the runtime. */
export const PROTECTED_ROOTS = ['/dev', '/proc', '/sys'] as const;

export function isProtectedPath(path: string): boolean {
  return PROTECTED_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}

/** Checks and normalizes a prefix ("/.sidekick", "/tmp/.sidekick"); throws BAD_USAGE otherwise. */
export function parsePrefix(prefix: string): string {
  const bad = (why: string): SidekickError =>
    new SidekickError('BAD_USAGE', `--prefix ${JSON.stringify(prefix)} ${why}.`, {
      hint: 'Give an absolute directory path that does not exist yet in the target, e.g. /tmp/.sidekick.',
    });
  if (!prefix.startsWith('/')) throw bad('is not an absolute path');
  if ([...prefix].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) throw bad('contains a control character');
  // Quotes and backslashes are escaped in the JSON manifest, which eject matches line by line.
  if (/["\\]/.test(prefix)) throw bad('contains a quote or a backslash');
  const parts = prefix.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw bad('contains ".."');
  if (parts.length === 0) throw bad('is the root directory');
  const normalized = `/${parts.join('/')}`;
  if (isProtectedPath(normalized)) throw bad('is inside /dev, /proc or /sys');
  return normalized;
}

/** "/a/b/c" → ["/a", "/a/b"]: the directories on the way to a path, root excluded. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const result: string[] = [];
  for (let i = 1; i < parts.length; i++) result.push(`/${parts.slice(0, i).join('/')}`);
  return result;
}

export function parentOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Whether `path` is `root` or below it. */
export function isWithin(path: string, root: string): boolean {
  if (root === '/') return true;
  return path === root || path.startsWith(`${root}/`);
}
