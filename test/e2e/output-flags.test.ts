/**
 * --format, -q and --no-trunc on sessions, ps and inspect --all, and the confirmation of
 * prune --all (docs/RELIABILITY.md, "cli flags"), against the real engine. The engine is shared:
 * prune --all is only ever refused or answered "no" here.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { CLI_PATH, runCli } from './harness.js';
import { TmuxSession, waitForFile } from './tmux-session.js';
import { watchedTargets } from './watched-targets.js';

describe('output flags', () => {
  const targets = watchedTargets();
  const cleanups: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    try {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    } finally {
      await targets.checkAndRemove();
    }
  });

  it('sessions: a template, json lines, -q and --no-trunc', async () => {
    const t = await targets.start(inject('fixtures').scratchServer);
    const name = (await runCli(['exec', '-d', t.name, '--', 'sleep', '600'])).stdout.toString().trim();
    cleanups.push(() => docker(['stop', name]));
    const id = (await docker(['inspect', '-f', '{{.Id}}', name])).trim();

    const templated = await runCli(['sessions', '--format', '{{.ID}} {{.Kind}} {{.Target}}\\t{{.Name}}']);
    expect(templated.code).toBe(0);
    expect(lines(templated.stdout.toString())).toContain(`${id} sidekick ${t.id}\t${name}`);

    const json = await runCli(['sessions', '--format', 'json']);
    const rows = lines(json.stdout.toString()).map((line) => JSON.parse(line) as Record<string, string>);
    expect(rows.find((row) => row.ID === id)).toMatchObject({ Kind: 'sidekick', Name: name, Target: t.id, Client: 'dead (detached with -d)' });

    const quiet = lines((await runCli(['sessions', '-q'])).stdout.toString());
    expect(quiet).toContain(id.slice(0, 12));
    expect(quiet.every((line) => /^[0-9a-f]{12}$/.test(line))).toBe(true);
    expect(lines((await runCli(['sessions', '-q', '--no-trunc'])).stdout.toString())).toContain(id);

    const table = await runCli(['sessions', '--no-trunc']);
    expect(lines(table.stdout.toString()).find((line) => line.includes(name))).toContain(`${id} ${name}`);
  });

  it('ps: -q prints the PIDs, --format a template or json lines', async () => {
    const t = await targets.start(inject('fixtures').scratchServer);
    const quiet = await runCli(['ps', '-q', t.name]);
    expect(quiet.code).toBe(0);
    expect(lines(quiet.stdout.toString())[0]).toBe('1');
    expect(lines(quiet.stdout.toString()).every((line) => /^\d+$/.test(line))).toBe(true);
    const templated = await runCli(['ps', '--format', '{{.Pid}} {{.Command}} {{.Owner.Kind}}', t.name]);
    expect(lines(templated.stdout.toString())[0]).toBe('1 [/server] target');
    const json = lines((await runCli(['ps', '--format', 'json', t.name])).stdout.toString()).map((line) => JSON.parse(line) as { pid: number; command: string[] });
    expect(json[0]).toMatchObject({ pid: 1, command: ['/server'] });
    const table = await runCli(['ps', '--format', 'table {{.Pid}}\\t{{.Command}}', t.name]);
    expect(lines(table.stdout.toString()).slice(0, 2)).toEqual(['PID  COMMAND', '1    [/server]']);
  });

  it('inspect --all: -q, --no-trunc and a template; a bad template is a plain error', async () => {
    const t = await targets.start(inject('fixtures').scratchServer);
    const quiet = lines((await runCli(['inspect', '--all', '-q'])).stdout.toString());
    expect(quiet).toContain(t.id.slice(0, 12));
    expect(lines((await runCli(['inspect', '--all', '-q', '--no-trunc'])).stdout.toString())).toContain(t.id);
    const templated = lines((await runCli(['inspect', '--all', '--format', '{{.Name}}: {{.Listening}}'])).stdout.toString());
    expect(templated.find((line) => line.startsWith(`${t.name}: `))).toMatch(/^\S+: \[.*tcp 0\.0\.0\.0:8080.*\]$/);

    const bad = await runCli(['inspect', '--all', '--format', '{{range .Listening}}x{{end}}']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/^sidekick: --format: \{\{range \.Listening\}\} is not supported\.\n/);
    const single = await runCli(['inspect', '-q', t.name]);
    expect(single.code).toBe(125);
    expect(single.stderr).toMatch(/^sidekick: -q applies to inspect --all/);
  });

  describe('prune --all', () => {
    it('refuses without a terminal and without -f, removing nothing', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const name = (await runCli(['exec', '-d', t.name, '--', 'sleep', '600'])).stdout.toString().trim();
      cleanups.push(() => docker(['stop', name]));
      const result = await runCli(['prune', '--all']);
      expect(result.code).toBe(125);
      expect(result.stderr).toBe(
        'sidekick: prune --all ends live sessions too, and there is no terminal to confirm it on.\nAdd -f to remove without asking, or --dry-run to see what would be removed.\n',
      );
      expect(result.stdout.toString()).toBe('');
      expect((await docker(['inspect', '-f', '{{.State.Running}}', name])).trim()).toBe('true');
    });

    it('asks on a terminal, and "no" removes nothing', async () => {
      // An object only prune --all would remove: labelled as this user's, from a live client, long ago.
      const statusFile = join(tmpdir(), `sidekick-prune-${randomBytes(4).toString('hex')}`);
      cleanups.push(() => rm(statusFile, { force: true }));
      const { id: old, session } = await oldLiveSession();
      cleanups.push(() => docker(['rm', '-f', old]));
      const tmux = await TmuxSession.start(`node ${CLI_PATH} prune --all; echo "$?" > ${statusFile}; sleep 60`, 160, 50);
      cleanups.push(() => tmux.kill());
      const screen = await tmux.waitFor(/Remove these \d+\? \[y\/N\]/);
      expect(screen).toContain('prune --all would remove, live sessions included:');
      expect(screen).toContain(`(sidekick, session ${session})`);
      await tmux.type('n', 'Enter');
      expect((await waitForFile(statusFile)).trim()).toBe('0');
      expect(await tmux.screen()).toContain('sidekick: nothing removed.');
      expect((await docker(['inspect', '-f', '{{.State.Status}}', old])).trim()).toBe('created');
      expect(await readFile(statusFile, 'utf8')).toBe('0\n');
    });
  });
});

/**
 * A created (never started) container carrying this user's owner mark, from this test process
 * (a live client), made long ago: plain prune keeps it, prune --all would remove it.
 */
async function oldLiveSession(): Promise<{ id: string; session: string }> {
  const { ownedSessionLabels } = await import('../../src/core/labels.js');
  const { localClientId } = await import('../../src/core/ownership/local-client.js');
  const { signingKey } = await import('../../src/core/ownership/owner-key.js');
  const session = `flags${randomBytes(3).toString('hex')}`;
  const labels = ownedSessionLabels(
    { session, kind: 'sidekick', created: new Date(Date.now() - 3_600_000) },
    { key: signingKey().key, client: localClientId() },
  );
  const args = ['create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), inject('fixtures').exitsAtOnce];
  return { id: (await docker(args)).trim(), session };
}
