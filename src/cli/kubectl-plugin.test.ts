import { describe, expect, it } from 'vitest';
import { kubectlPluginArgs, startedAsKubectlPlugin } from './kubectl-plugin.js';

describe('kubectl plugin', () => {
  it('is known by the name kubectl looks for on PATH', () => {
    expect(startedAsKubectlPlugin('/usr/local/bin/kubectl-sidekick')).toBe(true);
    expect(startedAsKubectlPlugin('/usr/local/bin/sidekick')).toBe(false);
    expect(startedAsKubectlPlugin('/usr/local/lib/docker/cli-plugins/docker-sidekick')).toBe(false);
    expect(startedAsKubectlPlugin(undefined)).toBe(false);
  });

  it('passes kubectl\'s words on, targets being pods by default', () => {
    expect(kubectlPluginArgs(['exec', '-n', 'shop', 'web', '--', 'id'])).toEqual(['--pods-by-default', 'exec', '-n', 'shop', 'web', '--', 'id']);
  });
});
