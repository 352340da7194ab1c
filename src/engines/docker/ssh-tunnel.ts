import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SidekickError } from '../../core/errors.js';
import type { Endpoint } from './endpoint.js';

/** Where the engine listens on the remote machine when the ssh:// address names no path. */
export const REMOTE_SOCKET_DEFAULT = '/var/run/docker.sock';

/**
 * One SSH connection for a whole command: the system's `ssh` forwards a private local
 * socket to the engine's socket on the remote machine, and every API request is a channel
 * of that one connection (docs/ARCHITECTURE.md, "Remote engines").
 *
 * The system `ssh` rather than an in-process client, because it is what `docker -H ssh://`
 * runs: the user's ~/.ssh/config (aliases, ProxyJump, IdentityFile), known_hosts (hashed
 * or not), agent and certificates all work as they do for docker.
 */
export interface SshTunnel {
  /** The local socket that reaches the remote engine. */
  readonly socketPath: string;
  /** Ends the connection; the wrapper removes the local socket's directory. */
  close(): void;
  /**
   * Why the remote end refused a request's channel (ssh's "open failed" line), if it did:
   * the engine's socket is not where it was looked for, or the server forbids forwarding.
   */
  refusal(): string | undefined;
  /** Set once ssh has gone: what it said last, or its status. */
  ended(): string | undefined;
}

export interface SshInvocation {
  /** argv after the ssh command itself. */
  args: string[];
  /** Remote socket path. */
  remoteSocket: string;
  /** What the user would type to test the same connection by hand. */
  manual: string;
}

/** The ssh arguments for an ssh:// address: the forward, the port, the user, the host. */
export function sshInvocation(url: string, localSocket: string): SshInvocation {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = decodeURIComponent(parsed.username);
  const remoteSocket = parsed.pathname !== '' && parsed.pathname !== '/' ? decodeURIComponent(parsed.pathname) : REMOTE_SOCKET_DEFAULT;
  const target: string[] = [
    ...(parsed.port !== '' ? ['-p', parsed.port] : []),
    ...(user !== '' ? ['-l', user] : []),
  ];
  return {
    args: [
      '-N',
      // No ExitOnForwardFailure: it would make a LocalForward of the user's config for this host
      // that cannot bind (a port held by another session) fatal. A failure of this command's own
      // forward is read from ssh's stderr instead (openSshTunnel).
      '-o', 'StreamLocalBindUnlink=yes',
      // A RemoteCommand or RequestTTY of the user's config for this host has no place here.
      '-o', 'RemoteCommand=none',
      '-o', 'RequestTTY=no',
      // Never become or use a shared master: ControlPersist would take the connection out of
      // this command's hands, and a master of the user's would outlive this command's forward.
      '-o', 'ControlMaster=no',
      '-o', 'ControlPath=none',
      // A dead link is noticed instead of hanging every request for ever.
      '-o', 'ServerAliveInterval=15',
      '-L', `${localSocket}:${remoteSocket}`,
      ...target,
      '--',
      host,
    ],
    remoteSocket,
    manual: `ssh ${[...target, host].join(' ')}`,
  };
}

/**
 * The wrapper that holds ssh: it ends ssh when its stdin closes, which happens when this
 * process exits for any reason, kill -9 included; then it removes the socket's directory.
 * A TERM sent to the wrapper itself ends ssh the same way. It runs in a session of its own, with no terminal: ssh must log in without a question
 * (an agent, or a key without a passphrase), and terminal signals reach sidekick alone.
 */
const WRAPPER = `
trap '' INT QUIT HUP
dir=$1; shift
exec 3<&0
$SIDEKICK_SSH "$@" </dev/null &
ssh_pid=$!
trap 'kill "$ssh_pid" 2>/dev/null' TERM
{ read -r _ <&3; kill "$ssh_pid" 2>/dev/null; } &
watch_pid=$!
wait "$ssh_pid"; status=$?
kill "$watch_pid" 2>/dev/null
rm -rf "$dir"
exit "$status"
`;

/** Starts ssh and resolves once the local socket exists; rejects with ssh's own words when it cannot. */
export async function openSshTunnel(endpoint: Endpoint, env: NodeJS.ProcessEnv = process.env): Promise<SshTunnel> {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-ssh-'));
  const socketPath = join(dir, 'docker.sock');
  const invocation = sshInvocation(endpoint.url, socketPath);
  // Like GIT_SSH_COMMAND: a command line read by the shell, for keys and options of a test or a CI job.
  const command = env.SIDEKICK_SSH_COMMAND?.trim() || 'ssh';
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', WRAPPER.replace('$SIDEKICK_SSH', command), 'sidekick-ssh', dir, ...invocation.args], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env,
      // A session of its own: signals to sidekick's process group (Ctrl-C, a terminal's hang-up,
      // `timeout`'s TERM) must not end the connection that sidekick's cleanup still needs.
      detached: true,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw failed(endpoint, invocation, (error as Error).message);
  }
  let said = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    said = (said + chunk.toString()).slice(-4096);
  });
  child.stdin!.on('error', () => undefined);
  // Neither the wrapper nor its pipes keep this process alive; requests do while they run.
  child.unref();
  (child.stdin as unknown as Socket).unref();
  (child.stderr as unknown as Socket).unref();

  let gone: string | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      gone = `ssh exited with status ${code ?? 'by a signal'}`;
      resolve(code);
    }),
  );
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const close = (): void => {
    child.stdin!.end();
  };
  let seen = false;
  for (;;) {
    // ssh binds the socket and listens on it at once; one more tick after it appears makes
    // sure a connection is not refused in between.
    if (seen) return { socketPath, close, refusal: () => refusalIn(said), ended: () => (gone === undefined ? undefined : (lastWords(said) ?? gone)) };
    seen = existsSync(socketPath);
    // This timer is the one thing that keeps the process alive while ssh logs in.
    const outcome = await Promise.race([
      exited.then((code) => ({ code })),
      spawnError.then((error) => ({ error })),
      new Promise<undefined>((resolve) => setTimeout(resolve, 15)),
    ]);
    if (outcome === undefined && !cannotListen(said, socketPath)) continue;
    close();
    rmSync(dir, { recursive: true, force: true });
    if (outcome !== undefined && 'error' in outcome) throw failed(endpoint, invocation, outcome.error.message);
    throw failed(endpoint, invocation, lastWords(said) ?? `ssh exited with status ${outcome?.code ?? 'by a signal'}`);
  }
}

/** ssh names the local socket outside its debug output only when it could not listen on it (a path too long, say). */
function cannotListen(text: string, socketPath: string): boolean {
  return text.split(/\r?\n/).some((line) => line.includes(socketPath) && !/^debug\d?:/.test(line));
}

function refusalIn(text: string): string | undefined {
  const line = text.split(/\r?\n/).reverse().find((candidate) => /open failed/.test(candidate));
  return line?.replace(/^channel \d+: /, '').trim();
}

/** The last line ssh wrote that is not chatter ("Warning: Permanently added ..."). */
function lastWords(text: string): string | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('Warning: Permanently added') && !/^debug\d?:/.test(line));
  // "ssh: connect to host …" and the wrapper's "sidekick-ssh: 5: nosuchssh: not found" lose their prefix.
  return lines.at(-1)?.replace(/^(ssh|sidekick-ssh(: \d+)?): /, '').replace(/\.$/, '');
}

function failed(endpoint: Endpoint, invocation: SshInvocation, reason: string): SidekickError {
  return new SidekickError('ENGINE_UNREACHABLE', `cannot reach the Docker engine at ${endpoint.url} (${endpoint.source}): ssh: ${reason}.`, {
    hint: `Check that \`${invocation.manual}\` logs in without a question (known_hosts, key or agent); ssh reads ~/.ssh/config, or set SIDEKICK_SSH_COMMAND.`,
  });
}
