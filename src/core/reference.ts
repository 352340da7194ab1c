import { SidekickError } from './errors.js';

/**
 * The names a person types for containers and images, checked before anything reaches the
 * engine: a name the engine's router would rewrite (empty, "a/../b", "/x") is otherwise sent
 * as a path and comes back as a redirect, not as an answer.
 */

/** Docker's container names (a leading '/' as `docker ps`/`inspect` print them is dropped); IDs are hex. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

// distribution/reference's grammar: [domain/]path[:tag][@digest], lowercase path components.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?)`;
const PATH_COMPONENT = '(?:[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)';
const TAG = '(?:[\\w][\\w.-]{0,127})';
const DIGEST = '(?:[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})';
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
/** The engine's own names for local images: an ID or its prefix, with or without "sha256:". */
const IMAGE_ID = /^(?:sha256:)?[0-9a-f]{1,64}$/;
const MAX_NAME_LENGTH = 255;

function quoted(text: string): string {
  return JSON.stringify(text);
}

/** kubectl's spellings of the pod resource before a name: `pod/`, `pods/`, `po/`. */
const POD_RESOURCE = /^(?:pods?|po)\//;

/**
 * Whether a target names a Kubernetes pod (`pod/NAME[/CONTAINER]`) rather than a container;
 * the Kubernetes engine checks the rest (engines/kubernetes/pod-reference.ts).
 */
export function isPodReference(raw: string): boolean {
  return POD_RESOURCE.test(raw);
}

/** A container name or ID prefix as the engine knows it (or a pod target, as is), or a BAD_USAGE error naming the input. */
export function containerReference(raw: string, what = 'TARGET'): string {
  if (isPodReference(raw)) return raw;
  const name = raw.startsWith('/') ? raw.slice(1) : raw;
  if (name === '') {
    throw new SidekickError('BAD_USAGE', `${what} is empty; it must name a container.`, { hint: 'Give a container name or ID prefix (docker ps).' });
  }
  if (!CONTAINER_NAME.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new SidekickError('BAD_USAGE', `${what} ${quoted(raw)} is not a container name or ID.`, {
      hint: 'Names are letters, digits and _ . - (docker ps lists them); IDs are hexadecimal.',
    });
  }
  return name;
}

/** Why `raw` is not an image reference, or undefined when it is one. */
export function imageReferenceProblem(raw: string): string | undefined {
  if (raw === '') return 'it is empty';
  if (raw.length > MAX_NAME_LENGTH + 140) return 'it is too long';
  if (IMAGE_REFERENCE.test(raw) || IMAGE_ID.test(raw)) return undefined;
  if (IMAGE_REFERENCE.test(raw.toLowerCase())) return 'repository names must be lowercase';
  return 'it is not [REGISTRY/]NAME[:TAG][@DIGEST]';
}

/** An image reference, or a BAD_USAGE error that names the flag and the input. */
export function imageReference(raw: string, what: string): string {
  const problem = imageReferenceProblem(raw);
  if (problem !== undefined) {
    throw new SidekickError('BAD_USAGE', `${what} ${quoted(raw)} is not an image reference: ${problem}.`, {
      hint: 'Write it as docker does, e.g. busybox, registry.local:5000/team/tools:1.2 (docker images lists local ones).',
    });
  }
  return raw;
}

/**
 * What `exec TARGET` may name: a container (a leading '/' allowed) or else a local image.
 * Returns the form to look up; errors name the input when it can be neither.
 */
export function containerOrImageReference(raw: string): string {
  const name = raw.startsWith('/') ? raw.slice(1) : raw;
  if (name !== '' && CONTAINER_NAME.test(name) && name.length <= MAX_NAME_LENGTH) return name;
  if (raw !== '' && imageReferenceProblem(raw) === undefined) return raw;
  if (raw === '') {
    throw new SidekickError('BAD_USAGE', 'TARGET is empty; it must name a container or a local image.', { hint: 'List them with `docker ps -a` and `docker images`.' });
  }
  throw new SidekickError('BAD_USAGE', `TARGET ${quoted(raw)} is neither a container name or ID nor an image reference.`, {
    hint: 'List them with `docker ps -a` and `docker images`.',
  });
}
