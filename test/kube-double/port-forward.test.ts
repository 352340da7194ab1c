/**
 * End to end: `pods/portforward` over v4.channel.k8s.io reaches the pod's ports as a
 * kubelet does, from inside the pod's network namespace, including a port bound only to
 * the pod's loopback; a closed port is reported on the port's error channel. The client
 * side is the product's decoder (port-forward-protocol.ts); the server on the other end
 * is the scratch-server fixture, whose answers are fixed by its source.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { PORT_FORWARD_PROTOCOL, PortForwardDecoder, encodeClientData, portForwardPath } from '../../src/engines/kubernetes/port-forward-protocol.js';
import { docker, lines } from '../fixtures/docker-cli.js';
import { waitForHttp } from '../e2e/harness.js';
import { createPod, deletePod } from './pods.js';
import { startKubeDouble, type KubeDouble } from './server.js';
import { openSession } from './test-client.js';

describe('kube-double: port-forward', () => {
  const pods: [string, string][] = [];
  let double: KubeDouble | undefined;

  afterEach(async () => {
    for (const [namespace, name] of pods.splice(0)) await deletePod(namespace, name);
    await double?.close();
    double = undefined;
  });

  async function servedPod(image = inject('fixtures').scratchServer): Promise<string> {
    const name = `pf-${Date.now().toString(36)}`;
    pods.push(['default', name]);
    const pod = await createPod('default', name, [{ name: 'app', image }]);
    if (image !== inject('fixtures').scratchServer) {
      double = await startKubeDouble();
      return name;
    }
    await waitForHttp(pod.ip, 8080);
    double = await startKubeDouble();
    return name;
  }

  /** One request over one forwarded port; resolves with what came back on each channel once the server closes. */
  async function forward(pod: string, port: number, request: string): Promise<{ data: string; error: string }> {
    const conn = await openSession(double as KubeDouble, portForwardPath('default', pod, [port]), [PORT_FORWARD_PROTOCOL]);
    expect(conn.protocol).toBe(PORT_FORWARD_PROTOCOL);
    const decoder = new PortForwardDecoder([port]);
    let data = '';
    let error = '';
    const closed = new Promise<number>((resolve) => conn.on('close', ({ code }) => resolve(code)));
    conn.on('message', (message) => {
      for (const event of decoder.push(message.data)) {
        if (event.kind === 'data') data += event.data.toString('utf8');
        else error += event.text;
      }
    });
    conn.sendBinary(encodeClientData(0, Buffer.from(request)));
    expect(await closed).toBe(1000);
    return { data, error };
  }

  it("carries an HTTP exchange to the pod's port 8080", async () => {
    const pod = await servedPod();
    const { data, error } = await forward(pod, 8080, 'GET / HTTP/1.0\r\nHost: pod\r\n\r\n');
    expect(error).toBe('');
    expect(data).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    expect(data.endsWith('\r\n\r\nhello from scratch\n')).toBe(true);
  });

  it("reaches a port bound only to the pod's loopback, as a kubelet does", async () => {
    const pod = await servedPod();
    const { data, error } = await forward(pod, 9090, 'GET / HTTP/1.0\r\n\r\n');
    expect(error).toBe('');
    expect(data.endsWith('\r\n\r\nloopback only\n')).toBe(true);
  });

  it('ends the connection in the pod when the client closes the WebSocket first, as a kubelet closes its connection', async () => {
    // The tcp-server fixture's 7001 streams for ever: nc is busy writing when the stream goes.
    const pod = await servedPod(inject('fixtures').tcpServer);
    const pauseId = (await docker(['ps', '-q', '--no-trunc', '--filter', `label=io.sidekick.kube-double.pod=default/${pod}`, '--filter', 'label=io.sidekick.kube-double.role=pause'])).trim();
    const ncs = async (): Promise<number> => lines(await docker(['top', pauseId, '-o', 'pid,args'])).filter((line) => / nc /.test(line)).length;
    const conn = await openSession(double as KubeDouble, portForwardPath('default', pod, [7001]), [PORT_FORWARD_PROTOCOL]);
    for (const deadline = Date.now() + 10_000; (await ncs()) !== 1; ) {
      if (Date.now() > deadline) throw new Error('the connection never reached the pod');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    conn.close();
    for (const deadline = Date.now() + 10_000; (await ncs()) !== 0; ) {
      if (Date.now() > deadline) throw new Error('the connection in the pod outlived the stream');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it("reports a closed port on the port's error channel, in the kubelet's words", async () => {
    const pod = await servedPod();
    const { data, error } = await forward(pod, 8081, 'hello?');
    expect(data).toBe('');
    expect(error).toMatch(new RegExp(`^error forwarding port 8081 to pod ${pod}, uid [-0-9a-f]+: .*refused`, 'i'));
  });
});
