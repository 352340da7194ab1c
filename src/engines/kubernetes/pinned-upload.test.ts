import { describe, expect, it } from 'vitest';
import { newSegment, placeEntry, segmentFor, UnpinnableEntry, type PinnedSegment } from './pinned-upload.js';

/** The segments an upload is cut into, as `directory[checked]: names`. */
function segmentsOf(entries: Array<{ name: string; type: string; linkname?: string }>): string[] {
  const out: string[] = [];
  let open: PinnedSegment | undefined;
  for (const entry of entries) {
    const placement = placeEntry(entry);
    if (placement === undefined) continue;
    const same = segmentFor(open, placement);
    if (same === undefined) {
      open = newSegment(placement);
      out.push(`${open.directory}[${open.checked}]:`);
    }
    out[out.length - 1] += ` ${placement.name}${placement.linkName ? `=${placement.linkName}` : ''}`;
  }
  return out;
}

describe('pinned upload', () => {
  it('cuts a toolbox upload where a directory starts or the directory changes', () => {
    expect(
      segmentsOf([
        { name: 'sk/', type: 'directory' },
        { name: 'sk/intent', type: 'file' },
        { name: 'sk/bin/', type: 'directory' },
        { name: 'sk/bin/busybox', type: 'file' },
        { name: 'sk/init', type: 'file' },
        { name: 'sk/bin/ls', type: 'link', linkname: 'sk/bin/busybox' },
        { name: 'sk/bin/cat', type: 'link', linkname: 'sk/bin/busybox' },
        { name: 'sk/', type: 'directory' },
        { name: 'sk/manifest', type: 'file' },
      ]),
    ).toEqual(['[sk]: sk', 'sk[]: intent', 'sk[bin]: bin', 'sk/bin[]: busybox', 'sk[]: init', 'sk/bin[]: ls=busybox cat=busybox', '[sk]: sk', 'sk[]: manifest']);
  });

  it('keeps files of one directory together after its directory entry, and checks every directory entry', () => {
    expect(
      segmentsOf([
        { name: './', type: 'directory' },
        { name: './a', type: 'file' },
        { name: './b', type: 'symlink', linkname: '/etc' },
        { name: './d/', type: 'directory' },
        { name: './e/', type: 'directory' },
      ]),
    ).toEqual(['[]: a b', '[d]: d', '[e]: e']);
  });

  it('normalises names as the engine joins them: "..", "//" and a leading "/" stay inside', () => {
    expect(placeEntry({ name: '/x//y/../z', type: 'file' })).toEqual({ directory: 'x', name: 'z', isDirectory: false });
    expect(placeEntry({ name: '../../up', type: 'file' })).toEqual({ directory: '', name: 'up', isDirectory: false });
    expect(placeEntry({ name: '.', type: 'directory' })).toBeUndefined();
  });

  it('refuses a hard link into another directory, which would be a path of the target to follow', () => {
    expect(() => placeEntry({ name: 'a/l', type: 'link', linkname: 'b/f' })).toThrow(UnpinnableEntry);
    expect(() => placeEntry({ name: 'l', type: 'link', linkname: '' })).toThrow(UnpinnableEntry);
    expect(placeEntry({ name: 'a/l', type: 'link', linkname: './a/f' })).toMatchObject({ linkName: 'f' });
  });
});
