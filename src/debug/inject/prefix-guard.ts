/**
 * Decides whether a toolbox may be written at a prefix, by asking the engine what is there
 * (paths resolved inside the container's root, last component not followed). Refuses a
 * symlink anywhere on the way, a file, and a directory that sidekick did not create.
 */
import { SidekickError } from '../../core/errors.js';
import { ancestorsOf, isWithin, parentOf } from '../../core/inject/container-path.js';
import type { ToolboxManifest } from '../../core/inject/injection-manifest.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { TOOLBOX_INTENT_NAME } from '../../core/inject/injection-manifest.js';
import { assertRootOwnedToolbox, kindOf } from './container-files.js';
import { readToolboxIntent, readToolboxManifest } from './find-injections.js';
import { requireCapability } from '../../engines/capabilities.js';

export type PrefixState = { state: 'absent' } | { state: 'injected'; manifest: ToolboxManifest } | { state: 'incomplete'; intent: ToolboxManifest };

export async function checkPrefix(engine: Engine, target: Target, prefix: string): Promise<PrefixState> {
  const archive = requireCapability(engine, 'archive', 'inject a toolbox (sidekick inject)');
  assertWritable(target, prefix);
  const ancestors = ancestorsOf(prefix);
  const [own, ...onTheWay] = await Promise.all([prefix, ...ancestors].map((path) => archive.statPath(target.id, path)));
  for (const [i, stat] of onTheWay.entries()) {
    const path = ancestors[i]!;
    const kind = kindOf(stat);
    if (kind === 'dir') continue;
    if (kind === 'absent') {
      throw refusal(`${path} does not exist in ${target.name}, so there is no directory to put ${prefix} in.`, `Pick a prefix whose parent exists, e.g. --prefix /.sidekick.`);
    }
    throw refusal(
      `${path} in ${target.name} is ${kind === 'symlink' ? `a symbolic link (to ${stat?.linkTarget || '?'})` : 'not a directory'}; sidekick does not write through it.`,
      'Pick another --prefix whose parents are plain directories.',
    );
  }
  const kind = kindOf(own);
  if (kind === 'absent') return { state: 'absent' };
  if (kind === 'symlink') {
    throw refusal(`${prefix} in ${target.name} is a symbolic link (to ${own?.linkTarget || '?'}); sidekick does not write through it.`, 'Inject elsewhere with --prefix, or look at what the container put there.');
  }
  if (kind !== 'dir') {
    throw refusal(`${prefix} in ${target.name} is a file that sidekick did not create.`, 'Inject elsewhere with --prefix PATH.');
  }
  const [manifest, intent] = await Promise.all([readToolboxManifest(engine, target.id, prefix), readToolboxIntent(engine, target.id, prefix)]);
  if (manifest === undefined && intent !== undefined) {
    // An interrupted injection of ours: written over, but only if nobody else could have planted it.
    await assertRootOwnedToolbox(engine, target.id, prefix, TOOLBOX_INTENT_NAME);
    return { state: 'incomplete', intent };
  }
  if (manifest === undefined) {
    throw refusal(`${prefix} in ${target.name} is a directory that sidekick did not create.`, 'Inject elsewhere with --prefix PATH; sidekick only writes into directories of its own.');
  }
  return { state: 'injected', manifest };
}

/**
 * Where the archive API can write. It unpacks into the container's root as the engine sees it,
 * plus volumes and bind mounts; a tmpfs exists only inside the container's mount namespace, so a
 * write "into" it would land, invisible, in the layer beneath (docker cp has the same limit). A
 * read-only root takes writes only below a writable volume or bind mount; say which there are.
 */
export function assertWritable(target: Target, path: string): void {
  const parent = parentOf(path);
  const covering = target.mounts
    .filter((mount) => mount.destination.startsWith('/') && isWithin(parent, mount.destination))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  if (covering?.type === 'tmpfs') {
    throw new SidekickError('INJECTION_REFUSED', `${covering.destination} in ${target.name} is a tmpfs mount, which the engine's archive API cannot write to.`, {
      hint: `Pick a --prefix outside it, or use sidekick exec ${target.name}, which writes nothing.`,
    });
  }
  if (!target.readOnlyRootfs || (covering !== undefined && !covering.readOnly)) return;
  const offer = target.mounts.find((mount) => !mount.readOnly && mount.type !== 'tmpfs' && mount.destination.startsWith('/'));
  throw new SidekickError('READ_ONLY_TARGET', `the root filesystem of ${target.name} is read-only; nothing can be written at ${path}.`, {
    hint: offer
      ? `It has a writable ${offer.type || 'mount'} at ${offer.destination}: sidekick inject --prefix ${offer.destination === '/' ? '' : offer.destination}/.sidekick ${target.name} (or sidekick exec ${target.name}, which writes nothing).`
      : `Use sidekick exec ${target.name}, which needs no writes into the target.`,
  });
}

function refusal(message: string, hint: string): SidekickError {
  return new SidekickError('INJECTION_REFUSED', message, { hint });
}
