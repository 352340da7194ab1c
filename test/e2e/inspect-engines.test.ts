/**
 * `sidekick inspect --all` over several engines: the default engine and a second dockerd
 * (test/fixtures/second-engine.ts), named as docker contexts made by the real docker CLI in a
 * private DOCKER_CONFIG, plus a context whose engine is not there. Each row says its engine;
 * the missing engine is a row of error and the command still succeeds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { check, lines } from '../fixtures/docker-cli.js';
import { startSecondEngine, type SecondEngine } from '../fixtures/second-engine.js';
import { removeTarget, runCli, startTarget, TEST_TARGET_LABEL, type TestTarget } from './harness.js';

interface Row {
  engine: string;
  name?: string;
  error?: string;
}

describe('sidekick inspect --all over several engines', () => {
  let second: SecondEngine;
  let config: string;
  let here: TestTarget;
  let thereName: string;
  const env = (): Record<string, string> => ({ DOCKER_CONFIG: config });

  beforeAll(async () => {
    config = await mkdtemp(join(tmpdir(), 'sidekick-contexts-'));
    second = await startSecondEngine();
    const image = inject('fixtures').scratchServer;
    await second.loadImages([image]);
    thereName = `sidekick-test-second-${process.pid}`;
    await second.docker(['run', '-d', '--label', `${TEST_TARGET_LABEL}=1`, '--name', thereName, image]);
    here = await startTarget(image);
    const context = (name: string, host: string): Promise<string> =>
      check('docker', ['context', 'create', name, '--docker', `host=${host}`], { env: { ...process.env, DOCKER_CONFIG: config } });
    await context('sk-here', 'unix:///var/run/docker.sock');
    await context('sk-there', second.host);
    await context('sk-gone', 'unix:///tmp/sidekick-no-engine-here.sock');
  }, 180_000);

  afterAll(async () => {
    await removeTarget(here.id);
    await second?.destroy();
    await rm(config, { recursive: true, force: true });
  }, 120_000);

  it('reads every --context and marks each row with its engine; an engine that is not there is a row of error', async () => {
    const result = await runCli(['inspect', '--all', '--json', '--context', 'sk-here', '--context', 'sk-there', '--context', 'sk-gone'], { env: env(), timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout.toString()) as Row[];
    expect(rows).toContainEqual(expect.objectContaining({ engine: 'sk-here', name: here.name }));
    expect(rows).toContainEqual(expect.objectContaining({ engine: 'sk-there', name: thereName }));
    // Each engine's rows are its own: the second engine's container is not seen on the first, nor the other way.
    expect(rows.filter((row) => row.name === thereName).map((row) => row.engine)).toEqual(['sk-there']);
    expect(rows.filter((row) => row.name === here.name).map((row) => row.engine)).toEqual(['sk-here']);
    const gone = rows.filter((row) => row.engine === 'sk-gone');
    expect(gone).toHaveLength(1);
    expect(gone[0]!.error).toBe('cannot reach the Docker engine at unix:///tmp/sidekick-no-engine-here.sock (--context): no such socket.');
    expect(result.stderr).toBe('');
  });

  it('prints a table with an ENGINE column and the error in its row', async () => {
    const result = await runCli(['inspect', '--all', '--context', 'sk-there', '--context', 'sk-gone'], { env: env(), timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    const table = lines(result.stdout.toString());
    expect(table[0]).toMatch(/^ENGINE\s+NAME\s+IMAGE\s+USER/);
    expect(table).toContainEqual(expect.stringMatching(new RegExp(`^sk-there\\s+${thereName}\\s`)));
    expect(table).toContainEqual(expect.stringMatching(/^sk-gone\s+error: cannot reach the Docker engine at unix:\/\/\/tmp\/sidekick-no-engine-here\.sock \(--context\): no such socket\.$/));
    expect(table).toHaveLength(3);
  });

  it('reads every context with --all-contexts, "default" included', async () => {
    const result = await runCli(['inspect', '--all', '--all-contexts', '--json'], { env: env(), timeoutMs: 120_000 });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout.toString()) as Row[];
    expect([...new Set(rows.map((row) => row.engine))].sort()).toEqual(['default', 'sk-gone', 'sk-here', 'sk-there']);
    expect(rows).toContainEqual(expect.objectContaining({ engine: 'default', name: here.name }));
    expect(rows).toContainEqual(expect.objectContaining({ engine: 'sk-there', name: thereName }));
  });

  it('fails with 125 only when no engine answers, still saying why for each', async () => {
    const result = await runCli(['inspect', '--all', '--context', 'sk-gone', '--context', 'sk-missing'], { env: env() });
    expect(result.code).toBe(125);
    const table = lines(result.stdout.toString());
    expect(table.slice(1)).toEqual([
      expect.stringMatching(/^sk-gone\s+error: cannot reach/),
      expect.stringMatching(/^sk-missing\s+error: docker context "sk-missing" \(from --context\) does not exist\.$/),
    ]);
  });

  it('reads the engines at the same time: a second engine is asked while the first has not answered', async () => {
    // Two listeners that take a request and hold it: read one after the other, the second would
    // never be asked while the first holds.
    const held: Socket[][] = [[], []];
    const servers = held.map((sockets) => createServer((socket) => sockets.push(socket)));
    const ports = await Promise.all(
      servers.map((server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))),
    );
    try {
      const dockerEnv = { ...process.env, DOCKER_CONFIG: config };
      await check('docker', ['context', 'create', 'sk-slow-1', '--docker', `host=tcp://127.0.0.1:${ports[0]}`], { env: dockerEnv });
      await check('docker', ['context', 'create', 'sk-slow-2', '--docker', `host=tcp://127.0.0.1:${ports[1]}`], { env: dockerEnv });
      const running = runCli(['inspect', '--all', '--context', 'sk-slow-1', '--context', 'sk-slow-2'], { env: env() });
      const deadline = Date.now() + 30_000;
      while (held.some((sockets) => sockets.length === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held.map((sockets) => sockets.length > 0)).toEqual([true, true]);
      for (const socket of held.flat()) socket.destroy();
      const result = await running;
      expect(result.code).toBe(125);
      expect(lines(result.stdout.toString()).slice(1)).toEqual([expect.stringMatching(/^sk-slow-1\s+error: /), expect.stringMatching(/^sk-slow-2\s+error: /)]);
    } finally {
      for (const socket of held.flat()) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });

  it('refuses several contexts for anything but inspect --all', async () => {
    const result = await runCli(['--context', 'sk-here', '--context', 'sk-there', 'ps', here.name], { env: env() });
    expect(result.code).toBe(125);
    expect(lines(result.stderr)[0]).toBe('sidekick: --context was given 2 times (sk-here, sk-there); only `inspect --all` reads several engines.');
  });
});
