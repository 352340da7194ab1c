import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Nothing of the session may keep the process alive once its status is known.
    setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`sidekick: ${String(error)}\n`);
    process.exit(125);
  },
);
