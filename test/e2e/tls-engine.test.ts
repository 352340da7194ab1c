/**
 * tcp:// engines with TLS for real: a second dockerd (test/fixtures/second-engine.ts) listens on
 * 127.0.0.1 with --tlsverify and certificates made by openssl (test/fixtures/engine-tls.ts).
 * sidekick reaches it the ways a docker user does (DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, or the
 * --tlsverify/--tlscacert/--tlscert/--tlskey flags), and says plainly, in two lines with exit
 * 125, when a certificate is wrong.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { check, lines } from '../fixtures/docker-cli.js';
import { makeEngineCertificates, type EngineCertificates } from '../fixtures/engine-tls.js';
import { startSecondEngine, type SecondEngine } from '../fixtures/second-engine.js';
import { runCli, TEST_TARGET_LABEL } from './harness.js';

describe('a tcp:// engine with TLS', () => {
  let certs: EngineCertificates;
  let engine: SecondEngine;
  let tlsHost: string;
  let targetId: string;
  let targetName: string;

  beforeAll(async () => {
    certs = await makeEngineCertificates();
    engine = await startSecondEngine({ tls: certs.server });
    tlsHost = engine.tlsHost!;
    const image = inject('fixtures').scratchServer;
    await engine.loadImages([image]);
    targetName = `sidekick-test-tls-${process.pid}`;
    targetId = (await engine.docker(['run', '-d', '--label', `${TEST_TARGET_LABEL}=1`, '--name', targetName, image])).trim();
  }, 180_000);

  afterAll(async () => {
    await engine?.destroy();
    await certs?.remove();
  }, 120_000);

  const sidekicksLeft = async (): Promise<string[]> => lines(await engine.docker(['ps', '-aq', '--filter', `label=io.sidekick.target=${targetId}`]));

  it('runs a sidekick with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI takes them', async () => {
    const result = await runCli(['exec', targetName, '--', 'sh', '-c', 'cat /proc/1/cmdline; echo; wget -qO- http://127.0.0.1:8080/'], {
      env: { DOCKER_HOST: tlsHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.client },
      timeoutMs: 120_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.toString()).toBe('/server\u0000\nhello from scratch\n');
    expect(result.code).toBe(0);
    expect(await sidekicksLeft()).toEqual([]);
  });

  it('takes the docker CLI flags --tlsverify, --tlscacert, --tlscert and --tlskey', async () => {
    const result = await runCli([
      '-H', tlsHost, '--tlsverify', '--tlscacert', `${certs.client}/ca.pem`,
      'inspect', '--tlscert', `${certs.client}/cert.pem`, '--json', '--tlskey', `${certs.client}/key.pem`, targetName,
    ], { env: { DOCKER_CERT_PATH: '/nonexistent' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout.toString()) as { identity: { id: string } }).identity.id).toBe(targetId);
  });

  it('takes --tls without a check of the engine (its CA not read), still sending the client certificate', async () => {
    // Given after the subcommand, as global flags may be.
    const result = await runCli(['inspect', '--json', targetName, '-H', tlsHost, '--tls'], { env: { DOCKER_CERT_PATH: certs.wrongCa } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('reads the TLS store of a context made by `docker context create`', async () => {
    const config = await mkdtemp(join(tmpdir(), 'sidekick-tls-context-'));
    try {
      const material = `ca=${certs.client}/ca.pem,cert=${certs.client}/cert.pem,key=${certs.client}/key.pem`;
      await check('docker', ['context', 'create', 'sk-tls', '--docker', `host=${tlsHost},${material}`], { env: { ...process.env, DOCKER_CONFIG: config } });
      const result = await runCli(['--context', 'sk-tls', 'inspect', '--json', targetName], { env: { DOCKER_CONFIG: config } });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout.toString()) as { identity: { id: string } }).identity.id).toBe(targetId);
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  });

  /** The CLI's answer with the environment of a client whose certificates are in `certPath`. */
  const withCerts = (certPath: string): Promise<Awaited<ReturnType<typeof runCli>>> =>
    runCli(['inspect', targetName], { env: { DOCKER_HOST: tlsHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath } });

  it("says the engine's certificate is not signed by the CA it was checked with", async () => {
    const result = await withCerts(certs.wrongCa);
    expect(result.code).toBe(125);
    const said = lines(result.stderr);
    expect(said).toHaveLength(2);
    expect(said[0]).toBe(`sidekick: cannot reach the Docker engine at ${tlsHost} (DOCKER_HOST): its certificate is not signed by the CA in ${certs.wrongCa}/ca.pem (from DOCKER_CERT_PATH).`);
  });

  it('says the engine refused a client certificate that its CA did not sign', async () => {
    const result = await withCerts(certs.forgedClient);
    expect(result.code).toBe(125);
    const said = lines(result.stderr);
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(new RegExp(`^sidekick: the Docker engine at ${tlsHost.replace(/\./g, '\\.')} \\(DOCKER_HOST\\) refused the client certificate ${certs.forgedClient}/cert\\.pem \\(from DOCKER_CERT_PATH\\): .+\\.$`));
  });

  it('says the engine wants TLS when none is asked for', async () => {
    const result = await runCli(['-H', tlsHost, 'inspect', targetName]);
    expect(result.code).toBe(125);
    const said = lines(result.stderr);
    expect(said).toHaveLength(2);
    expect(said[0]).toBe(`sidekick: the Docker engine at ${tlsHost} (--host) speaks TLS only.`);
    expect(said[1]).toMatch(/--tlsverify/);
  });

  it('names a certificate file that is not there, and where its path came from', async () => {
    const result = await withCerts('/nonexistent-sidekick-certs');
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(
      `sidekick: cannot use TLS for ${tlsHost}: the CA certificate /nonexistent-sidekick-certs/ca.pem (from DOCKER_CERT_PATH) cannot be read: no such file.\n` +
        'Point DOCKER_CERT_PATH at the directory holding ca.pem, cert.pem and key.pem, or give --tlscacert, --tlscert and --tlskey.\n',
    );
  });
});
