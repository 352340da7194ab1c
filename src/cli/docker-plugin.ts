/**
 * sidekick as a Docker CLI plugin (`docker sidekick …`). The docker CLI runs the executable
 * `docker-sidekick` found in its cli-plugins directory twice: `docker-sidekick
 * docker-cli-plugin-metadata` (answer JSON and nothing else), then `docker-sidekick [DOCKER
 * GLOBAL FLAGS] sidekick ARGS…` with the global flags exactly as the user typed them before
 * `sidekick` (docker does not resolve them for the plugin). This module is part of the tiny
 * launcher: it must import nothing heavy.
 */
import { basename } from 'node:path';

export const PLUGIN_NAME = 'sidekick';
export const PLUGIN_EXECUTABLE = `docker-${PLUGIN_NAME}`;
const METADATA_COMMAND = 'docker-cli-plugin-metadata';
/** cobra's completion request, which docker forwards to a plugin; sidekick's hidden command has the same name. */
const COBRA_COMPLETE = '__complete';
/** Set by the docker CLI to a socket that it closes when the user interrupts it (see watchDockerCli). */
const PLUGIN_SOCKET_ENV = 'DOCKER_CLI_PLUGIN_SOCKET';

export function pluginMetadata(version: string): string {
  return JSON.stringify({
    SchemaVersion: '0.1.0',
    Vendor: 'sidekick',
    Version: version,
    ShortDescription: 'Debug containers that have nothing in them',
  });
}

/** How the docker CLI's global flags (`docker --help`) map onto sidekick's. */
type GlobalFlagMeaning = 'host' | 'context' | 'debug' | 'config' | 'ignored-value' | 'ignored' | 'tls' | 'tlsverify' | 'tls-file';

const DOCKER_GLOBAL_FLAGS = new Map<string, GlobalFlagMeaning>([
  ['-H', 'host'],
  ['--host', 'host'],
  ['-c', 'context'],
  ['--context', 'context'],
  ['-D', 'debug'],
  ['--debug', 'debug'],
  ['--config', 'config'],
  ['-l', 'ignored-value'],
  ['--log-level', 'ignored-value'],
  ['--tls', 'tls'],
  ['--tlsverify', 'tlsverify'],
  ['--tlscacert', 'tls-file'],
  ['--tlscert', 'tls-file'],
  ['--tlskey', 'tls-file'],
]);

const TAKES_VALUE: ReadonlySet<GlobalFlagMeaning> = new Set(['host', 'context', 'config', 'ignored-value', 'tls-file']);

export interface PluginCall {
  /** sidekick's own command line: the translated global flags, then what followed `sidekick`. */
  args: string[];
  /** Environment to set before sidekick runs (DOCKER_CONFIG from --config, TLS settings). */
  env: Record<string, string>;
}

export class PluginUsageError extends Error {}

/**
 * Translates `[DOCKER GLOBAL FLAGS] sidekick ARGS…` into sidekick's command line. Throws
 * PluginUsageError for a docker flag sidekick cannot honour, rather than ignore it and talk to
 * another engine than the one the user named.
 */
export function translatePluginArgs(argv: readonly string[]): PluginCall {
  // docker's own completion asks the plugin as cobra does: `__complete sidekick WORDS… CURRENT`.
  if (argv[0] === COBRA_COMPLETE && argv[1] === PLUGIN_NAME) return { args: [COBRA_COMPLETE, '--cobra', '--', ...argv.slice(2)], env: {} };
  const args: string[] = [];
  const env: Record<string, string> = {};
  const tlsFiles = new Map<string, string>();
  let tlsVerify = false;
  let tls = false;
  let index = 0;
  for (; index < argv.length; index += 1) {
    const token = argv[index]!;
    if (token === PLUGIN_NAME) break;
    const { flag, inline } = splitFlag(token);
    const meaning = DOCKER_GLOBAL_FLAGS.get(flag);
    if (meaning === undefined) throw new PluginUsageError(`unknown docker flag ${JSON.stringify(token)} before "${PLUGIN_NAME}".`);
    let value = inline;
    if (TAKES_VALUE.has(meaning) && value === undefined) {
      value = argv[(index += 1)];
      if (value === undefined) throw new PluginUsageError(`docker flag ${flag} needs a value.`);
    }
    switch (meaning) {
      case 'host':
        args.push('--host', value!);
        break;
      case 'context':
        args.push('--context', value!);
        break;
      case 'debug':
        if (value === undefined || isTrue(value)) args.push('--debug');
        break;
      case 'config':
        env.DOCKER_CONFIG = value!;
        break;
      case 'tls':
        tls = value === undefined || isTrue(value);
        break;
      case 'tlsverify':
        tlsVerify = value === undefined || isTrue(value);
        break;
      case 'tls-file':
        tlsFiles.set(flag, value!);
        break;
      default:
        break; // --log-level: the docker CLI's own logging
    }
  }
  if (index >= argv.length) throw new PluginUsageError(`the docker CLI did not name the plugin ("${PLUGIN_NAME}") on the command line.`);
  if (tls && !tlsVerify) throw new PluginUsageError('--tls without --tlsverify is not supported by sidekick: it always verifies the engine (use --tlsverify).');
  if (tlsVerify) {
    env.DOCKER_TLS_VERIFY = '1';
    const directory = tlsDirectory(tlsFiles);
    if (directory !== undefined) env.DOCKER_CERT_PATH = directory;
  } else if (tlsFiles.size > 0) {
    throw new PluginUsageError('--tlscacert, --tlscert and --tlskey need --tlsverify with sidekick.');
  }
  return { args: [...args, ...argv.slice(index + 1)], env };
}

function splitFlag(token: string): { flag: string; inline?: string } {
  if (token.startsWith('--')) {
    const equals = token.indexOf('=');
    return equals < 0 ? { flag: token } : { flag: token.slice(0, equals), inline: token.slice(equals + 1) };
  }
  // -Hunix:///… and -cNAME, as pflag reads them
  if (token.startsWith('-') && token.length > 2) return { flag: token.slice(0, 2), inline: token.slice(2) };
  return { flag: token };
}

function isTrue(value: string): boolean {
  return ['1', 't', 'true', 'T', 'TRUE', 'True'].includes(value);
}

/**
 * sidekick reads TLS material as ca.pem, cert.pem and key.pem of one directory (DOCKER_CERT_PATH);
 * docker's file flags are accepted when they name exactly those files of one directory.
 */
function tlsDirectory(files: Map<string, string>): string | undefined {
  if (files.size === 0) return undefined;
  const expected: Record<string, string> = { '--tlscacert': 'ca.pem', '--tlscert': 'cert.pem', '--tlskey': 'key.pem' };
  const directories = new Set<string>();
  for (const [flag, path] of files) {
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    if (name !== expected[flag]) {
      throw new PluginUsageError(`${flag} ${path}: sidekick reads ${expected[flag]} from one directory; put the files there and set DOCKER_CERT_PATH.`);
    }
    directories.add(slash < 0 ? '.' : path.slice(0, slash) || '/');
  }
  if (directories.size > 1) throw new PluginUsageError('--tlscacert, --tlscert and --tlskey name different directories; sidekick reads them from one (DOCKER_CERT_PATH).');
  return [...directories][0];
}

/** Whether this process was started as the plugin: through a file (or symlink) named docker-sidekick. */
export function startedAsPlugin(scriptPath: string | undefined): boolean {
  return scriptPath !== undefined && basename(scriptPath) === PLUGIN_EXECUTABLE;
}

/**
 * When the docker CLI is interrupted and its output is not a terminal, it only closes the plugin
 * socket (on a terminal the signal reaches the plugin's process group by itself); the plugin is
 * expected to stop. A closed socket is turned into the SIGTERM sidekick already handles (its
 * session ends gracefully). Without the variable (docker before 24) there is nothing to watch.
 *
 * On Linux the socket is abstract ("@docker_cli_…"), and Node 20 pads an abstract name to the
 * whole sun_path, so it cannot connect to the exact-length name Go listens on. There the
 * listener is watched instead: it leaves /proc/net/unix when the docker CLI closes it.
 */
export function watchDockerCli(env: NodeJS.ProcessEnv): void {
  const address = env[PLUGIN_SOCKET_ENV];
  if (address === undefined || address === '') return;
  const stop = (): void => {
    process.kill(process.pid, 'SIGTERM');
  };
  // Loaded here only: the launcher stays as quick to load as it was for every other run.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { connect } = require('node:net') as typeof import('node:net');
  // "@name" is Linux's abstract namespace, written with a leading NUL in Node.
  const socket = connect({ path: address.startsWith('@') ? `\0${address.slice(1)}` : address });
  socket.on('error', () => {
    socket.destroy();
    if (address.startsWith('@')) watchAbstractListener(address, stop);
  });
  socket.on('data', () => undefined);
  socket.on('end', stop);
  socket.unref();
}

const LISTENER_POLL_MS = 500;

/** Calls `gone` once the abstract socket `@name` is no longer listed in /proc/net/unix. */
function watchAbstractListener(address: string, gone: () => void): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readFile } = require('node:fs') as typeof import('node:fs');
  const listed = (table: string): boolean => table.split('\n').some((line) => line.endsWith(` ${address}`));
  let seen = false;
  const check = (): void => {
    readFile('/proc/net/unix', 'utf8', (error, table) => {
      if (error) return; // no /proc: nothing to watch
      if (listed(table)) {
        seen = true;
      } else if (seen) {
        gone();
        return;
      } else {
        return; // never listed here (another network namespace): nothing to watch
      }
      setTimeout(check, LISTENER_POLL_MS).unref();
    });
  };
  check();
}

/**
 * The launcher's entry for plugin runs, given process.argv: answers the metadata call (returns
 * undefined: nothing else to run), or puts sidekick's command line in process.argv (returned
 * too) with the environment applied.
 */
export function enterAsPlugin(processArgv: string[], version: string): string[] | undefined {
  const argv = processArgv.slice(2);
  if (argv[0] === METADATA_COMMAND) {
    process.stdout.write(`${pluginMetadata(version)}\n`);
    return undefined;
  }
  let call: PluginCall;
  try {
    call = translatePluginArgs(argv);
  } catch (error) {
    if (!(error instanceof PluginUsageError)) throw error;
    process.stderr.write(`sidekick: ${error.message}\nRun docker sidekick --help for usage.\n`);
    process.exitCode = 125;
    return undefined;
  }
  Object.assign(process.env, call.env);
  watchDockerCli(process.env);
  processArgv.splice(2, Infinity, ...call.args);
  return call.args;
}
