import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DYNAMIC_VIEW_FUNCTIONS } from './dynamic-view.js';
import { elfInterpreter } from './elf.js';

/** Runs elf_interp, as the session shell does, with the host's static busybox. */
function shellInterp(path: string): string {
  return execFileSync('/bin/busybox', ['sh', '-c', `${DYNAMIC_VIEW_FUNCTIONS}\nelf_interp "$1"`, 'sh', path], { encoding: 'utf8' }).trim();
}

describe('elf_interp (the session shell reads PT_INTERP)', () => {
  it("prints the loader a dynamic executable names, as the ELF parser reads it", () => {
    const expected = elfInterpreter(readFileSync(process.execPath).subarray(0, 4096));
    expect(expected).toMatch(/^\/.*ld.*\.so/);
    expect(shellInterp(process.execPath)).toBe(expected);
    expect(shellInterp('/bin/ls')).toBe(elfInterpreter(readFileSync('/bin/ls').subarray(0, 4096)));
  });

  it('prints nothing for a static executable, a script, a short file or a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sidekick-elf-'));
    try {
      writeFileSync(join(dir, 'script'), '#!/bin/sh\necho hi\n');
      writeFileSync(join(dir, 'short'), '\x7fELF');
      expect(shellInterp('/bin/busybox')).toBe('');
      expect(shellInterp(join(dir, 'script'))).toBe('');
      expect(shellInterp(join(dir, 'short'))).toBe('');
      expect(shellInterp(join(dir, 'missing'))).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
