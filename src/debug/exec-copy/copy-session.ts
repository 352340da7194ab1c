/**
 * `sidekick exec --copy TARGET` and `sidekick exec IMAGE` (docs/ARCHITECTURE.md, "Debug copies"): a container that
 * cannot be joined (stopped, exited, crash-looping), or an image, is debugged through a copy.
 * The copy has the original's filesystem (a snapshot taken without pausing), environment,
 * working directory, user, volumes (read-only by default) and networks, plus the static
 * toolbox under a private prefix; its first process is the user's shell or command, never the
 * original entrypoint, which `run-entrypoint` runs on demand. Nothing is written to the
 * original; everything made is labelled and removed when the session ends.
 */
import { COPY_START, COPY_TOOLS, copyStartScript, runEntrypointScript } from '../../core/copy-script.js';
import { SidekickError, isSidekickError } from '../../core/errors.js';
import { createWithName, isNameInUse } from '../../core/container-name.js';
import { LABEL_SNAPSHOT, newSessionId, sessionLabels } from '../../core/labels.js';
import type { ProcessHandle } from '../../core/process-handle.js';
import type { NetworkMode } from '../../core/target.js';
import { isValidRunAs } from '../../core/sidekick-script.js';
import type { Engine } from '../../engines/engine.js';
import { resolveOrigin, type CopyOrigin } from './copy-origin.js';
import { copyLabels, copyMounts, envValue, mergeEnv, planNetwork } from './copy-spec.js';
import { removeSnapshot, snapshotContainer, type Snapshot } from './snapshot.js';
import { loadStaticBusybox, toolboxLayer } from './toolbox-layer.js';
import { assertSessionInput } from '../session-input.js';
import { leaseEnvironment, renewLease } from '../lease.js';
import { requireCapability } from '../../engines/capabilities.js';
import { startDefinitionCopySession } from './definition-copy-session.js';

export interface CopyRequest {
  /** A container name or ID prefix (or, failing that, a local image); an image with `imageOnly`. */
  target: string;
  imageOnly: boolean;
  command: string[];
  tty: boolean;
  interactive: boolean;
  /** `target` or undefined: the original's own user; else `UID[:GID]`. */
  user?: string;
  env: string[];
  name?: string;
  keep: boolean;
  /** Mount the original's volumes and binds writable. */
  rwVolumes: boolean;
  privileged: boolean;
  capAdd: string[];
  detachKeys?: string;
  /** -w: the directory the command starts in, instead of the original's. */
  workdir?: string;
  /** --network: the copy's network instead of the original's. */
  network?: NetworkMode;
}

export interface CopyEvents {
  /** Details worth a line under --debug. */
  onNote?: (text: string) => void;
  /** Aborting before the copy runs removes what was made so far and rejects. */
  signal?: AbortSignal;
  /** Each step that may take seconds, as it starts (a snapshot of a large container takes many). */
  onStep?: (text: string) => void;
}

export interface CopySession {
  sessionId: string;
  containerId: string;
  /** The snapshot image, when the copy is of a container. */
  snapshot: Snapshot | undefined;
  origin: OriginSummary;
  /** Things the user should know about how the copy differs from the original. */
  notices: string[];
  process: ProcessHandle;
  /** Removes the copy and its snapshot (unless kept); safe to call more than once. */
  dispose(): Promise<void>;
}

export interface OriginSummary {
  kind: 'container' | 'image';
  name: string;
  /** "exited (3)", "running"; "" for an image. */
  state: string;
  entrypoint: string[];
  cmd: string[];
}

export async function startCopySession(engine: Engine, request: CopyRequest, env: NodeJS.ProcessEnv, events: CopyEvents = {}): Promise<CopySession> {
  if (engine.snapshots === undefined && engine.definitionCopies !== undefined) {
    validate(request);
    return startDefinitionCopySession(engine, engine.definitionCopies, request, events);
  }
  const archive = requireCapability(engine, 'archive', 'make a debug copy (sidekick exec --copy)');
  const containers = requireCapability(engine, 'containers', 'make a debug copy (sidekick exec --copy)');
  const images = requireCapability(engine, 'images', 'make a debug copy (sidekick exec --copy)');
  validate(request);
  const [origin, busybox] = await Promise.all([
    resolveOrigin(engine, request.target, { imageOnly: request.imageOnly, ...(events.onNote ? { onNote: events.onNote } : {}) }),
    loadStaticBusybox(env),
  ]);
  const summary = summarize(origin);
  const sessionId = newSessionId();
  const created = new Date();
  const notices: string[] = [];
  let snapshot: Snapshot | undefined;
  let containerId: string | undefined;

  const removeAll = async (): Promise<void> => {
    if (containerId !== undefined) await engine.removeContainer(containerId, { force: true }).catch(() => undefined);
    if (snapshot !== undefined) await removeSnapshot(engine, snapshot).catch(() => undefined);
  };

  try {
    assertNotAborted(events.signal);
    if (origin.kind === 'container') {
      events.onStep?.(`taking a snapshot of ${origin.target.name}`);
      snapshot = await snapshotContainer(engine, origin.target, sessionId, created);
      assertNotAborted(events.signal);
    }
    const network = request.network !== undefined ? { mode: request.network, extra: [] } : await resolveNetwork(engine, origin, notices);
    const originEnv = origin.kind === 'container' ? origin.target.env : origin.image.env;
    const ours = sessionLabels({
      session: sessionId,
      kind: 'copy',
      ...(origin.kind === 'container' ? { target: origin.target.id } : {}),
      created,
    });
    const inherited = origin.kind === 'container' ? origin.target.labels : origin.image.labels;
    const originUser = origin.kind === 'container' ? origin.target.user : origin.image.user;
    const originName = origin.kind === 'container' ? origin.target.name : origin.reference;
    events.onStep?.(`starting the copy of ${originName}`);
    containerId = await createWithName(request.name, originName, sessionId, (name) => containers.createContainer({
      image: snapshot?.id ?? (origin.kind === 'image' ? origin.image.id : ''),
      entrypoint: [`${COPY_TOOLS}/sh`, COPY_START],
      cmd: request.command,
      // A kept copy outlives its client on purpose: it holds no lease.
      env: request.keep ? mergeEnv(originEnv, request.env) : [...mergeEnv(originEnv, request.env), leaseEnvironment()],
      user: request.user === undefined || request.user === 'target' ? originUser : request.user,
      workingDir: request.workdir ?? (origin.kind === 'container' ? origin.target.workingDir : origin.image.workingDir),
      tty: request.tty,
      openStdin: request.interactive,
      // The snapshot is removed once the copy holds its layers: prune then knows the copy by this label.
      labels: copyLabels(inherited, snapshot !== undefined && !request.keep ? { ...ours, [LABEL_SNAPSHOT]: snapshot.id } : ours),
      name,
      mounts: origin.kind === 'container' ? copyMounts(origin.target.mounts, request.rwVolumes) : [],
      networkMode: network.mode,
      extraNetworks: network.extra,
      capAdd: request.capAdd,
      privileged: request.privileged,
      autoRemove: !request.keep,
      disableHealthcheck: true,
      initForwardingToGroup: !request.keep,
    }), isNameInUse);
    if (snapshot !== undefined && !request.keep) {
      // The copy holds the snapshot's layers from now on, and the engine frees them when it
      // removes the copy: a client killed with -9 leaves no image behind (docs/RELIABILITY.md).
      await images.removeImage(snapshot.reference, { whileContainersUseIt: true });
      snapshot = undefined;
    }
    assertNotAborted(events.signal);
    const originalPs1 = envValue(originEnv, 'PS1');
    const layer = toolboxLayer(busybox, {
      startScript: copyStartScript({ label: `copy of ${summary.name}` }),
      runEntrypoint: runEntrypointScript({ entrypoint: summary.entrypoint, cmd: summary.cmd, ...(originalPs1 !== undefined ? { originalPs1 } : {}) }),
    });
    await archive.putArchive(containerId, '/', layer, { noOverwriteDirNonDir: true }).catch((error: unknown) => {
      throw toolboxRefused(error, summary.name);
    });
    assertNotAborted(events.signal);
    const process = await containers.startContainer(containerId, {
      tty: request.tty,
      openStdin: request.interactive,
      autoRemove: !request.keep,
      ...(request.detachKeys !== undefined ? { detachKeys: request.detachKeys } : {}),
    });
    const id = containerId;
    const stopRenewing = request.keep ? () => undefined : renewLease(process);
    process.exit.then(stopRenewing, stopRenewing);
    let disposing: Promise<void> | undefined;
    const session: CopySession = {
      sessionId,
      containerId: id,
      snapshot,
      origin: summary,
      notices,
      process,
      dispose() {
        if (request.keep) return Promise.resolve();
        disposing ??= (async () => {
          stopRenewing();
          await engine.removeContainer(id, { force: true });
          // The attach connection ends once the engine has removed it, and with it the snapshot's layers.
          await Promise.race([process.exit.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
        })();
        return disposing;
      },
    };
    if (events.signal?.aborted) {
      await session.dispose().catch(() => undefined);
      assertNotAborted(events.signal);
    }
    return session;
  } catch (error) {
    // Half-made copies are of no use to anyone, --keep or not.
    await removeAll();
    throw error;
  }
}

function validate(request: CopyRequest): void {
  if (request.user !== undefined && !isValidRunAs(request.user)) {
    throw new SidekickError('BAD_USAGE', `--user ${request.user} is not UID, UID:GID or "target".`, {
      hint: "Use numbers, or leave --user out to run as the original's own user.",
    });
  }
  assertSessionInput(request);
}

function summarize(origin: CopyOrigin): OriginSummary {
  if (origin.kind === 'image') {
    return { kind: 'image', name: origin.reference, state: '', entrypoint: origin.image.entrypoint, cmd: origin.image.cmd };
  }
  const { target } = origin;
  const state = target.status === 'exited' ? `exited (${target.exitCode})` : target.status;
  return { kind: 'container', name: target.name, state, entrypoint: target.entrypoint, cmd: target.cmd };
}

/**
 * The original's network mode, except one: sharing the network namespace of another container
 * works only while that container runs. If it does, the copy shares it too (as the original
 * would on restart); if not, there is nothing to share and the copy gets no network at all,
 * rather than a different one that would look like the original's.
 */
async function resolveNetwork(engine: Engine, origin: CopyOrigin, notices: string[]): Promise<{ mode: NetworkMode; extra: string[] }> {
  if (origin.kind === 'image') return { mode: { kind: 'named', name: 'default' }, extra: [] };
  const plan = planNetwork(origin.target.namespaceModes.network, origin.target.networks ?? []);
  if (plan.kind === 'same') return { mode: plan.mode, extra: plan.extra };
  const provider = await engine.findContainer(plan.reference).catch((error: unknown) => {
    if (isSidekickError(error) && error.code === 'TARGET_NOT_FOUND') return undefined;
    throw error;
  });
  if (provider?.status === 'running') return { mode: { kind: 'container', reference: provider.id }, extra: [] };
  notices.push(`the original shares the network of container ${plan.reference}, which is ${provider ? provider.status : 'gone'}; the copy has no network.`);
  return { mode: { kind: 'private' }, extra: [] };
}

function toolboxRefused(error: unknown, name: string): unknown {
  if (!isSidekickError(error) || error.code !== 'ENGINE_ERROR') return error;
  return new SidekickError('INJECTION_REFUSED', `cannot put the toolbox at ${COPY_TOOLS.replace(/\/bin$/, '')} in the copy of ${name}: ${error.message}`, {
    hint: 'The image has something else at that path; debug the original with sidekick exec if it is running.',
    cause: error,
  });
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

function assertNotAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const name = typeof signal.reason === 'string' ? signal.reason : 'SIGINT';
  throw new SidekickError('INTERNAL', `cancelled by ${name} before the copy started; nothing was left behind.`, {
    exitCode: 128 + (SIGNAL_NUMBERS[name] ?? 2),
  });
}
