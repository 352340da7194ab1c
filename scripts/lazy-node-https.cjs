// Stand-in for https inside sidekick's own modules (scripts/build.mjs): https and tls under it
// (≈5 ms) are loaded only for an engine reached over TLS, when its agent is first looked up,
// or for a request to a Kubernetes API server.
module.exports = {
  get Agent() {
    return require('node:https').Agent;
  },
  get request() {
    return require('node:https').request;
  },
};
