// Stand-in for crypto inside sidekick's own modules (scripts/build.mjs): the real one (≈15 of
// Node's modules) is loaded when a function of it is first looked up, which for `exec` is while
// the engine answers the first request, not before it is sent.
const load = () => require('node:crypto');
module.exports = {
  get createHash() {
    return load().createHash;
  },
  get createHmac() {
    return load().createHmac;
  },
  get randomBytes() {
    return load().randomBytes;
  },
  get timingSafeEqual() {
    return load().timingSafeEqual;
  },
};
