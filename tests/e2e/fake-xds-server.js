// fake-xds-server: a minimal SotW ADS server (grpc-js + Envoy's OFFICIAL protos via protobufjs)
// serving a fixed Listener / RouteConfiguration / Cluster / ClusterLoadAssignment for one FQDN.
// A dev aid: it proves the e2e harness (backends + real clients) independently of cairn, and it
// documents exactly what the real proxyless clients need from a control plane.
//
// As a module:
//   const { startFakeXds } = require('./fake-xds-server.js');
//   const x = await startFakeXds({ fqdn: 'echo.example.com', backendPorts: [p] });
//   x.port; x.setBackendPorts([q]) (pushes a new EDS version); x.requests (log); x.pbLines();
//   await x.stop();
// As a program:
//   node fake-xds-server.js --fqdn echo.example.com --backend-port P [--backend-port Q] [--port N]
//   prints {"port":N} and serves until SIGTERM/SIGINT.
//
// What the real clients need (grpc-js-xds 1.14 = "node", grpc C-core 1.51 via Debian's
// python3-grpcio = "python"), measured with this server: `E2E_REQUIREMENTS=1 node --test
// tests/e2e/e2e.test.js` prints one line per case. In short:
//   * Both speak SotW ADS only (StreamAggregatedResources), always with NAMED subscriptions:
//     LDS for the target's host ("xds:///echo.example.com" -> Listener "echo.example.com"),
//     then RDS for the HCM's rds.route_config_name, CDS for the clusters named in the routes,
//     EDS for eds_cluster_config.service_name (an empty service_name = the cluster name works).
//     The bootstrap needs node.locality (grpc-js throws without it).
//   * Listener: an api_listener whose Any is an HttpConnectionManager with `rds` and
//     config_source `ads {}`. http_filters: the router LAST, with a typed_config
//     (envoy.extensions.filters.http.router.v3.Router). Both NACK a router without
//     typed_config or a filter after the router; python also NACKs an empty filter list (node
//     accepts it). Any other HTTP filter (cors, local_ratelimit, ...) is NACKed by both
//     ("unsupported filter type") unless the filter has `is_optional: true`.
//     stat_prefix is not needed by either. After a NACK, node calls fail with
//     DEADLINE_EXCEEDED "waiting for name resolution", python with UNAVAILABLE + the reason.
//   * RouteConfiguration: a virtual host whose domains match the host (else: no VirtualHost);
//     routes with route.cluster or weighted_clusters; timeout/retry_policy are fine.
//     node NACKs the WHOLE RouteConfiguration if ANY route in ANY virtual host has an action
//     other than `route` ("unsupported action: direct_response" / "redirect"); python accepts
//     it. typed_per_filter_config for a filter the client does not know (e.g. cors) is NACKed
//     by both.
//   * Cluster: type EDS with eds_config ads {}; lb_policy ROUND_ROBIN works; RANDOM,
//     LEAST_REQUEST and MAGLEV are NACKed by both ("unsupported lb_policy");
//     RING_HASH works in node but CRASHES python (SIGSEGV in grpc C-core 1.51), with or without
//     ring_hash_lb_config / hash_policy. typed_extension_protocol_options (upstream HTTP/2) is
//     ignored by both.
//   * ClusterLoadAssignment: every LocalityLbEndpoints needs a `locality` (both NACK without)
//     AND a load_balancing_weight (without: node "priority policy has empty priority list",
//     python "contains no localities"). Endpoint addresses are IP literals.
//   * Responses: resources are Anys with the resource type's URL; version_info and nonce are
//     echoed in ACKs; a NACK carries error_detail (the messages quoted above come from there).
'use strict';

const grpc = require('@grpc/grpc-js');
const path = require('path');

const ADS_SOTW = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const TYPE = {
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  EDS: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
};
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

async function officialRoot() {
  // The same loader xds-verify uses (prefers tests/tools/envoy-protos.js).
  return require(path.join(__dirname, '..', 'tools', 'xds-verify.js')).loadOfficialRoot();
}

// The resources, as proto3-JSON-ish objects for protobufjs fromObject (Anys with "@type").
// `variant` switches let the requirement tests break one thing at a time.
function buildResources(cfg) {
  const v = cfg.variant || {};
  const fqdn = cfg.fqdn;
  const routeName = v.routeName || fqdn;
  const clusterName = v.clusterName || 'shop/echo/80/da39a3ee5e';
  const serviceName = v.serviceName === undefined ? 'shop/echo/80' : v.serviceName;
  const httpFilters = v.noRouter ? [] : [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }];
  const hcm = { '@type': HCM, stat_prefix: fqdn, rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } }, http_filters: httpFilters };
  const listener = { name: fqdn, api_listener: { api_listener: hcm } };
  const route = {
    name: routeName,
    virtual_hosts: [{
      name: fqdn,
      domains: [v.domain || fqdn],
      routes: [{ match: { prefix: '/' }, route: { cluster: clusterName } }],
    }],
  };
  const cluster = {
    name: clusterName,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: serviceName },
    connect_timeout: { seconds: 2 },
    lb_policy: 'ROUND_ROBIN',
  };
  const locality = {
    lb_endpoints: cfg.backendPorts.map((p) => ({
      endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } },
      health_status: 'HEALTHY',
    })),
  };
  if (!v.noLocality) locality.locality = { region: 'local', zone: 'z1' };
  if (!v.noLocalityWeight) locality.load_balancing_weight = { value: 1 };
  const cla = { cluster_name: serviceName || clusterName, endpoints: [locality] };
  // variant.mutate({listener, hcm, route, cluster, cla}) edits anything else in place.
  if (typeof v.mutate === 'function') v.mutate({ listener, hcm, route, cluster, cla });
  return {
    [TYPE.LDS]: { [listener.name]: listener },
    [TYPE.RDS]: { [route.name]: route },
    [TYPE.CDS]: { [cluster.name]: cluster },
    [TYPE.EDS]: { [cla.cluster_name]: cla },
  };
}

async function startFakeXds({ fqdn, backendPorts, port = 0, variant = {}, log = () => {} }) {
  const root = await officialRoot();
  const Req = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  const Resp = root.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
  const cfg = { fqdn, backendPorts: backendPorts.slice(), variant };
  let enc = {}; // type -> name -> Buffer
  const versions = {}; // type -> number
  let nonceSeq = 0;
  const requests = [];
  const streams = new Set();

  function encodeAll() {
    const objs = buildResources(cfg);
    const out = {};
    for (const [typeUrl, byName] of Object.entries(objs)) {
      const t = root.lookupType(typeUrl.substring(typeUrl.lastIndexOf('/') + 1));
      out[typeUrl] = {};
      for (const [n, o] of Object.entries(byName)) {
        const err = t.verify(t.fromObject(o));
        if (err) throw new Error(`fake: bad ${n}: ${err}`);
        out[typeUrl][n] = Buffer.from(t.encode(t.fromObject(o)).finish());
      }
    }
    for (const typeUrl of Object.keys(out)) {
      const before = JSON.stringify(Object.entries(enc[typeUrl] || {}).map(([k, b]) => [k, b.toString('base64')]));
      const after = JSON.stringify(Object.entries(out[typeUrl]).map(([k, b]) => [k, b.toString('base64')]));
      if (before !== after) versions[typeUrl] = (versions[typeUrl] || 0) + 1;
    }
    enc = out;
  }
  encodeAll();

  function send(st, typeUrl) {
    const sub = st.subs[typeUrl];
    const all = enc[typeUrl] || {};
    const names = sub.names.size ? [...sub.names] : Object.keys(all); // empty = wildcard
    const resources = names.filter((n) => all[n]).map((n) => ({ type_url: typeUrl, value: all[n] }));
    const nonce = String(++nonceSeq);
    const version = String(versions[typeUrl] || 0);
    sub.nonce = nonce;
    sub.sentVersion = version;
    const msg = Resp.fromObject({ version_info: version, resources, type_url: typeUrl, nonce });
    log(`fake: -> ${typeUrl.split('.').pop()} v${version} nonce ${nonce} [${names.filter((n) => all[n]).join(', ')}]`);
    st.call.write(Buffer.from(Resp.encode(msg).finish()));
  }

  const def = {
    StreamAggregatedResources: {
      path: ADS_SOTW, requestStream: true, responseStream: true,
      requestSerialize: (x) => x, requestDeserialize: (b) => Req.decode(b),
      responseSerialize: (x) => x, responseDeserialize: (x) => x,
    },
  };
  const server = new grpc.Server();
  server.addService(def, {
    StreamAggregatedResources: (call) => {
      const st = { call, subs: {}, node: null };
      streams.add(st);
      call.on('data', (req) => {
        const typeUrl = req.type_url;
        if (req.node && !st.node) st.node = Req.toObject(req, { longs: String, enums: String }).node;
        const rec = {
          type: typeUrl, names: (req.resource_names || []).slice(), version: req.version_info || '',
          nonce: req.response_nonce || '', error: req.error_detail ? (req.error_detail.message || 'NACK') : null,
        };
        requests.push(rec);
        log(`fake: <- ${String(typeUrl).split('.').pop()} names=${JSON.stringify(rec.names)} v=${rec.version} nonce=${rec.nonce}${rec.error ? ` NACK: ${rec.error}` : ''}`);
        if (!enc[typeUrl]) enc[typeUrl] = {};
        const sub = st.subs[typeUrl];
        const names = new Set(rec.names);
        const changed = !sub || sub.names.size !== names.size || [...names].some((n) => !sub.names.has(n));
        if (!sub) st.subs[typeUrl] = { names, nonce: null, sentVersion: null };
        else sub.names = names;
        if (rec.error) return; // NACK: never resend the rejected version
        if (changed) send(st, typeUrl);
      });
      call.on('end', () => { streams.delete(st); call.end(); });
      call.on('error', () => { streams.delete(st); });
      call.on('cancelled', () => { streams.delete(st); });
    },
  });
  const bound = await new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });

  function pushChanged(before) {
    for (const st of streams) {
      for (const typeUrl of Object.keys(st.subs)) {
        if ((versions[typeUrl] || 0) !== before[typeUrl]) send(st, typeUrl);
      }
    }
  }

  return {
    port: bound,
    requests,
    streams,
    nodes: () => [...streams].map((s) => s.node),
    setBackendPorts(ports) {
      const before = { ...versions };
      cfg.backendPorts = ports.slice();
      encodeAll();
      pushChanged(before);
    },
    // The served resources in `cairn dump --format pb` form (for tests/tools/xds-verify.js).
    pbLines() {
      const out = [];
      for (const [typeUrl, byName] of Object.entries(enc)) {
        for (const [n, b] of Object.entries(byName)) out.push(`${typeUrl}\t${n}\t${b.toString('base64')}`);
      }
      return out;
    },
    stop() {
      return new Promise((res) => {
        for (const st of streams) { try { st.call.end(); } catch (e) { /* gone */ } }
        const t = setTimeout(() => { server.forceShutdown(); res(); }, 1000);
        server.tryShutdown(() => { clearTimeout(t); res(); });
      });
    },
  };
}

module.exports = { startFakeXds, buildResources, TYPE };

if (require.main === module) {
  const args = process.argv.slice(2);
  let fqdn = 'echo.example.com'; let port = 0; const backendPorts = []; let verbose = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--fqdn') fqdn = args[++i];
    else if (args[i] === '--port') port = Number(args[++i]);
    else if (args[i] === '--backend-port') backendPorts.push(Number(args[++i]));
    else if (args[i] === '-v') verbose = true;
    else { process.stderr.write(`usage: fake-xds-server.js --fqdn F --backend-port P [--port N] [-v]\n`); process.exit(2); }
  }
  if (!backendPorts.length) { process.stderr.write('fake-xds-server: --backend-port is required\n'); process.exit(2); }
  startFakeXds({ fqdn, backendPorts, port, log: verbose ? (m) => process.stderr.write(`${m}\n`) : () => {} }).then((x) => {
    process.stdout.write(`${JSON.stringify({ port: x.port })}\n`);
    const stop = () => x.stop().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }, (e) => { process.stderr.write(`fake-xds-server: ${e.stack || e.message}\n`); process.exit(2); });
}
