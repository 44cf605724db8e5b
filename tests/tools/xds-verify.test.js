// Self-test of tests/tools/xds-verify.js and tests/tools/pgv.js (node:test).
//   NODE_PATH=/path/to/node_modules node --test tests/tools/xds-verify.test.js
// Resources are built with protobufjs from the official protos themselves, then broken on
// purpose; each breakage must be reported with a sensible path.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { spawnSync } = require('child_process');
const { createVerifier, parseLines } = require('./xds-verify.js');
const pgv = require('./pgv.js');

const T = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  cla: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
};
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

let V; // the verifier (loaded once)

function typeOf(url) { return V.typeFromUrl(url); }
function enc(url, obj) {
  const t = typeOf(url);
  const msg = t.fromObject(obj);
  return Buffer.from(t.encode(msg).finish());
}
function check(url, name, buf) { return V.verify(url, name, buf).problems; }
function show(ps) { return ps.map((p) => `${p.path}: ${p.problem}`).join('\n'); }
function expectOne(ps, pathRe, probRe) {
  const hit = ps.filter((p) => pathRe.test(p.path) && probRe.test(p.problem));
  assert.ok(hit.length >= 1, `expected a problem at ${pathRe} matching ${probRe}; got:\n${show(ps)}`);
}
// A varint field 999 = 1 (tag 999<<3|0 = 7992 -> varint 0xb8 0x3e), appended.
const UNKNOWN_999 = Buffer.from([0xb8, 0x3e, 0x01]);

function hcmObj(extra = {}) {
  return {
    '@type': HCM,
    stat_prefix: 'ingress_http',
    rds: { route_config_name: 'ingress_http', config_source: { ads: {}, resource_api_version: 'V3' } },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
    ...extra,
  };
}
function listenerObj() {
  return {
    name: 'ingress_http',
    address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
    filter_chains: [{
      filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcmObj() }],
    }],
  };
}
function apiListenerObj() {
  return { name: 'echo.example.com', api_listener: { api_listener: hcmObj({ stat_prefix: 'echo.example.com' }) } };
}
function routeObj() {
  return {
    name: 'ingress_http',
    virtual_hosts: [{
      name: 'echo.example.com',
      domains: ['echo.example.com'],
      routes: [{ match: { prefix: '/' }, route: { cluster: 'shop/echo/80/da39a3ee5e' } }],
      request_headers_to_add: [{ header: { key: 'x-cairn', value: 'yes' } }],
    }],
  };
}
function clusterObj() {
  return {
    name: 'shop/echo/80/da39a3ee5e',
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'shop/echo/80' },
    connect_timeout: { seconds: 2 },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
  };
}
function claObj() {
  return {
    cluster_name: 'shop/echo/80',
    endpoints: [{
      locality: { region: 'r', zone: 'z' },
      load_balancing_weight: { value: 1 },
      lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 50051 } } } }],
    }],
  };
}

test.before(async () => {
  V = await createVerifier();
});

test('valid resources: 0 problems', () => {
  const cases = [
    [T.listener, 'ingress_http', listenerObj()],
    [T.listener, 'echo.example.com', apiListenerObj()],
    [T.route, 'ingress_http', routeObj()],
    [T.cluster, 'shop/echo/80/da39a3ee5e', clusterObj()],
    [T.cla, 'shop/echo/80', claObj()],
  ];
  for (const [url, name, obj] of cases) {
    const ps = check(url, name, enc(url, obj));
    assert.deepStrictEqual(ps, [], `${name}:\n${show(ps)}`);
  }
});

test('the Any inside is really decoded (json view shows @type)', () => {
  const r = V.verify(T.listener, 'ingress_http', enc(T.listener, listenerObj()));
  const j = V.toJSON(r.type, r.message);
  assert.strictEqual(j.filter_chains[0].filters[0].typed_config['@type'], HCM);
  assert.strictEqual(j.filter_chains[0].filters[0].typed_config.stat_prefix, 'ingress_http');
});

test('unknown field at top level', () => {
  const buf = Buffer.concat([enc(T.cluster, clusterObj()), UNKNOWN_999]);
  const ps = check(T.cluster, 'shop/echo/80/da39a3ee5e', buf);
  expectOne(ps, /^\.$/, /unknown field 999 \(varint\)/);
});

test('unknown field in a nested message', () => {
  // ClusterLoadAssignment.endpoints[0] with an extra field: the scan names the path.
  const t = typeOf(T.cla);
  const lle = t.fields.endpoints.resolvedType;
  const lleBuf = Buffer.concat([Buffer.from(lle.encode(lle.fromObject(claObj().endpoints[0])).finish()), UNKNOWN_999]);
  const head = Buffer.from(t.encode(t.fromObject({ cluster_name: 'shop/echo/80' })).finish());
  const protobuf = require('protobufjs');
  const field = Buffer.from(protobuf.Writer.create().uint32((t.fields.endpoints.id << 3) | 2).bytes(lleBuf).finish());
  const buf = Buffer.concat([head, field]);
  const ps = check(T.cla, 'shop/echo/80', buf);
  expectOne(ps, /^endpoints\[0\]$/, /unknown field 999/);
});

test('unknown field inside an Any (HCM typed_config)', () => {
  const hcmT = V.typeFromUrl(HCM);
  const h = hcmObj(); delete h['@type'];
  const hcmBuf = Buffer.concat([Buffer.from(hcmT.encode(hcmT.fromObject(h)).finish()), UNKNOWN_999]);
  const l = listenerObj();
  l.filter_chains[0].filters[0].typed_config = { type_url: HCM, value: hcmBuf };
  // fromObject with type_url/value (no @type) keeps the raw bytes
  const ps = check(T.listener, 'ingress_http', enc(T.listener, l));
  expectOne(ps, /^filter_chains\[0\]\.filters\[0\]\.typed_config<HttpConnectionManager>$/, /unknown field 999/);
  assert.strictEqual(ps.length, 1, show(ps));
});

test('Any with a type that is not in the official protos', () => {
  const l = listenerObj();
  l.filter_chains[0].filters[0].typed_config = { type_url: 'type.googleapis.com/cairn.NoSuchThing', value: Buffer.alloc(0) };
  const ps = check(T.listener, 'ingress_http', enc(T.listener, l));
  expectOne(ps, /typed_config\.type_url$/, /not a message in the official protos/);
});

test('unknown resource type URL', () => {
  const ps = check('type.googleapis.com/envoy.config.listener.v3.Nope', 'x', Buffer.alloc(0));
  expectOne(ps, /^\.$/, /not a message in the official protos/);
});

test('duplicate singular field: re-encoded length differs', () => {
  const one = enc(T.cluster, { name: 'a' });
  const buf = Buffer.concat([enc(T.cluster, clusterObj()), one]);
  const ps = check(T.cluster, 'a', buf);
  expectOne(ps, /^\.$/, /re-encoded Cluster is \d+ bytes, input is \d+ bytes/);
});

test('malformed (truncated) input', () => {
  const buf = enc(T.cluster, clusterObj());
  const ps = check(T.cluster, 'shop/echo/80/da39a3ee5e', buf.subarray(0, buf.length - 3));
  assert.ok(ps.length >= 1 && /malformed|cannot decode/.test(ps[0].problem), show(ps));
});

test('invalid UTF-8 in a string field', () => {
  // name = "\xff" written by hand: tag 1 len 1 0xff
  const buf = Buffer.from([0x0a, 0x01, 0xff]);
  const ps = check(T.cluster, '\ufffd', buf);
  expectOne(ps, /^name$/, /not valid UTF-8/);
});

test('resource name differs from the listed name', () => {
  const ps = check(T.listener, 'other', enc(T.listener, listenerObj()));
  expectOne(ps, /^name$/, /listed as "other"/);
});

test('Listener.name has no PGV rule: an empty name is only a listing mismatch', () => {
  const l = listenerObj(); l.name = '';
  assert.deepStrictEqual(check(T.listener, '', enc(T.listener, l)), []);
});

test('PGV: VirtualHost with empty domains', () => {
  const r = routeObj(); r.virtual_hosts[0].domains = [];
  const ps = check(T.route, 'ingress_http', enc(T.route, r));
  expectOne(ps, /^virtual_hosts\[0\]\.domains$/, /at least 1 item/);
});

test('PGV: VirtualHost with empty name', () => {
  const r = routeObj(); r.virtual_hosts[0].name = '';
  const ps = check(T.route, 'ingress_http', enc(T.route, r));
  expectOne(ps, /^virtual_hosts\[0\]\.name$/, /at least 1 characters/);
});

test('PGV: Route without action (oneof required)', () => {
  const r = routeObj(); delete r.virtual_hosts[0].routes[0].route;
  const ps = check(T.route, 'ingress_http', enc(T.route, r));
  expectOne(ps, /^virtual_hosts\[0\]\.routes\[0\]\.action$/, /oneof is required/);
});

test('PGV: RouteMatch without path_specifier; message.required match', () => {
  const r = routeObj(); r.virtual_hosts[0].routes[0].match = {};
  let ps = check(T.route, 'ingress_http', enc(T.route, r));
  expectOne(ps, /^virtual_hosts\[0\]\.routes\[0\]\.match\.path_specifier$/, /oneof is required/);
  delete r.virtual_hosts[0].routes[0].match;
  ps = check(T.route, 'ingress_http', enc(T.route, r));
  expectOne(ps, /^virtual_hosts\[0\]\.routes\[0\]\.match$/, /is required/);
});

test('PGV: RouteAction.cluster empty (string min_len inside oneof member that is set)', () => {
  const r = routeObj(); r.virtual_hosts[0].routes[0].route = { cluster: '' };
  // protobufjs does not write an empty string... unless it is a oneof member: it is (cluster_specifier).
  const ps = check(T.route, 'ingress_http', enc(T.route, r));
  expectOne(ps, /routes\[0\]\.route\.cluster$/, /at least 1 characters/);
});

test('PGV: header key with a newline (HTTP_HEADER_NAME, loose)', () => {
  const r = routeObj(); r.virtual_hosts[0].request_headers_to_add[0].header.key = 'x-bad\nname';
  const ps = check(T.route, 'ingress_http', enc(T.route, r));
  expectOne(ps, /request_headers_to_add\[0\]\.header\.key$/, /valid HTTP header name/);
});

test('PGV: Cluster connect_timeout 0s', () => {
  const c = clusterObj(); c.connect_timeout = {};
  const ps = check(T.cluster, 'shop/echo/80/da39a3ee5e', enc(T.cluster, c));
  expectOne(ps, /^connect_timeout$/, /must be > 0s/);
});

test('PGV: Cluster with a negative/invalid duration', () => {
  const c = clusterObj(); c.connect_timeout = { seconds: 1, nanos: -5 };
  const ps = check(T.cluster, 'shop/echo/80/da39a3ee5e', enc(T.cluster, c));
  expectOne(ps, /^connect_timeout$/, /not a valid duration/);
});

test('PGV: undefined enum value (Cluster.lb_policy = 99)', () => {
  const c = clusterObj(); c.lb_policy = 99;
  const ps = check(T.cluster, 'shop/echo/80/da39a3ee5e', enc(T.cluster, c));
  expectOne(ps, /^lb_policy$/, /99 is not defined in enum LbPolicy/);
});

test('PGV: wrapper rule (LocalityLbEndpoints.load_balancing_weight >= 1)', () => {
  const c = claObj(); c.endpoints[0].load_balancing_weight = { value: 0 };
  const ps = check(T.cla, 'shop/echo/80', enc(T.cla, c));
  expectOne(ps, /^endpoints\[0\]\.load_balancing_weight$/, /must be >= 1, got 0/);
});

test('PGV: port_value out of range (uint32 lte 65535)', () => {
  const c = claObj(); c.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 70000;
  const ps = check(T.cla, 'shop/echo/80', enc(T.cla, c));
  expectOne(ps, /socket_address\.port_value$/, /<= 65535/);
});

test('PGV: rules apply inside an Any (HCM stat_prefix empty; router filter name empty)', () => {
  const l = listenerObj();
  l.filter_chains[0].filters[0].typed_config.stat_prefix = '';
  l.filter_chains[0].filters[0].typed_config.http_filters[0].name = '';
  const ps = check(T.listener, 'ingress_http', enc(T.listener, l));
  expectOne(ps, /typed_config<HttpConnectionManager>\.stat_prefix$/, /at least 1 characters/);
  expectOne(ps, /typed_config<HttpConnectionManager>\.http_filters\[0\]\.name$/, /at least 1 characters/);
});

test('PGV: HCM without route_specifier (oneof required inside an Any)', () => {
  const l = listenerObj();
  delete l.filter_chains[0].filters[0].typed_config.rds;
  const ps = check(T.listener, 'ingress_http', enc(T.listener, l));
  expectOne(ps, /typed_config<HttpConnectionManager>\.route_specifier$/, /oneof is required/);
});

test('PGV: ConfigSource without config_source_specifier', () => {
  const c = clusterObj(); c.eds_cluster_config.eds_config = { resource_api_version: 'V3' };
  const ps = check(T.cluster, 'shop/echo/80/da39a3ee5e', enc(T.cluster, c));
  expectOne(ps, /^eds_cluster_config\.eds_config\.config_source_specifier$/, /oneof is required/);
});

test('pgv regexes follow PGV (strict header name/value)', () => {
  assert.ok(pgv.RE_HEADER_NAME.test('x-foo'));
  assert.ok(pgv.RE_HEADER_NAME.test(':authority'));
  assert.ok(!pgv.RE_HEADER_NAME.test('x foo'));
  assert.ok(!pgv.RE_HEADER_NAME.test(''));
  assert.ok(pgv.RE_HEADER_VALUE.test('a b\tc'));
  assert.ok(!pgv.RE_HEADER_VALUE.test('a\nb'));
  assert.ok(!pgv.RE_HEADER_VALUE.test('a\u007fb'));
  assert.ok(pgv.RE_HEADER_LOOSE.test('a b\u0001'));
  assert.ok(!pgv.RE_HEADER_LOOSE.test('a\rb'));
  assert.ok(pgv.isHostname('echo.example.com'));
  assert.ok(!pgv.isHostname('-bad.example.com'));
});

test('input parsing', () => {
  const items = parseLines(`# c\n${T.cluster}\tx\tCgF4\n\nbad line\n${T.cluster}\ty\t@@@\n`, 'in');
  assert.strictEqual(items.length, 3);
  assert.strictEqual(items[0].name, 'x');
  assert.strictEqual(items[0].buf.toString('hex'), '0a0178');
  assert.match(items[1].error, /^in:4: expected TYPE_URL<TAB>NAME<TAB>BASE64/);
  assert.match(items[2].error, /invalid base64/);
});

test('CLI: summary line, problem lines, exit codes, --json', () => {
  const good = `${T.cluster}\tshop/echo/80/da39a3ee5e\t${enc(T.cluster, clusterObj()).toString('base64')}\n`;
  const c = clusterObj(); c.connect_timeout = {};
  const bad = `${T.cluster}\tshop/echo/80/da39a3ee5e\t${enc(T.cluster, c).toString('base64')}\n`;
  const cli = path.join(__dirname, 'xds-verify.js');
  let r = spawnSync(process.execPath, [cli], { input: good, encoding: 'utf8', timeout: 60000 });
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^xds-verify: 1 resources, 0 problems$/m);
  r = spawnSync(process.execPath, [cli, '-'], { input: good + bad, encoding: 'utf8', timeout: 60000 });
  assert.strictEqual(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^shop\/echo\/80\/da39a3ee5e: connect_timeout: must be > 0s, got 0s$/m);
  assert.match(r.stdout, /^xds-verify: 2 resources, 1 problems$/m);
  r = spawnSync(process.execPath, [cli, '--json'], { input: good, encoding: 'utf8', timeout: 60000 });
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf('xds-verify:')));
  assert.strictEqual(doc.resource.type, 'EDS');
  assert.strictEqual(doc.resource.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']['@type'],
    'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
});
