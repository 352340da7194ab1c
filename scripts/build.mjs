// Bundles the CLI into one file, so that a run loads one module instead of hundreds.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

import { rmSync } from 'node:fs';
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// docker-modem loads ssh2 (≈60 ms) on start even when the engine is a local socket.
// Its only use is `new Client()` for ssh:// endpoints, so a stand-in loads it on first use.
const lazySsh2 = {
  name: 'lazy-ssh2',
  setup(b) {
    b.onResolve({ filter: /^ssh2$/ }, (args) =>
      args.importer.endsWith('lazy-ssh2.cjs') ? { path: 'ssh2', external: true } : { path: new URL('./lazy-ssh2.cjs', import.meta.url).pathname },
    );
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  define: { SIDEKICK_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
};

// The entry point stays tiny so that `--version` parses almost nothing.
await build({
  ...common,
  entryPoints: ['src/cli/launcher.ts'],
  outfile: 'dist/sidekick.cjs',
  // `--` before the script: Node 20 reads `--env-file` anywhere on the command line, the user's
  // `sidekick exec --env-file F` too (nodejs/node#54232), and would stop before sidekick runs.
  banner: { js: '#!/usr/bin/env -S node --' },
  external: ['./sidekick-main.cjs'],
});

await build({
  ...common,
  entryPoints: ['src/cli/bin.ts'],
  outfile: 'dist/sidekick-main.cjs',
  sourcemap: 'linked',
  minifySyntax: true,
  // Optional native speed-ups of ssh2; absent is fine.
  external: ['cpu-features', '*.node'],
  plugins: [lazySsh2],
});

// port-forward's relay (native/sidekick-relay.c), a static binary that runs in the target's
// network namespace. Without a compiler and a static libc it is left out, and port-forward
// falls back to one exec per connection (docs/ARCHITECTURE.md, "port-forward").
{
  const { spawnSync } = await import('node:child_process');
  const made = spawnSync('gcc', ['-static', '-O2', '-o', 'dist/sidekick-relay', 'native/sidekick-relay.c'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (made.status !== 0) {
    process.stderr.write(`build: no port-forward relay (gcc -static failed: ${made.error?.message ?? made.stderr.toString().trim().split('\n')[0] ?? ''}); port-forward will use one exec per connection.\n`);
  }
}

// ssh2 for ssh:// engines, in its own bundle beside the CLI: an installed sidekick has no
// node_modules, and the stand-in (scripts/lazy-ssh2.cjs) loads it only when an ssh:// engine is used.
await build({
  ...common,
  stdin: { contents: "module.exports = require('ssh2');", resolveDir: new URL('..', import.meta.url).pathname, loader: 'js' },
  outfile: 'dist/sidekick-ssh2.cjs',
  minifySyntax: true,
  // Optional native speed-ups of ssh2; absent is fine.
  external: ['cpu-features', '*.node'],
});

// Executable as npm makes a package's bin, so that `sidekick install-plugin` can link it from a checkout too.
(await import('node:fs')).chmodSync(new URL('../dist/sidekick.cjs', import.meta.url), 0o755);
