// `cairn bootstrap` (SPEC.md §2) judged by Envoy's OFFICIAL protos: the JSON is read strictly as
// proto3 JSON for envoy.config.bootstrap.v3.Bootstrap (every key a field, enums defined, Anys
// resolved by their @type), encoded with protobufjs, then run through tests/tools/xds-verify.js
// (wire scan, round trip, protoc-gen-validate rules inside every Any): what Envoy checks before
// it starts. Variants: SotW, delta, mTLS, unix socket, names and IPv6. Run by bootstrap.sh.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createVerifier } = require('../tools/xds-verify.js');

const CAIRN = process.env.CAIRN || path.join(__dirname, '..', '..', 'cairn');
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const T = { timeout: 120000 };

let verifier = null;
async function judge() {
  if (!verifier) verifier = await createVerifier();
  return verifier;
}

function cairn(args, opts = {}) {
  const r = spawnSync(CAIRN, ['bootstrap', ...args], { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`cannot run ${CAIRN}: ${r.error.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value',
  'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => `google.protobuf.${n}`));

function parseDuration(s, p, problems) {
  const m = typeof s === 'string' && /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(s);
  if (!m) {
    problems.push(`${p}: ${JSON.stringify(s)} is not a proto3 JSON Duration ("5s", "0.250s")`);
    return {};
  }
  const sign = m[1] ? -1 : 1;
  return { seconds: sign * Number(m[2]), nanos: sign * Number((m[3] || '').padEnd(9, '0')) };
}

// google.protobuf.Value / Struct: any JSON value / object in proto3 JSON (the runtime's
// static_layer). protobufjs's own copy of struct.proto has camelCase field names.
function valueFromJson(x) {
  if (x === null) return { nullValue: 0 };
  if (typeof x === 'number') return { numberValue: x };
  if (typeof x === 'string') return { stringValue: x };
  if (typeof x === 'boolean') return { boolValue: x };
  if (Array.isArray(x)) return { listValue: { values: x.map(valueFromJson) } };
  return { structValue: structFromJson(x) };
}
function structFromJson(x) {
  return { fields: Object.fromEntries(Object.entries(x).map(([k, v]) => [k, valueFromJson(v)])) };
}

// Reads proto3 JSON as message `type` strictly, into the plain object protobufjs's fromObject
// takes. Anything Envoy's JSON parser would refuse is a problem.
function fromProto3Json(root, type, json, p, problems) {
  const full = type.fullName.replace(/^\./, '');
  if (full === 'google.protobuf.Duration') return parseDuration(json, p, problems);
  if (full === 'google.protobuf.Struct') {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      problems.push(`${p}: expected a JSON object for a Struct, got ${JSON.stringify(json)}`);
      return {};
    }
    return structFromJson(json);
  }
  if (WRAPPERS.has(full)) return { value: json };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    problems.push(`${p}: expected a ${full} object, got ${JSON.stringify(json)}`);
    return {};
  }
  if (full === 'google.protobuf.Any') {
    const url = json['@type'];
    if (typeof url !== 'string' || !url.startsWith('type.googleapis.com/')) {
      problems.push(`${p}: an Any needs "@type": "type.googleapis.com/..."`);
      return {};
    }
    let inner;
    try {
      inner = root.lookupType(url.substring(url.lastIndexOf('/') + 1));
    } catch (e) {
      problems.push(`${p}: @type ${url} is not an official message`);
      return {};
    }
    const rest = Object.assign({}, json);
    delete rest['@type'];
    const obj = fromProto3Json(root, inner, rest, `${p}<${inner.name}>`, problems);
    const err = inner.verify(obj);
    if (err) problems.push(`${p}: ${err}`);
    return { type_url: url, value: Buffer.from(inner.encode(inner.fromObject(obj)).finish()) };
  }
  const out = {};
  const oneofs = {};
  for (const [k, v] of Object.entries(json)) {
    const f = type.fields[k];
    const fp = p ? `${p}.${k}` : k;
    if (!f) {
      problems.push(`${fp}: ${full} has no field "${k}"`);
      continue;
    }
    f.resolve();
    if (f.partOf) {
      if (oneofs[f.partOf.name]) problems.push(`${fp}: oneof ${f.partOf.name} already set by ${oneofs[f.partOf.name]}`);
      oneofs[f.partOf.name] = k;
    }
    const one = (x, xp) => {
      const rt = f.resolvedType;
      if (rt && rt.fieldsArray !== undefined) return fromProto3Json(root, rt, x, xp, problems);
      if (rt && rt.values) {
        if (typeof x !== 'string') return x;
        if (rt.values[x] === undefined) problems.push(`${xp}: ${x} is not a value of ${rt.name}`);
        return rt.values[x];
      }
      return x;
    };
    if (f.map) {
      out[k] = Object.fromEntries(Object.entries(v).map(([mk, mv]) => [mk, one(mv, `${fp}[${mk}]`)]));
    } else if (f.repeated) {
      if (!Array.isArray(v)) problems.push(`${fp}: expected a list`);
      else out[k] = v.map((x, i) => one(x, `${fp}[${i}]`));
    } else {
      out[k] = one(v, fp);
    }
  }
  return out;
}

// Runs `cairn bootstrap args`, checks it like Envoy would, returns the parsed JSON and the
// decoded official message.
async function bootstrap(args) {
  const r = cairn(args);
  assert.equal(r.code, 0, `cairn bootstrap ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  const json = JSON.parse(r.stdout);
  const v = await judge();
  const type = v.root.lookupType(BOOTSTRAP);
  const problems = [];
  const obj = fromProto3Json(v.root, type, json, '', problems);
  assert.deepEqual(problems, [], 'proto3 JSON problems');
  assert.equal(type.verify(obj), null);
  const buf = Buffer.from(type.encode(type.fromObject(obj)).finish());
  const out = v.verify(`type.googleapis.com/${BOOTSTRAP}`, '', buf);
  assert.deepEqual(out.problems.map((x) => `${x.path}: ${x.problem}`), [], 'official protos and PGV rules');
  return { json, msg: type.toObject(out.message, { longs: String, enums: String, defaults: false }) };
}

function cluster(json, name) {
  return json.static_resources.clusters.find((c) => c.name === name);
}

// What every variant shares: ADS for CDS and LDS, the admin on a unix socket only, the health
// listener routed to it.
function assertCommon(json) {
  assert.deepEqual(json.dynamic_resources.cds_config, { ads: {}, resource_api_version: 'V3' });
  assert.deepEqual(json.dynamic_resources.lds_config, { ads: {}, resource_api_version: 'V3' });
  const ads = json.dynamic_resources.ads_config;
  assert.equal(ads.transport_api_version, 'V3');
  assert.equal(ads.set_node_on_first_message_only, true);
  assert.deepEqual(ads.grpc_services, [{ envoy_grpc: { cluster_name: 'cairn' } }]);
  const c = cluster(json, 'cairn');
  const http = c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  assert.equal(http['@type'], 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
  assert.ok(http.explicit_http_config.http2_protocol_options.connection_keepalive.interval);
  assert.ok(c.connect_timeout);
  // Admin: a unix socket, never TCP.
  assert.deepEqual(Object.keys(json.admin.address), ['pipe']);
  const sock = json.admin.address.pipe.path;
  const admin = cluster(json, 'envoy-admin');
  assert.equal(admin.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.pipe.path, sock);
  const health = json.static_resources.listeners.find((l) => l.name === 'health');
  assert.deepEqual(health.address, { socket_address: { address: '0.0.0.0', port_value: 8002 } });
  const hcm = health.filter_chains[0].filters[0].typed_config;
  const routes = hcm.route_config.virtual_hosts[0].routes;
  assert.deepEqual(routes.map((r) => r.match.path), ['/ready', '/stats/prometheus']);
  for (const r of routes) assert.equal(r.route.cluster, 'envoy-admin');
  assert.equal(hcm.http_filters.at(-1)['@type'] || hcm.http_filters.at(-1).typed_config['@type'],
    'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router');
  // Envoy's RE2 limit is cairn's (SPEC §8), in a static runtime layer; the admin layer stays.
  assert.deepEqual(json.layered_runtime.layers.map((l) => l.name), ['static', 'admin']);
  assert.equal(typeof json.layered_runtime.layers[0].static_layer['re2.max_program_size.error_level'], 'number');
  assert.deepEqual(json.layered_runtime.layers[1].admin_layer, {});
}

test('SotW: GRPC ADS to a TCP address; node; static cairn cluster over HTTP/2', T, async () => {
  const { json, msg } = await bootstrap(['--sotw', '--node-id', 'edge-1', '--node-cluster', 'edge', '--xds', '127.0.0.1:18000']);
  assertCommon(json);
  assert.deepEqual(json.node, { id: 'edge-1', cluster: 'edge' });
  assert.equal(json.dynamic_resources.ads_config.api_type, 'GRPC');
  const c = cluster(json, 'cairn');
  assert.equal(c.type, 'STATIC');
  assert.deepEqual(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address,
    { socket_address: { address: '127.0.0.1', port_value: 18000 } });
  assert.equal(c.transport_socket, undefined);
  assert.equal(msg.dynamic_resources.ads_config.api_type, 'GRPC');
});

test('delta: DELTA_GRPC by default and with --delta', T, async () => {
  for (const args of [[], ['--delta'], ['--sotw', '--delta']]) {
    const { json } = await bootstrap([...args, '--xds', '127.0.0.1:18000', '--node-id', 'n']);
    assertCommon(json);
    assert.equal(json.dynamic_resources.ads_config.api_type, 'DELTA_GRPC');
  }
});

test('mTLS: an UpstreamTlsContext with the given files; SNI for a name', T, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bootstrap-'));
  try {
    const f = {};
    for (const n of ['ca.pem', 'cert.pem', 'key.pem']) {
      f[n] = path.join(dir, n);
      fs.writeFileSync(f[n], 'x');
    }
    const tls = ['--xds-ca', f['ca.pem'], '--xds-cert', f['cert.pem'], '--xds-key', f['key.pem']];
    for (const [xds, type, sni] of [['10.0.0.5:18000', 'STATIC', undefined], ['cairn.example.net:18000', 'STRICT_DNS', 'cairn.example.net']]) {
      for (const mode of ['--sotw', '--delta']) {
        const { json, msg } = await bootstrap([mode, '--xds', xds, '--node-id', 'n', ...tls]);
        assertCommon(json);
        const c = cluster(json, 'cairn');
        assert.equal(c.type, type);
        const ts = c.transport_socket;
        assert.equal(ts.typed_config['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
        const ctx = ts.typed_config.common_tls_context;
        assert.deepEqual(ctx.tls_certificates, [{ certificate_chain: { filename: f['cert.pem'] }, private_key: { filename: f['key.pem'] } }]);
        assert.deepEqual(ctx.validation_context.trusted_ca, { filename: f['ca.pem'] });
        assert.equal(ts.typed_config.sni, sni);
        assert.ok(msg.static_resources.clusters[0].transport_socket.typed_config.value.length > 0);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('addresses: unix socket, IPv6, any-address, a name; from cairn.yaml or --xds', T, async () => {
  let c = cluster((await bootstrap(['--xds', 'unix:/run/cairn/xds.sock'])).json, 'cairn');
  assert.equal(c.type, 'STATIC');
  assert.deepEqual(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address, { pipe: { path: '/run/cairn/xds.sock' } });
  assert.equal(c.upstream_connection_options, undefined);
  c = cluster((await bootstrap(['--xds', '[::1]:18000'])).json, 'cairn');
  assert.deepEqual(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '::1', port_value: 18000 });
  c = cluster((await bootstrap(['--xds', '0.0.0.0:18000'])).json, 'cairn');
  assert.equal(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address, '127.0.0.1');
  c = cluster((await bootstrap(['--xds', 'xds.internal:9000'])).json, 'cairn');
  assert.equal(c.type, 'STRICT_DNS');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bootstrap-'));
  try {
    const cfg = path.join(dir, 'cairn.yaml');
    fs.writeFileSync(cfg, 'xds:\n  address: 127.0.0.2:19000\n');
    c = cluster((await bootstrap(['-c', cfg])).json, 'cairn');
    assert.deepEqual(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '127.0.0.2', port_value: 19000 });
    c = cluster((await bootstrap(['-c', cfg, '--xds', '127.0.0.3:19001'])).json, 'cairn');
    assert.equal(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 19001);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runtime: re2.max_program_size.error_level is envoy.regex-max-program-size (default 1000)', T, async () => {
  const level = (r) => r.json.layered_runtime.layers[0].static_layer['re2.max_program_size.error_level'];
  // As Envoy decodes it: the number survives the official Bootstrap's wire form.
  const decoded = (r) => r.msg.layered_runtime.layers[0].static_layer.fields['re2.max_program_size.error_level'].numberValue;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bootstrap-'));
  try {
    const empty = path.join(dir, 'empty.yaml');
    fs.writeFileSync(empty, '');
    let r = await bootstrap(['-c', empty, '--xds', '127.0.0.1:18000']);
    assert.equal(level(r), 1000);
    assert.equal(decoded(r), 1000);
    const cfg = path.join(dir, 'cairn.yaml');
    fs.writeFileSync(cfg, 'envoy:\n  regex-max-program-size: 5000\n');
    r = await bootstrap(['-c', cfg, '--xds', '127.0.0.1:18000']);
    assert.equal(level(r), 5000);
    assert.equal(decoded(r), 5000);
    fs.writeFileSync(cfg, 'envoy:\n  regex-max-program-size: 0\n');
    const bad = cairn(['-c', cfg, '--xds', '127.0.0.1:18000']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cairn\.yaml:2:27: .*regex-max-program-size must be at least 1/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-o writes the file; usage errors exit 2 with a message', T, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bootstrap-'));
  try {
    const out = path.join(dir, 'envoy.json');
    let r = cairn(['--xds', '127.0.0.1:18000', '--node-id', 'n', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const direct = cairn(['--xds', '127.0.0.1:18000', '--node-id', 'n']);
    assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), JSON.parse(direct.stdout));
    assert.deepEqual(fs.readdirSync(dir), ['envoy.json']);

    r = cairn(['--xds-ca', out]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /all of --xds-ca, --xds-cert and --xds-key/);
    r = cairn(['--xds-ca', out, '--xds-cert', out, '--xds-key', path.join(dir, 'missing.pem')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--xds-key .*missing\.pem: No such file/);
    r = cairn(['--xds', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /xDS address "nope"/);
    r = cairn(['--xds', '127.0.0.1:0']);
    assert.equal(r.code, 2);
    r = cairn(['extra']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unexpected argument "extra"/);
    r = cairn(['-o', path.join(dir, 'no', 'such', 'dir.json'), '--xds', '127.0.0.1:1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no\/such/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-o into a missing or unwritable directory names the directory, not a temporary file', T, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-bootstrap-'));
  try {
    const missing = path.join(dir, 'run', 'envoy');
    let r = cairn(['-o', path.join(missing, 'bootstrap.json'), '--xds', '127.0.0.1:1']);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`directory ${missing} does not exist (create it first: mkdir -p ${missing})`), r.stderr);
    assert.doesNotMatch(r.stderr, /\.tmp\./);
    // What README's Envoy section does: create the directory, then -o works.
    fs.mkdirSync(missing, { recursive: true });
    r = cairn(['-o', path.join(missing, 'bootstrap.json'), '--xds', '127.0.0.1:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(missing), ['bootstrap.json']);
    // A file where the directory should be.
    fs.writeFileSync(path.join(dir, 'plain'), '');
    r = cairn(['-o', path.join(dir, 'plain', 'b.json'), '--xds', '127.0.0.1:1']);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`${path.join(dir, 'plain')} is not a directory`), r.stderr);
    if (process.getuid() !== 0) {
      fs.chmodSync(missing, 0o500);
      r = cairn(['-o', path.join(missing, 'again.json'), '--xds', '127.0.0.1:1']);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(`directory ${missing}: Permission denied`), r.stderr);
      fs.chmodSync(missing, 0o700);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the judge itself refuses what Envoy would refuse', T, async () => {
  const v = await judge();
  const type = v.root.lookupType(BOOTSTRAP);
  const problems = [];
  fromProto3Json(v.root, type, { node: { idd: 'x' }, admin: { address: { pipe: { path: '/a' } } },
    static_resources: { clusters: [{ name: 'c', connect_timeout: 'five' }] } }, '', problems);
  assert.equal(problems.length, 2, problems.join('\n'));
  // PGV: a cluster without a name and a zero connect_timeout.
  const obj = { static_resources: { clusters: [{ connect_timeout: { seconds: '0' } }] } };
  const buf = Buffer.from(type.encode(type.fromObject(obj)).finish());
  const out = v.verify(`type.googleapis.com/${BOOTSTRAP}`, '', buf);
  assert.ok(out.problems.length >= 1, 'PGV problems expected');
});
