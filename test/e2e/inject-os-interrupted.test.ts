/**
 * `inject --os IMAGE` interrupted: the image's export (a temporary file of tens of MB on this
 * host) and the engine's export container must not outlive the CLI. SIGINT removes both before
 * the CLI exits; after SIGKILL the next `inject --os` removes the file (its process is gone).
 * The CLI gets a private TMPDIR so that only its own files are looked at, and it is frozen
 * (SIGSTOP) the moment its export file exists, so the point of interruption is exact.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { CLI_PATH, expectUntouched, REPO_ROOT, removeTarget, runCli, snapshotTarget, startTarget, type TestTarget } from './harness.js';

describe('sidekick inject --os IMAGE interrupted', () => {
  const targets: TestTarget[] = [];
  let work = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sidekick-inject-os-interrupted-'));
    return () => rm(work, { recursive: true, force: true });
  });

  afterEach(async () => {
    await Promise.all(
      targets.splice(0).map(async (t) => {
        // What a killed CLI leaves (its lock, the export container) goes with the target.
        const left = (await ofTarget(t)).split('\n').filter(Boolean);
        if (left.length > 0) await docker(['rm', '-f', ...left]).catch(() => undefined);
        await removeTarget(t.id);
      }),
    );
  });

  const exports = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((name) => name.startsWith('sidekick-os-image-'));
  const ofTarget = async (t: TestTarget): Promise<string> => (await docker(['ps', '-aq', '--filter', `label=io.sidekick.target=${t.id}`])).trim();

  async function interrupted(signal: 'SIGINT' | 'SIGKILL', tmp: string): Promise<{ target: TestTarget; code: number | null; stderr: string }> {
    const target = await startTarget(inject('fixtures').scratchServer);
    targets.push(target);
    const child = spawn(process.execPath, [CLI_PATH, 'inject', '--os', inject('fixtures').distroless, target.name], {
      cwd: REPO_ROOT,
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; (await exports(tmp)).length === 0; i++) {
      if (i > 3000) throw new Error('the export never appeared');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGSTOP');
    child.kill(signal);
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    return { target, code: await done, stderr };
  }

  it('SIGINT during the export: the temporary export and the export container are removed, the lock too', async () => {
    const tmp = await mkdtemp(join(work, 'tmp-'));
    const { target, code, stderr } = await interrupted('SIGINT', tmp);
    expect(code).toBe(130);
    expect(stderr).toContain(`sidekick: inject into ${target.name} interrupted; temporary files and the lock are removed.`);
    expect(await exports(tmp)).toEqual([]);
    expect(await ofTarget(target)).toBe('');
  }, 120_000);

  it('SIGKILL during the export: the next inject --os removes the temporary export; eject removes what was written', async () => {
    const tmp = await mkdtemp(join(work, 'tmp-'));
    const { target } = await interrupted('SIGKILL', tmp);
    expect((await exports(tmp)).length).toBe(1);
    // The export container and the lock were left by the killed CLI; prune (or the next run) removes them.
    await docker(['rm', '-f', ...(await ofTarget(target)).split('\n').filter(Boolean)]).catch(() => undefined);

    const next = await startTarget(inject('fixtures').scratchServer);
    targets.push(next);
    const before = await snapshotTarget(next.id);
    const injected = await runCli(['inject', '--os', inject('fixtures').distroless, next.name], { env: { TMPDIR: tmp } });
    expect(injected.code, injected.stderr).toBe(0);
    expect(await exports(tmp)).toEqual([]);
    expect((await runCli(['eject', next.name])).code).toBe(0);
    await expectUntouched(before, next.id);
  }, 180_000);
});
