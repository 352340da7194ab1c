/**
 * The static helpers built beside the CLI (native/, scripts/build.mjs; docs/ARCHITECTURE.md,
 * "Helpers of our own"). Each is optional: without it the command takes its slower way. An
 * environment variable names another build of it, or turns it off with "off".
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The helper `name` (dist/NAME), or the path `variable` names; undefined when there is none. */
export function nativeHelper(name: string, variable: string): string | undefined {
  const chosen = process.env[variable];
  if (chosen === 'off') return undefined;
  const path = chosen || join(dirname(entryPoint()), name);
  return existsSync(path) ? path : undefined;
}

/** The bundle itself: an installed sidekick runs through links (npm's bin/sidekick, docker-sidekick). */
function entryPoint(): string {
  const started = process.argv[1] ?? '';
  try {
    return realpathSync(started);
  } catch {
    return started;
  }
}
