import { SidekickError } from '../core/errors.js';
import { LABEL_KIND, LABEL_SESSION } from '../core/labels.js';
import type { Target } from '../core/target.js';
import type { Engine, EngineCommands } from '../engines/engine.js';
import { withCommand } from './engine-hint.js';
import { parseAccounts } from './accounts.js';
import { gatherTargetSample } from './gather-proc.js';
import { processTree, type ProcessRow } from './process-tree.js';
import { maskArgv } from './secrets.js';
import { assumeDefaultToolbox } from './toolbox.js';
import { shortId } from '../core/short-id.js';

export interface ProcessListing {
  target: { id: string; name: string };
  processes: ProcessRow[];
}

/** `sidekick ps TARGET`: the target's processes, read through a short-lived sidekick. */
export async function listProcesses(engine: Engine, reference: string, env: NodeJS.ProcessEnv, options: { showSecrets?: boolean } = {}): Promise<ProcessListing> {
  // The toolbox image is not asked about: the sidekick's create says when it is missing (then it is built).
  const [target, { toolbox, build }] = await Promise.all([engine.findContainer(reference), assumeDefaultToolbox(engine, env)]);
  // Paused processes are frozen but still there to be listed.
  if (target.status !== 'paused') assertRunning(target, 'has no processes', engine.commands);
  const [{ sample }, containers] = await Promise.all([
    gatherTargetSample(engine, target, toolbox, { processes: true, details: false, filesystem: false, accounts: true }, build),
    neighbours(engine),
  ]);
  const accounts = parseAccounts(sample.files.get('/etc/passwd'), sample.files.get('/etc/group'));
  const ownership = { targetPid: sample.targetPid, targetId: target.id, containers };
  const processes = processTree(sample.processes, accounts, sample.bootTime, ownership).map((row) => ({ ...row, command: maskArgv(row.command, options.showSecrets ?? false).value }));
  return { target: { id: target.id, name: target.name }, processes };
}

/** Names of the containers whose processes can show up beside the target's: one list call, made while the dump runs. */
async function neighbours(engine: Engine): Promise<Map<string, { name: string; sidekick: boolean }>> {
  const result = new Map<string, { name: string; sidekick: boolean }>();
  for (const container of await engine.listContainers({ all: false })) {
    result.set(container.id, { name: container.names[0] ?? shortId(container.id), sidekick: container.labels[LABEL_KIND] !== undefined && container.labels[LABEL_SESSION] !== undefined });
  }
  return result;
}

export function assertRunning(target: Target, consequence: string, commands: EngineCommands): void {
  if (target.status === 'running') return;
  throw new SidekickError(target.status === 'paused' ? 'TARGET_PAUSED' : 'TARGET_NOT_RUNNING', `container ${target.name} is ${target.status}: it ${consequence}.`, {
    hint: target.status === 'paused' ? `${withCommand('Unpause it', commands.unpauseContainer(target.name))} and try again.` : `Start it, or look at its files with \`sidekick ls ${target.name}:/\`.`,
  });
}
