/**
 * Builders and readers of the `ephemeralcontainers` subresource, on JSON written from the
 * API reference (paths relative to kubernetes/kubernetes staging/src/k8s.io/).
 */
import { describe, expect, it } from 'vitest';
import {
  STRATEGIC_MERGE_PATCH,
  addEphemeralContainerRequest,
  buildEphemeralContainer,
  checkNewEphemeralContainer,
  containerNames,
  containerState,
  ephemeralContainerName,
  isContainerName,
  isEphemeralContainersUnsupported,
  type PodJson,
} from './ephemeral-container.js';

const options = {
  targetContainer: 'app',
  shortId: 'k3x9q',
  image: 'busybox:1.36',
  command: ['/bin/sh'],
  stdin: true,
  tty: true,
};

describe('name', () => {
  // debug.go computeDebugContainerName: "debugger-" + a 5-character suffix; ours says sidekick and the target.
  it('is sidekick-<target>-<id>, recognisable in kubectl describe', () => {
    expect(ephemeralContainerName('app', 'k3x9q')).toBe('sidekick-app-k3x9q');
  });

  // Container names are DNS-1123 labels of at most 63 characters (api/core/v1 types.go, Container.Name).
  it('shortens a long target so that the name stays a valid container name', () => {
    const target = `a${'b'.repeat(50)}-${'c'.repeat(10)}`;
    const name = ephemeralContainerName(target, 'k3x9q');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(isContainerName(name)).toBe(true);
    expect(name.startsWith('sidekick-abbb')).toBe(true);
    expect(name.endsWith('-k3x9q')).toBe(true);
    // A cut landing on a '-' must not leave "--": trailing dashes of the kept part go.
    const dashAtCut = `${'x'.repeat(47)}-yyyy`;
    expect(ephemeralContainerName(dashAtCut, 'k3x9q')).toBe(`sidekick-${'x'.repeat(47)}-k3x9q`);
  });

  it('refuses ids and targets that cannot make a container name', () => {
    expect(() => ephemeralContainerName('app', 'K3')).toThrow(/lower-case letters and digits/);
    expect(() => ephemeralContainerName('App_1', 'k3')).toThrow(/not a container name/);
    expect(isContainerName('-a')).toBe(false);
    expect(isContainerName('a-')).toBe(false);
    expect(isContainerName('x'.repeat(64))).toBe(false);
  });
});

describe('the ephemeral container', () => {
  // api/core/v1 types.go EphemeralContainer{EphemeralContainerCommon, TargetContainerName};
  // kubectl/pkg/cmd/debug/debug.go generateDebugContainer (name, image, stdin, tty, command, terminationMessagePolicy);
  // kubectl/pkg/cmd/debug/profiles.go generalProfile.Apply, ephemeral style: capabilities.add [SYS_PTRACE].
  it('targets the container, runs the command with a terminal, and may ptrace', () => {
    expect(buildEphemeralContainer(options)).toEqual({
      name: 'sidekick-app-k3x9q',
      image: 'busybox:1.36',
      command: ['/bin/sh'],
      stdin: true,
      stdinOnce: true,
      tty: true,
      targetContainerName: 'app',
      terminationMessagePolicy: 'File',
      securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
    });
  });

  it('carries args, pull policy and environment only when given, and no stdinOnce without stdin', () => {
    const built = buildEphemeralContainer({
      ...options,
      stdin: false,
      tty: false,
      args: ['-c', 'true'],
      imagePullPolicy: 'IfNotPresent',
      env: [{ name: 'A', value: '1' }],
    });
    expect(built.args).toEqual(['-c', 'true']);
    expect(built.imagePullPolicy).toBe('IfNotPresent');
    expect(built.env).toEqual([{ name: 'A', value: '1' }]);
    expect('stdinOnce' in built).toBe(false);
    expect('args' in buildEphemeralContainer(options)).toBe(false);
    expect('env' in buildEphemeralContainer({ ...options, env: [] })).toBe(false);
  });

  it('adds the capabilities a session asks for to SYS_PTRACE, once each (capture asks for NET_RAW)', () => {
    expect(buildEphemeralContainer({ ...options, capAdd: ['NET_RAW', 'SYS_PTRACE'] }).securityContext).toEqual({ capabilities: { add: ['SYS_PTRACE', 'NET_RAW'] } });
  });

  it('keeps the input of a session left with -d open for the next client (stdinOnce false), when asked', () => {
    expect(buildEphemeralContainer({ ...options, stdin: true, stdinOnce: false })).toMatchObject({ stdin: true, stdinOnce: false });
    expect(buildEphemeralContainer({ ...options, stdin: true })).toMatchObject({ stdin: true, stdinOnce: true });
  });

  // pkg/apis/core/validation/validation.go allowedEphemeralContainerFields (Go names; JSON names below),
  // plus EphemeralContainer.TargetContainerName: anything else is refused with "cannot be set for an Ephemeral Container".
  it('sets only fields the API server allows on an ephemeral container', () => {
    const allowed = new Set([
      'name', 'image', 'command', 'args', 'workingDir', 'envFrom', 'env', 'volumeMounts', 'volumeDevices', 'terminationMessagePath',
      'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty', 'targetContainerName',
    ]);
    const everything = buildEphemeralContainer({ ...options, args: ['-c'], imagePullPolicy: 'Never', env: [{ name: 'A', value: '1' }] });
    expect(Object.keys(everything).filter((k) => !allowed.has(k))).toEqual([]);
  });

  it('refuses an empty image or command', () => {
    expect(() => buildEphemeralContainer({ ...options, image: '' })).toThrow(/needs an image/);
    expect(() => buildEphemeralContainer({ ...options, command: [] })).toThrow(/needs a command/);
  });
});

describe('the request', () => {
  // debug.go debugByEphemeralContainer: Pods(ns).Patch(…, types.StrategicMergePatchType, patch, …, "ephemeralcontainers");
  // types.go PodSpec.EphemeralContainers: patchStrategy "merge", patchMergeKey "name", so a one-element list adds it.
  it('is a strategic merge patch of the ephemeralcontainers subresource adding one container', () => {
    const container = buildEphemeralContainer(options);
    const request = addEphemeralContainerRequest('team-a', 'web-7f9c', container);
    expect(request).toEqual({
      method: 'PATCH',
      path: '/api/v1/namespaces/team-a/pods/web-7f9c/ephemeralcontainers',
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { ephemeralContainers: [container] } },
    });
    expect(STRATEGIC_MERGE_PATCH).toBe('application/strategic-merge-patch+json');
  });

  // debug.go debugByEphemeralContainer: "The apiserver will return a 404 when the EphemeralContainers feature
  // is disabled … Unlike the 404 returned by a missing pod, the status details will be empty."
  it('tells a missing subresource from a missing pod', () => {
    const disabled = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 };
    const noPod = { ...disabled, message: 'pods "web" not found', details: { name: 'web', kind: 'pods' } };
    expect(isEphemeralContainersUnsupported(disabled)).toBe(true);
    expect(isEphemeralContainersUnsupported({ ...disabled, details: undefined })).toBe(true);
    expect(isEphemeralContainersUnsupported(noPod)).toBe(false);
    expect(isEphemeralContainersUnsupported({ ...disabled, reason: 'Forbidden' })).toBe(false);
    expect(isEphemeralContainersUnsupported('NotFound')).toBe(false);
  });
});

describe('reading the pod', () => {
  // A pod as GET /api/v1/namespaces/team-a/pods/web-7f9c returns it after the patch (api/core/v1 types.go
  // PodStatus.ephemeralContainerStatuses, ContainerStatus.state with one of waiting/running/terminated).
  const pod = (ephemeralState: object | undefined): PodJson => ({
    metadata: { name: 'web-7f9c', namespace: 'team-a' },
    spec: {
      containers: [{ name: 'app' }],
      initContainers: [{ name: 'migrate' }],
      ephemeralContainers: [{ name: 'debugger-abcde' }, { name: 'sidekick-app-k3x9q' }],
    },
    status: {
      phase: 'Running',
      initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [{ name: 'app', containerID: 'containerd://1234', state: { running: { startedAt: '2026-12-01T05:00:00Z' } } }],
      ephemeralContainerStatuses:
        ephemeralState === undefined
          ? [{ name: 'debugger-abcde', state: { terminated: { exitCode: 0, reason: 'Completed' } } }]
          : [
              { name: 'debugger-abcde', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
              { name: 'sidekick-app-k3x9q', state: ephemeralState },
            ],
    },
  });

  // validation.go validateEphemeralContainers: name unique across all container types (field.Duplicate);
  // the target must exist and be non-ephemeral (field.NotFound on targetContainerName).
  it('says before sending why the API server would refuse the container', () => {
    const current = pod(undefined);
    expect(checkNewEphemeralContainer(current, buildEphemeralContainer({ ...options, shortId: 'zzzzz' }))).toBeUndefined();
    expect(checkNewEphemeralContainer(current, buildEphemeralContainer(options))).toBe('the pod already has a container named sidekick-app-k3x9q');
    expect(checkNewEphemeralContainer(current, buildEphemeralContainer({ ...options, shortId: 'zzzzz', targetContainer: 'migrate' }))).toBeUndefined();
    expect(checkNewEphemeralContainer(current, buildEphemeralContainer({ ...options, shortId: 'zzzzz', targetContainer: 'debugger-abcde' }))).toBe(
      'the pod has no container named debugger-abcde (it has app, migrate)',
    );
  });

  it('lists every name taken, ephemeral ones included', () => {
    expect([...containerNames(pod(undefined))].sort()).toEqual(['app', 'debugger-abcde', 'migrate', 'sidekick-app-k3x9q']);
    expect(containerNames({}).size).toBe(0);
  });

  // debug.go waitForContainer: done when State.Running or State.Terminated; Waiting.Message is shown meanwhile.
  it('follows the ephemeral container from absent to waiting, running and terminated', () => {
    expect(containerState(pod(undefined), 'sidekick-app-k3x9q')).toEqual({ kind: 'unknown' });
    expect(containerState(pod({ waiting: { reason: 'ErrImagePull', message: 'pull access denied' } }), 'sidekick-app-k3x9q')).toEqual({
      kind: 'waiting',
      reason: 'ErrImagePull',
      message: 'pull access denied',
    });
    expect(containerState(pod({ waiting: {} }), 'sidekick-app-k3x9q')).toEqual({ kind: 'waiting', reason: '', message: '' });
    expect(containerState(pod({ running: { startedAt: '2026-12-01T06:00:00Z' } }), 'sidekick-app-k3x9q')).toEqual({ kind: 'running' });
    expect(containerState(pod({ terminated: { exitCode: 137, signal: 9, reason: 'Error' } }), 'sidekick-app-k3x9q')).toEqual({
      kind: 'terminated',
      exitCode: 137,
      signal: 9,
      reason: 'Error',
      message: '',
    });
    expect(containerState(pod({}), 'sidekick-app-k3x9q')).toEqual({ kind: 'unknown' });
  });

  // debug.go getContainerStatusByName looks in init, regular and ephemeral statuses alike.
  it('reads regular and init containers the same way', () => {
    expect(containerState(pod(undefined), 'app')).toEqual({ kind: 'running' });
    expect(containerState(pod(undefined), 'migrate')).toMatchObject({ kind: 'terminated', exitCode: 0, reason: 'Completed' });
    expect(containerState({}, 'app')).toEqual({ kind: 'unknown' });
  });
});
