import { main } from './main.js';

let settled = false;

// Node exits with 0 when nothing is left to wait on; a session that ended that way never said
// how it went, and 0 would be a lie.
process.once('beforeExit', () => {
  if (settled) return;
  process.stderr.write('sidekick: the session ended without reporting a status; this is a bug in sidekick.\nRun again with --debug and report it.\n');
  process.exit(125);
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
    // Nothing of the session may keep the process alive once its status is known.
    setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    settled = true;
    process.stderr.write(`sidekick: ${String(error)}\n`);
    process.exit(125);
  },
);
