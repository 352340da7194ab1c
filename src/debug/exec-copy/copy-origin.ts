/**
 * What a debug copy is made from: a container (snapshotted first) or a local image. A name
 * that is both is the container's: containers are what `exec` is about, and the image can
 * still be asked for with --image-target.
 */
import { SidekickError, isSidekickError } from '../../core/errors.js';
import type { Target } from '../../core/target.js';
import { withCommand } from '../engine-hint.js';
import type { Engine, ImageDetails } from '../../engines/engine.js';
import { optionalCapability, requireCapability } from '../../engines/capabilities.js';

export type CopyOrigin =
  | { kind: 'container'; target: Target }
  | { kind: 'image'; reference: string; image: ImageDetails };

export interface OriginOptions {
  /** true: the reference names an image only (--image-target). */
  imageOnly: boolean;
  /** Told when a name is both a container's and an image's (shown under --debug). */
  onNote?: (text: string) => void;
}

export async function resolveOrigin(engine: Engine, reference: string, options: OriginOptions): Promise<CopyOrigin> {
  const images = requireCapability(engine, 'images', 'make a debug copy (sidekick exec --copy)');
  if (options.imageOnly) {
    const image = await images.inspectImage(reference);
    if (image === undefined) throw unknownImage(reference, engine);
    return { kind: 'image', reference, image };
  }
  let target: Target;
  try {
    target = await engine.findContainer(reference);
  } catch (error) {
    if (!(isSidekickError(error) && error.code === 'TARGET_NOT_FOUND')) throw error;
    const image = await images.inspectImage(reference);
    if (image === undefined) throw neitherFound(reference, engine, error);
    return { kind: 'image', reference, image };
  }
  if (options.onNote) await noteIfAlsoImage(engine, reference, options.onNote);
  return { kind: 'container', target };
}

/** Only asked for under --debug: it costs a round trip on every run. */
export async function noteIfAlsoImage(engine: Engine, reference: string, onNote: (text: string) => void): Promise<void> {
  // An engine that keeps no images (a cluster) has no image of that name to mention.
  const images = optionalCapability(engine, 'images');
  if (images === undefined || (await images.inspectImage(reference).catch(() => undefined)) === undefined) return;
  onNote(`"${reference}" names both a container and an image; using the container (--image-target ${reference} debugs the image).`);
}

/**
 * After `exec` found no container by that name: whether the name is a local image to debug
 * instead. Throws the "neither" error when it is not; other failures are left as they were.
 */
export async function imageFallback(engine: Engine, reference: string, error: SidekickError): Promise<boolean> {
  const images = requireCapability(engine, 'images', 'make a debug copy (sidekick exec --copy)');
  // Only "no container by that name", not e.g. a container that vanished while being used.
  if (!/^no container named|is not a container name/.test(error.message)) return false;
  if ((await images.inspectImage(reference)) !== undefined) return true;
  throw neitherFound(reference, engine, error);
}

/** When TARGET is not a container, the last resort is an image; say that both were looked for. */
function neitherFound(reference: string, engine: Engine, cause?: unknown): SidekickError {
  const [containers, images] = [engine.commands.listContainers(), engine.commands.listImages()];
  return new SidekickError('TARGET_NOT_FOUND', `no container named or with an ID starting "${reference}", and no local image ${reference}, on ${engine.endpoint}.`, {
    hint: containers !== undefined && images !== undefined ? `List them with \`${containers}\` and \`${images}\`.` : 'Give the name or ID of a container or of a local image.',
    ...(cause !== undefined ? { cause } : {}),
  });
}

function unknownImage(reference: string, engine: Engine): SidekickError {
  return new SidekickError('IMAGE_UNAVAILABLE', `image ${reference} is not on ${engine.endpoint}.`, {
    hint: `${withCommand('Pull or build it first', engine.commands.pullImage(reference))}; sidekick debugs local images only.`,
  });
}
