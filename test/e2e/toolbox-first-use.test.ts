/**
 * `inspect`, `ps`, `ls` and `exec` create their sidekick without asking first whether the engine has the
 * default toolbox image (debug/toolbox.ts, assumeDefaultToolbox; debug/exec-session.ts): when
 * it does not, the create's "no such image" makes them build it and create again. A busybox of
 * its own (a copy of this host's with bytes appended, so its image tag is new) stands for a
 * toolbox not built yet, without touching the image that other tests share.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { InspectReport } from '../../src/debug/inspect-report.js';
import { docker, lines } from '../fixtures/docker-cli.js';
import { removeTarget, runCli, startTarget, waitForHttp, type TestTarget } from './harness.js';

const SOURCE_LABEL = 'io.sidekick.toolbox.source';

describe('the default toolbox, built on first use', () => {
  const targets: TestTarget[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => removeTarget(t.id)));
    for (const dir of dirs.splice(0)) {
      const images = lines(await docker(['images', '-q', '--filter', `label=${SOURCE_LABEL}=${join(dir, 'busybox')}`]));
      if (images.length > 0) await docker(['rmi', '-f', ...new Set(images)]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** A busybox whose toolbox image the engine cannot have, and a cache of sidekick's own. */
  async function freshBusybox(): Promise<{ env: Record<string, string>; images: () => Promise<string[]> }> {
    const dir = await mkdtemp(join(tmpdir(), 'sidekick-first-use-'));
    dirs.push(dir);
    const busybox = join(dir, 'busybox');
    await copyFile('/bin/busybox', busybox);
    await appendFile(busybox, randomBytes(16));
    return {
      env: { SIDEKICK_BUSYBOX: busybox, XDG_CACHE_HOME: join(dir, 'cache') },
      images: async () => lines(await docker(['images', '-q', '--filter', `label=${SOURCE_LABEL}=${busybox}`])),
    };
  }

  for (const command of ['inspect', 'ps', 'ls', 'exec'] as const) {
    it(`${command}: the create finds no image, the toolbox is built and the command works`, async () => {
      const target = await startTarget(inject('fixtures').scratchServer);
      targets.push(target);
      await waitForHttp(target.ip, 8080);
      const { env, images } = await freshBusybox();
      expect(await images()).toEqual([]);

      const args = { inspect: ['inspect', '--json', target.name], ps: ['ps', target.name], ls: ['ls', `${target.name}:/`], exec: ['exec', target.name, '--', 'cat', '/proc/1/cmdline'] }[command];
      const result = await runCli(args, { env, timeoutMs: 120_000 });
      expect(result.code).toBe(0);
      if (command === 'inspect') {
        const report = JSON.parse(result.stdout.toString('utf8')) as InspectReport;
        expect(report.pid1).toMatchObject({ pid: 1, commandLine: ['/server'] });
      } else if (command === 'ls') {
        expect(result.stdout.toString('utf8')).toMatch(/\bserver$/m);
      } else if (command === 'ps') {
        expect(result.stdout.toString('utf8')).toMatch(/^\s*1\s.*\/server$/m);
      } else {
        expect(result.stdout.toString('utf8')).toBe('/server\0');
      }
      expect(await images()).toHaveLength(1);
    });
  }
});
