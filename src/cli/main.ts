import { Command, CommanderError, Option } from 'commander';
import { fstatSync, statSync, writeSync } from 'node:fs';
import type { RegisterCommand, RunCommand } from './command-runner.js';
import { registerCapture } from './register-capture.js';
import { registerCp } from './register-cp.js';
import { registerEject } from './register-eject.js';
import { registerExec } from './register-exec.js';
import { registerInspect } from './register-inspect.js';
import { registerLs } from './register-ls.js';
import { registerPortForward } from './register-port-forward.js';
import { registerPrune } from './register-prune.js';
import { registerPs } from './register-ps.js';
import { registerInject } from './register-inject.js';
import { registerSessions } from './register-sessions.js';
import { registerShell } from './register-shell.js';
import { registerToolbox } from './register-toolbox.js';
import { registerInstall } from './register-install.js';
import { polishHelp } from './help-text.js';
import { formatError } from './report-error.js';
import { describeProgram, hoistGlobalFlags } from './global-flags.js';

declare const SIDEKICK_VERSION: string;

/** `--context a --context b`: several engines, which only `inspect --all` reads (the others refuse). */
function collectContexts(value: string, previous: string | string[] | undefined): string | string[] {
  return previous === undefined ? value : [previous, value].flat();
}

const COMMANDS: RegisterCommand[] = [registerExec, registerInject, registerShell, registerEject, registerSessions, registerInspect, registerPs, registerLs, registerCp, registerPortForward, registerPrune, registerToolbox, registerCapture];

export function buildProgram(run: RunCommand): Command {
  const program = new Command('sidekick')
    .description('Debug containers that have nothing in them: a shell with real tools beside any container.')
    .version(typeof SIDEKICK_VERSION === 'string' ? SIDEKICK_VERSION : 'dev', '-v, --version')
    .option('-H, --host <url>', 'engine address (unix://, tcp://, ssh://)')
    .option('--context <name>', 'docker context to use (repeatable with inspect --all: one row per engine); for a pod/ target, the kubeconfig context', collectContexts)
    .option('-n, --namespace <namespace>', "Kubernetes namespace of a pod/NAME[/CONTAINER] target (default: the context's)")
    .option('--kubeconfig <file>', 'kubeconfig file for a pod/ target (default: $KUBECONFIG, then ~/.kube/config, as kubectl)')
    // Set by the launcher when run as `kubectl sidekick` (kubectl-plugin.ts).
    .addOption(new Option('--pods-by-default').hideHelp())
    .option('--debug', 'say which engine is used; show stack traces')
    .option('--tls', 'use TLS with a tcp:// engine, without checking its certificate (implied by --tlsverify)')
    .option('--tlsverify', "use TLS and check the engine's certificate (like DOCKER_TLS_VERIFY)")
    .option('--tlscacert <file>', 'trust certificates signed only by this CA (default: $DOCKER_CERT_PATH/ca.pem)')
    .option('--tlscert <file>', 'client certificate (default: $DOCKER_CERT_PATH/cert.pem)')
    .option('--tlskey <file>', 'client key (default: $DOCKER_CERT_PATH/key.pem)')
    .enablePositionalOptions()
    .configureOutput({
      outputError: (text, write) => write(`sidekick: ${text.replace(/^error: /, '')}`),
      writeOut: writeStdout,
      // As commander decides them, without asking process.stdout when it is known not to be a terminal.
      getOutHasColors: () => (stdoutIsNoTerminal() ? (colorsWanted() ?? false) : (colorsWanted() ?? (process.stdout.isTTY && process.stdout.hasColors()))),
      getOutHelpWidth: () => (stdoutIsNoTerminal() ? 80 : (process.stdout.columns ?? 80)),
    })
    .showHelpAfterError('Run sidekick --help for usage.')
    .exitOverride();
  for (const register of COMMANDS) register(program, run);
  registerInstall(program, run);
  // Subcommands inherit exitOverride only when set before they are added; set it on each too.
  for (const command of program.commands) command.exitOverride();
  polishHelp(program);
  return program;
}

/**
 * Help and other output of the command line itself. Into a file, a pipe or /dev/null it is
 * written directly: process.stdout would load Node's stream stack (and for a terminal, net
 * and tty) for one write, ≈5 ms of a --help (docs/BENCHMARKS.md). Anything that may be a
 * terminal, or a pipe that would block, gets process.stdout as before.
 */
function writeStdout(text: string): void {
  if (!stdoutIsNoTerminal()) {
    process.stdout.write(text);
    return;
  }
  let rest = Buffer.from(text);
  try {
    while (rest.length > 0) rest = rest.subarray(writeSync(1, rest));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    process.stdout.write(rest);
  }
}

let noTerminal: boolean | undefined;

/** True when fd 1 is surely no terminal: not a character device, or /dev/null itself (tty.isatty would load net). */
function stdoutIsNoTerminal(): boolean {
  if (noTerminal === undefined) {
    try {
      const out = fstatSync(1);
      if (!out.isCharacterDevice()) noTerminal = true;
      else {
        const devNull = statSync('/dev/null');
        noTerminal = out.rdev === devNull.rdev && out.ino === devNull.ino && out.dev === devNull.dev;
      }
    } catch {
      noTerminal = false;
    }
  }
  return noTerminal;
}

/** commander's reading of NO_COLOR, FORCE_COLOR and CLICOLOR_FORCE; undefined: up to the terminal. */
function colorsWanted(): boolean | undefined {
  const { NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE } = process.env;
  if (NO_COLOR || FORCE_COLOR === '0' || FORCE_COLOR === 'false') return false;
  if (FORCE_COLOR || CLICOLOR_FORCE !== undefined) return true;
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = buildProgram((work) => {
    pending = work();
  });
  // Global flags are accepted anywhere before `--`; commander reads them before the subcommand only.
  const line = hoistGlobalFlags(argv, describeProgram(program));
  try {
    program.parse(line, { from: 'user' });
    if (pending === undefined) {
      program.outputHelp();
      return 0;
    }
    return await pending;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message; help and version are successes.
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return 0;
      return 125;
    }
    const { text, exitCode } = formatError(error, program.opts<{ debug?: boolean }>().debug === true);
    process.stderr.write(text);
    return exitCode;
  }
}
