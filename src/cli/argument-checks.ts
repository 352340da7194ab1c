/**
 * Every name, reference and number a person types is checked here, once, before an engine is
 * dialled: what the engine would refuse gets a message that names the input and exits 125
 * instead of "unexpected failure" or a stack trace. Commands attach these to their arguments
 * and options (commander calls them while parsing).
 */
import { SidekickError } from '../core/errors.js';
import { CAPABILITY_NAMES } from '../core/proc/capabilities.js';
import { containerReference, imageReference } from '../core/reference.js';

/** A TARGET argument that names a running or stopped container. */
export const targetArgument = (value: string): string => containerReference(value);

/** An option that names an image (--image, --image-target). */
export const imageOption =
  (flag: string) =>
  (value: string): string =>
    imageReference(value, flag);

/** Docker's rule for the name of a new container. */
export function containerNameOption(value: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(value)) {
    throw new SidekickError('BAD_USAGE', `--name ${JSON.stringify(value)} is not a valid container name.`, {
      hint: 'Use at least two characters: letters, digits, _ . - (not starting with _ . -).',
    });
  }
  return value;
}

/** `--cap-add` takes a capability with or without CAP_, in any case, or ALL; stored as the engine wants it. */
export function capabilityOption(value: string, previous: string[]): string[] {
  const name = value.toUpperCase().replace(/^CAP_/, '');
  if (name !== 'ALL' && !(CAPABILITY_NAMES as readonly string[]).includes(`CAP_${name}`)) {
    throw new SidekickError('BAD_USAGE', `--cap-add ${JSON.stringify(value)} is not a Linux capability.`, {
      hint: 'Use a name such as NET_ADMIN or SYS_ADMIN (see man 7 capabilities), or ALL.',
    });
  }
  return [...previous, name];
}

/**
 * UID[:GID] numbers the sidekick's nsenter can switch to (it takes 0..2^31-1; the kernel's
 * 4294967295 means "no id"), or "target".
 */
export function userOption(value: string): string {
  if (value === 'target') return value;
  const match = /^(\d+)(?::(\d+))?$/.exec(value);
  if (!match) {
    throw new SidekickError('BAD_USAGE', `--user ${JSON.stringify(value)} is not UID, UID:GID or "target".`, {
      hint: 'Names are not resolved: the target may have no /etc/passwd. Use numbers, or --user target.',
    });
  }
  for (const id of [match[1], match[2]]) {
    if (id !== undefined && Number(id) > 2147483647) {
      throw new SidekickError('BAD_USAGE', `--user ${value}: ${id} is out of range; ids go from 0 to 2147483647.`, {
        hint: 'Give the numeric id the target runs as (sidekick inspect shows it), or --user target.',
      });
    }
  }
  return value;
}

/** -w: absolute, as docker's exec requires; it is looked up in the target, never on this machine. */
export function workdirOption(value: string): string {
  if (!value.startsWith('/')) {
    throw new SidekickError('BAD_USAGE', `-w ${JSON.stringify(value)} is not an absolute path.`, { hint: 'Give the directory from the root of the target, e.g. -w /app.' });
  }
  return value;
}
