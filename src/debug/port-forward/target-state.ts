import { SidekickError, isSidekickError } from '../../core/errors.js';
import type { Target } from '../../core/target.js';
import type { Engine, EngineCommands } from '../../engines/engine.js';
import { withCommand } from '../engine-hint.js';

/** What the forward should do about its target right now. */
export type TargetState =
  | { kind: 'running'; target: Target }
  /** Stopped, restarting or paused: its namespaces are gone or frozen; it may come back. */
  | { kind: 'down'; target: Target }
  | { kind: 'removed' };

/** Looks the target up again by its full ID (a name could now belong to another container). */
export async function readTargetState(engine: Engine, id: string): Promise<TargetState> {
  try {
    const target = await engine.findContainer(id);
    return target.status === 'running' ? { kind: 'running', target } : { kind: 'down', target };
  } catch (error) {
    if (isSidekickError(error) && error.code === 'TARGET_NOT_FOUND') return { kind: 'removed' };
    throw error;
  }
}

/** A port-forward needs the target's network namespace, so the target must be running. */
export function assertForwardable(target: Target, commands: EngineCommands): void {
  if (target.status === 'running') return;
  if (target.status === 'paused') {
    throw new SidekickError('TARGET_PAUSED', `container ${target.name} is paused; its ports cannot answer.`, {
      hint: `${withCommand('Unpause it', commands.unpauseContainer(target.name))} and try again.`,
    });
  }
  throw new SidekickError('TARGET_NOT_RUNNING', `container ${target.name} is not running (${target.status}); it has no ports to forward.`, {
    hint: `${withCommand('Start it', commands.startContainer(target.name))} and try again.`,
  });
}

/** The error a forward ends with when its target is gone for good. */
export function targetGoneError(name: string, state: TargetState, commands: EngineCommands): SidekickError {
  if (state.kind === 'removed') {
    return new SidekickError('TARGET_NOT_FOUND', `container ${name} was removed; the port-forward has ended.`, {
      hint: 'Start sidekick port-forward again against the new container.',
    });
  }
  const exit = state.kind === 'down' && state.target.status === 'exited' ? ` with status ${state.target.exitCode}` : '';
  return new SidekickError('TARGET_NOT_RUNNING', `container ${name} stopped${exit} (${state.kind === 'down' ? state.target.status : 'gone'}); the port-forward has ended.`, {
    hint: `${withCommand('Start it again', commands.startContainer(name))} and rerun sidekick port-forward.`,
  });
}
