import { describe, expect, it } from 'vitest';
import { SidekickError } from '../core/errors.js';
import { requireCapability } from './capabilities.js';
import type { ArchiveCapability, Engine, EngineCommands } from './engine.js';

const notCalled = (): never => {
  throw new Error('not called in this test');
};

function engineWith(archive: ArchiveCapability | undefined): Engine {
  return {
    kind: 'Example',
    endpoint: 'example://here',
    commands: new Proxy({} as EngineCommands, { get: () => () => undefined }),
    findContainer: notCalled,
    listContainers: notCalled,
    removeContainer: notCalled,
    stopContainer: notCalled,
    runSidekick: notCalled,
    execInContainer: notCalled,
    close: notCalled,
    ...(archive ? { archive } : {}),
  };
}

describe('requireCapability', () => {
  it('hands back the capability the engine has', () => {
    const archive: ArchiveCapability = { statPath: notCalled, getArchive: notCalled, putArchive: notCalled };
    expect(requireCapability(engineWith(archive), 'archive', 'copy files (sidekick cp)')).toBe(archive);
  });

  it('says in one plain line which engine cannot do what, for what, with a hint and exit 125', () => {
    let failure: unknown;
    try {
      requireCapability(engineWith(undefined), 'archive', 'copy files (sidekick cp)');
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(SidekickError);
    const error = failure as SidekickError;
    expect(error.code).toBe('ENGINE_UNSUPPORTED');
    expect(error.exitCode).toBe(125);
    expect(error.message).toBe('the Example engine at example://here cannot read and write files of a container, which is needed to copy files (sidekick cp).');
    expect(error.message).not.toContain('\n');
    expect(error.hint).toMatch(/\S/);
  });
});
