import type { PackageToolboxEvents } from '../debug/package-toolbox.js';
import { progressLine, type ProgressLine } from './progress-line.js';
import { terminalSafe } from './terminal-safe.js';

/**
 * How a package toolbox build is shown: on a terminal, what is built and mmdebstrap's
 * progress on the progress line; with --debug, every line (terminal or not) and which image is used.
 */
export function packageBuildReporter(debug: boolean, progress: ProgressLine = progressLine()): PackageToolboxEvents & { onToolbox: (image: string, how: string) => void } {
  return {
    onPackageBuild: (description) => {
      if (debug) process.stderr.write(`sidekick: ${terminalSafe(description)} (once; it is cached by content)\n`);
      else progress.step(`${description} (once; it is cached by content)`);
    },
    onBuildLine: (line) => {
      if (debug) process.stderr.write(`mmdebstrap: ${terminalSafe(line)}\n`);
      else progress.detail(line);
    },
    onToolbox: (image, how) => {
      progress.done();
      if (debug) process.stderr.write(`sidekick: toolbox ${image} (${how})\n`);
    },
  };
}
