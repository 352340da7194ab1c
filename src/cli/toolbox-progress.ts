import type { PackageToolboxEvents } from '../debug/package-toolbox.js';
import { terminalSafe } from './terminal-safe.js';

/**
 * How a package toolbox build is shown: on a terminal, what is built and mmdebstrap's
 * progress on one line; with --debug, every line (terminal or not) and which image is used.
 */
export function packageBuildReporter(debug: boolean): PackageToolboxEvents & { onToolbox: (image: string, how: string) => void } {
  const terminal = process.stderr.isTTY === true;
  let drawn = false;
  return {
    onPackageBuild: (description) => {
      if (terminal || debug) process.stderr.write(`sidekick: ${terminalSafe(description)} (once; it is cached by content)\n`);
    },
    onBuildLine: (line) => {
      if (debug) {
        process.stderr.write(`mmdebstrap: ${terminalSafe(line)}\n`);
      } else if (terminal) {
        process.stderr.write(`\r\x1b[K${terminalSafe(line).slice(0, (process.stderr.columns || 80) - 1)}`);
        drawn = true;
      }
    },
    onToolbox: (image, how) => {
      if (drawn) process.stderr.write('\r\x1b[K');
      drawn = false;
      if (debug) process.stderr.write(`sidekick: toolbox ${image} (${how})\n`);
    },
  };
}
