import { constants } from 'node:fs';
import { access, lstat, mkdir, readlink, realpath, symlink, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SidekickError } from '../core/errors.js';
import { PLUGIN_EXECUTABLE } from './docker-plugin.js';

export interface InstallPluginFlags {
  uninstall?: boolean;
  dir?: string;
}

/** Where the docker CLI looks for a user's plugins: cli-plugins of its config directory. */
export function pluginDirectory(flags: InstallPluginFlags, env: NodeJS.ProcessEnv): string {
  return flags.dir ?? join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'cli-plugins');
}

/**
 * Installs `docker-sidekick` as a symlink to this sidekick's entry point, so that the plugin is
 * always the installed sidekick (an upgrade needs no reinstall). The launcher knows it runs as
 * the plugin by the name it was started through (docker-plugin.ts).
 */
export async function runInstallPlugin(flags: InstallPluginFlags): Promise<number> {
  const directory = pluginDirectory(flags, process.env);
  const path = join(directory, PLUGIN_EXECUTABLE);
  const existing = await lstat(path).catch(() => undefined);
  if (existing !== undefined && !existing.isSymbolicLink()) {
    throw new SidekickError('BAD_USAGE', `${path} exists and is not a link sidekick made; it is left alone.`, {
      hint: 'Remove it yourself if it is an older docker-sidekick, then run this again.',
    });
  }
  if (flags.uninstall) {
    if (existing === undefined) {
      process.stdout.write(`no docker plugin at ${path}; nothing to remove\n`);
      return 0;
    }
    await unlink(path);
    process.stdout.write(`removed ${path}\n`);
    return 0;
  }

  const entry = await realpath(process.argv[1] ?? '');
  await access(entry, constants.X_OK).catch(() => {
    throw new SidekickError('BAD_USAGE', `${entry} is not executable, so docker could not run it as a plugin.`, {
      hint: `Install sidekick with npm (npm install -g), or chmod +x ${entry}.`,
    });
  });
  await mkdir(directory, { recursive: true });
  if (existing !== undefined) {
    if ((await readlink(path)) === entry) {
      process.stdout.write(`${path} already runs ${entry}\n`);
      return 0;
    }
    await unlink(path);
  }
  await symlink(entry, path);
  process.stdout.write(`installed ${path} -> ${entry}\ntry: docker sidekick --help\n`);
  return 0;
}
