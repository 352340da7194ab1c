/**
 * The command's entry point. `--version` is answered here without loading the rest of
 * sidekick; everything else loads the bundled CLI, through the code cache (code-cache.ts).
 */
import { useCodeCache } from './code-cache.js';

declare const SIDEKICK_VERSION: string;

// Run as `docker sidekick …` (README, "Install"): docker's command line becomes sidekick's (or is answered here).
import { enterAsPlugin, startedAsPlugin } from './docker-plugin.js';
// Run as `kubectl sidekick …`: the same command line, targets being pods by default.
import { kubectlPluginArgs, startedAsKubectlPlugin } from './kubectl-plugin.js';

function commandLine(): string[] | undefined {
  if (startedAsPlugin(process.argv[1])) return enterAsPlugin(process.argv, SIDEKICK_VERSION);
  if (!startedAsKubectlPlugin(process.argv[1]) || process.argv.length <= 2) return process.argv.slice(2);
  process.argv.splice(2, Infinity, ...kubectlPluginArgs(process.argv.slice(2)));
  return process.argv.slice(3);
}

const args = commandLine();
if (args === undefined) {
  // the plugin's metadata was answered, or its command line refused
} else if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${SIDEKICK_VERSION}\n`);
} else {
  useCodeCache(__dirname, process.env);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./sidekick-main.cjs');
}
