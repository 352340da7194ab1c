/**
 * The command's entry point. `--version` is answered here without loading the rest of
 * sidekick; everything else loads the bundled CLI.
 */
import { enterAsPlugin, startedAsPlugin } from './docker-plugin.js';

declare const SIDEKICK_VERSION: string;

// Run as `docker sidekick …` (docs in README, "Install"): docker's command line becomes sidekick's.
const args = startedAsPlugin(process.argv[1]) ? enterAsPlugin(process.argv.slice(2), SIDEKICK_VERSION) : process.argv.slice(2);
if (args === undefined) {
  // the plugin's metadata was answered, or its command line refused
} else if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${SIDEKICK_VERSION}\n`);
} else {
  process.argv.splice(2, Infinity, ...args);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./sidekick-main.cjs');
}
