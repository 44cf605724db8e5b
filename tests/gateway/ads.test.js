// Which Envoy gets what (SPEC.md §5a, issue #17): `cairn serve` on examples/gateway-api.
// A node naming Gateway shop/public in its metadata (cairn.io/gateway, what
// `cairn bootstrap --gateway` writes) gets exactly that Gateway's listener, routes, clusters
// and endpoints, over SotW and delta; a node naming no Gateway gets the default listeners
// (none here: the example has no HTTPProxy or Ingress) and none of the Gateway's clusters;
// a node naming a Gateway that is not served gets nothing. Every resource is judged by
// Envoy's official protos.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { AdsClient } = require('../protocol/lib/ads-client');
const { startServe } = require('../protocol/lib/serve');
const { createVerifier } = require('../tools/xds-verify.js');

const T = { timeout: 60000 };
const example = path.join(process.env.top_srcdir, 'examples', 'gateway-api');
const LISTENER = 'gw/shop/public/8080';

let verifier;
test.before(async () => { verifier = await createVerifier(); });

function node(id, gateway) {
  const n = { id, cluster: 'test' };
  // google.protobuf.Value comes from protobufjs' bundled types: camelCase names.
  if (gateway) n.metadata = { fields: { 'cairn.io/gateway': { stringValue: gateway } } };
  return n;
}

async function fetch(s, type, names) {
  s.send({ type, names });
  const r = await s.next();
  assert.equal(r.type, type);
  for (const res of r.resources) {
    const v = verifier.verify(res.type_url, res.name, res.bytes);
    assert.deepEqual(v.problems, [], `${res.name}: official protos found problems`);
  }
  s.ack(r);
  return r;
}

test('a node naming a Gateway gets exactly its resources (SotW)', T, async () => {
  const srv = await startServe([example]);
  const client = new AdsClient(srv.xds);
  try {
    const s = client.sotw(node('gw-envoy', 'shop/public'));
    const lds = await fetch(s, 'lds', []);
    // the proxyless gRPC clients' api listeners are named-only: not under Envoy's wildcard
    assert.deepEqual(lds.names, [LISTENER]);
    const cds = await fetch(s, 'cds', []);
    assert.deepEqual(cds.names.sort(), ['shop/api-canary/80/ef46db3751', 'shop/api/80/ef46db3751',
      'shop/greeter-canary/50051/4e02c07621', 'shop/greeter/50051/4e02c07621', 'shop/web/80/ef46db3751']);
    const eds = await fetch(s, 'eds', cds.resources.map((c) => c.message.eds_cluster_config.service_name));
    assert.equal(eds.resources.length, 5);
    const rds = await fetch(s, 'rds', [LISTENER]);
    assert.deepEqual(rds.names, [LISTENER]);
    const vh = rds.resources[0].message.virtual_hosts;
    assert.deepEqual(vh.map((v) => v.name), ['grpc.shop.example', 'www.shop.example']);
  } finally {
    client.close();
    await srv.stop();
  }
});

test('the same over delta, and other nodes get none of it', T, async () => {
  const srv = await startServe([example]);
  const client = new AdsClient(srv.xds);
  try {
    const d = client.delta(node('gw-delta', 'shop/public'));
    d.send({ type: 'lds', subscribe: ['*'] });
    const dl = await d.next();
    assert.deepEqual(dl.resources.map((r) => r.name), [LISTENER]);
    d.ack(dl);

    const plain = client.sotw(node('plain'));
    const lds = await fetch(plain, 'lds', []);
    assert.deepEqual(lds.names, [], 'no HTTPProxy or Ingress: no default listener');
    const cds = await fetch(plain, 'cds', []);
    assert.deepEqual(cds.names, [], "the Gateway's clusters are not the default node's");

    const other = client.sotw(node('other', 'shop/missing'));
    const olds = await fetch(other, 'lds', []);
    assert.deepEqual(olds.names, [], 'a Gateway that is not served: nothing');
    const ocds = await fetch(other, 'cds', []);
    assert.deepEqual(ocds.names, []);
  } finally {
    client.close();
    await srv.stop();
  }
});

test('/status and the HTML page show Gateway API status', T, async () => {
  const srv = await startServe([example]);
  try {
    const status = await (await globalThis.fetch(`http://${srv.admin}/status`)).json();
    const gw = status.objects.find((o) => o.kind === 'Gateway' && o.name === 'public');
    assert.deepEqual(gw.conditions.map((c) => [c.type, c.status, c.reason]),
      [['Accepted', 'True', 'Accepted'], ['Programmed', 'True', 'Programmed']]);
    assert.equal(gw.listeners.length, 1);
    assert.equal(gw.listeners[0].attachedRoutes, 2);
    assert.deepEqual(gw.listeners[0].supportedKinds.map((k) => k.kind), ['HTTPRoute', 'GRPCRoute']);
    const route = status.objects.find((o) => o.kind === 'HTTPRoute');
    assert.equal(route.parents[0].controllerName, 'cairn.io/gateway-controller');
    assert.deepEqual(route.parents[0].parentRef,
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'shop', name: 'public', sectionName: 'http' });
    const html = await (await globalThis.fetch(`http://${srv.admin}/`)).text();
    assert.match(html, /listener <b>http<\/b> attachedRoutes=2: ResolvedRefs=True/);
    assert.match(html, /parent <b>shop\/public http<\/b>: Accepted=True \(Accepted\)/);
  } finally {
    await srv.stop();
  }
});
