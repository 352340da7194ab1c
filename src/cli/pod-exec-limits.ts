import { SidekickError } from '../core/errors.js';

/**
 * What `exec` cannot do on a pod, refused before anything is added to it (docs/ARCHITECTURE.md,
 * "Kubernetes engine"). An ephemeral container can be neither stopped, removed nor kept: its
 * entry stays in the pod's spec whatever happens, and its process ends with its command. A
 * session left with -d is another matter: its input stays open (stdinOnce false) for
 * `exec --attach`.
 */
export function refusePodSessionFlags(flags: { keep: boolean }): void {
  if (flags.keep) {
    throw new SidekickError('ENGINE_UNSUPPORTED', '--keep cannot keep a sidekick in a pod: an ephemeral container ends with its command, and its entry stays in the pod\'s spec anyway.', {
      hint: 'To leave a session running without this client, use -d: sidekick exec -d pod/NAME [-- COMMAND] (back in with sidekick exec --attach; sidekick prune --all ends it).',
    });
  }
}
