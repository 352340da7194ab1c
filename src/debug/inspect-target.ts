import type { Engine } from '../engines/engine.js';
import { gatherTargetSample } from './gather-proc.js';
import { joinsContainer } from '../core/namespace-mode.js';
import type { ContainerSummary, Target } from '../core/target.js';
import { LABEL_TARGET, warmSessionLabels } from '../core/labels.js';
import type { TargetSample } from './decode-dump.js';
import { inspectAll } from './engine-containers.js';
import { buildInspectReport, type InspectReport } from './inspect-report.js';
import { namespaceSharing } from './namespace-sharing.js';
import { assumeDefaultToolbox } from './toolbox.js';

/** Lines of a stopped target's log shown: enough for a stack trace's end, short enough to read. */
const LOG_LINES = 20;

export interface InspectOptions {
  showSecrets: boolean;
}

/**
 * `sidekick inspect TARGET`: the engine's view plus the target's /proc, read by a
 * short-lived sidekick. A target that is not running gets the engine's view only.
 */
export async function inspectTarget(engine: Engine, reference: string, options: InspectOptions, env: NodeJS.ProcessEnv): Promise<InspectReport> {
  // Independent engine calls at once: each is a round trip, and the sidekick's start dominates anyway.
  // The toolbox is awaited only for a running target: a stopped one must not fail for want of it.
  // The toolbox image is not asked about: the sidekick's create says when it is missing (then it is built).
  const toolboxReady = assumeDefaultToolbox(engine, env);
  toolboxReady.catch(() => undefined);
  const lookups = Promise.all([engine.findContainer(reference), engine.listContainers({ all: false })]);
  setImmediate(warmSessionLabels);
  const [target, list] = await lookups;
  // The image's age, asked while the rest runs; a removed image only loses that line.
  const imageCreated = engine.inspectImage(target.imageId).then((image) => image?.created, () => undefined);
  // A paused target's processes are frozen, not gone: their /proc can still be read.
  if (target.status !== 'running' && target.status !== 'paused') {
    // A log driver that keeps nothing readable (none, syslog…) is not an error here: the rest still helps.
    const [others, logTail] = await Promise.all([inspectAll(engine, list), engine.containerLogTail(target.id, LOG_LINES).catch(() => undefined)]);
    const created = await imageCreated;
    return buildInspectReport({
      target,
      sharing: namespaceSharing(target.id, [target, ...others]),
      showSecrets: options.showSecrets,
      ...(logTail !== undefined ? { logTail } : {}),
      ...(created !== undefined ? { imageCreated: created } : {}),
    });
  }
  const { toolbox, build } = await toolboxReady;
  const gathered = await gatherTargetSample(engine, target, toolbox, { processes: true, details: true, filesystem: true, accounts: true }, build);
  const others = await inspectAll(engine, possibleSharers(target, gathered.sample, list));
  const containers = [target, ...others.filter((other) => other.id !== target.id)];
  const created = await imageCreated;
  const report = buildInspectReport({
    ...(created !== undefined ? { imageCreated: created } : {}),
    target,
    sample: gathered.sample,
    // The sidekick that read /proc was in the target's namespaces a moment ago; it is not news.
    sharing: namespaceSharing(target.id, containers, new Set([gathered.sidekickId])),
    showSecrets: options.showSecrets,
  });
  if (target.status === 'paused') report.problems.unshift('the target is paused: its processes are frozen (shown in state D)');
  return report;
}

/**
 * The containers that may share a namespace with the target, so that not every container of
 * a busy engine has to be inspected. Network joiners show in the engine's list; a container in
 * the target's PID namespace shows as processes of another mount namespace in the sample. Only
 * when those or IPC sharing are possible is everything inspected.
 */
export function possibleSharers(target: Target, sample: TargetSample, list: readonly ContainerSummary[]): ContainerSummary[] {
  const others = list.filter((entry) => entry.id !== target.id);
  const rootNamespace = sample.processes.find((process) => process.pid === sample.targetPid)?.mountNamespace;
  const foreignProcesses = rootNamespace === undefined || sample.processes.some((process) => process.mountNamespace !== rootNamespace);
  const modes = target.namespaceModes;
  const everything =
    foreignProcesses ||
    ['shareable', 'container', 'pod'].includes(modes.ipc.kind) ||
    ['container', 'host', 'pod'].includes(modes.pid.kind) ||
    modes.network.kind === 'pod' ||
    others.some((entry) => entry.networkMode === undefined);
  if (everything) return others;
  return others.filter(
    (entry) =>
      entry.labels[LABEL_TARGET] === target.id ||
      entry.networkMode!.kind === 'container' ||
      (modes.network.kind === 'host' && entry.networkMode!.kind === 'host') ||
      joinsContainer(modes.network, entry),
  );
}
