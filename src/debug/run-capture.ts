import { createWithName, isNameInUse } from '../core/container-name.js';
import { isSidekickError, SidekickError } from '../core/errors.js';
import { newSessionId, sessionLabels } from '../core/labels.js';
import type { Engine, SidekickSpec } from '../engines/engine.js';
import { stopSidekick, type SidekickLaunch } from './sidekick-launch.js';

export interface CaptureRequest {
  image: string;
  /** A busybox sh script; it runs as `sh -c "$SIDEKICK_SCRIPT"` so that it never shows up as a long argv. */
  script: string;
  env?: string[];
  target: SidekickSpec['target'];
  /** Recorded in the io.sidekick.target label; absent for a sidekick that serves several targets. */
  labelTarget?: string;
  /** What the sidekick's name says it is for (`sidekick-<this>-<id>`): the target's name, or "all". */
  nameFor: string;
  capAdd: string[];
  /** Output beyond this is an error rather than memory exhaustion: the target's files are not ours to trust. */
  maxBytes?: number;
  /** A process stuck in the kernel can make reading its /proc files block; a debugging tool must not hang with it. */
  timeoutMs?: number;
  /** The init, preload and target variables (debug/sidekick-launch.ts); none for a host-PID sidekick. */
  launch?: SidekickLaunch;
  /** Makes the image when the engine has none (a default toolbox assumed present, debug/toolbox.ts); the create is then made again, once. */
  buildImage?: () => Promise<void>;
}

export interface CaptureResult {
  sidekickId: string;
  code: number;
  stdout: Buffer;
  stderr: string;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * Runs a short-lived sidekick (no TTY, no stdin, removed by the engine when it ends) and
 * collects what it prints. The container is removed even when this process is interrupted,
 * because auto-remove is the engine's job.
 */
export async function runCapture(engine: Engine, request: CaptureRequest): Promise<CaptureResult> {
  const session = newSessionId();
  const create = (name: string) => engine.runSidekick({
    name,
    image: request.image,
    command: [...(request.launch?.commandPrefix ?? []), '/bin/sh', '-c', 'eval "$SIDEKICK_SCRIPT"', 'sidekick'],
    env: [...(request.env ?? []), ...(request.launch?.env ?? []), `SIDEKICK_SCRIPT=${request.script}`],
    ...(request.launch?.preload ? { preload: request.launch.preload } : {}),
    tty: false,
    openStdin: false,
    labels: sessionLabels({
      session,
      kind: 'sidekick',
      ...(request.labelTarget !== undefined ? { target: request.labelTarget } : {}),
      created: new Date(),
    }),
    target: request.target,
    capAdd: request.capAdd,
    privileged: false,
    autoRemove: true,
  });
  const sidekick = await createWithName(undefined, request.nameFor, session, async (name) => {
    try {
      return await create(name);
    } catch (error) {
      if (!(isSidekickError(error) && error.code === 'IMAGE_UNAVAILABLE' && request.buildImage)) throw error;
      await request.buildImage();
      return create(name);
    }
  }, isNameInUse);
  const underInit = request.launch?.underInit ?? false;
  const limit = request.maxBytes ?? DEFAULT_MAX_BYTES;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  let overflow = false;
  sidekick.process.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      if (!overflow) void stopSidekick(engine, sidekick.id, underInit).catch(() => undefined);
      overflow = true;
      return;
    }
    out.push(chunk);
  });
  sidekick.process.stderr.on('data', (chunk: Buffer) => {
    if (err.length < 1000) err.push(chunk);
  });
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopSidekick(engine, sidekick.id, underInit).catch(() => undefined);
  }, timeoutMs);
  let code: number;
  try {
    ({ code } = await sidekick.process.exit);
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) {
    throw new SidekickError('ENGINE_ERROR', `the sidekick reading /proc did not finish within ${Math.round(timeoutMs / 1000)} s and was removed.`, {
      hint: 'A process of the target may be stuck in the kernel (state D); `sidekick exec` gives a shell to look at it.',
    });
  }
  if (overflow) {
    throw new SidekickError('INTERNAL', `the sidekick's output passed ${limit} bytes and was stopped.`, {
      hint: 'The target holds unexpectedly large /proc data; run with --debug and report it.',
    });
  }
  return { sidekickId: sidekick.id, code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
}
