import { describe, expect, it } from 'vitest';
import { carriedLabels, ephemeralSidekickTarget, labelsVariable, matchesLabels, sidekickSummaries } from './ephemeral-sidekicks.js';
import type { FullPodJson } from './pod-target.js';

const labels = { 'io.sidekick.session': 's1', 'io.sidekick.kind': 'sidekick', 'io.sidekick.client': 'host/12/34' };

/** A pod as the API serves it after kubectl debug and two sidekick sessions, one of them ended. */
function pod(): FullPodJson {
  return {
    metadata: { name: 'web', namespace: 'shop', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      containers: [{ name: 'app', image: 'app:1' }],
      ephemeralContainers: [
        { name: 'debugger-x1', image: 'busybox', env: [labelsVariable(labels)], targetContainerName: 'app' },
        { name: 'sidekick-app-aaaaaa', image: 'busybox', env: [{ name: 'TERM', value: 'xterm' }, labelsVariable(labels)], targetContainerName: 'app' },
        { name: 'sidekick-app-bbbbbb', image: 'busybox', env: [labelsVariable({ ...labels, 'io.sidekick.session': 's2' })], targetContainerName: 'app' },
        { name: 'sidekick-app-cccccc', image: 'busybox', env: [{ name: 'SIDEKICK_LABELS', value: '["not", "a map"]' }], targetContainerName: 'app' },
      ],
    } as unknown as FullPodJson['spec'],
    status: {
      containerStatuses: [{ name: 'app', state: { running: { startedAt: '2026-01-01T00:00:01Z' } } }],
      ephemeralContainerStatuses: [
        { name: 'debugger-x1', state: { running: {} } },
        { name: 'sidekick-app-aaaaaa', containerID: 'containerd://abc', state: { running: { startedAt: '2026-01-01T00:01:00Z' } } },
        { name: 'sidekick-app-bbbbbb', state: { terminated: { exitCode: 0 } } },
        { name: 'sidekick-app-cccccc', state: { running: {} } },
      ],
    },
  };
}

describe("sidekick's ephemeral containers as sessions", () => {
  it('reads the labels a sidekick carries in its spec, and nothing from other containers or unreadable values', () => {
    const specs = pod().spec!.ephemeralContainers as Array<{ name: string; env?: Array<{ name: string; value?: string }> }>;
    expect(carriedLabels(specs[1]!)).toEqual(labels);
    expect(carriedLabels(specs[0]!)).toBeUndefined(); // not sidekick's (kubectl debug's name)
    expect(carriedLabels(specs[3]!)).toBeUndefined();
    expect(carriedLabels({ name: 'sidekick-x', env: [{ name: 'SIDEKICK_LABELS', value: '{"a": 1}' }] })).toBeUndefined();
    expect(carriedLabels({ name: 'sidekick-x', env: [{ name: 'SIDEKICK_LABELS', value: '{oops' }] })).toBeUndefined();
  });

  it('lists only the sidekicks whose process still runs, with their labels as the object\'s own and what stays after them', () => {
    expect(sidekickSummaries([pod()])).toEqual([
      {
        id: 'shop/web/sidekick-app-aaaaaa',
        names: ['pod/web/sidekick-app-aaaaaa'],
        image: 'busybox',
        status: 'running',
        labels,
        labelsSetOnObject: true,
        unremovable: "an ephemeral container cannot be removed: its entry stays in pod shop/web's spec",
      },
    ]);
  });

  it('describes one as a target in its target container\'s PID namespace, ending with its session, without the labels variable', () => {
    const target = ephemeralSidekickTarget(pod(), 'sidekick-app-aaaaaa')!;
    expect(target).toMatchObject({
      id: 'shop/web/sidekick-app-aaaaaa',
      name: 'pod/web/sidekick-app-aaaaaa',
      runtimeId: 'abc',
      status: 'running',
      labels,
      autoRemove: true,
      env: ['TERM=xterm'],
      startedAt: '2026-01-01T00:01:00Z',
    });
    expect(target.namespaceModes.pid).toEqual({ kind: 'container', reference: 'shop/web/app' });
    expect(ephemeralSidekickTarget(pod(), 'sidekick-app-bbbbbb')?.status).toBe('exited');
    expect(ephemeralSidekickTarget(pod(), 'app')).toBeUndefined();
    expect(ephemeralSidekickTarget(pod(), 'debugger-x1')).toBeUndefined();
  });

  it('matches label filters as the engines do: a key, or key=value', () => {
    expect(matchesLabels(labels, [])).toBe(true);
    expect(matchesLabels(labels, ['io.sidekick.session'])).toBe(true);
    expect(matchesLabels(labels, ['io.sidekick.session=s1', 'io.sidekick.kind=sidekick'])).toBe(true);
    expect(matchesLabels(labels, ['io.sidekick.session=s2'])).toBe(false);
    expect(matchesLabels(labels, ['io.sidekick.detached'])).toBe(false);
  });
});
