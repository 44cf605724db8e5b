// pgv.js: protoc-gen-validate (PGV) rules of Envoy's OFFICIAL protos, applied to decoded
// protobufjs messages. Envoy runs these same rules (the C++ PGV validators) on every resource it
// receives and NACKs a resource that breaks one, so this is the closest stand-in for Envoy's own
// verdict on a machine without Envoy.
//
// What is implemented (validate/validate.proto of the shipped protoc-gen-validate):
//   message: required, skip; message options (validate.disabled) / (validate.ignored)
//   oneof:   (validate.required)
//   scalars: float/double/[s|u]int32/64/[s]fixed32/64: const lt lte gt gte in not_in ignore_empty
//            (PGV's exclusive-range semantics when lt < gt); bool: const
//   enum:    const defined_only in not_in
//   string:  const len min_len max_len len_bytes min_bytes max_bytes pattern prefix suffix
//            contains not_contains in not_in ignore_empty, well-known: email hostname ip ipv4
//            ipv6 uri uri_ref address uuid well_known_regex (HTTP_HEADER_NAME/VALUE, strict)
//   bytes:   const len min_len max_len pattern prefix suffix contains in not_in ip ipv4 ipv6
//   repeated: min_items max_items unique items ignore_empty
//   map:     min_pairs max_pairs no_sparse keys values ignore_empty
//   any:     required in not_in
//   duration: required const lt lte gt gte in not_in (+ the value must be a valid Duration)
//   timestamp: required const lt lte gt gte (lt_now/gt_now/within: not checked)
//   wrappers (google.protobuf.*Value): scalar rules apply to .value when the wrapper is set.
// Every embedded message is validated recursively (as PGV's generated Validate() does), and,
// unlike PGV itself but like Envoy (MessageUtil::anyConvertAndValidate), so is the content of
// every google.protobuf.Any, through the `unpackAny` callback given by the caller.
//
// The rules come from the `parsedOptions` protobufjs keeps on a COLD load from .proto files
// (a Root rebuilt from JSON only has the flattened `options`, which lose list values such as
// `in: [..]`). extractRules() turns a cold root into a plain JSON table, loadRules() caches that
// table in the test cache directory (tests/.cache/pgv-rules.json by default).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

// ---------------------------------------------------------------------------
// Locating things

function requireProtobuf() {
  return require('protobufjs');
}

// The official protos: npm @grpc/grpc-js-xds ships them under deps/.
function officialDepsDir() {
  if (process.env.ENVOY_PROTO_DEPS) return path.resolve(process.env.ENVOY_PROTO_DEPS);
  return path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
}

function depsVersion() {
  try {
    const pj = path.join(officialDepsDir(), '..', 'package.json');
    return JSON.parse(fs.readFileSync(pj, 'utf8')).version || '?';
  } catch (e) {
    return '?';
  }
}

// Cache directory shared by the test tools: $CAIRN_TEST_CACHE, else tests/.cache next to this
// file, else (read-only source tree, e.g. distcheck) a directory under the system temp dir.
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

function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------------------
// Cold load of every envoy/xds v3 file of the official protos (keeps parsedOptions), < 1 s here.
// The same file set as envoy-protos.js's loadEnvoyRoot({ all: true }); used when that file is
// not available (xds-verify.js passes envoy-protos.js's cold loader to loadRules).

function coldLoadOfficialRoot(depsDir = officialDepsDir()) {
  const protobuf = requireProtobuf();
  const pbjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  const roots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate']
    .map((d) => path.join(depsDir, d)).filter((d) => fs.existsSync(d));
  const bundled = new Set(Object.keys(protobuf.common || {}).filter((k) => k.endsWith('.proto')));

  function locate(imp) {
    const idx = imp.lastIndexOf('google/protobuf/');
    if (idx > -1) {
      const alt = imp.substring(idx);
      if (bundled.has(alt)) return alt;
      const p = path.join(pbjsDir, alt);
      if (fs.existsSync(p)) return p;
    }
    if (path.isAbsolute(imp)) return fs.existsSync(imp) ? imp : null;
    for (const r of roots) {
      const p = path.join(r, imp);
      if (fs.existsSync(p)) return p;
    }
    return null;
  }
  const importRe = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;
  const closure = new Map();
  function missingImport(file, seen = new Set()) {
    if (closure.has(file)) return closure.get(file);
    if (seen.has(file) || bundled.has(file)) return null;
    seen.add(file);
    let miss = null;
    for (const m of fs.readFileSync(file, 'utf8').matchAll(importRe)) {
      const loc = locate(m[1]);
      if (!loc) { miss = m[1]; break; }
      const sub = missingImport(loc, seen);
      if (sub) { miss = sub; break; }
    }
    closure.set(file, miss);
    return miss;
  }
  const files = [];
  (function walk(d) {
    for (const ent of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith('.proto') && p.includes(`${path.sep}v3${path.sep}`)) files.push(p);
    }
  })(path.join(depsDir, 'envoy-api'));
  if (fs.existsSync(path.join(depsDir, 'xds'))) {
    (function walk(d) {
      for (const ent of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = path.join(d, ent.name);
        if (ent.isDirectory()) walk(p);
        else if (ent.name.endsWith('.proto') && p.includes(`${path.sep}v3${path.sep}`)) files.push(p);
      }
    })(path.join(depsDir, 'xds'));
  }
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => locate(target) || target;
  root.loadSync(files.filter((f) => !missingImport(f)), { keepCase: true });
  root.resolveAll();
  return root;
}

// ---------------------------------------------------------------------------
// Rules table

const RULES_FORMAT = 1;

function optionOf(obj, name) {
  const out = [];
  for (const po of obj.parsedOptions || []) {
    if (Object.prototype.hasOwnProperty.call(po, name)) out.push(po[name]);
  }
  if (out.length === 0) return undefined;
  if (out.length === 1) return out[0];
  // Several separate option statements for the same extension: merge shallowly per rule kind.
  const merged = {};
  for (const o of out) {
    if (o === null || typeof o !== 'object') return o;
    for (const [k, v] of Object.entries(o)) {
      merged[k] = (merged[k] && typeof merged[k] === 'object' && typeof v === 'object')
        ? Object.assign({}, merged[k], v) : v;
    }
  }
  return merged;
}

// { "pkg.Msg": { f: {field: rules}, o: [required oneof names], disabled: true,
//   deprecated: [field names] } }  -- only messages with something to say.
function extractRules(root) {
  const protobuf = requireProtobuf();
  const table = {};
  let anyParsed = false;
  (function visit(ns) {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type) {
        const ent = {};
        if (n.parsedOptions) anyParsed = true;
        if (optionOf(n, '(validate.disabled)') === true || optionOf(n, '(validate.ignored)') === true) ent.disabled = true;
        for (const f of n.fieldsArray) {
          if (f.parsedOptions) anyParsed = true;
          const r = optionOf(f, '(validate.rules)');
          if (r !== undefined) (ent.f = ent.f || {})[f.name] = r;
          if (optionOf(f, 'deprecated') === true) (ent.deprecated = ent.deprecated || []).push(f.name);
        }
        for (const o of n.oneofsArray) {
          if (o.parsedOptions) anyParsed = true;
          if (optionOf(o, '(validate.required)') === true) (ent.o = ent.o || []).push(o.name);
        }
        if (Object.keys(ent).length) table[n.fullName.replace(/^\./, '')] = ent;
      }
      if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) {
        if (n.nestedArray && n.nestedArray.length) visit(n);
      }
    }
  })(root);
  if (!anyParsed) throw new Error('pgv: root has no parsedOptions (not a cold load from .proto files)');
  return table;
}

// Returns the rules table, from the cache when it matches the installed protos, else by a cold
// load (and then writes the cache). `log` gets progress notes.
// coldRoot: optional function returning a cold-loaded Root (default: coldLoadOfficialRoot).
function loadRules({ log = () => {}, coldRoot = coldLoadOfficialRoot } = {}) {
  const pbjsVersion = JSON.parse(fs.readFileSync(require.resolve('protobufjs/package.json'), 'utf8')).version;
  const key = `${RULES_FORMAT}|${depsVersion()}|${pbjsVersion}|${officialDepsDir()}`;
  const dir = cacheDir();
  const file = dir && path.join(dir, 'pgv-rules.json');
  if (file && fs.existsSync(file)) {
    try {
      const c = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (c.key === key && c.rules) return c.rules;
    } catch (e) { /* rebuild */ }
  }
  const rules = extractRules(coldRoot());
  if (file) {
    try { writeAtomic(file, JSON.stringify({ key, rules })); } catch (e) { log(`pgv: cannot write ${file}: ${e.message}`); }
  }
  return rules;
}

// ---------------------------------------------------------------------------
// Helpers for values

const has = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k) && o[k] !== null && o[k] !== undefined;

const INT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);
const FLOAT_TYPES = new Set(['float', 'double']);

const WRAPPERS = {
  'google.protobuf.DoubleValue': 'double', 'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64', 'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32', 'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool', 'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

function toBig(v) {
  if (typeof v === 'bigint') return v;
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'object' && typeof v.toString === 'function') return BigInt(v.toString());
  if (typeof v === 'string') return BigInt(v);
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return BigInt(v);
}
function numKind(scalar) { return FLOAT_TYPES.has(scalar) ? 'float' : 'int'; }
function conv(kind, v) { return kind === 'float' ? Number(v) : toBig(v); }
function fmt(v) {
  if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('latin1'));
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  if (v && typeof v === 'object' && 'seconds' in v) return fmtDur(durNanos(v));
  if (Array.isArray(v)) return `[${v.map(fmt).join(', ')}]`;
  return String(v);
}
function durNanos(d) {
  if (!d) return 0n;
  return toBig(d.seconds || 0) * 1000000000n + toBig(d.nanos || 0);
}
function fmtDur(n) {
  const neg = n < 0n; const a = neg ? -n : n;
  const s = a / 1000000000n; const ns = a % 1000000000n;
  return `${neg ? '-' : ''}${s}${ns ? `.${ns.toString().padStart(9, '0').replace(/0+$/, '')}` : ''}s`;
}
function cmp(a, b) { return a < b ? -1 : (a > b ? 1 : 0); }

// Range and membership checks shared by numbers, durations and timestamps.
// `c` converts a rule value into the comparable domain; `show` prints it.
function checkRange(v, r, c, show, bad) {
  if (has(r, 'const') && cmp(v, c(r.const)) !== 0) bad(`must equal ${show(r.const)}, got ${show(v, true)}`);
  const hasLo = has(r, 'gt') || has(r, 'gte');
  const hasHi = has(r, 'lt') || has(r, 'lte');
  if (hasLo && hasHi) {
    const lo = has(r, 'gt') ? c(r.gt) : c(r.gte); const loEx = has(r, 'gt');
    const hi = has(r, 'lt') ? c(r.lt) : c(r.lte); const hiEx = has(r, 'lt');
    const aboveLo = loEx ? cmp(v, lo) > 0 : cmp(v, lo) >= 0;
    const belowHi = hiEx ? cmp(v, hi) < 0 : cmp(v, hi) <= 0;
    const sLo = `${loEx ? '>' : '>='} ${show(has(r, 'gt') ? r.gt : r.gte)}`;
    const sHi = `${hiEx ? '<' : '<='} ${show(has(r, 'lt') ? r.lt : r.lte)}`;
    if (cmp(hi, lo) >= 0) {
      if (!(aboveLo && belowHi)) bad(`must be ${sLo} and ${sHi}, got ${show(v, true)}`);
    } else if (!(aboveLo || belowHi)) {
      bad(`must be ${sLo} or ${sHi}, got ${show(v, true)}`);
    }
  } else {
    if (has(r, 'gt') && !(cmp(v, c(r.gt)) > 0)) bad(`must be > ${show(r.gt)}, got ${show(v, true)}`);
    if (has(r, 'gte') && !(cmp(v, c(r.gte)) >= 0)) bad(`must be >= ${show(r.gte)}, got ${show(v, true)}`);
    if (has(r, 'lt') && !(cmp(v, c(r.lt)) < 0)) bad(`must be < ${show(r.lt)}, got ${show(v, true)}`);
    if (has(r, 'lte') && !(cmp(v, c(r.lte)) <= 0)) bad(`must be <= ${show(r.lte)}, got ${show(v, true)}`);
  }
  const list = (x) => (Array.isArray(x) ? x : [x]);
  if (has(r, 'in') && !list(r.in).some((x) => cmp(v, c(x)) === 0)) bad(`must be one of ${list(r.in).map((x) => show(x)).join(', ')}, got ${show(v, true)}`);
  if (has(r, 'not_in') && list(r.not_in).some((x) => cmp(v, c(x)) === 0)) bad(`must not be one of ${list(r.not_in).map((x) => show(x)).join(', ')}, got ${show(v, true)}`);
}

// ---- strings

// PGV's own regexes (templates/goshared/register.go, and the same in its C++ templates).
// Note `+-.` in the header-name class is a RANGE (0x2B..0x2E, includes ',' and '-'), as in PGV.
const RE_HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const RE_HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const RE_HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;

function isHostname(s) {
  let h = s;
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.length === 0 || h.length > 253) return false;
  for (const part of h.split('.')) {
    if (part.length === 0 || part.length > 63) return false;
    if (part.startsWith('-') || part.endsWith('-')) return false;
    if (!/^[A-Za-z0-9-]+$/.test(part)) return false;
  }
  return true;
}
const net = require('net');
const isIp = (s) => net.isIP(s) !== 0;
function isEmail(s) {
  let a = s;
  const m = /<(.*)>$/.exec(a);
  if (m) a = m[1];
  if (a.length > 254) return false;
  const at = a.lastIndexOf('@');
  if (at < 1) return false;
  const local = a.slice(0, at); const host = a.slice(at + 1);
  if (local.length > 64) return false;
  return isHostname(host) || isIp(host);
}
function isUri(s, refOk) {
  if (refOk) return !/[\s]/.test(s) || s === '';
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && !/\s/.test(s);
}
const RE_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const regexCache = new Map();
function compilePattern(p) {
  if (regexCache.has(p)) return regexCache.get(p);
  let re = null;
  // RE2 syntax is close to JS's for the patterns Envoy uses; (?i) etc. are translated.
  let src = p; let flags = 'u';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    if (m[1].includes('i')) flags += 'i';
    if (m[1].includes('s')) flags += 's';
    if (m[1].includes('m')) flags += 'm';
  }
  try { re = new RegExp(src, flags); } catch (e) {
    try { re = new RegExp(src, flags.replace('u', '')); } catch (e2) { re = null; }
  }
  regexCache.set(p, re);
  return re;
}

function checkString(s, r, bad) {
  if (r.ignore_empty && s === '') return;
  const runes = [...s].length;
  const bytes = Buffer.byteLength(s, 'utf8');
  if (has(r, 'const') && s !== r.const) bad(`must equal ${fmt(r.const)}`);
  if (has(r, 'len') && runes !== Number(r.len)) bad(`length must be ${r.len} characters, got ${runes}`);
  if (has(r, 'min_len') && runes < Number(r.min_len)) bad(`length must be at least ${r.min_len} characters, got ${runes}`);
  if (has(r, 'max_len') && runes > Number(r.max_len)) bad(`length must be at most ${r.max_len} characters, got ${runes}`);
  if (has(r, 'len_bytes') && bytes !== Number(r.len_bytes)) bad(`length must be ${r.len_bytes} bytes, got ${bytes}`);
  if (has(r, 'min_bytes') && bytes < Number(r.min_bytes)) bad(`length must be at least ${r.min_bytes} bytes, got ${bytes}`);
  if (has(r, 'max_bytes') && bytes > Number(r.max_bytes)) bad(`length must be at most ${r.max_bytes} bytes, got ${bytes}`);
  if (has(r, 'pattern')) {
    const re = compilePattern(r.pattern);
    if (re && !re.test(s)) bad(`does not match pattern ${JSON.stringify(r.pattern)}: ${fmt(s)}`);
  }
  if (has(r, 'prefix') && !s.startsWith(r.prefix)) bad(`must start with ${fmt(r.prefix)}: ${fmt(s)}`);
  if (has(r, 'suffix') && !s.endsWith(r.suffix)) bad(`must end with ${fmt(r.suffix)}: ${fmt(s)}`);
  if (has(r, 'contains') && !s.includes(r.contains)) bad(`must contain ${fmt(r.contains)}: ${fmt(s)}`);
  if (has(r, 'not_contains') && s.includes(r.not_contains)) bad(`must not contain ${fmt(r.not_contains)}: ${fmt(s)}`);
  const list = (x) => (Array.isArray(x) ? x : [x]);
  if (has(r, 'in') && !list(r.in).includes(s)) bad(`must be one of ${list(r.in).map(fmt).join(', ')}: ${fmt(s)}`);
  if (has(r, 'not_in') && list(r.not_in).includes(s)) bad(`must not be one of ${list(r.not_in).map(fmt).join(', ')}: ${fmt(s)}`);
  if (r.email && !isEmail(s)) bad(`must be a valid email address: ${fmt(s)}`);
  if (r.hostname && !isHostname(s)) bad(`must be a valid hostname: ${fmt(s)}`);
  if (r.ip && !isIp(s)) bad(`must be a valid IP address: ${fmt(s)}`);
  if (r.ipv4 && net.isIP(s) !== 4) bad(`must be a valid IPv4 address: ${fmt(s)}`);
  if (r.ipv6 && net.isIP(s) !== 6) bad(`must be a valid IPv6 address: ${fmt(s)}`);
  if (r.uri && !isUri(s, false)) bad(`must be a valid absolute URI: ${fmt(s)}`);
  if (r.uri_ref && !isUri(s, true)) bad(`must be a valid URI reference: ${fmt(s)}`);
  if (r.address && !(isHostname(s) || isIp(s))) bad(`must be a valid hostname or IP address: ${fmt(s)}`);
  if (r.uuid && !RE_UUID.test(s)) bad(`must be a valid UUID: ${fmt(s)}`);
  if (has(r, 'well_known_regex')) {
    const w = r.well_known_regex;
    const strict = r.strict !== false;
    let re = null; let what = '';
    if (w === 'HTTP_HEADER_NAME' || w === 1) {
      re = strict ? RE_HEADER_NAME : RE_HEADER_LOOSE; what = `a valid HTTP header name${strict ? '' : ' (loose)'}`;
    } else if (w === 'HTTP_HEADER_VALUE' || w === 2) {
      re = strict ? RE_HEADER_VALUE : RE_HEADER_LOOSE; what = `a valid HTTP header value${strict ? '' : ' (loose)'}`;
    }
    if (re && !re.test(s)) bad(`must be ${what}: ${fmt(s)}`);
  }
}

function toBuf(b) {
  if (b === null || b === undefined) return Buffer.alloc(0);
  if (typeof b === 'string') return Buffer.from(b, 'base64');
  return Buffer.from(b.buffer ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : b);
}
function checkBytes(v, r, bad) {
  const b = toBuf(v);
  if (r.ignore_empty && b.length === 0) return;
  if (has(r, 'const') && !b.equals(toBuf(r.const))) bad('must equal the constant value');
  if (has(r, 'len') && b.length !== Number(r.len)) bad(`length must be ${r.len} bytes, got ${b.length}`);
  if (has(r, 'min_len') && b.length < Number(r.min_len)) bad(`length must be at least ${r.min_len} bytes, got ${b.length}`);
  if (has(r, 'max_len') && b.length > Number(r.max_len)) bad(`length must be at most ${r.max_len} bytes, got ${b.length}`);
  if (has(r, 'pattern')) {
    const re = compilePattern(r.pattern);
    if (re && !re.test(b.toString('latin1'))) bad(`does not match pattern ${JSON.stringify(r.pattern)}`);
  }
  const lat = (x) => (typeof x === 'string' ? x : toBuf(x).toString('latin1'));
  if (has(r, 'prefix') && !b.toString('latin1').startsWith(lat(r.prefix))) bad('must start with the given prefix');
  if (has(r, 'suffix') && !b.toString('latin1').endsWith(lat(r.suffix))) bad('must end with the given suffix');
  if (has(r, 'contains') && !b.toString('latin1').includes(lat(r.contains))) bad('must contain the given bytes');
  if (r.ip && !(b.length === 4 || b.length === 16)) bad('must be a valid IP address (4 or 16 bytes)');
  if (r.ipv4 && b.length !== 4) bad('must be a valid IPv4 address (4 bytes)');
  if (r.ipv6 && b.length !== 16) bad('must be a valid IPv6 address (16 bytes)');
}

// ---------------------------------------------------------------------------
// Validator

class Validator {
  // root: protobufjs Root (official protos); rules: table from loadRules();
  // unpackAny(anyMsg, path) -> {type, msg} | null: the decoded content of an Any (the caller
  //   reports decode problems itself); report(path, problem); warn(path, text) optional.
  constructor(root, rules, { unpackAny = () => null, report, warn = () => {} } = {}) {
    this.root = root;
    this.rules = rules;
    this.unpackAny = unpackAny;
    this.report = report;
    this.warn = warn;
    this.depthLimit = 100;
  }

  validate(type, msg, p = '') {
    this._msg(type, msg, p, 0);
  }

  _msg(type, msg, p, depth) {
    if (depth > this.depthLimit) { this.report(p, 'message nesting too deep'); return; }
    const full = type.fullName.replace(/^\./, '');
    const tr = this.rules[full] || {};
    if (tr.disabled) return;
    for (const dep of tr.deprecated || []) {
      const f = type.fields[dep];
      if (f && this._present(f, msg)) this.warn(join(p, dep), 'deprecated field is set');
    }
    for (const on of tr.o || []) {
      const o = type.oneofs[on];
      if (o && !o.fieldsArray.some((f) => has(msg, f.name))) {
        this.report(join(p, on), `oneof is required: one of ${o.fieldsArray.map((f) => f.name).join(', ')} must be set`);
      }
    }
    for (const f of type.fieldsArray) {
      const fp = join(p, f.name);
      const r = (tr.f || {})[f.name];
      this._field(f, msg, r, fp, depth);
    }
  }

  _present(f, msg) {
    if (f.map) return has(msg, f.name) && Object.keys(msg[f.name]).length > 0;
    if (f.repeated) return has(msg, f.name) && msg[f.name].length > 0;
    return has(msg, f.name);
  }

  _field(f, msg, r, fp, depth) {
    const isMsgType = f.resolvedType && f.resolvedType.fieldsArray !== undefined;
    const inOneof = f.partOf && !(f.partOf.name === `_${f.name}` && f.partOf.fieldsArray.length === 1);
    const optional = !!(f.options && f.options.proto3_optional) || (f.partOf && !inOneof);
    const set = has(msg, f.name);

    if (f.map) {
      const m = set ? msg[f.name] : {};
      const keys = Object.keys(m);
      if (r && r.map) this._mapRules(f, m, keys, r.map, fp, depth);
      if (isMsgType && !(r && r.message && r.message.skip)) {
        for (const k of keys) if (m[k] != null) this._embedded(f.resolvedType, m[k], `${fp}[${JSON.stringify(k)}]`, depth);
      }
      return;
    }
    if (f.repeated) {
      const arr = set ? msg[f.name] : [];
      if (r && r.repeated) this._repeatedRules(f, arr, r.repeated, fp, depth);
      if (isMsgType && !(r && r.message && r.message.skip) && !(r && r.repeated && r.repeated.items && r.repeated.items.message && r.repeated.items.message.skip)) {
        arr.forEach((v, i) => { if (v != null) this._embedded(f.resolvedType, v, `${fp}[${i}]`, depth); });
      }
      return;
    }
    // singular
    if ((inOneof || optional) && !set) return; // rules of an unset oneof member/optional do not apply
    if (isMsgType) {
      if (r) this._singleRules(f, set ? msg[f.name] : null, r, fp, set);
      if (set && !(r && r.message && r.message.skip)) this._embedded(f.resolvedType, msg[f.name], fp, depth);
      return;
    }
    if (r) this._scalarRules(f, set ? msg[f.name] : defaultOf(f), r, fp);
  }

  _embedded(type, v, fp, depth) {
    const full = type.fullName.replace(/^\./, '');
    if (full === 'google.protobuf.Any') {
      const u = this.unpackAny(v, fp);
      if (u && u.type && u.msg) this._msg(u.type, u.msg, `${fp}<${shortName(u.type)}>`, depth + 1);
      return;
    }
    this._msg(type, v, fp, depth + 1);
  }

  // rules for one value of a message-typed field (singular, or an item of repeated/map)
  _singleRules(f, v, r, fp, set) {
    const bad = (t) => this.report(fp, t);
    const full = f.resolvedType.fullName.replace(/^\./, '');
    if (r.message && r.message.required && !set) bad('is required');
    if (WRAPPERS[full]) {
      const scalar = WRAPPERS[full];
      if (set) this._scalarValue(scalar, null, v.value === undefined || v.value === null ? defaultScalar(scalar) : v.value, r, fp);
      return;
    }
    if (full === 'google.protobuf.Duration' && r.duration) {
      const d = r.duration;
      if (d.required && !set) bad('is required');
      if (!set) return;
      const n = durNanos(v);
      const sec = toBig(v.seconds || 0); const nanos = Number(v.nanos || 0);
      if (sec > 315576000000n || sec < -315576000000n || nanos > 999999999 || nanos < -999999999
        || (sec > 0n && nanos < 0) || (sec < 0n && nanos > 0)) bad(`is not a valid duration (seconds ${sec}, nanos ${nanos})`);
      checkRange(n, d, durNanos, (x) => (typeof x === 'bigint' ? fmtDur(x) : fmtDur(durNanos(x))), bad);
      return;
    }
    if (full === 'google.protobuf.Timestamp' && r.timestamp) {
      const t = r.timestamp;
      if (t.required && !set) bad('is required');
      if (!set) return;
      checkRange(durNanos(v), t, durNanos, (x) => (typeof x === 'bigint' ? x.toString() : durNanos(x).toString()), bad);
      return;
    }
    if (full === 'google.protobuf.Any' && r.any) {
      const a = r.any;
      if (a.required && !set) bad('is required');
      if (!set) return;
      const list = (x) => (Array.isArray(x) ? x : [x]);
      if (has(a, 'in') && !list(a.in).includes(v.type_url)) bad(`type_url must be one of ${list(a.in).join(', ')}, got ${v.type_url}`);
      if (has(a, 'not_in') && list(a.not_in).includes(v.type_url)) bad(`type_url must not be ${v.type_url}`);
    }
  }

  _scalarRules(f, v, r, fp) {
    let scalar = f.type;
    if (f.resolvedType && f.resolvedType.values) scalar = 'enum';
    this._scalarValue(scalar, f, v, r, fp);
  }

  _scalarValue(scalar, f, v, r, fp) {
    const bad = (t) => this.report(fp, t);
    if (scalar === 'enum') {
      const e = r.enum;
      if (!e) return;
      const num = typeof v === 'string' ? f.resolvedType.values[v] : Number(v || 0);
      if (has(e, 'const') && num !== Number(e.const)) bad(`must equal ${e.const}, got ${num}`);
      if (e.defined_only && !Object.prototype.hasOwnProperty.call(f.resolvedType.valuesById, num)) {
        bad(`value ${num} is not defined in enum ${shortName(f.resolvedType)}`);
      }
      const list = (x) => (Array.isArray(x) ? x : [x]);
      if (has(e, 'in') && !list(e.in).map(Number).includes(num)) bad(`must be one of ${list(e.in).join(', ')}, got ${num}`);
      if (has(e, 'not_in') && list(e.not_in).map(Number).includes(num)) bad(`must not be one of ${list(e.not_in).join(', ')}, got ${num}`);
      return;
    }
    if (scalar === 'string') { if (r.string) checkString(v == null ? '' : String(v), r.string, bad); return; }
    if (scalar === 'bytes') { if (r.bytes) checkBytes(v, r.bytes, bad); return; }
    if (scalar === 'bool') {
      if (r.bool && has(r.bool, 'const') && !!v !== !!r.bool.const) bad(`must be ${r.bool.const}`);
      return;
    }
    if (INT_TYPES.has(scalar) || FLOAT_TYPES.has(scalar)) {
      const nr = r[scalar];
      if (!nr) return;
      const kind = numKind(scalar);
      const val = conv(kind, v == null ? 0 : v);
      if (nr.ignore_empty && (kind === 'float' ? val === 0 : val === 0n)) return;
      checkRange(val, nr, (x) => conv(kind, x), (x) => String(x), bad);
    }
  }

  // An item of a repeated field or a map key/value, with item rules `ir`.
  _itemRules(f, v, ir, ip, isKey) {
    if (!ir) return;
    if (isKey) { this._scalarValue(f.keyType, null, v, ir, ip); return; }
    const isMsgType = f.resolvedType && f.resolvedType.fieldsArray !== undefined;
    if (isMsgType) this._singleRules(f, v, ir, ip, v != null);
    else this._scalarRules(f, v, ir, ip);
  }

  _repeatedRules(f, arr, r, fp) {
    const bad = (t) => this.report(fp, t);
    if (r.ignore_empty && arr.length === 0) return;
    if (has(r, 'min_items') && arr.length < Number(r.min_items)) bad(`must have at least ${r.min_items} item(s), got ${arr.length}`);
    if (has(r, 'max_items') && arr.length > Number(r.max_items)) bad(`must have at most ${r.max_items} item(s), got ${arr.length}`);
    if (r.unique) {
      const seen = new Set();
      arr.forEach((v, i) => {
        const k = v && typeof v === 'object' ? JSON.stringify(v) : String(v);
        if (seen.has(k)) this.report(`${fp}[${i}]`, `items must be unique, duplicate ${fmt(v)}`);
        seen.add(k);
      });
    }
    if (r.items) arr.forEach((v, i) => this._itemRules(f, v, r.items, `${fp}[${i}]`, false));
  }

  _mapRules(f, m, keys, r, fp) {
    const bad = (t) => this.report(fp, t);
    if (r.ignore_empty && keys.length === 0) return;
    if (has(r, 'min_pairs') && keys.length < Number(r.min_pairs)) bad(`must have at least ${r.min_pairs} pair(s), got ${keys.length}`);
    if (has(r, 'max_pairs') && keys.length > Number(r.max_pairs)) bad(`must have at most ${r.max_pairs} pair(s), got ${keys.length}`);
    if (r.no_sparse) for (const k of keys) if (m[k] == null) this.report(`${fp}[${JSON.stringify(k)}]`, 'map values must not be unset');
    if (r.keys) for (const k of keys) this._itemRules(f, k, r.keys, `${fp}{key ${JSON.stringify(k)}}`, true);
    if (r.values) for (const k of keys) this._itemRules(f, m[k], r.values, `${fp}[${JSON.stringify(k)}]`, false);
  }
}

function defaultScalar(scalar) {
  if (scalar === 'string') return '';
  if (scalar === 'bytes') return Buffer.alloc(0);
  if (scalar === 'bool') return false;
  return 0;
}
function defaultOf(f) {
  if (f.resolvedType && f.resolvedType.values) return 0;
  return defaultScalar(f.type);
}
function shortName(t) {
  const n = t.fullName.replace(/^\./, '');
  return n.substring(n.lastIndexOf('.') + 1);
}
function join(p, name) { return p ? `${p}.${name}` : name; }

module.exports = {
  Validator, loadRules, extractRules, coldLoadOfficialRoot, officialDepsDir, depsVersion, cacheDir,
  writeAtomic, RE_HEADER_NAME, RE_HEADER_VALUE, RE_HEADER_LOOSE, isHostname,
};
