/**
 * eject after `inject --os` (Debian) removes exactly what is recorded as ours and keeps the
 * application's data: in a target running with --cap-drop ALL (where root in the target cannot
 * even enter apt's 0700 `_apt` directories), with an application that created /cache, /backup,
 * /www, /log, /opt/app, /etc/systemd/system/app.service and /var/log/app while the OS was there,
 * and with files dpkg made from injected ones (*.dpkg-old, *.dpkg-dist, *.dpkg-new).
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { craftedTar } from '../fixtures/hostile-fixtures.js';
import { ensureDebianRootfs } from '../fixtures/debian-rootfs.js';
import { docker, lines } from '../fixtures/docker-cli.js';
import { removeTarget, runCli, snapshotTarget, startTarget, type TestTarget } from './harness.js';

/** What "the application" writes while the OS is injected: path → content. */
const APP_FILES: Record<string, string> = {
  '/cache/blob': 'cache\n',
  '/backup/db.dump': 'backup\n',
  '/www/index.html': '<p>www</p>\n',
  '/log/app.log': 'log\n',
  '/opt/app/data.db': 'data\n',
  '/etc/systemd/system/app.service': '[Service]\n',
  '/var/log/app/app.log': 'var log\n',
};

describe('sidekick eject after inject --os', () => {
  const targets: TestTarget[] = [];
  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => removeTarget(t.id)));
  });

  it(
    'with --cap-drop ALL: removes the OS, apt’s _apt 0700 directories included, keeps the application’s data, counts dpkg’s derived files as the OS’s',
    async () => {
      const rootfs = await ensureDebianRootfs();
      const target = await startTarget(inject('fixtures').scratchServer, { dockerArgs: ['--cap-drop', 'ALL'] });
      targets.push(target);
      const before = await snapshotTarget(target.id);

      const injected = await runCli(['inject', '--os', rootfs, target.name], { timeoutMs: 300_000 });
      expect(injected.code, injected.stderr).toBe(0);

      // apt's downloads: owned by _apt (42) in its 0700 directories, as a real apt run leaves them.
      await docker(['cp', '-', `${target.id}:/var/cache/apt/archives/partial`], {
        input: craftedTar([{ name: 'curl_8.deb', type: 'file', content: 'partial download\n', uid: 42 }]),
      });
      await docker(['cp', '-', `${target.id}:/var/lib/apt/lists/partial`], {
        input: craftedTar([{ name: 'deb.debian.org_InRelease', type: 'file', content: 'partial list\n', uid: 42 }]),
      });
      // The application, running as the target's root, writes its data in new and injected places.
      const script = Object.entries(APP_FILES)
        .map(([path, content]) => `mkdir -p "${path.slice(0, path.lastIndexOf('/'))}" && printf '%s' '${content}' > "${path}"`)
        .join(' && ');
      // And a link of its own, to its own data: links are removed only when the OS's removal leaves them leading nowhere.
      await docker(['exec', target.id, '/bin/sh', '-c', `${script} && ln -s /www/index.html /www/current`]);
      // What dpkg makes from injected files (conffile prompts, interrupted unpacks).
      await docker(['exec', target.id, '/bin/sh', '-c', 'cp /etc/debian_version /etc/debian_version.dpkg-old && cp /etc/adduser.conf /etc/adduser.conf.dpkg-dist && cp /etc/adduser.conf /etc/adduser.conf.dpkg-new']);
      // apt has its root 0700 directories: without CAP_DAC_OVERRIDE, root in the target cannot enter them.
      const entered = await docker(['exec', target.id, '/bin/ls', '/var/cache/apt/archives/partial']).then(() => 'entered', () => 'denied');
      expect(entered).toBe('denied');

      const ejected = await runCli(['eject', target.name], { timeoutMs: 300_000 });
      expect(ejected.stderr).toContain(`removed the injected OS (rootfs ${rootfs}) from ${target.name}.`);
      expect(ejected.code, ejected.stderr).toBe(0);
      const kept = /kept \d+ path\(s\) created since the injection by something else: (.*)/.exec(ejected.stderr)?.[1] ?? '';
      for (const path of ['/backup', '/cache', '/etc/systemd/system/app.service', '/log', '/opt/app', '/var/log/app', '/www']) expect(kept.split(', ')).toContain(path);
      expect(kept).not.toContain('dpkg');

      // The application's files are all there, with their content.
      for (const [path, content] of Object.entries(APP_FILES)) {
        expect(await docker(['cp', `${target.id}:${path}`, '-']).then(fileContent)).toBe(content);
      }
      // The OS is gone: only the application's paths (and the directories that hold them) are new.
      const after = await snapshotTarget(target.id);
      expect(after.pid1StartTime).toBe(before.pid1StartTime);
      const beforeLines = new Set(lines(before.diff));
      const appPaths = new Set([...Object.keys(APP_FILES).flatMap((path) => ancestorsAndSelf(path)), '/www/current']);
      expect(lines(after.diff)).toContain('A /www/current');
      const unexpected = lines(after.diff).filter((line) => !beforeLines.has(line) && !appPaths.has(line.slice(2)));
      expect(unexpected).toEqual([]);
      for (const gone of ['/usr', '/var/lib/dpkg', '/var/cache/apt', '/etc/debian_version.dpkg-old', '/etc/adduser.conf.dpkg-dist', '/.sidekick-os.json', '/.sidekick']) {
        expect(lines(after.diff)).not.toContain(`A ${gone}`);
      }
      const again = await runCli(['eject', target.name]);
      expect(again.stderr).toContain('nothing injected by sidekick was found');
    },
    900_000,
  );
});

/** `docker cp T:FILE -` writes a tar of the file: its content is the first entry's body. */
function fileContent(tar: string): string {
  const size = parseInt(tar.slice(124, 136).replace(/\0.*$/, '').trim(), 8);
  return tar.slice(512, 512 + size);
}

function ancestorsAndSelf(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}
