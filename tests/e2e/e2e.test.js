// Proxyless end-to-end tests with REAL xDS clients (node:test).
//
//   NODE_PATH=.../node_modules CAIRN=/path/to/cairn node --test tests/e2e/e2e.test.js
//   (or tests/e2e/e2e.sh, which make check runs)
//
// Two real, independent xDS clients:
//   node   - @grpc/grpc-js + @grpc/grpc-js-xds        (tests/e2e/client-node.js)
//   python - Debian python3-grpcio = grpc C-core's own (tests/e2e/client_python.py)
// call /cairn.test.Echo/Call on xds:///echo.example.com; test backends (tests/e2e/backend.js)
// answer with their id, so the test sees which endpoint the control plane sent them to.
//
// Part 1 (harness, always): the same clients through tests/e2e/fake-xds-server.js. Proves the
//   backends, bootstrap and clients work, independently of cairn; and that the fake's resources
//   pass tests/tools/xds-verify.js.
// Part 2 (cairn, when $CAIRN is set): `cairn serve --source DIR` with an HTTPProxy + Service +
//   Endpoints; both clients must reach backend A; an IN-PLACE edit of the Endpoints file moves
//   them to B; an ATOMIC RENAME moves them back to A; everything cairn served (captured over ADS
//   like a gRPC client and like Envoy) passes xds-verify; SIGTERM stops the daemon.
// Set E2E_TRACE=1 to get the clients' xDS traces in failure output.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');

const L = require('./lib.js');
const { startBackend } = require('./backend.js');
const { startFakeXds } = require('./fake-xds-server.js');
const { captureAds } = require('./ads-capture.js');
const { createVerifier } = require('../tools/xds-verify.js');

const FQDN = 'echo.example.com';
const TARGET = `xds:///${FQDN}`;
const CLIENT_KINDS = ['node', 'python'];

let verifier = null;
async function getVerifier() {
  if (!verifier) verifier = await createVerifier();
  return verifier;
}
async function verifyLines(lines) {
  const v = await getVerifier();
  const { parseLines } = require('../tools/xds-verify.js');
  const problems = [];
  for (const it of parseLines(lines.join('\n'), 'capture')) {
    if (it.error) { problems.push(it.error); continue; }
    for (const p of v.verify(it.typeUrl, it.name, it.buf).problems) problems.push(`${it.name}: ${p.path}: ${p.problem}`);
  }
  return problems;
}

function tmpdir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const py = L.python3();

// Last resort: if anything still holds the event loop 15 s after the last test, say so and exit
// (children are SIGKILLed by lib.js on exit). An unref'd timer fires only if the loop is stuck.
test.after(() => {
  setTimeout(() => {
    process.stderr.write('e2e: handles still open 15 s after the tests; exiting\n');
    process.exit(process.exitCode || 0);
  }, 15000).unref();
});

// ---------------------------------------------------------------------------
// Part 1: harness through the fake xDS server

test('harness: both real clients reach a backend through the fake xDS server', { timeout: 120000 }, async (t) => {
  assert.ok(py.ok, `python3 with grpc (python3-grpcio) not found at ${py.path}`);
  const dir = tmpdir('cairn-e2e-fake-');
  let A = null; let B = null; let x = null;
  const watchers = [];
  t.after(async () => {
    for (const w of watchers) await w.stop(2000);
    for (const s of [x, A, B]) if (s) await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  A = await startBackend('A');
  B = await startBackend('B');
  x = await startFakeXds({ fqdn: FQDN, backendPorts: [A.port] });
  const boot = L.writeBootstrap(path.join(dir, 'bootstrap.json'), x.port);

  // the fake's own resources are valid for Envoy too
  assert.deepStrictEqual(await verifyLines(x.pbLines()), []);

  for (const kind of CLIENT_KINDS) {
    const r = await L.runClientOnce(kind, boot, TARGET, { count: 3 });
    assert.deepStrictEqual(r.ids, { A: 3 }, `${kind}: ${JSON.stringify(r)}\n${r.proc.tail()}`);
  }
  // the clients asked like INTEROP.md says: named LDS for the host, SotW
  const ldsNames = x.requests.filter((q) => q.type.endsWith('.Listener')).map((q) => q.names.join(','));
  assert.ok(ldsNames.every((n) => n === FQDN), JSON.stringify(ldsNames));
  assert.ok(!x.requests.some((q) => q.error), `NACKs: ${JSON.stringify(x.requests.filter((q) => q.error))}`);

  // long-running clients follow an EDS push
  for (const kind of CLIENT_KINDS) watchers.push(L.startWatchClient(kind, boot, TARGET));
  for (const w of watchers) await w.waitStreak('A', { ms: 20000 });
  x.setBackendPorts([B.port]);
  for (const w of watchers) await w.waitStreak('B', { ms: 10000 });
  x.setBackendPorts([A.port]);
  for (const w of watchers) await w.waitStreak('A', { ms: 10000 });
});

test('harness: ads-capture sees the fake\'s resources, and they verify', { timeout: 60000 }, async (t) => {
  let A = null; let x = null;
  t.after(async () => { for (const s of [x, A]) if (s) await s.stop(); });
  A = await startBackend('A');
  x = await startFakeXds({ fqdn: FQDN, backendPorts: [A.port] });
  const cap = await captureAds({ address: `127.0.0.1:${x.port}`, listeners: [FQDN], wildcard: true, quietMs: 500, timeoutMs: 10000 });
  assert.deepStrictEqual(cap.problems, []);
  assert.deepStrictEqual(cap.lines.map((l) => l.split('\t').slice(0, 2).join(' ')), [
    `type.googleapis.com/envoy.config.listener.v3.Listener ${FQDN}`,
    `type.googleapis.com/envoy.config.route.v3.RouteConfiguration ${FQDN}`,
    'type.googleapis.com/envoy.config.cluster.v3.Cluster shop/echo/80/da39a3ee5e',
    'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment shop/echo/80',
  ]);
  assert.deepStrictEqual(await verifyLines(cap.lines), []);
});

// What the real clients require (documents fake-xds-server.js's header comment). Opt-in:
// E2E_REQUIREMENTS=1 (each case waits for failing calls), or E2E_REQUIREMENTS=REGEX for some cases.
// Results are printed as test diagnostics (`# ...` lines); see the summary in fake-xds-server.js.
test('requirements of the real clients (E2E_REQUIREMENTS=1)', { skip: !process.env.E2E_REQUIREMENTS, timeout: 900000 }, async (t) => {
  const only = process.env.E2E_REQUIREMENTS !== '1' ? new RegExp(process.env.E2E_REQUIREMENTS) : null;
  const cases = [
    ['no load_balancing_weight on the locality', { noLocalityWeight: true }],
    ['no locality', { noLocality: true }],
    ['no router filter', { noRouter: true }],
    ['empty eds service_name (CLA named like the cluster)', { serviceName: '' }],
    ['virtual host domain does not match', { domain: 'other.example.com' }],
    ['lb_policy RANDOM', { mutate: (r) => { r.cluster.lb_policy = 'RANDOM'; } }],
    ['lb_policy LEAST_REQUEST', { mutate: (r) => { r.cluster.lb_policy = 'LEAST_REQUEST'; } }],
    ['lb_policy RING_HASH', { mutate: (r) => { r.cluster.lb_policy = 'RING_HASH'; } }],
    ['upstream HTTP/2 typed_extension_protocol_options (as cairn sends for Envoy)', { mutate: (r) => {
      r.cluster.typed_extension_protocol_options = { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } };
    } }],
    ['cors filter before the router', { mutate: (r) => {
      r.hcm.http_filters.unshift({ name: 'envoy.filters.http.cors', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } });
    } }],
    ['cors filter before the router, is_optional', { mutate: (r) => {
      r.hcm.http_filters.unshift({ name: 'envoy.filters.http.cors', is_optional: true, typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } });
    } }],
    ['router not last (router, then fault)', { mutate: (r) => {
      r.hcm.http_filters.push({ name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } });
    } }],
    ['router without typed_config', { mutate: (r) => { delete r.hcm.http_filters[0].typed_config; } }],
    ['HCM without stat_prefix', { mutate: (r) => { delete r.hcm.stat_prefix; } }],
    ['route timeout 10s + retry policy', { mutate: (r) => {
      Object.assign(r.route.virtual_hosts[0].routes[0].route, { timeout: { seconds: 10 }, retry_policy: { retry_on: '5xx', num_retries: { value: 2 } } });
    } }],
    ['typed_per_filter_config for cors on the virtual host', { mutate: (r) => {
      r.route.virtual_hosts[0].typed_per_filter_config = { 'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy', allow_origin_string_match: [{ exact: 'x' }] } };
    } }],
    ['catch-all 421 virtual host after the real one', { mutate: (r) => {
      r.route.virtual_hosts.push({ name: 'misdirected', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 421 } }] });
    } }],
    ['a second route with a direct_response before the real one', { mutate: (r) => {
      r.route.virtual_hosts[0].routes.unshift({ match: { prefix: '/nope' }, direct_response: { status: 503 } });
    } }],
    ['a redirect route (https_redirect) before the real one', { mutate: (r) => {
      r.route.virtual_hosts[0].routes.unshift({ match: { prefix: '/old' }, redirect: { https_redirect: true } });
    } }],
    ['ring_hash with ring_hash_lb_config and a hash_policy', { mutate: (r) => {
      r.cluster.lb_policy = 'RING_HASH'; r.cluster.ring_hash_lb_config = { minimum_ring_size: { value: 1024 } };
      r.route.virtual_hosts[0].routes[0].route.hash_policy = [{ header: { header_name: 'x-user' } }];
    } }],
    ['weighted_clusters (one cluster, weight 100)', { mutate: (r) => {
      const c = r.route.virtual_hosts[0].routes[0].route.cluster;
      r.route.virtual_hosts[0].routes[0].route = { weighted_clusters: { clusters: [{ name: c, weight: { value: 100 } }] } };
    } }],
  ];
  let A = null;
  t.after(async () => { if (A) await A.stop(); });
  A = await startBackend('A');
  for (const [what, variant] of cases) {
    if (only && !only.test(what)) continue;
    const dir = tmpdir('cairn-e2e-req-');
    const x = await startFakeXds({ fqdn: FQDN, backendPorts: [A.port], variant });
    try {
      const boot = L.writeBootstrap(path.join(dir, 'bootstrap.json'), x.port);
      const out = {};
      for (const kind of CLIENT_KINDS) {
        try {
          const r = await L.runClientOnce(kind, boot, TARGET, { count: 1, timeoutMs: 3000 });
          out[kind] = r.ok ? 'works' : `fails: ${Object.keys(r.errors).join('; ')}`;
        } catch (e) {
          out[kind] = `CRASHES/HANGS: ${e.message.split('\n')[0]}`;
        }
      }
      const nacks = [...new Set(x.requests.filter((q) => q.error).map((q) => `${q.type.split('.').pop()}: ${q.error}`))];
      t.diagnostic(`${what}: node ${out.node}; python ${out.python}${nacks.length ? `; NACKs: ${nacks.join(' | ')}` : ''}`);
    } finally {
      await x.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

// ---------------------------------------------------------------------------
// Part 2: cairn serve

const CAIRN = process.env.CAIRN;

function yamlProxy() {
  return `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata:
  name: echo
  namespace: shop
spec:
  virtualhost:
    fqdn: ${FQDN}
  routes:
  - conditions:
    - prefix: /
    services:
    - name: echo
      port: 80
`;
}
function yamlService(targetPort) {
  return `apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: shop
spec:
  ports:
  - name: grpc
    port: 80
    targetPort: ${targetPort}
`;
}
function yamlEndpoints(port) {
  return `apiVersion: v1
kind: Endpoints
metadata:
  name: echo
  namespace: shop
subsets:
- addresses:
  - ip: 127.0.0.1
  ports:
  - name: grpc
    port: ${port}
`;
}

async function startCairn(dir) {
  const xdsPort = await L.freePort();
  const adminPort = await L.freePort();
  const args = ['serve'];
  if (fs.existsSync('/etc/cairn/cairn.yaml')) {
    // stay hermetic: without -c the host's /etc/cairn/cairn.yaml would be read (SPEC §2)
    fs.writeFileSync(path.join(dir, 'cairn.yaml'), 'debounce: 100ms\n');
    args.push('-c', path.join(dir, 'cairn.yaml'));
  }
  args.push('--source', path.join(dir, 'resources'), '--xds', `127.0.0.1:${xdsPort}`, '--admin', `127.0.0.1:${adminPort}`);
  const d = L.start(CAIRN, args, { name: 'cairn-serve', keepStdin: false });
  d.xdsPort = xdsPort;
  d.adminPort = adminPort;
  d.args = args;
  try {
    await L.waitFor(async () => {
      if (d.exited) throw new Error('exited');
      return L.canConnect(xdsPort);
    }, { ms: 15000, every: 100, what: `cairn's xDS port ${xdsPort}` });
  } catch (e) {
    const ex = d.exited ? ` (exited ${JSON.stringify(d.exited)})` : '';
    await d.stop(2000);
    throw new Error(`cairn serve did not come up: ${e.message}${ex}\n$ ${CAIRN} ${args.join(' ')}\n${d.tail()}`);
  }
  // /readyz = first snapshot built (SPEC §9); bounded, best effort (the xDS port is what counts)
  await L.waitFor(async () => {
    const r = await L.httpGet(`http://127.0.0.1:${adminPort}/readyz`, 500);
    return r && r.status === 200;
  }, { ms: 5000, every: 100, what: 'readyz' }).catch(() => {});
  return d;
}

test('cairn serve: real clients follow in-place edits and atomic renames', { skip: !CAIRN ? 'CAIRN not set' : false, timeout: 180000 }, async (t) => {
  assert.ok(fs.existsSync(CAIRN), `CAIRN=${CAIRN} does not exist`);
  assert.ok(py.ok, `python3 with grpc (python3-grpcio) not found at ${py.path}`);
  const dir = tmpdir('cairn-e2e-');
  const res = path.join(dir, 'resources');
  const shop = path.join(res, 'shop');
  fs.mkdirSync(shop, { recursive: true });
  const watchers = [];
  let d = null; let A = null; let B = null;
  let stoppedCleanly = false;
  t.after(async () => {
    for (const w of watchers) await w.stop(2000);
    if (d && !stoppedCleanly) await d.stop(3000);
    for (const s of [A, B]) if (s) await s.stop();
    if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  });
  A = await startBackend('A');
  B = await startBackend('B');
  const epFile = path.join(shop, 'echo-endpoints.yaml');
  fs.writeFileSync(path.join(shop, 'echo-proxy.yaml'), yamlProxy());
  fs.writeFileSync(path.join(shop, 'echo-service.yaml'), yamlService(A.port));
  fs.writeFileSync(epFile, yamlEndpoints(A.port));

  d = await startCairn(dir);
  const boot = L.writeBootstrap(path.join(dir, 'bootstrap.json'), d.xdsPort);
  const ctx = () => `\n$ ${CAIRN} ${d.args.join(' ')}\n${d.tail(60)}`;

  // 1. both clients reach A (one-shot first: clearer failure output)
  for (const kind of CLIENT_KINDS) {
    const r = await L.runClientOnce(kind, boot, TARGET, { count: 3, timeoutMs: 5000 });
    assert.deepStrictEqual(r.ids, { A: 3 }, `${kind} via cairn: ${JSON.stringify({ ids: r.ids, errors: r.errors })}\n${r.proc.tail()}${ctx()}`);
  }

  // 2. what cairn sends passes the official judge
  await t.test('everything served passes xds-verify', async () => {
    const cap = await captureAds({ address: `127.0.0.1:${d.xdsPort}`, listeners: [FQDN], wildcard: true, quietMs: 800, timeoutMs: 15000 });
    assert.deepStrictEqual(cap.problems, [], ctx());
    const types = new Set(cap.lines.map((l) => l.split('\t')[0].split('.').pop()));
    for (const ty of ['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']) assert.ok(types.has(ty), `no ${ty} captured: ${[...types]}`);
    assert.deepStrictEqual(await verifyLines(cap.lines), [], cap.lines.join('\n'));
    t.diagnostic(`captured: ${cap.lines.map((l) => l.split('\t').slice(0, 2).map((x, i) => (i ? x : x.split('.').pop())).join(' ')).join('; ')}`);
  });

  // 3. long-running clients follow file changes
  for (const kind of CLIENT_KINDS) watchers.push(L.startWatchClient(kind, boot, TARGET));
  const follow = async (id, what) => {
    const ms = await Promise.all(watchers.map((w) => w.waitStreak(id, { ms: 10000 })
      .catch((e) => { throw new Error(`${what}: ${e.message}${ctx()}`); })));
    t.diagnostic(`${what}: clients on backend ${id} after ${watchers.map((w, i) => `${CLIENT_KINDS[i]} ${ms[i]} ms`).join(', ')}`);
    // no call failed in between (the old endpoint keeps serving until the new one is pushed)
    for (const [i, w] of watchers.entries()) {
      const errs = w.results.filter((r) => r.error && r.at >= since);
      assert.deepStrictEqual(errs, [], `${CLIENT_KINDS[i]}: calls failed ${what}`);
    }
  };
  let since = Date.now();
  await Promise.all(watchers.map((w) => w.waitStreak('A', { ms: 20000 }).catch((e) => { throw new Error(e.message + ctx()); })));

  // in-place write of the same path (O_TRUNC + write)
  since = Date.now();
  fs.writeFileSync(epFile, yamlEndpoints(B.port));
  await follow('B', 'after an in-place edit');

  // atomic replace: write a temp file (a dotfile, ignored by the source) and rename it over
  since = Date.now();
  const tmp = path.join(shop, '.echo-endpoints.yaml.tmp');
  fs.writeFileSync(tmp, yamlEndpoints(A.port));
  fs.renameSync(tmp, epFile);
  await follow('A', 'after an atomic rename');

  // 4. SIGTERM stops the daemon promptly and cleanly
  for (const w of watchers) await w.stop(2000);
  const ex = await d.stop(10000);
  stoppedCleanly = true;
  assert.ok(!ex.killed, `cairn did not exit within 10 s of SIGTERM${ctx()}`);
  assert.strictEqual(ex.code, 0, `cairn exit after SIGTERM: ${JSON.stringify(ex)}${ctx()}`);
});

// grpc-js NACKs a whole RouteConfiguration that contains any route whose action is not `route`
// (direct_response, redirect): "unsupported action" (see the requirements test). Another site's
// direct response or redirect in the same RouteConfiguration must not take proxyless clients
// of echo.example.com down.
// (Regression: builds that pointed every proxyless Listener at the shared `ingress_http`
// RouteConfiguration failed this: one directResponsePolicy anywhere made grpc-js NACK RDS for
// ALL proxyless clients.)
test('cairn serve: another host\'s direct response does not break proxyless clients', {
  skip: !CAIRN ? 'CAIRN not set' : false,
  timeout: 120000,
}, async (t) => {
  assert.ok(py.ok, `python3 with grpc (python3-grpcio) not found at ${py.path}`);
  const dir = tmpdir('cairn-e2e-dr-');
  const shop = path.join(dir, 'resources', 'shop');
  fs.mkdirSync(shop, { recursive: true });
  let d = null; let A = null;
  t.after(async () => {
    if (d) await d.stop(3000);
    if (A) await A.stop();
    if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  });
  A = await startBackend('A');
  fs.writeFileSync(path.join(shop, 'echo-proxy.yaml'), yamlProxy());
  fs.writeFileSync(path.join(shop, 'echo-service.yaml'), yamlService(A.port));
  fs.writeFileSync(path.join(shop, 'echo-endpoints.yaml'), yamlEndpoints(A.port));
  fs.writeFileSync(path.join(shop, 'static-proxy.yaml'), `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata:
  name: static
  namespace: shop
spec:
  virtualhost:
    fqdn: static.example.com
  routes:
  - conditions:
    - prefix: /
    directResponsePolicy:
      statusCode: 503
      body: maintenance
`);
  d = await startCairn(dir);
  const boot = L.writeBootstrap(path.join(dir, 'bootstrap.json'), d.xdsPort);
  const ctx = () => `\n$ ${CAIRN} ${d.args.join(' ')}\n${d.tail(40)}`;
  for (const kind of CLIENT_KINDS) {
    const r = await L.runClientOnce(kind, boot, TARGET, { count: 2, timeoutMs: 4000 });
    assert.deepStrictEqual(r.ids, { A: 2 }, `${kind} via cairn: ${JSON.stringify({ ids: r.ids, errors: r.errors })}${ctx()}`);
  }
});

// `cairn dump --format pb` (the verifier's input format) judged directly, when available.
test('cairn dump --format pb passes xds-verify', { skip: !CAIRN ? 'CAIRN not set' : false, timeout: 60000 }, async (t) => {
  const dir = tmpdir('cairn-e2e-dump-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const shop = path.join(dir, 'shop');
  fs.mkdirSync(shop, { recursive: true });
  fs.writeFileSync(path.join(shop, 'echo-proxy.yaml'), yamlProxy());
  fs.writeFileSync(path.join(shop, 'echo-service.yaml'), yamlService(50051));
  fs.writeFileSync(path.join(shop, 'echo-endpoints.yaml'), yamlEndpoints(50051));
  const { spawnSync } = require('child_process');
  const r = spawnSync(CAIRN, ['dump', '--source', dir, '--type', 'all', '--format', 'pb'], { encoding: 'utf8', timeout: 30000 });
  if (r.status === 2 && /format|usage|unknown|invalid/i.test(r.stderr || '')) {
    t.skip(`cairn dump --format pb not available: ${(r.stderr || '').trim().split('\n')[0]}`);
    return;
  }
  assert.strictEqual(r.status, 0, `cairn dump exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  assert.ok(lines.length >= 4, `expected at least 4 resources, got:\n${r.stdout}`);
  assert.deepStrictEqual(await verifyLines(lines), []);
});
