/**
 * Names of the containers sidekick makes: `sidekick-<target>-<short id>`, as cdebug and
 * kubectl debug name theirs, so that `docker ps` says what each one is for. The target's part
 * is cut to docker's name charset ([a-zA-Z0-9][a-zA-Z0-9_.-]*) and to a readable length.
 */
import { isSidekickError } from './errors.js';

/** Longest target part kept in a name: long names stay readable in `docker ps`. */
const TARGET_PART_MAX = 40;
const SUFFIX_LENGTH = 6;

/** `sidekick-<target>-<suffix>`; `target` is a container name (a leading `/` is fine) or an image reference. */
export function sidekickContainerName(target: string, suffix: string): string {
  return `sidekick-${targetPart(target)}-${suffix.slice(0, SUFFIX_LENGTH)}`;
}

function targetPart(target: string): string {
  // An image reference's registry, path and tag separators become dashes; runs of them one dash.
  const cleaned = target
    .replace(/^\/+/, '')
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .slice(0, TARGET_PART_MAX)
    .replace(/^[-_.]+|[-_.]+$/g, '');
  return cleaned === '' ? 'target' : cleaned;
}

/** A fresh suffix when the first name was taken. */
export function randomNameSuffix(random: () => number = Math.random): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += alphabet[Math.floor(random() * alphabet.length)];
  return suffix;
}

/** Tries made when a generated name is already taken (each with a new random suffix). */
const NAME_TRIES = 4;

/**
 * Creates with the user's name when given (a clash is then the user's error), else with a
 * generated one, trying a new suffix when the engine says the name is in use.
 */
export async function createWithName<T>(
  requested: string | undefined,
  target: string,
  sessionId: string,
  create: (name: string) => Promise<T>,
  isNameInUse: (error: unknown) => boolean,
): Promise<T> {
  if (requested !== undefined) return create(requested);
  let suffix = sessionId;
  for (let attempt = 1; ; attempt++) {
    try {
      return await create(sidekickContainerName(target, suffix));
    } catch (error) {
      if (attempt >= NAME_TRIES || !isNameInUse(error)) throw error;
      suffix = randomNameSuffix();
    }
  }
}

/** The engine refused a new container because its name is taken. */
export function isNameInUse(error: unknown): boolean {
  return isSidekickError(error) && error.code === 'NAME_IN_USE';
}
