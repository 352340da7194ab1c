/**
 * SIGINT while the engine is creating the target's lock (its answer held back by
 * test/fixtures/delay-lock-create.cjs): the CLI says the lock is removed, so it must be, even
 * though it learns of the lock only after the signal. Found by the stress runs
 * (stress/cli-kill.stress.ts, inject SIGINT 0.4 s after start: the lock container stayed).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { CLI_PATH, expectUntouched, REPO_ROOT, removeTarget, snapshotTarget, startTarget, type TestTarget } from './harness.js';

const DELAY = join(REPO_ROOT, 'test/fixtures/delay-lock-create.cjs');

describe('inject and eject interrupted while the lock is being created', () => {
  const targets: TestTarget[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const t of targets.splice(0)) {
      await docker(['rm', '-f', `sidekick-inject-lock-${t.id}`]).catch(() => undefined);
      await removeTarget(t.id);
    }
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it.each(['inject', 'eject'])('%s: SIGINT before the engine answers; the lock it made is removed', async (command) => {
    const target = await startTarget(inject('fixtures').scratchServer);
    targets.push(target);
    const before = await snapshotTarget(target.id);
    const dir = await mkdtemp(join(tmpdir(), 'sidekick-lock-create-'));
    dirs.push(dir);
    const marker = join(dir, 'marker');
    const child = spawn(process.execPath, [CLI_PATH, command, target.name], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: `--require ${DELAY}`, DELAY_LOCK_MARKER: marker },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    for (let i = 0; !existsSync(marker); i++) {
      if (i > 1500) throw new Error(`the lock was never created; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGINT');
    expect(await code, stderr).toBe(130);
    expect(lines(await docker(['ps', '-aq', '--filter', `name=^sidekick-inject-lock-${target.id}$`]))).toEqual([]);
    await expectUntouched(before, target.id);
  });
});
