import { isSidekickError } from '../core/errors.js';
import type { Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';

export type TargetChange = { kind: 'removed' } | { kind: 'stopped'; status: string; exitCode: number } | { kind: 'restarted' };

/**
 * What became of a target since `before` was read: a sidekick shares its PID namespace, so when
 * the target's process ends (restart, stop) the kernel kills the sidekick too (status 137).
 * Asked only after such an end; the engine may take a moment to record the target's own exit,
 * so an unchanged answer is asked again a few times before it is believed.
 */
export async function targetChange(engine: Engine, before: Target, attempts = 8): Promise<TargetChange | undefined> {
  let stopped: Target | undefined;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    let now: Target;
    try {
      now = await engine.findContainer(before.id);
    } catch (error) {
      if (isSidekickError(error) && error.code === 'TARGET_NOT_FOUND') return { kind: 'removed' };
      return undefined;
    }
    const anew = now.startedAt !== before.startedAt || now.restartCount !== before.restartCount;
    if (now.status === 'restarting' || (now.status === 'running' && anew)) return { kind: 'restarted' };
    // A stopped target may be on its way back (docker restart, a restart policy): watch a little longer.
    if (now.status !== 'running') stopped = now;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return stopped === undefined ? undefined : { kind: 'stopped', status: stopped.status, exitCode: stopped.exitCode };
}
