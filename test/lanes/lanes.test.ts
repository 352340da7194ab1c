import { describe, expect, it } from 'vitest';
import { holdLane, startLaneServer } from './lane-server.js';
import { laneOf } from './lanes.js';

describe('test lanes', () => {
  it('puts the files on the double in one lane, the other engine files in another, unit files in none', () => {
    expect(laneOf('/repo/test/e2e/kubernetes-archive.test.ts')).toBe('kube');
    expect(laneOf('test/kube-double/websocket.test.ts')).toBe('kube');
    expect(laneOf('/repo/test/e2e/exec.test.ts')).toBe('docker');
    expect(laneOf('/repo/stress/load.stress.ts')).toBe('docker');
    expect(laneOf('/repo/test/session-logic/exec-session.test.ts')).toBeUndefined();
    expect(laneOf('/repo/src/engines/kubernetes/pod-copy.test.ts')).toBeUndefined();
  });

  it('gives a lane to one holder at a time, in the order asked, and frees it when the holder goes', async () => {
    const server = await startLaneServer();
    try {
      const first = await holdLane(server.path, 'docker', 2_000);
      const order: string[] = [];
      const second = holdLane(server.path, 'docker', 2_000).then((socket) => (order.push('second'), socket));
      const third = holdLane(server.path, 'docker', 2_000).then((socket) => (order.push('third'), socket));
      // Another lane is free meanwhile.
      const other = await holdLane(server.path, 'kube', 2_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(order).toEqual([]);
      first.destroy();
      const secondSocket = await second;
      expect(order).toEqual(['second']);
      secondSocket.end();
      (await third).end();
      expect(order).toEqual(['second', 'third']);
      other.end();
      await expect(holdLane(server.path, 'kube', 2_000).then((socket) => socket.end())).resolves.toBeDefined();
    } finally {
      await server.close();
    }
  });

  it('says when a lane stays taken', async () => {
    const server = await startLaneServer();
    try {
      const holder = await holdLane(server.path, 'docker', 1_000);
      await expect(holdLane(server.path, 'docker', 200)).rejects.toThrow(/docker lane was not free within 200 ms/);
      holder.end();
    } finally {
      await server.close();
    }
  });
});
