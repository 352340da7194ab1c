// Stand-in for ssh2 inside the bundle: docker-modem requires it on start, and sidekick never lets
// docker-modem open an ssh:// connection itself (the system ssh carries ssh:// engines,
// src/engines/docker/ssh-tunnel.ts), so the real module, 600 KB bundled, is never shipped.
module.exports = {
  Client: function UnusedSsh2Client() {
    throw new Error('ssh2 is not part of sidekick: ssh:// engines go through the system ssh.');
  },
};
