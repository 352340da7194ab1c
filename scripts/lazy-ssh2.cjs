// Stand-in for ssh2 inside the bundle: the real module is required only when an ssh:// engine is used.
module.exports = {
  Client: function LazyClient(...args) {
    const { Client } = require('ssh2');
    return new Client(...args);
  },
};
