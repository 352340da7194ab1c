import type { EngineCommands } from '../engine.js';
import { shellWord } from '../../core/shell-word.js';
import type { Endpoint } from './endpoint.js';

/**
 * The docker CLI's command, aimed at the engine sidekick talks to. An engine named by the
 * environment or the CLI's config (DOCKER_HOST, DOCKER_CONTEXT, the current context) is the
 * one a bare `docker` reaches in the same shell; one named by a flag needs that flag again.
 */
export function dockerCli(endpoint: Endpoint): string {
  if (endpoint.source === '--context' && endpoint.context !== undefined) return `docker --context ${shellWord(endpoint.context)}`;
  if (endpoint.source !== '--host') return 'docker';
  const words = ['docker', '-H', shellWord(endpoint.url)];
  if (endpoint.tls !== undefined) {
    words.push(endpoint.tls.verify ? '--tlsverify' : '--tls');
    // Files from DOCKER_CERT_PATH or the config directory are found by the CLI itself.
    for (const [flag, file] of [['--tlscacert', endpoint.tls.ca], ['--tlscert', endpoint.tls.cert], ['--tlskey', endpoint.tls.key]] as const) {
      if (file !== undefined && file.from === flag) words.push(flag, shellWord(file.path));
    }
  }
  return words.join(' ');
}

/** What a person types to do things by hand on a Docker engine. */
export function dockerCommands(endpoint: Endpoint): EngineCommands {
  const docker = dockerCli(endpoint);
  // A full container ID is shown as docker shows it, 12 characters (it reaches the same container).
  const shown = (word: string): string => (/^[0-9a-f]{64}$/.test(word) ? word.slice(0, 12) : word);
  const run = (...words: string[]): string => [docker, ...words.map((word) => shellWord(shown(word)))].join(' ');
  return {
    startContainer: (container) => run('start', container),
    unpauseContainer: (container) => run('unpause', container),
    stopContainer: (container) => run('stop', container),
    removeContainer: (container, options) => run('rm', ...(options.force ? ['-f'] : []), ...(options.volumes ? ['-v'] : []), container),
    removeCopy: (id) => run('rm', '-f', '-v', id),
    stopAndRemoveContainer: (container) => `${run('stop', container)} && ${run('rm', container)}`,
    attachContainer: (container) => run('attach', container),
    followLogs: (container) => run('logs', '-f', container),
    execInteractive: (container, command) => run('exec', '-it', container, command),
    showContainer: (id) => run('ps', '-a', '--filter', `id=${shown(id)}`),
    listContainers: () => run('ps', '-a'),
    listImages: () => run('images'),
    pullImage: (reference) => run('pull', reference),
    removeImage: (reference) => run('rmi', reference),
  };
}
