import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_FORMAT, TOOLBOX_INTENT_NAME, TOOLBOX_MANIFEST_NAME } from '../../core/inject/injection-manifest.js';
import { removeToolboxCommand } from './remove-in-target.js';

const run = promisify(execFile);

/**
 * The fast eject's script, run by this host's sh against a toolbox-shaped directory, with an
 * `rm` on PATH that logs each call before it removes: the order of removals is what an eject
 * cut short leaves behind.
 */
describe('removing a toolbox in the target', () => {
  let dir: string;
  let prefix: string;
  let log: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-remove-'));
    prefix = join(dir, 'toolbox');
    log = join(dir, 'rm.log');
    const wrappers = join(dir, 'wrappers');
    await mkdir(wrappers);
    await writeFile(join(wrappers, 'rm'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${log}\nexec /bin/rm "$@"\n`);
    await chmod(join(wrappers, 'rm'), 0o755);
    path = `${wrappers}:/usr/bin:/bin`;
    await mkdir(join(prefix, 'bin'), { recursive: true });
    await mkdir(join(prefix, 'lib'));
    await writeFile(join(prefix, 'bin', 'busybox'), 'binary');
    await writeFile(join(prefix, 'lib', 'init'), 'binary');
    await writeFile(join(prefix, '.hidden'), '');
    await writeFile(join(prefix, TOOLBOX_INTENT_NAME), 'intent');
    await writeFile(join(prefix, TOOLBOX_MANIFEST_NAME), `{\n "format": "${MANIFEST_FORMAT}",\n "kind": "toolbox",\n "prefix": "${prefix}",\n}\n`);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('removes the files first and the records last, so that a removal cut short is still recognised as ours', async () => {
    const [shell, ...args] = removeToolboxCommand(prefix, ` "format": "${MANIFEST_FORMAT}",`);
    await run(shell!, args, { env: { PATH: path } });
    await expect(stat(prefix)).rejects.toThrow();
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    const last = calls.length - 1;
    const indexOf = (text: string): number => calls.findIndex((call) => call.endsWith(text));
    expect(calls[last]).toBe('-rf -- ./toolbox');
    for (const entry of ['./bin', './lib', './.hidden']) expect(indexOf(entry), `${entry} removed on its own`).toBeGreaterThanOrEqual(0);
    const intent = indexOf(`./${TOOLBOX_INTENT_NAME}`);
    expect(intent).toBeGreaterThan(Math.max(indexOf('./bin'), indexOf('./lib'), indexOf('./.hidden')));
    expect(intent).toBeLessThan(last);
    expect(calls.some((call) => call.endsWith(TOOLBOX_MANIFEST_NAME)), 'the manifest goes with its directory, last').toBe(false);
  });

  it('removes nothing when the manifest is not ours', async () => {
    await writeFile(join(prefix, TOOLBOX_MANIFEST_NAME), '{ "kind": "something else" }\n');
    const [shell, ...args] = removeToolboxCommand(prefix, ` "format": "${MANIFEST_FORMAT}",`);
    const status = await run(shell!, args, { env: { PATH: path } }).then(
      () => 0,
      (error: { code?: number }) => error.code ?? -1,
    );
    expect(status).toBe(10);
    expect((await stat(join(prefix, 'bin', 'busybox'))).isFile()).toBe(true);
  });
});
