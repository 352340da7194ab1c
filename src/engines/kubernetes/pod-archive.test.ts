import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { finished } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { ExitStatus, ProcessHandle, SignalableProcess } from '../../core/process-handle.js';
import type { Target } from '../../core/target.js';
import type { ContainerExecSpec, SidekickSpec } from '../engine.js';
import { parseWalk, PodArchive, type ArchiveHost } from './pod-archive.js';

/** An exec the test ends by hand: what it printed, and its status. */
interface ScriptedExec {
  operation: string;
  args: string[];
  stdout: PassThrough;
  stdin: PassThrough;
  finish(status: number, output?: string): void;
}

/** A host whose sidekick says it is ready and whose execs the test answers, in the order they start. */
function scriptedHost(status = 'running'): { host: ArchiveHost; execs: ScriptedExec[]; sidekicks: SidekickSpec[]; keeperStdins: PassThrough[]; waitForExec(count: number): Promise<ScriptedExec> } {
  const execs: ScriptedExec[] = [];
  const sidekicks: SidekickSpec[] = [];
  const keeperStdins: PassThrough[] = [];
  const waiters: Array<() => void> = [];
  const handle = (stdout: PassThrough, stdin: PassThrough, exit: Promise<ExitStatus>): ProcessHandle => ({
    stdin,
    stdout,
    stderr: Readable.from([]),
    exit,
    resize: async () => undefined,
    detach: () => undefined,
  });
  const host: ArchiveHost = {
    pulledToolboxImage: 'toolbox',
    findContainer: async (id) => ({ id, name: `pod/${id}`, status, runtimeId: 'rt', namespaceModes: { pid: { kind: 'private' } } }) as unknown as Target,
    runSidekick: async (spec) => {
      sidekicks.push(spec);
      const stdout = new PassThrough();
      stdout.write('ready\n');
      const stdin = new PassThrough();
      keeperStdins.push(stdin);
      const process = { ...handle(stdout, stdin, new Promise<ExitStatus>(() => undefined)), signal: async () => undefined } as SignalableProcess;
      return { id: 'default/p/sidekick-x', process };
    },
    execInContainer: async (_id: string, spec: ContainerExecSpec) => {
      const stdout = new PassThrough();
      const stdin = new PassThrough();
      stdin.resume();
      let settle: (status: ExitStatus) => void = () => undefined;
      const exit = new Promise<ExitStatus>((resolve) => (settle = resolve));
      execs.push({
        operation: spec.command[4] ?? '',
        args: spec.command.slice(5),
        stdout,
        stdin,
        finish(code, output) {
          if (output !== undefined) stdout.write(output);
          stdout.end();
          settle({ code });
        },
      });
      for (const wake of waiters.splice(0)) wake();
      return handle(stdout, stdin, exit);
    },
  };
  const waitForExec = async (count: number): Promise<ScriptedExec> => {
    while (execs.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return execs[count - 1]!;
  };
  return { host, execs, sidekicks, keeperStdins, waitForExec };
}

describe('PodArchive', () => {
  it('starts one sidekick per target, and runs one operation at a time: a read holds the next until its tar is read', async () => {
    const { host, execs, sidekicks, waitForExec } = scriptedHost();
    const archive = new PodArchive(host);
    const reading = archive.getArchive('default/p/app', '/etc');
    (await waitForExec(1)).finish(0, 'stat 41ed 4096 0\n');
    const get = await waitForExec(2);
    expect(get.operation).toBe('get');
    const { tar, stat } = await reading;
    expect(stat?.kind).toBe('dir');
    // A stat asked for meanwhile waits for the read to be over.
    const stating = archive.statPath('default/p/app', '/x');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(execs).toHaveLength(2);
    get.finish(0, 'tar bytes');
    expect(await text(tar as Readable)).toBe('tar bytes');
    (await waitForExec(3)).finish(0, 'absent\n');
    expect(await stating).toBeUndefined();
    expect(sidekicks).toHaveLength(1);
    expect(sidekicks[0]).toMatchObject({ image: 'toolbox', openStdin: true, tty: false, target: { id: 'default/p/app' } });
    expect(sidekicks[0]!.name).toMatch(/^sidekick-pod-default-p-app-[a-z0-9]{6}$/);
  });

  it('asks for stats that wait together in one operation, links and absences in their places; one asked for after a write waits for it', async () => {
    const { host, execs, waitForExec } = scriptedHost();
    const archive = new PodArchive(host);
    const first = archive.statPath('default/p/app', '/first');
    const holding = await waitForExec(1);
    expect({ operation: holding.operation, args: holding.args }).toEqual({ operation: 'stat', args: ['/first'] });
    // While it runs, three more wait, then a write, then one more.
    const waiting = ['/a', '/link', '/b'].map((path) => archive.statPath('default/p/app', path));
    const writing = archive.putArchive('default/p/app', '/', Readable.from([]));
    const after = archive.statPath('default/p/app', '/after');
    holding.finish(0, 'absent\n');
    expect(await first).toBeUndefined();
    const batch = await waitForExec(2);
    expect({ operation: batch.operation, args: batch.args }).toEqual({ operation: 'stat', args: ['/a', '/link', '/b'] });
    batch.finish(0, 'stat 81a4 12 0\nstat a1ff 4 0\n/a/target\n\0two\nlines\n\0absent\n');
    expect(await Promise.all(waiting)).toEqual([
      expect.objectContaining({ name: 'a', kind: 'file', size: 12 }),
      expect.objectContaining({ name: 'link', kind: 'symlink', linkTarget: '/a/target' }),
      undefined,
    ]);
    const put = await waitForExec(3);
    expect(put.operation).toBe('put');
    put.finish(0);
    await writing;
    const last = await waitForExec(4);
    expect({ operation: last.operation, args: last.args }).toEqual({ operation: 'stat', args: ['/after'] });
    last.finish(0, 'stat 41ed 4096 0\n');
    expect((await after)?.kind).toBe('dir');
    expect(execs).toHaveLength(4);
  });

  it('fails every stat of an operation that answered fewer records than it was asked for', async () => {
    const { host, waitForExec } = scriptedHost();
    const archive = new PodArchive(host);
    const first = archive.statPath('default/p/app', '/first');
    const holding = await waitForExec(1);
    const waiting = ['/a', '/b'].map((path) => archive.statPath('default/p/app', path));
    holding.finish(0, 'absent\n');
    await first;
    (await waitForExec(2)).finish(0, 'absent\n');
    for (const stat of waiting) await expect(stat).rejects.toThrow(/answered 1 of 2 stats/);
  });

  it('fails a read whose tar ended with a failure, rather than end it cleanly', async () => {
    const { host, waitForExec } = scriptedHost();
    const archive = new PodArchive(host);
    const reading = archive.getArchive('default/p/app', '/etc');
    (await waitForExec(1)).finish(0, 'stat 41ed 4096 0\n');
    (await waitForExec(2)).finish(1, 'half a tar');
    const { tar } = await reading;
    await expect(text(tar as Readable)).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
  });

  it('refuses a stopped container before starting anything', async () => {
    const { host, sidekicks } = scriptedHost('exited');
    const archive = new PodArchive(host);
    await expect(archive.putArchive('default/p/app', '/', Readable.from([]), { noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'TARGET_NOT_RUNNING' });
    await expect(archive.statPath('default/p/app', '/')).rejects.toMatchObject({ code: 'TARGET_NOT_RUNNING' });
    expect(sidekicks).toHaveLength(0);
  });

  it('with noOverwriteDirNonDir, unpacks segment by segment, each pinned where the first found the directory, and stops at a refused one', async () => {
    const { host, execs, waitForExec } = scriptedHost();
    const archive = new PodArchive(host);
    const tar = pack();
    tar.entry({ name: 'd/', type: 'directory' });
    tar.entry({ name: 'd/f', mode: 0o644 }, 'file');
    tar.entry({ name: 'e/', type: 'directory' });
    tar.entry({ name: 'e/g', mode: 0o644 }, 'never written');
    tar.finalize();
    const putting = archive.putArchive('default/p/app', '/link', tar as unknown as Readable, { noOverwriteDirNonDir: true });
    putting.catch(() => undefined);
    const first = await waitForExec(1);
    // The directory as given; `d` checked before its tar runs.
    expect({ operation: first.operation, args: first.args }).toEqual({ operation: 'pinned', args: ['/link', '', 'd', ''] });
    // A tar ends once its input has: each segment's input ends before the next starts.
    await finished(first.stdin);
    first.finish(0, 'base /real\n');
    const second = await waitForExec(2);
    // Then pinned in d, below the directory where the first segment found it.
    expect(second.args).toEqual(['/real', 'd', '', '/real']);
    await finished(second.stdin);
    second.finish(0);
    const third = await waitForExec(3);
    expect(third.args).toEqual(['/real', '', 'e', '/real']);
    third.finish(3);
    await expect(putting).rejects.toMatchObject({ code: 'ENGINE_ERROR', message: expect.stringContaining('could not write into /link') });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(execs).toHaveLength(3);
  });

  it('ends the sidekick\'s stdin when closed', async () => {
    const { host, sidekicks, keeperStdins, waitForExec } = scriptedHost();
    const archive = new PodArchive(host);
    const stating = archive.statPath('default/p/app', '/');
    (await waitForExec(1)).finish(0, 'absent\n');
    await stating;
    expect(sidekicks).toHaveLength(1);
    expect(keeperStdins[0]!.writableEnded).toBe(false);
    archive.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(keeperStdins[0]!.writableEnded).toBe(true);
  });
});

describe('parseWalk', () => {
  it('reads find -print0: absolute paths whole (a newline is part of a name), "/" left out, sorted', () => {
    const output = Buffer.from(['/', '/srv', '/etc', '/etc/two\nlines', '/bin'].map((path) => `${path}\0`).join(''));
    expect(parseWalk(output)).toEqual(['/bin', '/etc', '/etc/two\nlines', '/srv']);
    expect(parseWalk(Buffer.alloc(0))).toEqual([]);
  });
});
