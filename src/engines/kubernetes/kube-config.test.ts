import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeconfigFiles, loadKubeContext, mergeKubeconfigs } from './kube-config.js';

/** Two kubeconfig files as kubectl users write them (YAML; the second shares names with the first). */
const FIRST = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: shared
  cluster:
    server: https://first.example:6443
    certificate-authority: certs/ca.crt
contexts:
- name: dev
  context: {cluster: shared, user: alice, namespace: team-a}
- name: bare
  context: {cluster: shared, user: alice}
users:
- name: alice
  user: {token: first-token}
`;
const SECOND = `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: shared
  cluster: {server: https://second.example:6443}
- name: other
  cluster: {server: https://other.example:6443}
contexts:
- name: dev
  context: {cluster: other, user: bob}
- name: prod
  context: {cluster: other, user: bob, namespace: web}
users:
- name: alice
  user: {token: second-token}
- name: bob
  user: {token: bob-token}
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sidekick-kubeconfig-'));
  mkdirSync(join(dir, 'a'));
  writeFileSync(join(dir, 'a', 'config'), FIRST);
  writeFileSync(join(dir, 'second'), SECOND);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('kubeconfig discovery, as kubectl does it', () => {
  it('merges KUBECONFIG files: first name wins, first current-context wins, missing files ignored', () => {
    const env = { KUBECONFIG: `${join(dir, 'missing')}:${join(dir, 'a', 'config')}::${join(dir, 'second')}`, HOME: dir };
    const context = loadKubeContext({}, env);
    expect(context.contextName).toBe('dev');
    expect(context.server).toBe('https://first.example:6443');
    expect(context.namespace).toBe('team-a');
    expect(context.config.getCurrentUser()?.token).toBe('first-token');
    expect(context.config.getContexts().map((c) => c.name).sort()).toEqual(['bare', 'dev', 'prod']);
    // A relative path is relative to the file that holds it.
    expect(context.config.getCurrentCluster()?.caFile).toBe(join(dir, 'a', 'certs', 'ca.crt'));
  });

  it('takes --context from any file and its namespace, --namespace over it, "default" when none', () => {
    const env = { KUBECONFIG: `${join(dir, 'a', 'config')}:${join(dir, 'second')}` };
    const prod = loadKubeContext({ context: 'prod' }, env);
    expect(prod.server).toBe('https://other.example:6443');
    expect(prod.namespace).toBe('web');
    expect(prod.config.getCurrentUser()?.token).toBe('bob-token');
    expect(loadKubeContext({ context: 'prod', namespace: 'ops' }, env).namespace).toBe('ops');
    expect(loadKubeContext({ context: 'bare' }, env).namespace).toBe('default');
  });

  it('reads only --kubeconfig when given, and refuses a missing one', () => {
    const env = { KUBECONFIG: join(dir, 'a', 'config') };
    expect(loadKubeContext({ kubeconfig: join(dir, 'second') }, env).contextName).toBe('prod');
    expect(() => loadKubeContext({ kubeconfig: join(dir, 'nope') }, env)).toThrow(/does not exist/);
  });

  it('falls back to ~/.kube/config, and says what to do when there is nothing', () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(join(dir, '.kube', 'config'), SECOND);
    expect(loadKubeContext({}, { HOME: dir }).contextName).toBe('prod');
    expect(() => loadKubeContext({}, { HOME: join(dir, 'a') })).toThrow(/no kubeconfig found/);
    expect(() => loadKubeContext({}, { KUBECONFIG: join(dir, 'missing'), HOME: dir })).toThrow(/no kubeconfig found/);
  });

  it('names the contexts there are when --context names none', () => {
    const env = { KUBECONFIG: join(dir, 'second') };
    expect(() => loadKubeContext({ context: 'staging' }, env)).toThrow(/no context named staging/);
    try {
      loadKubeContext({ context: 'staging' }, env);
    } catch (error) {
      expect((error as { hint?: string }).hint).toContain('dev, prod');
    }
  });

  it('merges without reading files', () => {
    const part = (name: string, current: string) => ({ clusters: [{ name, server: `https://${current}`, skipTLSVerify: false }], users: [], contexts: [], currentContext: current });
    const merged = mergeKubeconfigs([part('c', ''), part('c', 'b'), part('d', 'c')]);
    expect(merged.currentContext).toBe('b');
    expect(merged.clusters.map((c) => c.server)).toEqual(['https://', 'https://c']);
    expect(kubeconfigFiles({}, { KUBECONFIG: 'x:y:x' }, () => true).files).toEqual(['x', 'y']);
  });
});
