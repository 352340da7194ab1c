import { SidekickError } from '../core/errors.js';
import { LABEL_KIND, LABEL_SESSION } from '../core/labels.js';
import type { ExitStatus, ProcessHandle, SignalableProcess } from '../core/process-handle.js';
import type { Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { chooseDetachKeys, parseDetachKeys } from './detach-keys.js';
import { connectEngineFor, sameEngineFlags, type GlobalFlags } from './engine-from-flags.js';
import { formatArgv } from '../core/shell-word.js';
import { pumpTerminal } from './terminal.js';
import { terminalSafe } from './terminal-safe.js';
import { optionalCapability, requireCapability } from '../engines/capabilities.js';

type Attacher = (sidekick: Target, options: { tty: boolean; openStdin: boolean; detachKeys?: string }) => Promise<SignalableProcess>;

/**
 * How this engine attaches to a session: to the sidekick container itself where it has
 * containers of sidekick's own (Docker, which also matches the detach keys), otherwise through
 * its `sessionAttach` (a pod's ephemeral container; the keys are matched by this client). Asked
 * before anything is looked up, so an engine with neither says so first.
 */
function sessionAttacher(engine: Engine): Attacher {
  const containers = optionalCapability(engine, 'containers');
  if (containers !== undefined) {
    return (sidekick, options) => containers.attachContainer(sidekick.id, { ...options, autoRemove: sidekick.autoRemove === true });
  }
  const sessions = requireCapability(engine, 'sessionAttach', 'attach to a detached sidekick (sidekick exec --attach)');
  return (sidekick, options) => sessions.attachSession(sidekick.id, { tty: options.tty, openStdin: options.openStdin });
}

/**
 * `sidekick exec --attach NAME`: back into a session started with `exec -d`, as `docker attach`.
 * Leaving it again (the detach keys, or a signal to this CLI) leaves it running: it was detached
 * on purpose. Its own end (exit in its shell) ends it as any session: the engine removes it.
 */
export async function runAttach(name: string, flags: { detachKeys?: string }, global: GlobalFlags): Promise<number> {
  // pod/NAME/sidekick-…: the cluster's (exec -d printed it so); any other name: Docker's.
  const engine = await connectEngineFor(name, global);
  try {
    const attach = sessionAttacher(engine);
    const sidekick = await engine.findContainer(name);
    if (sidekick.labels[LABEL_KIND] !== 'sidekick' || sidekick.labels[LABEL_SESSION] === undefined) {
      throw new SidekickError('BAD_USAGE', `${terminalSafe(sidekick.name)} is not a sidekick session.`, { hint: 'sidekick sessions lists them; exec --attach takes the name exec -d printed.' });
    }
    if (sidekick.status !== 'running') {
      throw new SidekickError('TARGET_NOT_RUNNING', `sidekick ${terminalSafe(sidekick.name)} is not running (${sidekick.status}).`, { hint: 'Start a new session with sidekick exec.' });
    }
    const tty = sidekick.tty === true;
    const interactive = sidekick.openStdin === true;
    if (tty && interactive && process.stdin.isTTY !== true) {
      const logs = engine.commands.followLogs(sidekick.name);
      throw new SidekickError('BAD_USAGE', 'the input device is not a TTY: this session has a terminal, and attaching to it needs one on stdin.', {
        hint: `Run it from a terminal${logs !== undefined ? `, or read its output with ${logs}` : ''}.`,
      });
    }
    const spec = tty && interactive ? chooseDetachKeys(flags.detachKeys, process.env) : undefined;
    const attached = await attach(sidekick, { tty, openStdin: interactive, ...(spec ? { detachKeys: spec } : {}) });
    let letGo: (status: ExitStatus) => void = () => undefined;
    const leftRunning = new Promise<ExitStatus>((resolve) => (letGo = resolve));
    // A signal to this CLI lets go of the session rather than waiting for its end.
    const handle: ProcessHandle = { ...attached, exit: Promise.race([attached.exit, leftRunning]), detach: () => attached.detach() };
    const shown = terminalSafe(sidekick.name);
    const status = await pumpTerminal(handle, {
      tty,
      interactive,
      onTerminate: async () => {
        attached.detach();
        letGo({ code: 0 });
      },
      ...(spec
        ? {
            detach: {
              keys: parseDetachKeys(spec),
              onDetach: async () => {
                process.stderr.write(`\nsidekick: detached (${spec}); ${shown} keeps running. Back in: ${terminalSafe(formatArgv(['sidekick', 'exec', '--attach', sidekick.name, ...sameEngineFlags(global)]))}\n`);
                return 0;
              },
            },
          }
        : {}),
    });
    attached.detach();
    return status;
  } finally {
    engine.close();
  }
}
