import { describe, expect, it } from 'vitest';
import type { RawEntry } from '../../core/archive/tar-filter.js';
import { ArchiveBreakout, breakoutCheck } from './archive-breakout.js';

const entry = (name: string, type: RawEntry['type'] = 'file', linkname = ''): RawEntry => ({ name, type, linkname, size: 0, gnuSparse: false });

describe('breakoutCheck (the Docker engine\'s refusals of an upload)', () => {
  it('keeps entries and links that stay in the directory, absolute link texts included', () => {
    const check = breakoutCheck('/data');
    for (const kept of [entry('a'), entry('./a/b'), entry('a/../b'), entry('l', 'symlink', '../data/x'), entry('d/l', 'symlink', '../x'), entry('l', 'symlink', '/etc'), entry('h', 'hardlink', 'a/b')]) {
      expect(check(kept)).toBe(true);
    }
  });

  it('refuses names, links and hard links that climb out of it', () => {
    const check = breakoutCheck('/data/');
    for (const refused of [entry('../x'), entry('a/../../x'), entry('l', 'symlink', '../../etc'), entry('d/l', 'symlink', '../../x'), entry('h', 'hardlink', '../x')]) {
      expect(() => check(refused), refused.name).toThrow(ArchiveBreakout);
    }
  });

  it('into / nothing climbs out: ".." stops there, as in Go\'s filepath.Join', () => {
    const check = breakoutCheck('/');
    expect(check(entry('contract-sub/escape', 'symlink', '../../../../../../../contract-data'))).toBe(true);
    expect(check(entry('../../x'))).toBe(true);
  });
});
