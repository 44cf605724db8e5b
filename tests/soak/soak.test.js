// Soak (issue 9, `make soak`): random edits every 50 ms for SOAK_SECONDS (default 300) while 200
// clients (half SotW, half delta, each on a connection of its own) stay subscribed to everything
// and ACK every response. At the end every client holds exactly what a fresh client gets and
// what the files say, cairn's RSS is flat (sampled every 10 s; the slope is reported) and
// nothing was logged at error level.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const grpc = require('@grpc/grpc-js');
const { AdsClient } = require('../protocol/lib/ads-client');
const { startCairn, rssKiB, fdCount, sleep, edsPorts } = require('../faults/lib');

const SECONDS = Number(process.env.SOAK_SECONDS || 300);
const CLIENTS = Number(process.env.SOAK_CLIENTS || 200);
const SITES = 60;
const EDIT_MS = 50;
const SAMPLE_MS = 10000;
const TYPES = ['cds', 'eds', 'lds', 'rds'];


// A site: HTTPProxy + Service (targetPort) + Endpoints (port); `prefix` varies the route.
function siteYaml(i, { port, target, prefix }) {
  return `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata:
  name: site
spec:
  virtualhost:
    fqdn: site-${i}.example.com
  routes:
    - conditions:
        - prefix: /${prefix}
      services:
        - name: web
          port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - name: http
      port: 80
      targetPort: ${target}
---
apiVersion: v1
kind: Endpoints
metadata:
  name: web
subsets:
  - addresses:
      - ip: 10.0.${i}.1
      - ip: 10.0.${i}.2
    ports:
      - name: http
        port: ${port}
`;
}

// Writes site i as `sites` says (whole files: write, then rename), or removes it.
function writeSite(root, sites, i) {
  const d = path.join(root, `site-${i}`);
  const f = path.join(d, 'app.yaml');
  if (!sites[i]) { fs.rmSync(f, { force: true }); return; }
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(`${f}.tmp`, siteYaml(i, sites[i]));
  fs.renameSync(`${f}.tmp`, f);
}

// The editor (a worker thread): every EDIT_MS one random site changes its endpoint port (70%),
// its Service targetPort (15%, a new cluster), its route prefix (10%) or disappears (5%; a
// missing site comes back at the next edit that picks it). On 'stop' it posts {edits, final}.
function editorMain({ root, sites, SITES: n, EDIT_MS: every }) {
  const rnd = (k) => Math.floor(Math.random() * k);
  let edits = 0;
  const timer = setInterval(() => {
    const i = rnd(n);
    const k = rnd(100);
    if (!sites[i]) sites[i] = { port: 20000 + rnd(1000), target: 20000, prefix: 'a' };
    else if (k < 70) sites[i].port = 20000 + rnd(1000);
    else if (k < 85) { sites[i].target = 20000 + rnd(1000); sites[i].port = sites[i].target; }
    else if (k < 95) sites[i].prefix = String.fromCharCode(97 + rnd(26));
    else sites[i] = null;
    writeSite(root, sites, i);
    edits += 1;
  }, every);
  parentPort.once('message', () => {
    clearInterval(timer);
    parentPort.postMessage({ edits, final: sites });
  });
}

function ownClient(addr) {
  const c = new AdsClient(addr);
  c.client.close();
  c.client = new grpc.Client(addr, grpc.credentials.createInsecure(),
    { 'grpc.use_local_subchannel_pool': 1 });
  return c;
}

const hex = (b) => b.toString('hex');

// A client subscribed to every type ('*' for all, wildcard LDS/CDS), ACKing everything, keeping
// what it has: type -> Map name -> bytes (hex). Errors (a call that ends, an undecodable
// response) are kept in `error`.
function soakClient(addr, i) {
  const c = ownClient(addr);
  const delta = i % 2 === 1;
  const node = { id: `soak-${i}`, cluster: 'soak' };
  const s = delta ? c.delta(node) : c.sotw(node);
  const st = { c, s, delta, has: {}, versions: {}, responses: 0, error: null, stop: false };
  for (const t of TYPES) {
    if (delta) s.send({ type: t, subscribe: ['*'] });
    else s.send({ type: t, names: ['*'] });
  }
  st.done = (async () => {
    while (!st.stop) {
      let r;
      try {
        r = await s.next(1000);
      } catch (e) {
        if (/no DiscoveryResponse within/.test(e.message)) continue;
        if (!st.stop) st.error = e;
        return;
      }
      st.responses += 1;
      s.ack(r);
      if (delta) {
        const m = st.has[r.type] || (st.has[r.type] = new Map());
        for (const x of r.resources) m.set(x.name, hex(x.bytes));
        for (const n of r.removed) m.delete(n);
      } else {
        st.has[r.type] = new Map(r.resources.map((x) => [x.name, hex(x.bytes)]));
        st.versions[r.type] = r.version_info;
      }
    }
  })();
  return st;
}

function slopeKiBPerMin(samples) {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, s) => a + s.t, 0) / n;
  const my = samples.reduce((a, s) => a + s.rss, 0) / n;
  let num = 0; let den = 0;
  for (const s of samples) { num += (s.t - mx) * (s.rss - my); den += (s.t - mx) ** 2; }
  return den ? (num / den) * 60000 : 0;
}

function sameMap(a, b) {
  if (!a || a.size !== b.size) return false;
  for (const [k, v] of b) if (a.get(k) !== v) return false;
  return true;
}

if (!isMainThread) {
  editorMain(workerData);
} else test(`soak: ${SECONDS} s of edits every ${EDIT_MS} ms with ${CLIENTS} clients`, { timeout: (SECONDS + 180) * 1000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-soak-'));
  const root = path.join(dir, 'resources');
  const cfg = path.join(dir, 'cairn.yaml');
  fs.writeFileSync(cfg, 'debounce: 20ms\nmax-delay: 200ms\n');
  // What the files say: site -> {port, target, prefix} or null (deleted).
  const sites = [];
  for (let i = 0; i < SITES; i++) { sites[i] = { port: 20000, target: 20000, prefix: 'a' }; writeSite(root, sites, i); }
  const srv = await startCairn(['-c', cfg, root]);
  const clients = [];
  let editor = null;
  try {
    await srv.waitForLog(/initial build/, 10000);
    for (let i = 0; i < CLIENTS; i++) clients.push(soakClient(srv.xds, i));
    // Everyone has a first answer of every type.
    const t0 = Date.now();
    while (clients.some((c) => TYPES.some((t) => !c.has[t]) && !c.error) && Date.now() - t0 < 30000) await sleep(100);
    for (const c of clients) assert.equal(c.error, null, `client error: ${c.error}`);

    const samples = [];
    const sample = () => samples.push({ t: Date.now(), rss: rssKiB(srv.pid), fds: fdCount(srv.pid) });
    sample();
    // The edits come from a worker thread: the main thread is busy decoding for 200 clients and
    // a timer there would fire late.
    editor = new Worker(__filename, { workerData: { root, sites, SITES, EDIT_MS } });
    const editorDone = new Promise((resolve, reject) => {
      editor.once('message', resolve);
      editor.once('error', reject);
    });
    const start = Date.now();
    while (Date.now() - start < SECONDS * 1000) {
      await sleep(Math.min(SAMPLE_MS, SECONDS * 1000 - (Date.now() - start)));
      sample();
      const broken = clients.filter((c) => c.error);
      assert.equal(broken.length, 0, `clients failed: ${broken.slice(0, 3).map((c) => c.error.message).join('; ')}`);
    }
    editor.postMessage('stop');
    const { edits, final } = await editorDone;
    await editor.terminate();
    editor = null;
    sites.splice(0, sites.length, ...final);

    // The truth: a fresh client, which must agree with the files.
    await sleep(500);
    const fresh = ownClient(srv.xds);
    const f = fresh.sotw({ id: 'soak-fresh' });
    const want = {};
    for (const t of TYPES) {
      f.send({ type: t, names: ['*'] });
      const r = await f.next(5000);
      want[t] = { version: r.version_info, has: new Map(r.resources.map((x) => [x.name, hex(x.bytes)])), r };
      f.ack(r);
    }
    fresh.close();
    const live = sites.map((s, i) => (s ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(want.eds.r.names.slice().sort(), live.map((i) => `site-${i}/web/http`).sort(), 'EDS names match the files');
    for (const res of want.eds.r.resources) {
      const i = Number(/^site-(\d+)\//.exec(res.name)[1]);
      assert.deepEqual([...edsPorts({ resources: [res] })], [sites[i].port], `${res.name} port matches the file`);
    }

    // Every client converges on it: the same bytes of every resource, and for SotW the same
    // version_info. Not for LDS: its version is the hash of the snapshot's whole Listener set,
    // which holds named-only listeners a wildcard client never gets; when only those change the
    // client is sent nothing (docs/protocol.md, "When a response is sent"), so its LDS
    // version_info stays at the one it last received while its listeners are current.
    // With '*' the other types' sets are the whole snapshot: same bytes means same version.
    const until = Date.now() + 60000;
    let lagging = clients;
    while (Date.now() < until) {
      lagging = clients.filter((c) => TYPES.some((t) => !sameMap(c.has[t], want[t].has) ||
        (!c.delta && t !== 'lds' && c.versions[t] !== want[t].version)));
      if (lagging.length === 0) break;
      await sleep(250);
    }
    const responses = clients.reduce((a, c) => a + c.responses, 0);
    // The first sample is taken as the clients have just connected: the slope leaves it out.
    const slope = slopeKiBPerMin(samples.length > 2 ? samples.slice(1) : samples);
    const half = Math.floor(samples.length / 2);
    t.diagnostic(`${edits} edits in ${SECONDS} s (${(SECONDS * 1000 / Math.max(1, edits)).toFixed(0)} ms apart), ${responses} responses to ${CLIENTS} clients`);
    t.diagnostic(`RSS samples (KiB): ${samples.map((s) => s.rss).join(' ')}; slope ${slope.toFixed(0)} KiB/min after the first sample`);
    t.diagnostic(`fd samples: ${samples.map((s) => s.fds).join(' ')}`);
    const warnings = (srv.stderr().match(/^\S+ warning: .*$/mg) || []);
    t.diagnostic(`log: ${warnings.length} warnings${warnings.length ? `, first: ${warnings[0]}` : ''}`);
    const why = (c) => TYPES.map((t) => {
      const h = c.has[t] || new Map();
      const diff = [...want[t].has.keys()].filter((n) => h.get(n) !== want[t].has.get(n))
        .concat([...h.keys()].filter((n) => !want[t].has.has(n)));
      return `${t}: ${diff.length} differ${diff.length ? ` (${diff.slice(0, 3).join(', ')})` : ''}` +
        (c.delta ? '' : `, version ${c.versions[t]} want ${want[t].version}`);
    }).join('; ');
    assert.equal(lagging.length, 0, `${lagging.length} clients without the final versions ` +
      `(${lagging.filter((c) => c.delta).length} delta), e.g. soak-${clients.indexOf(lagging[0])}: ` +
      `${lagging.length ? why(lagging[0]) : ''}`);
    for (const c of clients) assert.equal(c.error, null, `client error: ${c.error}`);
    // Flat: the second half of the run holds no more than the first (plus a little slack).
    const firstMax = Math.max(...samples.slice(0, Math.max(1, half)).map((s) => s.rss));
    const lastMax = Math.max(...samples.slice(half).map((s) => s.rss));
    assert.ok(lastMax <= firstMax * 1.1 + 4096, `RSS grows: first half max ${firstMax} KiB, second half max ${lastMax} KiB`);
    assert.ok(samples[samples.length - 1].fds <= samples[0].fds + 2, 'fds grow');
    const errors = srv.stderr().match(/^\S+ error: .*$/mg) || [];
    assert.equal(errors.length, 0, `errors logged:\n${errors.slice(0, 10).join('\n')}`);
  } finally {
    if (editor) await editor.terminate();
    for (const c of clients) { c.stop = true; c.c.close(); }
    const st = await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(st.code, 0, `cairn serve exit ${st.code} ${st.signal || ''}`);
  }
});
