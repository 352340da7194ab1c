import { describe, expect, it } from 'vitest';
import { refusePodSessionFlags } from './pod-exec-limits.js';

describe('refusePodSessionFlags', () => {
  it('refuses --keep, and -d of a session that reads its input, as what the engine cannot do', () => {
    expect(() => refusePodSessionFlags({ keep: true, detach: false, interactive: false })).toThrow(expect.objectContaining({ code: 'ENGINE_UNSUPPORTED', message: expect.stringMatching(/^--keep cannot keep a sidekick in a pod/) }));
    expect(() => refusePodSessionFlags({ keep: false, detach: true, interactive: true })).toThrow(expect.objectContaining({ code: 'ENGINE_UNSUPPORTED', message: expect.stringMatching(/^-d cannot leave an interactive session/) }));
  });

  it('lets -d of a command that reads no input through, and a plain session', () => {
    expect(() => refusePodSessionFlags({ keep: false, detach: true, interactive: false })).not.toThrow();
    expect(() => refusePodSessionFlags({ keep: false, detach: false, interactive: true })).not.toThrow();
  });
});
