// Stand-in for the `debug` package inside docker-modem (scripts/build.mjs): loading it works out
// colours (supports-color, tty, os) on every start for a log that is off unless DEBUG names it.
// The real module decides from DEBUG alone when it loads, so with DEBUG unset or empty nothing
// could be enabled, and the stand-in answers for it; with DEBUG set the real one is loaded.
module.exports = function lazyDebug(namespace) {
  if (!process.env.DEBUG) {
    const off = () => undefined;
    off.enabled = false;
    return off;
  }
  return require('debug')(namespace);
};
