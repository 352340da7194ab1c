import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ExitStatus, ProcessHandle } from '../../core/process-handle.js';
import { tunnelOver } from './tunnel.js';

/** The streams of an exec, written by the test as the engine would. */
function execStreams(): { handle: ProcessHandle; stdout: PassThrough; stderr: PassThrough; detached: () => boolean } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let detached = false;
  const handle: ProcessHandle = {
    stdin: new PassThrough(),
    stdout,
    stderr,
    exit: new Promise<ExitStatus>(() => undefined),
    resize: async () => undefined,
    signal: async () => undefined,
    detach: () => {
      detached = true;
      stdout.end();
      stderr.end();
    },
  };
  return { handle, stdout, stderr, detached: () => detached };
}

async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += (chunk as Buffer).toString();
  return text;
}

describe('tunnelOver', () => {
  it('passes on what the remote sends, without the ready byte, and reports a normal end', async () => {
    const exec = execStreams();
    const tunnel = tunnelOver(exec.handle, () => undefined);
    const received = collect(tunnel.stdout);
    exec.stderr.write('sidekick-tunnel-pid 42\n');
    exec.stdout.write(Buffer.from([0x06]));
    exec.stdout.write('HTTP/1.0 200 OK\r\n\r\nhello');
    exec.stderr.end('sidekick-tunnel-status 0\n');
    exec.stdout.end();
    expect(await tunnel.ended).toEqual({ kind: 'exited', status: 0, message: '' });
    expect(await received).toBe('HTTP/1.0 200 OK\r\n\r\nhello');
  });

  it("never passes the engine's own error text on as data: the exec did not start", async () => {
    const exec = execStreams();
    const tunnel = tunnelOver(exec.handle, () => undefined);
    const received = collect(tunnel.stdout);
    exec.stdout.end('cannot exec in a stopped state: unknown\r\n');
    exec.stderr.end();
    expect(await tunnel.ended).toEqual({ kind: 'not-started', message: 'cannot exec in a stopped state: unknown' });
    expect(await received).toBe('');
  });

  it('calls a tunnel whose streams end without a status lost (killed with the target, or the engine gone)', async () => {
    const exec = execStreams();
    const tunnel = tunnelOver(exec.handle, () => undefined);
    void collect(tunnel.stdout);
    exec.stderr.write('sidekick-tunnel-pid 42\n');
    exec.stdout.write(Buffer.from([0x06, 0x79, 0x0a]));
    exec.stdout.end();
    exec.stderr.end();
    expect((await tunnel.ended).kind).toBe('lost');
  });

  it("reports nc's failure and what it said", async () => {
    const exec = execStreams();
    const tunnel = tunnelOver(exec.handle, () => undefined);
    void collect(tunnel.stdout);
    exec.stdout.end(Buffer.from([0x06]));
    exec.stderr.end('sidekick-tunnel-pid 7\nnc: can\'t connect to remote host (127.0.0.1): Connection refused\nsidekick-tunnel-status 1\n');
    expect(await tunnel.ended).toEqual({ kind: 'exited', status: 1, message: "nc: can't connect to remote host (127.0.0.1): Connection refused" });
  });

  it("ends nc through its shell's PID on abort, also when the PID comes after the abort", async () => {
    const killed: number[] = [];
    const exec = execStreams();
    const tunnel = tunnelOver(exec.handle, (pid) => killed.push(pid));
    exec.stdout.write(Buffer.from([0x06]));
    tunnel.abort();
    expect(killed).toEqual([]);
    exec.stderr.write('sidekick-tunnel-pid 1234\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(killed).toEqual([1234]);
    tunnel.abort();
    expect(killed).toEqual([1234]);
  });

  it('lets go of the engine connection when its forwarder is gone', async () => {
    const exec = execStreams();
    const tunnel = tunnelOver(exec.handle, () => undefined);
    exec.stdout.write(Buffer.from([0x06]));
    tunnel.lose();
    expect(exec.detached()).toBe(true);
    expect((await tunnel.ended).kind).toBe('lost');
  });
});
