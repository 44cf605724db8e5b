// envoy-protos: Envoy's OFFICIAL protos (npm @grpc/grpc-js-xds, deps/) as a protobufjs Root —
// the independent judge of what cairn sends. Never loads cairn's own trimmed proto/ tree.
//
//   const { loadEnvoyRoot } = require('./envoy-protos.js');
//   const root = await loadEnvoyRoot();            // the default set (ROOT_FILES), cached
//   const root = await loadEnvoyRoot({ all: true }); // every envoy/xds .../v3/ file that loads
//   root.lookupType('envoy.config.cluster.v3.Cluster').decode(bytes)
//
// Options: files (import paths relative to the deps roots; default ROOT_FILES), all (every v3
// file instead), cache (default true). Field names keep the .proto spelling (keepCase), so
// JavaScript objects use `resource_names`, `type_url`, ...
//
// google/protobuf/* resolve to protobufjs's bundled copies; everything else to deps/envoy-api,
// deps/xds, deps/googleapis, deps/protoc-gen-validate. Files whose imports are not shipped (a few
// tracers) are skipped with their importers. The resolved root is cached as JSON under
// $CAIRN_TEST_CACHE, else tests/.cache, else the system temp dir, keyed by package versions and
// the file list: ~0.2 s cold here, less from the cache. A cached root has no parsedOptions (the
// protoc-gen-validate rules); load with { cache: false } when those are needed.
//
// Needs protobufjs and @grpc/grpc-js-xds resolvable (NODE_PATH or tests/node_modules).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const FORMAT = 1;

// What cairn emits or receives, with everything they import.
const ROOT_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'google/rpc/status.proto',
];

function protobufjs() {
  return require('protobufjs');
}

function depsDir() {
  if (process.env.ENVOY_PROTO_DEPS) return path.resolve(process.env.ENVOY_PROTO_DEPS);
  return path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
}

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch (e) {
    return '?';
  }
}

function cacheDir() {
  const cands = [];
  if (process.env.CAIRN_TEST_CACHE) cands.push(path.resolve(process.env.CAIRN_TEST_CACHE));
  cands.push(path.join(__dirname, '..', '.cache'));
  cands.push(path.join(os.tmpdir(), `cairn-test-cache-${process.getuid ? process.getuid() : 0}`));
  for (const d of cands) {
    try {
      fs.mkdirSync(d, { recursive: true });
      fs.accessSync(d, fs.constants.W_OK);
      return d;
    } catch (e) { /* next */ }
  }
  return null;
}

// Resolves an import path to a file (or to the name of a protobufjs bundled file); null when it
// is not shipped.
function makeLocator(deps) {
  const protobuf = protobufjs();
  const pbjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  const roots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate']
    .map((d) => path.join(deps, d)).filter((d) => fs.existsSync(d));
  return function locate(imp) {
    const idx = imp.lastIndexOf('google/protobuf/');
    if (idx > -1) {
      const alt = imp.substring(idx);
      if (protobuf.common[alt]) return alt;
      const p = path.join(pbjsDir, alt);
      if (fs.existsSync(p)) return p;
    }
    if (path.isAbsolute(imp)) return fs.existsSync(imp) ? imp : null;
    for (const r of roots) {
      const p = path.join(r, imp);
      if (fs.existsSync(p)) return p;
    }
    return null;
  };
}

// Files whose transitive imports are all shipped: the first unshipped import, or null.
function makeMissingCheck(locate) {
  const importRe = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;
  const memo = new Map();
  return function missingImport(file, seen = new Set()) {
    if (memo.has(file)) return memo.get(file);
    if (!path.isAbsolute(file) || seen.has(file)) return null; // bundled, or a cycle
    seen.add(file);
    let miss = null;
    for (const m of fs.readFileSync(file, 'utf8').matchAll(importRe)) {
      const loc = locate(m[1]);
      miss = loc ? missingImport(loc, seen) : m[1];
      if (miss) break;
    }
    memo.set(file, miss);
    return miss;
  };
}

function allV3Files(deps) {
  const out = [];
  for (const top of ['envoy-api', 'xds']) {
    const base = path.join(deps, top);
    if (!fs.existsSync(base)) continue;
    (function walk(d) {
      for (const ent of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = path.join(d, ent.name);
        if (ent.isDirectory()) walk(p);
        else if (ent.name.endsWith('.proto') && p.includes(`${path.sep}v3${path.sep}`)) out.push(path.relative(base, p));
      }
    })(base);
  }
  return out;
}

function coldLoad(deps, files) {
  const protobuf = protobufjs();
  const locate = makeLocator(deps);
  const missingImport = makeMissingCheck(locate);
  const paths = [];
  for (const f of files) {
    const p = locate(f);
    if (!p) throw new Error(`envoy-protos: ${f} is not in ${deps}`);
    if (missingImport(p)) continue;
    paths.push(p);
  }
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    const p = locate(target);
    return p && !missingImport(p) ? p : null;
  };
  root.loadSync(paths, { keepCase: true });
  root.resolveAll();
  return root;
}

// Synchronous variant of loadEnvoyRoot.
function loadEnvoyRootSync(opts = {}) {
  const protobuf = protobufjs();
  const deps = depsDir();
  const files = opts.all ? allV3Files(deps) : (opts.files || ROOT_FILES);
  const useCache = opts.cache !== false;
  const key = crypto.createHash('sha256').update(JSON.stringify([FORMAT, deps,
    packageVersion('@grpc/grpc-js-xds'), packageVersion('protobufjs'), files])).digest('hex').slice(0, 16);
  const dir = useCache ? cacheDir() : null;
  const file = dir && path.join(dir, `envoy-protos-${key}.json`);

  if (file && fs.existsSync(file)) {
    try {
      const root = protobuf.Root.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
      root.resolveAll();
      return root;
    } catch (e) { /* stale or torn: rebuild */ }
  }
  const root = coldLoad(deps, files);
  if (file) {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(root.toJSON()));
      fs.renameSync(tmp, file);
    } catch (e) {
      try { fs.unlinkSync(tmp); } catch (e2) { /* ignore */ }
    }
  }
  return root;
}

// Returns (a promise of) a resolved protobufjs Root with Envoy's official v3 types.
async function loadEnvoyRoot(opts = {}) {
  return loadEnvoyRootSync(opts);
}

module.exports = { loadEnvoyRoot, loadEnvoyRootSync, ROOT_FILES, depsDir };
