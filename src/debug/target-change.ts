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
export async function targetChange(engine: Engine, before: Target, attempts = 6): Promise<TargetChange | undefined> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    let now: Target;
    try {
      now = await engine.findContainer(before.id);
    } catch (error) {
      if (isSidekickError(error) && error.code === 'TARGET_NOT_FOUND') return { kind: 'removed' };
      return undefined;
    }
    if (now.startedAt !== before.startedAt || now.restartCount !== before.restartCount || now.hostPid !== before.hostPid) {
      return now.status === 'running' || now.status === 'restarting' ? { kind: 'restarted' } : { kind: 'stopped', status: now.status, exitCode: now.exitCode };
    }
    if (now.status !== 'running') return { kind: 'stopped', status: now.status, exitCode: now.exitCode };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}
