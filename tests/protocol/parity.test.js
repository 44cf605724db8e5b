// The behaviours go-control-plane's own server and cache tests check, against cairn's real
// src/ads/ server (tests/protocol/ads_fixture_server) with a scripted client speaking Envoy's
// official protos. Each test names the go-control-plane test it mirrors; where cairn pushes on
// its own (go-control-plane's tests drive a cache by hand) the step is a published snapshot.
// Run by tests/protocol/parity.sh.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { TYPES, grpcStatus } = require('./lib/ads-client');
const {
  A, B, EA, EB, T, withServer, expectSotw, expectDelta, waitStats, versions,
} = require('./lib/harness');

// A first request per type that matches something in v1.
const FIRST = {
  sds: ['default/cert'], cds: [], eds: [EA], lds: [], rds: ['ingress_http'],
};

test('TestStaleNonce (SotW): a stale nonce gets nothing, the fresh ACK counts', T, () =>
  withServer([], async ({ srv, client }) => {
    for (const type of Object.keys(TYPES)) {
      const s = client.sotw();
      s.send({ type, names: FIRST[type] });
      const r = await expectSotw(s, type);
      assert.equal(r.nonce, '1');
      assert.notEqual(r.resources.length, 0);
      // Stale request, then the fresh one.
      s.send({ type, names: FIRST[type], nonce: 'xyz' });
      s.send({ type, names: FIRST[type], nonce: r.nonce, version: r.version_info });
      await s.expectNone();
      await waitStats(srv, (x) => x[type].acks === 1, `the ${type} ACK`);
      const st = await srv.stats();
      assert.equal(st[type].responses, 1);
      assert.equal(st[type].nacks, 0);
      s.end();
      assert.equal((await s.status()).code, grpcStatus.OK);
    }
  }));

test('TestStaleNonce (delta): a stale nonce gets nothing, the fresh ACK counts', T, () =>
  withServer([], async ({ srv, client }) => {
    for (const type of Object.keys(TYPES)) {
      const d = client.delta();
      d.send({ type, subscribe: FIRST[type] });
      const r = await expectDelta(d, type);
      assert.equal(r.nonce, '1');
      assert.notEqual(r.resources.length, 0);
      d.send({ type, nonce: 'xyz' });
      d.ack(r);
      await d.expectNone();
      await waitStats(srv, (x) => x[type].acks === 1, `the ${type} ACK`);
      assert.equal((await srv.stats())[type].responses, 1);
      d.end();
      assert.equal((await d.status()).code, grpcStatus.OK);
    }
  }));

// The node only on the first request ("delta compress node"), every type on one stream.
async function aggregated(s, delta) {
  const reqs = [['lds', []], ['cds', []], ['eds', [EA]], ['rds', ['ingress_http']], ['sds', ['default/cert']]];
  for (const [type, names] of reqs) s.send(delta ? { type, subscribe: names } : { type, names });
  const seen = [];
  let nonce = 0;
  for (let i = 0; i < reqs.length; i++) {
    const r = await s.next();
    assert.equal(Number(r.nonce), ++nonce, 'nonces increase by one');
    assert.notEqual(r.resources.length, 0, `${r.type}: resources`);
    for (const res of r.resources) assert.equal(res.type_url, r.type_url);
    seen.push(r.type);
  }
  assert.deepEqual([...seen].sort(), reqs.map(([t]) => t).sort(), 'one response per type');
  await s.expectNone();
}

test('TestAggregatedHandlers (SotW): every type multiplexed on one stream', T, () =>
  withServer([], async ({ client }) => aggregated(client.sotw(), false)));

test('TestDeltaAggregatedHandlers: every type multiplexed on one delta stream', T, () =>
  withServer([], async ({ client }) => aggregated(client.delta(), true)));

test('TestAggregateRequestType: a request without type_url ends the stream', T, () =>
  withServer([], async ({ client }) => {
    const s = client.sotw();
    s.send({});
    let st = await s.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(st.details, /type_url/);
    const d = client.delta();
    d.send({});
    st = await d.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(st.details, /type_url/);
  }));

test('TestCancellations: requests for every type, then the client goes: nothing left behind', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = client.sotw();
    const d = client.delta();
    for (const type of Object.keys(TYPES)) {
      s.send({ type, names: FIRST[type] });
      d.send({ type, subscribe: FIRST[type] });
    }
    await waitStats(srv, (x) => x.streams_sotw === 1 && x.streams_delta === 1, 'both streams');
    s.end();
    d.end();
    assert.equal((await s.status()).code, grpcStatus.OK);
    assert.equal((await d.status()).code, grpcStatus.OK);
    await waitStats(srv, (x) => x.streams_sotw === 0 && x.streams_delta === 0, 'streams to close');
    // Cancelled (not half-closed) streams go away too.
    const c1 = client.sotw();
    const c2 = client.delta();
    c1.send({ type: 'cds' });
    c2.send({ type: 'cds' });
    await c1.next();
    await c2.next();
    c1.cancel();
    c2.cancel();
    await waitStats(srv, (x) => x.streams_sotw === 0 && x.streams_delta === 0, 'cancelled streams to close');
  }));

test('TestDeltaWildcardSubscriptions: legacy wildcard still working', T, () =>
  withServer([], async ({ srv, client }) => {
    const d = client.delta();
    d.send({ type: 'cds' });
    d.ack(await expectDelta(d, 'cds', [A, B]));
    // A change: pushed (changed resources only).
    await srv.command('v4');
    d.ack(await expectDelta(d, 'cds', [A, B]));
    // In legacy mode, subscribing to a name adds to the wildcard; resubscribed: answered.
    d.send({ type: 'cds', subscribe: [A] });
    d.ack(await expectDelta(d, 'cds', [A]));
    await srv.command('cluster');
    d.ack(await expectDelta(d, 'cds', [A, B]));
    // Unsubscribing "*" leaves the named one.
    d.send({ type: 'cds', unsubscribe: ['*'] });
    await d.expectNone();
    await srv.command('v4');
    d.ack(await expectDelta(d, 'cds', [A]));
    await d.expectNone();
  }));

test('TestDeltaWildcardSubscriptions: "*" subscription and unsubscription', T, () =>
  withServer([], async ({ srv, client }) => {
    const d = client.delta();
    d.send({ type: 'eds', subscribe: [EB] });
    d.ack(await expectDelta(d, 'eds', [EB]));
    d.send({ type: 'eds', subscribe: ['*'] });
    d.ack(await expectDelta(d, 'eds', [EA, EB]));
    await srv.command('v4');
    d.ack(await expectDelta(d, 'eds', [EA, EB]));
    d.send({ type: 'eds', subscribe: [EA] });
    d.ack(await expectDelta(d, 'eds', [EA]));
    d.send({ type: 'eds', unsubscribe: ['*'] });
    await d.expectNone();
    // Both are named now.
    await srv.command('v1');
    d.ack(await expectDelta(d, 'eds', [EA, EB]));
    d.send({ type: 'eds', unsubscribe: [EA] });
    await d.expectNone();
    await srv.command('v4');
    d.ack(await expectDelta(d, 'eds', [EB]));
    assert.deepEqual(Object.keys(d.has('eds')).sort(), [EA, EB]);
  }));

test('TestDeltaWildcardSubscriptions: names under a wildcard; unknown names removed', T, () =>
  withServer([], async ({ client }) => {
    const d = client.delta();
    d.send({ type: 'eds', subscribe: ['*'] });
    d.ack(await expectDelta(d, 'eds', [EA, EB]));
    const missing = 'default/missing/80';
    d.send({ type: 'eds', subscribe: [EB, missing] });
    d.ack(await expectDelta(d, 'eds', [EB], [missing]));
    // Unsubscribed while the wildcard stays: the wildcard covers EB (sent), not missing (removed).
    d.send({ type: 'eds', unsubscribe: [EB, missing] });
    d.ack(await expectDelta(d, 'eds', [EB], [missing]));
    await d.expectNone();
    // Named-only listeners are never under a wildcard: unsubscribed, it is removed.
    d.send({ type: 'lds', subscribe: ['*', 'shop.example.com'] });
    d.ack(await expectDelta(d, 'lds', ['ingress_http', 'shop.example.com']));
    d.send({ type: 'lds', unsubscribe: ['shop.example.com'] });
    d.ack(await expectDelta(d, 'lds', [], ['shop.example.com']));
    await d.expectNone();
  }));

test('TestDeltaMultipleStreams: streams of one node are independent; a failing one ends alone', T, () =>
  withServer([], async ({ srv, client }) => {
    const node = { id: 'same-node', cluster: 'c' };
    const d1 = client.delta(node);
    const d2 = client.delta(node);
    const bad = client.delta(node);
    for (const d of [d1, d2, bad]) {
      d.send({ type: 'eds', subscribe: ['*'] });
      d.send({ type: 'eds', subscribe: ['*'] });
    }
    bad.send({ type: 'type.googleapis.com/envoy.config.foo.v3.Bar' });
    const st = await bad.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    for (const d of [d1, d2]) {
      // "*" twice: answered twice, with everything (a resubscription is always answered).
      d.ack(await expectDelta(d, 'eds', [EA, EB]));
      d.ack(await expectDelta(d, 'eds', [EA, EB]));
    }
    await waitStats(srv, (x) => x.streams_delta === 2, 'the failed stream to close');
    await srv.command('v2');
    for (const d of [d1, d2]) {
      d.ack(await expectDelta(d, 'eds', [EA]));
      d.ack(await expectDelta(d, 'eds', [], [EB]));
      await d.expectNone();
    }
  }));

test('TestSnapshotCreateWatchWithResourcePreviouslyNotRequested: newly named sent, repeat not', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = client.sotw();
    s.send({ type: 'eds', names: [EA] });
    const r1 = await expectSotw(s, 'eds', [EA]);
    s.send({ type: 'eds', names: [EA, EB], nonce: r1.nonce, version: r1.version_info });
    const r2 = await expectSotw(s, 'eds', [EA, EB]);
    assert.equal(r2.version_info, r1.version_info);
    s.send({ type: 'eds', names: [EA, EB], nonce: r2.nonce, version: r2.version_info });
    await s.expectNone();
    const st = await waitStats(srv, (x) => x.eds.acks === 2, 'the ACKs');
    assert.equal(st.eds.responses, 2);

    const d = client.delta();
    d.send({ type: 'eds', subscribe: [EA] });
    d.ack(await expectDelta(d, 'eds', [EA]));
    d.send({ type: 'eds', subscribe: [EB] });
    d.ack(await expectDelta(d, 'eds', [EB]));
    await d.expectNone();
  }));

test('TestLinearDeletion: deletions of full-state and named resources', T, () =>
  withServer([], async ({ srv, client }) => {
    // SotW, a named cluster: its deletion is a response without it.
    const named = client.sotw();
    named.send({ type: 'cds', names: [B] });
    named.ack(await expectSotw(named, 'cds', [B]));
    // SotW wildcard.
    const all = client.sotw();
    all.send({ type: 'cds' });
    all.ack(await expectSotw(all, 'cds', [A, B]));
    // Non-full-state (EDS), named: SotW sends the set without it.
    const eds = client.sotw();
    eds.send({ type: 'eds', names: [EB] });
    eds.ack(await expectSotw(eds, 'eds', [EB]));
    // Delta: explicit removals.
    const d = client.delta();
    d.send({ type: 'cds' });
    d.send({ type: 'eds', subscribe: [EB] });
    d.ack(await expectDelta(d, 'cds', [A, B]));
    d.ack(await expectDelta(d, 'eds', [EB]));

    await srv.command('v2'); // b deleted, a changed
    named.ack(await expectSotw(named, 'cds', []));
    let r = await expectSotw(all, 'cds', [A, B]); // b kept while routes may still use it
    all.ack(r);
    all.ack(await expectSotw(all, 'cds', [A]));
    eds.ack(await expectSotw(eds, 'eds', []));
    d.ack(await expectDelta(d, 'cds', [A]));
    d.ack(await expectDelta(d, 'cds', [], [B]));
    d.ack(await expectDelta(d, 'eds', [], [EB]));

    await srv.command('empty'); // everything deleted
    r = await expectSotw(all, 'cds', []);
    assert.equal(r.version_info, (await versions(srv)).cds.version);
    d.ack(await expectDelta(d, 'cds', [], [A]));
    for (const s of [named, all, eds, d]) await s.expectNone();
  }));

test('TestLinearDeltaInitialResourcesVersionSet: a reconnect gets only what differs', T, () =>
  withServer([], async ({ srv, client }) => {
    const v = (await versions(srv)).eds.resources;
    const d1 = client.delta();
    d1.send({ type: 'eds', subscribe: [EA, EB], initial: { [EB]: v[EB] } });
    const r1 = await expectDelta(d1, 'eds', [EA]); // b is up to date
    assert.equal(r1.resources[0].version, v[EA]);
    const d2 = client.delta();
    d2.send({ type: 'eds', subscribe: [EA, EB], initial: { [EA]: v[EA], [EB]: v[EB] } });
    await d2.expectNone();
    // One that kept an older a and a version another control plane gave it.
    const d3 = client.delta();
    d3.send({ type: 'eds', subscribe: [EA, EB], initial: { [EA]: '0000000000000000', [EB]: 'v-other' } });
    await expectDelta(d3, 'eds', [EA, EB]);
    await srv.command('v2'); // a changed, b deleted
    for (const d of [d1, d2, d3]) {
      d.ack(await expectDelta(d, 'eds', [EA]));
      d.ack(await expectDelta(d, 'eds', [], [EB]));
      await d.expectNone();
    }
  }));
