import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_SHELL_FUNCTIONS } from './session-shell.js';

const run = promisify(execFile);

/** Live processes (not zombies) among the given pids, from the host's /proc. */
async function alive(pids: number[]): Promise<number[]> {
  const result: number[] = [];
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') result.push(pid);
  }
  return result;
}

function numbers(stdout: string, key: string): number[] {
  const match = new RegExp(`${key}=(.*)`).exec(stdout);
  return (match?.[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
}

/**
 * The functions run in busybox sh on this host, as they do in a sidekick: ROOT is a shell
 * that starts a session's processes, the caller is another shell below it (the anchor or
 * the guard), as in core/sidekick-script.ts.
 */
describe('session shell functions (busybox sh, on this host)', () => {
  let dir: string;
  let functions: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-session-shell-'));
    functions = join(dir, 'functions.sh');
    await writeFile(functions, SESSION_SHELL_FUNCTIONS);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("session_procs lists ROOT's tree without the caller's subtree and the KEEPs", async () => {
    const script = `. "$F"
sleep 30 & a=$!
sleep 30 & b=$!
( sleep 30 & wait ) & c=$!
sleep 0.2
echo "a=$a"; echo "b=$b"; echo "c=$c"
echo "listed=$(/bin/busybox sh -c '. "$F"; session_procs "$1" $$ "$2" | sort -n | tr "\\n" " "' caller $$ $b)"
echo "all=$(/bin/busybox sh -c '. "$F"; session_procs "$1" $$ | tr "\\n" " "' caller $$)"
kill $a $b; /bin/busybox sh -c '. "$F"; sweep KILL "$1" $$' caller $$
# Not the last command: busybox sh would exec it, and the caller would be ROOT itself.
true`;
    const { stdout } = await run('/bin/busybox', ['sh', '-c', script], { env: { F: functions, PATH: '/usr/bin:/bin' }, timeout: 30_000 });
    const [a] = numbers(stdout, 'a');
    const [b] = numbers(stdout, 'b');
    const [c] = numbers(stdout, 'c');
    const listed = numbers(stdout, 'listed');
    expect(listed).toContain(a);
    expect(listed).toContain(c);
    expect(listed).not.toContain(b);
    // a, c and the sleeper of c's subshell; nothing of the caller's own (its $(…), cat, awk).
    expect(listed).toHaveLength(3);
    expect(numbers(stdout, 'all')).toHaveLength(4);
  });

  it('sweep ends every process below ROOT, grandchildren and those that ignore TERM and HUP', async () => {
    const script = `. "$F"
sleep 60 & a=$!
( trap '' TERM HUP; sleep 60 ) &
( sh -c 'sleep 60 & sleep 60' ) &
sleep 0.2
echo "pids=$(/bin/busybox sh -c '. "$F"; session_procs "$1" $$ | tr "\\n" " "' caller $$)"
/bin/busybox sh -c '. "$F"; sweep TERM "$1" $$' caller $$
echo "left=$(/bin/busybox sh -c '. "$F"; session_procs "$1" $$ | tr "\\n" " "' caller $$)"
true`;
    const { stdout } = await run('/bin/busybox', ['sh', '-c', script], { env: { F: functions, PATH: '/usr/bin:/bin' }, timeout: 30_000 });
    const before = numbers(stdout, 'pids');
    // Two sleepers, the TERM-proof subshell and its sleeper, sh and its sleepers (busybox sh execs its last command).
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(numbers(stdout, 'left')).toEqual([]);
    expect(await alive(before)).toEqual([]);
  });
});
