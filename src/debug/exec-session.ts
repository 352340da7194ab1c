import { SidekickError } from '../core/errors.js';
import { createWithName, isNameInUse } from '../core/container-name.js';
import { VIEW_APPLETS } from '../core/dynamic-view.js';
import { newSessionId, sessionLabels, warmSessionLabels, LABEL_DETACHED, LABEL_TOOLBOX_INIT, LABEL_TOOLBOX_STATIC, LABEL_TOOLBOX_VIEW } from '../core/labels.js';
import type { ProcessHandle } from '../core/process-handle.js';
import { isValidRunAs, sidekickScript, type FilesystemView } from '../core/sidekick-script.js';
import type { Target } from '../core/target.js';
import type { Engine, EngineCommands, ProgressEvent } from '../engines/engine.js';
import { withCommand } from './engine-hint.js';
import { assertSessionInput } from './session-input.js';
import { leaseEnvironment, renewLease } from './lease.js';
import { viewPreload } from './toolbox-view.js';
import { cachedPackageToolbox, ensurePackageToolbox, type PackageToolboxEvents } from './package-toolbox.js';
import { sidekickLaunch, stopSidekick, type PreloadEntry } from './sidekick-launch.js';
import { buildToolbox, defaultToolboxCandidate, ensureDefaultToolbox, INIT_PATH, type DefaultToolbox, type Toolbox } from './toolbox.js';
import { isSidekickError } from '../core/errors.js';
import { requireCapability } from '../engines/capabilities.js';

export interface ExecRequest {
  target: string;
  command: string[];
  tty: boolean;
  interactive: boolean;
  image?: string;
  /** Debian packages to make the toolbox of (--tools); built once, see package-toolbox.ts. */
  tools?: string[];
  /** true: --chroot, false: --no-chroot, undefined: decided by the toolbox. */
  chroot?: boolean;
  privileged: boolean;
  capAdd: string[];
  /** `target`, `UID[:GID]`, or undefined for root. */
  user?: string;
  env: string[];
  name?: string;
  keep: boolean;
  /** For the prompt line that says where the target's files are. */
  announce: boolean;
  consoleSize?: { cols: number; rows: number };
  detachKeys?: string;
  /** Files put into the sidekick's own filesystem before it starts (never into the target). */
  files?: PreloadEntry[];
  /** -w: absolute directory the command starts in (the target's, in the chroot view). */
  workdir?: string;
  /** -d: the session outlives its client (no lease) and is labelled so (LABEL_DETACHED). */
  detached?: boolean;
}

export interface ExecEvents extends PackageToolboxEvents {
  onToolboxBuild?: (source: string) => void;
  onProgress?: (event: ProgressEvent) => void;
  /** Which toolbox image the session uses (for --debug). */
  onToolbox?: (image: string, how: string) => void;
}

export interface ExecSession {
  sessionId: string;
  sidekickId: string;
  /** The sidekick container's name (`sidekick-<target>-<short id>` unless --name was given). */
  sidekickName: string;
  target: Target;
  view: FilesystemView;
  process: ProcessHandle;
  /** Removes the sidekick (unless kept); safe to call more than once and after it ended. */
  dispose(): Promise<void>;
}

/** Resolves the target, readies the toolbox, and starts a sidekick in the target's namespaces. */
export async function startExecSession(engine: Engine, request: ExecRequest, env: NodeJS.ProcessEnv, events: ExecEvents = {}): Promise<ExecSession> {
  validate(request);
  // A package toolbox may need a build of many seconds: only for a target that is there to debug.
  const lookups =
    request.tools !== undefined
      ? // The cached image is looked up beside the target; a build waits for the target to be found.
        Promise.all([engine.findContainer(request.target), cachedPackageToolbox(engine, { packages: request.tools }, env)]).then(async ([found, cached]) => {
          assertJoinable(found, engine.commands);
          if (cached !== undefined) {
            events.onToolbox?.(cached.image, 'cached');
            return [found, cached] as const;
          }
          return [found, await packageToolbox(engine, request.tools ?? [], env, events)] as const;
        })
      : Promise.all([engine.findContainer(request.target), resolveToolbox(engine, request.image, env, events)]);
  // The labels' owner key and client identity are read once per process (a few files, an
  // HMAC): that is done while the engine answers, once the requests are on their way.
  setImmediate(warmSessionLabels);
  const [target, toolbox] = await lookups;
  assertJoinable(target, engine.commands);

  const view = chooseView(request.chroot);
  // A toolbox not known to be static runs in the chroot view through its own loader (core/dynamic-view.ts).
  const dynamicView = view === 'chroot' && !toolbox.isStatic;
  const sessionId = newSessionId();
  const launch = await sidekickLaunch(toolbox, target, env, [...(dynamicView && !toolbox.hasViewApplets ? await viewPreload(env) : []), ...(request.files ?? [])]);
  const viewShell = dynamicView || toolbox.hasViewApplets === true;
  const script = sidekickScript({
    view,
    announce: request.announce,
    targetName: target.name,
    underInit: launch.underInit,
    dynamicView,
    viewApplets: viewShell,
    ...(request.user !== undefined ? { runAs: request.user } : {}),
    ...(request.workdir !== undefined ? { workdir: request.workdir } : {}),
    ...(request.tty && request.consoleSize ? { awaitTerminalSize: true } : {}),
  });
  // A kept sidekick is kept on purpose: it outlives its client, so it holds no lease.
  const unleased = request.keep || request.detached === true;
  const lease = unleased ? [] : [leaseEnvironment()];
  const spec = {
    image: toolbox.image,
    // The script travels in the environment so that `ps` in the session shows a short anchor line.
    command: [...launch.commandPrefix, viewShell ? `${VIEW_APPLETS}/sh` : '/bin/sh', '-c', 'eval "$SIDEKICK_SCRIPT"', 'sidekick', ...request.command],
    env: [...request.env, ...launch.env, ...lease, `SIDEKICK_SCRIPT=${script}`, 'HOME=/root', `TERM=${env.TERM ?? 'xterm'}`],
    ...(launch.preload ? { preload: launch.preload } : {}),
    tty: request.tty,
    openStdin: request.interactive,
    labels: {
      ...sessionLabels({ session: sessionId, kind: 'sidekick', target: target.id, created: new Date() }),
      ...(request.detached ? { [LABEL_DETACHED]: 'true' } : {}),
    },
    target: { id: target.id, joinIpc: target.namespaceModes.ipc.kind === 'shareable' },
    capAdd: ['SYS_PTRACE', ...request.capAdd],
    privileged: request.privileged,
    autoRemove: !request.keep,
    ...(request.consoleSize ? { consoleSize: request.consoleSize } : {}),
    ...(request.detachKeys !== undefined ? { detachKeys: request.detachKeys } : {}),
  };
  let sidekickName = '';
  const sidekick = await createWithName(request.name, target.name, sessionId, async (name) => {
    sidekickName = name;
    try {
      return await engine.runSidekick({ ...spec, name });
    } catch (error) {
      // The default toolbox is assumed present (one round trip saved on every run); build it on first use.
      if (!(isSidekickError(error) && error.code === 'IMAGE_UNAVAILABLE' && isDefault(toolbox))) throw error;
      await buildToolbox(engine, toolbox, {
        ...(events.onToolboxBuild ? { onBuild: events.onToolboxBuild } : {}),
      });
      return engine.runSidekick({ ...spec, name });
    }
  }, isNameInUse);

  let disposed = false;
  const stopRenewing = unleased ? () => undefined : renewLease(sidekick.process);
  // With auto-remove, the engine's wait (condition "removed") settles only once the container is gone.
  sidekick.process.exit.then(
    () => {
      stopRenewing();
      if (!request.keep) disposed = true;
    },
    () => stopRenewing(),
  );
  const running = sidekick;
  return {
    sessionId,
    sidekickId: sidekick.id,
    // How the user names it to this engine (a pod's ephemeral container: pod/NAME/sidekick-…).
    sidekickName: sidekick.reference ?? sidekickName,
    target,
    view,
    process: sidekick.process,
    async dispose() {
      if (disposed || request.keep) return;
      disposed = true;
      stopRenewing();
      await stopSidekick(engine, running.id, launch.underInit);
    },
  };
}

function validate(request: ExecRequest): void {
  if (request.user !== undefined && !isValidRunAs(request.user)) {
    throw new SidekickError('BAD_USAGE', `--user ${request.user} is not UID, UID:GID or "target".`, {
      hint: 'Names are not resolved: the target may have no /etc/passwd. Use numbers, or --user target.',
    });
  }
  assertSessionInput(request);
}

function assertJoinable(target: Target, commands: EngineCommands): void {
  if (target.status === 'running') return;
  if (target.status === 'paused') {
    throw new SidekickError('TARGET_PAUSED', `container ${target.name} is paused; a sidekick cannot start in its namespaces.`, {
      hint: `${withCommand('Unpause it', commands.unpauseContainer(target.name))} and try again, or debug a copy with sidekick exec --copy ${target.name}.`,
    });
  }
  throw new SidekickError('TARGET_NOT_RUNNING', `container ${target.name} is not running (${target.status}); there are no namespaces to join.`, {
    hint: 'Debug a copy of it instead with `sidekick exec --copy`.',
  });
}

function isDefault(toolbox: Toolbox): toolbox is DefaultToolbox {
  return 'source' in toolbox;
}

async function packageToolbox(engine: Engine, tools: string[], env: NodeJS.ProcessEnv, events: ExecEvents): Promise<Toolbox> {
  const toolbox = await ensurePackageToolbox(engine, { packages: tools }, env, events);
  events.onToolbox?.(toolbox.image, toolbox.built ? 'built now' : 'cached');
  return toolbox;
}

async function resolveToolbox(engine: Engine, image: string | undefined, env: NodeJS.ProcessEnv, events: ExecEvents): Promise<Toolbox> {
  if (engine.images === undefined && engine.pulledToolboxImage !== undefined) return pulledToolbox(engine.pulledToolboxImage, image);
  const images = requireCapability(engine, 'images', 'get the toolbox image (sidekick exec --image)');
  if (image === undefined) {
    const candidate = await defaultToolboxCandidate(env);
    if (candidate !== undefined) return candidate;
    return ensureDefaultToolbox(engine, env, {
      ...(events.onToolboxBuild ? { onBuild: events.onToolboxBuild } : {}),
      ...(events.onProgress ? { onProgress: events.onProgress } : {}),
    });
  }
  let labels = await images.imageLabels(image);
  if (labels === undefined) {
    await images.pullImage(image, events.onProgress ?? (() => undefined));
    labels = (await images.imageLabels(image)) ?? {};
  }
  return {
    image,
    isStatic: labels[LABEL_TOOLBOX_STATIC] === 'true',
    hasInit: labels[LABEL_TOOLBOX_INIT] === INIT_PATH,
    hasViewApplets: labels[LABEL_TOOLBOX_VIEW] === VIEW_APPLETS,
  };
}

/**
 * The toolbox of an engine that pulls images itself (a cluster): its labels cannot be read,
 * so the default (busybox, static) is run as it is, with the init put in before the start,
 * and any other image through the dynamic view, as an unlabelled image is on Docker.
 */
function pulledToolbox(defaultImage: string, image: string | undefined): Toolbox {
  return image === undefined ? { image: defaultImage, isStatic: true, hasInit: false } : { image, isStatic: false, hasInit: false };
}

/** The chroot view by default, for every toolbox: a dynamic one runs through its own loader there. */
function chooseView(chroot: boolean | undefined): FilesystemView {
  return chroot === false ? 'toolbox' : 'chroot';
}
