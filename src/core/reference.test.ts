import { describe, expect, it } from 'vitest';
import { containerOrImageReference, containerReference, imageReference, imageReferenceProblem, isPodReference } from './reference.js';

describe('containerReference', () => {
  it('accepts names and ID prefixes, and the leading "/" docker prints', () => {
    expect(containerReference('web-1')).toBe('web-1');
    expect(containerReference('/fx-scratch')).toBe('fx-scratch');
    expect(containerReference('3f2a')).toBe('3f2a');
  });

  it('names the input when it cannot be a container', () => {
    expect(() => containerReference('')).toThrow(/TARGET is empty/);
    expect(() => containerReference('/')).toThrow(/TARGET is empty/);
    expect(() => containerReference('a/../b')).toThrow(/TARGET "a\/..\/b" is not a container name or ID/);
    expect(() => containerReference('bad name')).toThrow(/"bad name"/);
    expect(() => containerReference('x'.repeat(300))).toThrow(/is not a container name/);
  });
});

describe('imageReference', () => {
  it("accepts docker's reference grammar and local image IDs", () => {
    for (const ok of ['busybox', 'busybox:1.36', 'registry.local:5000/team/tools:1.2', 'sidekick-fixture/scratch-server:f0e00eda5ec1', 'a__b/c.d-e', `x@sha256:${'a'.repeat(64)}`, 'sha256:abc123', 'UPPER.host/x']) {
      expect(imageReferenceProblem(ok), ok).toBeUndefined();
    }
  });

  it('says what is wrong with the rest', () => {
    expect(() => imageReference('', '--image')).toThrow(/--image "" is not an image reference: it is empty/);
    expect(() => imageReference('/x', '--image-target')).toThrow(/--image-target "\/x" is not an image reference/);
    expect(() => imageReference('UPPER/Case', '--image')).toThrow(/repository names must be lowercase/);
    expect(imageReferenceProblem('a/../b')).toBeDefined();
    expect(imageReferenceProblem('x:')).toBeDefined();
  });
});

describe('containerOrImageReference', () => {
  it('takes a container name first, else an image reference', () => {
    expect(containerOrImageReference('/fx-scratch')).toBe('fx-scratch');
    expect(containerOrImageReference('team/app:1')).toBe('team/app:1');
    expect(() => containerOrImageReference('')).toThrow(/TARGET is empty; it must name a container or a local image/);
    expect(() => containerOrImageReference('a/../b')).toThrow(/TARGET "a\/..\/b" is neither a container name or ID nor an image reference/);
  });
});

describe('pod targets', () => {
  it('are told apart by kubectl\'s resource prefix and passed on as written, for the Kubernetes engine to read', () => {
    expect(isPodReference('pod/web/app')).toBe(true);
    expect(isPodReference('pods/web')).toBe(true);
    expect(isPodReference('po/web')).toBe(true);
    expect(isPodReference('web')).toBe(false);
    expect(isPodReference('podium/web')).toBe(false);
    expect(containerReference('pod/web/app')).toBe('pod/web/app');
  });
});
