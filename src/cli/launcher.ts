/**
 * The command's entry point. `--version` is answered here without loading the rest of
 * sidekick; everything else loads the bundled CLI.
 */
declare const SIDEKICK_VERSION: string;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${SIDEKICK_VERSION}\n`);
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./sidekick-main.cjs');
}
