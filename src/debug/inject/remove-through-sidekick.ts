/**
 * Removal inside a target by a sidekick, not by `docker exec` in the target: an exec inherits the
 * target's dropped capabilities (with --cap-drop ALL, root cannot enter a 0700 directory of
 * apt's `_apt` user), and it needs the injected busybox intact (an interrupted inject leaves it
 * truncated). The sidekick has the engine's default capabilities (DAC_OVERRIDE, FOWNER) and its
 * own busybox; it chroots into the target's root, so an absolute symlink of the target resolves
 * inside the target, never into the sidekick or the host (docs/ARCHITECTURE.md, "The target's files"). Each path is
 * removed as `./NAME` from its parent, entered with `cd -P` and checked with `pwd -P`, so a
 * parent the target swapped for a symlink is reported, not followed.
 *
 * Paths go through stdin, one per line with an operation: `R PATH` removes it with what is
 * below it; `F PATH` removes it only when nothing before it failed (the manifest, last).
 *
 * An engine that has such a process in the target's root already runs the same program there
 * instead (`rootScripts`: a pod's archive sidekick, which also has the engine's default
 * capabilities): no sidekick of its own, so on a pod no second ephemeral container.
 */
import { SidekickError } from '../../core/errors.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { startExecSession } from '../exec-session.js';

/** Runs in the sidekick's own root: `$1` is the script for inside the target's root. */
const OUTER = [
  // The toolbox view links the target's own root (its process's, never a shared namespace's PID 1) at /target.
  't=/target; if [ ! -d "$t/" ]; then echo "sidekick: the target\'s root is not at /target" >&2; exit 125; fi',
  // Not the last command: this shell must outlive the chroot, whose tools are under /proc/$$/root.
  'chroot "$t" "/proc/$$/root/bin/busybox" sh -c "$1" sidekick-remove "$$"',
  'status=$?',
  'exit $status',
].join('\n');

/**
 * In the target's root. `$1`: the PID of the sidekick's shell, whose root holds the applets; empty
 * where the engine gives them otherwise (rootScripts: as commands of the shell).
 */
const INNER = [
  '[ -z "$1" ] || { PATH=/proc/$1/root/bin; export PATH; }',
  'status=0',
  // One path a line (no name sent here holds a newline), so a whole line is a whole path.
  'links="\n"',
  'while IFS= read -r line; do',
  '  op=${line%% *}; p=${line#* }',
  '  if [ "$op" = F ] && [ $status -ne 0 ]; then echo "L $p"; echo "E kept until everything else is gone"; continue; fi',
  // Symbolic links that lead somewhere now; those that lead nowhere once ours is gone were made from ours.
  '  if [ "$op" = C ]; then if [ -L "$p" ] && [ -e "$p" ]; then links="$links$p\n"; fi; continue; fi',
  '  d=${p%/*}; [ -n "$d" ] || d=/',
  '  n=${p##*/}',
  // A parent that is gone took its children with it.
  '  cd -P -- "$d" 2>/dev/null || continue',
  '  if [ "$(pwd -P)" != "$d" ]; then [ "$op" = R ] || [ "$op" = F ] || continue; echo "L $p"; echo "E $d is not a plain directory any more"; status=3; continue; fi',
  '  [ -e "./$n" ] || [ -L "./$n" ] || continue',
  '  if [ "$op" = S ]; then case "$links" in *"\n$p\n"*) [ -L "./$n" ] && [ ! -e "./$n" ] && rm -f -- "./$n";; esac; continue; fi',
  // A directory of ours that held only such links: removed once empty, kept otherwise.
  '  if [ "$op" = H ]; then rmdir -- "./$n" 2>/dev/null; continue; fi',
  '  err=$(rm -rf -- "./$n" 2>&1)',
  '  if [ -e "./$n" ] || [ -L "./$n" ]; then echo "L $p"; echo "E $(printf %s "$err" | tr "\\n" " ")"; status=1; fi',
  'done',
  'exit $status',
].join('\n');

export interface RemovalRequest {
  /** Removed with everything below them. */
  paths: readonly string[];
  /**
   * Kept paths of which a symbolic link is removed when it led somewhere before the removal
   * and leads nowhere after it (ldconfig's and update-ca-certificates' links into the OS).
   */
  linksInto?: readonly string[];
  /** Directories removed, deepest first, if they are empty after all that; kept otherwise. */
  ifEmpty?: readonly string[];
  /** Removed last, and only when every path before it is gone. */
  finally?: string;
}

export interface LeftPath {
  path: string;
  reason: string;
}

/** Removes paths inside the target through a chrooted sidekick; returns what is left and why. */
export async function removeThroughSidekick(engine: Engine, target: Target, request: RemovalRequest, env: NodeJS.ProcessEnv): Promise<LeftPath[]> {
  const lines = [
    ...(request.linksInto ?? []).map((path) => `C ${path}`),
    ...request.paths.map((path) => `R ${path}`),
    ...(request.linksInto ?? []).map((path) => `S ${path}`),
    ...[...(request.ifEmpty ?? [])].sort((a, b) => b.split('/').length - a.split('/').length).map((path) => `H ${path}`),
    ...(request.finally !== undefined ? [`F ${request.finally}`] : []),
  ];
  if (lines.length === 0) return [];
  if (lines.some((line) => line.includes('\n'))) throw new Error('removeThroughSidekick: a path holds a newline');
  // An engine with a process of its own in the target's root already (a pod's archive sidekick) runs the removal there.
  if (engine.rootScripts !== undefined) {
    const { code, output, errors } = await engine.rootScripts.runInRoot(target.id, { script: INNER, args: [''], input: `${lines.join('\n')}\n` });
    return leftOrFailure(target, code, output, errors);
  }
  const session = await startExecSession(
    engine,
    {
      target: target.id,
      command: ['sh', '-c', OUTER, 'sidekick-eject', INNER],
      tty: false,
      interactive: true,
      chroot: false,
      privileged: false,
      capAdd: [],
      env: [],
      keep: false,
      announce: false,
    },
    env,
  );
  try {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    session.process.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    session.process.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    session.process.stdin?.end(`${lines.join('\n')}\n`);
    const { code } = await session.process.exit;
    return leftOrFailure(target, code, Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8'));
  } finally {
    await session.dispose();
  }
}

/** What the removal reported left; a failure that reported nothing is said as one. */
function leftOrFailure(target: Target, code: number, output: string, errors: string): LeftPath[] {
  const left = parseLeft(output);
  if (code !== 0 && left.length === 0) {
    const detail = errors.trim().split('\n').slice(0, 3).join('; ') || `exit status ${code}`;
    throw new SidekickError('ENGINE_ERROR', `the sidekick that removes the injection from ${target.name} failed: ${detail}`, {
      hint: `Nothing more was removed than it reported. Run sidekick eject ${target.name} again; sidekick sessions lists what is left.`,
    });
  }
  return left;
}

function parseLeft(text: string): LeftPath[] {
  const left: LeftPath[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('L ')) continue;
    const reason = lines[i + 1]?.startsWith('E ') ? lines[i + 1]!.slice(2).trim() : '';
    left.push({ path: line.slice(2), reason: reason || 'it could not be removed' });
  }
  return left;
}
