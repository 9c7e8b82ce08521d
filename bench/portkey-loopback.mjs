// Preloaded into the Portkey gateway's process by bench/portkey.ts (`node --import`).
// Portkey's start-server.js takes `--port=` but no host, and @hono/node-server then listens on
// every interface; a bench gateway with no authentication must not be reachable off this machine,
// so a listen without a host gets 127.0.0.1. With `--port=0` the kernel picks a free port, which
// is reported to the parent over IPC (no port is guessed, so no race with another process).
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    args.splice(1, typeof args[1] === 'undefined' ? 1 : 0, '127.0.0.1');
  }
  this.once('listening', () => {
    const address = this.address();
    if (process.send && address && typeof address === 'object') process.send({ portkeyListening: { host: address.address, port: address.port } });
  });
  return listen.apply(this, args);
};
