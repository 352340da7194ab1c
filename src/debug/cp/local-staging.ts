/**
 * A private directory beside a copy's destination, where the archive is unpacked before it is
 * put in place by rename (docs/RELIABILITY.md, "cp"): a copy that fails or is interrupted
 * leaves nothing under the destination's name.
 *
 * The CLI removes the staging directory on every exit path it sees (success, failure, SIGINT,
 * SIGTERM, SIGHUP). SIGKILL runs no code of ours, so a small watchdog, started with the
 * staging directory, removes it when the CLI goes away: it is `sh` reading a pipe whose only
 * writer is the CLI; the pipe ends when the CLI's process ends, however it ends. The watchdog
 * is in its own process group, so the terminal's Ctrl-C does not end it first. It is started
 * before the directory is made, under a name chosen first: a SIGKILL between the two then
 * leaves nothing (made the other way round, a kill in between left the directory for good).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const STAGING_PREFIX = '.sidekick-cp-';

export class LocalStaging {
  private constructor(
    readonly path: string,
    private readonly watchdog: ChildProcess | undefined,
  ) {}

  /** Makes the staging directory inside `directory` (which must be a real directory). */
  static async create(directory: string): Promise<LocalStaging> {
    for (;;) {
      const staging = path.join(directory, `${STAGING_PREFIX}${randomBytes(6).toString('base64url')}`);
      const watchdog = startWatchdog(staging);
      try {
        // Private and exclusive, as mkdtemp makes it.
        await fs.mkdir(staging, { mode: 0o700 });
        return new LocalStaging(staging, watchdog);
      } catch (error) {
        // Not ours: the watchdog must not remove it. Its pipe is closed without the end it waits for.
        watchdog?.kill('SIGKILL');
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  /** Removes the staging directory and what is left in it; links are removed as links, never followed. */
  async remove(): Promise<void> {
    await fs.rm(this.path, { recursive: true, force: true });
    // Ending the pipe lets the watchdog finish: its own removal then finds nothing.
    this.watchdog?.stdin?.end();
  }
}

function startWatchdog(staging: string): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    const child = spawn('/bin/sh', ['-c', 'while read -r _; do :; done; rm -rf -- "$1"', 'sidekick-cp-cleanup', staging], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    // A host without /bin/sh loses only the SIGKILL case.
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  } catch {
    return undefined;
  }
}
