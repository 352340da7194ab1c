/**
 * What was added to a target's root filesystem since a baseline, for `inject --os` and its eject
 * (docs/ARCHITECTURE.md, "Kubernetes engine", "`inject --os` and its eject"). Docker says it itself: its diff against the
 * image lists what was added, and the paths added before the injection are the baseline. A pod
 * has no such diff: every path of the root filesystem is listed (a walk), the walk before the
 * injection is the baseline, and what a later walk lists beyond it was added since. Either way
 * eject's plan (core/inject/eject-plan.ts) gets the same two lists.
 */
import { requireCapability } from '../../engines/capabilities.js';
import type { Engine } from '../../engines/engine.js';

export type BaselineKind = 'diff' | 'walk';

export interface AddedPaths {
  readonly kind: BaselineKind;
  /** The baseline now (before an injection), or the list to compare with it (at eject). */
  list(containerId: string): Promise<string[]>;
}

/** The engine's diff when it has one, else a walk; `doing` names the command for the refusal. */
export function addedPathsOf(engine: Engine, doing: string, kind: BaselineKind = engine.filesystemDiff !== undefined ? 'diff' : 'walk'): AddedPaths {
  if (kind === 'diff') {
    const diff = requireCapability(engine, 'filesystemDiff', doing);
    return {
      kind,
      list: async (containerId) => (await diff.filesystemChanges(containerId)).filter((change) => change.kind === 'added').map((change) => change.path),
    };
  }
  const walk = requireCapability(engine, 'filesystemWalk', doing);
  return { kind, list: (containerId) => walk.rootFilesystemPaths(containerId) };
}
