/**
 * Names inside a tar stream are untrusted text. This module decides, without touching the
 * filesystem, whether a name can be a path below a destination at all; whether the path is
 * safe on disk (symlinks along it) is the extractor's job.
 */
/** On refusal, `reason` is a predicate ("is an absolute path") for the caller to give a subject. */
export type EntryPathResult =
  | { ok: true; components: string[] }
  | { ok: false; reason: string };

/**
 * Splits an archive name into its components. "." and empty components ("a//b", "./a", "a/")
 * are dropped because tar writers emit them routinely; ".." is refused outright, even where it
 * would stay inside ("a/../b"), since no honest archive of a container path needs it and
 * resolving it correctly would require knowing what every prefix is on disk.
 */
export function parseEntryPath(name: string, stripFirstComponent = false): EntryPathResult {
  if (name.includes('\0')) return { ok: false, reason: 'contains a NUL byte' };
  if (name.length === 0) return { ok: false, reason: 'is empty' };
  if (name.startsWith('/')) return { ok: false, reason: 'is an absolute path' };
  const components = name.split('/').filter((part) => part !== '' && part !== '.');
  if (components.includes('..')) return { ok: false, reason: 'contains a ".." component' };
  return { ok: true, components: stripFirstComponent ? components.slice(1) : components };
}
