import { describe, expect, it } from 'vitest';
import { targetEnvironment } from './sidekick-launch.js';

describe('targetEnvironment', () => {
  it('names the target by the ID its cgroups carry: the runtime\'s when the engine has its own IDs (a pod\'s container)', () => {
    const shared = { namespaceModes: { pid: { kind: 'pod', pod: 'web' } } } as const;
    expect(targetEnvironment({ id: 'default/web/app', runtimeId: '4a1c9e0b7d2f', ...shared } as Parameters<typeof targetEnvironment>[0])).toEqual([
      'SIDEKICK_TARGET_ID=4a1c9e0b7d2f',
      'SIDEKICK_TARGET_SHARES_PID=1',
    ]);
    // Docker's ID is the runtime's; a pod container not started yet has none, and the engine's ID stands.
    expect(targetEnvironment({ id: 'abc123', namespaceModes: { pid: { kind: 'private' } } } as Parameters<typeof targetEnvironment>[0])).toEqual(['SIDEKICK_TARGET_ID=abc123']);
    expect(targetEnvironment({ id: 'default/web/app', runtimeId: '', namespaceModes: { pid: { kind: 'private' } } } as Parameters<typeof targetEnvironment>[0])).toEqual(['SIDEKICK_TARGET_ID=default/web/app']);
  });
});
