// The real daemon, judged live: `cairn serve` on examples/quickstart, a scripted SotW client
// subscribes to everything it offers (wildcard LDS/CDS, then the RDS/EDS names they reference,
// then the proxyless api_listeners by name), and every resource it receives must decode with
// Envoy's official protos with zero unknown bytes and pass their validation rules.
// Also: a YAML edit reaches the open stream, and a broken file keeps the last good version.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { AdsClient } = require('./lib/ads-client');
const { startServe, copyTree } = require('./lib/serve');
const { createVerifier } = require('../tools/xds-verify.js');

const T = { timeout: 60000 };
const quickstart = path.join(process.env.top_srcdir, 'examples', 'quickstart');

let verifier;
test.before(async () => { verifier = await createVerifier(); });

function judge(resp) {
  for (const r of resp.resources) {
    const v = verifier.verify(r.type_url, r.name, r.bytes);
    assert.deepEqual(v.problems, [], `${r.name}: official protos found problems`);
  }
}

// Asks for type with names, ACKs, and returns the response.
async function fetch(s, type, names) {
  s.send({ type, names });
  const r = await s.next();
  assert.equal(r.type, type);
  judge(r);
  s.ack(r);
  return r;
}

function rdsNames(lds) {
  const out = new Set();
  for (const l of lds.resources) {
    const chains = l.message.filter_chains || [];
    for (const fc of chains) {
      for (const f of fc.filters || []) out.add(decodeHcm(f.typed_config).rds.route_config_name);
    }
    if (l.message.api_listener) out.add(decodeHcm(l.message.api_listener.api_listener).rds.route_config_name);
  }
  return [...out].sort();
}

function decodeHcm(any) {
  const { decodeAny } = require('./lib/ads-client');
  return decodeAny(any).message;
}

test('every resource cairn serve sends passes the official protos', T, async () => {
  const srv = await startServe([quickstart]);
  const client = new AdsClient(srv.xds);
  try {
    const s = client.sotw({ id: 'judge', cluster: 'test' });
    const lds = await fetch(s, 'lds', []);
    assert.deepEqual(lds.names, ['ingress_http'], 'wildcard LDS: only the Envoy listener');
    const cds = await fetch(s, 'cds', []);
    assert.equal(cds.resources.length, 4);
    const eds = await fetch(s, 'eds', cds.resources.map((c) => c.message.eds_cluster_config.service_name));
    assert.equal(eds.resources.length, 4);
    for (const cla of eds.resources) {
      for (const le of cla.message.endpoints) {
        assert.ok(le.locality, `${cla.name}: locality`);
        assert.ok(le.load_balancing_weight, `${cla.name}: load_balancing_weight`);
      }
    }
    const named = await fetch(s, 'lds', ['ingress_http', 'shop.example.com', 'blog.example.com']);
    assert.deepEqual(named.names.sort(), ['blog.example.com', 'ingress_http', 'shop.example.com']);
    // Envoy's listener reads ingress_http (every host); each proxyless host reads its own
    // RouteConfiguration, so one host's direct responses cannot break another's gRPC clients.
    const rds = await fetch(s, 'rds', rdsNames(named));
    assert.deepEqual(rds.names.sort(), ['blog.example.com', 'ingress_http', 'shop.example.com']);
    const vhosts = (name) => rds.resources.find((r) => r.name === name).message.virtual_hosts.map((v) => v.name);
    assert.deepEqual(vhosts('ingress_http'), ['blog.example.com', 'shop.example.com']);
    assert.deepEqual(vhosts('shop.example.com'), ['shop.example.com']);
  } finally {
    client.close();
    const st = await srv.stop();
    assert.equal(st.code, 0, `cairn serve exit ${st.code}; stderr:\n${srv.stderr()}`);
  }
});

test('edits reach an open stream; a broken file keeps its last good version', T, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-serve-'));
  copyTree(quickstart, dir);
  const srv = await startServe([dir]);
  const client = new AdsClient(srv.xds);
  const services = path.join(dir, 'shop', 'services.yaml');
  try {
    const s = client.sotw({ id: 'edits', cluster: 'test' });
    const eds = await fetch(s, 'eds', ['shop/storefront/http']);
    const addr = (r) => r.resources[0].message.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    assert.equal(addr(eds).port_value, 9001);

    // In-place write.
    fs.writeFileSync(services, fs.readFileSync(services, 'utf8').replace('port: 9001', 'port: 9011'));
    const moved = await s.next(5000);
    judge(moved);
    assert.equal(addr(moved).port_value, 9011);
    s.ack(moved);

    // A typo: nothing is pushed, the error is logged with its position.
    fs.writeFileSync(services, fs.readFileSync(services, 'utf8').replace('subsets:', 'subsetz:'));
    await s.expectNone(800);
    await srv.waitForLog(/shop\/services\.yaml:\d+:\d+: error: .*unknown field "subsetz"/, 5000);

    // Atomic rename of a fixed file: pushed again.
    const tmp = path.join(dir, 'shop', '.services.yaml.tmp');
    fs.writeFileSync(tmp, fs.readFileSync(services, 'utf8').replace('subsetz:', 'subsets:').replace('port: 9011', 'port: 9021'));
    fs.renameSync(tmp, services);
    const back = await s.next(5000);
    assert.equal(addr(back).port_value, 9021);
  } finally {
    client.close();
    const st = await srv.stop();
    assert.equal(st.code, 0, `cairn serve exit ${st.code}; stderr:\n${srv.stderr()}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGHUP reloads the config file; a broken one is refused and the old one kept', T, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-hup-'));
  const cfg = path.join(dir, 'cairn.yaml');
  fs.writeFileSync(cfg, 'envoy:\n  http: {port: 8080}\n');
  const srv = await startServe(['-c', cfg, quickstart]);
  const client = new AdsClient(srv.xds);
  const port = (r) => r.resources[0].message.address.socket_address.port_value;
  try {
    const s = client.sotw({ id: 'hup', cluster: 'test' });
    const lds = await fetch(s, 'lds', []);
    assert.equal(port(lds), 8080);

    fs.writeFileSync(cfg, 'envoy:\n  http: {port: 8081}\n');
    srv.signal('SIGHUP');
    const moved = await s.next(5000);
    judge(moved);
    assert.equal(port(moved), 8081);
    s.ack(moved);

    fs.writeFileSync(cfg, 'envoy:\n  http: {prot: 8082}\n');
    srv.signal('SIGHUP');
    await srv.waitForLog(/cairn\.yaml:2:\d+: error: .*unknown field "prot"/, 5000);
    await srv.waitForLog(/keeping the running configuration/, 5000);
    await s.expectNone(500);
  } finally {
    client.close();
    const st = await srv.stop();
    assert.equal(st.code, 0, `cairn serve exit ${st.code}; stderr:\n${srv.stderr()}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cairn status shows what the running daemon serves, with located problems', T, async () => {
  const { spawnSync } = require('node:child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-status-'));
  copyTree(quickstart, dir);
  fs.writeFileSync(path.join(dir, 'shop', 'broken.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  portz: []\n');
  const srv = await startServe([dir]);
  try {
    // Exit 1: the daemon reports errors in its input (README, exit codes).
    const st1 = spawnSync(process.env.CAIRN, ['status', '--admin', srv.admin], { encoding: 'utf8' });
    assert.equal(st1.status, 1, `cairn status exit ${st1.status}: ${st1.stderr}`);
    const text = st1.stdout;
    assert.match(text, /: ready\n/);
    assert.match(text, /objects: 10, 10 valid, 0 invalid, 0 orphaned/);
    assert.match(text, /shop\/broken\.yaml:5:3: error: .*unknown field "portz"/);
    const st2 = spawnSync(process.env.CAIRN, ['status', '--admin', srv.admin, '--format', 'json'], { encoding: 'utf8' });
    assert.equal(st2.status, 1);
    const json = JSON.parse(st2.stdout);
    assert.equal(json.ready, true);
    assert.equal(json.summary.objects, 10);
    assert.equal(json.source.kind, 'directory');
  } finally {
    const st = await srv.stop();
    assert.equal(st.code, 0, `cairn serve exit ${st.code}; stderr:\n${srv.stderr()}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const dead = spawnSync(process.env.CAIRN, ['status', '--admin', srv.admin], { encoding: 'utf8' });
  assert.equal(dead.status, 2);
  assert.match(dead.stderr, /cannot connect to the admin endpoint/);
});

test('SIGTERM: connected clients see a clean close (UNAVAILABLE) and cairn exits 0 within 5 s', T, async () => {
  const { grpcStatus } = require('./lib/ads-client');
  const srv = await startServe([quickstart]);
  const client = new AdsClient(srv.xds);
  try {
    const s = client.sotw({ id: 'term', cluster: 'test' });
    await fetch(s, 'cds', []);
    const t0 = Date.now();
    const st = await srv.stop();
    assert.equal(st.code, 0, `exit ${st.code}; stderr:\n${srv.stderr()}`);
    assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms`);
    assert.equal((await s.status()).code, grpcStatus.UNAVAILABLE);
  } finally {
    client.close();
  }
});
