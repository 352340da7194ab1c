import { copyFile, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultToolboxCandidate, findStaticBusybox, findStaticInit } from './toolbox.js';

describe('default toolbox', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-toolbox-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the image by the hash of the busybox and caches it by file identity', async () => {
    const busybox = join(dir, 'busybox');
    await copyFile('/bin/busybox', busybox);
    const env = { SIDEKICK_BUSYBOX: busybox, SIDEKICK_INIT: '/usr/bin/tini-static', XDG_CACHE_HOME: join(dir, 'cache') };
    const first = await defaultToolboxCandidate(env);
    expect(first).toMatchObject({ source: busybox, isStatic: true, hasInit: true, initSource: '/usr/bin/tini-static' });
    // Content-addressed by both binaries: a new tini makes a new image.
    expect(first!.image).toMatch(/^sidekick-toolbox:busybox-[0-9a-f]{16}-init-[0-9a-f]{16}$/);
    const cache = JSON.parse(await readFile(join(dir, 'cache', 'sidekick', 'toolbox-v2.json'), 'utf8')) as Record<string, { image: string }>;
    expect(cache[busybox]!.image).toBe(first!.image);
    expect(await defaultToolboxCandidate(env)).toEqual(first);

    // A changed file (same content here, new mtime) is looked at again, not trusted from the cache.
    await utimes(busybox, new Date(), new Date(Date.now() - 86_400_000));
    const again = await defaultToolboxCandidate(env);
    expect(again!.image).toBe(first!.image);
    const recached = JSON.parse(await readFile(join(dir, 'cache', 'sidekick', 'toolbox-v2.json'), 'utf8')) as Record<string, { identity: string }>;
    expect(recached[busybox]!.identity).not.toBe((cache as unknown as Record<string, { identity: string }>)[busybox]!.identity);
  });

  it('refuses a SIDEKICK_INIT that is not static', async () => {
    await expect(findStaticInit({ SIDEKICK_INIT: process.execPath })).rejects.toThrow(/SIDEKICK_INIT=.* is dynamically linked/);
  });

  it('refuses a SIDEKICK_BUSYBOX that is not static', async () => {
    await expect(findStaticBusybox({ SIDEKICK_BUSYBOX: process.execPath })).rejects.toThrow(/is dynamically linked/);
    await expect(findStaticBusybox({ SIDEKICK_BUSYBOX: join(dir, 'missing') })).rejects.toThrow(/not a readable ELF executable/);
  });
});
