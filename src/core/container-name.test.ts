import { describe, expect, it } from 'vitest';
import { createWithName, sidekickContainerName } from './container-name.js';

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

describe('sidekickContainerName', () => {
  it('is sidekick-<target>-<6 characters of the session>', () => {
    expect(sidekickContainerName('web', 'k3j9x2m1qa')).toBe('sidekick-web-k3j9x2');
    expect(sidekickContainerName('/web', 'abcdef')).toBe('sidekick-web-abcdef');
  });

  it('turns an image reference or odd characters into a valid docker name', () => {
    const name = sidekickContainerName('registry.local:5000/team/app@sha256:0123', 'abcdef');
    expect(name).toBe('sidekick-registry.local-5000-team-app-sha256-0123-abcdef');
    expect(name).toMatch(DOCKER_NAME);
    expect(sidekickContainerName('__', 'abcdef')).toBe('sidekick-target-abcdef');
    expect(sidekickContainerName('a..-', 'abcdef')).toBe('sidekick-a-abcdef');
  });

  it('cuts a long target name so the name stays readable, and still valid', () => {
    const name = sidekickContainerName(`${'x'.repeat(39)}.${'y'.repeat(100)}`, 'abcdef');
    expect(name).toBe(`sidekick-${'x'.repeat(39)}-abcdef`);
    expect(name).toMatch(DOCKER_NAME);
  });
});

describe('createWithName', () => {
  const inUse = (error: unknown): boolean => error instanceof Error && error.message === 'in use';

  it('tries a new suffix when the generated name is taken', async () => {
    const taken = new Set(['sidekick-web-aaaaaa']);
    const tried: string[] = [];
    const name = await createWithName(undefined, 'web', 'aaaaaaaaaa', async (candidate) => {
      tried.push(candidate);
      if (taken.has(candidate)) throw new Error('in use');
      return candidate;
    }, inUse);
    expect(tried[0]).toBe('sidekick-web-aaaaaa');
    expect(tried).toHaveLength(2);
    expect(name).toMatch(/^sidekick-web-[a-z0-9]{6}$/);
    expect(name).not.toBe('sidekick-web-aaaaaa');
  });

  it("keeps the user's own name, and its clash is the user's error", async () => {
    const tried: string[] = [];
    await expect(
      createWithName('mine', 'web', 'aaaaaa', async (candidate) => {
        tried.push(candidate);
        throw new Error('in use');
      }, inUse),
    ).rejects.toThrow('in use');
    expect(tried).toEqual(['mine']);
  });

  it('passes other errors through at once', async () => {
    let calls = 0;
    await expect(
      createWithName(undefined, 'web', 'aaaaaa', async () => {
        calls++;
        throw new Error('engine down');
      }, inUse),
    ).rejects.toThrow('engine down');
    expect(calls).toBe(1);
  });
});
