import { describe, expect, it } from 'vitest';
import { buildPodCopy, copyPodName, isLabelValue, parseCopyUser, type PodCopyOptions } from './pod-copy.js';
import type { FullPodJson } from './pod-target.js';

/**
 * A pod as the API server answers a GET (fields as in staging/src/k8s.io/api/core/v1/types.go):
 * a web container with probes, a lifecycle hook and a volume; a sidecar; an init container
 * that migrates; labels a Service selects; a node it was scheduled to; an ephemeral container.
 */
const ORIGINAL = {
  metadata: { name: 'web-7d9f', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { 'kubectl.kubernetes.io/default-container': 'web' } },
  spec: {
    initContainers: [{ name: 'migrate' }],
    containers: [
      {
        name: 'web',
        image: 'registry.example/web:1.2',
        command: ['/web'],
        args: ['--port', '8080'],
        env: [{ name: 'MODE', value: 'prod' }, { name: 'EXTRA', value: 'original' }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        securityContext: { runAsUser: 65532 },
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
        lifecycle: { preStop: { exec: { command: ['/web', 'drain'] } } },
      },
      { name: 'proxy', image: 'envoy', volumeMounts: [{ name: 'envoy-config', mountPath: '/etc/envoy' }] },
    ],
    ephemeralContainers: [{ name: 'sidekick-web-abc123' }],
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'web-data' } }, { name: 'envoy-config', configMap: { name: 'envoy' } }],
    restartPolicy: 'Always',
    securityContext: { runAsUser: 1000 },
    nodeName: 'node-3',
    serviceAccountName: 'web',
    tolerations: [{ key: 'dedicated', operator: 'Exists' }],
  },
  status: { phase: 'Running' },
} as unknown as FullPodJson;

function options(overrides: Partial<PodCopyOptions> = {}): PodCopyOptions {
  return {
    copyName: 'sidekick-copy-web-7d9f-a1b2c3',
    container: 'web',
    toolsDirectory: '/.sidekick',
    toolboxImage: 'busybox',
    files: [
      { path: 'start', content: "echo 'it''s'\n", executable: false },
      { path: 'bin/run-entrypoint', content: '#!/.sidekick/bin/sh\nexec /web "$@"\n', executable: true },
    ],
    command: ['sh', '-c', 'ls'],
    env: [{ name: 'EXTRA', value: 'mine' }, { name: 'SIDEKICK_LEASE', value: '5' }],
    tty: true,
    readOnlyVolumes: true,
    privileged: false,
    capAdd: [],
    marks: { 'io.sidekick.session': 'k3j2h1g0f9', 'io.sidekick.kind': 'copy', 'io.sidekick.target': 'shop/web-7d9f/web', 'io.sidekick.created': '2026-12-01T16:00:00.000Z' },
    labelKeys: ['io.sidekick.session', 'io.sidekick.kind', 'io.sidekick.target', 'io.sidekick.created'],
    ...overrides,
  };
}

interface CopyJson {
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown> & {
    containers: Array<Record<string, unknown> & { env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]; command: string[] }>;
    initContainers: Array<{ name: string; image: string; command: string[]; env: { name: string; value: string }[]; volumeMounts: object[] }>;
    volumes: Array<Record<string, unknown>>;
  };
}

describe('the Pod of a debug copy', () => {
  const copy = buildPodCopy(ORIGINAL, options()) as CopyJson;
  const container = copy.spec.containers[0]!;

  it('is a new pod in the same namespace with only the copied container, whose command is the toolbox\'s shell waiting for the attach', () => {
    expect(copy.metadata.name).toBe('sidekick-copy-web-7d9f-a1b2c3');
    expect(copy.metadata.namespace).toBe('shop');
    expect(copy.spec.containers.map((c) => c.name)).toEqual(['web']);
    expect(container.image).toBe('registry.example/web:1.2');
    expect(container.command).toEqual(['/.sidekick/bin/sh', '-c', 'echo $$ >/.sidekick/run/pid && read -r _ && exec /.sidekick/bin/sh /.sidekick/start "$@"', 'sidekick-wait', 'sh', '-c', 'ls']);
    expect(container).not.toHaveProperty('args');
    expect(container).toMatchObject({ stdin: true, stdinOnce: true, tty: true });
  });

  it('drops what would restart, hang or route to the copy: probes, hooks, the pod\'s labels, its node and init containers, other containers\' volumes', () => {
    for (const field of ['livenessProbe', 'readinessProbe', 'lifecycle']) expect(container).not.toHaveProperty(field);
    expect(copy.metadata.labels).not.toHaveProperty('app');
    expect(copy.spec).not.toHaveProperty('nodeName');
    expect(copy.spec).not.toHaveProperty('ephemeralContainers');
    expect(copy.spec.initContainers.map((c) => c.name)).toEqual(['sidekick-tools']);
    expect(copy.spec.volumes.map((v) => v.name)).toEqual(['data', 'sidekick-tools']);
    expect(copy.spec).toMatchObject({ restartPolicy: 'Never', shareProcessNamespace: true, serviceAccountName: 'web', tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
  });

  it('keeps the container\'s environment, user and mounts (read-only), the user\'s variables winning, and mounts the toolbox', () => {
    expect(container.env).toEqual([{ name: 'MODE', value: 'prod' }, { name: 'EXTRA', value: 'mine' }, { name: 'SIDEKICK_LEASE', value: '5' }]);
    expect(container.securityContext).toEqual({ runAsUser: 65532 });
    expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', readOnly: true }, { name: 'sidekick-tools', mountPath: '/.sidekick' }]);
    const writable = buildPodCopy(ORIGINAL, options({ readOnlyVolumes: false })) as CopyJson;
    expect(writable.spec.containers[0]!.volumeMounts[0]).toEqual({ name: 'data', mountPath: '/data' });
  });

  it('carries sidekick\'s marks as annotations, and as labels only those whose values are label values', () => {
    expect(copy.metadata.annotations).toEqual(options().marks);
    expect(copy.metadata.labels).toEqual({ 'io.sidekick.session': 'k3j2h1g0f9', 'io.sidekick.kind': 'copy' });
  });

  it('writes the toolbox and the files from the init container\'s environment, quoted, as root', () => {
    const init = copy.spec.initContainers[0]!;
    expect(init.image).toBe('busybox');
    expect(init.env).toEqual([
      { name: 'SIDEKICK_FILE_0', value: "echo 'it''s'\n" },
      { name: 'SIDEKICK_FILE_1', value: '#!/.sidekick/bin/sh\nexec /web "$@"\n' },
    ]);
    const script = init.command[2]!;
    expect(init.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(script).toContain(`printf '%s' "$SIDEKICK_FILE_0" >'/.sidekick/start'`);
    expect(script).toContain(`printf '%s' "$SIDEKICK_FILE_1" >'/.sidekick/bin/run-entrypoint' && chmod 755 '/.sidekick/bin/run-entrypoint'`);
    expect(script).toContain('chmod 1777 /.sidekick/run');
    expect(init.volumeMounts).toEqual([{ name: 'sidekick-tools', mountPath: '/.sidekick' }]);
  });

  it('sets a user, privileges and capabilities asked for, over the container\'s own', () => {
    const root = buildPodCopy(ORIGINAL, options({ runAsUser: 0, runAsGroup: 0, privileged: true, capAdd: ['NET_ADMIN'] })) as CopyJson;
    expect(root.spec.containers[0]!.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, privileged: true, capabilities: { add: ['NET_ADMIN'] } });
  });

  it('names the toolbox volume so that it does not collide with one of the original\'s', () => {
    const clash = structuredClone(ORIGINAL);
    clash.spec!.volumes!.push({ name: 'sidekick-tools', emptyDir: {} });
    const made = buildPodCopy(clash, options()) as CopyJson;
    expect(made.spec.volumes.map((v) => v.name)).toEqual(['data', 'sidekick-tools-2']);
  });

  it('refuses a container the pod does not have', () => {
    expect(() => buildPodCopy(ORIGINAL, options({ container: 'nope' }))).toThrow(/no container nope/);
  });
});

describe('copy names, users and label values', () => {
  it('names the copy after the pod, short enough for a hostname', () => {
    expect(copyPodName('web-7d9f', 'a1b2c3')).toBe('sidekick-copy-web-7d9f-a1b2c3');
    const long = copyPodName('x'.repeat(100), 'a1b2c3');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(copyPodName('web.example', 'a1b2c3')).toBe('sidekick-copy-web-example-a1b2c3');
  });

  it('reads UID[:GID] and refuses names', () => {
    expect(parseCopyUser(undefined)).toEqual({});
    expect(parseCopyUser('target')).toEqual({});
    expect(parseCopyUser('1000:2000')).toEqual({ runAsUser: 1000, runAsGroup: 2000 });
    expect(() => parseCopyUser('nobody')).toThrow(/UID or UID:GID/);
  });

  it('knows a label value', () => {
    expect(isLabelValue('copy')).toBe(true);
    expect(isLabelValue('')).toBe(true);
    expect(isLabelValue('2026-12-01T16:00:00.000Z')).toBe(false);
    expect(isLabelValue('a'.repeat(64))).toBe(false);
  });
});
