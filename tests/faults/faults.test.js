// Faults against the real `cairn serve` (SPEC.md §8, issue 9): kill -9 and restart with clients
// reconnecting, a client that stops reading, 1,000 connect/disconnect cycles, and the refusal
// of plaintext xDS on a non-loopback address. Loopback only; each test is bounded in time.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const grpc = require('@grpc/grpc-js');
const { AdsClient, grpcStatus } = require('../protocol/lib/ads-client');
const { copyTree } = require('../protocol/lib/serve');
const { nextMatching, rdsNames, edsPort, STOREFRONT } = require('../hostile/lib');
// Under ASan (tests/sanitize.sh) freed memory sits in the allocator's
// quarantine and RSS says nothing about cairn: the RSS bounds are judged in
// the normal run, leaks by LeakSanitizer when cairn exits.
const SANITIZED = process.env.CAIRN_SANITIZED === '1';
const {
  startCairn, rssKiB, fdCount, sleep, writeTree, edsPorts, stallingProxy, freePort,
} = require('./lib');

const quickstart = path.join(process.env.top_srcdir, 'examples', 'quickstart');

function tmpdir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cairn-faults-${tag}-`));
}

function config(dir, extra = '') {
  const cfg = path.join(dir, 'cairn.yaml');
  fs.writeFileSync(cfg, `debounce: 20ms\nmax-delay: 200ms\n${extra}`);
  return cfg;
}

// A client on a connection of its own, as every Envoy has (grpc-js otherwise shares one
// connection between clients of the same address).
function ownClient(addr) {
  const c = new AdsClient(addr);
  c.client.close();
  c.client = new grpc.Client(addr, grpc.credentials.createInsecure(),
    { 'grpc.use_local_subchannel_pool': 1 });
  return c;
}

// Subscribes a SotW stream to everything (wildcard LDS/CDS, then the EDS and RDS names they
// reference), ACKing: returns {lds, cds, eds, rds}.
// kept: the version_info per type a reconnecting client sends on its first requests (as Envoy
// does: the version it last accepted, no nonce).
async function sotwAll(s, kept = {}) {
  const get = async (type, names) => {
    s.send({ type, names, version: kept[type] || '' });
    const r = await s.next(5000);
    assert.equal(r.type, type);
    s.ack(r);
    return r;
  };
  const lds = await get('lds', []);
  const cds = await get('cds', []);
  const eds = await get('eds', cds.resources.map((c) => c.message.eds_cluster_config.service_name).sort());
  const rds = await get('rds', rdsNames(lds));
  return { lds, cds, eds, rds };
}

// The same through a delta stream; returns the names subscribed per type.
async function deltaAll(d) {
  d.send({ type: 'lds' });
  const lds = await d.next(5000); d.ack(lds);
  d.send({ type: 'cds' });
  const cds = await d.next(5000); d.ack(cds);
  const edsNames = cds.resources.map((c) => c.message.eds_cluster_config.service_name).sort();
  d.send({ type: 'eds', subscribe: edsNames });
  const eds = await d.next(5000); d.ack(eds);
  const rdsN = rdsNames(lds);
  d.send({ type: 'rds', subscribe: rdsN });
  const rds = await d.next(5000); d.ack(rds);
  return { eds: edsNames, rds: rdsN };
}

function resourceBytes(r) {
  return Object.fromEntries(r.resources.map((x) => [x.name, x.bytes.toString('hex')]));
}

test('kill -9 with clients connected: after a restart SotW gets identical versions, delta gets nothing resent', { timeout: 30000 }, async () => {
  const dir = tmpdir('kill');
  const root = path.join(dir, 'resources');
  copyTree(quickstart, root);
  const cfg = config(dir);
  let srv = await startCairn(['-c', cfg, root]);
  const { xdsPort, adminPort } = srv;
  const client = ownClient(srv.xds);
  const dclient = ownClient(srv.xds);
  try {
    const s = client.sotw({ id: 'faults-sotw', cluster: 'test' });
    const before = await sotwAll(s);
    const d = dclient.delta({ id: 'faults-delta', cluster: 'test' });
    const names = await deltaAll(d);
    const had = Object.fromEntries(['lds', 'cds', 'eds', 'rds'].map((t) => [t, d.has(t)]));
    assert.ok(Object.keys(had.eds).length > 0 && Object.keys(had.rds).length > 0);

    const st = await srv.kill9();
    assert.equal(st.signal, 'SIGKILL');
    // Both streams see the connection go.
    assert.equal((await s.status(5000)).code, grpcStatus.UNAVAILABLE);
    assert.equal((await d.status(5000)).code, grpcStatus.UNAVAILABLE);

    // Same source, same ports: the clients' channels reconnect by themselves.
    srv = await startCairn(['-c', cfg, root], { xdsPort, adminPort });
    await srv.waitForLog(/initial build/, 5000);

    const s2 = client.sotw({ id: 'faults-sotw', cluster: 'test' });
    const after = await sotwAll(s2, Object.fromEntries(Object.entries(before).map(([t, r]) => [t, r.version_info])));
    for (const t of ['lds', 'cds', 'eds', 'rds']) {
      assert.equal(after[t].version_info, before[t].version_info, `${t} version_info after restart`);
      assert.deepEqual(after[t].names, before[t].names, `${t} names after restart`);
      assert.deepEqual(resourceBytes(after[t]), resourceBytes(before[t]), `${t} bytes after restart`);
    }
    await s2.expectNone(300);

    // Delta: what Envoy sends on reconnect, every type with initial_resource_versions of what it
    // kept. docs/protocol.md: "one with them [is answered] only when something differs".
    const d2 = dclient.delta({ id: 'faults-delta', cluster: 'test' });
    d2.send({ type: 'lds', initial: had.lds });
    d2.send({ type: 'cds', initial: had.cds });
    d2.send({ type: 'eds', subscribe: names.eds, initial: had.eds });
    d2.send({ type: 'rds', subscribe: names.rds, initial: had.rds });
    await d2.expectNone(800);

    // The silence means something: a client that kept one EDS resource at another version gets
    // exactly that one back (and nothing for the rest).
    const edsName = names.eds[0];
    const d3 = dclient.delta({ id: 'faults-delta-3', cluster: 'test' });
    d3.send({ type: 'eds', subscribe: names.eds, initial: { ...had.eds, [edsName]: '0000000000000000' } });
    const again = await d3.next(5000);
    assert.deepEqual(again.names, [edsName]);
    assert.equal(again.resources[0].version, had.eds[edsName]);
    d3.ack(again);
    await d3.expectNone(300);

    // Both reconnected streams are live: a change reaches them.
    fs.writeFileSync(path.join(root, 'shop', 'services.yaml'), STOREFRONT(9123));
    await nextMatching(s2, (r) => r.type === 'eds' && edsPort(r) === 9123, 5000);
    const r = await d2.next(5000);
    assert.equal(r.type, 'eds');
    assert.deepEqual(r.names, ['shop/storefront/http']);
    d2.ack(r);

    assert.doesNotMatch(srv.stderr(), /<[0-3]>/, 'no errors logged');
  } finally {
    client.close();
    dclient.close();
    const st = await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(st.code, 0, `cairn serve exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr()}`);
  }
});

test('kill -9, an edit while cairn is down, restart: delta gets exactly what changed, SotW the new versions', { timeout: 30000 }, async () => {
  const dir = tmpdir('kill-edit');
  const root = path.join(dir, 'resources');
  copyTree(quickstart, root);
  const cfg = config(dir);
  let srv = await startCairn(['-c', cfg, root]);
  const { xdsPort, adminPort } = srv;
  const client = ownClient(srv.xds);
  const dclient = ownClient(srv.xds);
  try {
    const s = client.sotw({ id: 'faults-sotw', cluster: 'test' });
    const before = await sotwAll(s);
    const d = dclient.delta({ id: 'faults-delta', cluster: 'test' });
    const names = await deltaAll(d);
    const had = Object.fromEntries(['lds', 'cds', 'eds', 'rds'].map((t) => [t, d.has(t)]));
    await srv.kill9();
    fs.writeFileSync(path.join(root, 'shop', 'services.yaml'), STOREFRONT(9333));
    srv = await startCairn(['-c', cfg, root], { xdsPort, adminPort });
    await srv.waitForLog(/initial build/, 5000);

    const d2 = dclient.delta({ id: 'faults-delta', cluster: 'test' });
    d2.send({ type: 'lds', initial: had.lds });
    d2.send({ type: 'cds', initial: had.cds });
    d2.send({ type: 'eds', subscribe: names.eds, initial: had.eds });
    d2.send({ type: 'rds', subscribe: names.rds, initial: had.rds });
    const r = await d2.next(5000);
    assert.equal(r.type, 'eds');
    assert.deepEqual(r.names, ['shop/storefront/http']);
    assert.deepEqual(r.removed, []);
    assert.equal(edsPort(r), 9333);
    d2.ack(r);
    await d2.expectNone(500);

    const s2 = client.sotw({ id: 'faults-sotw', cluster: 'test' });
    const after = await sotwAll(s2, Object.fromEntries(Object.entries(before).map(([t, x]) => [t, x.version_info])));
    assert.equal(edsPort(after.eds), 9333);
    assert.notEqual(after.eds.version_info, before.eds.version_info);
    for (const t of ['lds', 'cds', 'rds']) {
      assert.deepEqual(resourceBytes(after[t]), resourceBytes(before[t]), `${t} unchanged`);
    }
  } finally {
    client.close();
    dclient.close();
    const st = await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(st.code, 0, `cairn serve exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr()}`);
  }
});

test('a client that stops reading: memory stays bounded, a healthy stream gets every change, the stalled one catches up', { timeout: 45000 }, async (t) => {
  const SITES = 300;
  const ENDPOINTS = 40;
  const STALLED = 8;
  const CHANGES = 20;
  const dir = tmpdir('stall');
  const root = path.join(dir, 'resources');
  writeTree(root, SITES, 10000, ENDPOINTS);
  const srv = await startCairn(['-c', config(dir), root]);
  const proxy = await stallingProxy(srv.xds);
  const healthyClient = ownClient(srv.xds);
  const stalledClients = [];
  try {
    await srv.waitForLog(/initial build/, 10000);
    const h = healthyClient.sotw({ id: 'healthy', cluster: 'test' });
    const hAll = await sotwAll(h);
    assert.equal(hAll.eds.resources.length, SITES);
    const edsNames = hAll.eds.names;
    const rdsN = rdsNames(hAll.lds);

    // Stalled clients (half SotW, half delta) subscribe to everything through the proxy, get
    // their first answers, then stop reading.
    const stalled = [];
    for (let i = 0; i < STALLED; i++) {
      const c = ownClient(proxy.address);
      stalledClients.push(c);
      if (i % 2 === 0) {
        const s = c.sotw({ id: `stalled-${i}`, cluster: 'test' });
        await sotwAll(s);
        stalled.push({ s, delta: false });
      } else {
        const d = c.delta({ id: `stalled-${i}`, cluster: 'test' });
        await deltaAll(d);
        stalled.push({ s: d, delta: true });
      }
    }
    await sleep(300);
    const base = rssKiB(srv.pid);
    proxy.stall();
    const queued0 = stalled.map(({ s }) => s.queue.length);

    let port = 10000;
    let last = null;
    for (let k = 1; k <= CHANGES; k++) {
      port = 10000 + k;
      writeTree(root, SITES, port, ENDPOINTS);
      // The healthy stream sees every change, all sites at the new port.
      ({ match: last } = await nextMatching(h, (r) => r.type === 'eds' && r.resources.length === SITES &&
        edsPorts(r).size === 1 && edsPorts(r).has(port), 5000));
    }
    const finalBytes = resourceBytes(last);
    await sleep(500);
    const after = rssKiB(srv.pid);
    // Queueing every change for every stalled stream would hold this much.
    const queued = Math.round(STALLED * CHANGES * last.byteLength / 1024);
    const line = `RSS ${base} KiB before, ${after} KiB after ${CHANGES} changes with ${STALLED} ` +
      `stalled clients (EDS response ${last.byteLength} bytes; queueing them all: ${queued} KiB)`;
    t.diagnostic(line);
    if (!SANITIZED) {
      assert.ok(after < 2 * base, line);
      assert.ok(after - base < queued / 2, line);
    }

    // The stalled clients really received nothing while the changes went by.
    assert.deepEqual(stalled.map(({ s }) => s.queue.length), queued0, 'nothing reached the stalled clients');

    // Reading again, every stalled client catches up to the newest snapshot.
    proxy.resume();
    await Promise.all(stalled.map(async ({ s, delta }) => {
      if (!delta) {
        await nextMatching(s, (r) => r.type === 'eds' && edsPorts(r).size === 1 && edsPorts(r).has(port), 15000);
      } else {
        const until = Date.now() + 15000;
        for (;;) {
          const have = s.cache.eds || new Map();
          const done = have.size === SITES &&
            [...have].every(([n, v]) => v.bytes.toString('hex') === finalBytes[n]);
          if (done) break;
          const r = await s.next(Math.max(1, until - Date.now()));
          s.ack(r);
        }
      }
    }));
    assert.doesNotMatch(srv.stderr(), /<[0-3]>/, 'no errors logged');

    // Stopping cairn while clients are stalled again, with an update stuck for them, still ends
    // cleanly and promptly (stalled streams are cancelled after a grace period).
    proxy.stall();
    writeTree(root, SITES, port + 1, ENDPOINTS);
    await nextMatching(h, (r) => r.type === 'eds' && edsPorts(r).has(port + 1), 5000);
    const t0 = Date.now();
    const st = await srv.stop(15000);
    const took = Date.now() - t0;
    assert.equal(st.code, 0, `cairn serve exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr()}`);
    assert.ok(took < 5000, `stopping took ${took} ms with stalled clients`);
  } finally {
    healthyClient.close();
    for (const c of stalledClients) c.close();
    await proxy.close();
    const st = await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(st.code, 0, `cairn serve exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr()}`);
  }
});

test('1,000 connect/disconnect cycles: no fd or memory growth, the daemon still answers', { timeout: 45000 }, async (t) => {
  const CYCLES = 1000;
  const CONCURRENCY = 10;
  const dir = tmpdir('cycles');
  const root = path.join(dir, 'resources');
  copyTree(quickstart, root);
  const srv = await startCairn(['-c', config(dir), root]);
  const healthy = ownClient(srv.xds);
  const shared = [0, 1, 2, 3].map(() => ownClient(srv.xds));
  try {
    const h = healthy.sotw({ id: 'healthy', cluster: 'test' });
    await sotwAll(h);

    // One cycle: a stream, one request, its answer, then the stream goes (half-close, cancel)
    // and, every other cycle, the whole connection with it.
    let n = 0;
    async function cycle(i) {
      const own = i % 2 === 0;
      const c = own ? ownClient(srv.xds) : shared[i % shared.length];
      try {
        const delta = i % 3 === 0;
        const s = delta ? c.delta({ id: `cycle-${i}` }) : c.sotw({ id: `cycle-${i}` });
        s.send({ type: 'cds' });
        const r = await s.next(5000);
        assert.equal(r.type, 'cds');
        if (i % 4 < 2) s.cancel();
        else { s.end(); await s.status(5000); }
      } finally {
        if (own) c.close();
      }
      n += 1;
    }
    async function run(from, to) {
      let next = from;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < to) await cycle(next++);
      }));
    }
    // Warm up (thread pools, allocator arenas), then measure.
    await run(0, 100);
    await sleep(500);
    const fdBase = fdCount(srv.pid);
    const rssBase = rssKiB(srv.pid);
    const t0 = Date.now();
    await run(100, 100 + CYCLES);
    const took = Date.now() - t0;
    assert.equal(n, 100 + CYCLES);
    // Closed connections are reaped shortly after: wait for the fd count to settle.
    let fds = fdCount(srv.pid);
    for (let k = 0; k < 50 && fds > fdBase + 2; k++) {
      await sleep(100);
      fds = fdCount(srv.pid);
    }
    const rss = rssKiB(srv.pid);
    const line = `${CYCLES} cycles in ${took} ms: fds ${fdBase} -> ${fds}, RSS ${rssBase} -> ${rss} KiB`;
    t.diagnostic(line);
    assert.ok(fds <= fdBase + 2, line);
    if (!SANITIZED) assert.ok(rss - rssBase < 8 * 1024, line);

    // Still serving: the stream opened before gets a change, a new stream an answer.
    fs.writeFileSync(path.join(root, 'shop', 'services.yaml'), STOREFRONT(9222));
    await nextMatching(h, (r) => r.type === 'eds' && edsPort(r) === 9222, 5000);
    const c = ownClient(srv.xds);
    const s = c.sotw({ id: 'after' });
    s.send({ type: 'lds' });
    assert.equal((await s.next(5000)).type, 'lds');
    c.close();
    assert.doesNotMatch(srv.stderr(), /<[0-3]>/, 'no errors logged');
  } finally {
    healthy.close();
    for (const c of shared) c.close();
    const st = await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(st.code, 0, `cairn serve exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr()}`);
  }
});

// Runs `$CAIRN serve args` until it exits or ms pass (then SIGTERM): {code, signal, stderr, ran}.
function runServe(args, { ms = 5000, until } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.env.CAIRN, ['serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    };
    child.stderr.on('data', (d) => {
      stderr += d;
      if (until && until.test(stderr)) setTimeout(stop, 300);
    });
    const timer = setTimeout(stop, ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, stoppedByUs: stopped });
    });
  });
}

test('security: plaintext xDS on a non-loopback address needs --insecure-xds', { timeout: 20000 }, async () => {
  const dir = tmpdir('insecure');
  const root = path.join(dir, 'resources');
  copyTree(quickstart, root);
  const cfg = config(dir);
  try {
    const admin = `127.0.0.1:${await freePort()}`;
    const refused = await runServe(['-c', cfg, '--xds', '0.0.0.0:0', '--admin', admin, root]);
    assert.equal(refused.stoppedByUs, false, `cairn serve kept running; stderr:\n${refused.stderr}`);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /refusing to serve xDS in plaintext on 0\.0\.0\.0:0/);
    assert.match(refused.stderr, /--insecure-xds/);
    assert.doesNotMatch(refused.stderr, /initial build/, 'nothing served');

    const allowed = await runServe(['-c', cfg, '--insecure-xds', '--xds', '0.0.0.0:0', '--admin', admin, root],
      { until: /initial build/ });
    assert.equal(allowed.stoppedByUs, true, `cairn serve exited by itself; stderr:\n${allowed.stderr}`);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /^\S+ warning: .*plaintext on 0\.0\.0\.0:0 \(--insecure-xds\)/m, 'a warning is logged');

    // Loopback needs no flag.
    const lo = await runServe(['-c', cfg, '--xds', '127.0.0.1:0', '--admin', admin, root], { until: /initial build/ });
    assert.equal(lo.stoppedByUs, true, lo.stderr);
    assert.doesNotMatch(lo.stderr, /plaintext/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a second cairn on the same xDS port refuses to start; the first keeps serving', { timeout: 20000 }, async () => {
  const dir = tmpdir('twice');
  const root = path.join(dir, 'resources');
  copyTree(quickstart, root);
  const cfg = config(dir);
  const srv = await startCairn(['-c', cfg, root]);
  try {
    await srv.waitForLog(/initial build/, 5000);
    const admin = `127.0.0.1:${await freePort()}`;
    const second = await runServe(['-c', cfg, '--xds', srv.xds, '--admin', admin, root]);
    assert.equal(second.stoppedByUs, false, `a second cairn serves ${srv.xds}; stderr:\n${second.stderr}`);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /cannot listen for xDS on 127\.0\.0\.1:\d+/);
    const c = ownClient(srv.xds);
    const s = c.sotw({ id: 'first' });
    s.send({ type: 'cds' });
    assert.equal((await s.next(5000)).type, 'cds');
    c.close();
  } finally {
    const st = await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(st.code, 0, `cairn serve exit ${st.code}; stderr:\n${srv.stderr()}`);
  }
});

// /proc/net/tcp: is addrHex:portHex in LISTEN (state 0A)?
function listening(hostHex, port) {
  const want = `${hostHex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .some((l) => { const f = l.trim().split(/\s+/); return f[1] === want && f[3] === '0A'; });
}

test('security: the admin endpoint binds loopback by default', { timeout: 20000 }, async (t) => {
  // The default is 127.0.0.1:9090; skip when something else holds that port.
  if (listening('00000000', 9090) || listening('0100007F', 9090)) {
    t.skip('port 9090 is in use');
    return;
  }
  const dir = tmpdir('admin');
  const root = path.join(dir, 'resources');
  copyTree(quickstart, root);
  const cfg = config(dir);
  const xds = `127.0.0.1:${await freePort()}`;
  let seen = null;
  try {
    const child = spawn(process.env.CAIRN, ['serve', '-c', cfg, '--xds', xds, root], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((r) => child.once('exit', (code) => r(code)));
    const until = Date.now() + 5000;
    while (Date.now() < until && child.exitCode === null && !/initial build/.test(stderr)) await sleep(50);
    seen = { loopback: listening('0100007F', 9090), any: listening('00000000', 9090), stderr };
    child.kill('SIGTERM');
    await exited;
    if (/9090.*(in use|Address already)/i.test(stderr)) { t.skip('port 9090 taken meanwhile'); return; }
    assert.match(stderr, /admin on port 9090/, stderr);
    assert.equal(seen.loopback, true, `no listener on 127.0.0.1:9090; stderr:\n${stderr}`);
    assert.equal(seen.any, false, 'admin listens on 0.0.0.0');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// GET on the admin endpoint: {status, body}.
function adminGet(addr, p) {
  const http = require('node:http');
  return new Promise((resolve, reject) => {
    const req = http.get(`http://${addr}${p}`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${p}: no answer`)));
  });
}

// Open SotW streams as /metrics counts them.
async function sotwStreams(admin) {
  const m = /^cairn_streams\{protocol="sotw"\} (\d+)$/m.exec((await adminGet(admin, '/metrics')).body);
  return m ? Number(m[1]) : NaN;
}

// A client in a process of its own, so that SIGSTOP freezes it whole: the kernel keeps ACKing
// TCP, but nothing answers cairn's HTTP/2 PINGs any more, exactly a hung or half-gone Envoy.
function frozenClientScript(dir) {
  const script = path.join(dir, 'client.js');
  const lib = path.join(process.env.top_srcdir, 'tests', 'protocol', 'lib', 'ads-client.js');
  fs.writeFileSync(script, `'use strict';
const { AdsClient } = require(${JSON.stringify(lib)});
const c = new AdsClient(process.argv[2]);
const s = c.sotw({ id: 'faults-frozen', cluster: 'test' });
s.send({ type: 'cds' });
s.next(5000).then((r) => { s.ack(r); process.stdout.write('synced\\n'); },
  (e) => { console.error(e.message); process.exit(1); });
setInterval(() => {}, 1000);
`);
  return script;
}

test('half-open connections: keepalive reaps a client that stopped answering, a healthy one stays', { timeout: 30000 }, async () => {
  const dir = tmpdir('keepalive');
  const root = path.join(dir, 'resources');
  copyTree(quickstart, root);
  // 1 s + 1 s: a frozen client must be gone within about 2 s (grpc checks at ping time).
  const cfg = config(dir, 'xds:\n  keepalive-time: 1s\n  keepalive-timeout: 1s\n');
  const srv = await startCairn(['-c', cfg, root]);
  const healthy = ownClient(srv.xds);
  let frozen = null;
  try {
    await srv.waitForLog(/initial build/, 5000);
    const s = healthy.sotw({ id: 'faults-healthy', cluster: 'test' });
    const before = await sotwAll(s);

    frozen = spawn(process.execPath, [frozenClientScript(dir), srv.xds],
      { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    await new Promise((resolve, reject) => {
      frozen.stdout.on('data', (d) => { if (/synced/.test(d)) resolve(); });
      frozen.once('exit', (code) => reject(new Error(`client exited with ${code}`)));
    });
    assert.equal(await sotwStreams(srv.admin), 2, 'both clients connected');

    frozen.kill('SIGSTOP');
    const stopped = Date.now();
    let n = 2;
    while (n !== 1 && Date.now() - stopped < 6000) {
      await sleep(100);
      n = await sotwStreams(srv.admin);
    }
    const ms = Date.now() - stopped;
    assert.equal(n, 1, `the frozen client's stream was not closed within ${ms} ms`);
    // Not sooner than one keepalive time: it was the ping that found it.
    assert.ok(ms >= 900, `closed after ${ms} ms, before any ping could have gone unanswered`);

    // Several keepalive rounds later the healthy client (which answers pings) is still served.
    await sleep(2500);
    assert.equal(await sotwStreams(srv.admin), 1, 'the healthy client stays connected');
    fs.writeFileSync(path.join(root, 'shop', 'services.yaml'), STOREFRONT(9444));
    const { match } = await nextMatching(s, (r) => r.type === 'eds' && edsPort(r) === 9444, 5000);
    assert.notEqual(match.version_info, before.eds.version_info);
  } finally {
    if (frozen && frozen.exitCode === null) frozen.kill('SIGKILL');
    healthy.close();
    const st = await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(st.code, 0, `cairn serve exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr()}`);
  }
});
