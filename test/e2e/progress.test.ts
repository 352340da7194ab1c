/**
 * The progress line (src/cli/progress-line.ts) on a real terminal, and nothing of it when
 * stderr is not one (docs/RELIABILITY.md, "cli flags"). `script` gives the CLI a pseudo-terminal
 * and records every byte written to it, the line's redraws included.
 */
/* eslint-disable no-control-regex -- the terminal's own escape sequences are what these tests read */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { run } from '../fixtures/docker-cli.js';
import { CLI_PATH, REPO_ROOT, removeTarget, runCli, startTarget, waitExited } from './harness.js';
import { expectNoSidekicks } from './sidekick-leftovers.js';

const SIZE = 128 * 1024 * 1024;
const ERASE = '\r\x1b[K';

/** Runs the CLI on a pseudo-terminal; returns its exit status and everything the terminal received. */
async function onTerminal(args: string[], log: string): Promise<{ code: number; screen: string }> {
  const command = ['node', CLI_PATH, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  // A wide terminal: the line is cut to the terminal's width (80 columns when it does not say).
  const result = await run('script', ['-q', '-e', '-c', `stty cols 200 rows 50; ${command}`, log], { cwd: REPO_ROOT, timeoutMs: 120_000 });
  return { code: result.code, screen: await readFile(log, 'utf8') };
}

describe('progress on a terminal', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function workDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'sidekick-progress-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  it('cp of a large file shows bytes and rate on one line, erased at the end; nothing without a terminal', async () => {
    const dir = await workDir();
    const big = join(dir, 'big.bin');
    await writeFile(big, randomBytes(1024 * 1024).toString('hex').repeat(SIZE / (2 * 1024 * 1024)));
    const t = await startTarget(inject('fixtures').scratchServer);
    cleanups.push(() => removeTarget(t.id));

    const up = await onTerminal(['cp', big, `${t.name}:/big.bin`], join(dir, 'up.log'));
    expect(up.code).toBe(0);
    expect(up.screen).toContain(`${ERASE}sidekick: copying ${big} to ${t.name}:/big.bin (0 s)`);
    expect(up.screen).toMatch(/\r\x1b\[Ksidekick: copying \S+ to \S+: \d+\.\d (KiB|MiB|GiB) \(\d+\.\d (KiB|MiB|GiB)\/s\) \(\d+ s\)/);
    // The last thing drawn is the erase: what follows on the terminal starts on a clean line.
    expect(up.screen.slice(up.screen.lastIndexOf('sidekick: copying'))).toContain(ERASE);
    expect(up.screen).not.toMatch(/sidekick: copying[^\r]*\n/);

    const back = join(dir, 'back.bin');
    const down = await onTerminal(['cp', `${t.name}:/big.bin`, back], join(dir, 'down.log'));
    expect(down.code).toBe(0);
    expect(down.screen).toMatch(/\r\x1b\[Ksidekick: copying \S+ to \S+: \d+\.\d MiB \(\d+\.\d (KiB|MiB|GiB)\/s\)/);
    expect((await stat(back)).size).toBe(SIZE);

    // Without a terminal: not a byte of progress.
    const quiet = await runCli(['cp', `${t.name}:/big.bin`, join(dir, 'quiet.bin')]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout.toString()).toBe('');
    await expectNoSidekicks(t.id);
  });

  it('exec --copy shows the snapshot step on a terminal, and nothing of it without one', async () => {
    const dir = await workDir();
    const t = await startTarget(inject('fixtures').exitsAtOnce);
    cleanups.push(() => removeTarget(t.id));
    await waitExited(t.id);
    const shown = await onTerminal(['exec', '--copy', t.name, '--', 'true'], join(dir, 'copy.log'));
    expect(shown.code).toBe(0);
    expect(shown.screen).toContain(`${ERASE}sidekick: taking a snapshot of ${t.name} (0 s)`);
    expect(shown.screen).toContain(`${ERASE}sidekick: starting the copy of ${t.name}`);
    // Erased before the banner: the banner's first line starts clean.
    expect(shown.screen).toMatch(/\r\x1b\[Ksidekick: a copy of container/);

    const quiet = await runCli(['exec', '--copy', t.name, '--', 'true']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    await expectNoSidekicks(t.id);
  });
});
