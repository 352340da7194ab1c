import { describe, expect, it } from 'vitest';
import { dockerCommands } from './docker-commands.js';
import type { Endpoint } from './endpoint.js';

describe('dockerCommands', () => {
  it('says bare docker for an engine found through the environment or the config', () => {
    for (const endpoint of [
      { url: 'unix:///var/run/docker.sock', source: 'default socket' },
      { url: 'tcp://10.0.0.5:2375', source: 'DOCKER_HOST' },
      { url: 'ssh://ops@build', source: 'DOCKER_CONTEXT', context: 'build' },
      { url: 'ssh://ops@build', source: 'current context', context: 'build' },
    ] satisfies Endpoint[]) {
      const commands = dockerCommands(endpoint);
      expect(commands.startContainer('web')).toBe('docker start web');
      expect(commands.unpauseContainer('web')).toBe('docker unpause web');
      expect(commands.stopAndRemoveContainer('0123456789ab')).toBe('docker stop 0123456789ab && docker rm 0123456789ab');
      expect(commands.removeContainer('0123456789ab', { force: true, volumes: true })).toBe('docker rm -f -v 0123456789ab');
      expect(commands.removeContainer('web-lock', { force: false, volumes: false })).toBe('docker rm web-lock');
      expect(commands.attachContainer('web')).toBe('docker attach web');
      expect(commands.followLogs('web')).toBe('docker logs -f web');
      expect(commands.stopContainer('web')).toBe('docker stop web');
      expect(commands.execInteractive('web', '/.sidekick/bin/sh')).toBe('docker exec -it web /.sidekick/bin/sh');
      expect(commands.showContainer('0123456789ab')).toBe('docker ps -a --filter id=0123456789ab');
      expect(commands.listContainers()).toBe('docker ps -a');
      expect(commands.listImages()).toBe('docker images');
      expect(commands.pullImage('registry.local:5000/team/tools:1.2')).toBe('docker pull registry.local:5000/team/tools:1.2');
      expect(commands.removeImage('sidekick-copy:abc')).toBe('docker rmi sidekick-copy:abc');
    }
  });

  it('names again an engine given with --context, quoted for the shell when it must be', () => {
    expect(dockerCommands({ url: 'ssh://ops@build', source: '--context', context: 'build' }).startContainer('web')).toBe('docker --context build start web');
    const odd = dockerCommands({ url: 'ssh://ops@build', source: '--context', context: "team's box" });
    expect(odd.stopAndRemoveContainer('web')).toBe(`docker --context 'team'\\''s box' stop web && docker --context 'team'\\''s box' rm web`);
  });

  it('names again an engine given with --host, ssh:// included', () => {
    const commands = dockerCommands({ url: 'ssh://ops@build.example:2222', source: '--host' });
    expect(commands.unpauseContainer('web')).toBe('docker -H ssh://ops@build.example:2222 unpause web');
    expect(commands.removeImage('busybox')).toBe('docker -H ssh://ops@build.example:2222 rmi busybox');
  });

  it('repeats the TLS flags the user gave with --host, and leaves out what the CLI finds itself', () => {
    const endpoint: Endpoint = {
      url: 'tcp://engine.example:2376',
      source: '--host',
      tls: { verify: true, ca: { path: '/certs/ca.pem', from: '--tlscacert' }, cert: { path: '/home/me/.docker/cert.pem', from: 'DOCKER_CERT_PATH' }, key: { path: '/my keys/key.pem', from: '--tlskey' } },
    };
    expect(dockerCommands(endpoint).attachContainer('web')).toBe("docker -H tcp://engine.example:2376 --tlsverify --tlscacert /certs/ca.pem --tlskey '/my keys/key.pem' attach web");
    expect(dockerCommands({ url: 'tcp://engine.example:2376', source: '--host', tls: { verify: false } }).startContainer('web')).toBe('docker -H tcp://engine.example:2376 --tls start web');
  });
});
