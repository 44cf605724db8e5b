// Real xDS client #1: grpc-js + @grpc/grpc-js-xds (proxyless gRPC, Node).
//
// usage: GRPC_XDS_BOOTSTRAP=bootstrap.json node client-node.js [options] xds:///FQDN
//   --count N          make N unary calls (default 10), print one JSON summary line, exit 0
//                      ({"ids":{"A":7,...},"errors":{"msg":n},"ok":N,"failed":N}).
//   --watch            instead: one call every --interval-ms (default 200) for at most
//                      --max-seconds (default 60); print one JSON line per call
//                      ({"i":n,"id":"A"} or {"i":n,"error":"..."}); stops early on SIGTERM,
//                      SIGINT or when stdin closes.
//   --timeout-ms MS    deadline of each call (default 5000)
//   --path P           method path (default /cairn.test.Echo/Call)
//
// Requirements of this client, as observed (see also fake-xds-server.js):
//   * the bootstrap needs node.locality (grpc-js throws without it);
//   * SotW ADS only, named subscriptions only (Listener = the target's host);
//   * each LocalityLbEndpoints needs load_balancing_weight, else every call fails with
//     "priority policy has empty priority list".
'use strict';

const grpc = require('@grpc/grpc-js');
require('@grpc/grpc-js-xds').register();

function parseArgs(argv) {
  const o = { count: 10, watch: false, intervalMs: 200, maxSeconds: 60, timeoutMs: 5000, path: '/cairn.test.Echo/Call', target: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '--count') o.count = Number(next());
    else if (a === '--watch') o.watch = true;
    else if (a === '--interval-ms') o.intervalMs = Number(next());
    else if (a === '--max-seconds') o.maxSeconds = Number(next());
    else if (a === '--timeout-ms') o.timeoutMs = Number(next());
    else if (a === '--path') o.path = next();
    else if (!a.startsWith('-') && !o.target) o.target = a;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.target) throw new Error('missing target (xds:///FQDN)');
  return o;
}

function call(client, o) {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + o.timeoutMs);
    client.makeUnaryRequest(o.path, (x) => x, (x) => x, Buffer.from('x'), new grpc.Metadata(), { deadline },
      (err, resp) => {
        if (err) resolve({ error: `${grpc.status[err.code] || err.code}: ${err.details || err.message}` });
        else resolve({ id: Buffer.from(resp).toString() });
      });
  });
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`client-node: ${e.message}\n`);
    return 2;
  }
  if (!process.env.GRPC_XDS_BOOTSTRAP && !process.env.GRPC_XDS_BOOTSTRAP_CONFIG) {
    process.stderr.write('client-node: GRPC_XDS_BOOTSTRAP is not set\n');
    return 2;
  }
  const client = new grpc.Client(o.target, grpc.credentials.createInsecure());
  let stop = false;
  const stopNow = () => { stop = true; };
  process.on('SIGTERM', stopNow);
  process.on('SIGINT', stopNow);
  if (o.watch) {
    process.stdin.on('end', stopNow);
    process.stdin.on('error', stopNow);
    process.stdin.resume();
    const end = Date.now() + o.maxSeconds * 1000;
    for (let i = 0; !stop && Date.now() < end; i++) {
      const t0 = Date.now();
      const r = await call(client, o);
      process.stdout.write(`${JSON.stringify({ i, ...r })}\n`);
      const wait = o.intervalMs - (Date.now() - t0);
      if (wait > 0 && !stop) await new Promise((res) => setTimeout(res, wait));
    }
  } else {
    const ids = {}; const errors = {};
    let ok = 0; let failed = 0;
    for (let i = 0; i < o.count && !stop; i++) {
      const r = await call(client, o);
      if (r.error) { failed++; errors[r.error] = (errors[r.error] || 0) + 1; } else { ok++; ids[r.id] = (ids[r.id] || 0) + 1; }
    }
    process.stdout.write(`${JSON.stringify({ ids, errors, ok, failed })}\n`);
  }
  client.close();
  return 0;
}

main().then((code) => {
  // grpc-js keeps the xDS stream open; exit explicitly.
  process.stdout.write('', () => process.exit(code));
}, (e) => {
  process.stderr.write(`client-node: ${e.stack || e.message}\n`);
  process.exit(2);
});
