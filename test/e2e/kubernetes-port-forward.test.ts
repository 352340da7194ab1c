/**
 * `sidekick port-forward pod/…` end to end: the built CLI against the control-plane double
 * (test/kube-double/README.md: a test double of the control plane only, backed by real Docker
 * containers), whose port-forward dials the port from inside the pod's network namespace as a
 * kubelet does. Real TCP traffic from this process through the forward into the pod.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { DoubleWorld } from '../kube-double/double-world.js';
import { deletePod, type DoublePod } from '../kube-double/pods.js';
import { CLI_PATH, REPO_ROOT, expectUntouched, httpGet, runCli, snapshotTarget, waitForHttp, type TargetSnapshot } from './harness.js';

const CASE_MS = 120_000;

interface RunningForward {
  child: ChildProcess;
  ports: number[];
  stderr: () => string;
  exit: Promise<number>;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Sends `payload` and reads back exactly as many bytes (the echo server keeps the connection until the client closes), then closes. */
function echo(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let length = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= payload.length) {
        socket.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${length} of ${payload.length} bytes`)));
    socket.write(payload);
  });
}

/** How a connection ended: "reset" when it was refused or reset, else what came before an orderly close. */
function outcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(`closed:${Buffer.concat(chunks).toString()}`));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNRESET' ? 'reset' : String(error.code)));
    socket.write('GET / HTTP/1.0\r\n\r\n');
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, explain: () => Promise<string> = async () => ''): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms${await explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('sidekick port-forward on a pod (through the API\'s port-forward of the control-plane double)', () => {
  const world = new DoubleWorld('sidekick-kube-pf');
  const pods: Array<{ pod: DoublePod; before: TargetSnapshot[] }> = [];
  const forwards: RunningForward[] = [];

  afterEach(async () => {
    try {
      for (const forward of forwards.splice(0)) {
        if (forward.child.exitCode === null && forward.child.signalCode === null) forward.child.kill('SIGKILL');
        await forward.exit;
      }
      // The pod's containers are as they were: same process, same filesystem, no zombie added.
      for (const { pod, before } of pods.splice(0)) for (const [i, id] of [...pod.containers.values()].entries()) await expectUntouched(before[i]!, id);
    } finally {
      await world.close();
    }
  });

  /** A pod of the scratch server (`app`: 8080, and 9090 on the pod's loopback only) and the echo server (`echo`: 7000). */
  async function servedPod(): Promise<{ pod: DoublePod; kubeconfig: string }> {
    const { scratchServer, tcpServer } = inject('fixtures');
    const kubeconfig = await world.kubeconfig();
    const pod = await world.pod(`sidekick-test-pf-${Date.now().toString(36)}`, [
      { name: 'app', image: scratchServer },
      { name: 'echo', image: tcpServer },
    ]);
    pods.push({ pod, before: await Promise.all([...pod.containers.values()].map((id) => snapshotTarget(id))) });
    await waitForHttp(pod.ip, 8080);
    return { pod, kubeconfig };
  }

  async function startForward(kubeconfig: string, args: string[], expectedLines: number): Promise<RunningForward> {
    const child = spawn(process.execPath, [CLI_PATH, '--debug', 'port-forward', '--kubeconfig', kubeconfig, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 128))));
    const forward: RunningForward = { child, ports: [], stderr: () => stderr, exit };
    forwards.push(forward);
    forward.ports = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no forwarding lines after 30 s; stdout: ${stdout} stderr: ${stderr}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = lines(stdout).map((line) => /^Forwarding 127\.0\.0\.1:(\d+) -> pod\/\S+:\d+$/.exec(line)?.[1]);
        if (found.length >= expectedLines && found.every((p) => p !== undefined)) {
          clearTimeout(timer);
          resolve(found.map(Number));
        }
      });
      void exit.then((code) => reject(new Error(`port-forward exited ${code} before forwarding; stderr: ${stderr}`)));
    });
    return forward;
  }

  /** The pod's ephemeral containers, as the double's Docker containers show them. */
  async function ephemeralsOf(pod: DoublePod): Promise<string[]> {
    return lines(await docker(['ps', '-aq', '--filter', `label=io.sidekick.kube-double.pod=default/${pod.name}`, '--filter', 'label=io.sidekick.kube-double.role=ephemeral']));
  }

  /** Processes in the pod's network namespace besides the pause process: the double's `nc` per forwarded connection. */
  async function connectionsInPod(pod: DoublePod): Promise<string[]> {
    const top = lines(await docker(['top', pod.pauseId, '-o', 'pid,args'])).slice(1);
    return top.filter((line) => / nc /.test(line));
  }

  it("reaches a port bound only to the pod's loopback, adds nothing to the pod, and ends cleanly on SIGINT", async () => {
    const { pod, kubeconfig } = await servedPod();
    const forward = await startForward(kubeconfig, [`pod/${pod.name}/app`, '0:9090', '0:8080'], 2);
    const [loopback, main] = await Promise.all([httpGet('127.0.0.1', forward.ports[0]!), httpGet('127.0.0.1', forward.ports[1]!)]);
    expect(loopback).toEqual({ status: 200, body: 'loopback only\n' });
    expect(main).toEqual({ status: 200, body: 'hello from scratch\n' });
    // Said on stderr, whose pipe may reach this process after the answers over TCP.
    await until('the carrier to be said', async () => forward.stderr().includes('engine opens each connection itself; nothing is added to'), 10_000, async () => `; stderr: ${forward.stderr()}`);
    // Zero trace: no ephemeral container, no sidekick of any kind.
    expect(await ephemeralsOf(pod)).toEqual([]);
    // A connection left open when the signal comes is cut, and its connection in the pod ends.
    const held = connect({ host: '127.0.0.1', port: forward.ports[1]! });
    held.on('error', () => undefined);
    const heldClosed = new Promise<void>((resolve) => held.on('close', () => resolve()));
    await new Promise<void>((resolve) => held.once('connect', () => resolve()));
    await until('the held connection to reach the pod', async () => (await connectionsInPod(pod)).length === 1);
    forward.child.kill('SIGINT');
    expect(await forward.exit).toBe(130);
    await heldClosed;
    expect(forward.stderr().split('\n').filter((line) => line !== '' && !line.startsWith('sidekick: engine ') && !line.includes('nothing is added to'))).toEqual([]);
    await until('every connection in the pod to end', async () => (await connectionsInPod(pod)).length === 0);
    expect(await ephemeralsOf(pod)).toEqual([]);
    expect(await outcome(forward.ports[0]!)).toBe('ECONNREFUSED');
  }, CASE_MS);

  it('carries many connections at once, each on its own stream, byte for byte (pod/NAME of a pod of two containers: they share one network)', async () => {
    const { pod, kubeconfig } = await servedPod();
    const forward = await startForward(kubeconfig, [`pod/${pod.name}`, '0:7000'], 1);
    const payloads = Array.from({ length: 24 }, (_, i) => randomBytes((64 << 10) + i * 4099));
    const answers = await Promise.allSettled(payloads.map((payload) => echo(forward.ports[0]!, payload)));
    answers.forEach((answer, i) => expect(answer.status === 'fulfilled' ? sha256(answer.value) : String(answer.reason), `connection ${i}; ${forward.stderr()}`).toBe(sha256(payloads[i]!)));
    // A bigger one after them: still whole.
    const big = randomBytes(8 << 20);
    expect(sha256(await echo(forward.ports[0]!, big))).toBe(sha256(big));
    expect(forward.child.exitCode).toBeNull();
    expect(forward.stderr()).not.toMatch(/refused|failed/);
    // Carried by the API's port-forward itself: no forwarder was added to the pod.
    expect(await ephemeralsOf(pod)).toEqual([]);
    forward.child.kill('SIGTERM');
    expect(await forward.exit).toBe(143);
    await until('every connection in the pod to end', async () => (await connectionsInPod(pod)).length === 0);
  }, CASE_MS);

  it('says a refused connection in one line, cuts only that connection, and keeps forwarding', async () => {
    const { pod, kubeconfig } = await servedPod();
    const forward = await startForward(kubeconfig, [`pod/${pod.name}/app`, '0:8081', '0:8080'], 2);
    expect(await outcome(forward.ports[0]!)).toBe('reset');
    await until('the refusal to be said', async () => /refused/.test(forward.stderr()));
    const said = forward.stderr().split('\n').filter((line) => /refused/.test(line));
    expect(said).toEqual([`sidekick: connection to pod/${pod.name}/app:8081 refused: nothing listens on port 8081 in the pod.`]);
    // Another connection, on the other port and on the refused one.
    expect(await httpGet('127.0.0.1', forward.ports[1]!)).toEqual({ status: 200, body: 'hello from scratch\n' });
    expect(await outcome(forward.ports[0]!)).toBe('reset');
    expect(forward.child.exitCode).toBeNull();
    expect(await ephemeralsOf(pod)).toEqual([]);
    forward.child.kill('SIGINT');
    expect(await forward.exit).toBe(130);
  }, CASE_MS);

  it('ends the connection in the pod when its client resets mid-stream, and the forward carries on', async () => {
    const { pod, kubeconfig } = await servedPod();
    const forward = await startForward(kubeconfig, [`pod/${pod.name}/echo`, '0:7001', '0:7000'], 2);
    // 20 clients read 64 KiB of an endless stream, then reset.
    await Promise.all(
      Array.from({ length: 20 }, () => new Promise<void>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: forward.ports[0]! });
        let length = 0;
        socket.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (length >= 64 << 10 && !socket.destroyed) {
            socket.resetAndDestroy();
            resolve();
          }
        });
        socket.on('error', reject);
      })),
    );
    await until('every cut connection to end in the pod', async () => (await connectionsInPod(pod)).length === 0, 20_000, async () => `; left: ${(await connectionsInPod(pod)).join(' | ')}; stderr: ${forward.stderr()}`);
    expect(forward.child.exitCode).toBeNull();
    const payload = randomBytes(1 << 20);
    expect(sha256(await echo(forward.ports[1]!, payload))).toBe(sha256(payload));
    forward.child.kill('SIGINT');
    expect(await forward.exit).toBe(130);
    expect(forward.stderr()).not.toMatch(/refused|failed/);
    expect(await ephemeralsOf(pod)).toEqual([]);
  }, CASE_MS);

  it('ends with 125 and one line when the pod is deleted, its local port closed', async () => {
    const { pod, kubeconfig } = await servedPod();
    const forward = await startForward(kubeconfig, [`pod/${pod.name}/app`, '0:8080'], 1);
    expect((await httpGet('127.0.0.1', forward.ports[0]!)).status).toBe(200);
    // The pod goes (its containers with it): nothing of it is left to compare afterwards.
    pods.splice(pods.findIndex((entry) => entry.pod === pod), 1);
    world.forget(pod);
    await deletePod(pod.namespace, pod.name);
    expect(await forward.exit).toBe(125);
    const said = forward.stderr().split('\n').filter((line) => line !== '' && !line.startsWith('sidekick: engine ') && !line.includes('nothing is added to'));
    // The pod's containers are killed, then removed. A forward that looks in between sees the
    // container down and says once that it waits for it (a restart would bring it back), then
    // that it was removed, or, after its grace, that it stopped: each is as true.
    const endedAt = said.findIndex((line) => line.endsWith('; the port-forward has ended.'));
    expect(endedAt, said.join('\n')).toBeGreaterThanOrEqual(0);
    expect(said[endedAt]).toMatch(new RegExp(`^sidekick: container pod/${pod.name}/app (was removed|stopped( with status \\d+)? \\(\\S+\\)); the port-forward has ended\\.$`));
    expect(endedAt, said.join('\n')).toBeLessThanOrEqual(1);
    for (const line of said.slice(0, endedAt)) expect(line).toMatch(new RegExp(`^sidekick: container pod/${pod.name}/app is \\S+; waiting for it to run again\\.$`));
    // The ended line and at most its hint after it.
    expect(said.length - endedAt, said.join('\n')).toBeLessThanOrEqual(2);
    expect(await outcome(forward.ports[0]!)).toBe('ECONNREFUSED');
  }, CASE_MS);

  it('refuses a UDP port in one line before anything starts: the API has no UDP port-forward', async () => {
    const { pod, kubeconfig } = await servedPod();
    const result = await runCli(['port-forward', '--kubeconfig', kubeconfig, `pod/${pod.name}/app`, '8080', '0:53/udp']);
    expect(result.code).toBe(125);
    expect(result.stdout.toString()).toBe('');
    const [line, hint, rest] = result.stderr.split('\n');
    expect(line).toMatch(/^sidekick: cannot forward 53\/udp: the Kubernetes engine at http:\/\/\S+ \(context \S+, namespace default\) forwards TCP only\.$/);
    expect(hint).toMatch(/^Forward TCP ports only/);
    expect(rest).toBe('');
    expect(await ephemeralsOf(pod)).toEqual([]);
  }, CASE_MS);
});
