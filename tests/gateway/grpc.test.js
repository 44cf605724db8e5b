// Proxyless gRPC through a Gateway (SPEC.md §5a and §7, issue #17), with REAL xDS clients:
// `cairn serve` on a tree with a Gateway and GRPCRoutes; grpc-js-xds and grpc C-core
// (python3-grpcio) whose bootstrap names the Gateway in the node metadata
// (cairn.io/gateway: grpc/mesh) call xds:///<host> and xds:///<host>:<port>; the test
// backends (tests/e2e/backend.js) answer with their id. Weights, a header match and a method
// match route RPCs as the GRPCRoute says; an HTTPRoute's host works too, its redirect (which
// gRPC cannot follow) failing alone; a client naming no Gateway is not given the Gateway's
// hosts. What the clients were sent passes Envoy's official protos.
//
//   CAIRN=$PWD/cairn top_srcdir=$PWD NODE_PATH=tests/node_modules sh tests/gateway/grpc.sh
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');

const L = require('../e2e/lib.js');
const { startBackend } = require('../e2e/backend.js');
const { AdsClient } = require('../protocol/lib/ads-client');
const { createVerifier } = require('../tools/xds-verify.js');

const CAIRN = process.env.CAIRN;
const CALL = '/cairn.test.Echo/Call';
const OTHER = '/cairn.test.Echo/Other';
const py = L.python3();
const NO_CAIRN = !CAIRN ? 'CAIRN not set' : false;
const NO_PY = NO_CAIRN || (!py.ok && `python3 with grpc (python3-grpcio) not found at ${py.path}`);

// One-shot clients: N calls, one JSON summary line ({ids: {A: n}, errors: {CODE: n}}).
const NODE_CLIENT = `'use strict';
const grpc = require('@grpc/grpc-js');
require('@grpc/grpc-js-xds').register();
const [target, method, count, metaJson] = process.argv.slice(2);
const meta = new grpc.Metadata();
for (const [k, v] of Object.entries(JSON.parse(metaJson))) meta.set(k, v);
const client = new grpc.Client(target, grpc.credentials.createInsecure());
const ids = {}; const errors = {};
function one() {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, (x) => x, (x) => x, Buffer.from('x'), meta,
      { deadline: new Date(Date.now() + 5000) }, (err, resp) => {
        if (err) { const k = grpc.status[err.code] || String(err.code); errors[k] = (errors[k] || 0) + 1; }
        else { const id = Buffer.from(resp).toString(); ids[id] = (ids[id] || 0) + 1; }
        resolve();
      });
  });
}
(async () => {
  for (let i = 0; i < Number(count); i++) await one();
  process.stdout.write(JSON.stringify({ ids, errors }) + '\\n', () => process.exit(0));
})();
`;

const PY_CLIENT = `import json, os, sys
import grpc
target, method, count, meta = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
ch = grpc.insecure_channel(target)
call = ch.unary_unary(method)
ids, errors = {}, {}
for _ in range(count):
    try:
        r = call(b"x", timeout=5, metadata=list(meta.items())).decode()
        ids[r] = ids.get(r, 0) + 1
    except grpc.RpcError as e:
        errors[e.code().name] = errors.get(e.code().name, 0) + 1
sys.stdout.write(json.dumps({"ids": ids, "errors": errors}) + "\\n")
sys.stdout.flush()
os._exit(0)
`;

function backendYaml(name, port) {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: grpc}
spec:
  ports: [{name: grpc, port: 50051}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ${name}, namespace: grpc}
subsets:
  - addresses: [{ip: 127.0.0.1}]
    ports: [{name: grpc, port: ${port}}]
`;
}

function tree(a, b) {
  return {
    'gatewayclass.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: cairn}
spec: {controllerName: cairn.io/gateway-controller}
`,
    'grpc/gateway.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: mesh, namespace: grpc}
spec:
  gatewayClassName: cairn
  listeners:
  - {name: grpc, protocol: HTTP, port: 8443}
`,
    'grpc/routes.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: weights, namespace: grpc}
spec:
  parentRefs: [{name: mesh}]
  hostnames: [weights.example.com]
  rules:
  - backendRefs:
    - {name: a, port: 50051, weight: 80}
    - {name: b, port: 50051, weight: 20}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: matches, namespace: grpc}
spec:
  parentRefs: [{name: mesh}]
  hostnames: [match.example.com]
  rules:
  - matches:
    - method: {service: cairn.test.Echo, method: Call}
      headers: [{name: x-canary, value: "yes"}]
    backendRefs: [{name: b, port: 50051}]
  - matches:
    - method: {service: cairn.test.Echo, method: Other}
    backendRefs: [{name: b, port: 50051}]
  - matches:
    - method: {service: cairn.test.Echo}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-via, value: gateway}]}
    backendRefs: [{name: a, port: 50051}]
`,
    // An HTTPRoute's hostname is a proxyless target too; its redirect is something gRPC
    // cannot do, which must fail alone (UNAVAILABLE), not cost the host its other routes.
    'grpc/http.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: mixed, namespace: grpc}
spec:
  parentRefs: [{name: mesh}]
  hostnames: [mixed.example.com]
  rules:
  - matches: [{path: {type: Exact, value: /cairn.test.Echo/Other}}]
    filters:
    - type: RequestRedirect
      requestRedirect: {hostname: match.example.com}
  - matches: [{path: {type: PathPrefix, value: /cairn.test.Echo}}]
    backendRefs: [{name: a, port: 50051}]
`,
    'grpc/a.yaml': backendYaml('a', a),
    'grpc/b.yaml': backendYaml('b', b),
  };
}

function writeBootstrap(file, xdsPort, gateway) {
  const node = { id: `gw-grpc-${gateway || 'none'}`, cluster: 'e2e', locality: { region: 'local', zone: 'z1' } };
  if (gateway) node.metadata = { 'cairn.io/gateway': gateway };
  fs.writeFileSync(file, JSON.stringify({
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: [] }],
    node,
  }, null, 2));
  return file;
}

let fx; // {dir, d, A, B, xdsPort, boot}

test.before(async () => {
  if (NO_CAIRN) return;
  assert.ok(fs.existsSync(CAIRN), `CAIRN=${CAIRN} does not exist`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-gw-grpc-'));
  fs.writeFileSync(path.join(dir, 'client.js'), NODE_CLIENT);
  fs.writeFileSync(path.join(dir, 'client.py'), PY_CLIENT);
  const A = await startBackend('A');
  const B = await startBackend('B');
  for (const [rel, text] of Object.entries(tree(A.port, B.port))) {
    const f = path.join(dir, 'resources', rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  }
  const xdsPort = await L.freePort();
  // hermetic: without -c the host's /etc/cairn/cairn.yaml would be read (SPEC §2)
  fs.writeFileSync(path.join(dir, 'cairn.yaml'),
    `debounce: 50ms\nadmin: {address: ""}\nstate-directory: ${path.join(dir, 'state')}\n`);
  const d = L.start(CAIRN, ['serve', '-c', path.join(dir, 'cairn.yaml'),
    '--source', path.join(dir, 'resources'), '--xds', `127.0.0.1:${xdsPort}`],
  { name: 'cairn-serve', keepStdin: false });
  fx = { dir, d, A, B, xdsPort };
  await L.waitFor(async () => {
    if (d.exited) throw new Error(`cairn serve exited\n${d.tail()}`);
    return L.canConnect(xdsPort);
  }, { ms: 15000, every: 100, what: `cairn's xDS port ${xdsPort}` });
  fx.boot = writeBootstrap(path.join(dir, 'bootstrap.json'), xdsPort, 'grpc/mesh');
});

test.after(async () => {
  if (!fx) return;
  await fx.d.stop(3000);
  await fx.A.stop(); await fx.B.stop();
  if (!process.env.E2E_KEEP) fs.rmSync(fx.dir, { recursive: true, force: true });
});

// One real client's run: {ids, errors}. kind: 'node' or 'python'.
async function call(kind, boot, target, method, count, meta = {}) {
  const env = { ...process.env, GRPC_XDS_BOOTSTRAP: boot };
  delete env.GRPC_XDS_BOOTSTRAP_CONFIG;
  if (process.env.E2E_TRACE) { env.GRPC_TRACE = 'xds_client,xds_resolver'; env.GRPC_VERBOSITY = 'DEBUG'; }
  const [cmd, file] = kind === 'node' ? [process.execPath, 'client.js'] : [py.path, 'client.py'];
  // Asynchronously: the backends run in this process and must keep answering.
  const c = L.start(cmd, [path.join(fx.dir, file), target, method, String(count), JSON.stringify(meta)],
    { env, name: `client-${kind}`, keepStdin: false });
  const r = await Promise.race([c.exitPromise, L.sleep(60000).then(() => null)]);
  if (!r) await c.stop(1000, 'SIGKILL');
  const line = c.out.filter((l) => l.startsWith('{')).pop();
  assert.ok(line, `${kind} client: ${JSON.stringify(r)}\n${c.tail()}`);
  return JSON.parse(line);
}

// The first calls of a fresh daemon may race its first build: wait until want(result) holds.
async function eventually(kind, target, method, count, want, meta = {}) {
  let last;
  try {
    await L.waitFor(async () => {
      last = await call(kind, fx.boot, target, method, count, meta);
      return want(last);
    }, { ms: 30000, every: 300, what: `${kind}: ${target} ${method}` });
  } catch (e) {
    throw new Error(`${e.message}: last ${JSON.stringify(last)}\n${fx.d.tail()}`);
  }
  return last;
}

for (const kind of ['node', 'python']) {
  const skip = kind === 'python' ? NO_PY : NO_CAIRN;
  const opts = { skip, timeout: 180000 };

  test(`${kind}: GRPCRoute weights 80/20 over 200 RPCs (xds:///weights.example.com)`, opts, async () => {
    const r = await eventually(kind, 'xds:///weights.example.com', CALL, 200,
      (x) => (x.ids.A || 0) + (x.ids.B || 0) === 200);
    const share = r.ids.A / 200;
    assert.ok(share > 0.6 && share < 0.95, `A got ${r.ids.A}/200, expected about 80%: ${JSON.stringify(r)}`);
    assert.ok(r.ids.B > 0, `B got nothing: ${JSON.stringify(r)}`);
  });

  test(`${kind}: GRPCRoute header match (x-canary: yes -> B, none -> A)`, opts, async () => {
    await eventually(kind, 'xds:///match.example.com', CALL, 3, (x) => x.ids.A === 3);
    const canary = await call(kind, fx.boot, 'xds:///match.example.com', CALL, 3, { 'x-canary': 'yes' });
    assert.deepStrictEqual(canary, { ids: { B: 3 }, errors: {} });
    const other = await call(kind, fx.boot, 'xds:///match.example.com', CALL, 3, { 'x-canary': 'no' });
    assert.deepStrictEqual(other, { ids: { A: 3 }, errors: {} });
  });

  test(`${kind}: GRPCRoute method match (Echo/Other -> B, Echo/Call -> A)`, opts, async () => {
    await eventually(kind, 'xds:///match.example.com', OTHER, 3, (x) => x.ids.B === 3);
    const r = await call(kind, fx.boot, 'xds:///match.example.com', CALL, 3);
    assert.deepStrictEqual(r, { ids: { A: 3 }, errors: {} });
  });

  test(`${kind}: an HTTPRoute's host; its redirect rule fails alone with UNAVAILABLE`, opts, async () => {
    await eventually(kind, 'xds:///mixed.example.com', CALL, 3, (x) => x.ids.A === 3);
    const r = await call(kind, fx.boot, 'xds:///mixed.example.com', OTHER, 2);
    assert.deepStrictEqual(r, { ids: {}, errors: { UNAVAILABLE: 2 } });
  });

  test(`${kind}: xds:///<host>:<port> names the Gateway listener's port`, opts, async () => {
    const r = await eventually(kind, 'xds:///match.example.com:8443', OTHER, 3, (x) => x.ids.B === 3);
    assert.deepStrictEqual(r, { ids: { B: 3 }, errors: {} });
  });
}

// What a client naming the Gateway is sent, and that one naming none is not sent its hosts:
// the protocol test client (tests/protocol/lib/ads-client) subscribes by name as gRPC does.
test('the Gateway\'s proxyless resources, judged by the official protos; none for other nodes',
  { skip: NO_CAIRN, timeout: 60000 }, async () => {
    const verifier = await createVerifier();
    const client = new AdsClient(`127.0.0.1:${fx.xdsPort}`);
    const node = (id, gw) => ({ id, cluster: 'test',
      ...(gw ? { metadata: { fields: { 'cairn.io/gateway': { stringValue: gw } } } } : {}) });
    const fetch = async (s, type, names) => {
      s.send({ type, names });
      const r = await s.next();
      assert.equal(r.type, type);
      for (const res of r.resources) {
        const v = verifier.verify(res.type_url, res.name, res.bytes);
        assert.deepStrictEqual(v.problems, [], `${res.name}: official protos found problems`);
      }
      s.ack(r);
      return r;
    };
    try {
      const s = client.sotw(node('gw-grpc-capture', 'grpc/mesh'));
      const names = ['match.example.com', 'match.example.com:8443', 'weights.example.com'];
      const lds = await fetch(s, 'lds', names);
      assert.deepStrictEqual(lds.names.sort(), names);
      const rds = await fetch(s, 'rds', names);
      assert.deepStrictEqual(rds.names.sort(), names);
      const byName = Object.fromEntries(rds.resources.map((r) => [r.name, r.message]));
      assert.deepStrictEqual(byName['match.example.com:8443'].virtual_hosts[0].domains, ['match.example.com:8443']);
      // gRPC is the caller: no header rewrite reaches it
      for (const rt of byName['match.example.com'].virtual_hosts[0].routes) {
        assert.ok(!rt.request_headers_to_add || rt.request_headers_to_add.length === 0, JSON.stringify(rt));
      }
      const none = client.sotw(node('gw-grpc-none', null));
      const lds0 = await fetch(none, 'lds', names);
      assert.deepStrictEqual(lds0.names, []);
    } finally {
      client.close();
    }
  });
