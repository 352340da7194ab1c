/**
 * What the injected OS's package manager recorded as its own: the paths dpkg's file lists
 * (/var/lib/dpkg/info/*.list) and apk's database (/lib/apk/db/installed) name. Read through
 * the engine's archive API (resolved inside the target's root, docs/ARCHITECTURE.md, "The target's files") and parsed here
 * as the hostile text they are; core/inject/eject-plan.ts decides with them.
 */
import { parseApkInstalled, parseDpkgList } from '../../core/inject/eject-plan.js';
import type { Engine } from '../../engines/engine.js';
import { archiveEntries, kindOf, readContainerFile } from './container-files.js';
import { requireCapability } from '../../engines/capabilities.js';

const DPKG_INFO = '/var/lib/dpkg/info';
const APK_INSTALLED = '/lib/apk/db/installed';
/** The target chose these files' sizes: read no more than a real system's records could need. */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export async function packageManagerRecords(engine: Engine, containerId: string): Promise<Set<string>> {
  const archive = requireCapability(engine, 'archive', 'read the package records of the target (sidekick eject)');
  const owned = new Set<string>();
  const [info, apk] = await Promise.all([archive.statPath(containerId, DPKG_INFO), archive.statPath(containerId, APK_INSTALLED)]);
  if (kindOf(info) === 'dir') {
    const extract = await archiveEntries(engine, containerId, DPKG_INFO);
    let budget = MAX_RECORD_BYTES;
    if (extract !== undefined) {
      for await (const entry of extract) {
        const size = entry.header.size ?? 0;
        if (entry.header.type !== 'file' || !entry.header.name.endsWith('.list') || size > budget) {
          entry.resume();
          continue;
        }
        budget -= size;
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        for (const path of parseDpkgList(Buffer.concat(chunks).toString('utf8'))) owned.add(path);
      }
    }
  }
  if (kindOf(apk) === 'file') {
    const db = await readContainerFile(engine, containerId, APK_INSTALLED, MAX_RECORD_BYTES);
    if (db !== undefined) for (const path of parseApkInstalled(db.toString('utf8'))) owned.add(path);
  }
  return withMergedUsr(engine, containerId, owned);
}

const MERGED_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * With a merged /usr (/lib a link to usr/lib), dpkg may record /lib/x/libfoo.so while the file
 * lives, and the engine's diff shows it, at /usr/lib/x/libfoo.so: both names are the record's.
 */
async function withMergedUsr(engine: Engine, containerId: string, owned: Set<string>): Promise<Set<string>> {
  const archive = requireCapability(engine, 'archive', 'read the package records of the target (sidekick eject)');
  const stats = await Promise.all(MERGED_DIRS.map((dir) => archive.statPath(containerId, dir)));
  const merged = MERGED_DIRS.filter((dir, i) => kindOf(stats[i]) === 'symlink' && [`usr${dir}`, `/usr${dir}`].includes(stats[i]?.linkTarget ?? ''));
  if (merged.length === 0) return owned;
  for (const path of [...owned]) {
    const dir = merged.find((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    if (dir !== undefined) owned.add(`/usr${path}`);
  }
  return owned;
}
