// SotW ADS protocol tests: a scripted client speaking Envoy's official protos against the real
// src/ads/ server (tests/protocol/ads_fixture_server). The rules are those of Envoy's xDS
// protocol document as SPEC.md §8 states them. Run by tests/protocol/sotw.sh.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fixture = require('./lib/fixture');
const { AdsClient, TYPES, grpcStatus } = require('./lib/ads-client');

const A = 'default/a/80/x';
const B = 'default/b/80/x';
const EA = 'default/a/80';
const EB = 'default/b/80';
const T = { timeout: 30000 };

// Runs fn(ctx) against a fresh fixture server; the server must then stop cleanly.
async function withServer(args, fn) {
  const srv = await fixture.start(args);
  const client = new AdsClient(srv.address);
  try {
    await fn({ srv, client });
  } finally {
    client.close();
    const st = await srv.stop();
    assert.equal(st.code, 0, `fixture exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr}`);
  }
}

// Every resource must decode with the official protos without unknown bytes.
function assertClean(resp) {
  for (const r of resp.resources) {
    assert.equal(r.type_url, resp.type_url, `Any type_url of ${r.name}`);
    assert.equal(r.unknownBytes, 0, `${r.name} has fields the official protos do not know`);
  }
  assert.notEqual(resp.version_info, '');
  assert.notEqual(resp.nonce, '');
}

// Polls the fixture's counters until pred(stats) holds: requests are processed asynchronously,
// and an ACK that arrives after the next push is (correctly) stale.
async function waitStats(srv, pred, what) {
  let st;
  for (let i = 0; i < 100; i++) {
    st = await srv.stats();
    if (pred(st)) return st;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}: ${JSON.stringify(st)}`);
}

async function expectResponse(s, type, names) {
  const r = await s.next();
  assert.equal(r.type, type, `expected a ${type} response, got ${r.type} [${r.names}]`);
  if (names) assert.deepEqual(r.names, names);
  assertClean(r);
  return r;
}

test('wildcard LDS and CDS; a named-only listener is not sent under a wildcard', T, () =>
  withServer([], async ({ client }) => {
    const s = client.sotw();
    s.send({ type: 'cds' });
    const cds = await expectResponse(s, 'cds', [A, B]);
    assert.equal(cds.resources[0].message.type, 'EDS');
    assert.equal(cds.resources[0].message.eds_cluster_config.service_name, EA);
    s.send({ type: 'lds' });
    const lds = await expectResponse(s, 'lds', ['ingress_http']);
    s.ack(cds);
    s.ack(lds);
    await s.expectNone();

    // Explicit "*" plus the named-only listener: both.
    const s2 = client.sotw();
    s2.send({ type: 'lds', names: ['*', 'shop.example.com'] });
    await expectResponse(s2, 'lds', ['ingress_http', 'shop.example.com']);
  }));

test('named RDS and EDS: only the named resources that exist', T, () =>
  withServer([], async ({ client }) => {
    const s = client.sotw();
    s.send({ type: 'eds', names: [EA, 'default/missing/80'] });
    const eds = await expectResponse(s, 'eds', [EA]);
    const ep = eds.resources[0].message.endpoints[0];
    assert.equal(ep.lb_endpoints[0].endpoint.address.socket_address.address, '10.0.0.1');
    assert.equal(ep.load_balancing_weight.value, 1);
    s.send({ type: 'rds', names: ['shop.example.com'] });
    const rds = await expectResponse(s, 'rds', ['shop.example.com']);
    assert.deepEqual(rds.resources[0].message.virtual_hosts[0].domains, ['shop.example.com']);
  }));

test('a named-only (api_listener) Listener is sent when named', T, () =>
  withServer([], async ({ client }) => {
    const s = client.sotw({ id: 'proxyless', cluster: 'grpc', locality: { zone: 'z1' } });
    s.send({ type: 'lds', names: ['shop.example.com'] });
    const lds = await expectResponse(s, 'lds', ['shop.example.com']);
    const api = lds.resources[0].message.api_listener.api_listener;
    assert.equal(api.type_url,
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  }));

test('ACK: no redundant push after it, nor for an identical snapshot', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = client.sotw();
    s.send({ type: 'cds' });
    const cds = await expectResponse(s, 'cds', [A, B]);
    s.ack(cds);
    await s.expectNone();
    await srv.command('same');
    await s.expectNone();
    const st = await waitStats(srv, (x) => x.cds.acks === 1, 'the ACK');
    assert.equal(st.cds.responses, 1);
    assert.equal(st.cds.nacks, 0);
    assert.equal(st.streams_sotw, 1);
  }));

test('first request of a type is answered even when nothing matches', T, () =>
  withServer([], async ({ srv, client }) => {
    await srv.command('empty');
    const s = client.sotw();
    s.send({ type: 'cds' });
    const cds = await expectResponse(s, 'cds', []);
    s.send({ type: 'rds', names: ['nope'] });
    await expectResponse(s, 'rds', []);
    s.ack(cds);
    await s.expectNone();
    // Resources appear: the wildcard gets them.
    await srv.command('v1');
    const again = await expectResponse(s, 'cds', [A, B]);
    assert.notEqual(again.version_info, cds.version_info);
  }));

test('no response before the first snapshot; the first publish answers', T, () =>
  withServer(['--no-snapshot'], async ({ srv, client }) => {
    const s = client.sotw();
    s.send({ type: 'cds' });
    await s.expectNone();
    await srv.command('v1');
    await expectResponse(s, 'cds', [A, B]);
  }));

test('a change is pushed in make-before-break order, only for what changed', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = client.sotw();
    const subs = [['lds', []], ['cds', []], ['eds', [EA, EB]], ['rds', ['ingress_http']], ['sds', ['default/cert']]];
    for (const [type, names] of subs) {
      s.send({ type, names });
      s.ack(await expectResponse(s, type));
    }
    await s.expectNone();
    await srv.command('v3'); // cluster a changed, b removed; endpoints a changed, b removed; route changed
    const v3 = JSON.parse((await srv.command('versions'))[0].substring(9));
    // Cluster b stays (unchanged) until the routes stop using it...
    const cds = await expectResponse(s, 'cds', [A, B]);
    assert.equal(cds.resources[0].message.connect_timeout.seconds, '3');
    assert.notEqual(cds.version_info, v3.cds.version);
    const eds = await expectResponse(s, 'eds', [EA]);
    assert.equal(eds.resources[0].message.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address, '10.0.0.11');
    const rds = await expectResponse(s, 'rds', ['ingress_http']);
    assert.deepEqual(rds.resources[0].message.virtual_hosts[0].domains, ['www.example.com']);
    assert.equal(rds.resources[0].message.virtual_hosts[0].routes[0].route.cluster, A);
    // ...then goes.
    const withdrawn = await expectResponse(s, 'cds', [A]);
    assert.equal(withdrawn.version_info, v3.cds.version);
    await s.expectNone(); // LDS and SDS did not change
  }));

test('NACK: the rejected version is not resent; the next change is', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = client.sotw({ id: 'nacker', cluster: 'c' });
    s.send({ type: 'cds' });
    const v1 = await expectResponse(s, 'cds', [A, B]);
    s.ack(v1);
    await waitStats(srv, (x) => x.cds.acks === 1, 'the ACK');
    await srv.command('cluster');
    const v2 = await expectResponse(s, 'cds', [A, B]);
    s.nack(v2, { lastVersion: v1.version_info, message: 'cluster a: bad connect_timeout' });
    await s.expectNone(500);
    await srv.command('same');
    await s.expectNone(500);
    let st = await srv.stats();
    assert.equal(st.cds.nacks, 1);
    assert.equal(st.cds.acks, 1);
    await srv.command('v4');
    const v3 = await expectResponse(s, 'cds', [A, B]);
    assert.notEqual(v3.version_info, v2.version_info);
    assert.notEqual(v3.nonce, v2.nonce);
    s.ack(v3);
    await s.expectNone();
    await waitStats(srv, (x) => x.cds.acks === 2, 'the second ACK');
    assert.match(srv.stderr, /nacker rejected cds version [0-9a-f]{16}: cluster a: bad connect_timeout/);
    assert.equal(srv.stderr.match(/nacker rejected/g).length, 1, 'the NACK is logged once');
  }));

test('stale nonce: no ACK/NACK, but its subscription change is honoured', T, () =>
  withServer([], async ({ srv, client }) => {
    const s = client.sotw();
    s.send({ type: 'eds', names: [EA] });
    const r1 = await expectResponse(s, 'eds', [EA]);
    s.ack(r1);
    await waitStats(srv, (x) => x.eds.acks === 1, 'the ACK');
    await srv.command('v2');
    const r2 = await expectResponse(s, 'eds', [EA]);
    await srv.command('v1');
    const r3 = await expectResponse(s, 'eds', [EA]);
    // A NACK for r2, which is not the latest: ignored.
    s.send({ type: 'eds', names: [EA], nonce: r2.nonce, version: r1.version_info, error: 'late' });
    await s.expectNone();
    const st = await srv.stats();
    assert.equal(st.eds.nacks, 0);
    assert.equal(st.eds.acks, 1);
    // Stale nonce, new names: answered with everything named.
    s.send({ type: 'eds', names: [EA, EB], nonce: r1.nonce, version: r1.version_info });
    const r4 = await expectResponse(s, 'eds', [EA, EB]);
    assert.equal(r4.version_info, r3.version_info);
    // Stale nonce, same names: nothing.
    s.send({ type: 'eds', names: [EA, EB], nonce: r3.nonce, version: r1.version_info });
    await s.expectNone();
  }));

test('newly named resources are always sent, even at the same version', T, () =>
  withServer([], async ({ client }) => {
    const s = client.sotw();
    s.send({ type: 'eds', names: [EA] });
    const r1 = await expectResponse(s, 'eds', [EA]);
    s.ack(r1);
    await s.expectNone();
    s.send({ type: 'eds', names: [EA, EB], nonce: r1.nonce, version: r1.version_info });
    const r2 = await expectResponse(s, 'eds', [EA, EB]);
    assert.equal(r2.version_info, r1.version_info);
    s.ack(r2);
    // Unsubscribing from everything: an empty response, then nothing more.
    s.send({ type: 'eds', names: [], nonce: r2.nonce, version: r2.version_info });
    await expectResponse(s, 'eds', []);
  }));

test('INVALID_ARGUMENT for a bad request ends only that stream', T, () =>
  withServer([], async ({ srv, client }) => {
    const good = client.sotw();
    good.send({ type: 'cds' });
    good.ack(await expectResponse(good, 'cds', [A, B]));

    const unknown = client.sotw();
    unknown.send({ type: 'type.googleapis.com/envoy.config.foo.v3.Bar' });
    let st = await unknown.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(st.details, /envoy\.config\.foo\.v3\.Bar/);

    const empty = client.sotw();
    empty.send({ type: '' });
    st = await empty.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(st.details, /type_url/);

    const garbage = client.sotw();
    garbage.sendRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    st = await garbage.status();
    assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(st.details, /cannot decode/);

    await srv.command('v2');
    await expectResponse(good, 'cds', [A, B]); // b kept until ...
    await expectResponse(good, 'cds', [A]); // ... withdrawn
  }));

test('unknown methods end with UNIMPLEMENTED', T, () =>
  withServer([], async ({ client }) => {
    const other = client.raw('/envoy.service.discovery.v3.AggregatedDiscoveryService/Nope');
    other.sendRaw(Buffer.alloc(0));
    let st = await other.status();
    assert.equal(st.code, grpcStatus.UNIMPLEMENTED);
    const foreign = client.raw('/foo.Bar/Baz');
    st = await foreign.status();
    assert.equal(st.code, grpcStatus.UNIMPLEMENTED);
  }));

test('streams over the limit end with RESOURCE_EXHAUSTED', T, () =>
  withServer(['--max-streams', '2'], async ({ srv, client }) => {
    const s1 = client.sotw();
    const s2 = client.sotw();
    for (const s of [s1, s2]) {
      s.send({ type: 'cds' });
      await expectResponse(s, 'cds');
    }
    const s3 = client.sotw();
    s3.send({ type: 'cds' });
    const st = await s3.status();
    assert.equal(st.code, grpcStatus.RESOURCE_EXHAUSTED);
    s1.cancel();
    for (let i = 0; i < 50 && (await srv.stats()).streams_sotw !== 1; i++)
      await new Promise((r) => setTimeout(r, 20));
    const s4 = client.sotw();
    s4.send({ type: 'cds' });
    await expectResponse(s4, 'cds', [A, B]);
  }));

test('a request above the receive limit ends the stream with RESOURCE_EXHAUSTED', T, () =>
  withServer(['--max-receive-bytes', '1024'], async ({ client }) => {
    const small = client.sotw();
    small.send({ type: 'eds', names: [EA] });
    await expectResponse(small, 'eds', [EA]);
    const big = client.sotw();
    big.send({ type: 'eds', names: Array.from({ length: 100 }, (_, i) => `default/svc-${i}/80`) });
    const st = await big.status();
    assert.equal(st.code, grpcStatus.RESOURCE_EXHAUSTED);
    small.send({ type: 'eds', names: [EA, EB] });
    await expectResponse(small, 'eds', [EA, EB]);
  }));

test('a client half-close ends the stream with OK; shutdown ends streams with UNAVAILABLE', T, async () => {
  const srv = await fixture.start([]);
  const client = new AdsClient(srv.address);
  try {
    const s = client.sotw();
    s.send({ type: 'cds' });
    await expectResponse(s, 'cds');
    s.end();
    assert.equal((await s.status()).code, grpcStatus.OK);

    const open = client.sotw();
    open.send({ type: 'lds' });
    await expectResponse(open, 'lds');
    const stopped = srv.stop();
    assert.equal((await open.status()).code, grpcStatus.UNAVAILABLE);
    assert.equal((await stopped).code, 0);
  } finally {
    client.close();
    await srv.stop();
  }
});

test('plaintext is refused on a non-loopback address unless insecure', T, async () => {
  await assert.rejects(fixture.start(['--address', '0.0.0.0:0']), (e) => {
    assert.match(e.line, /refusing to serve xDS in plaintext on 0\.0\.0\.0:0/);
    assert.equal(e.exitCode, 2);
    return true;
  });
  const srv = await fixture.start(['--address', '0.0.0.0:0', '--insecure-xds']);
  assert.ok(srv.port > 0);
  await srv.stop();
  assert.match(srv.stderr, /serving xDS in plaintext on 0\.0\.0\.0:0/);
});

test('every type round-trips through the official protos without unknown fields', T, () =>
  withServer([], async ({ client }) => {
    const s = client.sotw();
    for (const type of Object.keys(TYPES)) s.send({ type, names: ['*'] });
    const seen = new Set();
    for (let i = 0; i < Object.keys(TYPES).length; i++) {
      const r = await s.next();
      assertClean(r);
      assert.ok(r.resources.length > 0, `${r.type}: no resources under "*"`);
      seen.add(r.type);
    }
    assert.deepEqual([...seen].sort(), Object.keys(TYPES).sort());
  }));

test('many streams and rapid changes: every stream converges on the last snapshot', T, () =>
  withServer([], async ({ srv, client }) => {
    const streams = [];
    for (let i = 0; i < 20; i++) {
      const s = client.sotw({ id: `n${i}`, cluster: 'c' });
      s.send({ type: 'cds' });
      s.send({ type: 'eds', names: [EA, EB] });
      streams.push(s);
    }
    const v1 = [];
    for (const s of streams) v1.push(await expectResponse(s, 'cds', [A, B]));
    // Half of the streams go away while updates are being pushed.
    const commands = [];
    for (let i = 0; i < 20; i++) commands.push(srv.command(i % 2 ? 'v1' : 'v2'));
    for (let i = 0; i < streams.length; i += 2) streams[i].cancel();
    await Promise.all(commands);
    for (let i = 1; i < streams.length; i += 2) {
      // Publishes are coalesced (the server brings streams to the newest
      // snapshot only): a stream that saw no newer CDS still holds v1's.
      const last = { cds: v1[i] };
      for (;;) {
        let r;
        try {
          r = await streams[i].next(500);
        } catch (e) {
          break;
        }
        assertClean(r);
        last[r.type] = r;
      }
      // The last snapshot is v1 again: same versions as the first responses.
      assert.equal(last.cds.version_info, v1[i].version_info);
      assert.deepEqual(last.cds.names, [A, B]);
      assert.deepEqual(last.eds.names, [EA, EB]);
    }
    const st = await waitStats(srv, (x) => x.streams_sotw === 10, 'cancelled streams to close');
    assert.ok(st.cds.responses <= 20 + 10 * 20, `cds responses: ${st.cds.responses}`);
  }));

test('a unix socket serves plaintext; a port in use is a clear start error', T, async () => {
  const os = require('os');
  const path = require('path');
  const fs = require('fs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ads-'));
  const sock = `unix:${path.join(dir, 'xds.sock')}`;
  const srv = await fixture.start(['--address', sock]);
  try {
    assert.equal(srv.port, 0);
    const client = new AdsClient(sock);
    const s = client.sotw();
    s.send({ type: 'cds' });
    await expectResponse(s, 'cds', [A, B]);
    client.close();

    const tcp = await fixture.start([]);
    await assert.rejects(fixture.start(['--address', `127.0.0.1:${tcp.port}`]), (e) => {
      assert.match(e.line, /cannot listen for xDS on 127\.0\.0\.1:\d+/);
      assert.equal(e.exitCode, 2);
      return true;
    });
    assert.equal((await tcp.stop()).code, 0);
  } finally {
    assert.equal((await srv.stop()).code, 0);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
