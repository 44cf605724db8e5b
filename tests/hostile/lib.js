// Shared by the hostile tests: a `cairn serve` on a private copy of examples/quickstart, with a
// SotW client subscribed to everything it offers (wildcard LDS/CDS, then the EDS and RDS names they
// reference), so a test can tell whether anything Envoy sees changed.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { AdsClient, decodeAny } = require('../protocol/lib/ads-client');
const { startServe, copyTree } = require('../protocol/lib/serve');

const quickstart = path.join(process.env.top_srcdir, 'examples', 'quickstart');

// Asks for type with names, ACKs, returns the response.
async function fetch(s, type, names) {
  s.send({ type, names });
  const r = await s.next(5000);
  assert.equal(r.type, type);
  s.ack(r);
  return r;
}

function rdsNames(lds) {
  const out = new Set();
  for (const l of lds.resources) {
    for (const fc of l.message.filter_chains || []) {
      for (const f of fc.filters || []) out.add(decodeAny(f.typed_config).message.rds.route_config_name);
    }
  }
  return [...out].sort();
}

// The next response matching pred within ms, ACKing every response on the way; the others are
// returned too so a test can count pushes.
async function nextMatching(s, pred, ms) {
  const until = Date.now() + ms;
  const seen = [];
  for (;;) {
    const left = until - Date.now();
    if (left <= 0) throw new Error(`no matching response within ${ms} ms (saw ${seen.length}: ` +
      `${seen.map((r) => `${r.type}@${r.version_info}`).join(', ')})`);
    const r = await s.next(left);
    s.ack(r);
    seen.push(r);
    if (pred(r)) return { match: r, seen };
  }
}

const edsPort = (r) => r.resources.find((c) => c.name === 'shop/storefront/http')
  .message.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value;

const STOREFRONT = (port) => `apiVersion: v1
kind: Service
metadata:
  name: storefront
spec:
  ports:
    - name: http
      port: 80
      targetPort: ${port}
---
apiVersion: v1
kind: Endpoints
metadata:
  name: storefront
subsets:
  - addresses:
      - ip: 127.0.0.1
    ports:
      - name: http
        port: ${port}
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports:
    - name: http
      port: 80
      targetPort: 9002
---
apiVersion: v1
kind: Endpoints
metadata:
  name: api
subsets:
  - addresses:
      - ip: 127.0.0.1
    ports:
      - name: http
        port: 9002
`;

// Starts the daemon on a copy of the quickstart tree; config: extra cairn.yaml text.
// uid: run the daemon as that user (tests running as root use it to meet permissions).
async function setup({ config = '', beforeStart, args = [], uid } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-hostile-'));
  if (uid !== undefined) fs.chmodSync(dir, 0o755);
  const root = path.join(dir, 'resources');
  copyTree(quickstart, root);
  const cfg = path.join(dir, 'cairn.yaml');
  fs.writeFileSync(cfg, `debounce: 20ms\nmax-delay: 200ms\n${config}`);
  let srv;
  if (beforeStart) {
    srv = await beforeStart(() => startServe(['-c', cfg, ...args, root], { uid }));
  } else {
    srv = await startServe(['-c', cfg, ...args, root], { uid });
  }
  const client = new AdsClient(srv.xds);
  const s = client.sotw({ id: 'hostile', cluster: 'test' });
  const lds = await fetch(s, 'lds', []);
  const cds = await fetch(s, 'cds', []);
  const eds = await fetch(s, 'eds', cds.resources.map((c) => c.message.eds_cluster_config.service_name));
  const rds = await fetch(s, 'rds', rdsNames(lds));
  assert.equal(edsPort(eds), 9001);
  let port = 9100;
  const ctx = {
    dir,
    root,
    srv,
    client,
    s,
    initial: { lds, cds, eds, rds },
    file: (rel) => path.join(root, rel),
    // Nothing Envoy sees changes: no response within ms.
    async expectUnchanged(ms = 600) {
      await s.expectNone(ms);
    },
    // The daemon is alive and still watching: a good edit reaches the stream.
    async expectRecovers(ms = 5000) {
      port += 1;
      fs.writeFileSync(path.join(root, 'shop', 'services.yaml'), STOREFRONT(port));
      const { match } = await nextMatching(s, (r) => r.type === 'eds' && edsPort(r) === port, ms);
      return match;
    },
    async close() {
      client.close();
      const st = await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(st.code, 0, `cairn serve exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr()}`);
    },
  };
  return ctx;
}

module.exports = { setup, fetch, nextMatching, edsPort, STOREFRONT, rdsNames };
