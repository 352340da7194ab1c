import { describe, expect, it } from 'vitest';
import { refusePodSessionFlags } from './pod-exec-limits.js';

describe('refusePodSessionFlags', () => {
  it('refuses --keep as what the engine cannot do, pointing at -d and exec --attach', () => {
    expect(() => refusePodSessionFlags({ keep: true })).toThrow(expect.objectContaining({ code: 'ENGINE_UNSUPPORTED', message: expect.stringMatching(/^--keep cannot keep a sidekick in a pod/), hint: expect.stringMatching(/exec --attach/) }));
  });

  it('lets a plain session through (-d, interactive or not, is left to the engine)', () => {
    expect(() => refusePodSessionFlags({ keep: false })).not.toThrow();
  });
});
