// Builds the demo's FROM-scratch server image locally (no registry): one static binary.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Compiles the test suite's scratch server with gcc -static and imports it as `tag`, labelled `label`=1. */
export function buildScratchServer(tag, label) {
  const work = mkdtempSync(join(tmpdir(), 'sidekick-scratch-'));
  try {
    const source = join(root, 'test', 'fixtures', 'scratch-server.c');
    execFileSync('gcc', ['-static', '-O2', '-DBODY="hello from the demo app\\n"', '-o', join(work, 'server'), source]);
    const rootfs = execFileSync('tar', ['-C', work, '--owner=0', '--group=0', '-c', 'server']);
    const changes = ['CMD ["/server"]', 'ENV API_TOKEN=demo-secret', `LABEL ${label}=1`].flatMap((change) => ['-c', change]);
    execFileSync('docker', ['import', ...changes, '-', tag], { input: rootfs, stdio: ['pipe', 'ignore', 'pipe'] });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
