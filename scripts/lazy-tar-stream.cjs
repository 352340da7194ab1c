// Stand-in for tar-stream inside sidekick's own modules (scripts/build.mjs): tar-stream and
// streamx under it are initialised when pack or extract is first looked up, not on every start.
module.exports = {
  get extract() {
    return require('tar-stream').extract;
  },
  get pack() {
    return require('tar-stream').pack;
  },
};
