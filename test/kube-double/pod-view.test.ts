/**
 * The double's Pod view of `docker inspect` JSON (the inspect fields as Docker's
 * ContainerInspect returns them; the Pod fields as core/v1 Pod defines them).
 */
import { describe, expect, it } from 'vitest';
import { CONTAINER_LABEL, EPHEMERAL_SPEC_LABEL, ROLE_LABEL, SHARE_PID_LABEL, kubeTime, podFromContainers, type DockerInspect } from './pod-view.js';

const container = (id: string, created: string, state: Partial<DockerInspect['State']>, name: string): DockerInspect => ({
  Id: id,
  Created: created,
  Image: `sha256:${id}`,
  RestartCount: 0,
  State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2026-12-01T06:00:01.123456789Z', FinishedAt: '0001-01-01T00:00:00Z', ...state },
  Config: { Image: 'busybox:1.36', Labels: { [CONTAINER_LABEL]: name } },
  NetworkSettings: { IPAddress: '', Networks: { bridge: { IPAddress: '172.17.0.9' } } },
});

describe('pod view', () => {
  // metav1.Time marshals RFC 3339 at second precision.
  it('drops Docker\'s fractional seconds', () => {
    expect(kubeTime('2026-12-01T06:00:01.123456789Z')).toBe('2026-12-01T06:00:01Z');
    expect(kubeTime('2026-12-01T06:00:01Z')).toBe('2026-12-01T06:00:01Z');
    expect(() => kubeTime('2026-12-01 06:00')).toThrow(/not a Docker UTC timestamp/);
  });

  it('orders containers by creation, takes the first one\'s network, and reads each state', () => {
    const pod = podFromContainers('default', 'web', [
      container('bbbb', '2026-12-01T06:00:02.5Z', { Status: 'exited', Running: false, ExitCode: 137, OOMKilled: true, FinishedAt: '2026-12-01T06:00:09.1Z' }, 'worker'),
      container('aaaa', '2026-12-01T06:00:00.5Z', {}, 'app'),
      container('cccc', '2026-12-01T06:00:03.5Z', { Status: 'created', Running: false, StartedAt: '0001-01-01T00:00:00Z' }, 'late'),
    ]) as { metadata: object; spec: { containers: object[] }; status: { phase: string; podIP: string; containerStatuses: { name: string; state: object }[] } };
    expect(pod.metadata).toMatchObject({ name: 'web', namespace: 'default', creationTimestamp: '2026-12-01T06:00:00Z' });
    expect(pod.spec.containers.map((c) => (c as { name: string }).name)).toEqual(['app', 'worker', 'late']);
    expect(pod.status.podIP).toBe('172.17.0.9');
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.containerStatuses.map((s) => s.state)).toEqual([
      { running: { startedAt: '2026-12-01T06:00:01Z' } },
      { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-12-01T06:00:01Z', finishedAt: '2026-12-01T06:00:09Z', containerID: 'docker://bbbb' } },
      { waiting: { reason: 'ContainerCreating' } },
    ]);
  });

  it('shows a container whose start failed as terminated with StartError, as containerd reports it', () => {
    const failed = container('ffff', '2026-12-01T06:00:00Z', { Status: 'created', Running: false, ExitCode: 127, StartedAt: '0001-01-01T00:00:00Z', Error: 'exec: "/nope": stat /nope: no such file or directory' }, 'job');
    const pod = podFromContainers('b', 'j', [failed]) as { status: { containerStatuses: { state: object }[] } };
    expect(pod.status.containerStatuses[0]?.state).toEqual({
      terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "/nope": stat /nope: no such file or directory', startedAt: '1970-01-01T00:00:00Z', finishedAt: '1970-01-01T00:00:00Z', containerID: 'docker://ffff' },
    });
  });

  // core/v1 PodPhase: Succeeded when all containers terminated in success, Failed when all terminated and one failed.
  it('gives the phase of finished pods', () => {
    const done = (code: number): DockerInspect => container('dddd', '2026-12-01T06:00:00Z', { Status: 'exited', Running: false, ExitCode: code }, 'job');
    expect((podFromContainers('b', 'j', [done(0)]) as { status: { phase: string } }).status.phase).toBe('Succeeded');
    expect((podFromContainers('b', 'j', [done(0), { ...done(2), Id: 'eeee' }]) as { status: { phase: string } }).status.phase).toBe('Failed');
    expect(() => podFromContainers('b', 'j', [])).toThrow(/has no containers/);
  });

  it('says shareProcessNamespace when the pause container was made for it, and nothing otherwise', () => {
    const pause = (labels: Record<string, string>): DockerInspect => {
      const c = container('pppp', '2026-12-01T06:00:00.1Z', {}, 'POD');
      return { ...c, Config: { ...c.Config, Labels: { ...c.Config.Labels, [ROLE_LABEL]: 'pause', ...labels } } };
    };
    const app = container('aaaa', '2026-12-01T06:00:00.5Z', {}, 'app');
    const specOf = (pod: object): { shareProcessNamespace?: boolean } => (pod as { spec: { shareProcessNamespace?: boolean } }).spec;
    expect(specOf(podFromContainers('default', 'web', [pause({ [SHARE_PID_LABEL]: 'true' }), app])).shareProcessNamespace).toBe(true);
    expect(specOf(podFromContainers('default', 'web', [pause({}), app]))).not.toHaveProperty('shareProcessNamespace');
  });

  it('hides the pause container but takes its network, and lists ephemeral containers with the spec they were given', () => {
    const withLabels = (c: DockerInspect, labels: Record<string, string>, ip = ''): DockerInspect => ({
      ...c,
      Config: { ...c.Config, Labels: { ...c.Config.Labels, ...labels } },
      NetworkSettings: { IPAddress: ip, Networks: ip === '' ? {} : { bridge: { IPAddress: ip } } },
    });
    const spec = { name: 'sidekick-app-x1', image: 'toolbox', command: ['sh'], targetContainerName: 'app', stdin: true };
    const pod = podFromContainers('default', 'web', [
      withLabels(container('pppp', '2026-12-01T06:00:00.1Z', {}, 'POD'), { [ROLE_LABEL]: 'pause' }, '172.17.0.4'),
      withLabels(container('aaaa', '2026-12-01T06:00:00.5Z', {}, 'app'), {}),
      withLabels(container('eeee', '2026-12-01T06:00:05Z', { Status: 'exited', Running: false, ExitCode: 3 }, 'sidekick-app-x1'), {
        [ROLE_LABEL]: 'ephemeral',
        [EPHEMERAL_SPEC_LABEL]: JSON.stringify(spec),
      }),
    ]) as {
      metadata: { uid: string };
      spec: { containers: { name: string }[]; ephemeralContainers: object[] };
      status: { phase: string; podIP: string; containerStatuses: object[]; ephemeralContainerStatuses: { name: string; ready: boolean; state: object }[] };
    };
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(pod.status.podIP).toBe('172.17.0.4');
    expect(pod.metadata.uid.startsWith('pppp')).toBe(true);
    expect(pod.status.containerStatuses).toHaveLength(1);
    // The pod's phase is its containers', not its ephemeral containers'.
    expect(pod.status.phase).toBe('Running');
    expect(pod.spec.ephemeralContainers).toEqual([spec]);
    expect(pod.status.ephemeralContainerStatuses).toEqual([
      expect.objectContaining({ name: 'sidekick-app-x1', ready: false, state: { terminated: expect.objectContaining({ exitCode: 3, reason: 'Error' }) } }),
    ]);
  });
});
