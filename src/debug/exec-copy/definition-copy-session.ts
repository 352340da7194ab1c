/**
 * `sidekick exec --copy` on an engine that copies from the target's definition (a pod's spec)
 * instead of a snapshot of its files (docs/ARCHITECTURE.md, "Debug copies"). The session is the
 * same as a snapshot copy's: the toolbox under the private prefix, the user's shell or command
 * first, the original entrypoint on demand (`run-entrypoint`), a lease, nothing written to the
 * original; what differs (the copy starts from the image) is said in the notices.
 */
import { COPY_PREFIX, COPY_START, COPY_TOOLS, RUN_ENTRYPOINT, copyStartScript, runEntrypointScript } from '../../core/copy-script.js';
import { SidekickError } from '../../core/errors.js';
import { newSessionId, sessionLabels } from '../../core/labels.js';
import type { DefinitionCopyCapability, Engine } from '../../engines/engine.js';
import { leaseEnvironment, renewLease } from '../lease.js';
import type { CopyEvents, CopyRequest, CopySession } from './copy-session.js';
import { envValue, mergeEnv } from './copy-spec.js';

export async function startDefinitionCopySession(engine: Engine, copies: DefinitionCopyCapability, request: CopyRequest, events: CopyEvents): Promise<CopySession> {
  if (request.imageOnly) {
    throw new SidekickError('ENGINE_UNSUPPORTED', `the ${engine.kind} engine runs no image by itself: a copy is made of a pod's container.`, {
      hint: 'Name a pod: sidekick exec --copy pod/NAME[/CONTAINER].',
    });
  }
  if (request.network !== undefined) {
    throw new SidekickError('BAD_USAGE', `--network does not apply to a copy on ${engine.kind}: the copy is a pod, on the cluster's network.`, { hint: 'Drop --network.' });
  }
  const target = await engine.findContainer(request.target);
  const sessionId = newSessionId();
  const labels = sessionLabels({ session: sessionId, kind: 'copy', target: target.id, created: new Date() });
  const originalPs1 = envValue(target.env, 'PS1');
  const start = copyStartScript({ label: `copy of ${target.name}` });
  const runEntrypoint = runEntrypointScript({ entrypoint: target.entrypoint, cmd: target.cmd, ...(originalPs1 !== undefined ? { originalPs1 } : {}) });
  if (events.signal?.aborted) throw cancelled(events.signal);
  events.onStep?.(`starting a copy of ${target.name}`);
  const copy = await copies.startDefinitionCopy({
    targetId: target.id,
    ...(request.name !== undefined ? { name: request.name } : {}),
    toolsDirectory: COPY_PREFIX,
    files: [
      { path: relative(COPY_START), content: start, executable: false },
      { path: relative(`${COPY_TOOLS}/${RUN_ENTRYPOINT}`), content: runEntrypoint, executable: true },
    ],
    command: [...request.command],
    // Only what the user adds: the engine keeps the original's own environment (secrets by reference included).
    env: request.keep ? mergeEnv([], request.env) : [...mergeEnv([], request.env), leaseEnvironment()],
    ...(request.user !== undefined && request.user !== 'target' ? { user: request.user } : {}),
    ...(request.workdir !== undefined ? { workingDir: request.workdir } : {}),
    tty: request.tty,
    openStdin: request.interactive,
    rwVolumes: request.rwVolumes,
    privileged: request.privileged,
    capAdd: request.capAdd,
    labels,
    keep: request.keep,
  });
  const stopRenewing = request.keep ? () => undefined : renewLease(copy.process);
  copy.process.exit.then(stopRenewing, stopRenewing);
  const notices = [...copy.notices];
  if (target.entrypoint.length === 0) {
    notices.push(`${target.name} has no command in its spec, and the image's own entrypoint cannot be read here: ${RUN_ENTRYPOINT} runs the spec's args, or the arguments it is given.`);
  }
  let disposing: Promise<void> | undefined;
  const session: CopySession = {
    sessionId,
    containerId: copy.id,
    snapshot: undefined,
    origin: {
      kind: 'container',
      name: target.name,
      state: target.status === 'exited' ? `exited (${target.exitCode})` : target.status,
      entrypoint: target.entrypoint,
      cmd: target.cmd,
    },
    notices,
    process: copy.process,
    dispose() {
      if (request.keep) return Promise.resolve();
      disposing ??= (async () => {
        stopRenewing();
        await copies.removeDefinitionCopy(copy.id);
        await Promise.race([copy.process.exit.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      })();
      return disposing;
    },
  };
  if (events.signal?.aborted) {
    await session.dispose().catch(() => undefined);
    throw cancelled(events.signal);
  }
  return session;
}

function relative(path: string): string {
  if (!path.startsWith(`${COPY_PREFIX}/`)) throw new SidekickError('INTERNAL', `${path} is not under ${COPY_PREFIX}`);
  return path.slice(COPY_PREFIX.length + 1);
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

function cancelled(signal: AbortSignal): SidekickError {
  const name = typeof signal.reason === 'string' ? signal.reason : 'SIGINT';
  return new SidekickError('INTERNAL', `cancelled by ${name} before the copy started; nothing was left behind.`, { exitCode: 128 + (SIGNAL_NUMBERS[name] ?? 2) });
}
