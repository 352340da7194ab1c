import { describe, expect, it } from 'vitest';
import { kubeCommands } from './kube-commands.js';

describe('kubectl commands in hints', () => {
  const commands = kubeCommands({ contextName: 'prod eu', namespace: 'shop' });

  it('aims kubectl at the same context and namespace, for a target name or an engine ID', () => {
    expect(commands.execInteractive('pod/web-1/app', '/.sidekick/bin/sh')).toBe("kubectl --context 'prod eu' -n shop exec -it web-1 -c app -- /.sidekick/bin/sh");
    expect(commands.followLogs('shop/web-1/sidekick-app-1a2b3c')).toBe("kubectl --context 'prod eu' -n shop logs -f web-1 -c sidekick-app-1a2b3c");
    expect(commands.attachContainer('shop/web-1/sidekick-app-1a2b3c')).toBe("kubectl --context 'prod eu' -n shop attach -it web-1 -c sidekick-app-1a2b3c");
    expect(commands.showContainer('shop/web-1/app')).toBe("kubectl --context 'prod eu' -n shop describe pod web-1");
    expect(commands.listContainers()).toBe("kubectl --context 'prod eu' -n shop get pods");
    expect(commands.removeCopy('shop/sidekick-copy-web-1-1a2b3c/app')).toBe("kubectl --context 'prod eu' -n shop delete pod sidekick-copy-web-1-1a2b3c");
  });

  it('has no command for what Kubernetes cannot do to one container of a pod', () => {
    expect(commands.startContainer('pod/web-1/app')).toBeUndefined();
    expect(commands.unpauseContainer('pod/web-1/app')).toBeUndefined();
    expect(commands.removeContainer('shop/web-1/sidekick-app-1a2b3c', { force: true, volumes: true })).toBeUndefined();
    expect(commands.stopAndRemoveContainer('shop/web-1/sidekick-app-1a2b3c')).toBeUndefined();
    expect(commands.pullImage('busybox')).toBeUndefined();
  });

  it('has no command for a reference it cannot read (a cut ID)', () => {
    expect(commands.showContainer('shop/web-1/a'.slice(0, 7))).toBeUndefined();
  });
});
