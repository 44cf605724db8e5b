// HTTPProxy features through REAL proxyless clients (node:test): `cairn serve` with a resource
// tree, grpc-js-xds and grpc C-core (python3-grpcio) calling xds:///<fqdn>, test backends
// answering with their id (tests/e2e/backend.js).
//
//   CAIRN=$PWD/cairn NODE_PATH=.../node_modules sh tests/e2e/features.sh
//
// What gRPC can show of HTTPProxy: weighted services, header conditions, includes (prefixes
// concatenate across namespaces), and that a host whose proxies use what gRPC cannot do
// (direct responses, redirects, CORS, rate limits, IP filters, header rewrites) still works
// for gRPC clients: cairn gives them a RouteConfiguration of their own per host, where routes
// that cannot forward fail with UNAVAILABLE instead of the whole configuration being refused.
// Path rewrites are not implemented by gRPC clients (they ignore prefix_rewrite), so they
// cannot be tested here; the golden case tests/golden/path-rewrite covers them.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');

const L = require('./lib.js');
const { startBackend } = require('./backend.js');
const { captureAds } = require('./ads-capture.js');
const { createVerifier, parseLines } = require('../tools/xds-verify.js');

const CAIRN = process.env.CAIRN;
const SKIP = !CAIRN ? 'CAIRN not set' : false;
const CALL = '/cairn.test.Echo/Call';
const OTHER = '/cairn.test.Echo/Other';
const py = L.python3();

// Clients that can send metadata: one-shot, N calls, one JSON summary line.
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

function tmpdir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function writeTree(root, files) {
  for (const [rel, text] of Object.entries(files)) {
    const f = path.join(root, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
  }
}

// A Service with one named port whose only endpoint is a test backend.
function backendYaml(ns, name, port) {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  ports: [{name: grpc, port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ${name}, namespace: ${ns}}
subsets:
  - addresses: [{ip: 127.0.0.1}]
    ports: [{name: grpc, port: ${port}}]
`;
}

async function startCairn(dir) {
  const xdsPort = await L.freePort();
  const args = ['serve'];
  // stay hermetic: without -c the host's /etc/cairn/cairn.yaml would be read (SPEC §2)
  fs.writeFileSync(path.join(dir, 'cairn.yaml'), 'debounce: 50ms\nadmin: {address: ""}\n');
  args.push('-c', path.join(dir, 'cairn.yaml'), '--source', path.join(dir, 'resources'),
    '--xds', `127.0.0.1:${xdsPort}`);
  const d = L.start(CAIRN, args, { name: 'cairn-serve', keepStdin: false });
  d.xdsPort = xdsPort;
  try {
    await L.waitFor(async () => {
      if (d.exited) throw new Error('exited');
      return L.canConnect(xdsPort);
    }, { ms: 15000, every: 100, what: `cairn's xDS port ${xdsPort}` });
  } catch (e) {
    await d.stop(2000);
    throw new Error(`cairn serve did not come up: ${e.message}\n${d.tail()}`);
  }
  return d;
}

// Run both real clients; returns {node: {ids, errors}, python: {...}}.
async function callBoth(dir, boot, fqdn, method, count, meta = {}) {
  const out = {};
  const env = { ...process.env, GRPC_XDS_BOOTSTRAP: boot };
  delete env.GRPC_XDS_BOOTSTRAP_CONFIG;
  const runs = {
    node: [process.execPath, [path.join(dir, 'client.js')]],
    python: [py.path, [path.join(dir, 'client.py')]],
  };
  // Asynchronously: the backends run in this process and must keep answering.
  for (const [kind, [cmd, pre]] of Object.entries(runs)) {
    const c = L.start(cmd, [...pre, `xds:///${fqdn}`, method, String(count), JSON.stringify(meta)],
      { env, name: `client-${kind}`, keepStdin: false });
    const r = await Promise.race([c.exitPromise, L.sleep(60000).then(() => null)]);
    if (!r) await c.stop(1000, 'SIGKILL');
    const line = c.out.filter((l) => l.startsWith('{')).pop();
    assert.ok(line, `${kind} client: ${JSON.stringify(r)}\n${c.tail()}`);
    out[kind] = JSON.parse(line);
  }
  return out;
}

// Wait until both clients see what `check` accepts (config propagates asynchronously).
async function eventually(fn, what, ms = 20000) {
  let last;
  try {
    await L.waitFor(async () => {
      last = await fn();
      return last.ok;
    }, { ms, every: 300, what });
  } catch (e) {
    throw new Error(`${e.message}: last ${JSON.stringify(last && last.got)}`);
  }
  return last.got;
}

async function fixture(t, files) {
  assert.ok(fs.existsSync(CAIRN), `CAIRN=${CAIRN} does not exist`);
  assert.ok(py.ok, `python3 with grpc (python3-grpcio) not found at ${py.path}`);
  const dir = tmpdir('cairn-features-');
  fs.writeFileSync(path.join(dir, 'client.js'), NODE_CLIENT);
  fs.writeFileSync(path.join(dir, 'client.py'), PY_CLIENT);
  const A = await startBackend('A');
  const B = await startBackend('B');
  writeTree(path.join(dir, 'resources'), files(A.port, B.port));
  const d = await startCairn(dir);
  const boot = L.writeBootstrap(path.join(dir, 'bootstrap.json'), d.xdsPort);
  t.after(async () => {
    await d.stop(3000);
    await A.stop(); await B.stop();
    if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, boot, d };
}

test('weights: traffic splits by service weight', { skip: SKIP, timeout: 180000 }, async (t) => {
  const fqdn = 'weights.example.com';
  const { dir, boot, d } = await fixture(t, (a, b) => ({
    'shop/proxy.yaml': `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: split, namespace: shop}
spec:
  virtualhost: {fqdn: ${fqdn}}
  routes:
    - services:
        - {name: a, port: 80, weight: 80}
        - {name: b, port: 80, weight: 20}
`,
    'shop/a.yaml': backendYaml('shop', 'a', a),
    'shop/b.yaml': backendYaml('shop', 'b', b),
  }));
  const got = await eventually(async () => {
    const r = await callBoth(dir, boot, fqdn, CALL, 200);
    const ok = Object.values(r).every((x) => (x.ids.A || 0) + (x.ids.B || 0) === 200 && x.ids.A > 0 && x.ids.B > 0);
    return { ok, got: r };
  }, 'both backends reached');
  for (const [kind, r] of Object.entries(got)) {
    const share = r.ids.A / 200;
    assert.ok(share > 0.6 && share < 0.95, `${kind}: A got ${r.ids.A}/200, expected about 80%\n${d.tail()}`);
  }
});

test('header conditions: a header selects the route', { skip: SKIP, timeout: 180000 }, async (t) => {
  const fqdn = 'headers.example.com';
  const { dir, boot } = await fixture(t, (a, b) => ({
    'shop/proxy.yaml': `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: canary, namespace: shop}
spec:
  virtualhost: {fqdn: ${fqdn}}
  routes:
    - conditions:
        - prefix: /
        - header: {name: x-canary, exact: "Yes", ignoreCase: true}
      services: [{name: b, port: 80}]
    - conditions:
        - prefix: /
        - header: {name: x-team, contains: ops}
      services: [{name: b, port: 80}]
    - services: [{name: a, port: 80}]
`,
    'shop/a.yaml': backendYaml('shop', 'a', a),
    'shop/b.yaml': backendYaml('shop', 'b', b),
  }));
  await eventually(async () => {
    const r = await callBoth(dir, boot, fqdn, CALL, 3);
    return { ok: Object.values(r).every((x) => x.ids.A === 3), got: r };
  }, 'no header: backend A');
  const canary = await callBoth(dir, boot, fqdn, CALL, 3, { 'x-canary': 'yes' });
  assert.deepStrictEqual(canary.node.ids, { B: 3 }, JSON.stringify(canary));
  assert.deepStrictEqual(canary.python.ids, { B: 3 }, JSON.stringify(canary));
  const team = await callBoth(dir, boot, fqdn, CALL, 3, { 'x-team': 'devops' });
  assert.deepStrictEqual(team.node.ids, { B: 3 }, JSON.stringify(team));
  assert.deepStrictEqual(team.python.ids, { B: 3 }, JSON.stringify(team));
  const other = await callBoth(dir, boot, fqdn, CALL, 3, { 'x-canary': 'no' });
  assert.deepStrictEqual(other.node.ids, { A: 3 }, JSON.stringify(other));
  assert.deepStrictEqual(other.python.ids, { A: 3 }, JSON.stringify(other));
});

test('includes: delegated prefixes across namespaces; routes gRPC cannot follow fail alone',
  { skip: SKIP, timeout: 180000 }, async (t) => {
    const fqdn = 'incl.example.com';
    const { dir, boot, d } = await fixture(t, (a, b) => ({
      'root/root.yaml': `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: root, namespace: root}
spec:
  virtualhost:
    fqdn: ${fqdn}
    corsPolicy: {allowOrigin: ["*"], allowMethods: [POST]}
    rateLimitPolicy: {local: {requests: 1000, unit: second}}
    ipAllowPolicy: [{source: Peer, cidr: 127.0.0.0/8}]
  includes:
    - name: echo
      namespace: team
      conditions: [{prefix: /cairn.test.Echo}]
    - name: gone
      namespace: team
      conditions: [{prefix: /missing.Service}]
  routes:
    - requestHeadersPolicy: {set: [{name: x-via, value: cairn}]}
      retryPolicy: {count: 2}
      timeoutPolicy: {response: 10s}
      services: [{name: a, port: 80}]
    - conditions: [{prefix: /moved.Service}]
      requestRedirectPolicy: {hostname: elsewhere.example.com}
`,
      'root/a.yaml': backendYaml('root', 'a', a),
      'team/echo.yaml': `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: echo, namespace: team}
spec:
  routes:
    - conditions: [{prefix: /Other}]
      services: [{name: b, port: 80}]
`,
      'team/b.yaml': backendYaml('team', 'b', b),
    }));
    // /cairn.test.Echo/Call: not under /cairn.test.Echo/Other, so the root's "/" (A)
    await eventually(async () => {
      const r = await callBoth(dir, boot, fqdn, CALL, 3);
      return { ok: Object.values(r).every((x) => x.ids.A === 3), got: r };
    }, 'root route: backend A');
    // /cairn.test.Echo/Other: the included proxy's route (B)
    const other = await callBoth(dir, boot, fqdn, OTHER, 3);
    assert.deepStrictEqual(other.node.ids, { B: 3 }, `${JSON.stringify(other)}\n${d.tail()}`);
    assert.deepStrictEqual(other.python.ids, { B: 3 }, JSON.stringify(other));
    // the missing include answers 502 in Envoy: UNAVAILABLE for gRPC, nothing else breaks
    const missing = await callBoth(dir, boot, fqdn, '/missing.Service/Call', 2);
    for (const [kind, r] of Object.entries(missing)) {
      assert.deepStrictEqual(r.ids, {}, `${kind}: ${JSON.stringify(r)}`);
      assert.deepStrictEqual(Object.keys(r.errors), ['UNAVAILABLE'], `${kind}: ${JSON.stringify(r)}`);
    }
    // what cairn served to these clients and to Envoy passes the official protos
    const cap = await captureAds({ address: `127.0.0.1:${d.xdsPort}`, listeners: [fqdn], wildcard: true, quietMs: 800, timeoutMs: 15000 });
    assert.deepStrictEqual(cap.problems, []);
    const v = await createVerifier();
    const problems = [];
    for (const it of parseLines(cap.lines.join('\n'), 'capture')) {
      if (it.error) { problems.push(it.error); continue; }
      for (const p of v.verify(it.typeUrl, it.name, it.buf).problems) problems.push(`${it.name}: ${p.path}: ${p.problem}`);
    }
    assert.deepStrictEqual(problems, []);
  });

test('prefix rewrite (pathRewritePolicy)', { skip: 'gRPC clients do not implement prefix_rewrite; covered by tests/golden/path-rewrite' }, () => {});
