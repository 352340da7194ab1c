/**
 * `sidekick ls` of a running (or paused) target: a short-lived sidekick in its PID namespace
 * runs list-script.ts, a `stat` of each entry, so that a listing costs one directory's
 * metadata whatever lies below it; owners are named from the target's own account files.
 */
import path from 'node:path';
import { SidekickError } from '../core/errors.js';
import { parseFramedDump } from '../core/framed-dump.js';
import { TARGET_PROCESS_MISSING_STATUS } from '../core/session-shell.js';
import type { Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { withCommand } from './engine-hint.js';
import { type Accounts, parseAccounts } from './accounts.js';
import { decodeListing } from './decode-listing.js';
import type { DirEntry, DirListing } from './list-dir.js';
import { LIST_PATH_VARIABLE, LIST_RECURSIVE_VARIABLE, listScript } from './list-script.js';
import { runCapture } from './run-capture.js';
import { sidekickLaunch } from './sidekick-launch.js';
import type { Toolbox } from './toolbox.js';

export async function listRunningTarget(
  engine: Engine,
  target: Target,
  containerPath: string,
  recursive: boolean,
  toolbox: Toolbox,
  env: NodeJS.ProcessEnv,
  /** Makes the toolbox image when the create finds none (debug/toolbox.ts, assumeDefaultToolbox). */
  buildToolbox?: () => Promise<void>,
): Promise<DirListing> {
  const result = await runCapture(engine, {
    ...(buildToolbox ? { buildImage: buildToolbox } : {}),
    launch: await sidekickLaunch(toolbox, target, env),
    image: toolbox.image,
    script: listScript(),
    env: [`${LIST_PATH_VARIABLE}=${containerPath}`, ...(recursive ? [`${LIST_RECURSIVE_VARIABLE}=1`] : [])],
    target: { id: target.id, joinIpc: false },
    labelTarget: target.id,
    nameFor: target.name,
    // Looking into the root of a process of another uid needs ptrace rights.
    capAdd: ['SYS_PTRACE'],
  });
  const dump = parseFramedDump(result.stdout);
  if (result.code === TARGET_PROCESS_MISSING_STATUS && dump.values.get('target') === undefined) {
    throw new SidekickError('TARGET_NOT_RUNNING', `the process of ${target.name} was not found; it may have just stopped.`, {
      hint: `${withCommand('Check it', engine.commands.showContainer(target.id), ' with ')}, then list it again.`,
    });
  }
  if (result.code !== 0 || dump.values.get('target') === undefined) {
    const detail = result.stderr.trim().split('\n')[0] ?? '';
    throw new SidekickError('ENGINE_ERROR', `the sidekick listing ${target.name}:${containerPath} failed (status ${result.code})${detail ? `: ${detail}` : ''}.`, {
      hint: 'Check that the target is still running, then retry with --debug.',
    });
  }
  const listing = decodeListing(dump);
  if (listing.missing || listing.loop) {
    throw new SidekickError('BAD_USAGE', `${target.name}:${containerPath}: ${listing.loop ? 'too many levels of symbolic links' : 'no such file or directory'}.`, {
      hint: `List its parent: sidekick ls ${target.name}:${path.posix.dirname(containerPath)}`,
    });
  }
  const [first] = listing.directories;
  if (first === undefined) {
    throw new SidekickError('ENGINE_ERROR', `${target.name}:${containerPath}: the directory could not be read.`, {
      hint: 'Its permissions or a security module refuse even a root sidekick with ptrace rights; `sidekick exec` can look closer.',
    });
  }
  const accounts = parseAccounts(listing.passwd, listing.group);
  const named = (entries: DirEntry[]): DirEntry[] => entries.map((entry) => withNames(entry, accounts));
  const directories = listing.directories.map((directory) => ({ path: directory.path, entries: named(directory.entries) }));
  const base = { target: { id: target.id, name: target.name }, path: containerPath, source: 'sidekick' as const };
  return { ...base, entries: directories[0]!.entries, ...(recursive ? { directories } : {}), ...(listing.unreadable.length > 0 ? { unreadable: listing.unreadable } : {}) };
}

function withNames(entry: DirEntry, accounts: Accounts): DirEntry {
  const user = entry.uid === null ? undefined : accounts.users.get(entry.uid);
  const group = entry.gid === null ? undefined : accounts.groups.get(entry.gid);
  return { ...entry, ...(user !== undefined ? { user } : {}), ...(group !== undefined ? { group } : {}) };
}
