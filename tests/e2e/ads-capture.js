// ads-capture: fetch what an xDS server really SENDS, over SotW ADS, and print it in the
// `cairn dump --format pb` form (TYPE_URL<TAB>NAME<TAB>BASE64, the exact bytes received) so
// tests/tools/xds-verify.js can judge it.
//
// Two streams, like the two kinds of real clients:
//   * "grpc" stream: named subscriptions only, starting from the Listener names given
//     (what proxyless gRPC clients do);
//   * "envoy" stream: wildcard LDS and CDS (what Envoy does), then RDS/EDS/SDS by name.
// Each stream follows references (HCM rds -> RouteConfiguration -> clusters -> EDS service
// names, TLS contexts -> SDS secrets), ACKs every response, and stops after `quietMs` without
// news (bounded by `timeoutMs`).
//
// usage: node ads-capture.js 127.0.0.1:PORT [--listener NAME]... [--no-wildcard] [--timeout-ms N]
// module: await captureAds({ address, listeners: [..], wildcard: true }) ->
//           { lines: [...], problems: [...], byType: {typeUrl: {name: Buffer}} }
'use strict';

const grpc = require('@grpc/grpc-js');
const path = require('path');

const T = {
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  EDS: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  SDS: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
};
const ORDER = [T.LDS, T.RDS, T.CDS, T.EDS, T.SDS];
const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

function unpack(root, any) {
  if (!any || !any.type_url) return null;
  try {
    const t = root.lookupType(any.type_url.substring(any.type_url.lastIndexOf('/') + 1));
    return { t, m: t.decode(any.value) };
  } catch (e) { return null; }
}

// Walk a decoded message tree, expanding Anys, calling visit(typeFullName, msg).
function walk(root, type, msg, visit, depth = 0) {
  if (!msg || depth > 60) return;
  const full = type.fullName.replace(/^\./, '');
  if (full === 'google.protobuf.Any') {
    const u = unpack(root, msg);
    if (u) walk(root, u.t, u.m, visit, depth + 1);
    return;
  }
  visit(full, msg);
  for (const f of type.fieldsArray) {
    if (!f.resolvedType || f.resolvedType.fieldsArray === undefined) continue;
    const v = msg[f.name];
    if (v == null) continue;
    if (f.map) for (const k of Object.keys(v)) walk(root, f.resolvedType, v[k], visit, depth + 1);
    else if (f.repeated) for (const x of v) walk(root, f.resolvedType, x, visit, depth + 1);
    else walk(root, f.resolvedType, v, visit, depth + 1);
  }
}

// Names a resource refers to, by type.
function refsOf(root, typeUrl, type, msg) {
  const out = { [T.RDS]: [], [T.CDS]: [], [T.EDS]: [], [T.SDS]: [] };
  walk(root, type, msg, (full, m) => {
    if (full === 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager' && m.rds && m.rds.route_config_name) out[T.RDS].push(m.rds.route_config_name);
    if (full === 'envoy.config.route.v3.RouteAction') {
      if (m.cluster) out[T.CDS].push(m.cluster);
      if (m.weighted_clusters) for (const c of m.weighted_clusters.clusters || []) if (c.name) out[T.CDS].push(c.name);
      for (const mp of m.request_mirror_policies || []) if (mp.cluster) out[T.CDS].push(mp.cluster);
    }
    if (full === 'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext') {
      for (const s of m.tls_certificate_sds_secret_configs || []) if (s.name) out[T.SDS].push(s.name);
      if (m.validation_context_sds_secret_config && m.validation_context_sds_secret_config.name) out[T.SDS].push(m.validation_context_sds_secret_config.name);
      if (m.combined_validation_context && m.combined_validation_context.validation_context_sds_secret_config
        && m.combined_validation_context.validation_context_sds_secret_config.name) out[T.SDS].push(m.combined_validation_context.validation_context_sds_secret_config.name);
    }
  });
  if (typeUrl === T.CDS && msg.type === 3 /* EDS */) {
    out[T.EDS].push((msg.eds_cluster_config && msg.eds_cluster_config.service_name) || msg.name);
  }
  return out;
}

function oneStream(root, client, { wildcard, listeners, quietMs, timeoutMs, nodeId }) {
  const Req = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  const Resp = root.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
  const got = {}; // type -> name -> Buffer
  const problems = [];
  const subs = {}; // type -> Set(names)
  let sentNode = false;
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest(ADS, (x) => x, (x) => x, new grpc.Metadata(), {});
    let lastNews = Date.now();
    let finished = false;
    const finish = (why) => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      try { call.cancel(); } catch (e) { /* done */ }
      if (why) problems.push(why);
      resolve({ got, problems });
    };
    const request = (typeUrl, names, version = '', nonce = '', error = null) => {
      const o = { type_url: typeUrl, resource_names: names, version_info: version, response_nonce: nonce };
      if (!sentNode) { o.node = { id: nodeId, cluster: 'e2e', locality: { region: 'local', zone: 'z1' }, user_agent_name: 'cairn-ads-capture' }; sentNode = true; }
      if (error) o.error_detail = { code: 3, message: error };
      call.write(Buffer.from(Req.encode(Req.fromObject(o)).finish()));
    };
    const subscribe = (typeUrl, names) => {
      const cur = subs[typeUrl] || new Set();
      const add = names.filter((n) => !cur.has(n));
      if (subs[typeUrl] && add.length === 0) return;
      for (const n of add) cur.add(n);
      subs[typeUrl] = cur;
      request(typeUrl, [...cur].sort());
      lastNews = Date.now();
    };
    call.on('data', (buf) => {
      lastNews = Date.now();
      let resp;
      try { resp = Resp.decode(buf); } catch (e) { problems.push(`cannot decode DiscoveryResponse: ${e.message}`); return; }
      const typeUrl = resp.type_url;
      got[typeUrl] = got[typeUrl] || {};
      const refs = { [T.RDS]: [], [T.CDS]: [], [T.EDS]: [], [T.SDS]: [] };
      const fresh = {};
      for (const any of resp.resources || []) {
        if (any.type_url !== typeUrl) problems.push(`${typeUrl}: resource with type_url ${any.type_url}`);
        const u = unpack(root, any);
        if (!u) { problems.push(`${typeUrl}: undecodable resource`); continue; }
        const name = u.m.name !== undefined && u.t.fields.name ? u.m.name : u.m.cluster_name;
        fresh[name] = Buffer.from(any.value);
        const r = refsOf(root, typeUrl, u.t, u.m);
        for (const k of Object.keys(r)) refs[k].push(...r[k]);
      }
      // SotW: LDS/CDS responses carry the full state; others per name
      if (typeUrl === T.LDS || typeUrl === T.CDS) got[typeUrl] = fresh;
      else Object.assign(got[typeUrl], fresh);
      request(typeUrl, subs[typeUrl] ? [...subs[typeUrl]].sort() : [], resp.version_info, resp.nonce); // ACK
      for (const k of [T.RDS, T.CDS, T.EDS, T.SDS]) {
        if (refs[k].length) {
          if (k === T.CDS && wildcard) continue; // already wildcard
          subscribe(k, refs[k]);
        }
      }
    });
    call.on('error', (e) => { if (!finished) finish(e.code === grpc.status.CANCELLED ? null : `stream error: ${e.message}`); });
    call.on('end', () => finish(null));
    const t0 = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - t0 > timeoutMs) finish(`capture did not settle within ${timeoutMs} ms`);
      else if (Date.now() - lastNews > quietMs) finish(null);
    }, 50);
    if (wildcard) {
      subs[T.LDS] = new Set(); request(T.LDS, []);
      subs[T.CDS] = new Set(); request(T.CDS, []);
    } else {
      subscribe(T.LDS, listeners);
    }
  });
}

async function captureAds({ address, listeners = [], wildcard = true, quietMs = 800, timeoutMs = 15000, root = null }) {
  const r = root || await require(path.join(__dirname, '..', 'tools', 'xds-verify.js')).loadOfficialRoot();
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    const runs = [];
    if (listeners.length) runs.push(oneStream(r, client, { wildcard: false, listeners, quietMs, timeoutMs, nodeId: 'capture-grpc' }));
    if (wildcard) runs.push(oneStream(r, client, { wildcard: true, listeners: [], quietMs, timeoutMs, nodeId: 'capture-envoy' }));
    const results = await Promise.all(runs);
    const byType = {}; const problems = [];
    for (const res of results) {
      problems.push(...res.problems);
      for (const [t, byName] of Object.entries(res.got)) {
        byType[t] = byType[t] || {};
        for (const [n, b] of Object.entries(byName)) {
          if (byType[t][n] && !byType[t][n].equals(b)) problems.push(`${t} ${n}: differs between streams`);
          byType[t][n] = b;
        }
      }
    }
    const lines = [];
    const types = Object.keys(byType).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
    for (const t of types) for (const n of Object.keys(byType[t]).sort()) lines.push(`${t}\t${n}\t${byType[t][n].toString('base64')}`);
    return { lines, problems, byType };
  } finally {
    client.close();
  }
}

module.exports = { captureAds, T };

if (require.main === module) {
  const a = process.argv.slice(2);
  const o = { address: null, listeners: [], wildcard: true, timeoutMs: 15000 };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--listener') o.listeners.push(a[++i]);
    else if (a[i] === '--no-wildcard') o.wildcard = false;
    else if (a[i] === '--timeout-ms') o.timeoutMs = Number(a[++i]);
    else if (!o.address) o.address = a[i];
    else { process.stderr.write('usage: ads-capture.js HOST:PORT [--listener NAME]... [--no-wildcard] [--timeout-ms N]\n'); process.exit(2); }
  }
  if (!o.address) { process.stderr.write('usage: ads-capture.js HOST:PORT [--listener NAME]...\n'); process.exit(2); }
  captureAds(o).then((r) => {
    for (const l of r.lines) process.stdout.write(`${l}\n`);
    for (const p of r.problems) process.stderr.write(`ads-capture: ${p}\n`);
    process.exit(r.problems.length ? 1 : 0);
  }, (e) => { process.stderr.write(`ads-capture: ${e.stack || e.message}\n`); process.exit(2); });
}
