/**
 * The Kubernetes engine's core (docs/ARCHITECTURE.md, "Kubernetes engine"): targets are
 * containers of pods, a sidekick is an ephemeral container in the target container's PID
 * namespace and the pod's network, attached over the API's WebSocket, and a process in the
 * target is an exec. Of the optional capabilities it offers `archive`, through an ephemeral
 * sidekick (pod-archive.ts), and `definitionCopies` (a debug copy is a new pod made from the
 * original's spec, pod-copy.ts); features that need the others (images, containers,
 * snapshots, filesystem diff) say so (engines/capabilities.ts).
 *
 * Facts (besides those in ephemeral-container.ts and channel-process.ts): an attach sees
 * only what the process writes after it is attached (kubectl debug prints "If you don't see
 * a command prompt, try pressing enter" for that reason), so a sidekick waits for one line
 * on its stdin before its command starts; attach always reports Success, and the exit code
 * is the container's `state.terminated.exitCode` (kubectl/pkg/cmd/attach, and the kubelet's
 * ServeAttach). An ephemeral container cannot be stopped or removed through the API: its
 * process ends when its stdin (stdinOnce) closes or its command ends. Nothing can be put
 * into it before it starts, and the API cannot signal a process: both go through execs in
 * the sidekick itself (its wrapper waits, and records its PID for `kill`).
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { setTimeout as wait } from 'node:timers/promises';
import { SidekickError, isSidekickError } from '../../core/errors.js';
import type { ExitStatus, ProcessHandle, SignalableProcess } from '../../core/process-handle.js';
import type { ContainerSummary, Target } from '../../core/target.js';
import type { ArchiveCapability, ContainerExecSpec, DefinitionCopyCapability, DefinitionCopySpec, Engine, EngineCommands, FilesystemWalkCapability, RootScriptCapability, PortConnectionCapability, RunningCopy, RunningSidekick, SessionAttachCapability, SidekickSpec, TargetLockCapability } from '../engine.js';
import { LABEL_DETACHED } from '../../core/labels.js';
import { MANAGED_BY_SELECTOR, leaseLocks, leaseSummary, parseLeaseId } from './lease-locks.js';
import { kubeCommands } from './kube-commands.js';
import { channelProcess } from './channel-process.js';
import { REMOTE_COMMAND_PROTOCOLS, negotiatedProtocol } from './channel-protocol.js';
import { buildEphemeralContainer, containerState, isContainerName, type ContainerState, type PodJson } from './ephemeral-container.js';
import { KubeApi, KubeApiError, podPath } from './kube-api.js';
import { PodPortConnections } from './pod-port-connections.js';
import { LABELS_VARIABLE, ephemeralSidekickTarget, labelsVariable, matchesLabels, sidekickSummaries } from './ephemeral-sidekicks.js';
import type { KubeContext } from './kube-config.js';
import { PodArchive } from './pod-archive.js';
import { isPodReference, parsePodReference } from './pod-reference.js';
import { keeperCommand, readPid, signalKeeper } from './signal-keeper.js';
import { COPY_TOOLS_CONTAINER, buildPodCopy, copyPidFile, copyPodName, parseCopyUser } from './pod-copy.js';
import { KEPT_ANNOTATION, defaultContainer, isSidekickCopy, parsePodContainerId, podContainerId, podSummaries, podTarget, type FullPodJson } from './pod-target.js';

/** The toolbox a cluster pulls when none is named. */
export const DEFAULT_TOOLBOX_IMAGE = 'busybox';
/** Every ephemeral container sidekick adds is named so (ephemeral-container.ts): the only ones it stops. */
const SIDEKICK_PREFIX = 'sidekick-';
/** How long the exec that sends a signal is waited for (it dies with the sidekick it ends). */
const SIGNAL_ANSWER_MS = 5_000;
/** How long an ephemeral sidekick may take to start (its image may need a pull). */
const START_TIMEOUT_MS = 120_000;
const POLL_MS = 250;
/** The line the sidekick's wrapper waits for before it starts the command: the attach is in place. */
const GO_LINE = '\n';
/** Where the wrapper records its PID, which the command keeps (exec), for signals sent by exec. */
const PID_FILE = '/tmp/.sidekick-pid';
/**
 * The sidekick's first process: records its PID, waits for the go line (nothing is lost
 * before the attach), then becomes the command.
 */
const WRAPPER = ['sh', '-c', `echo $$ >${PID_FILE} && read -r _ && unset ${LABELS_VARIABLE} && exec "$@"`, 'sidekick-wait'];

/** The namespace an ID of this engine names (pod-target.ts: NAMESPACE/POD/CONTAINER). */
function namespaceOfId(id: string): string {
  return parsePodContainerId(id)?.namespace ?? parseLeaseId(id)?.namespace ?? '';
}

export interface KubernetesEngineOptions {
  /** `kubectl sidekick exec web`: a bare name is a pod's, as kubectl reads it. */
  bareNamesArePods?: boolean;
  /**
   * sessions -A, prune -A: what is listed comes from every namespace, each name then led by its
   * namespace; a reference still names a pod of the context's namespace.
   */
  allNamespaces?: boolean;
  /** The archive's unpacker on this host (native/sidekick-unpack.c); without it, uploads go in pinned segments. */
  unpackerBinary?: string;
}

export class KubernetesEngine implements Engine {
  readonly kind = 'Kubernetes';
  readonly endpoint: string;
  readonly commands: EngineCommands;
  /**
   * Docker Hub's busybox by default: static, with sh, tar and kill, which a sidekick here needs
   * (preload, signals); a cluster that cannot pull it names another (open-kubernetes-engine.ts).
   */
  readonly pulledToolboxImage: string;
  /** Files of a running pod's container, through one ephemeral sidekick per target (pod-archive.ts). */
  readonly archive: ArchiveCapability;
  readonly filesystemWalk: FilesystemWalkCapability;
  readonly rootScripts: RootScriptCapability;
  private readonly podArchive: PodArchive;
  /** port-forward through the API's own port-forward: nothing is added to the pod. */
  readonly portConnections: PortConnectionCapability;
  private readonly api: KubeApi;
  /** `exec --copy pod/…`: a new pod running a copy of the container (pod-copy.ts). */
  readonly definitionCopies: DefinitionCopyCapability = {
    startDefinitionCopy: (spec) => this.startCopy(spec),
    removeDefinitionCopy: (id) => this.removeCopy(id),
  };
  /** `exec --attach pod/NAME/sidekick-…`: the API's attach to an ephemeral container left running with -d. */
  readonly sessionAttach: SessionAttachCapability = {
    attachSession: (id, options) => this.attachAgain(id, options),
  };

  /** The injection lock: a Lease in the pod's namespace (lease-locks.ts). */
  readonly targetLocks: TargetLockCapability;

  constructor(
    readonly context: KubeContext,
    toolboxImage = DEFAULT_TOOLBOX_IMAGE,
    private readonly options: KubernetesEngineOptions = {},
  ) {
    this.pulledToolboxImage = toolboxImage;
    this.api = new KubeApi(context);
    this.portConnections = new PodPortConnections(this.api, (reference) => this.locate(reference), (reference) => this.findContainer(reference));
    this.commands = kubeCommands(context);
    this.endpoint = `${context.server} (context ${context.contextName}, ${options.allNamespaces === true ? 'every namespace' : `namespace ${context.namespace}`})`;
    this.podArchive = new PodArchive(this, options.unpackerBinary);
    this.archive = this.podArchive;
    this.filesystemWalk = this.podArchive;
    this.rootScripts = this.podArchive;
    this.targetLocks = leaseLocks(this.api, context);
  }

  async findContainer(reference: string): Promise<Target> {
    const { namespace, pod, container } = this.locate(reference);
    const json = (await this.api.readPod(namespace, pod)) as FullPodJson | undefined;
    if (json === undefined) {
      throw new SidekickError('TARGET_NOT_FOUND', `no pod ${pod} in namespace ${namespace}.`, { hint: 'List the pods with kubectl get pods, or name the namespace with -n.' });
    }
    // One of sidekick's own ephemeral containers (sessions, prune) is a target of its own.
    const sidekick = container === undefined ? undefined : ephemeralSidekickTarget(json, container);
    return sidekick ?? podTarget(json, container ?? defaultContainer(json));
  }

  /**
   * The namespace's pods' containers, and sidekick's ephemeral containers whose process still
   * runs, with the labels they carry (ephemeral-sidekicks.ts). Label filters are matched here,
   * on both: sidekick's marks are not pod labels a selector could find.
   */
  async listContainers(options: { all: boolean; labels?: string[] }): Promise<ContainerSummary[]> {
    const everywhere = this.options.allNamespaces === true;
    const namespace = everywhere ? undefined : this.context.namespace;
    // Locks never run: only a listing of every state shows them (sessions, prune), as on Docker.
    const [pods, leases] = await Promise.all([this.api.listPods(namespace) as Promise<FullPodJson[]>, options.all ? this.lockLeases(namespace) : []]);
    const summaries = [...podSummaries(pods), ...sidekickSummaries(pods), ...leases]
      .filter((summary) => matchesLabels(summary.labels, options.labels ?? []))
      .map((summary) => (everywhere ? { ...summary, names: summary.names.map((name) => `${namespaceOfId(summary.id)}/${name}`) } : summary));
    return options.all ? summaries : summaries.filter((summary) => summary.status === 'running');
  }

  /**
   * sidekick's injection locks (lease-locks.ts) as objects `sessions` lists and `prune` removes
   * when their holder is gone. A role that may not list leases sees none: it could not have
   * taken one either.
   */
  private async lockLeases(namespace: string | undefined): Promise<ContainerSummary[]> {
    let leases;
    try {
      leases = await this.api.listLeases(namespace, MANAGED_BY_SELECTOR);
    } catch (error) {
      if (isSidekickError(error) && error.cause instanceof KubeApiError && error.cause.statusCode === 403) return [];
      throw error;
    }
    return leases.flatMap((lease) => leaseSummary(lease) ?? []);
  }

  /**
   * A debug copy (a pod of sidekick's, pod-copy.ts) is removed by deleting its pod. A lease of
   * sidekick's (an injection lock) is deleted. Ephemeral
   * containers cannot be removed: their process has ended or ends with its session; a pod's own
   * containers are not sidekick's to remove.
   */
  async removeContainer(id: string): Promise<void> {
    const lease = parseLeaseId(id);
    if (lease !== undefined) return this.api.deleteLease(lease.namespace, lease.name);
    const { namespace, pod } = this.locate(id);
    const json = (await this.api.readPod(namespace, pod)) as FullPodJson | undefined;
    if (json !== undefined && isSidekickCopy(json)) await this.api.deletePod(namespace, pod, 0);
  }

  /**
   * No API stops one container of a pod. A sidekick's first process is sent TERM (the init
   * passes it to the session, which ends its processes in the target), then KILL after the
   * grace; a sidekick already ended is fine. A pod's own containers are never stopped.
   */
  async stopContainer(id: string, options: { graceSeconds: number }): Promise<void> {
    const { namespace, pod, container } = this.locate(id);
    // A debug copy is a pod of sidekick's: deleting it with a grace is its stop (its processes get TERM, then KILL).
    const json = container?.startsWith(SIDEKICK_PREFIX) === true ? undefined : ((await this.api.readPod(namespace, pod)) as FullPodJson | undefined);
    if (json !== undefined && isSidekickCopy(json)) {
      await this.api.deletePod(namespace, pod, options.graceSeconds);
      return;
    }
    if (container === undefined || !container.startsWith(SIDEKICK_PREFIX)) {
      throw new SidekickError('BAD_USAGE', `sidekick does not stop a pod's own containers (${id}).`);
    }
    const ended = (state: ContainerState) => state.kind === 'terminated' || state.kind === 'unknown';
    if (ended(await this.state(namespace, pod, container))) return;
    await this.signalSidekick(id, 'SIGTERM').catch(() => undefined);
    try {
      await this.waitFor(namespace, pod, container, ended, options.graceSeconds * 1000);
    } catch {
      await this.signalSidekick(id, 'SIGKILL').catch(() => undefined);
      await this.waitFor(namespace, pod, container, ended, 30_000).catch(() => undefined);
    }
  }

  private async state(namespace: string, pod: string, container: string): Promise<ContainerState> {
    const json = await this.api.readPod(namespace, pod);
    return json === undefined ? { kind: 'unknown' } : containerState(json, container);
  }

  async runSidekick(spec: SidekickSpec): Promise<RunningSidekick> {
    if (!('id' in spec.target)) {
      throw new SidekickError('BAD_USAGE', 'Kubernetes has no sidekick in the node\'s PID namespace.', { hint: 'Name a pod: pod/NAME[/CONTAINER].' });
    }
    const target = this.locate(spec.target.id);
    if (target.container === undefined) throw new SidekickError('INTERNAL', `the sidekick's target ${spec.target.id} names no container`);
    const container = buildEphemeralContainer({
      targetContainer: target.container,
      shortId: randomBytes(3).toString('hex'),
      image: spec.image,
      command: [...WRAPPER, ...spec.command],
      stdin: true,
      // Left with -d to be attached again: its input stays open when this client goes.
      ...(spec.openStdin && spec.labels[LABEL_DETACHED] === 'true' ? { stdinOnce: false } : {}),
      tty: spec.tty,
      capAdd: spec.capAdd,
      env: [
        ...spec.env.map(environmentEntry),
        // Ephemeral containers have no labels: sidekick's marks travel in the spec (sessions, prune).
        ...(Object.keys(spec.labels).length > 0 ? [labelsVariable(spec.labels)] : []),
      ],
    });
    if (spec.name !== undefined && isContainerName(spec.name)) container.name = spec.name;
    await this.api.addEphemeralContainer(target.namespace, target.pod, container);
    const id = podContainerId(target.namespace, target.pod, container.name);
    try {
      await this.waitFor(target.namespace, target.pod, container.name, (state) => state.kind === 'running' || state.kind === 'terminated');
      if (spec.preload !== undefined) await this.preload(id, spec.preload);
      const process = await this.attach(target.namespace, target.pod, container.name, { tty: spec.tty, openStdin: spec.openStdin }, {
        keeper: keeperCommand('sh', '"$pid"', PID_FILE),
        byExec: (name) => this.signalSidekick(id, name),
      });
      return { id, process, reference: `pod/${target.pod}/${container.name}` };
    } catch (error) {
      // Its wrapper would wait for the go line for ever: it is ended, since it cannot be removed.
      await this.stopContainer(id, { graceSeconds: 2 }).catch(() => undefined);
      throw error;
    }
  }

  private async startCopy(spec: DefinitionCopySpec): Promise<RunningCopy> {
    const target = this.locate(spec.targetId);
    const original = (await this.api.readPod(target.namespace, target.pod)) as FullPodJson | undefined;
    if (original === undefined) throw new SidekickError('TARGET_NOT_FOUND', `no pod ${target.pod} in namespace ${target.namespace}.`);
    const container = target.container ?? defaultContainer(original);
    const copyName = spec.name ?? copyPodName(target.pod, randomBytes(3).toString('hex'));
    const user = parseCopyUser(spec.user);
    const pod = buildPodCopy(original, {
      copyName,
      container,
      toolsDirectory: spec.toolsDirectory,
      toolboxImage: this.pulledToolboxImage,
      files: spec.files,
      command: spec.command,
      env: spec.env.map(environmentEntry),
      tty: spec.tty,
      ...(spec.workingDir !== undefined ? { workingDir: spec.workingDir } : {}),
      ...user,
      readOnlyVolumes: !spec.rwVolumes,
      privileged: spec.privileged,
      capAdd: spec.capAdd.map((name) => name.toUpperCase().replace(/^CAP_/, '')),
      marks: spec.keep ? { ...spec.labels, [KEPT_ANNOTATION]: 'true' } : spec.labels,
      labelKeys: Object.keys(spec.labels),
    });
    await this.api.createPod(target.namespace, pod);
    const id = podContainerId(target.namespace, copyName, container);
    try {
      await this.waitFor(target.namespace, copyName, container, (state) => state.kind === 'running' || state.kind === 'terminated', START_TIMEOUT_MS, (json) => {
        const tools = containerState(json, COPY_TOOLS_CONTAINER);
        if (tools.kind !== 'terminated' || tools.exitCode === 0) return undefined;
        return new SidekickError('TOOLBOX_UNAVAILABLE', `the toolbox could not be put into the copy (its init container exited ${tools.exitCode}${tools.message === '' ? '' : `: ${tools.message}`}).`, {
          hint: `The toolbox image (${this.pulledToolboxImage}) needs a static busybox on its PATH; name another with SIDEKICK_KUBE_TOOLBOX.`,
        });
      });
      const pidFile = copyPidFile(spec.toolsDirectory);
      const shell = `${spec.toolsDirectory}/bin/sh`;
      // The copy's shell and its lease guard are one process group (its first process's): signals go to the group.
      const group = '-- "-$pid"';
      const process = await this.attach(target.namespace, copyName, container, { tty: spec.tty, openStdin: spec.openStdin }, {
        keeper: keeperCommand(shell, group, pidFile),
        byExec: (name) => this.sendSignal(id, name, [shell, '-c', `${readPid(pidFile)} && kill -s ${signalName(name)} ${group}`]),
      });
      const notices = [
        `the copy is pod ${copyName}, made from the spec of ${target.pod}: container ${container} from its image (not its current files), without the pod's other containers, init containers, probes or labels.`,
      ];
      return { id, process, notices };
    } catch (error) {
      await this.api.deletePod(target.namespace, copyName, 0).catch(() => undefined);
      throw error;
    }
  }

  private async removeCopy(id: string): Promise<void> {
    const { namespace, pod } = this.locate(id);
    await this.api.deletePod(namespace, pod, 0);
  }

  /** The sidekick's own files, unpacked by its toolbox's tar before its command starts. */
  private async preload(id: string, preload: NonNullable<SidekickSpec['preload']>): Promise<void> {
    const unpack = await this.execInContainer(id, { command: ['tar', '-x', '-C', preload.directory], tty: false, openStdin: true });
    const errors = text(unpack.stderr);
    unpack.stdout.resume();
    await pipeline(preload.tar() as Readable, unpack.stdin!);
    const status = await unpack.exit;
    if (status.code !== 0) {
      throw new SidekickError('TOOLBOX_UNAVAILABLE', `the sidekick's files could not be put into it (tar exited ${status.code}: ${(await errors).trim().split('\n')[0] ?? ''}).`, {
        hint: 'Use a toolbox image with a tar that reads stdin (busybox has one).',
      });
    }
  }

  /** A signal to a sidekick's process, sent by the toolbox's own kill from an exec in the sidekick. */
  private async signalSidekick(id: string, signal: string): Promise<void> {
    // No command substitution: a fork here could outlive this shell when the sidekick ends, and
    // fall to the target's PID 1 as a zombie.
    await this.sendSignal(id, signal, ['sh', '-c', `${readPid(PID_FILE)} && kill -s ${signalName(signal)} "$pid"`]);
  }

  /** Runs `kill` (the command given) in an exec in the container; what it answers is waited for briefly. */
  private async sendSignal(id: string, signal: string, command: string[]): Promise<void> {
    const kill = await this.execInContainer(id, { command, tty: false, openStdin: false });
    kill.stdout.resume();
    kill.stderr.resume();
    // A signal that ends the sidekick ends this exec with it, and a runtime may then never end
    // the exec's stream (Docker does not, docs/RELIABILITY.md): its answer is not waited for long.
    const status = await Promise.race([kill.exit.catch(() => undefined), wait(SIGNAL_ANSWER_MS, undefined, { ref: false })]);
    if (status === undefined) {
      kill.detach();
      return;
    }
    if (status.code !== 0) throw new SidekickError('ENGINE_ERROR', `the sidekick's process could not be sent ${signal} (it has probably ended).`);
  }

  async execInContainer(containerId: string, spec: ContainerExecSpec): Promise<ProcessHandle> {
    const target = this.locate(containerId);
    if (spec.user !== undefined || spec.workingDir !== undefined || (spec.env ?? []).length > 0) {
      throw new SidekickError('BAD_USAGE', 'a Kubernetes exec runs as the container\'s user, in its working directory, with its environment.', {
        hint: 'Set them inside the command (env, cd), or use sidekick exec, whose sidekick does.',
      });
    }
    const query = new URLSearchParams({ container: target.container ?? '' });
    for (const word of spec.command) query.append('command', word);
    query.set('stdout', 'true');
    query.set('stderr', String(!spec.tty));
    if (spec.openStdin) query.set('stdin', 'true');
    if (spec.tty) query.set('tty', 'true');
    // Paused until the process listens: what comes with the handshake would be emitted first (kube-api.ts).
    const { socket, protocol } = await this.api.openChannel(`${podPath(target.namespace, target.pod)}/exec?${query}`, REMOTE_COMMAND_PROTOCOLS, { paused: true });
    // No `signal`: the exec runs in the target, which may have no kill of its own to send one with.
    const process = channelProcess(socket, { protocol: negotiatedProtocol(protocol), tty: spec.tty, openStdin: spec.openStdin });
    socket.resume();
    return process;
  }

  close(): void {
    this.podArchive.close();
  }

  /**
   * Attaches to a sidekick already past its go line (left with -d): no go line, and each signal
   * an exec of the toolbox's kill, since a keeper per attach would outlive a client that leaves.
   */
  private async attachAgain(id: string, options: { tty: boolean; openStdin: boolean }): Promise<SignalableProcess> {
    const { namespace, pod, container } = this.locate(id);
    if (container === undefined) throw new SidekickError('INTERNAL', `${id} names no container`);
    // The end of this client's input is not the session's: it ends when its shell does.
    const process = await this.openAttach(namespace, pod, container, { tty: options.tty, stdin: options.openStdin, keepStdinOpen: true });
    return {
      ...process,
      signal: async (name: string) => {
        signalName(name);
        await this.signalSidekick(id, name);
      },
    };
  }

  /**
   * The API's attach to a container, paused until its listeners are in place, its exit status
   * read from the container's state (the attach stream itself always says Success).
   */
  private async openAttach(namespace: string, pod: string, container: string, options: { tty: boolean; stdin: boolean; keepStdinOpen?: boolean }): Promise<ProcessHandle> {
    const query = new URLSearchParams({ container, stdin: String(options.stdin), stdout: 'true', stderr: String(!options.tty), tty: String(options.tty) });
    const { socket, protocol } = await this.api.openChannel(`${podPath(namespace, pod)}/attach?${query}`, REMOTE_COMMAND_PROTOCOLS, { paused: true });
    const process = channelProcess(socket, {
      protocol: negotiatedProtocol(protocol),
      tty: options.tty,
      openStdin: options.stdin,
      exitStatus: async () => this.exitCode(namespace, pod, container),
      ...(options.keepStdinOpen === true ? { keepStdinOpen: true } : {}),
    });
    socket.resume();
    return process;
  }

  private async attach(
    namespace: string,
    pod: string,
    container: string,
    options: { tty: boolean; openStdin: boolean },
    signals: { keeper: string[]; byExec: (name: string) => Promise<void> },
  ): Promise<SignalableProcess> {
    // stdin always: the go line travels on it, whether or not the session reads its input.
    const process = await this.openAttach(namespace, pod, container, { tty: options.tty, stdin: true });
    const id = podContainerId(namespace, pod, container);
    const keeper = signalKeeper(() => this.execInContainer(id, { command: signals.keeper, tty: false, openStdin: true }), signals.byExec);
    const signal = async (name: string): Promise<void> => {
      signalName(name);
      await keeper.send(name);
    };
    process.stdin!.write(GO_LINE);
    if (!options.openStdin) process.stdin!.end();
    const closeKeeper = (): void => keeper.close();
    process.exit.then(closeKeeper, closeKeeper);
    return { ...process, stdin: options.openStdin ? process.stdin : null, signal };
  }

  /** The exit code the kubelet recorded; the attach stream itself always says Success. */
  private async exitCode(namespace: string, pod: string, container: string): Promise<ExitStatus> {
    const state = await this.waitFor(namespace, pod, container, (s) => s.kind === 'terminated', 30_000);
    return { code: state.kind === 'terminated' ? state.exitCode : 0 };
  }

  private async waitFor(
    namespace: string,
    pod: string,
    container: string,
    done: (state: ContainerState) => boolean,
    timeoutMs = START_TIMEOUT_MS,
    failed: (pod: PodJson) => Error | undefined = () => undefined,
  ): Promise<ContainerState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const json = await this.api.readPod(namespace, pod);
      if (json === undefined) throw new SidekickError('TARGET_NOT_FOUND', `pod ${namespace}/${pod} is gone.`);
      const failure = failed(json);
      if (failure !== undefined) throw failure;
      const state = containerState(json, container);
      if (done(state)) return state;
      if (state.kind === 'waiting' && /ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull/.test(state.reason)) {
        throw new SidekickError('TOOLBOX_UNAVAILABLE', `the cluster cannot pull the sidekick's image (${state.reason}${state.message === '' ? '' : `: ${state.message}`}).`, {
          hint: 'Pass --image with an image the cluster can pull.',
        });
      }
      if (Date.now() > deadline) {
        throw new SidekickError('ENGINE_TIMEOUT', `container ${container} of pod ${namespace}/${pod} did not get there in ${timeoutMs / 1000} s (it is ${state.kind}${state.kind === 'waiting' ? `: ${state.reason}` : ''}).`, {
          hint: `Look at the pod's events: kubectl describe pod ${pod} -n ${namespace}.`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** A reference (`pod/NAME[/CONTAINER]`) or an ID this engine gave (`namespace/pod/container`). */
  private locate(reference: string): { namespace: string; pod: string; container?: string } {
    if (isPodReference(reference)) return { namespace: this.context.namespace, ...parsePodReference(reference) };
    const id = parsePodContainerId(reference);
    if (id !== undefined) return id;
    if (this.options.bareNamesArePods && !reference.includes('/')) return { namespace: this.context.namespace, ...parsePodReference(`pod/${reference}`) };
    throw new SidekickError('BAD_USAGE', `${reference} is not a pod: with a kubeconfig, targets are pod/NAME or pod/NAME/CONTAINER.`, {
      hint: 'Name a pod as kubectl does: pod/NAME.',
    });
  }
}

/** `SIGTERM` or `TERM` as busybox kill's `-s` takes it; anything else is a bug. */
function signalName(signal: string): string {
  const name = signal.replace(/^SIG/, '');
  if (!/^[A-Z0-9]+$/.test(name)) throw new SidekickError('INTERNAL', `not a signal name: ${signal}`);
  return name;
}

function environmentEntry(entry: string): { name: string; value: string } {
  const equals = entry.indexOf('=');
  return equals < 0 ? { name: entry, value: '' } : { name: entry.slice(0, equals), value: entry.slice(equals + 1) };
}
