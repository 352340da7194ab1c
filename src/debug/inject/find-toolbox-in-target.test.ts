import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOOKUP_SCRIPT, parseLookup } from './find-toolbox-in-target.js';

const run = promisify(execFile);

describe('the toolbox lookup in the target', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-lookup-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints each regular file asked for with its length (no newline of its own needed), skips what is missing or a directory, and says whether the init is there', async () => {
    await writeFile(join(dir, 'manifest.json'), '{"a":1}');
    await mkdir(join(dir, 'os.json'));
    await writeFile(join(dir, 'third'), 'line one\nFILE 9 9\n');
    await writeFile(join(dir, 'init'), '');
    const { stdout } = await run('/bin/busybox', ['sh', '-c', LOOKUP_SCRIPT, 'sidekick-lookup', '/bin', join(dir, 'init'), join(dir, 'manifest.json'), join(dir, 'os.json'), join(dir, 'third'), join(dir, 'missing')], { encoding: 'buffer' });
    const { files, init } = parseLookup(stdout);
    expect([...files.keys()]).toEqual([0, 2]);
    expect(files.get(0)?.toString()).toBe('{"a":1}');
    expect(files.get(2)?.toString()).toBe('line one\nFILE 9 9\n');
    expect(init).toBe(true);
    const without = await run('/bin/busybox', ['sh', '-c', LOOKUP_SCRIPT, 'sidekick-lookup', '/bin', join(dir, 'no-init'), join(dir, 'missing')], { encoding: 'buffer' });
    expect(parseLookup(without.stdout)).toEqual({ files: new Map(), init: false });
  });

  it('stops at output it does not understand or that is cut short', () => {
    expect(parseLookup(Buffer.from('FILE 0 10\nshort')).files.size).toBe(0);
    expect(parseLookup(Buffer.from('garbage\nINIT\n')).init).toBe(false);
  });
});
