import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFramedDump, sectionText } from '../core/framed-dump.js';
import { DUMP_HELPERS, hostDumpScript, targetDumpScript } from './dump-script.js';

/** The helpers run under the host's busybox sh (what the toolbox is made of) against a fake root. */
function runHelpers(root: string, body: string): ReturnType<typeof parseFramedDump> {
  const output = execFileSync('/bin/busybox', ['sh', '-c', `${DUMP_HELPERS}\nR=${root}\n${body}`], { encoding: 'latin1' });
  return parseFramedDump(output);
}

describe('dump script helpers', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sidekick-dump-'));
    await mkdir(path.join(root, 'bin'));
    await mkdir(path.join(root, 'usr/bin'), { recursive: true });
    await mkdir(path.join(root, 'etc'));
    await writeFile(path.join(root, 'bin/busybox'), 'not really');
    await chmod(path.join(root, 'bin/busybox'), 0o755);
    await symlink('busybox', path.join(root, 'bin/sh'));
    // Absolute: must resolve inside the fake root, not in the host's /bin.
    await symlink('/bin/busybox', path.join(root, 'usr/bin/bash'));
    await symlink('/bin/nothing', path.join(root, 'bin/zsh'));
    await symlink('loop', path.join(root, 'bin/loop'));
    await writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n\0odd\n');
    await symlink('/etc/passwd', path.join(root, 'etc/passwd-link'));
    // A symlinked parent directory and a "..": both would lead out of the root.
    await symlink('/etc', path.join(root, 'hostetc'));
    await symlink('..', path.join(root, 'up'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads nothing through a symlinked parent directory or a ".."', () => {
    const dump = runHelpers(root, 'f a /hostetc/passwd; f b /up/etc/passwd; f c /etc/../etc/passwd; f d /etc/passwd');
    expect([...dump.sections.keys()].sort()).toEqual(['d']);
  });

  it('finds executables through relative and absolute symlinks inside the root only', () => {
    const dump = runHelpers(root, 'x shell /bin/sh /usr/bin/bash /bin/zsh /bin/loop /bin/dash /bin/busybox');
    expect(dump.values.get('shell')).toEqual(['/bin/sh', '/usr/bin/bash', '/bin/busybox']);
  });

  it('frames files byte-exact, and marks unreadable ones', () => {
    const dump = runHelpers(root, `f file:/etc/passwd /etc/passwd-link\nd missing ${root}/nope\nc listing ls ${root}/etc`);
    expect(sectionText(dump, 'file:/etc/passwd')).toBe('root:x:0:0::/root:/bin/sh\n\0odd\n');
    expect(dump.sections.get('missing')).toEqual({ data: Buffer.alloc(0), failed: true });
    expect(sectionText(dump, 'listing')).toBe('passwd\npasswd-link\n');
    expect(dump.problems).toEqual([]);
  });

  it('builds scripts that the shell parses', () => {
    for (const script of [hostDumpScript(), targetDumpScript({ processes: true, details: true, filesystem: true, accounts: true })]) {
      expect(() => execFileSync('/bin/busybox', ['sh', '-n', '-c', script])).not.toThrow();
    }
  });
});
