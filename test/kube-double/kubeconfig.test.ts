/**
 * The kubeconfig the double writes: its current context leads to the double's URL and
 * token, and that token (and only it) is accepted. The file is JSON (which YAML parsers,
 * kubectl's and the client libraries', read as YAML); the project has no YAML parser of
 * its own, so loading it the way the engine will is for the engine's tests once it reads
 * kubeconfig files.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeKubeconfig } from './kubeconfig.js';
import { startKubeDouble, type KubeDouble } from './server.js';
import { api } from './test-client.js';

interface Kubeconfig {
  'current-context': string;
  contexts: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  clusters: { name: string; cluster: { server: string } }[];
  users: { name: string; user: { token?: string } }[];
}

describe('kube-double: kubeconfig', () => {
  let double: KubeDouble | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await double?.close();
    double = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("names the double's server and token in its current context, readable only by its owner", async () => {
    double = await startKubeDouble();
    dir = await mkdtemp(join(tmpdir(), 'kube-double-'));
    const path = await writeKubeconfig(double, join(dir, 'config'), 'team-a');
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const config = JSON.parse(await readFile(path, 'utf8')) as Kubeconfig;
    const context = config.contexts.find((c) => c.name === config['current-context'])?.context;
    const server = config.clusters.find((c) => c.name === context?.cluster)?.cluster.server;
    const token = config.users.find((u) => u.name === context?.user)?.user.token;
    expect(context?.namespace).toBe('team-a');
    expect(server).toBe(double.url);
    expect(token).toMatch(/^[0-9a-f]{48}$/);

    // The token from the file is the one the double accepts: a GET with it reaches the API (a NotFound pod), without it is Unauthorized.
    const viaFile = { ...double, url: server as string, token: token as string };
    expect((await api(viaFile, 'GET', '/api/v1/namespaces/team-a/pods/none')).json).toMatchObject({ reason: 'NotFound', code: 404 });
    expect((await api(viaFile, 'GET', '/api/v1/namespaces/team-a/pods/none', undefined, { token: `${token}x` })).json).toMatchObject({ reason: 'Unauthorized', code: 401 });
  });
});
