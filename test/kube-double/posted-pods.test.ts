/**
 * The double's posted pods, pure parts: what a POST is checked for, the label selector, and
 * the Pod view of a posted pod while its init container runs and after it failed (the
 * inspect fields as Docker's ContainerInspect returns them; the Pod as core/v1 defines it).
 */
import { describe, expect, it } from 'vitest';
import { CONTAINER_LABEL, POD_OBJECT_LABEL, ROLE_LABEL, podFromContainers, type DockerInspect } from './pod-view.js';
import { planPostedPod } from './posted-pods.js';
import { matchesSelector } from './server.js';

const posted = {
  metadata: { name: 'sidekick-copy-web-a1b2c3', labels: { 'io.sidekick.kind': 'copy' }, annotations: { 'io.sidekick.created': '2026-12-01T16:00:00.000Z' } },
  spec: { initContainers: [{ name: 'sidekick-tools', image: 'busybox' }], containers: [{ name: 'web', image: 'web:1' }], volumes: [{ name: 'sidekick-tools', emptyDir: {} }] },
};

const inspect = (id: string, role: string, name: string, state: Partial<DockerInspect['State']>, labels: Record<string, string> = {}): DockerInspect => ({
  Id: id,
  Created: `2026-12-01T16:00:0${id.length}.0Z`,
  Image: `sha256:${id}`,
  State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2026-12-01T16:00:01.0Z', FinishedAt: '0001-01-01T00:00:00Z', ...state },
  Config: { Image: 'x', Labels: { [ROLE_LABEL]: role, [CONTAINER_LABEL]: name, ...labels } },
  NetworkSettings: { IPAddress: '172.17.0.5' },
});

describe('posted pods', () => {
  it('accepts a pod it can make and refuses, naming the field, a volume other than emptyDir or a missing name', () => {
    expect(planPostedPod(posted)).toMatchObject({ kind: 'create', name: 'sidekick-copy-web-a1b2c3' });
    const hostPath = { ...posted, spec: { ...posted.spec, volumes: [{ name: 'h', hostPath: { path: '/' } }] } };
    expect(planPostedPod(hostPath)).toEqual({ kind: 'invalid', errors: [{ reason: 'FieldValueForbidden', field: 'spec.volumes[0]', message: 'Forbidden: the kube-double makes emptyDir volumes only' }] });
    expect(planPostedPod({ spec: posted.spec })).toMatchObject({ kind: 'invalid', errors: [{ field: 'metadata.name' }] });
    expect(planPostedPod({ metadata: { name: 'x' }, spec: {} })).toMatchObject({ kind: 'invalid', errors: [{ field: 'spec.containers' }] });
  });

  it('evaluates equality-based label selectors as the API server does', () => {
    const labels = { 'io.sidekick.kind': 'copy', 'io.sidekick.session': 'abc' };
    expect(matchesSelector(labels, '')).toBe(true);
    expect(matchesSelector(labels, 'io.sidekick.kind=copy')).toBe(true);
    expect(matchesSelector(labels, 'io.sidekick.kind==copy,io.sidekick.session')).toBe(true);
    expect(matchesSelector(labels, 'io.sidekick.kind!=copy')).toBe(false);
    expect(matchesSelector(labels, '!io.sidekick.session')).toBe(false);
    expect(matchesSelector({}, 'io.sidekick.kind')).toBe(false);
    expect(matchesSelector({}, '!io.sidekick.kind')).toBe(true);
  });

  it('shows the posted metadata and spec, the containers not made yet as waiting, and a failed init container as a failed pod', () => {
    const pause = inspect('p', 'pause', 'pause', {}, { [POD_OBJECT_LABEL]: JSON.stringify(posted) });
    type View = { metadata: { labels: object; annotations: object }; spec: { initContainers: object[] }; status: { phase: string; initContainerStatuses: { state: object }[]; containerStatuses: { name: string; state: object }[] } };
    const initialising = podFromContainers('default', 'sidekick-copy-web-a1b2c3', [pause, inspect('ii', 'init', 'sidekick-tools', {})]) as View;
    expect(initialising.metadata).toMatchObject({ labels: posted.metadata.labels, annotations: posted.metadata.annotations });
    expect(initialising.spec.initContainers).toEqual(posted.spec.initContainers);
    expect(initialising.status.initContainerStatuses[0]!.state).toEqual({ running: { startedAt: '2026-12-01T16:00:01Z' } });
    expect(initialising.status.containerStatuses).toEqual([{ name: 'web', state: { waiting: { reason: 'PodInitializing' } }, ready: false, restartCount: 0, started: false }]);
    const failed = podFromContainers('default', 'sidekick-copy-web-a1b2c3', [
      pause,
      inspect('ii', 'init', 'sidekick-tools', { Status: 'exited', Running: false, ExitCode: 1, FinishedAt: '2026-12-01T16:00:02.0Z' }),
    ]) as View;
    expect(failed.status.phase).toBe('Failed');
    expect(failed.status.initContainerStatuses[0]!.state).toMatchObject({ terminated: { exitCode: 1, reason: 'Error' } });
  });
});
