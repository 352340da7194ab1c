// Bundles the CLI into one file, so that a run loads one module instead of hundreds.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

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

await build({
  entryPoints: ['src/cli/bin.ts'],
  outfile: 'dist/sidekick.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  minifySyntax: true,
  banner: { js: '#!/usr/bin/env node' },
  define: { SIDEKICK_VERSION: JSON.stringify(version) },
  // Optional native speed-ups of ssh2; absent is fine.
  external: ['cpu-features', '*.node'],
  plugins: [lazySsh2],
  logLevel: 'warning',
});
