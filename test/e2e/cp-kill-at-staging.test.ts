/**
 * `cp T:/file DIR` killed with SIGKILL the instant its private staging directory exists
 * (test/fixtures/kill-at-staging.cjs): the directory must still be removed. Found by the stress
 * runs (stress/cli-kill.stress.ts, SIGKILL 0.2 s after start): the staging directory was made
 * before the watchdog that removes it after a SIGKILL, and a kill in between left it for good.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { craftedTar } from '../fixtures/hostile-fixtures.js';
import { REPO_ROOT, removeTarget, runCli, startTarget, type TestTarget } from './harness.js';

const KILL_AT_STAGING = path.join(REPO_ROOT, 'test/fixtures/kill-at-staging.cjs');

describe('sidekick cp killed the moment its staging directory exists', () => {
  let target: TestTarget | undefined;
  let work = '';
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sidekick-cp-kill-at-staging-'));
  });
  afterEach(async () => {
    if (target) await removeTarget(target.id);
    target = undefined;
    await rm(work, { recursive: true, force: true });
  });

  it('leaves nothing in the destination directory', async () => {
    target = await startTarget(inject('fixtures').scratchServer);
    await docker(['cp', '-', `${target.id}:/`], { input: craftedTar([{ name: 'file', type: 'file', content: 'x\n' }]) });
    const out = path.join(work, 'out');
    await mkdir(out);
    const killed = await runCli(['cp', `${target.name}:/file`, out], { env: { NODE_OPTIONS: `--require ${KILL_AT_STAGING}` } });
    expect(killed.code).toBe(137);
    // The watchdog reads a pipe only the CLI held: it sees its end and removes the directory.
    const deadline = Date.now() + 10_000;
    while ((await readdir(out)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await readdir(out)).toEqual([]);
  });
});
