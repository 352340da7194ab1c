// The images the bench runs as targets, FROM scratch like the apps sidekick debugs, built
// locally (gcc -static, `docker import`) and labelled with the run and the step that made them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker } from './steps.mjs';

const fixtures = fileURLToPath(new URL('../test/fixtures/', import.meta.url));

/** Compiles test/fixtures/`source` into a one-binary image `tag` that runs it; returns the tag. */
export function buildStaticImage(ctx, tag, source, defines = []) {
  const work = mkdtempSync(join(tmpdir(), 'sidekick-bench-image-'));
  try {
    execFileSync('gcc', ['-static', '-O2', ...defines, '-o', join(work, 'server'), join(fixtures, source)]);
    const rootfs = execFileSync('tar', ['-C', work, '--owner=0', '--group=0', '-c', 'server']);
    const labels = ctx.labelArgs().filter((arg) => arg !== '--label').map((label) => `LABEL ${label}`);
    const changes = ['CMD ["/server"]', ...labels].flatMap((change) => ['-c', change]);
    docker(['import', ...changes, '-', tag], rootfs);
    return tag;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
