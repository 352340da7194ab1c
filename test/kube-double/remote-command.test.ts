/**
 * End to end: `pods/exec` and `pods/attach` over v5.channel.k8s.io and v4.channel.k8s.io,
 * with the product's codecs on the client side (channel-protocol.ts). The commands run in a
 * real container of a double pod (the default toolbox, busybox); what they print and how
 * they end is fixed by the commands, not by the double.
 */
import { once } from 'node:events';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CHANNEL,
  REMOTE_COMMAND_PROTOCOLS,
  STREAM_PROTOCOL_V4,
  STREAM_PROTOCOL_V5,
  encodeClose,
  encodeData,
  encodeResize,
  type StreamProtocol,
} from '../../src/engines/kubernetes/channel-protocol.js';
import { docker } from '../fixtures/docker-cli.js';
import { createPod, deletePod } from './pods.js';
import { startKubeDouble, type KubeDouble } from './server.js';
import { api, collectSession, defaultToolboxImage, openSession } from './test-client.js';

const execPath = (pod: string, command: string[], flags: string, container = 'shell'): string =>
  `/api/v1/namespaces/default/pods/${pod}/exec?container=${container}&${flags}&${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}`;

describe('kube-double: exec and attach', () => {
  const pods: [string, string][] = [];
  let double: KubeDouble | undefined;
  let toolbox = '';

  beforeAll(async () => {
    toolbox = await defaultToolboxImage();
  });

  afterEach(async () => {
    for (const [namespace, name] of pods.splice(0)) await deletePod(namespace, name);
    await double?.close();
    double = undefined;
  });

  async function shellPod(protocols?: readonly StreamProtocol[]): Promise<string> {
    const name = `rc-${Date.now().toString(36)}`;
    pods.push(['default', name]);
    await createPod('default', name, [{ name: 'shell', image: toolbox, args: ['sleep', '3600'] }]);
    double = await startKubeDouble(protocols !== undefined ? { remoteCommandProtocols: protocols } : {});
    return name;
  }

  for (const protocol of [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4] as const) {
    it(`exec echo over ${protocol}: ready message, stdout, Success`, async () => {
      const pod = await shellPod([protocol]);
      const conn = await openSession(double as KubeDouble, execPath(pod, ['echo', 'hello', 'world'], 'stdout=true&stderr=true'), REMOTE_COMMAND_PROTOCOLS);
      expect(conn.protocol).toBe(protocol);
      expect(await collectSession(conn)).toEqual({ stdout: 'hello world\n', stderr: '', outcome: { kind: 'exited', exitCode: 0 }, sawReady: true });
    });
  }

  it('exec: stderr on channel 2 and a non-zero exit code in the status', async () => {
    const pod = await shellPod();
    const conn = await openSession(double as KubeDouble, execPath(pod, ['sh', '-c', 'echo out; echo oops >&2; exit 7'], 'stdout=true&stderr=true'), REMOTE_COMMAND_PROTOCOLS);
    expect(await collectSession(conn)).toMatchObject({ stdout: 'out\n', stderr: 'oops\n', outcome: { kind: 'exited', exitCode: 7 } });
  });

  it("exec: stdin reaches the command, and v5's CLOSE of stdin ends it", async () => {
    const pod = await shellPod();
    const conn = await openSession(double as KubeDouble, execPath(pod, ['sh', '-c', 'cat; echo "<eof>"'], 'stdin=true&stdout=true&stderr=true'), REMOTE_COMMAND_PROTOCOLS);
    expect(conn.protocol).toBe(STREAM_PROTOCOL_V5);
    const session = collectSession(conn);
    conn.sendBinary(encodeData(CHANNEL.stdin, Buffer.from('some input\n')));
    conn.sendBinary(encodeClose(STREAM_PROTOCOL_V5, CHANNEL.stdin));
    expect(await session).toMatchObject({ stdout: 'some input\n<eof>\n', outcome: { kind: 'exited', exitCode: 0 } });
  });

  it('exec with a TTY: a resize on channel 4 resizes the terminal', async () => {
    const pod = await shellPod();
    // Waits (bounded) until the terminal has the size sent, then prints it; stty fails while the size is 0x0.
    const script = 'i=0; while [ "$(stty size 2>/dev/null)" != "30 100" ] && [ $i -lt 3000 ]; do usleep 10000; i=$((i+1)); done; echo "size $(stty size)"';
    const conn = await openSession(double as KubeDouble, execPath(pod, ['sh', '-c', script], 'stdin=true&stdout=true&tty=true'), REMOTE_COMMAND_PROTOCOLS);
    const session = collectSession(conn);
    conn.sendBinary(encodeResize({ columns: 100, rows: 30 }));
    const { stdout, stderr, outcome } = await session;
    expect(stdout).toBe('size 30 100\r\n');
    expect(stderr).toBe('');
    expect(outcome).toEqual({ kind: 'exited', exitCode: 0 });
  });

  it("attach to a running container: its output arrives on stdout, and detaching leaves it running", async () => {
    const name = `at-${Date.now().toString(36)}`;
    pods.push(['default', name]);
    const pod = await createPod('default', name, [{ name: 'ticker', image: toolbox, args: ['sh', '-c', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 1; done'] }]);
    double = await startKubeDouble();
    const conn = await openSession(double, `/api/v1/namespaces/default/pods/${name}/attach?container=ticker&stdout=true&stderr=true`, REMOTE_COMMAND_PROTOCOLS);
    const session = collectSession(conn, (soFar) => {
      if (/tick \d+\n/.test(soFar) && conn.isOpen) conn.close();
    });
    const { stdout, sawReady } = await session;
    expect(sawReady).toBe(true);
    expect(stdout).toMatch(/^(tick \d+\n)+$/);
    expect((await docker(['inspect', '-f', '{{.State.Running}}', pod.containers.get('ticker') as string])).trim()).toBe('true');
  });

  it('closing the double ends the sessions still open', async () => {
    const pod = await shellPod();
    const conn = await openSession(double as KubeDouble, execPath(pod, ['sleep', '3600'], 'stdout=true'), REMOTE_COMMAND_PROTOCOLS);
    const ready = once(conn, 'message');
    const closed = once(conn, 'close');
    await ready;
    await (double as KubeDouble).close();
    double = undefined;
    expect((await closed)[0]).toMatchObject({ code: 1006 });
  });

  it('refuses an exec naming no command or an unknown container, before upgrading', async () => {
    const pod = await shellPod();
    await expect(openSession(double as KubeDouble, `/api/v1/namespaces/default/pods/${pod}/exec?container=shell&stdout=true`, REMOTE_COMMAND_PROTOCOLS)).rejects.toThrow(
      /400 .*you must specify at least one command for the container/,
    );
    await expect(openSession(double as KubeDouble, execPath(pod, ['true'], 'stdout=true', 'nope'), REMOTE_COMMAND_PROTOCOLS)).rejects.toThrow(/400 .*container nope is not valid for pod/);
    expect((await api(double as KubeDouble, 'GET', `/api/v1/namespaces/default/pods/${pod}/exec?command=true`)).json).toMatchObject({ code: 400, message: 'Upgrade request required' });
  });
});
