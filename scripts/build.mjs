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
  banner: { js: '#!/usr/bin/env node' },
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
