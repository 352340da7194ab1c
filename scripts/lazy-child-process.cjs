// Stand-in for child_process inside commander (scripts/build.mjs): commander spawns only for
// executable subcommands, which sidekick has none of, and loading it costs `--help` ≈9 ms.
module.exports = {
  spawn: (...args) => require('node:child_process').spawn(...args),
};
