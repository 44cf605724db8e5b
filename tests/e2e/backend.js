// Test backend for the proxyless end-to-end tests: a grpc-js server on 127.0.0.1 that answers
// the unary method /cairn.test.Echo/Call (raw bytes in, raw bytes out) with its own backend id.
//
// As a module:  const { startBackend } = require('./backend.js');
//               const b = await startBackend('A');   // b.port, await b.stop()
// As a program: node backend.js ID [PORT]   -> prints {"id":..,"port":..} on stdout, runs until
//               SIGTERM/SIGINT or stdin closes.
'use strict';

const grpc = require('@grpc/grpc-js');

const ECHO_PATH = '/cairn.test.Echo/Call';
// Other paths answered the same way (grpc-js has no catch-all handler for unknown methods;
// register every path a test might use here).
const EXTRA_PATHS = ['/cairn.test.Echo/Other'];

const identity = (x) => x;

function startBackend(id, port = 0) {
  const server = new grpc.Server();
  let calls = 0;
  const handler = (call, cb) => {
    calls++;
    cb(null, Buffer.from(String(id)));
  };
  const def = {};
  for (const p of [ECHO_PATH, ...EXTRA_PATHS]) {
    def[p] = {
      path: p, requestStream: false, responseStream: false,
      requestSerialize: identity, requestDeserialize: identity,
      responseSerialize: identity, responseDeserialize: identity,
    };
  }
  const impl = {};
  for (const p of Object.keys(def)) impl[p] = handler;
  server.addService(def, impl);
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) { reject(err); return; }
      resolve({
        id: String(id),
        port: bound,
        server,
        calls: () => calls,
        stop: () => new Promise((res) => {
          const t = setTimeout(() => { server.forceShutdown(); res(); }, 2000);
          server.tryShutdown(() => { clearTimeout(t); res(); });
        }),
      });
    });
  });
}

module.exports = { startBackend, ECHO_PATH };

if (require.main === module) {
  const id = process.argv[2];
  const port = Number(process.argv[3] || 0);
  if (!id) {
    process.stderr.write('usage: backend.js ID [PORT]\n');
    process.exit(2);
  }
  startBackend(id, port).then((b) => {
    process.stdout.write(`${JSON.stringify({ id: b.id, port: b.port })}\n`);
    const stop = () => { b.stop().then(() => process.exit(0)); };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.stdin.on('end', stop);
    process.stdin.resume();
  }, (e) => {
    process.stderr.write(`backend: ${e.message}\n`);
    process.exit(2);
  });
}
