import { describe, expect, it } from 'vitest';
import type { RawEntry } from '../archive/tar-filter.js';
import { kindsFromArchive } from './directory-listing.js';

const entry = (name: string, type: RawEntry['type']): RawEntry => ({ name, type, linkname: '', size: 0, gnuSparse: false });

describe('kindsFromArchive', () => {
  it('gives every path below the directory its kind, hard links as files', () => {
    const kinds = kindsFromArchive('/etc', [entry('etc/', 'directory'), entry('etc/hostname', 'file'), entry('etc/ssl/', 'directory'), entry('etc/ssl/certs', 'symlink'), entry('etc/again', 'hardlink'), entry('etc/fifo', 'other')]);
    expect(kinds && Object.fromEntries(kinds)).toEqual({ '/etc/hostname': 'file', '/etc/ssl': 'dir', '/etc/ssl/certs': 'symlink', '/etc/again': 'file', '/etc/fifo': 'other' });
  });

  it('is no listing when the first entry is not the directory itself (swapped for a link or a file)', () => {
    expect(kindsFromArchive('/etc', [entry('etc', 'symlink')])).toBeUndefined();
    expect(kindsFromArchive('/etc', [entry('etc', 'file')])).toBeUndefined();
    expect(kindsFromArchive('/etc', [entry('other/', 'directory'), entry('other/x', 'file')])).toBeUndefined();
    expect(kindsFromArchive('/etc', [])).toBeUndefined();
  });

  it('is no listing when a name leaves the directory or is not below it', () => {
    expect(kindsFromArchive('/etc', [entry('etc/', 'directory'), entry('etc/../root/x', 'file')])).toBeUndefined();
    expect(kindsFromArchive('/etc', [entry('etc/', 'directory'), entry('/etc/x', 'file')])).toBeUndefined();
    expect(kindsFromArchive('/etc', [entry('etc/', 'directory'), entry('var/x', 'file')])).toBeUndefined();
  });
});
