// Stand-in for ssh2 inside the bundle: the real module is required only when an ssh:// engine is used.
// An installed sidekick has no node_modules: ssh2 is then the bundle scripts/build.mjs puts in dist/.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

function loadSsh2() {
  // This stand-in is bundled into a file of dist/ (or of a directory under it).
  for (const dir of [__dirname, join(__dirname, '..')]) {
    const bundled = join(dir, 'sidekick-ssh2.cjs');
    // module.require: left alone by esbuild, resolved at run time.
    if (existsSync(bundled)) return module.require(bundled);
  }
  return require('ssh2');
}

module.exports = {
  Client: function LazyClient(...args) {
    const { Client } = loadSsh2();
    return new Client(...args);
  },
};
