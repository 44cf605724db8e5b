// Delta (incremental) ADS: a scripted client speaking Envoy's official protos against the real
// src/ads/ server (tests/protocol/ads_fixture_server). The rules are those of Envoy's xDS
// protocol document as SPEC.md §8 states them; docs/protocol.md lists the guarantees.
// Run by tests/protocol/delta.sh.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fixture = require('./lib/fixture');
const { AdsClient, TYPES, encodeRequest, grpcStatus } = require('./lib/ads-client');
const {
  A, B, EA, EB, T, withServer, expectSotw, expectDelta, waitStats, versions,
} = require('./lib/harness');

test('legacy wildcard LDS and CDS; named-only listeners only when named', T, () =>
  withServer([], async ({ client }) => {
    const d = client.delta();
    d.send({ type: 'cds' });
    const cds = await expectDelta(d, 'cds', [A, B]);
    assert.equal(cds.resources[0].message.eds_cluster_config.service_name, EA);
    d.send({ type: 'lds' });
    await expectDelta(d, 'lds', ['ingress_http']);
    d.send({ type: 'lds', subscribe: ['shop.example.com'] });
    const api = await expectDelta(d, 'lds', ['shop.example.com']);
    assert.ok(api.resources[0].message.api_listener);
    await d.expectNone();
    // EDS has no legacy wildcard: an empty first request names nothing (and is answered).
    d.send({ type: 'eds' });
    await expectDelta(d, 'eds', []);
    await d.expectNone();
  }));

test('versions: system_version_info is the source revision; resource versions match SotW', T, () =>
  withServer([], async ({ srv, client }) => {
    const v = await versions(srv);
    const d = client.delta();
    const s = client.sotw();
    for (const type of Object.keys(TYPES)) {
      d.send({ type, subscribe: ['*'] });
      s.send({ type, names: ['*'] });
    }
    for (let i = 0; i < 5; i++) {
      const r = await d.next();
      assert.equal(r.system_version_info, 'v1');
      assert.ok(r.resources.length > 0);
      for (const res of r.resources) assert.equal(res.version, v[r.type].resources[res.name], `${r.type} ${res.name}`);
      const sr = await s.next();
      assert.equal(sr.version_info, v[sr.type].version);
    }
    await srv.command('v3');
    const r = await d.next();
    assert.equal(r.system_version_info, 'v3');
  }));

test('the first wildcard request is answered even when empty; no response before a snapshot', T, async () => {
  await withServer([], async ({ srv, client }) => {
    await srv.command('empty');
    const d = client.delta();
    d.send({ type: 'cds' });
    const r = await expectDelta(d, 'cds', [], []);
    d.ack(r);
    await d.expectNone();
    await srv.command('v1');
    await expectDelta(d, 'cds', [A, B]);
  });
  await withServer(['--no-snapshot'], async ({ srv, client }) => {
    const d = client.delta();
    d.send({ type: 'cds' });
    await d.expectNone();
    await srv.command('v1');
    await expectDelta(d, 'cds', [A, B]);
  });
});

test('ACK: no redundant push; an identical snapshot sends nothing; only changes are sent', T, () =>
  withServer([], async ({ srv, client }) => {
    const d = client.delta();
    d.send({ type: 'cds' });
    d.send({ type: 'eds', subscribe: [EA, EB] });
    d.ack(await expectDelta(d, 'cds', [A, B]));
    d.ack(await expectDelta(d, 'eds', [EA, EB]));
    await d.expectNone();
    await srv.command('same');
    await d.expectNone();
    await srv.command('cluster'); // only cluster a changed
    d.ack(await expectDelta(d, 'cds', [A]));
    await d.expectNone();
    const st = await waitStats(srv, (x) => x.cds.acks === 2 && x.eds.acks === 1, 'the ACKs');
    assert.equal(st.cds.responses, 2);
    assert.equal(st.eds.responses, 1);
    assert.equal(st.streams_delta, 1);
  }));

test('unknown subscribed names are reported removed, and sent once they exist', T, () =>
  withServer([], async ({ srv, client }) => {
    const d = client.delta();
    d.send({ type: 'rds', subscribe: ['ingress_http', 'alt'] });
    d.ack(await expectDelta(d, 'rds', ['ingress_http'], ['alt']));
    await d.expectNone();
    await srv.command('listener'); // route alt appears
    d.ack(await expectDelta(d, 'rds', ['alt']));
    await d.expectNone();
    await srv.command('v1'); // and goes
    d.ack(await expectDelta(d, 'rds', [], ['alt']));
    await d.expectNone();
  }));

test('a type_url change mid-stream is fine: ADS multiplexes types', T, () =>
  withServer([], async ({ client }) => {
    const d = client.delta();
    d.send({ type: 'cds' });
    d.ack(await expectDelta(d, 'cds', [A, B]));
    d.send({ type: 'eds', subscribe: [EB] });
    d.ack(await expectDelta(d, 'eds', [EB]));
    d.send({ type: 'sds', subscribe: ['default/cert'] });
    d.ack(await expectDelta(d, 'sds', ['default/cert']));
    d.send({ type: 'eds', subscribe: [EA], unsubscribe: [EB] });
    d.ack(await expectDelta(d, 'eds', [EA]));
    await d.expectNone();
  }));

test('reconnect: initial_resource_versions skips what the client has, removes what is gone', T, () =>
  withServer([], async ({ srv, client }) => {
    const d1 = client.delta();
    d1.send({ type: 'cds' });
    d1.send({ type: 'eds', subscribe: [EA, EB] });
    d1.ack(await expectDelta(d1, 'cds', [A, B]));
    d1.ack(await expectDelta(d1, 'eds', [EA, EB]));
    d1.cancel();
    await srv.command('v2'); // while disconnected: a and its endpoints changed, b gone
    const d2 = client.delta();
    d2.send({ type: 'cds', initial: d1.has('cds') });
    d2.send({ type: 'eds', subscribe: [EA, EB], initial: d1.has('eds') });
    // Only what changed, and the removals (whether EDS's come before CDS's removal depends on
    // when the EDS request arrives).
    const got = [];
    for (let i = 0; i < 4; i++) {
      const r = await d2.next();
      got.push(`${r.type} [${r.names}] -[${r.removed}]`);
      d2.ack(r);
    }
    await d2.expectNone();
    assert.deepEqual(got.sort(), [`cds [${A}] -[]`, `cds [] -[${B}]`, `eds [${EA}] -[]`, `eds [] -[${EB}]`].sort());
    const v2 = await versions(srv);
    assert.deepEqual(d2.has('cds'), { [A]: v2.cds.resources[A] });
    assert.deepEqual(d2.has('eds'), { [EA]: v2.eds.resources[EA] });
    // A client that has everything gets nothing.
    const d3 = client.delta();
    d3.send({ type: 'cds', subscribe: ['*'], initial: { [A]: (await versions(srv)).cds.resources[A] } });
    await d3.expectNone();
  }));

test('malformed requests end that stream with INVALID_ARGUMENT; others carry on', T, () =>
  withServer([], async ({ srv, client }) => {
    const good = client.delta();
    good.send({ type: 'cds' });
    good.ack(await expectDelta(good, 'cds', [A, B]));

    const unknown = client.delta();
    unknown.send({ type: 'type.googleapis.com/envoy.config.foo.v3.Bar' });
    let st = await unknown.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(st.details, /envoy\.config\.foo\.v3\.Bar/);

    const empty = client.delta();
    empty.send({ subscribe: ['x'] });
    st = await empty.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(st.details, /type_url/);

    const garbage = client.delta();
    garbage.sendRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    st = await garbage.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(st.details, /cannot decode/);

    // The wrong message: a SotW DiscoveryRequest on the delta method.
    const wrong = client.delta();
    wrong.sendRaw(encodeRequest({ type: 'cds', version: 'abc', names: ['x'] }));
    st = await wrong.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);

    await waitStats(srv, (x) => x.streams_delta === 1, 'the bad streams to close');
    await srv.command('cluster');
    await expectDelta(good, 'cds', [A]);
  }));

test('limits and lifecycle: max streams, half-close, shutdown', T, async () => {
  await withServer(['--max-streams', '2'], async ({ srv, client }) => {
    const d1 = client.delta();
    const s2 = client.sotw();
    d1.send({ type: 'cds' });
    s2.send({ type: 'cds' });
    await expectDelta(d1, 'cds');
    await expectSotw(s2, 'cds');
    const d3 = client.delta();
    d3.send({ type: 'cds' });
    assert.equal((await d3.status()).code, grpcStatus.RESOURCE_EXHAUSTED);
    d1.end();
    assert.equal((await d1.status()).code, grpcStatus.OK);
    await waitStats(srv, (x) => x.streams_delta === 0, 'the closed stream');
    const d4 = client.delta();
    d4.send({ type: 'cds' });
    await expectDelta(d4, 'cds', [A, B]);
  });
  const srv = await fixture.start([]);
  const client = new AdsClient(srv.address);
  try {
    const d = client.delta();
    d.send({ type: 'lds' });
    await expectDelta(d, 'lds');
    const stopped = srv.stop();
    assert.equal((await d.status()).code, grpcStatus.UNAVAILABLE);
    assert.equal((await stopped).code, 0);
  } finally {
    client.close();
    await srv.stop();
  }
});
