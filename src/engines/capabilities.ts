import { SidekickError } from '../core/errors.js';
import type { CapabilityName, Engine } from './engine.js';

/** What each capability lets sidekick do, for the message when an engine lacks it. */
const WHAT_IT_IS: Record<CapabilityName, string> = {
  archive: 'read and write files of a container',
  images: 'keep images',
  containers: 'create, start and attach containers of its own',
  snapshots: "snapshot a container's filesystem",
  filesystemDiff: "list what changed in a container's filesystem",
  filesystemWalk: "list every path of a container's filesystem",
  rootScripts: "run a program in a container's root by a process of its own",
  logs: "read a container's logs",
  definitionCopies: 'make a copy of a container from its definition',
  portConnections: "open connections to a container's ports by itself",
  sessionAttach: 'attach again to a sidekick session left running',
  targetLocks: 'hold a lock for a container',
};

/**
 * The capability a feature needs, or a plain failure naming the engine and what it cannot do.
 * `doing` says what the user asked for, e.g. "copy files (sidekick cp)".
 */
export function requireCapability<Name extends CapabilityName>(engine: Engine, name: Name, doing: string): NonNullable<Engine[Name]> {
  const capability = engine[name];
  if (capability !== undefined) return capability as NonNullable<Engine[Name]>;
  throw new SidekickError('ENGINE_UNSUPPORTED', `the ${engine.kind} engine at ${engine.endpoint} cannot ${WHAT_IT_IS[name]}, which is needed to ${doing}.`, {
    hint: 'Use an engine that can (Docker can do everything sidekick asks for), or a command that needs less.',
  });
}

/** The capability when the engine has it; for a feature that does without (e.g. a log tail in a report). */
export function optionalCapability<Name extends CapabilityName>(engine: Engine, name: Name): Engine[Name] {
  return engine[name];
}
