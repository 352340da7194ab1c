import { describe, expect, it } from 'vitest';
import { decodeManifest, encodeManifest, MANIFEST_FORMAT, type OsManifest, type ToolboxManifest } from './injection-manifest.js';

const base = {
  format: MANIFEST_FORMAT,
  nonce: 'abc',
  source: 'busybox /bin/busybox',
  createdAt: '2026-01-01T00:00:00.000Z',
  sidekickVersion: '0.1.0',
  targetId: 'f'.repeat(64),
} as const;

const toolbox: ToolboxManifest = { ...base, kind: 'toolbox', prefix: '/.sidekick', applets: 300 };
const os: OsManifest = {
  ...base,
  kind: 'os',
  createdRoots: ['/usr', '/etc/apt'],
  existingDirs: ['/', '/etc'],
  keptCount: 3,
  conflicts: ['/srv'],
  baselineAdded: [],
  toolboxPrefix: '/.sidekick',
};

describe('injection manifest codec', () => {
  it('round-trips both kinds', () => {
    expect(decodeManifest(encodeManifest(toolbox))).toEqual({ manifest: toolbox });
    expect(decodeManifest(encodeManifest(os))).toEqual({ manifest: os });
    const walked: OsManifest = { ...os, baseline: 'walk', baselineAdded: ['/etc', '/etc/hosts', '/server'] };
    expect(decodeManifest(encodeManifest(walked))).toEqual({ manifest: walked });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['another format', JSON.stringify({ ...toolbox, format: 'x' }), /format/],
    ['a missing nonce', JSON.stringify({ ...toolbox, nonce: 1 }), /nonce/],
    ['an unknown kind', JSON.stringify({ ...toolbox, kind: 'x' }), /kind/],
    ['a relative prefix', JSON.stringify({ ...toolbox, prefix: 'x' }), /prefix/],
    ['a dot-dot root', JSON.stringify({ ...os, createdRoots: ['/usr/../etc'] }), /createdRoots/],
    ['the root as a created root', JSON.stringify({ ...os, createdRoots: ['/'] }), /never creates/],
    ['/proc as a created root', JSON.stringify({ ...os, createdRoots: ['/proc/1'] }), /never creates/],
    ['a negative count', JSON.stringify({ ...os, keptCount: -1 }), /keptCount/],
    ['an unknown baseline', JSON.stringify({ ...os, baseline: 'guess' }), /baseline/],
  ])('refuses %s without throwing', (_name, text, reason) => {
    const result = decodeManifest(text);
    expect(result.manifest).toBeUndefined();
    expect(result.reason).toMatch(reason);
  });
});
