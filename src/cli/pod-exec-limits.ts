import { SidekickError } from '../core/errors.js';

/**
 * What `exec` cannot do on a pod, refused before anything is added to it (docs/ARCHITECTURE.md,
 * "Kubernetes engine"). An ephemeral container can be neither stopped, removed nor kept: its
 * entry stays in the pod's spec whatever happens, and its process ends with its command. Its
 * stdin is open once (stdinOnce): when the one attached client goes, the process reads EOF,
 * so a session that reads its input cannot be left and attached again.
 */
export function refusePodSessionFlags(flags: { keep: boolean; detach: boolean; interactive: boolean }): void {
  if (flags.keep) {
    throw new SidekickError('ENGINE_UNSUPPORTED', '--keep cannot keep a sidekick in a pod: an ephemeral container ends with its command, and its entry stays in the pod\'s spec anyway.', {
      hint: 'To leave a command running without this client, use -d: sidekick exec -d pod/NAME -- COMMAND (sidekick sessions lists it, sidekick prune --all ends it).',
    });
  }
  if (flags.detach && flags.interactive) {
    throw new SidekickError('ENGINE_UNSUPPORTED', '-d cannot leave an interactive session in a pod: an ephemeral container\'s input closes when its client leaves, and the session would end with it.', {
      hint: 'Give -d a command that reads no input: sidekick exec -d pod/NAME -- COMMAND.',
    });
  }
}
