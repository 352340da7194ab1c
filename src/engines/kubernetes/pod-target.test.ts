/**
 * The mapping of a pod's container to a Target, on a Pod written as `kubectl get pod -o json`
 * prints one (fixtures/pod-two-containers.json: fields and shapes from
 * staging/src/k8s.io/api/core/v1/types.go: a Deployment's pod with two containers, one
 * restarted after an OOM kill, one in CrashLoopBackOff).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultContainer, isSidekickCopy, parsePodContainerId, podMarks, podNamespaceModes, podSummaries, podTarget, runtimeContainerId, type FullPodJson } from './pod-target.js';

const pod = (): FullPodJson => JSON.parse(readFileSync(new URL('./fixtures/pod-two-containers.json', import.meta.url), 'utf8')) as FullPodJson;

describe('a pod container as a target', () => {
  it('maps what inspect shows of a running container', () => {
    const target = podTarget(pod(), 'app');
    expect(target).toMatchObject({
      id: 'shop/shop-7d9f6c5b8-x2k4q/app',
      name: 'pod/shop-7d9f6c5b8-x2k4q/app',
      image: 'registry.example/shop:1.4.2',
      imageId: 'registry.example/shop@sha256:5d8b2c3a1f0e',
      status: 'running',
      startedAt: '2026-11-30T08:12:09Z',
      restartCount: 1,
      exitCode: 137,
      oomKilled: true,
      // The container's runAsUser wins over the pod's; the pod's group still applies.
      user: '10001:3000',
      entrypoint: ['/shop'],
      cmd: ['--listen', ':8080'],
      workingDir: '/srv',
      readOnlyRootfs: true,
      capDrop: ['ALL'],
      securityOpt: ['seccomp=RuntimeDefault'],
      limits: { memoryBytes: 256 * 2 ** 20, nanoCpus: 500_000_000 },
      restartPolicy: { name: 'always', maximumRetryCount: 0 },
      labels: { app: 'shop', 'pod-template-hash': '7d9f6c5b8' },
      networks: ['pod'],
    });
    // A secret's value is the kubelet's to resolve: not shown as an empty value.
    expect(target.env).toEqual(['MODE=production']);
    expect(target.mounts).toEqual([
      { type: 'emptyDir', source: 'cache', destination: '/cache', readOnly: false },
      { type: 'configMap', source: 'config', destination: '/etc/shop', readOnly: true },
    ]);
    expect(target.addresses).toEqual([
      { network: 'pod', ipv4: '10.244.1.17', ipv6: '', gateway: '' },
      { network: 'pod', ipv4: '', ipv6: 'fd00:10:244:1::11', gateway: '' },
    ]);
  });

  it('shows a crash-looping container as restarting, with its last exit code', () => {
    expect(podTarget(pod(), 'proxy')).toMatchObject({ status: 'restarting', exitCode: 1, user: '0:3000' });
  });

  it('shares network, IPC and UTS with the pod, PID only with shareProcessNamespace, the node\'s with host*', () => {
    const plain = pod();
    expect(podNamespaceModes(plain)).toMatchObject({
      network: { kind: 'pod', pod: 'shop-7d9f6c5b8-x2k4q' },
      pid: { kind: 'private' },
      ipc: { kind: 'pod' },
      uts: { kind: 'pod' },
    });
    const shared = pod();
    shared.spec!.shareProcessNamespace = true;
    expect(podNamespaceModes(shared).pid).toEqual({ kind: 'pod', pod: 'shop-7d9f6c5b8-x2k4q' });
    const host = pod();
    Object.assign(host.spec!, { hostNetwork: true, hostPID: true, hostIPC: true });
    expect(podNamespaceModes(host)).toMatchObject({ network: { kind: 'host' }, pid: { kind: 'host' }, ipc: { kind: 'host' }, uts: { kind: 'host' } });
  });

  it('takes the default container as kubectl does, and refuses to guess among several', () => {
    expect(defaultContainer(pod())).toBe('app');
    const unannotated = pod();
    delete unannotated.metadata!.annotations;
    expect(() => defaultContainer(unannotated)).toThrow(/has 2 containers \(app, proxy\); sidekick will not guess/);
    unannotated.spec!.containers = unannotated.spec!.containers!.slice(1);
    expect(defaultContainer(unannotated)).toBe('proxy');
    const stale = pod();
    stale.metadata!.annotations!['kubectl.kubernetes.io/default-container'] = 'gone';
    expect(() => defaultContainer(stale)).toThrow(/will not guess/);
  });

  it('names the containers there are when the one asked for is not', () => {
    expect(() => podTarget(pod(), 'db')).toThrow(/has no container named db/);
  });

  it('lists one summary per container, a pod being deleted as removing', () => {
    const deleting = pod();
    deleting.metadata!.deletionTimestamp = '2026-11-30T09:00:00Z';
    expect(podSummaries([pod(), deleting]).map((s) => `${s.names[0]} ${s.status}`)).toEqual([
      'pod/shop-7d9f6c5b8-x2k4q/app running',
      'pod/shop-7d9f6c5b8-x2k4q/proxy restarting',
      'pod/shop-7d9f6c5b8-x2k4q/app removing',
      'pod/shop-7d9f6c5b8-x2k4q/proxy removing',
    ]);
  });

  it('reads the runtime\'s container ID and the engine\'s own ID back', () => {
    expect(runtimeContainerId(pod().status!.containerStatuses![0])).toBe('4a1c9e0b7d2f');
    expect(runtimeContainerId({ name: 'x', containerID: 'docker://abc' })).toBe('abc');
    expect(runtimeContainerId(undefined)).toBe('');
    // The target carries it: the session shell finds the target's process by it in /proc/*/cgroup.
    expect(podTarget(pod(), 'app').runtimeId).toBe('4a1c9e0b7d2f');
    expect(parsePodContainerId('shop/web/app')).toEqual({ namespace: 'shop', pod: 'web', container: 'app' });
    expect(parsePodContainerId('web/app')).toBeUndefined();
    expect(parsePodContainerId('a//b')).toBeUndefined();
  });
});

describe("a debug copy's marks", () => {
  const copy = (annotations: Record<string, string>): FullPodJson => ({
    metadata: { name: 'sidekick-copy-web-a1b2c3', namespace: 'shop', labels: { 'io.sidekick.session': 's1', 'io.sidekick.kind': 'copy' }, annotations },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    status: { containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0 } } }] },
  });
  const marks = { 'io.sidekick.created': '2026-12-01T16:00:00.000Z', 'io.sidekick.client': 'host/1/2', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };

  it('reads the pod\'s labels and its io.sidekick.* annotations as the object\'s own marks', () => {
    expect(podMarks(copy(marks))).toEqual({ 'io.sidekick.session': 's1', 'io.sidekick.kind': 'copy', 'io.sidekick.created': '2026-12-01T16:00:00.000Z', 'io.sidekick.client': 'host/1/2' });
    expect(podSummaries([copy(marks)])[0]).toMatchObject({ labels: podMarks(copy(marks)), labelsSetOnObject: true, status: 'exited' });
    expect(isSidekickCopy(copy(marks))).toBe(true);
  });

  it('is removed with its session unless it was kept; a pod of the user\'s says nothing of removal', () => {
    expect(podTarget(copy(marks), 'app').autoRemove).toBe(true);
    expect(podTarget(copy({ ...marks, 'io.sidekick.kept': 'true' }), 'app').autoRemove).toBe(false);
    const own: FullPodJson = { ...copy({}), metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } } };
    expect(isSidekickCopy(own)).toBe(false);
    expect(podTarget(own, 'app').autoRemove).toBeUndefined();
  });
});
