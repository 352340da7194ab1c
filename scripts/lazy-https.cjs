// Stand-in for https inside the bundle (scripts/build.mjs): docker-modem loads it on start,
// but only an engine reached over TLS uses it, so the real module is loaded on first use.
let real;
const load = () => (real ??= require('https'));
module.exports = new Proxy(
  {},
  {
    get: (_target, key) => load()[key],
    has: (_target, key) => key in load(),
  },
);
