// Bad gRPC clients against the real `cairn serve` (SPEC.md §8, issue 9): garbage on the port,
// malformed gRPC framing, oversized messages, unknown methods, unknown and empty type URLs, and a
// flood of changing subscriptions. Each bad call ends with a gRPC status (a bad connection is
// closed); the process lives on and a healthy stream opened before keeps receiving updates.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http2 = require('node:http2');
const net = require('node:net');
const { AdsClient, encodeRequest, grpcStatus, SOTW_METHOD, DELTA_METHOD } = require('../protocol/lib/ads-client');
const grpc = require('@grpc/grpc-js');
const { setup } = require('./lib');

const T = { timeout: 90000 };

async function withServe(body) {
  const ctx = await setup();
  try {
    await body(ctx);
  } finally {
    await ctx.close();
  }
}

// A client on a connection of its own, as every Envoy has: grpc-js otherwise shares one
// connection between clients of the same address, and a test would watch the client library
// break its own connection rather than the server treat connections apart.
function ownClient(addr) {
  const c = new AdsClient(addr);
  c.client.close();
  c.client = new grpc.Client(addr, grpc.credentials.createInsecure(),
    { 'grpc.use_local_subchannel_pool': 1 });
  return c;
}

// Opens a raw TCP connection, writes data, and resolves with what came back once the server
// closed the connection (rejects if it is still open after ms).
function rawExchange(addr, data, ms = 5000) {
  const [host, port] = addr.split(':');
  return new Promise((resolve, reject) => {
    const chunks = [];
    const c = net.connect(Number(port), host, () => c.write(data));
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`connection still open after ${ms} ms`)); }, ms);
    c.on('data', (d) => chunks.push(d));
    c.on('error', () => {});
    c.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
  });
}

// One gRPC call over node's http2 with hand-made framing: resolves {status, message} from the
// trailers (or headers, for a trailers-only response); a stream reset with an error counts as
// INTERNAL, as gRPC clients report it.
function rawGrpcCall(addr, method, body, { ms = 5000, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${addr}`);
    session.on('error', () => {});
    const timer = setTimeout(() => { session.destroy(); reject(new Error(`no gRPC status after ${ms} ms`)); }, ms);
    const req = session.request({
      ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers',
      ...headers,
    });
    let result = null;
    const done = (h) => {
      if (result || h['grpc-status'] === undefined) return;
      result = { status: Number(h['grpc-status']), message: decodeURIComponent(h['grpc-message'] || '') };
    };
    req.on('response', done);
    req.on('trailers', done);
    req.on('data', () => {});
    req.on('error', () => {});
    req.on('close', () => {
      clearTimeout(timer);
      session.close();
      if (result) resolve(result);
      // RST_STREAM with an error: what every gRPC client reports as INTERNAL.
      else if (req.rstCode) resolve({ status: grpcStatus.INTERNAL, message: `RST_STREAM ${req.rstCode}` });
      else reject(new Error('stream closed without a gRPC status or an error'));
    });
    req.end(body);
  });
}

// A gRPC length-prefixed message.
function frame(msg, compressed = 0, length = msg.length) {
  const h = Buffer.alloc(5);
  h.writeUInt8(compressed, 0);
  h.writeUInt32BE(length, 1);
  return Buffer.concat([h, msg]);
}

test('garbage bytes on the gRPC port close that connection only', T, () =>
  withServe(async (ctx) => {
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
    await rawExchange(ctx.srv.xds, junk);
    // HTTP/1.1 to an HTTP/2 port, and a connection preface followed by garbage frames.
    await rawExchange(ctx.srv.xds, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await rawExchange(ctx.srv.xds, Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), junk]));
    // A connection that sends half a preface and then nothing is not waited for forever by us;
    // the server keeps serving others meanwhile.
    const idle = net.connect(Number(ctx.srv.xds.split(':')[1]), '127.0.0.1', () => idle.write('PRI * HT'));
    idle.on('error', () => {});
    try {
      await ctx.expectRecovers();
    } finally {
      idle.destroy();
    }
  }));

test('malformed gRPC framing ends the call with a status', T, () =>
  withServe(async (ctx) => {
    const req = encodeRequest({ type: 'cds', node: { id: 'raw' } });
    // gzip announced, and bytes that are not gzip.
    const c = await rawGrpcCall(ctx.srv.xds, SOTW_METHOD, frame(req, 1),
      { headers: { 'grpc-encoding': 'gzip' } });
    assert.notEqual(c.status, grpcStatus.OK, 'a message that does not decompress');
    // A length prefix promising more than is sent, then the end of the stream: grpc core drops
    // the partial message and sees a half-close; the call must end, not wait for the rest.
    const t = await rawGrpcCall(ctx.srv.xds, SOTW_METHOD, frame(req, 0, req.length + 100));
    assert.equal(typeof t.status, 'number', 'truncated message: the call ended');
    // Bytes that are not a DiscoveryRequest.
    const g = await rawGrpcCall(ctx.srv.xds, SOTW_METHOD, frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])));
    assert.equal(g.status, grpcStatus.INVALID_ARGUMENT, `garbage message: ${g.message}`);
    assert.match(g.message, /cannot decode DiscoveryRequest/);
    await ctx.expectRecovers();
  }));

test('a message over the 16 MiB cap ends that stream with RESOURCE_EXHAUSTED', T, () =>
  withServe(async (ctx) => {
    const client = ownClient(ctx.srv.xds);
    try {
      const s = client.sotw({ id: 'big' });
      s.send({ type: 'eds', names: ['x'.repeat(17 << 20)] });
      const st = await s.status(15000);
      assert.equal(st.code, grpcStatus.RESOURCE_EXHAUSTED, `${st.code}: ${st.details}`);
      // Just under the cap is a legal request (names that do not exist: an empty answer).
      const ok = client.sotw({ id: 'almost' });
      ok.send({ type: 'eds', names: ['y'.repeat((16 << 20) - 1024)] });
      const r = await ok.next(15000);
      assert.equal(r.resources.length, 0);
      ok.end();
    } finally {
      client.close();
    }
    await ctx.expectRecovers();
  }));

test('unknown methods end with UNIMPLEMENTED', T, () =>
  withServe(async (ctx) => {
    const client = ownClient(ctx.srv.xds);
    try {
      for (const m of ['/envoy.service.discovery.v3.AggregatedDiscoveryService/Nope',
        '/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters', '/x/y', '/']) {
        const s = client.raw(m);
        s.sendRaw(encodeRequest({ type: 'cds' }));
        const st = await s.status(5000);
        assert.equal(st.code, grpcStatus.UNIMPLEMENTED, `${m}: ${st.code} ${st.details}`);
      }
    } finally {
      client.close();
    }
    await ctx.expectRecovers();
  }));

test('unknown, empty and oversized type URLs end that stream with INVALID_ARGUMENT', T, () =>
  withServe(async (ctx) => {
    const client = ownClient(ctx.srv.xds);
    try {
      const cases = [
        ['type.googleapis.com/envoy.config.cluster.v2.Cluster', /unsupported type_url/],
        ['type.googleapis.com/google.protobuf.Empty', /unsupported type_url/],
        ['', /without type_url/],
        [`type.googleapis.com/${'x'.repeat(2000)}`, /unsupported type_url/],
      ];
      for (const [url, re] of cases) {
        const s = client.sotw({ id: 'bad-type' });
        s.send({ type: url });
        const st = await s.status(5000);
        assert.equal(st.code, grpcStatus.INVALID_ARGUMENT, `${url.slice(0, 80)}: ${st.code} ${st.details.slice(0, 200)}`);
        assert.match(st.details, re);
        assert.ok(st.details.length < 4096, `status details of ${st.details.length} bytes`);
      }
      // A good request first, then a bad one: still only that stream ends.
      const s = client.sotw({ id: 'then-bad' });
      s.send({ type: 'cds' });
      await s.next();
      s.send({ type: 'type.googleapis.com/foo.Bar' });
      assert.equal((await s.status(5000)).code, grpcStatus.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
    await ctx.expectRecovers();
  }));

// The type URL is echoed into the status message, which grpc sends as the grpc-message header:
// echoed whole, one of a megabyte exceeds what an HTTP/2 client accepts in headers, and the
// client never sees a status (grpc-js then also stalls its other calls on that connection).
test('a type URL of a megabyte ends that stream with a readable status, others undisturbed', T, () =>
  withServe(async (ctx) => {
    const client = ownClient(ctx.srv.xds);
    try {
      const s = client.sotw({ id: 'huge-type' });
      s.send({ type: `type.googleapis.com/${'x'.repeat(1 << 20)}` });
      const st = await s.status(5000);
      assert.equal(st.code, grpcStatus.INVALID_ARGUMENT);
      assert.match(st.details, /unsupported type_url/);
      assert.ok(st.details.length < 4096, `status details of ${st.details.length} bytes`);
      // The same connection serves a new stream.
      const again = client.sotw({ id: 'after-huge-type' });
      again.send({ type: 'cds' });
      assert.equal((await again.next(5000)).type, 'cds');
      again.end();
    } finally {
      client.close();
    }
    await ctx.expectRecovers();
    assert.ok(!ctx.srv.stderr().includes('x'.repeat(4096)), 'the log line is cut too');
  }));

// The resident set of the daemon listening on the xDS port (from /proc), in KiB.
function daemonRssKiB(xdsPort) {
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('serve') && cmd.includes(`:${xdsPort}`)) {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : null;
    }
  }
  return null;
}

test('a flood of changing subscriptions is answered for the last one, memory stays bounded', T, () =>
  withServe(async (ctx) => {
    const port = ctx.srv.xds.split(':')[1];
    const client = ownClient(ctx.srv.xds);
    const before = daemonRssKiB(port);
    try {
      const flood = client.sotw({ id: 'flood' });
      const names = ['shop/storefront/http', 'shop/api/http', 'blog/blog/80', 'blog/blog-canary/80'];
      const N = 20000;
      // Never reading while writing: the server must not queue a response per request.
      for (let i = 0; i < N; i++) {
        flood.send({ type: 'eds', names: [names[i % 4], `missing-${i}`] });
      }
      flood.send({ type: 'eds', names: ['blog/blog/80'] });
      // Whatever came in between, the last response is for the last subscription.
      let last = null;
      const until = Date.now() + 30000;
      while (Date.now() < until) {
        let r;
        try {
          r = await flood.next(1500);
        } catch (e) {
          if (/no DiscoveryResponse/.test(e.message)) break;
          throw e;
        }
        last = r;
      }
      assert.ok(last, 'the flood got answers');
      assert.deepEqual(last.names, ['blog/blog/80']);
      flood.end();
    } finally {
      client.close();
    }
    const after = daemonRssKiB(port);
    if (before && after) assert.ok(after - before < 64 * 1024, `RSS grew by ${after - before} KiB`);
    await ctx.expectRecovers();
  }));

test('many streams opened and dropped mid-call leave the daemon serving', T, () =>
  withServe(async (ctx) => {
    for (let round = 0; round < 5; round++) {
      const client = ownClient(ctx.srv.xds);
      const streams = [];
      for (let i = 0; i < 100; i++) {
        const s = client.sotw({ id: `churn-${round}-${i}` });
        s.send({ type: 'cds' });
        streams.push(s);
      }
      await streams[99].next(5000);
      for (const s of streams) s.cancel();
      client.close();
    }
    // The delta method is refused or served, but never crashes anything.
    const client = ownClient(ctx.srv.xds);
    const d = client.raw(DELTA_METHOD);
    d.sendRaw(Buffer.from([0xff, 0x01]));
    const st = await d.status(5000);
    assert.notEqual(st.code, grpcStatus.OK);
    client.close();
    await ctx.expectRecovers();
  }));
