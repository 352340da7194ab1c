/**
 * The command's entry point. `--version` is answered here without loading the rest of
 * sidekick; everything else loads the bundled CLI.
 */
declare const SIDEKICK_VERSION: string;

// Run as `docker sidekick …` (README, "Install"): docker's command line becomes sidekick's (or is answered here).
import { enterAsPlugin, startedAsPlugin } from './docker-plugin.js';

const args = startedAsPlugin(process.argv[1]) ? enterAsPlugin(process.argv, SIDEKICK_VERSION) : process.argv.slice(2);
if (args === undefined) {
  // the plugin's metadata was answered, or its command line refused
} else if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${SIDEKICK_VERSION}\n`);
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./sidekick-main.cjs');
}
