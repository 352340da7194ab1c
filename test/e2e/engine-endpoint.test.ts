import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { removeTarget, runCli, startTarget, waitForHttp, type TestTarget } from './harness.js';
import { expectNoSidekicks } from './sidekick-leftovers.js';

/** A TCP listener on loopback that relays every connection to the local engine's socket. */
function tcpRelay(): Promise<{ server: Server; url: string }> {
  // Half-open connections are kept, as a faithful proxy does: stdin's end must not end the output.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    client.setNoDelay(true);
    const engine = connect('/var/run/docker.sock');
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, url: `tcp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 1;
}

describe('engine endpoints', () => {
  let relay: { server: Server; url: string };
  let target: TestTarget;
  let configDir: string;

  beforeAll(async () => {
    relay = await tcpRelay();
    target = await startTarget(inject('fixtures').scratchServer);
    await waitForHttp(target.ip, 8080);
    configDir = await mkdtemp(join(tmpdir(), 'sidekick-docker-config-'));
  });

  afterAll(async () => {
    await new Promise((resolve) => relay.server.close(resolve));
    await removeTarget(target.id);
    await rm(configDir, { recursive: true, force: true });
  });

  it('works over tcp:// given with --host, and says so with --debug', async () => {
    const result = await runCli(['--debug', '-H', relay.url, 'exec', target.name, '--', 'wget', '-qO-', 'http://127.0.0.1:8080/']);
    expect(result.stdout.toString()).toBe('hello from scratch\n');
    expect(result.stderr).toContain(`sidekick: engine ${relay.url} (from --host)`);
    expect(result.code).toBe(0);
    await expectNoSidekicks(target.id);
  });

  it('takes DOCKER_HOST, and --host wins over it', async () => {
    const viaEnv = await runCli(['--debug', 'exec', target.name, '--', 'true'], { env: { DOCKER_HOST: relay.url } });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stderr).toContain(`(from DOCKER_HOST)`);
    const both = await runCli(['--debug', '-H', 'unix:///var/run/docker.sock', 'exec', target.name, '--', 'true'], {
      env: { DOCKER_HOST: 'tcp://127.0.0.1:1' },
    });
    expect(both.code).toBe(0);
    expect(both.stderr).toContain('engine unix:///var/run/docker.sock (from --host)');
  });

  it("follows the docker CLI's current context and --context", async () => {
    const name = 'sidekick-relay';
    const meta = join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
    await mkdir(meta, { recursive: true });
    await writeFile(join(meta, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: relay.url, SkipTLSVerify: false } } }));
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ currentContext: name }));
    const current = await runCli(['--debug', 'exec', target.name, '--', 'true'], { env: { DOCKER_CONFIG: configDir } });
    expect(current.code).toBe(0);
    expect(current.stderr).toContain(`engine ${relay.url} (from current context "${name}")`);
    const explicit = await runCli(['--debug', '--context', name, 'exec', target.name, '--', 'true'], { env: { DOCKER_CONFIG: configDir } });
    expect(explicit.stderr).toContain(`(from --context "${name}")`);
    const missing = await runCli(['--context', 'nope', 'exec', target.name, '--', 'true'], { env: { DOCKER_CONFIG: configDir } });
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/^sidekick: docker context "nope" \(from --context\) does not exist\./);
  });

  it('says plainly when no engine answers on a unix socket', async () => {
    const result = await runCli(['-H', 'unix:///tmp/sidekick-no-engine.sock', 'exec', target.name, '--', 'true']);
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(
      'sidekick: cannot reach the Docker engine at unix:///tmp/sidekick-no-engine.sock (--host): no such socket.\n' +
        'Start an engine (sudo dockerd &, or systemctl start docker), or point sidekick at one with --host or DOCKER_HOST.\n',
    );
  });

  it('says plainly when no engine answers on tcp://', async () => {
    const port = await closedPort();
    const result = await runCli(['exec', target.name, '--', 'true'], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(new RegExp(`^sidekick: cannot reach the Docker engine at tcp://127\\.0\\.0\\.1:${port} \\(DOCKER_HOST\\): ECONNREFUSED\\.\\n`));
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
  });
});
