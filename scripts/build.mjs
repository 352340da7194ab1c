// Bundles the CLI so that a run parses only what it uses (docs/BENCHMARKS.md, "exec T -- true:
// where the time goes"):
// - dist/sidekick.cjs, the entry point: answers --version and loads nothing else; for anything
//   else it loads the rest through a V8 code cache (src/cli/code-cache.ts);
// - dist/sidekick-main.cjs: the command line (commander and the register-*.ts), enough for
//   --help and for reading any command line;
// - dist/commands/*.cjs: one bundle per command module that a register-*.ts imports when its
//   command runs, so that `exec` never parses inspect's code nor `--help` the engine client;
// - dist/sidekick-errors.cjs: src/core/errors.ts, shared by all of them so that an error a
//   command throws is still a SidekickError (instanceof) where the command line reports it.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(resolve(root, 'dist'), { recursive: true, force: true });

const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const ERRORS_MODULE = resolve(root, 'src/core/errors.ts');
const requireFromHere = createRequire(import.meta.url);

/**
 * A stand-in module of scripts/ for `name` when a module whose path ends with `importer` (or
 * lies under src/, for "src/") asks for it. The stand-in's own import of `name` is left to
 * Node (external: loaded from node_modules or Node itself) unless `bundled`.
 */
function standIn(name, importer, file, { bundled = false } = {}) {
  const asks = (path) => (importer === 'src/' ? path.startsWith(resolve(root, 'src')) : path.replaceAll('\\', '/').endsWith(importer));
  return {
    name: `stand-in-${name}-${file}`,
    setup(b) {
      const filter = new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`);
      b.onResolve({ filter }, (args) => {
        if (args.importer.endsWith(file)) return bundled ? undefined : { path: name, external: true };
        if (!asks(args.importer)) return undefined;
        return { path: resolve(root, 'scripts', file) };
      });
    },
  };
}

/**
 * docker-modem formats every request with util.inspect for its debug log, even when that log
 * is off (≈2 ms on the first request); it is formatted only when DEBUG asks for it.
 */
function quietModem() {
  const eager = "debug('Sending: %s', util.inspect(options, {";
  return {
    name: 'quiet-modem',
    setup(b) {
      b.onLoad({ filter: /docker-modem[/\\]lib[/\\]modem\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(eager)) throw new Error(`build: ${args.path} changed; review the quiet-modem step of scripts/build.mjs.`);
        return { contents: source.replace(eager, `if (debug.enabled) ${eager}`), loader: 'js' };
      });
    },
  };
}

const standIns = [
  // docker-modem loads ssh2 (≈60 ms) on start even when the engine is a local socket.
  // Its only use is `new Client()` for ssh:// endpoints, so a stand-in loads it on first use.
  standIn('ssh2', 'docker-modem/lib/ssh.js', 'lazy-ssh2.cjs'),
  // https (and tls under it, ≈5 ms) only for a tcp:// engine with TLS.
  standIn('https', 'docker-modem/lib/http.js', 'lazy-https.cjs'),
  // commander loads child_process (≈9 ms, with net and dgram) for executable subcommands, which sidekick has none of.
  standIn('node:child_process', 'commander/lib/command.js', 'lazy-child-process.cjs'),
  standIn('./http_duplex', 'docker-modem/lib/modem.js', 'lazy-http-duplex.cjs'),
  // debug (with ms, supports-color, tty) only when DEBUG is set: its log is off otherwise.
  standIn('debug', 'docker-modem/lib/modem.js', 'lazy-debug.cjs', { bundled: true }),
  // Most runs of a command neither spawn (toolbox builds do) nor make a tar (copies do).
  standIn('node:child_process', 'src/', 'lazy-node-child-process.cjs'),
  standIn('node:crypto', 'src/', 'lazy-node-crypto.cjs'),
  standIn('node:https', 'src/', 'lazy-node-https.cjs'),
  standIn('tar-stream', 'src/', 'lazy-tar-stream.cjs', { bundled: true }),
  quietModem(),
];

/**
 * The stand-ins of src/'s imports provide the names src/ imports today; a name added later
 * fails the build here rather than a run.
 */
function checkStandInNames() {
  const provided = {
    'node:child_process': Object.keys(Object.getOwnPropertyDescriptors(requireFromHere('./lazy-node-child-process.cjs'))),
    'tar-stream': Object.keys(Object.getOwnPropertyDescriptors(requireFromHere('./lazy-tar-stream.cjs'))),
    'node:crypto': Object.keys(Object.getOwnPropertyDescriptors(requireFromHere('./lazy-node-crypto.cjs'))),
    'node:https': Object.keys(Object.getOwnPropertyDescriptors(requireFromHere('./lazy-node-https.cjs'))),
  };
  const sources = readdirSync(resolve(root, 'src'), { recursive: true })
    .map(String)
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
  for (const path of sources) {
    const text = readFileSync(resolve(root, 'src', path), 'utf8');
    for (const [module, names] of Object.entries(provided)) {
      const pattern = new RegExp(`import\\s+(type\\s+)?(\\*\\s+as\\s+\\w+|\\w+|\\{[^}]*\\})\\s+from\\s+'${module}'`, 'g');
      for (const match of text.matchAll(pattern)) {
        if (match[1]) continue;
        const imported = match[2].startsWith('{')
          ? match[2].slice(1, -1).split(',').map((part) => part.trim()).filter((part) => part !== '' && !part.startsWith('type ')).map((part) => part.split(/\s+as\s+/)[0])
          : ['* or default'];
        const missing = imported.filter((name) => !names.includes(name));
        if (missing.length > 0) throw new Error(`build: src/${path} imports ${missing.join(', ')} from ${module}; add it to the stand-in in scripts/.`);
      }
    }
  }
}
checkStandInNames();

/** src/core/errors.ts from the shared bundle, whoever imports it. */
function sharedErrors(fromDir) {
  return {
    name: 'shared-errors',
    setup(b) {
      b.onResolve({ filter: /errors\.js$/ }, (args) => {
        if (!args.importer.startsWith(resolve(root, 'src'))) return undefined;
        if (resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) !== ERRORS_MODULE) return undefined;
        return { path: `${fromDir}/sidekick-errors.cjs`, external: true };
      });
    },
  };
}

/**
 * The command modules register-*.ts import when their command runs: each becomes
 * dist/commands/NAME.cjs, loaded with require() (an import() of it would start Node's ESM
 * loader, ≈5 ms more).
 */
function commandsApart(found) {
  return {
    name: 'commands-apart',
    setup(b) {
      b.onResolve({ filter: /^\.\/.*\.js$/ }, (args) => {
        if (args.kind !== 'dynamic-import' || !/[/\\]src[/\\]cli[/\\]register-[^/\\]+\.ts$/.test(args.importer)) return undefined;
        const source = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        found.add(source);
        return { path: basename(source, '.ts'), namespace: 'command-bundle' };
      });
      b.onLoad({ filter: /.*/, namespace: 'command-bundle' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`./commands/${args.path}.cjs`)});`,
        loader: 'js',
      }));
      b.onResolve({ filter: /^\.\/commands\// }, (args) => (args.namespace === 'command-bundle' ? { path: args.path, external: true } : undefined));
    },
  };
}

/**
 * The Kubernetes engine and @kubernetes/client-node (megabytes) are a bundle of their own,
 * dist/commands/kubernetes-engine.cjs, required only when a command's target is a pod
 * (src/cli/engine-from-flags.ts imports it dynamically): a Docker command never parses it.
 */
const KUBERNETES_ENTRY = resolve(root, 'src/engines/kubernetes/open-kubernetes-engine.ts');
function kubernetesApart(fromDir) {
  return {
    name: 'kubernetes-apart',
    setup(b) {
      b.onResolve({ filter: /open-kubernetes-engine\.js$/ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        if (resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) !== KUBERNETES_ENTRY) return undefined;
        return { path: 'kubernetes-engine', namespace: 'kubernetes-bundle' };
      });
      b.onLoad({ filter: /.*/, namespace: 'kubernetes-bundle' }, () => ({
        contents: `module.exports = require(${JSON.stringify(`${fromDir}/kubernetes-engine.cjs`)});`,
        loader: 'js',
      }));
      b.onResolve({ filter: /kubernetes-engine\.cjs$/ }, (args) => (args.namespace === 'kubernetes-bundle' ? { path: args.path, external: true } : undefined));
    },
  };
}

const common = {
  absWorkingDir: root,
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
  entryPoints: ['src/core/errors.ts'],
  outfile: 'dist/sidekick-errors.cjs',
});

const commands = new Set();
await build({
  ...common,
  entryPoints: ['src/cli/bin.ts'],
  outfile: 'dist/sidekick-main.cjs',
  sourcemap: 'linked',
  minifySyntax: true,
  plugins: [commandsApart(commands), kubernetesApart('./commands'), sharedErrors('.'), ...standIns],
});
if (commands.size === 0) throw new Error('build: no command module found behind register-*.ts; the command line would load nothing.');

await build({
  ...common,
  entryPoints: [...commands].map((source) => ({ in: source, out: basename(source, '.ts') })),
  outdir: 'dist/commands',
  outExtension: { '.js': '.cjs' },
  sourcemap: 'linked',
  minifySyntax: true,
  // Optional native speed-ups of ssh2; absent is fine.
  external: ['cpu-features', '*.node'],
  plugins: [kubernetesApart('.'), sharedErrors('..'), ...standIns],
});

await build({
  ...common,
  entryPoints: [{ in: KUBERNETES_ENTRY, out: 'kubernetes-engine' }],
  outdir: 'dist/commands',
  outExtension: { '.js': '.cjs' },
  sourcemap: 'linked',
  minifySyntax: true,
  plugins: [sharedErrors('..'), ...standIns],
});

// The static helpers of native/ (docs/ARCHITECTURE.md, "Helpers of our own"): port-forward's
// relay, which runs in the target's network namespace, and the pod archive's unpacker, which
// runs in an archive sidekick on a cluster's node. Without a compiler and a static libc they are
// left out: port-forward falls back to one exec per connection, a pod upload to one exec per
// directory. musl makes the smaller binary (the unpacker travels over the Kubernetes API).
{
  const { spawnSync } = await import('node:child_process');
  const helpers = [
    { name: 'sidekick-relay', compilers: ['gcc'], without: 'port-forward will use one exec per connection' },
    { name: 'sidekick-unpack', compilers: ['musl-gcc', 'gcc'], without: 'uploads into pods will use one exec per directory' },
  ];
  for (const helper of helpers) {
    let failure = '';
    const made = helper.compilers.some((compiler) => {
      const run = spawnSync(compiler, ['-static', '-O2', '-o', resolve(root, `dist/${helper.name}`), resolve(root, `native/${helper.name}.c`)], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (run.status === 0) return true;
      failure ||= `${compiler} -static failed: ${run.error?.message ?? run.stderr.toString().trim().split('\n')[0] ?? ''}`;
      return false;
    });
    if (!made) process.stderr.write(`build: no ${helper.name} (${failure}); ${helper.without}.\n`);
  }
}

// Executable as npm makes a package's bin, so that `sidekick install-plugin` can link it from a checkout too.
(await import('node:fs')).chmodSync(new URL('../dist/sidekick.cjs', import.meta.url), 0o755);
