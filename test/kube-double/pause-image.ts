/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): the image of a pod's
 * "pause" container, the one that owns the pod's network and IPC namespaces while the
 * pod's containers come and go (what the kubelet's sandbox container does). It is the
 * host's static busybox running `sleep` forever under the host's static tini, imported FROM
 * scratch, tagged by a hash of what goes in so that it is built once. tini is there because a
 * pause process reaps: in a pod that shares one PID namespace it is PID 1, and orphans of the
 * pod's containers become its children (kubernetes/kubernetes build/pause/linux/pause.c reaps
 * them on SIGCHLD). A pause that did not would leave zombies no real cluster has.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { docker, lines } from '../fixtures/docker-cli.js';
import { FIXTURE_LABEL, FIXTURE_REPO_PREFIX } from '../fixtures/build-fixtures.js';

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const TINI = '/usr/bin/tini-static';
const REPOSITORY = `${FIXTURE_REPO_PREFIX}kube-double-pause`;
// 2^31-1 seconds: busybox's sleep takes no "infinity".
const CHANGES = ['CMD ["/tini", "-s", "--", "/busybox", "sleep", "2147483647"]', `LABEL ${FIXTURE_LABEL}=kube-double-pause`];

async function staticBusybox(): Promise<Buffer> {
  for (const path of BUSYBOX_CANDIDATES) {
    const binary = await readFile(path).catch(() => undefined);
    if (binary !== undefined) return binary;
  }
  throw new Error(`the kube-double's pause image needs a static busybox at ${BUSYBOX_CANDIDATES.join(' or ')} (apt-get install busybox-static)`);
}

let built: Promise<string> | undefined;

/** The pause image's tag, importing it first if this engine lacks it. */
export function ensurePauseImage(): Promise<string> {
  built ??= buildOnce();
  return built;
}

async function buildOnce(): Promise<string> {
  const busybox = await staticBusybox();
  const tini = await readFile(TINI).catch(() => {
    throw new Error(`the kube-double's pause image needs ${TINI} (apt-get install tini)`);
  });
  const tag = `${REPOSITORY}:${createHash('sha256').update(busybox).update(tini).update(CHANGES.join('\n')).digest('hex').slice(0, 12)}`;
  if (lines(await docker(['images', '-q', tag])).length > 0) return tag;
  const tar = pack();
  tar.entry({ name: 'busybox', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) }, busybox);
  tar.entry({ name: 'tini', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) }, tini);
  tar.finalize();
  await docker(['import', ...CHANGES.flatMap((c) => ['--change', c]), '--message', 'sidekick kube-double pause', '-', tag], {
    // @types/tar-stream's Pack lacks members of Node 20's Readable typing; at run time it is one.
    input: tar as unknown as Readable,
  });
  return tag;
}
