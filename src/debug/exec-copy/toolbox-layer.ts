/**
 * The files put into a debug copy (never into the original): the host's static busybox with a
 * hard link per applet, the copy's start script and `run-entrypoint`, all under the private
 * prefix. Unpacked by the engine into the created, not yet started, copy through the archive
 * API (docs/ARCHITECTURE.md, "The target's files"), so the path is resolved inside the copy's root, never on the host.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { pack } from 'tar-stream';
import { COPY_PREFIX, RUN_ENTRYPOINT } from '../../core/copy-script.js';
import { SidekickError } from '../../core/errors.js';
import { findStaticBusybox } from '../toolbox.js';

export interface StaticBusybox {
  path: string;
  binary: Buffer;
  applets: string[];
}

export async function loadStaticBusybox(env: NodeJS.ProcessEnv): Promise<StaticBusybox> {
  const path = await findStaticBusybox(env);
  if (path === undefined) {
    throw new SidekickError('TOOLBOX_UNAVAILABLE', 'no static busybox was found on this host to put into the copy.', {
      hint: 'Install one (apt-get install busybox-static) or point SIDEKICK_BUSYBOX at a static busybox binary.',
    });
  }
  const [binary, { stdout }] = await Promise.all([readFile(path), promisify(execFile)(path, ['--list'], { maxBuffer: 1 << 20 })]);
  const applets = stdout
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => /^[A-Za-z0-9_.[\]-]+$/.test(name) && !['busybox', '.', '..', RUN_ENTRYPOINT].includes(name));
  return { path, binary, applets };
}

export interface ToolboxLayerFiles {
  startScript: string;
  runEntrypoint: string;
}

/**
 * A tar to unpack at `/` of the copy. World-readable and executable, because the copy runs as
 * the original's user (65532 in distroless images).
 */
export function toolboxLayer(busybox: StaticBusybox, files: ToolboxLayerFiles): Readable {
  const name = COPY_PREFIX.replace(/^\//, '');
  const archive = pack();
  const common = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: new Date() };
  archive.entry({ ...common, name: `${name}/`, type: 'directory', mode: 0o755 });
  archive.entry({ ...common, name: `${name}/start`, type: 'file', mode: 0o644 }, files.startScript);
  archive.entry({ ...common, name: `${name}/bin/`, type: 'directory', mode: 0o755 });
  archive.entry({ ...common, name: `${name}/bin/busybox`, type: 'file', mode: 0o755 }, busybox.binary);
  for (const applet of busybox.applets) {
    archive.entry({ ...common, name: `${name}/bin/${applet}`, type: 'link', linkname: `${name}/bin/busybox`, mode: 0o755 });
  }
  archive.entry({ ...common, name: `${name}/bin/${RUN_ENTRYPOINT}`, type: 'file', mode: 0o755 }, files.runEntrypoint);
  archive.finalize();
  return Readable.from(archive as unknown as AsyncIterable<Buffer>, { objectMode: false });
}
