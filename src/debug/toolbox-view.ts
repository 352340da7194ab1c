/**
 * What a sidekick needs of its own to show a dynamically linked toolbox in the chroot view
 * (core/dynamic-view.ts): a static busybox and a hard link per applet under VIEW_APPLETS.
 * A toolbox sidekick built has them (label LABEL_TOOLBOX_VIEW); any other image gets this
 * host's static busybox put into the sidekick's own filesystem before it starts.
 */
import { readFile } from 'node:fs/promises';
import { VIEW_APPLETS, VIEW_BIN, VIEW_DIR } from '../core/dynamic-view.js';
import { SidekickError } from '../core/errors.js';
import type { PreloadEntry } from './sidekick-launch.js';
import { findStaticBusybox, listApplets } from './toolbox.js';

/** The static busybox and its applets, as entries of the sidekick's preload. */
export async function viewPreload(env: NodeJS.ProcessEnv): Promise<PreloadEntry[]> {
  const source = await findStaticBusybox(env);
  if (source === undefined) {
    throw new SidekickError('TOOLBOX_UNAVAILABLE', 'the chroot view of a dynamically linked toolbox needs a static busybox on this host, and none was found.', {
      hint: 'Install one (apt-get install busybox-static) or point SIDEKICK_BUSYBOX at one; or use --no-chroot (the target is then at /target).',
    });
  }
  const [binary, applets] = await Promise.all([readFile(source), listApplets(source)]);
  return viewEntries(binary, applets);
}

/** The entries (relative names) of the view's busybox directory, shared by preloads and built toolboxes. */
export function viewEntries(busybox: Buffer, applets: string[]): PreloadEntry[] {
  const dir = (path: string): string => path.slice(1);
  const busyboxName = `${dir(VIEW_APPLETS)}/busybox`;
  return [
    { name: `${dir(VIEW_DIR)}/`, type: 'directory', mode: 0o755 },
    { name: `${dir(VIEW_APPLETS)}/`, type: 'directory', mode: 0o755 },
    { name: `${dir(VIEW_BIN)}/`, type: 'directory', mode: 0o755 },
    { name: busyboxName, type: 'file', mode: 0o755, content: busybox },
    // Hard links: a symlink would be followed in the target's root when reached from it.
    ...applets.map((applet): PreloadEntry => ({ name: `${dir(VIEW_APPLETS)}/${applet}`, type: 'link', mode: 0o755, linkname: busyboxName })),
  ];
}
