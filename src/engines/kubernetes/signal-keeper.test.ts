import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ExitStatus, ProcessHandle } from '../../core/process-handle.js';
import { keeperCommand, signalKeeper } from './signal-keeper.js';

/** A keeper exec as the engine would return it: what is written to its stdin is recorded. */
function fakeKeeper(): { handle: ProcessHandle; lines: () => string[]; end: () => void; detached: () => boolean } {
  const stdin = new PassThrough();
  let written = '';
  stdin.on('data', (chunk: Buffer) => (written += chunk.toString()));
  let resolveExit: (status: ExitStatus) => void = () => undefined;
  let detached = false;
  const handle: ProcessHandle = {
    stdin,
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    exit: new Promise((resolve) => (resolveExit = resolve)),
    resize: async () => undefined,
    detach: () => {
      detached = true;
    },
  };
  return { handle, lines: () => written.split('\n').filter((l) => l !== ''), end: () => resolveExit({ code: 0 }), detached: () => detached };
}

describe('signal keeper', () => {
  it('opens one exec and sends every signal as a line on it', async () => {
    const fake = fakeKeeper();
    let opened = 0;
    const byExec: string[] = [];
    const keeper = signalKeeper(async () => (opened++, fake.handle), async (s) => void byExec.push(s));
    await keeper.send('SIGURG');
    await keeper.send('SIGURG');
    await keeper.send('SIGTERM');
    expect(opened).toBe(1);
    expect(fake.lines()).toEqual(['URG', 'URG', 'TERM']);
    expect(byExec).toEqual([]);
    keeper.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.detached()).toBe(true);
  });

  it('sends by exec when the keeper cannot be opened, has ended, or was closed', async () => {
    const byExec: string[] = [];
    const failing = signalKeeper(() => Promise.reject(new Error('forbidden')), async (s) => void byExec.push(s));
    await failing.send('SIGURG');
    expect(byExec).toEqual(['SIGURG']);

    const fake = fakeKeeper();
    const ending = signalKeeper(async () => fake.handle, async (s) => void byExec.push(s));
    await ending.send('SIGURG');
    fake.end();
    await new Promise((resolve) => setImmediate(resolve));
    await ending.send('SIGHUP');
    expect(fake.lines()).toEqual(['URG']);
    expect(byExec).toEqual(['SIGURG', 'SIGHUP']);

    const closing = signalKeeper(async () => fakeKeeper().handle, async (s) => void byExec.push(s));
    closing.close();
    await closing.send('SIGINT');
    expect(byExec).toEqual(['SIGURG', 'SIGHUP', 'SIGINT']);
  });

  it('its shell sends each name it reads to the target and ends with its input', async () => {
    const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
    const shell = keeperCommand('sh', String(victim.pid));
    const keeper = spawn(shell[0]!, shell.slice(1), { stdio: ['pipe', 'ignore', 'ignore'] });
    const victimEnd = new Promise<NodeJS.Signals | null>((resolve) => victim.on('exit', (_code, signal) => resolve(signal)));
    keeper.stdin.write('URG\n');
    keeper.stdin.write('TERM\n');
    expect(await victimEnd).toBe('SIGTERM');
    const keeperEnd = new Promise<number | null>((resolve) => keeper.on('exit', (code) => resolve(code)));
    keeper.stdin.end();
    expect(await keeperEnd).toBe(0);
  });
});
