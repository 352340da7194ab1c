import { describe, expect, it } from 'vitest';
import { sshInvocation } from './ssh-tunnel.js';

describe('sshInvocation', () => {
  it('forwards a private socket to the default engine socket, with the port and user of the address', () => {
    const { args, remoteSocket, manual } = sshInvocation('ssh://deploy@build-box:2222', '/tmp/x/docker.sock');
    expect(remoteSocket).toBe('/var/run/docker.sock');
    expect(args).toContain('-N');
    expect(args.join(' ')).toContain('-L /tmp/x/docker.sock:/var/run/docker.sock');
    expect(args.join(' ')).toContain('-o ControlPath=none');
    expect(args.slice(-6)).toEqual(['-p', '2222', '-l', 'deploy', '--', 'build-box']);
    expect(manual).toBe('ssh -p 2222 -l deploy build-box');
  });

  it('leaves the port and user to ~/.ssh/config when the address has none, and takes a socket path after the host', () => {
    const { args, remoteSocket } = sshInvocation('ssh://build-box/run/user/1000/docker.sock', '/tmp/x/docker.sock');
    expect(remoteSocket).toBe('/run/user/1000/docker.sock');
    expect(args).not.toContain('-p');
    expect(args).not.toContain('-l');
    expect(args.slice(-2)).toEqual(['--', 'build-box']);
  });

  it('gives ssh an IPv6 address without its brackets', () => {
    expect(sshInvocation('ssh://me@[::1]:22', '/s').args.at(-1)).toBe('::1');
  });
});
