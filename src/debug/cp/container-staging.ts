/**
 * The target-side half of an all-or-nothing copy into a running container: a short-lived
 * sidekick in the chroot view runs cpPublishScript (see there), which makes a staging
 * directory next to the destination, and later renames the upload into place or removes it.
 * The sidekick's stdin is the CLI's link to it: if the CLI dies, however, the input ends and
 * the staging directory is removed.
 */
import { randomBytes } from 'node:crypto';
import { cpPublishScript } from '../../core/cp-publish-script.js';
import { SidekickError } from '../../core/errors.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { startExecSession, type ExecSession } from '../exec-session.js';

export interface ContainerStaging {
  /** The staging directory, as a path in the container. */
  readonly path: string;
  /** Its name inside the destination directory. */
  readonly name: string;
  /** Moves the upload into place; a refusal (what is there cannot be replaced) changes nothing. */
  publish(): Promise<void>;
  /** Removes the staging directory and what was uploaded into it. */
  abort(): Promise<void>;
}

/** A failure to make the staging directory, with the shell's own words (e.g. "Read-only file system"). */
export class StagingRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'StagingRefused';
  }
}

export async function openContainerStaging(engine: Engine, target: Target, directory: string, env: NodeJS.ProcessEnv): Promise<ContainerStaging> {
  const stagingName = `.sidekick-cp-${randomBytes(6).toString('hex')}`;
  const session = await startExecSession(
    engine,
    { target: target.id, command: [], tty: false, interactive: true, chroot: true, privileged: false, capAdd: [], env: [], keep: false, announce: false },
    env,
  );
  const helper = new Helper(session);
  try {
    helper.send(cpPublishScript({ directory, stagingName }));
    const first = await helper.nextLine();
    if (first !== 'ready') {
      await helper.finish();
      if (first?.startsWith('fail ')) throw new StagingRefused(first.slice('fail '.length));
      throw helper.failure('could not prepare the copy');
    }
  } catch (error) {
    await session.dispose().catch(() => undefined);
    throw error;
  }
  const where = `${target.name}:${directory}`;
  return {
    path: `${directory.replace(/\/+$/, '')}/${stagingName}`,
    name: stagingName,
    async publish() {
      helper.send('publish\n');
      const answer = await helper.nextLine();
      await helper.finish();
      if (answer === 'published') return;
      if (answer?.startsWith('conflict ')) {
        throw new SidekickError('BAD_USAGE', `nothing was copied to ${where}: ${answer.slice('conflict '.length)}.`, { hint: 'Choose another destination, or remove what is in the way first.' });
      }
      throw helper.failure(`could not put the copy in place in ${where}; nothing was left there`);
    },
    async abort() {
      helper.send('abort\n');
      await helper.finish();
    },
  };
}

class Helper {
  private buffered = '';
  private errors = '';
  private ended = false;
  private waiter: (() => void) | undefined;
  private readonly exit: Promise<number>;

  constructor(private readonly session: ExecSession) {
    const { stdout, stderr } = session.process;
    stdout.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      this.wake();
    });
    stdout.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stderr.on('data', (chunk: Buffer) => {
      // Kept short: it is only for the message when something unexpected happens.
      if (this.errors.length < 4096) this.errors += chunk.toString('utf8');
    });
    this.exit = session.process.exit.then(
      (status) => status.code,
      () => -1,
    );
    void this.exit.then(() => {
      this.ended = true;
      this.wake();
    });
  }

  send(text: string): void {
    this.session.process.stdin?.write(text);
  }

  async nextLine(): Promise<string | undefined> {
    for (;;) {
      const newline = this.buffered.indexOf('\n');
      if (newline >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        return line;
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Ends the helper's input and waits for it to finish and be removed. */
  async finish(): Promise<number> {
    this.session.process.stdin?.end();
    const code = await this.exit;
    await this.session.dispose().catch(() => undefined);
    return code;
  }

  failure(what: string): SidekickError {
    const detail = this.errors.trim().split('\n')[0] ?? '';
    return new SidekickError('ENGINE_ERROR', `${what}${detail ? `: ${detail}` : ''}.`, { hint: 'Run again with --debug, and report it if it persists.' });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
