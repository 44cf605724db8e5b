// The warming gate (SPEC §8) of the real daemon: `cairn serve` on a directory, a scripted SotW
// client that behaves as Envoy does (wildcard CDS and LDS, EDS for the clusters it was sent,
// RDS for its listener), and a route moved to a new Service by a file edit. The route must reach
// the client only after the new Service's endpoints, and the old cluster go after the route;
// what translation records (the clusters a RouteConfiguration uses) is what the gate reads.
// With xds.warming-timeout short and a client that never asks for the endpoints, the route
// goes at the timeout and /metrics counts it.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { AdsClient } = require('./lib/ads-client');
const { startServe } = require('./lib/serve');

const T = { timeout: 60000 };

function tree(service) {
  return `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: shop, namespace: shop}
spec:
  virtualhost: {fqdn: shop.example.com}
  routes:
    - conditions: [{prefix: /}]
      services: [{name: ${service}, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ${service}, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: ${service}, namespace: shop}
subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{port: 9001}]}]
`;
}

function setup(config) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-warming-'));
  fs.mkdirSync(path.join(dir, 'routes', 'shop'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'routes', 'shop', 'app.yaml'), tree('v1'));
  const args = [path.join(dir, 'routes')];
  if (config) {
    fs.writeFileSync(path.join(dir, 'cairn.yaml'), config);
    args.unshift('-c', path.join(dir, 'cairn.yaml'));
  }
  return { dir, args };
}

// Replaces the file in one rename: the route, its Service and Endpoints move together.
function moveTo(dir, service) {
  const f = path.join(dir, 'routes', 'shop', 'app.yaml');
  fs.writeFileSync(`${f}.tmp`, tree(service));
  fs.renameSync(`${f}.tmp`, f);
}

const serviceNames = (cds) => cds.resources.map((c) => c.message.eds_cluster_config.service_name);
const routeCluster = (rds) => rds.resources[0].message.virtual_hosts[0].routes[0].route.cluster;

async function envoySynced(client) {
  const s = client.sotw({ id: 'envoy-1', cluster: 'test' });
  s.send({ type: 'cds', names: [] });
  const cds = await s.next(10000);
  s.ack(cds);
  s.send({ type: 'eds', names: serviceNames(cds) });
  s.ack(await s.next(10000));
  s.send({ type: 'lds', names: [] });
  s.ack(await s.next(10000));
  s.send({ type: 'rds', names: ['ingress_http'] });
  const rds = await s.next(10000);
  s.ack(rds);
  await s.expectNone(300);
  return { s, cluster: routeCluster(rds) };
}

// Responses until none comes for quietMs.
async function drain(s, quietMs, onResponse) {
  const out = [];
  for (;;) {
    let r;
    try {
      r = await s.next(quietMs);
    } catch (e) {
      if (/no DiscoveryResponse/.test(e.message)) return out;
      throw e;
    }
    out.push(r);
    if (onResponse) onResponse(r);
    else s.ack(r);
  }
}

function metrics(admin) {
  return new Promise((resolve, reject) => {
    http.get(`http://${admin}/metrics`, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function metric(text, name) {
  const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

test('cairn serve: a route moved to a new Service waits for its endpoints (CDS add < EDS < RDS < CDS removal)', T, async () => {
  const { dir, args } = setup(null); // the default timeout, 5s
  const srv = await startServe(args);
  const client = new AdsClient(srv.xds);
  try {
    const { s, cluster: old } = await envoySynced(client);
    moveTo(dir, 'v2');
    // The CDS update with the new cluster (the old one kept while the route uses it), and
    // whatever else comes before the route; Envoy asks for endpoints after a short while.
    const seen = [];
    const cds = await s.next(10000);
    assert.equal(cds.type, 'cds');
    const added = cds.names.find((n) => n !== old);
    assert.ok(added && cds.names.includes(old), `[${cds.names}]`);
    s.ack(cds);
    seen.push(cds);
    seen.push(...await drain(s, 700));
    assert.ok(!seen.some((r) => r.type === 'rds'), 'no route before the endpoints were asked for');
    s.send({ type: 'eds', names: serviceNames(cds), nonce: '', version: '' });
    seen.push(...await drain(s, 700));
    const at = (pred) => seen.findIndex(pred);
    const newCla = cds.resources.find((c) => c.name === added).message.eds_cluster_config.service_name;
    const eds = at((r) => r.type === 'eds' && r.names.includes(newCla));
    const rds = at((r) => r.type === 'rds');
    const removal = at((r) => r.type === 'cds' && !r.names.includes(old));
    const order = JSON.stringify(seen.map((r) => [r.type, r.names]));
    assert.ok(eds > 0 && rds > eds && removal > rds, order);
    assert.equal(routeCluster(seen[rds]), added);
    const m = await metrics(srv.admin);
    assert.equal(metric(m, 'cairn_xds_warming_timeouts_total'), 0);
    assert.equal(metric(m, 'cairn_xds_warming_held_streams'), 0);
  } finally {
    client.close();
    const st = await srv.stop();
    assert.equal(st.code, 0, srv.stderr());
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cairn serve: xds.warming-timeout lets the route go when the endpoints are never asked for, counted in /metrics', T, async () => {
  const { dir, args } = setup('xds:\n  warming-timeout: 400ms\n');
  const srv = await startServe(args);
  const client = new AdsClient(srv.xds);
  try {
    const { s, cluster: old } = await envoySynced(client);
    moveTo(dir, 'v3');
    const cds = await s.next(10000);
    assert.equal(cds.type, 'cds');
    s.ack(cds);
    const t0 = Date.now();
    // Never asks for the new endpoints: the route comes at the timeout, then the removal.
    const seen = await drain(s, 2000);
    const rds = seen.findIndex((r) => r.type === 'rds');
    assert.ok(rds >= 0, JSON.stringify(seen.map((r) => [r.type, r.names])));
    assert.notEqual(routeCluster(seen[rds]), old);
    assert.ok(seen.findIndex((r) => r.type === 'cds' && !r.names.includes(old)) > rds);
    assert.ok(Date.now() - t0 >= 300);
    const m = await metrics(srv.admin);
    assert.equal(metric(m, 'cairn_xds_warming_timeouts_total'), 1);
    assert.equal(metric(m, 'cairn_xds_warming_held_streams'), 0);
  } finally {
    client.close();
    const st = await srv.stop();
    assert.equal(st.code, 0, srv.stderr());
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
