// The warming gate of SPEC §8 on the wire, on SotW and delta streams of the real src/ads/ server
// (tests/protocol/ads_fixture_server --warming-timeout MS) with a scripted client speaking Envoy's
// official protos: a route moved to a new Service reaches the client only after that Service's
// endpoints, and the cluster it left is removed after the route. docs/protocol.md "Warming".
// Run by tests/protocol/warming.sh.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  A, B, EA, EB, T, withServer, expectSotw, expectDelta, waitStats,
} = require('./lib/harness');

const C = 'default/c/80/x';
const EC = 'default/c/80';
const ORDER = ['sds', 'cds', 'eds', 'lds', 'rds'];
const SUBS = { sds: ['default/cert'], cds: [], eds: [EA, EB], lds: [], rds: ['ingress_http'] };
// Long enough that a release within it is the endpoints', not the timeout's.
const LONG = ['--warming-timeout', '20000'];

async function syncedSotw(client) {
  const s = client.sotw();
  for (const type of ORDER) s.send({ type, names: SUBS[type] });
  for (let i = 0; i < ORDER.length; i++) s.ack(await s.next());
  await s.expectNone();
  return s;
}

async function syncedDelta(client) {
  const d = client.delta();
  for (const type of ORDER) d.send({ type, subscribe: SUBS[type] });
  for (let i = 0; i < ORDER.length; i++) d.ack(await d.next());
  await d.expectNone();
  return d;
}

const routeCluster = (rds) => rds.resources[0].message.virtual_hosts[0].routes[0].route.cluster;

test('a route moved to a new Service: CDS add < EDS for it < RDS < CDS removal (SotW)', T, () =>
  withServer(LONG, async ({ srv, client }) => {
    const s = await syncedSotw(client);
    const seen = [];
    const take = async (type, names) => {
      const r = await expectSotw(s, type, names);
      seen.push(r);
      return r;
    };
    await srv.command('moved');
    s.ack(await take('cds', [A, B, C])); // c added, b kept while the route uses it
    s.ack(await take('eds', [EA])); // b's endpoints went; c's not asked for yet
    // The route waits: Envoy is still warming c.
    await s.expectNone(700);
    await waitStats(srv, (st) => st.warming_held === 1, 'one held stream');
    // Envoy asks for the new cluster's endpoints (ACKing the last EDS response).
    s.ack(seen[1], [EA, EC]);
    s.ack(await take('eds', [EA, EC]));
    const rds = await take('rds', ['ingress_http']);
    assert.equal(routeCluster(rds), C);
    s.ack(rds);
    s.ack(await take('cds', [A, C]));
    await s.expectNone();
    const idx = (pred) => seen.findIndex(pred);
    const cdsAdd = idx((r) => r.type === 'cds' && r.names.includes(C));
    const edsC = idx((r) => r.type === 'eds' && r.names.includes(EC));
    const rdsC = idx((r) => r.type === 'rds');
    const cdsRemoval = idx((r) => r.type === 'cds' && !r.names.includes(B));
    assert.ok(cdsAdd < edsC && edsC < rdsC && rdsC < cdsRemoval,
      JSON.stringify(seen.map((r) => [r.type, r.names])));
    const st = await waitStats(srv, (x) => x.warming_held === 0, 'nothing held');
    assert.equal(st.warming_timeouts, 0);
  }));

test('a route moved to a new Service: CDS add < EDS for it < RDS < CDS removal (delta)', T, () =>
  withServer(LONG, async ({ srv, client }) => {
    const d = await syncedDelta(client);
    await srv.command('moved');
    d.ack(await expectDelta(d, 'cds', [C]));
    await d.expectNone(700);
    await waitStats(srv, (st) => st.warming_held === 1, 'one held stream');
    // Envoy subscribes to the new cluster's endpoints.
    d.send({ type: 'eds', subscribe: [EC] });
    d.ack(await expectDelta(d, 'eds', [EC]));
    const rds = await expectDelta(d, 'rds', ['ingress_http']);
    assert.equal(routeCluster(rds), C);
    d.ack(rds);
    // Removals last: b after the route that stopped using it, then its endpoints.
    d.ack(await expectDelta(d, 'cds', [], [B]));
    d.ack(await expectDelta(d, 'eds', [], [EB]));
    await d.expectNone();
    assert.deepEqual(Object.keys(d.has('cds')).sort(), [A, C]);
    const st = await waitStats(srv, (x) => x.warming_held === 0, 'nothing held');
    assert.equal(st.warming_timeouts, 0);
  }));

test('a client that never asks for the endpoints gets the route at the timeout, counted (SotW and delta)', T, () =>
  withServer(['--warming-timeout', '1000'], async ({ srv, client }) => {
    const s = await syncedSotw(client);
    const d = await syncedDelta(client);
    await srv.command('moved');
    const t0 = Date.now();
    s.ack(await expectSotw(s, 'cds', [A, B, C]));
    s.ack(await expectSotw(s, 'eds', [EA]));
    d.ack(await expectDelta(d, 'cds', [C]));
    await waitStats(srv, (st) => st.warming_held === 2, 'two held streams');
    // Nothing else until the timeout; then the route, then the removal.
    const rds = await expectSotw(s, 'rds', ['ingress_http'], 5000);
    assert.ok(Date.now() - t0 >= 900, `the route came after ${Date.now() - t0} ms`);
    assert.equal(routeCluster(rds), C);
    s.ack(rds);
    s.ack(await expectSotw(s, 'cds', [A, C]));
    const drds = await expectDelta(d, 'rds', ['ingress_http'], [], 5000);
    assert.ok(Date.now() - t0 >= 900);
    d.ack(drds);
    d.ack(await expectDelta(d, 'cds', [], [B]));
    d.ack(await expectDelta(d, 'eds', [], [EB]));
    await s.expectNone();
    await d.expectNone();
    const st = await waitStats(srv, (x) => x.warming_timeouts === 2 && x.warming_held === 0,
      'two timeouts, nothing held');
    assert.equal(st.warming_timeouts, 2);
  }));

test('the new cluster removed while the route waits: no deadlock, nothing counted (SotW and delta)', T, () =>
  withServer(LONG, async ({ srv, client }) => {
    const s = await syncedSotw(client);
    const d = await syncedDelta(client);
    await srv.command('moved');
    s.ack(await expectSotw(s, 'cds', [A, B, C]));
    s.ack(await expectSotw(s, 'eds', [EA]));
    d.ack(await expectDelta(d, 'cds', [C]));
    await waitStats(srv, (st) => st.warming_held === 2, 'two held streams');
    // The change is undone: c goes, the route is b's again, which the clients still have.
    await srv.command('v1');
    s.ack(await expectSotw(s, 'eds', [EA, EB]));
    s.ack(await expectSotw(s, 'cds', [A, B])); // c withdrawn; no route update was due
    d.ack(await expectDelta(d, 'cds', [], [C]));
    await s.expectNone();
    await d.expectNone();
    const st = await waitStats(srv, (x) => x.warming_held === 0, 'nothing held');
    assert.equal(st.warming_timeouts, 0);
  }));

test('several changes while the route waits: one RDS update, the newest (SotW and delta)', T, () =>
  withServer(LONG, async ({ srv, client }) => {
    const s = await syncedSotw(client);
    const d = await syncedDelta(client);
    await srv.command('moved');
    s.ack(await expectSotw(s, 'cds', [A, B, C]));
    const eds1 = await expectSotw(s, 'eds', [EA]);
    s.ack(eds1);
    d.ack(await expectDelta(d, 'cds', [C]));
    await waitStats(srv, (st) => st.warming_held === 2, 'two held streams');
    await srv.command('moved2'); // the route changes again while held
    await s.expectNone(500);
    await d.expectNone(500);
    s.ack(eds1, [EA, EC]);
    s.ack(await expectSotw(s, 'eds', [EA, EC]));
    const rds = await expectSotw(s, 'rds', ['ingress_http']);
    assert.deepEqual(rds.resources[0].message.virtual_hosts[0].domains, ['www.example.com']);
    s.ack(rds);
    s.ack(await expectSotw(s, 'cds', [A, C]));
    await s.expectNone();
    d.send({ type: 'eds', subscribe: [EC] });
    d.ack(await expectDelta(d, 'eds', [EC]));
    const drds = await expectDelta(d, 'rds', ['ingress_http']);
    assert.deepEqual(drds.resources[0].message.virtual_hosts[0].domains, ['www.example.com']);
    d.ack(drds);
    d.ack(await expectDelta(d, 'cds', [], [B]));
    d.ack(await expectDelta(d, 'eds', [], [EB]));
    await d.expectNone();
    assert.equal((await srv.stats()).warming_timeouts, 0);
  }));

test('a proxyless client (named subscriptions, route first) is never held', T, () =>
  withServer(LONG, async ({ srv, client }) => {
    const s = client.sotw();
    s.send({ type: 'lds', names: ['shop.example.com'] });
    s.ack(await expectSotw(s, 'lds', ['shop.example.com']));
    s.send({ type: 'rds', names: ['shop.example.com'] });
    const rds = await expectSotw(s, 'rds', ['shop.example.com']);
    s.ack(rds);
    // It learns cluster a from the route, then its endpoints.
    s.send({ type: 'cds', names: [A] });
    s.ack(await expectSotw(s, 'cds', [A]));
    s.send({ type: 'eds', names: [EA] });
    s.ack(await expectSotw(s, 'eds', [EA]));
    await s.expectNone();
    const st = await srv.stats();
    assert.equal(st.warming_held, 0);
    assert.equal(st.warming_timeouts, 0);
  }));

test('xds.warming-timeout 0: no gate, the route follows the CDS update at once', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = await syncedSotw(client);
    await srv.command('moved');
    s.ack(await expectSotw(s, 'cds', [A, B, C]));
    s.ack(await expectSotw(s, 'eds', [EA]));
    s.ack(await expectSotw(s, 'rds', ['ingress_http']));
    s.ack(await expectSotw(s, 'cds', [A, C]));
    await s.expectNone();
  }));
