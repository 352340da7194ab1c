/**
 * A V8 code cache for sidekick's own bundles (docs/BENCHMARKS.md, "exec T -- true: where the
 * time goes"). Node 20 compiles every bundle from source on every run; V8 can instead start
 * from the bytecode it made last time, which saves most of the compile (≈10–20 ms for a
 * command's bundle). Node 22's module.enableCompileCache() does the same; Node 20 has none.
 *
 * Safe by construction:
 * - only the .cjs files of this directory (the bundles) go through it; anything else loads
 *   as Node would load it;
 * - a cache entry is keyed by the bundle's identity (device, inode, size, mtime), Node's
 *   version and the architecture, and V8 checks its own version, flags and the source's
 *   length again: a cache that does not fit is rejected and the bundle compiled as usual;
 * - entries live in a directory of the user's own (mode 0700) and are used only when owned
 *   by the user and writable by nobody else, since bytecode is code;
 * - entries are written whole (a temporary file renamed into place) once, at exit, only
 *   when there was none or V8 refused it; any failure (a read-only home) costs only speed.
 * SIDEKICK_CODE_CACHE=off turns it off.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Script } from 'node:vm';

interface LoadableModule {
  exports: unknown;
  filename: string;
  require(id: string): unknown;
}

interface ModuleInternals {
  _extensions: Record<string, (module: LoadableModule, filename: string) => void>;
  _resolveFilename(request: string, parent: LoadableModule, isMain: boolean, options?: unknown): string;
  _cache: Record<string, unknown>;
  wrap(source: string): string;
}

interface Pending {
  script: Script;
  file: string;
  stale: string[];
}

const ENTRY_SUFFIX = '.v8';
const STALE_AFTER_MS = 10 * 60_000;

/** Loads this directory's .cjs bundles through the cache; call before requiring the first of them. */
export function useCodeCache(bundleDirectory: string, env: NodeJS.ProcessEnv): void {
  if (env.SIDEKICK_CODE_CACHE === 'off') return;
  const internals = Module as unknown as ModuleInternals;
  const plain = internals._extensions['.js'];
  if (plain === undefined) return;
  const cacheDirectory = join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'sidekick', 'code-cache');
  const pending: Pending[] = [];
  const prefix = bundleDirectory.endsWith(sep) ? bundleDirectory : bundleDirectory + sep;

  internals._extensions['.cjs'] = (module, filename) => {
    if (!filename.startsWith(prefix)) {
      plain(module, filename);
      return;
    }
    const source = readFileSync(filename, 'utf8');
    const name = relative(bundleDirectory, filename).split(sep).join('-').replace(/\.cjs$/, '');
    const file = join(cacheDirectory, `${name}.${identityKey(filename)}${ENTRY_SUFFIX}`);
    const cachedData = readTrusted(file);
    const script = new Script(internals.wrap(source), { filename, ...(cachedData ? { cachedData } : {}) });
    if (cachedData === undefined || script.cachedDataRejected === true) {
      if (pending.length === 0) process.once('exit', () => writeEntries(cacheDirectory, pending));
      pending.push({ script, file, stale: [name] });
    }
    const compiled = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => void;
    const moduleRequire = Object.assign((id: string) => module.require(id), {
      resolve: (request: string, options?: unknown) => internals._resolveFilename(request, module, false, options),
      main: require.main,
      cache: internals._cache,
      extensions: internals._extensions,
    });
    compiled.call(module.exports, module.exports, moduleRequire, module, filename, dirname(filename));
  };
}

/** The bundle's identity, Node's version and the architecture, as a short name. */
function identityKey(filename: string): string {
  const info = statSync(filename);
  const text = `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${process.version}:${process.arch}`;
  // FNV-1a, twice with different seeds: a file name, not a secret (V8 checks the entry again).
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i += 1) {
    a = Math.imul(a ^ text.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ text.charCodeAt(i), 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** The entry's bytes when it is this user's own and no one else may write it; undefined otherwise. */
function readTrusted(file: string): Buffer | undefined {
  let descriptor: number;
  try {
    descriptor = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(descriptor);
    const uid = process.getuid?.();
    if (!info.isFile() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) return undefined;
    return readFileSync(descriptor);
  } catch {
    return undefined;
  } finally {
    closeSync(descriptor);
  }
}

/** At exit: the bytecode V8 made during this run (lazily compiled functions included), each entry whole. */
function writeEntries(cacheDirectory: string, pending: Pending[]): void {
  try {
    mkdirSync(cacheDirectory, { recursive: true, mode: 0o700 });
    const existing = readdirSync(cacheDirectory);
    for (const { script, file, stale } of pending) {
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      renameSync(temporary, file);
      // Entries of older builds of the same bundle, once unwritten for a while: two installs in
      // use side by side would otherwise keep replacing each other's.
      for (const other of existing) {
        if (!stale.some((name) => other.startsWith(`${name}.`)) || !other.endsWith(ENTRY_SUFFIX) || other === basename(file)) continue;
        try {
          const path = join(cacheDirectory, other);
          if (Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) unlinkSync(path);
        } catch {
          // another run removed it
        }
      }
    }
  } catch {
    // A read-only or full home: the next run compiles from source again.
  }
}
