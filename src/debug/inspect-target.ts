import type { Engine } from '../engines/engine.js';
import { gatherTargetSample } from './gather-proc.js';
import { runningContainers } from './engine-containers.js';
import { buildInspectReport, type InspectReport } from './inspect-report.js';
import { namespaceSharing } from './namespace-sharing.js';
import { ensureDefaultToolbox } from './toolbox.js';

export interface InspectOptions {
  showSecrets: boolean;
}

/**
 * `sidekick inspect TARGET`: the engine's view plus the target's /proc, read by a
 * short-lived sidekick. A target that is not running gets the engine's view only.
 */
export async function inspectTarget(engine: Engine, reference: string, options: InspectOptions, env: NodeJS.ProcessEnv): Promise<InspectReport> {
  const target = await engine.findContainer(reference);
  if (target.status !== 'running') {
    const others = await runningContainers(engine);
    return buildInspectReport({ target, sharing: namespaceSharing(target.id, [target, ...others]), showSecrets: options.showSecrets });
  }
  const toolbox = await ensureDefaultToolbox(engine, env);
  const [gathered, others] = await Promise.all([
    gatherTargetSample(engine, target, toolbox, { processes: true, details: true, filesystem: true, accounts: true }),
    runningContainers(engine),
  ]);
  const containers = [target, ...others.filter((other) => other.id !== target.id)];
  return buildInspectReport({
    target,
    sample: gathered.sample,
    // The sidekick that read /proc was in the target's namespaces a moment ago; it is not news.
    sharing: namespaceSharing(target.id, containers, new Set([gathered.sidekickId])),
    showSecrets: options.showSecrets,
  });
}
