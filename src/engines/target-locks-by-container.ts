/**
 * The target lock of an engine that has containers of sidekick's own (Docker, and the fake
 * engine that stands for it): the archive API cannot create anything exclusively and a lock file
 * in the target would be one more trace, but container names are unique. So the lock is a
 * container created and never started, named after the target, its record as its labels
 * (docs/ARCHITECTURE.md, "Injection"). `sidekick prune` removes one left by a killed process as
 * a stale, never-started sidekick container.
 */
import { SidekickError } from '../core/errors.js';
import { LABEL_KIND, LABEL_TARGET } from '../core/labels.js';
import type { Target } from '../core/target.js';
import type { ContainerCapability, Engine, TargetLockCapability } from './engine.js';

export function lockContainerName(target: Target): string {
  return `sidekick-inject-lock-${target.id}`;
}

export function targetLocksByContainer(engine: Engine, containers: ContainerCapability): TargetLockCapability {
  return {
    async createTargetLock(target, record) {
      try {
        return await containers.createContainer({
          // The target's own image is on the engine for as long as the target exists; never started.
          image: target.imageId,
          entrypoint: ['/sidekick-lock-never-runs'],
          cmd: [],
          env: [],
          tty: false,
          openStdin: false,
          mounts: [],
          networkMode: { kind: 'private' },
          extraNetworks: [],
          disableHealthcheck: true,
          capAdd: [],
          privileged: false,
          autoRemove: false,
          name: lockContainerName(target),
          labels: record,
        });
      } catch (error) {
        if (error instanceof SidekickError && /already in use/i.test(error.message)) return undefined;
        throw error;
      }
    },
    async findTargetLock(target) {
      const found = await engine.listContainers({ all: true, labels: [`${LABEL_TARGET}=${target.id}`, `${LABEL_KIND}=lock`] });
      const lock = found.find((c) => c.names.includes(lockContainerName(target)));
      return lock === undefined ? undefined : { id: lock.id, record: lock.labels };
    },
    removeTargetLock: (_target, id) => engine.removeContainer(id, { force: true }),
    removeTargetLockCommand: (target) => engine.commands.removeContainer(lockContainerName(target), { force: false, volumes: false }),
  };
}
