import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { encodeManifest, type OsManifest, type ToolboxManifest } from '../../core/inject/injection-manifest.js';
import type { ContainerPathStat } from '../../core/path-stat.js';
import type { Engine } from '../../engines/engine.js';
import { findInjections } from './find-injections.js';

const base = { format: 'sidekick-injection/1', nonce: 'n', source: 'busybox', createdAt: '2026-12-01T00:00:00Z', sidekickVersion: '0.1.0', targetId: 't' } as const;
const toolbox = (prefix: string): ToolboxManifest => ({ ...base, kind: 'toolbox', prefix, applets: 3 });
const os = (toolboxPrefix: string): OsManifest => ({ ...base, kind: 'os', createdRoots: ['/usr'], existingDirs: [], keptCount: 0, conflicts: [], baselineAdded: [], toolboxPrefix });

/**
 * An engine whose container holds `files` (path → content; their parent directories exist).
 * It records each archive request, and in which wave it was made: a wave is the requests made
 * before any of them was answered.
 */
function fakeEngine(files: Record<string, string>) {
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) for (let d = path.slice(0, path.lastIndexOf('/')); d !== ''; d = d.slice(0, d.lastIndexOf('/'))) dirs.add(d);
  const calls: Array<{ what: string; path: string; wave: number }> = [];
  let wave = 0;
  let answeredInWave = false;
  const answer = async <T>(value: T): Promise<T> => {
    await new Promise((resolve) => setImmediate(resolve));
    answeredInWave = true;
    return value;
  };
  const record = (what: string, path: string): void => {
    if (answeredInWave) {
      wave += 1;
      answeredInWave = false;
    }
    calls.push({ what, path, wave });
  };
  const stat = (path: string): ContainerPathStat | undefined => {
    if (files[path] !== undefined) return { name: path.slice(path.lastIndexOf('/') + 1), size: files[path].length, kind: 'file', mode: 0o644, mtime: new Date(0), linkTarget: '' };
    if (dirs.has(path)) return { name: path.slice(path.lastIndexOf('/') + 1), size: 0, kind: 'dir', mode: 0o755, mtime: new Date(0), linkTarget: '' };
    return undefined;
  };
  const engine = {
    statPath: (_id: string, path: string) => {
      record('stat', path);
      return answer(stat(path));
    },
    getArchive: (_id: string, path: string) => {
      record('get', path);
      const content = files[path];
      if (content === undefined) throw new Error(`no ${path}`);
      const tar = pack();
      tar.entry({ name: path.slice(path.lastIndexOf('/') + 1) }, content);
      tar.finalize();
      return answer({ tar: Readable.from(tar as unknown as AsyncIterable<Buffer>), stat: stat(path) });
    },
  } as unknown as Engine;
  return { engine, calls };
}

describe('findInjections', () => {
  it('asks a container with nothing injected one stat per path, all at once', async () => {
    const { engine, calls } = fakeEngine({ '/etc/passwd': 'root:x:0:0::/:/bin/sh\n' });
    expect(await findInjections(engine, 'c')).toEqual({});
    expect(calls.map((c) => c.path).sort()).toEqual(['/.sidekick', '/.sidekick-os.json', '/run/.sidekick', '/tmp/.sidekick']);
    expect(calls.every((c) => c.what === 'stat' && c.wave === 0)).toBe(true);
  });

  it('finds a toolbox under a well-known prefix other than the default', async () => {
    const { engine } = fakeEngine({ '/tmp/.sidekick/manifest.json': encodeManifest(toolbox('/tmp/.sidekick')) });
    expect(await findInjections(engine, 'c')).toEqual({ toolbox: toolbox('/tmp/.sidekick') });
  });

  it('finds an interrupted injection by its intent record', async () => {
    const { engine } = fakeEngine({ '/run/.sidekick/injecting.json': encodeManifest(toolbox('/run/.sidekick')) });
    expect(await findInjections(engine, 'c')).toEqual({ incompleteToolbox: toolbox('/run/.sidekick') });
  });

  it('finds an OS and its toolbox at the prefix its manifest names, and a toolbox at a prefix given', async () => {
    const { engine } = fakeEngine({
      '/.sidekick-os.json': encodeManifest(os('/opt/tools')),
      '/opt/tools/manifest.json': encodeManifest(toolbox('/opt/tools')),
    });
    expect(await findInjections(engine, 'c')).toEqual({ os: os('/opt/tools'), toolbox: toolbox('/opt/tools') });
    const given = fakeEngine({ '/srv/x/manifest.json': encodeManifest(toolbox('/srv/x')) });
    expect(await findInjections(given.engine, 'c', ['/srv/x'])).toEqual({ toolbox: toolbox('/srv/x') });
  });

  it('does not take a manifest that names another prefix', async () => {
    const { engine } = fakeEngine({ '/tmp/.sidekick/manifest.json': encodeManifest(toolbox('/.sidekick')) });
    expect(await findInjections(engine, 'c')).toEqual({});
  });
});
