// ingress_http in chunks, end to end: with enough hosts cairn keeps the RouteConfiguration as
// shared pieces (src/xds/memo_http.c) and the ADS encoder sends them without making one copy
// (src/ads/bodies.c). What a SotW and a delta client receive, and what /debug/xds/pb serves,
// must be the bytes `cairn dump` prints for the same tree, before and after one host changes,
// and must pass Envoy's official protos.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { AdsClient } = require('./lib/ads-client');
const { startServe } = require('./lib/serve');
const { createVerifier } = require('../tools/xds-verify.js');

const T = { timeout: 120000 };
const HOSTS = 700; // several chunks of 128 hosts on average
const RDS_URL = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

let verifier;
test.before(async () => { verifier = await createVerifier(); });

function proxy(i, prefix) {
  return `apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: p${i}}
spec:
  virtualhost: {fqdn: h${String(i).padStart(4, '0')}.example.com}
  routes:
    - conditions: [{prefix: ${prefix}}]
      services: [{name: web, port: 80}]
`;
}

function writeTree(dir) {
  fs.writeFileSync(path.join(dir, 'web.yaml'), `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80}]
`);
  for (let i = 0; i < HOSTS; i++) fs.writeFileSync(path.join(dir, `p${i}.yaml`), proxy(i, '/'));
}

// ingress_http's bytes as `cairn dump --format pb` prints them.
function dumped(dir) {
  const out = execFileSync(process.env.CAIRN, ['dump', '--no-state', '--type', 'rds', '--format', 'pb', dir],
    { encoding: 'utf8', maxBuffer: 256 << 20 });
  const line = out.split('\n').find((l) => l.startsWith(`${RDS_URL}\tingress_http\t`));
  assert.ok(line, 'cairn dump has ingress_http');
  return Buffer.from(line.split('\t')[2], 'base64');
}

function adminPb(admin) {
  return new Promise((resolve, reject) => {
    http.get(`http://${admin}/debug/xds/pb`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        const line = body.split('\n').find((l) => l.startsWith(`${RDS_URL}\tingress_http\t`));
        resolve(line ? Buffer.from(line.split('\t')[2], 'base64') : null);
      });
    }).on('error', reject);
  });
}

function judged(resp) {
  const r = resp.resources.find((x) => x.name === 'ingress_http');
  assert.ok(r, 'the response has ingress_http');
  assert.deepEqual(verifier.verify(r.type_url || RDS_URL, r.name, r.bytes).problems, []);
  assert.equal(r.message.virtual_hosts.length, HOSTS);
  return r;
}

test('a RouteConfiguration in pieces reaches SotW and delta clients as the bytes cairn dump prints', T, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-pieces-'));
  writeTree(dir);
  const srv = await startServe([dir]);
  const client = new AdsClient(srv.xds);
  try {
    const want = dumped(dir);
    const s = client.sotw({ id: 'pieces-sotw', cluster: 'test' });
    s.send({ type: 'rds', names: ['ingress_http'] });
    const first = await s.next(10000);
    assert.ok(judged(first).bytes.equals(want), 'SotW: the bytes cairn dump prints');
    s.ack(first);

    const d = client.delta({ id: 'pieces-delta', cluster: 'test' });
    d.send({ type: 'rds', subscribe: ['ingress_http'] });
    const dfirst = await d.next(10000);
    assert.ok(judged(dfirst).bytes.equals(want), 'delta: the bytes cairn dump prints');
    d.ack(dfirst);

    const pb = await adminPb(srv.admin);
    assert.ok(pb && pb.equals(want), '/debug/xds/pb: the bytes cairn dump prints');

    // One host in the middle changes: the clients get the new bytes.
    fs.writeFileSync(path.join(dir, 'p350.yaml'), proxy(350, '/changed'));
    const next = await s.next(15000);
    const changed = dumped(dir);
    assert.ok(!changed.equals(want));
    assert.ok(judged(next).bytes.equals(changed), 'SotW after a change: the bytes cairn dump prints');
    assert.notEqual(next.version_info, first.version_info);
    s.ack(next);
    const dnext = await d.next(15000);
    assert.ok(judged(dnext).bytes.equals(changed), 'delta after a change: the bytes cairn dump prints');
    assert.notEqual(dnext.resources[0].version, dfirst.resources[0].version);
  } finally {
    client.close();
    const st = await srv.stop();
    assert.equal(st.code, 0, `cairn serve exit ${st.code}; stderr:\n${srv.stderr()}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
