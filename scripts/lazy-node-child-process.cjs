// Stand-in for child_process inside sidekick's own modules (scripts/build.mjs): the real one
// (with net's sockets and dgram) is loaded when a function of it is first looked up. What
// is looked up is the real function, util.promisify's custom form included.
const load = () => require('node:child_process');
module.exports = {
  get execFile() {
    return load().execFile;
  },
  get execFileSync() {
    return load().execFileSync;
  },
  get spawn() {
    return load().spawn;
  },
  get spawnSync() {
    return load().spawnSync;
  },
};
