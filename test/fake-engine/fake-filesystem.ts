/**
 * A container's root filesystem in memory, for the fake engine. Paths are resolved the way the
 * real engine resolves them within a container's root: a symlink, absolute or relative, is
 * followed inside the root and `..` stops at `/` (the contract suite holds both engines to it).
 */
import path from 'node:path/posix';

interface NodeBase {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

export type FakeNode =
  | (NodeBase & { type: 'file'; content: Buffer })
  | (NodeBase & { type: 'dir' })
  | (NodeBase & { type: 'symlink'; linkname: string })
  | (NodeBase & { type: 'other' });

/** Symlinks followed on one resolution before it gives up, as the kernel's ELOOP. */
const MAX_LINK_HOPS = 40;

export class FakeFilesystem {
  /** Absolute, normalised paths; `/` is always there. */
  readonly nodes = new Map<string, FakeNode>();

  constructor() {
    this.nodes.set('/', { type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) });
  }

  clone(): FakeFilesystem {
    const copy = new FakeFilesystem();
    for (const [at, node] of this.nodes) copy.nodes.set(at, { ...node });
    return copy;
  }

  /**
   * Where `wanted` leads inside the root: every symlink on the way is followed within the root,
   * the last one only with `followLast`. Undefined when a component on the way is missing, not a
   * directory, or the links loop; the last component itself need not exist.
   */
  resolve(wanted: string, followLast: boolean): string | undefined {
    let todo = wanted.split('/');
    const done: string[] = [];
    let hops = 0;
    while (todo.length > 0) {
      const name = todo.shift() ?? '';
      if (name === '' || name === '.') continue;
      if (name === '..') {
        done.pop();
        continue;
      }
      const at = `/${[...done, name].join('/')}`;
      const node = this.nodes.get(at);
      const last = todo.every((rest) => rest === '');
      if (node?.type === 'symlink' && (!last || followLast)) {
        if (++hops > MAX_LINK_HOPS) return undefined;
        if (node.linkname.startsWith('/')) done.length = 0;
        todo = [...node.linkname.split('/'), ...todo];
        continue;
      }
      if (!last && node?.type !== 'dir') return undefined;
      done.push(name);
    }
    return `/${done.join('/')}`;
  }

  /** The node at an already resolved path, never following it. */
  at(resolved: string): FakeNode | undefined {
    return this.nodes.get(resolved);
  }

  /** The names directly inside a resolved directory, sorted. */
  children(resolved: string): string[] {
    const prefix = resolved === '/' ? '/' : `${resolved}/`;
    const names: string[] = [];
    for (const key of this.nodes.keys()) {
      if (key !== resolved && key.startsWith(prefix) && !key.slice(prefix.length).includes('/')) names.push(key.slice(prefix.length));
    }
    return names.sort();
  }

  /** Removes a resolved path and everything below it. */
  remove(resolved: string): void {
    const prefix = `${resolved}/`;
    for (const key of [...this.nodes.keys()]) if (key === resolved || key.startsWith(prefix)) this.nodes.delete(key);
  }

  /** Creates the missing directories of a resolved path (0755, root's), as the engine does for a tar entry's parents. */
  mkdirs(resolved: string): void {
    if (resolved === '/' || this.nodes.has(resolved)) return;
    this.mkdirs(path.dirname(resolved));
    this.nodes.set(resolved, { type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: new Date() });
  }

  // Helpers that set a container or image up for a test; paths are taken as they are (no link followed).

  writeFile(at: string, content: string | Buffer, mode = 0o644, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): this {
    const where = path.normalize(at);
    this.mkdirs(path.dirname(where));
    this.nodes.set(where, { type: 'file', content: Buffer.from(content), mode, ...owner, mtime: new Date() });
    return this;
  }

  mkdir(at: string, mode = 0o755): this {
    const where = path.normalize(at);
    this.mkdirs(path.dirname(where));
    this.nodes.set(where, { type: 'dir', mode, uid: 0, gid: 0, mtime: new Date() });
    return this;
  }

  symlink(at: string, linkname: string): this {
    const where = path.normalize(at);
    this.mkdirs(path.dirname(where));
    this.nodes.set(where, { type: 'symlink', linkname, mode: 0o777, uid: 0, gid: 0, mtime: new Date() });
    return this;
  }

  /** A regular file's content, following links within the root; undefined when there is none. */
  readFile(at: string): Buffer | undefined {
    const resolved = this.resolve(at, true);
    const node = resolved === undefined ? undefined : this.nodes.get(resolved);
    return node?.type === 'file' ? node.content : undefined;
  }
}
