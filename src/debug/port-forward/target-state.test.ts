import { describe, expect, it } from 'vitest';
import type { Target } from '../../core/target.js';
import type { EngineCommands } from '../../engines/engine.js';
import { assertForwardable, targetGoneError } from './target-state.js';

const target = (status: Target['status']): Target => ({ name: 'web', status, exitCode: 0 }) as Target;

/** An engine whose containers cannot be started or unpaused by hand (a pod's, say). */
const none: EngineCommands = new Proxy({} as EngineCommands, { get: () => () => undefined });
const words: EngineCommands = new Proxy({} as EngineCommands, { get: (_, name) => (container: string) => `engine ${String(name)} ${container}` });

describe('hints of a port-forward whose target is not running', () => {
  it("take the engine's command when it has one", () => {
    expect(() => assertForwardable(target('paused'), words)).toThrow(expect.objectContaining({ hint: 'Unpause it (engine unpauseContainer web) and try again.' }));
    expect(() => assertForwardable(target('exited'), words)).toThrow(expect.objectContaining({ hint: 'Start it (engine startContainer web) and try again.' }));
    expect(targetGoneError('web', { kind: 'down', target: target('exited') }, words).hint).toBe('Start it again (engine startContainer web) and rerun sidekick port-forward.');
  });

  it('say what to do without a command when the engine has none', () => {
    expect(() => assertForwardable(target('paused'), none)).toThrow(expect.objectContaining({ hint: 'Unpause it and try again.' }));
    expect(() => assertForwardable(target('exited'), none)).toThrow(expect.objectContaining({ hint: 'Start it and try again.' }));
    expect(targetGoneError('web', { kind: 'down', target: target('exited') }, none).hint).toBe('Start it again and rerun sidekick port-forward.');
  });
});
