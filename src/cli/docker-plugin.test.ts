import { describe, expect, it } from 'vitest';
import { PluginUsageError, pluginMetadata, startedAsPlugin, translatePluginArgs } from './docker-plugin.js';

describe('the docker CLI plugin command line', () => {
  it('answers the metadata docker requires: SchemaVersion 0.1.0 and a vendor', () => {
    const metadata = JSON.parse(pluginMetadata('1.2.3'));
    expect(metadata).toMatchObject({ SchemaVersion: '0.1.0', Vendor: 'sidekick', Version: '1.2.3' });
    expect(metadata.ShortDescription).toMatch(/\S/);
  });

  it('is the plugin only when started through a file named docker-sidekick', () => {
    expect(startedAsPlugin('/root/.docker/cli-plugins/docker-sidekick')).toBe(true);
    expect(startedAsPlugin('/usr/local/bin/sidekick')).toBe(false);
    expect(startedAsPlugin('/x/dist/sidekick.cjs')).toBe(false);
    expect(startedAsPlugin(undefined)).toBe(false);
  });

  it("drops the plugin's name and keeps what follows it as it is", () => {
    expect(translatePluginArgs(['sidekick', 'exec', 'web', '--', 'sh', '-c', 'echo -H x'])).toEqual({
      args: ['exec', 'web', '--', 'sh', '-c', 'echo -H x'],
      env: {},
    });
  });

  it("turns docker's engine flags, written before the plugin's name, into sidekick's", () => {
    expect(translatePluginArgs(['-H', 'unix:///run/d.sock', 'sidekick', 'ps', 'web']).args).toEqual(['--host', 'unix:///run/d.sock', 'ps', 'web']);
    expect(translatePluginArgs(['--host=tcp://h:2376', 'sidekick', 'ps', 'web']).args).toEqual(['--host', 'tcp://h:2376', 'ps', 'web']);
    expect(translatePluginArgs(['-Hunix:///a.sock', 'sidekick', 'ps']).args).toEqual(['--host', 'unix:///a.sock', 'ps']);
    expect(translatePluginArgs(['-c', 'prod', 'sidekick', 'inspect', 'web']).args).toEqual(['--context', 'prod', 'inspect', 'web']);
    expect(translatePluginArgs(['--context=prod', '-D', 'sidekick', 'inspect']).args).toEqual(['--context', 'prod', '--debug', 'inspect']);
    expect(translatePluginArgs(['--debug=false', '-l', 'warn', '--log-level=debug', 'sidekick', 'ps']).args).toEqual(['ps']);
  });

  it("turns docker's completion request into sidekick's, answered as cobra does", () => {
    expect(translatePluginArgs(['__complete', 'sidekick', 'exec', '--ca'])).toEqual({ args: ['__complete', '--cobra', '--', 'exec', '--ca'], env: {} });
    expect(translatePluginArgs(['__complete', 'sidekick', ''])).toEqual({ args: ['__complete', '--cobra', '--', ''], env: {} });
  });

  it('reads contexts from the config directory docker was given', () => {
    expect(translatePluginArgs(['--config', '/tmp/cfg', 'sidekick', 'ps']).env).toEqual({ DOCKER_CONFIG: '/tmp/cfg' });
  });

  it('verifies TLS with the certificates of one directory, and refuses what it cannot honour', () => {
    expect(translatePluginArgs(['--tlsverify', 'sidekick', 'ps']).env).toEqual({ DOCKER_TLS_VERIFY: '1' });
    expect(
      translatePluginArgs(['--tlsverify', '--tlscacert', '/c/ca.pem', '--tlscert=/c/cert.pem', '--tlskey', '/c/key.pem', '-H', 'tcp://h:2376', 'sidekick', 'ps']),
    ).toEqual({ args: ['--host', 'tcp://h:2376', 'ps'], env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' } });
    expect(translatePluginArgs(['--tlsverify=false', 'sidekick', 'ps']).env).toEqual({});
    expect(() => translatePluginArgs(['--tls', 'sidekick', 'ps'])).toThrow(/--tlsverify/);
    expect(() => translatePluginArgs(['--tlsverify', '--tlscacert', '/c/my-ca.crt', 'sidekick', 'ps'])).toThrow(/ca\.pem/);
    expect(() => translatePluginArgs(['--tlsverify', '--tlscacert', '/a/ca.pem', '--tlskey', '/b/key.pem', 'sidekick', 'ps'])).toThrow(/one/);
  });

  it('refuses a flag it does not know instead of ignoring an engine the user named', () => {
    expect(() => translatePluginArgs(['--tlshost', 'x', 'sidekick', 'ps'])).toThrow(PluginUsageError);
    expect(() => translatePluginArgs(['-H'])).toThrow(/needs a value/);
    expect(() => translatePluginArgs(['ps'])).toThrow(PluginUsageError);
  });
});
