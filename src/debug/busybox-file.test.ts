import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBusyboxFile } from './busybox-file.js';

describe('readBusyboxFile', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let busybox: string;
  const spawns = (): number => readFileSync(join(work, 'spawned'), 'utf8').length;

  /** A stand-in busybox: answers --list, and leaves a mark each time it is run. */
  function writeBusybox(applets: string[], extra = ''): void {
    writeFileSync(busybox, `#!/bin/sh\nprintf x >> '${join(work, 'spawned')}'\n${applets.map((name) => `echo '${name}'`).join('\n')}\n# ${extra}\n`);
    chmodSync(busybox, 0o755);
  }

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'sidekick-busybox-file-'));
    env = { XDG_CACHE_HOME: join(work, 'cache') };
    busybox = join(work, 'busybox');
    writeFileSync(join(work, 'spawned'), '');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('asks busybox for its applets once, then remembers them and the digest by the file identity', async () => {
    writeBusybox(['ls', 'sh', 'busybox', '../x', '[[']);
    const first = await readBusyboxFile(busybox, env);
    expect(first.applets).toEqual(['ls', 'sh', '[[']);
    expect(first.digest).toBe(createHash('sha256').update(readFileSync(busybox)).digest('hex'));
    expect(first.binary.equals(readFileSync(busybox))).toBe(true);
    expect(spawns()).toBe(1);

    const again = await readBusyboxFile(busybox, env);
    expect(again).toEqual(first);
    expect(spawns()).toBe(1);
  });

  it('asks again when the file is another one (content, size or time changed)', async () => {
    writeBusybox(['ls']);
    const first = await readBusyboxFile(busybox, env);
    writeBusybox(['ls', 'vi'], 'a new build');
    utimesSync(busybox, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    const second = await readBusyboxFile(busybox, env);
    expect(spawns()).toBe(2);
    expect(second.applets).toEqual(['ls', 'vi']);
    expect(second.digest).not.toBe(first.digest);
  });

  it('ignores a remembered entry that has the wrong shape', async () => {
    writeBusybox(['ls']);
    await readBusyboxFile(busybox, env);
    const cacheFile = join(work, 'cache', 'sidekick', 'busybox-v1.json');
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, { applets: string[]; digest: string }>;
    for (const planted of [{ ...cache[busybox], applets: ['../../etc/passwd'] }, { ...cache[busybox], digest: 'not-a-digest' }]) {
      writeFileSync(cacheFile, JSON.stringify({ [busybox]: planted }));
      const read = await readBusyboxFile(busybox, env);
      expect(read.applets).toEqual(['ls']);
      expect(read.digest).toMatch(/^[0-9a-f]{64}$/);
    }
    writeFileSync(cacheFile, 'not json');
    expect((await readBusyboxFile(busybox, env)).applets).toEqual(['ls']);
    expect(spawns()).toBe(4);
  });

  it('works with a cache directory it cannot write (only slower)', async () => {
    writeBusybox(['ls']);
    writeFileSync(join(work, 'cache'), 'a file where the directory would go');
    expect((await readBusyboxFile(busybox, env)).applets).toEqual(['ls']);
    expect((await readBusyboxFile(busybox, env)).applets).toEqual(['ls']);
    expect(spawns()).toBe(2);
  });
});
