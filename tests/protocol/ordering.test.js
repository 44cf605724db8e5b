// Make-before-break, NACK handling and many streams, on SotW and delta streams of the real
// src/ads/ server (tests/protocol/ads_fixture_server), with a scripted client speaking Envoy's
// official protos. SPEC.md §8; docs/protocol.md states the guarantees tested here.
// Run by tests/protocol/ordering.sh.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  A, B, EA, EB, T, sleep, withServer, assertClean, expectSotw, expectDelta, waitStats, versions,
  nodes,
} = require('./lib/harness');

const ORDER = ['sds', 'cds', 'eds', 'lds', 'rds'];
const SUBS = { sds: ['default/cert'], cds: [], eds: [EA, EB], lds: [], rds: ['ingress_http'] };

// A SotW stream subscribed to every type of v1 (requested in reverse order), all ACKed.
async function syncedSotw(client, node) {
  const s = client.sotw(node);
  for (const type of [...ORDER].reverse()) s.send({ type, names: SUBS[type] });
  for (let i = 0; i < ORDER.length; i++) s.ack(await s.next());
  await s.expectNone();
  return s;
}

async function syncedDelta(client, node) {
  const d = client.delta(node);
  for (const type of [...ORDER].reverse()) d.send({ type, subscribe: SUBS[type] });
  for (let i = 0; i < ORDER.length; i++) d.ack(await d.next());
  await d.expectNone();
  return d;
}

test('one change to every type arrives as SDS, CDS, EDS, LDS, RDS (SotW and delta)', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = await syncedSotw(client);
    const d = await syncedDelta(client);
    await srv.command('v4');
    const v4 = await versions(srv);
    for (const type of ORDER) {
      const r = await expectSotw(s, type);
      assert.equal(r.version_info, v4[type].version);
      s.ack(r);
    }
    await s.expectNone();
    for (const type of ORDER) {
      const r = await expectDelta(d, type, null, []);
      assert.equal(r.system_version_info, 'v4');
      for (const res of r.resources) assert.equal(res.version, v4[type].resources[res.name]);
      d.ack(r);
    }
    await d.expectNone();
  }));

test('a cluster removed by a change is withdrawn only after the RDS that stopped using it (SotW)', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = await syncedSotw(client);
    await srv.command('v2'); // route ingress_http: cluster b -> a; cluster b and its endpoints gone
    const seen = [];
    for (;;) {
      let r;
      try {
        r = await s.next(1000);
      } catch (e) {
        break;
      }
      assertClean(r);
      seen.push(r);
      s.ack(r);
    }
    const idx = (pred) => seen.findIndex(pred);
    const rds = idx((r) => r.type === 'rds');
    const cdsWithB = idx((r) => r.type === 'cds' && r.names.includes(B));
    const cdsWithoutB = idx((r) => r.type === 'cds' && !r.names.includes(B));
    assert.ok(rds >= 0 && cdsWithB >= 0 && cdsWithoutB >= 0, JSON.stringify(seen.map((r) => [r.type, r.names])));
    assert.equal(seen[rds].resources[0].message.virtual_hosts[0].routes[0].route.cluster, A);
    assert.ok(cdsWithB < rds, 'the CDS update before the routes still has b');
    assert.ok(cdsWithoutB > rds, 'b is withdrawn after the RDS update that stopped using it');
    assert.deepEqual(seen.map((r) => r.type), ['cds', 'eds', 'rds', 'cds']);
    assert.equal(seen[3].version_info, (await versions(srv)).cds.version);
  }));

test('a cluster removed by a change is withdrawn only after the RDS that stopped using it (delta)', T, () =>
  withServer([], async ({ srv, client }) => {
    const d = await syncedDelta(client);
    await srv.command('v2');
    d.ack(await expectDelta(d, 'cds', [A]));
    d.ack(await expectDelta(d, 'eds', [EA]));
    const rds = await expectDelta(d, 'rds', ['ingress_http']);
    assert.equal(rds.resources[0].message.virtual_hosts[0].routes[0].route.cluster, A);
    d.ack(rds);
    d.ack(await expectDelta(d, 'cds', [], [B]));
    d.ack(await expectDelta(d, 'eds', [], [EB]));
    await d.expectNone();
    assert.deepEqual(Object.keys(d.has('cds')), [A]);
  }));

test('a listener replaced by a change is withdrawn after the new one went out (SotW and delta)', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = await syncedSotw(client);
    const d = await syncedDelta(client);
    await srv.command('listener'); // ingress_http -> ingress_alt (RDS alt)
    // The new listener first, next to the old one (at the version the client has)...
    const lds = await expectSotw(s, 'lds', ['ingress_alt', 'ingress_http']);
    assert.notEqual(lds.version_info, (await versions(srv)).lds.version);
    s.ack(lds);
    // ...then the old one goes.
    const withdrawn = await expectSotw(s, 'lds', ['ingress_alt']);
    assert.equal(withdrawn.version_info, (await versions(srv)).lds.version);
    s.ack(withdrawn);
    // What Envoy does next: ask for the new listener's routes.
    s.send({ type: 'rds', names: ['alt', 'ingress_http'], nonce: '', version: '' });
    s.ack(await expectSotw(s, 'rds', ['alt', 'ingress_http']));
    await s.expectNone();

    d.ack(await expectDelta(d, 'lds', ['ingress_alt']));
    d.ack(await expectDelta(d, 'lds', [], ['ingress_http']));
    d.send({ type: 'rds', subscribe: ['alt'] });
    d.ack(await expectDelta(d, 'rds', ['alt']));
    await d.expectNone();
  }));

test('after a CDS update the next EDS request is answered, even if endpoints are unchanged', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = client.sotw();
    s.send({ type: 'cds' });
    s.send({ type: 'eds', names: [EA, EB] });
    const cds1 = await expectSotw(s, 'cds', [A, B]);
    const eds1 = await expectSotw(s, 'eds', [EA, EB]);
    s.ack(cds1);
    s.ack(eds1);
    // Without a CDS update, a repeated EDS request gets nothing.
    s.send({ type: 'eds', names: [EA, EB], nonce: eds1.nonce, version: eds1.version_info });
    await s.expectNone();
    await srv.command('cluster'); // only cluster a changed
    s.ack(await expectSotw(s, 'cds', [A, B]));
    // Envoy re-creates cluster a and asks for its endpoints again.
    s.send({ type: 'eds', names: [EA, EB], nonce: eds1.nonce, version: eds1.version_info });
    const eds2 = await expectSotw(s, 'eds', [EA, EB]);
    assert.equal(eds2.version_info, eds1.version_info);
    assert.notEqual(eds2.nonce, eds1.nonce);
    s.ack(eds2);
    await s.expectNone();
  }));

test('NACK (delta): the rejected resources are not resent; logged once; in status; next change sent', T, () =>
  withServer([], async ({ srv, client }) => {
    const d = client.delta({ id: 'nacker', cluster: 'edge' });
    d.send({ type: 'cds' });
    d.ack(await expectDelta(d, 'cds', [A, B]));
    await waitStats(srv, (x) => x.cds.acks === 1, 'the ACK');
    await srv.command('cluster');
    const bad = await expectDelta(d, 'cds', [A]);
    d.nack(bad, { message: 'cluster a: bad connect_timeout' });
    await d.expectNone(500);
    await srv.command('same');
    await d.expectNone(500);
    d.nack(bad, { message: 'cluster a: bad connect_timeout' }); // repeated: not a new NACK
    await d.expectNone(300);
    const st = await waitStats(srv, (x) => x.cds.nacks === 1, 'the NACK');
    assert.equal(st.cds.acks, 1);
    assert.equal(srv.stderr.match(/node nacker rejected cds version [0-9a-f]{16}: cluster a: bad connect_timeout/g).length, 1);
    const node = (await nodes(srv)).find((n) => n.node_id === 'nacker');
    assert.equal(node.protocol, 'delta');
    assert.equal(node.cluster, 'edge');
    assert.equal(node.types.cds.last_nack.message, 'cluster a: bad connect_timeout');
    assert.equal(node.types.cds.last_nack.version, (await versions(srv)).cds.version);
    assert.match(node.types.cds.last_nack.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.notEqual(node.types.cds.acked_version, node.types.cds.last_nack.version);
    await srv.command('v4');
    const good = await expectDelta(d, 'cds', [A, B]);
    d.ack(good);
    await waitStats(srv, (x) => x.cds.acks === 2, 'the second ACK');
    const after = (await nodes(srv)).find((n) => n.node_id === 'nacker');
    assert.equal(after.types.cds.acked_version, (await versions(srv)).cds.version);
    assert.equal(after.types.cds.resources, 2);
  }));

test('status: every stream with node, protocol, peer, per-type versions and counts', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = client.sotw({ id: 'envoy-s', cluster: 'edge' });
    s.send({ type: 'cds' });
    s.ack(await expectSotw(s, 'cds', [A, B]));
    const d = client.delta({ id: 'envoy-d', cluster: 'edge' });
    d.send({ type: 'eds', subscribe: [EA] });
    d.ack(await expectDelta(d, 'eds', [EA]));
    await waitStats(srv, (x) => x.cds.acks === 1 && x.eds.acks === 1, 'the ACKs');
    const v = await versions(srv);
    const list = await nodes(srv);
    assert.equal(list.length, 2);
    const [ns, nd] = list;
    assert.deepEqual(Object.keys(ns).sort(), ['cluster', 'connected_since', 'node_id', 'peer', 'protocol', 'types']);
    assert.equal(ns.node_id, 'envoy-s');
    assert.equal(ns.protocol, 'sotw');
    assert.match(ns.peer, /127\.0\.0\.1/);
    assert.deepEqual(ns.types, { cds: { acked_version: v.cds.version, last_nack: null, resources: 2 } });
    assert.equal(nd.node_id, 'envoy-d');
    assert.equal(nd.protocol, 'delta');
    assert.deepEqual(nd.types, { eds: { acked_version: v.eds.version, last_nack: null, resources: 1 } });
  }));

test('200 streams at once, SotW and delta mixed, converge on the same versions after changes', T, () =>
  withServer([], async ({ srv, newClient }) => {
    const clients = Array.from({ length: 4 }, () => newClient());
    const streams = [];
    for (let i = 0; i < 200; i++) {
      const c = clients[i % clients.length];
      const delta = i % 2 === 1;
      const s = delta ? c.delta({ id: `d${i}`, cluster: 'c' }) : c.sotw({ id: `s${i}`, cluster: 'c' });
      s.isDelta = delta;
      s.last = {};
      for (const type of ORDER) {
        if (delta) s.send({ type, subscribe: SUBS[type] });
        else s.send({ type, names: SUBS[type] });
      }
      streams.push(s);
    }
    // Every stream reads, records and ACKs whatever comes, like Envoy.
    let stop = false;
    const pumps = streams.map(async (s) => {
      while (!stop) {
        let r;
        try {
          r = await s.next(200);
        } catch (e) {
          if (s.finalStatus) throw e;
          continue;
        }
        assertClean(r);
        s.last[r.type] = r;
        s.ack(r);
      }
    });
    await waitStats(srv, (x) => x.streams_sotw === 100 && x.streams_delta === 100, 'all streams');
    for (const v of ['v2', 'v3', 'v1', 'v4']) await srv.command(v);
    const want = await versions(srv);
    const synced = (s) => ORDER.every((type) => {
      if (s.isDelta) {
        const has = s.has(type);
        const exp = Object.fromEntries(Object.entries(want[type].resources)
          .filter(([name]) => (SUBS[type].length === 0 ? name !== 'shop.example.com' : SUBS[type].includes(name))));
        return JSON.stringify(Object.entries(has).sort()) === JSON.stringify(Object.entries(exp).sort());
      }
      return s.last[type] && s.last[type].version_info === want[type].version;
    });
    for (let i = 0; i < 300 && !streams.every(synced); i++) await sleep(50);
    stop = true;
    await Promise.all(pumps);
    const lagging = streams.filter((s) => !synced(s)).map((s) => s.node.id);
    assert.deepEqual(lagging, [], 'streams not on the last snapshot');
    // The same bytes for the same resource, whichever protocol.
    const sotw = streams[0];
    for (const d of streams.filter((s) => s.isDelta)) {
      for (const type of ORDER) {
        for (const res of sotw.last[type].resources) {
          const mine = d.cache[type].get(res.name);
          assert.ok(mine, `${d.node.id} lacks ${type} ${res.name}`);
          assert.ok(mine.bytes.equals(res.bytes), `${type} ${res.name} differs between SotW and delta`);
        }
      }
    }
    const st = await srv.stats();
    assert.equal(st.streams_sotw + st.streams_delta, 200);
  }));

test('a delta response over 4 MiB is split; every resource arrives once', T, () =>
  withServer([], async ({ srv, client }) => {
    const d = client.delta();
    d.send({ type: 'cds' });
    d.ack(await expectDelta(d, 'cds', [A, B]));
    await srv.command('big');
    const names = [];
    let responses = 0;
    while (names.length < 2500) {
      const r = await expectDelta(d, 'cds', null, [], 10000);
      assert.ok(r.byteLength <= 4 * 1024 * 1024, `response of ${r.byteLength} bytes`);
      names.push(...r.names);
      responses++;
      d.ack(r);
    }
    assert.ok(responses >= 2, `${responses} responses`);
    assert.equal(new Set(names).size, 2500);
    await d.expectNone();
    assert.equal(d.cache.cds.size, 2502);
  }));
