/**
 * inject interrupted (SIGKILL, SIGINT) at several points, and inject raced by other injects:
 * the interrupted state is recognised (by its intent record without a manifest), inject again repairs it, eject
 * removes it without running the half-written busybox, and exactly one of several concurrent
 * injects wins while the others say another sidekick is injecting. The point of interruption is
 * exact: a preload (test/fixtures/hold-upload.cjs) lets the CLI send the first 1 MiB of its
 * upload (the intent record and part of busybox) and holds the rest, and the CLI is signalled
 * only then; or it is frozen (SIGSTOP) as soon as its lock exists, before it writes anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { CLI_PATH, expectUntouched, REPO_ROOT, removeTarget, runCli, snapshotTarget, startTarget, type TestTarget } from './harness.js';

const HOLD = join(REPO_ROOT, 'test/fixtures/hold-upload.cjs');

describe('sidekick inject interrupted, and raced', () => {
  const targets: TestTarget[] = [];
  let work = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sidekick-inject-interrupted-'));
    return () => rm(work, { recursive: true, force: true });
  });

  /**
   * Starts an inject whose upload stops after 1 MiB; resolves once the engine has unpacked what
   * came (the busybox is 1 MiB long). The engine holds the container while the upload runs, so
   * even docker diff waits: the witness is the container's layer on this host, only looked at.
   */
  async function heldInject(target: TestTarget): Promise<ReturnType<typeof spawnInject>> {
    const upper = (await docker(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', target.id])).trim();
    const marker = join(work, `held-${target.id}`);
    const running = spawnInject(target, { NODE_OPTIONS: `--require ${HOLD}`, HOLD_UPLOAD_MARKER: marker });
    await waitFor('the held upload', async () => existsSync(marker));
    await waitFor('the engine to unpack it', async () => ((await lstat(join(upper, '.sidekick/bin/busybox')).catch(() => undefined))?.size ?? 0) > 1_000_000);
    return running;
  }

  const children: ChildProcess[] = [];
  afterEach(async () => {
    // A CLI a failed test left running (held upload) must not outlive it.
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(targets.splice(0).map(async (t) => {
      await removeTarget(t.id);
      await docker(['rm', '-f', lockOf(t)]).catch(() => undefined);
    }));
  });

  const start = async (): Promise<TestTarget> => {
    const target = await startTarget(inject('fixtures').scratchServer);
    targets.push(target);
    return target;
  };

  const lockOf = (t: TestTarget): string => `sidekick-inject-lock-${t.id}`;
  const lockExists = async (t: TestTarget): Promise<boolean> => (await docker(['ps', '-aq', '--filter', `name=^${lockOf(t)}$`])).trim() !== '';

  function spawnInject(target: TestTarget, env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
    const child = spawn(process.execPath, [CLI_PATH, 'inject', target.name], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
    return { child, done };
  }

  /** Polls until `seen()` holds; the CLI under test is the one doing the work meanwhile. */
  async function waitFor(what: string, seen: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 2000; i++) {
      if (await seen()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const diffHas = async (t: TestTarget, path: string): Promise<boolean> => lines(await docker(['diff', t.id])).includes(`A ${path}`);

  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    it(`${signal} while the toolbox is being uploaded: recognised, repaired by inject, removed by eject`, async () => {
      const target = await start();
      const before = await snapshotTarget(target.id);
      const { child, done } = await heldInject(target);
      child.kill(signal);
      const ended = await done;
      if (signal === 'SIGKILL') {
        expect(ended.signal).toBe('SIGKILL');
        // The killed CLI could not remove its lock; the next run takes it over (its process is gone).
        expect(await lockExists(target)).toBe(true);
      } else {
        expect(ended.code).toBe(130);
        expect(ended.stderr).toContain(`sidekick: inject into ${target.name} interrupted; temporary files and the lock are removed.`);
        expect(await lockExists(target)).toBe(false);
      }
      // Cut mid-upload: the toolbox is there in part, its manifest is not.
      expect(await diffHas(target, '/.sidekick/injecting.json')).toBe(true);
      expect(await diffHas(target, '/.sidekick/manifest.json')).toBe(false);

      // inject again finishes the job: a toolbox that works.
      const again = await runCli(['inject', target.name]);
      expect(again.stderr).toContain('injected busybox');
      expect(again.code).toBe(0);
      expect(await docker(['exec', target.id, '/.sidekick/bin/sh', '-c', 'echo ok'])).toBe('ok\n');
      expect(await lockExists(target)).toBe(false);
      const ejected = await runCli(['eject', target.name]);
      expect(ejected.code).toBe(0);
      await expectUntouched(before, target.id);
    }, 180_000);
  }

  it('eject removes an interrupted injection whose busybox is cut short, without running it', async () => {
    const target = await start();
    const before = await snapshotTarget(target.id);
    const { child, done } = await heldInject(target);
    child.kill('SIGKILL');
    await done;
    expect(await diffHas(target, '/.sidekick/bin/busybox')).toBe(true);
    // Cut inside the program, as a 2 MB busybox is cut 0.4 s in: it cannot run (the old eject
    // ran it and failed with 139, forever).
    const run = await docker(['exec', target.id, '/.sidekick/bin/busybox', 'true']).then(() => 0, () => 1);
    expect(run).toBe(1);
    const ejected = await runCli(['eject', target.name]);
    expect(ejected.stderr).toContain(`sidekick: removed an interrupted injection at /.sidekick from ${target.name}.`);
    expect(ejected.code).toBe(0);
    await expectUntouched(before, target.id);
    expect(await lockExists(target)).toBe(false);
  }, 180_000);

  it('SIGKILL while holding the lock: the next inject takes the lock over', async () => {
    const target = await start();
    const before = await snapshotTarget(target.id);
    const { child, done } = spawnInject(target);
    await waitFor('the lock', () => lockExists(target));
    child.kill('SIGSTOP');
    child.kill('SIGKILL');
    await done;
    const again = await runCli(['inject', target.name]);
    expect(again.code).toBe(0);
    expect(await lockExists(target)).toBe(false);
    expect((await runCli(['eject', target.name])).code).toBe(0);
    await expectUntouched(before, target.id);
  }, 180_000);

  it('five concurrent injects, three rounds: exactly one writes, the others are told; eject leaves the diff as it was', async () => {
    const target = await start();
    const before = await snapshotTarget(target.id);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(Array.from({ length: 5 }, () => spawnInject(target).done));
      const winners = results.filter((r) => r.code === 0 && r.stderr.includes('injected busybox'));
      const told = results.filter((r) => r.code === 125 && r.stderr.startsWith(`sidekick: another sidekick is injecting into ${target.name}`));
      // One that came after the winner finished finds the toolbox there: that is no second writer.
      const late = results.filter((r) => r.code === 0 && r.stderr.includes(`${target.name} already has the toolbox at /.sidekick`));
      expect(winners.length, results.map((r) => `${r.code}: ${r.stderr}`).join('\n')).toBe(1);
      expect(winners.length + told.length + late.length).toBe(5);
      expect(await docker(['exec', target.id, '/.sidekick/bin/sh', '-c', 'echo ok'])).toBe('ok\n');
      expect(await lockExists(target)).toBe(false);
      const ejected = await runCli(['eject', target.name]);
      expect(ejected.code).toBe(0);
      await expectUntouched(before, target.id);
    }
  }, 300_000);
});
