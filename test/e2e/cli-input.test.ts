import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { CLI_PATH, removeTarget, runCli, startTarget, waitForHttp, type TestTarget } from './harness.js';
import { expectNoSidekicks, sidekicksOf, waitForSidekick } from './sidekick-leftovers.js';
import { TmuxSession, waitForFile } from './tmux-session.js';

/** A web server that is not a Docker engine: it answers every request with a page of HTML. */
async function htmlServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, url: `tcp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/** What every refusal of bad input must look like: status 125, a message naming the input, no trace. */
function expectRefusal(result: { code: number; stderr: string }, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/unexpected failure|^\s+at /m);
  expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  expect(result.code).toBe(125);
}

describe('CLI input', () => {
  let target: TestTarget;
  let web: { server: Server; url: string };

  beforeAll(async () => {
    target = await startTarget(inject('fixtures').scratchServer);
    await waitForHttp(target.ip, 8080);
    web = await htmlServer();
  });

  afterAll(async () => {
    await new Promise((resolve) => web.server.close(resolve));
    await removeTarget(target.id);
  });

  it('accepts a target written with the leading "/" docker prints', async () => {
    const exec = await runCli(['exec', `/${target.name}`, '--', 'true']);
    expect(exec.stderr).toBe('');
    expect(exec.code).toBe(0);
    const ps = await runCli(['ps', `/${target.name}`]);
    expect(ps.stdout.toString()).toMatch(/\/server/);
    expect(ps.code).toBe(0);
    await expectNoSidekicks(target.id);
  });

  it('refuses targets and images that cannot be names, for every command, naming them', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['exec', '', '--', 'true'], /TARGET is empty/],
      [['exec', 'a/../b', '--', 'true'], /TARGET "a\/\.\.\/b" is neither a container name or ID nor an image reference/],
      [['exec', '--image', '', target.name, '--', 'true'], /--image "" is not an image reference: it is empty/],
      [['exec', '--image-target', '/x'], /--image-target "\/x" is not an image reference/],
      [['exec', '--image', 'UPPER/Case', target.name, '--', 'true'], /--image "UPPER\/Case" is not an image reference: repository names must be lowercase/],
      [['inspect', 'a/../b'], /TARGET "a\/\.\.\/b" is not a container name or ID/],
      [['ps', ''], /TARGET is empty/],
      [['inject', 'a/../b'], /TARGET "a\/\.\.\/b"/],
      [['eject', '/'], /TARGET is empty/],
      [['shell', 'x y'], /TARGET "x y"/],
      [['port-forward', 'a/../b', '80'], /TARGET "a\/\.\.\/b"/],
      [['ls', 'a b:/etc'], /in "a b:\/etc", TARGET "a b" is not a container name or ID/],
      [['cp', 'a b:/etc', '-'], /TARGET "a b"/],
    ];
    for (const [args, message] of cases) expectRefusal(await runCli(args), message);
  });

  it('names the flag and the value the engine would refuse, before asking it', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['exec', '--cap-add', 'NOT_A_CAP', target.name, '--', 'true'], /--cap-add "NOT_A_CAP" is not a Linux capability/],
      [['exec', '--name', 'bad name/x', target.name, '--', 'true'], /--name "bad name\/x" is not a valid container name/],
      [['exec', '-u', '4294967295', target.name, '--', 'true'], /--user 4294967295: 4294967295 is out of range/],
      [['exec', '--detach-keys', 'ctrl-P', target.name, '--', 'true'], /--detach-keys "ctrl-P": unknown key "ctrl-P"/],
      [['ls', `${target.name}:/${'a'.repeat(5000)}`], /the path in "sidekick-test-\w+:\/a+…\(\d+ characters\)" is too long for Linux/],
      [['inject', '--os', '/etc/passwd', target.name], /--os \/etc\/passwd: the file is not a tar archive/],
    ];
    for (const [args, message] of cases) expectRefusal(await runCli(args), message);
    await expectNoSidekicks(target.id);
    expect(await docker(['diff', target.id])).toBe('');
  });

  it('names an engine address it cannot use, and an endpoint that is not a Docker engine', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['-H', 'tcp://:0', 'ps', target.name], /engine address "tcp:\/\/:0": the host name is empty/],
      [['-H', 'tcp://127.0.0.1:99999', 'ps', target.name], /"tcp:\/\/127\.0\.0\.1:99999": the port "99999" is not between 1 and 65535/],
      [['-H', 'tcp://127.0.0.1:-1', 'ps', target.name], /the port "-1" is not between 1 and 65535/],
      [['-H', 'ssh://@', 'ps', target.name], /"ssh:\/\/@": the host name is empty/],
      [['-H', web.url, 'ps', target.name], new RegExp(`${web.url.replace(/\./g, '\\.')} \\(--host\\) is not a Docker engine: it answered HTTP 200 with an HTML page`)],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expectRefusal(result, message);
      expect(result.stderr).not.toMatch(/<html|nginx/i);
    }
  });

  it('refuses --host with --context and lets an explicit --context win over DOCKER_HOST, as the docker CLI does', async () => {
    expectRefusal(await runCli(['--context', 'nosuch', '-H', 'unix:///var/run/docker.sock', 'ps', target.name]), /conflicting options: cannot specify both --host and --context/);
    const config = await mkdtemp(join(tmpdir(), 'sidekick-cli-input-'));
    try {
      const env = { DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_CONFIG: config };
      expectRefusal(await runCli(['--context', 'nosuch', 'ps', target.name], { env }), /docker context "nosuch" \(from --context\) does not exist/);
      // docker's "default" context is the engine DOCKER_HOST names.
      const viaDefault = await runCli(['--debug', '--context', 'default', 'ps', target.name], { env });
      expect(viaDefault.stderr).toMatch(/engine unix:\/\/\/var\/run\/docker\.sock \(from --context "default"\)/);
      expect(viaDefault.code).toBe(0);
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  });

  it('takes the global flags anywhere before --', async () => {
    const debugAfter = await runCli(['ps', target.name, '--debug']);
    expect(debugAfter.stderr).toMatch(/^sidekick: engine unix:\/\/\/var\/run\/docker\.sock \(from default socket\)$/m);
    expect(debugAfter.code).toBe(0);
    const hostAfter = await runCli(['inspect', target.name, '-H', 'tcp://:0']);
    expectRefusal(hostAfter, /engine address "tcp:\/\/:0"/);
    const execFlags = await runCli(['exec', target.name, '--debug', '-u', '65532', '--', 'id', '-u']);
    expect(execFlags.stdout.toString()).toBe('65532\n');
    expect(execFlags.stderr).toMatch(/sidekick: engine /);
    expect(execFlags.code).toBe(0);
    // After --, it is the command's.
    const afterDashes = await runCli(['exec', target.name, '--', 'echo', '--debug']);
    expect(afterDashes.stdout.toString()).toBe('--debug\n');
    expect(afterDashes.stderr).toBe('');
    await expectNoSidekicks(target.id);
  });

  it('allocates a terminal for -t without one on stdin, and refuses -it, as docker does', async () => {
    const tty = await runCli(['exec', '-t', target.name, '--', 'sh', '-c', 'test -t 1 && echo on-a-terminal']);
    expect(tty.stdout.toString()).toBe('on-a-terminal\r\n');
    expect(tty.code).toBe(0);
    expectRefusal(await runCli(['exec', '-it', target.name, '--', 'true']), /the input device is not a TTY/);
    await expectNoSidekicks(target.id);
  });

  it('escapes characters that reorder text in names it lists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sidekick-cli-input-'));
    try {
      await writeFile(join(dir, 'invoice\u202Efdp.exe'), 'x');
      await docker(['cp', dir, `${target.id}:/bidi`]);
      const listing = await runCli(['ls', `${target.name}:/bidi`]);
      expect(listing.code).toBe(0);
      expect(listing.stdout.toString()).toContain('invoice\\u202efdp.exe');
      expect(listing.stdout.toString()).not.toContain('\u202E');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the target ends during a session', () => {
  let target: TestTarget | undefined;

  afterEach(async () => {
    if (target) await removeTarget(target.id);
    target = undefined;
  });

  for (const [action, said] of [
    ['restart', /^sidekick: the target sidekick-test-\w+ restarted during the session; the sidekick, in its PID namespace, was killed with it\.$/m],
    ['stop', /^sidekick: the target sidekick-test-\w+ stopped \(exited, exit status \d+\) during the session; the sidekick, in its PID namespace, was killed with it\.$/m],
  ] as const) {
    it(`says so when the target is ${action === 'stop' ? 'stopped' : 'restarted'}, and keeps status 137`, async () => {
      target = await startTarget(inject('fixtures').scratchServer);
      await waitForHttp(target.ip, 8080);
      const session = runCli(['exec', target.name, '--', 'sleep', '100']);
      await waitForSidekick(target.id);
      await docker([action, '-t', '1', target.id]);
      const result = await session;
      expect(result.stderr).toMatch(said);
      expect(result.code).toBe(137);
      await expectNoSidekicks(target.id);
    });
  }
});

describe('detach keys on a terminal', () => {
  let target: TestTarget | undefined;
  let tmux: TmuxSession | undefined;
  let dir: string | undefined;
  let kept: string[] = [];

  afterEach(async () => {
    await tmux?.kill();
    // Stopped, not killed: a kept sidekick's session must end its processes, or they are zombies of the target.
    for (const id of kept) await docker(['stop', id]).then(() => docker(['rm', '-f', id])).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
    if (target) await removeTarget(target.id);
    tmux = undefined;
    dir = undefined;
    target = undefined;
    kept = [];
  });

  async function session(flags: string): Promise<string> {
    target = await startTarget(inject('fixtures').scratchServer);
    dir = await mkdtemp(join(tmpdir(), 'sidekick-detach-'));
    const statusFile = join(dir, 'status');
    tmux = await TmuxSession.start(`node ${CLI_PATH} exec ${flags} ${target.name}; echo "$?" > ${statusFile}; sleep 60`, 120, 40);
    await tmux.waitFor(/\[sidekick [^\]]+\] \/ #/);
    return statusFile;
  }

  it('passes a Ctrl-P that starts no detach on with the next key, and detaches on Ctrl-P Ctrl-Q, removing the sidekick', async () => {
    const statusFile = await session('');
    // od reads the terminal in cooked mode: it shows exactly the bytes that reached the sidekick.
    await tmux!.type('od -c', 'Enter');
    await tmux!.type('C-p');
    await tmux!.type('x', 'Enter', 'C-d');
    await tmux!.waitFor(/^0000000 020 {3}x {2}\\n$/m);
    await tmux!.type('C-p', 'C-q');
    const screen = await tmux!.waitFor(/^sidekick: detached \(ctrl-p,ctrl-q\); the sidekick was removed, as it is without --keep\.$/m);
    expect(screen).toMatch(/^To leave one running and come back to it, start it with --keep\.$/m);
    expect(await waitForFile(statusFile)).toBe('0\n');
    await expectNoSidekicks(target!.id);
  });

  it('with --keep and --detach-keys, ignores the default keys, detaches on its own and leaves the sidekick running to come back to', async () => {
    const statusFile = await session('--keep --detach-keys ctrl-x,y');
    kept = await sidekicksOf(target!.id);
    expect(kept).toHaveLength(1);
    // The engine's default keys must no longer detach: the engine was told the same keys as the CLI.
    await tmux!.type('C-p', 'C-q');
    await tmux!.type('echo alive-$((40+2))', 'Enter');
    await tmux!.waitFor(/^alive-42$/m);
    await tmux!.type('C-x', 'y');
    const id = kept[0]!;
    const screen = await tmux!.waitFor(/^sidekick: detached \(ctrl-x,y\); sidekick \w{12} keeps running \(--keep\)\.$/m);
    expect(screen).toContain(`Back in: docker attach ${id}   remove it: docker stop ${id} && docker rm ${id}`);
    expect(await waitForFile(statusFile)).toBe('0\n');
    expect((await docker(['inspect', '-f', '{{.State.Running}}', id])).trim()).toBe('true');
  });

  it('in sidekick shell, detaches on Ctrl-P Ctrl-Q by ending the shell, which nothing could attach to again', async () => {
    target = await startTarget(inject('fixtures').scratchServer);
    expect((await runCli(['inject', target.name])).code).toBe(0);
    try {
      dir = await mkdtemp(join(tmpdir(), 'sidekick-detach-'));
      const statusFile = join(dir, 'status');
      tmux = await TmuxSession.start(`node ${CLI_PATH} shell ${target.name}; echo "$?" > ${statusFile}; sleep 60`, 120, 40);
      await tmux.waitFor(/\[sidekick [^\]]+\] \/ #/);
      await tmux.type('C-p', 'C-q');
      const screen = await tmux.waitFor(/^sidekick: detached \(ctrl-p,ctrl-q\); the shell was ended\.$/m);
      expect(screen).toContain(`An exec cannot be attached to again; start another with: sidekick shell ${target.name}`);
      expect(await waitForFile(statusFile)).toBe('0\n');
      const left = await docker(['exec', target.id, '/.sidekick/bin/sh', '-c', 'grep -lsF SIDEKICK_SHELL= /proc/[0-9]*/environ | grep -v "/proc/$$/" || true']);
      expect(left.trim()).toBe('');
    } finally {
      await runCli(['eject', target.name]);
    }
  });
});
