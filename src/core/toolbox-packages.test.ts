import { describe, expect, it } from 'vitest';
import { describePackageToolbox, normalizedPackages, packageToolboxTag, parsePackageList } from './toolbox-packages.js';

describe('package toolboxes', () => {
  it('parses commas and spaces, and refuses what is no package name', () => {
    expect(parsePackageList('strace,tcpdump  gdb,')).toEqual(['strace', 'tcpdump', 'gdb']);
    expect(() => parsePackageList('')).toThrow(/at least one/);
    expect(() => parsePackageList('strace,--foo')).toThrow(/"--foo" is not a Debian package name/);
    expect(() => parsePackageList('Strace')).toThrow(/not a Debian package name/);
  });

  it('is named by content: the same set in any order is the same tag; another suite, arch or set is not', () => {
    const base = { suite: 'bookworm', arch: 'amd64' };
    const a = packageToolboxTag({ ...base, packages: ['strace', 'curl'] });
    expect(a).toMatch(/^debian-bookworm-amd64-[0-9a-f]{16}$/);
    expect(packageToolboxTag({ ...base, packages: ['curl', 'strace', 'curl', 'bash'] })).toBe(a);
    expect(packageToolboxTag({ ...base, packages: ['strace'] })).not.toBe(a);
    expect(packageToolboxTag({ ...base, suite: 'trixie', packages: ['strace', 'curl'] })).not.toBe(a);
    expect(packageToolboxTag({ ...base, arch: 'arm64', packages: ['strace', 'curl'] })).not.toBe(a);
  });

  it('adds the base packages once and says what the image holds', () => {
    expect(normalizedPackages(['strace', 'bash'])).toEqual(['bash', 'ca-certificates', 'ncurses-base', 'strace']);
    expect(describePackageToolbox({ suite: 'bookworm', arch: 'amd64', packages: ['strace'] })).toBe('bookworm amd64 bash,ca-certificates,ncurses-base,strace');
  });
});
