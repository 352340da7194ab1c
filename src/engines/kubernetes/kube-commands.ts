/**
 * What a person types to do by hand what a hint suggests, on Kubernetes (engine.ts,
 * EngineCommands): kubectl aimed at the same context and namespace. Where Kubernetes has no
 * such thing for one container of a pod (start, pause, remove, images), there is no command,
 * and the hint says so in words.
 */
import type { EngineCommands } from '../engine.js';
import { shellWord } from '../../core/shell-word.js';
import { parsePodContainerId } from './pod-target.js';
import { isPodReference, parsePodReference } from './pod-reference.js';

export function kubeCommands(context: { contextName: string; namespace: string }): EngineCommands {
  const kubectl = (...words: string[]): string => ['kubectl', '--context', context.contextName, '-n', context.namespace, ...words].map(shellWord).join(' ');
  /** A target's name (`pod/NAME/CONTAINER`) or this engine's ID (`namespace/pod/container`), as kubectl's pod and -c. */
  const podAndContainer = (reference: string): string[] | undefined => {
    if (isPodReference(reference)) {
      const { pod, container } = parsePodReference(reference);
      return container === undefined ? [pod] : [pod, '-c', container];
    }
    const id = parsePodContainerId(reference);
    return id === undefined ? undefined : [id.pod, '-c', id.container];
  };
  const none = (): undefined => undefined;
  return {
    startContainer: none,
    unpauseContainer: none,
    stopContainer: none,
    removeContainer: none,
    stopAndRemoveContainer: none,
    // A copy is a pod of its own (pod-copy.ts): removing it is deleting the pod.
    removeCopy: (id) => {
      const words = podAndContainer(id);
      return words && kubectl('delete', 'pod', words[0]!);
    },
    attachContainer: (container) => {
      const words = podAndContainer(container);
      return words && kubectl('attach', '-it', ...words);
    },
    followLogs: (container) => {
      const words = podAndContainer(container);
      return words && kubectl('logs', '-f', ...words);
    },
    execInteractive: (container, command) => {
      const words = podAndContainer(container);
      return words && kubectl('exec', '-it', ...words, '--', command);
    },
    showContainer: (id) => {
      const words = podAndContainer(id);
      return words && kubectl('describe', 'pod', words[0]!);
    },
    listContainers: () => kubectl('get', 'pods'),
    listImages: none,
    pullImage: none,
    removeImage: none,
  };
}
