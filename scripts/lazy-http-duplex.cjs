// Stand-in for docker-modem's HttpDuplex (scripts/build.mjs): it is made only for a hijacked
// request with stdin (sidekick's hijacks use the socket itself), and loading it loads
// readable-stream, a copy of Node's streams, on every start.
module.exports = function LazyHttpDuplex(...args) {
  const HttpDuplex = require('docker-modem/lib/http_duplex.js');
  return new HttpDuplex(...args);
};
