#!/usr/bin/env node
// envoy-checks: what Envoy refuses when it builds a Listener, RouteConfiguration, Cluster,
// ClusterLoadAssignment or Secret although the official protos and their protoc-gen-validate
// rules (tests/tools/xds-verify.js) let it through. Any one of these NACKs the whole resource
// — for ingress_http every host's updates (SPEC §8). docs/protocol.md lists each check with
// the place in Envoy's source that makes it and how cairn prevents it.
//
// usage: envoy-checks.js [--regexes FILE] [FILE|-]
//        envoy-checks.js --batch FILE...   (each judged alone; regexes to FILE.re; lines
//                                           prefixed "FILE: ")
//   Input: `cairn dump --format json --show-secrets` (stdin when no FILE or FILE is "-").
//   --regexes FILE  write every regex found in a RegexMatcher (safe_regex, safe_regex_match,
//                   ...) to FILE, each followed by a NUL byte, for RE2 itself to judge
//                   (tests/tools/re2_verify): JavaScript has no RE2.
// Output: one line per problem `KIND NAME: path: problem`, then `envoy-checks: N resources,
// N problems`. Exit status: 0 no problem, 1 problems, 2 usage or input error.
'use strict';

const fs = require('node:fs');
const crypto = require('node:crypto');

const problems = [];
const regexes = [];
let nresources = 0;

function problem(kind, name, path, text) {
  problems.push(`${kind} ${name}: ${path || '.'}: ${text}`);
}

// Every RegexMatcher under obj (they hold a `regex` string; RE2 judges them). Also
// Matchers::StringMatcherImpl: "ignore_case has no effect for safe_regex".
function collectRegexes(obj, where) {
  if (Array.isArray(obj)) {
    obj.forEach((x) => collectRegexes(x, where));
  } else if (obj !== null && typeof obj === 'object') {
    if (obj.safe_regex && obj.ignore_case === true) {
      problems.push(`${where}: ignore_case has no effect for safe_regex`);
    }
    for (const [k, v] of Object.entries(obj)) {
      if ((k === 'safe_regex' || k === 'safe_regex_match' || k === 'pattern') &&
          v !== null && typeof v === 'object' && typeof v.regex === 'string') {
        regexes.push(v.regex);
      }
      collectRegexes(v, where);
    }
  }
}

// Header values are Envoy format strings (Formatter::SubstitutionFormatParser): "%%" is a
// literal percent, anything else between two '%' must be a command ("%REQ(x)%",
// "%DOWNSTREAM_REMOTE_ADDRESS%", "%START_TIME(%s)%"); a lone '%' or "%foo%" is refused.
function checkFormat(kind, name, path, value) {
  if (typeof value !== 'string' || !value.includes('%')) return;
  const rest = value.replace(/%%/g, '');
  const cmd = /%[A-Z][A-Z0-9_]*(\([^)]*\))?(:[0-9]+)?%/g;
  if (rest.replace(cmd, '').includes('%')) {
    problem(kind, name, path, `not a valid format string (a '%' that is neither "%%" nor a command): ${JSON.stringify(value)}`);
  }
}

// Http::HeaderUtility::isRemovableHeader / isModifiableHeader: no ":"-pseudo-header, no host.
function pseudoOrHost(name) {
  return typeof name === 'string' && (name.startsWith(':') || name.toLowerCase() === 'host');
}

// HeaderParser::configure for one place that adds and removes headers.
function checkHeaderMutations(kind, name, path, obj) {
  for (const side of ['request', 'response']) {
    (obj[`${side}_headers_to_remove`] || []).forEach((h, i) => {
      if (pseudoOrHost(h)) {
        problem(kind, name, `${path}.${side}_headers_to_remove[${i}]`,
          `":-prefixed or host headers may not be removed" (${JSON.stringify(h)})`);
      }
    });
    (obj[`${side}_headers_to_add`] || []).forEach((o, i) => {
      const key = o.header && o.header.key;
      checkFormat(kind, name, `${path}.${side}_headers_to_add[${i}].header.value`, o.header && o.header.value);
      if (typeof key === 'string' && key.startsWith(':')) {
        problem(kind, name, `${path}.${side}_headers_to_add[${i}]`,
          `":-prefixed headers may not be modified" (${JSON.stringify(key)})`);
      }
    });
  }
}

// router/config_impl.cc: RouteEntryImplBase, RetryPolicyImpl, ShadowPolicyImpl,
// ConfigUtility::parseDirectResponseBody (max_direct_response_body_size_bytes, default 4096).
function checkRoute(rc, vpath, r, j, maxBody) {
  const path = `${vpath}.routes[${j}]`;
  checkHeaderMutations('RouteConfiguration', rc.name, path, r);
  const ra = r.route;
  if (ra) {
    const wc = ra.weighted_clusters;
    if (wc) {
      let total = 0;
      (wc.clusters || []).forEach((c, k) => {
        total += Number(c.weight || 0);
        if (!c.name && !c.cluster_header) {
          problem('RouteConfiguration', rc.name, `${path}.route.weighted_clusters.clusters[${k}]`,
            'at least one of name or cluster_header need to be specified');
        }
        checkHeaderMutations('RouteConfiguration', rc.name,
          `${path}.route.weighted_clusters.clusters[${k}]`, c);
      });
      if (total === 0) {
        problem('RouteConfiguration', rc.name, `${path}.route.weighted_clusters`,
          'Sum of weights in the weighted_cluster must be greater than 0');
      }
      if (total > 0xffffffff) {
        problem('RouteConfiguration', rc.name, `${path}.route.weighted_clusters`,
          `the sum of weights (${total}) exceeds 4294967295`);
      }
    }
    const rewrites = ['prefix_rewrite', 'regex_rewrite', 'path_rewrite_policy'].filter((f) => ra[f]);
    if (rewrites.length > 1) {
      problem('RouteConfiguration', rc.name, `${path}.route`,
        `Specify only one of prefix_rewrite, regex_rewrite or path_rewrite_policy (${rewrites})`);
    }
    const seen = new Set();
    (ra.upgrade_configs || []).forEach((u, k) => {
      const t = String(u.upgrade_type || '').toLowerCase();
      if (seen.has(t)) {
        problem('RouteConfiguration', rc.name, `${path}.route.upgrade_configs[${k}]`, `Duplicate upgrade ${t}`);
      }
      seen.add(t);
    });
    const rb = ra.retry_policy && ra.retry_policy.retry_back_off;
    if (rb && rb.max_interval && seconds(rb.max_interval) < seconds(rb.base_interval)) {
      problem('RouteConfiguration', rc.name, `${path}.route.retry_policy.retry_back_off`,
        'retry_policy.max_interval must greater than or equal to the base_interval');
    }
    (ra.request_mirror_policies || []).forEach((m, k) => {
      if (!!m.cluster === !!m.cluster_header) {
        problem('RouteConfiguration', rc.name, `${path}.route.request_mirror_policies[${k}]`,
          'exactly one of cluster or cluster_header in request mirror policy need to be specified');
      }
    });
  }
  const body = r.direct_response && r.direct_response.body;
  if (body) {
    const len = body.inline_string !== undefined ? Buffer.byteLength(body.inline_string) :
      body.inline_bytes !== undefined ? Buffer.from(body.inline_bytes, 'base64').length : 0;
    if (len > maxBody) {
      problem('RouteConfiguration', rc.name, `${path}.direct_response.body`,
        `response body size is ${len} bytes; maximum is ${maxBody}`);
    }
  }
}

function seconds(d) {
  return d === undefined ? 0 : Number(String(d).replace(/s$/, ''));
}

// router/config_impl.cc RouteMatcher: domains (lower-cased) unique across the
// RouteConfiguration's virtual hosts, one "*" at most.
function checkRouteConfiguration(rc) {
  const domains = new Map();
  const maxBody = rc.max_direct_response_body_size_bytes !== undefined ?
    Number(rc.max_direct_response_body_size_bytes) : 4096;
  checkHeaderMutations('RouteConfiguration', rc.name, '', rc);
  (rc.virtual_hosts || []).forEach((vh, i) => {
    const vpath = `virtual_hosts[${i}]`;
    (vh.domains || []).forEach((d, k) => {
      const key = String(d).toLowerCase();
      if (domains.has(key)) {
        problem('RouteConfiguration', rc.name, `${vpath}.domains[${k}]`,
          key === '*' ? 'Only a single wildcard domain is permitted' :
            `Only unique values for domains are permitted. Duplicate entry of domain ${key} ` +
            `(also in ${domains.get(key)})`);
      } else {
        domains.set(key, vpath);
      }
    });
    checkHeaderMutations('RouteConfiguration', rc.name, vpath, vh);
    if (vh.matcher && (vh.routes || []).length) {
      problem('RouteConfiguration', rc.name, vpath, 'cannot set both matcher and routes on virtual host');
    }
    (vh.routes || []).forEach((r, j) => checkRoute(rc, vpath, r, j, maxBody));
  });
}

// Every HttpConnectionManager: the router filter is the last http filter and only the last
// (Http::FilterChainUtility / HCM config: terminal filter checks).
function checkHcm(kind, name, path, hcm) {
  const filters = hcm.http_filters || [];
  filters.forEach((f, i) => {
    const router = (f.typed_config && f.typed_config['@type'] || '').endsWith('.router.v3.Router');
    const last = i === filters.length - 1;
    if (router && !last) {
      problem(kind, name, `${path}.http_filters[${i}]`, 'terminal filter (router) must be the last filter');
    } else if (!router && last) {
      problem(kind, name, `${path}.http_filters[${i}]`, 'the last http filter must be a terminal filter (router)');
    }
  });
  if (hcm.route_config) checkRouteConfiguration(Object.assign({ name: `${name} (inline)` }, hcm.route_config));
}

// listener_impl.cc / filter_chain_manager_impl.cc: filter chain matches unique, filter chain
// names unique, server_names wildcards only as a whole first label.
function checkListener(l) {
  const matches = new Map();
  const names = new Set();
  (l.filter_chains || []).forEach((fc, i) => {
    const path = `filter_chains[${i}]`;
    const key = JSON.stringify(canonical(fc.filter_chain_match || {}));
    if (matches.has(key)) {
      problem('Listener', l.name, path,
        `multiple filter chains with the same matching rules are defined (also ${matches.get(key)})`);
    } else {
      matches.set(key, path);
    }
    if (fc.name) {
      if (names.has(fc.name)) problem('Listener', l.name, path, `duplicate filter chain name ${fc.name}`);
      names.add(fc.name);
    }
    ((fc.filter_chain_match || {}).server_names || []).forEach((s, k) => {
      if (s.includes('*') && !(s === '*' || (s.startsWith('*.') && !s.slice(1).includes('*')))) {
        problem('Listener', l.name, `${path}.filter_chain_match.server_names[${k}]`,
          `partial wildcards are not supported in "server_names" (${s})`);
      }
    });
    (fc.filters || []).forEach((f, k) => {
      const t = f.typed_config && f.typed_config['@type'] || '';
      if (t.endsWith('.HttpConnectionManager')) checkHcm('Listener', l.name, `${path}.filters[${k}].typed_config`, f.typed_config);
    });
  });
}

// A filter_chain_match with its lists sorted: Envoy compares matching rules, not order.
function canonical(m) {
  const out = {};
  for (const k of Object.keys(m).sort()) {
    const v = m[k];
    out[k] = Array.isArray(v) ? v.map((x) => JSON.stringify(x)).sort() : v;
  }
  return out;
}

// upstream/upstream_impl.cc, cluster factories: what each discovery type needs.
function checkCluster(c) {
  const type = c.type || 'STATIC';
  const eps = (c.load_assignment && c.load_assignment.endpoints) || [];
  const nhosts = eps.reduce((n, e) => n + (e.lb_endpoints || []).length, 0);
  if ((type === 'STRICT_DNS' || type === 'STATIC') && nhosts === 0 && !c.cluster_type) {
    problem('Cluster', c.name, 'load_assignment', `a ${type} cluster needs load_assignment endpoints`);
  }
  if (type === 'LOGICAL_DNS' && (eps.length !== 1 || nhosts !== 1)) {
    problem('Cluster', c.name, 'load_assignment',
      'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint');
  }
  if (type === 'EDS' && !c.eds_cluster_config) {
    problem('Cluster', c.name, 'eds_cluster_config', 'an EDS cluster needs eds_cluster_config');
  }
  const rh = c.ring_hash_lb_config;
  if (rh && rh.minimum_ring_size && rh.maximum_ring_size &&
      Number(rh.minimum_ring_size) > Number(rh.maximum_ring_size)) {
    problem('Cluster', c.name, 'ring_hash_lb_config', 'minimum_ring_size must be <= maximum_ring_size');
  }
  (c.health_checks || []).forEach((hc, i) => {
    const h = hc.http_health_check;
    (h && h.request_headers_to_remove || []).forEach((n, k) => {
      if (pseudoOrHost(n)) problem('Cluster', c.name, `health_checks[${i}].http_health_check.request_headers_to_remove[${k}]`, '":-prefixed or host headers may not be removed"');
    });
  });
}

// upstream/eds.cc + priority set: one LocalityLbEndpoints per locality and priority.
function checkEndpoints(cla) {
  const seen = new Set();
  (cla.endpoints || []).forEach((e, i) => {
    const key = `${e.priority || 0}/${JSON.stringify(e.locality || {})}`;
    if (seen.has(key)) {
      problem('ClusterLoadAssignment', cla.cluster_name, `endpoints[${i}]`,
        `duplicate locality ${JSON.stringify(e.locality || {})} in priority ${e.priority || 0}`);
    }
    seen.add(key);
  });
}

// transport_sockets/tls: the certificate chain must load and match its private key.
function checkSecret(s) {
  const tc = s.tls_certificate;
  if (!tc || !tc.certificate_chain || !tc.private_key) return;
  const text = (ds) => ds.inline_string !== undefined ? ds.inline_string :
    ds.inline_bytes !== undefined ? Buffer.from(ds.inline_bytes, 'base64').toString() : null;
  const chain = text(tc.certificate_chain);
  const key = text(tc.private_key);
  if (chain === null || key === null) return; // file-backed: cairn reads and checks the files
  try {
    const cert = new crypto.X509Certificate(chain);
    if (!cert.checkPrivateKey(crypto.createPrivateKey(key))) {
      problem('Secret', s.name, 'tls_certificate', 'the private key does not match the certificate');
    }
  } catch (e) {
    problem('Secret', s.name, 'tls_certificate', `Failed to load certificate chain or key: ${e.message}`);
  }
}

function uniqueNames(kind, list, field) {
  const seen = new Set();
  for (const r of list) {
    const n = r[field];
    if (seen.has(n)) problem(kind, n, '', `duplicate ${kind} name in one update`);
    seen.add(n);
  }
}

// Judges one dump; problems and regexes are left in the module's lists.
function judge(dump) {
  problems.length = 0;
  regexes.length = 0;
  const listeners = dump.listeners || [];
  const routes = dump.routes || [];
  const clusters = dump.clusters || [];
  const endpoints = dump.endpoints || [];
  const secrets = dump.secrets || [];
  nresources = listeners.length + routes.length + clusters.length + endpoints.length + secrets.length;
  uniqueNames('Listener', listeners, 'name');
  uniqueNames('RouteConfiguration', routes, 'name');
  uniqueNames('Cluster', clusters, 'name');
  uniqueNames('ClusterLoadAssignment', endpoints, 'cluster_name');
  uniqueNames('Secret', secrets, 'name');
  // Two listeners cannot bind the same address.
  const addrs = new Map();
  for (const l of listeners) {
    const a = JSON.stringify(l.address || {});
    if (l.address && !l.api_listener && addrs.has(a)) problem('Listener', l.name, 'address', `the same address as listener ${addrs.get(a)}`);
    addrs.set(a, l.name);
  }
  listeners.forEach(checkListener);
  routes.forEach(checkRouteConfiguration);
  clusters.forEach(checkCluster);
  endpoints.forEach(checkEndpoints);
  secrets.forEach(checkSecret);
  collectRegexes(dump, 'a StringMatcher');
}

function summary() {
  return `envoy-checks: ${nresources} resources, ${regexes.length} regexes, ${problems.length} problems`;
}

function readDump(file) {
  return JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8'));
}

// --batch FILE...: each FILE judged on its own, its regexes written to FILE.re, every output
// line prefixed with "FILE: " (one node process for a whole test run).
function batch(files) {
  let bad = 0;
  for (const f of files) {
    try {
      judge(readDump(f));
    } catch (e) {
      console.log(`${f}: envoy-checks: ${e.message}`);
      bad++;
      continue;
    }
    fs.writeFileSync(`${f}.re`, regexes.map((r) => `${r}\0`).join(''));
    for (const p of problems) console.log(`${f}: ${p}`);
    console.log(`${f}: ${summary()}`);
    if (problems.length) bad++;
  }
  return bad ? 1 : 0;
}

function main(argv) {
  let regexFile = null;
  let input = '-';
  if (argv[0] === '--batch') return batch(argv.slice(1));
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--regexes') regexFile = argv[++i];
    else input = argv[i];
  }
  try {
    judge(readDump(input));
  } catch (e) {
    console.error(`envoy-checks: ${e.message}`);
    return 2;
  }
  if (regexFile) fs.writeFileSync(regexFile, regexes.map((r) => `${r}\0`).join(''));
  for (const p of problems) console.log(p);
  console.log(summary());
  return problems.length ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
module.exports = { main };
