import { describe, expect, it } from 'vitest';
import { isPodReference, parsePodReference } from './pod-reference.js';

describe('pod references', () => {
  it('takes kubectl spellings of a pod, with and without a container', () => {
    expect(parsePodReference('pod/web-7d9f')).toEqual({ pod: 'web-7d9f' });
    expect(parsePodReference('pods/web.a-1/app')).toEqual({ pod: 'web.a-1', container: 'app' });
    expect(parsePodReference('po/x/sidecar-2')).toEqual({ pod: 'x', container: 'sidecar-2' });
  });

  it('tells a pod from a container name or ID', () => {
    expect(isPodReference('pod/web')).toBe(true);
    expect(isPodReference('web')).toBe(false);
    expect(isPodReference('podman/web')).toBe(false);
    expect(isPodReference('deploy/web')).toBe(false);
  });

  it('refuses names the API server would refuse, with the reason', () => {
    expect(() => parsePodReference('pod/')).toThrow(/not a pod name/);
    expect(() => parsePodReference('pod/Web')).toThrow(/not a pod name/);
    expect(() => parsePodReference('pod/web-')).toThrow(/not a pod name/);
    expect(() => parsePodReference('pod/a..b')).toThrow(/not a pod name/);
    expect(() => parsePodReference(`pod/${'a'.repeat(254)}`)).toThrow(/not a pod name/);
    expect(() => parsePodReference('pod/web/app.1')).toThrow(/not a container name/);
    expect(() => parsePodReference(`pod/web/${'a'.repeat(64)}`)).toThrow(/not a container name/);
    expect(() => parsePodReference('pod/web/app/extra')).toThrow(/more than/);
    expect(() => parsePodReference('web')).toThrow(/does not start with pod/);
  });

  it('accepts the longest legal names', () => {
    const label = 'a'.repeat(63);
    expect(parsePodReference(`pod/${label}.${label}.${label}.${'b'.repeat(61)}/${label}`).container).toBe(label);
  });
});
