#!/usr/bin/env node
// xds-verify: the independent judge of every resource cairn emits, against Envoy's OFFICIAL
// protos (npm @grpc/grpc-js-xds, deps/) — never cairn's own trimmed copies.
//
// usage: xds-verify.js [--json] [FILE|-]...
//   Input lines (stdin when no FILE or FILE is "-"):   TYPE_URL <TAB> NAME <TAB> BASE64
//   e.g. the output of `cairn dump --format pb`. Blank lines and lines starting with '#' are
//   skipped.
//
// For every resource:
//   1. the type URL must name a message in the official protos (prefix type.googleapis.com/);
//   2. the bytes are scanned at wire level: every field number must exist in the official
//      message (unknown fields are reported with their path), wire types must match the field's
//      type, strings must be valid UTF-8 (protobuf C++, i.e. Envoy, rejects invalid UTF-8 in
//      proto3 strings), groups are not allowed;
//   3. decode with protobufjs, re-encode and compare the byte length with the input;
//   4. steps 2-3 recursively inside every google.protobuf.Any (typed_config, ...): the Any's
//      type_url must name an official message, its value is decoded with that type and its
//      re-encoded length compared too;
//   5. the resource's own name field (name, or cluster_name for ClusterLoadAssignment) must
//      equal NAME;
//   6. the protoc-gen-validate rules annotated in the official protos are applied to every
//      message, recursively, including inside Anys (tests/tools/pgv.js) — what Envoy checks
//      before accepting a resource.
// Output: one line per problem `NAME: path.to.field: problem` (path `.` = the resource itself),
// then `xds-verify: N resources, N problems`. Deprecated fields that are set are printed as
// `NAME: path: warning: ...` on stderr and do not count. Exit status: 0 no problem, 1 problems,
// 2 usage or load error.
//   --json   also print each resource decoded (protobufjs toObject: longs and enums as strings,
//            no defaults, Anys expanded with "@type") as one JSON document per resource.
//
// As a module: const { createVerifier } = require('./xds-verify.js');
//   const v = await createVerifier(); v.verify(typeUrl, name, buffer) -> [{path, problem}]
//
// Needs NODE_PATH (or tests/node_modules) providing protobufjs and @grpc/grpc-js-xds.
'use strict';

const fs = require('fs');
const path = require('path');
const pgv = require('./pgv.js');

// ---------------------------------------------------------------------------
// The official root: tests/tools/envoy-protos.js (shared loader with a JSON cache), with EVERY
// envoy/xds v3 file ({ all: true }) so that any official type may appear inside an Any.
// Fallback, only if envoy-protos.js is absent (e.g. this file copied alone): pgv.js's own cold
// load of the same file set (< 1 s here).

function envoyProtos() {
  try {
    return require('./envoy-protos.js');
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && /envoy-protos/.test(e.message)) return null;
    throw e;
  }
}

async function loadOfficialRoot() {
  const ep = envoyProtos();
  if (ep && typeof ep.loadEnvoyRoot === 'function') return ep.loadEnvoyRoot({ all: true });
  return pgv.coldLoadOfficialRoot();
}

// ---------------------------------------------------------------------------
// Wire-level scan

const WT = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 };
const WT_NAME = ['varint', 'i64', 'len', 'start-group', 'end-group', 'i32', 'wt6', 'wt7'];
const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const I64_TYPES = new Set(['fixed64', 'sfixed64', 'double']);
const I32_TYPES = new Set(['fixed32', 'sfixed32', 'float']);

function readVarint(buf, pos) {
  let result = 0n; let shift = 0n; let p = pos;
  for (let i = 0; i < 10; i++) {
    if (p >= buf.length) throw new Error('truncated varint');
    const b = buf[p++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, p];
    shift += 7n;
  }
  throw new Error('varint longer than 10 bytes');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function scalarWireType(f) {
  if (f.resolvedType && f.resolvedType.values) return WT.VARINT; // enum
  if (VARINT_TYPES.has(f.type)) return WT.VARINT;
  if (I64_TYPES.has(f.type)) return WT.I64;
  if (I32_TYPES.has(f.type)) return WT.I32;
  return WT.LEN;
}
function isMessageField(f) {
  return !!(f.resolvedType && f.resolvedType.fieldsArray !== undefined);
}
function shortName(t) {
  const n = t.fullName.replace(/^\./, '');
  return n.substring(n.lastIndexOf('.') + 1);
}
function join(p, name) { return p ? `${p}.${name}` : name; }

class Verifier {
  constructor(root, rules) {
    this.root = root;
    this.rules = rules;
    this.typeCache = new Map();
  }

  lookupType(fullName) {
    if (this.typeCache.has(fullName)) return this.typeCache.get(fullName);
    let t = null;
    try {
      const o = this.root.lookup(fullName.startsWith('.') ? fullName : `.${fullName}`);
      if (o && o.fieldsArray !== undefined && typeof o.decode === 'function') t = o;
    } catch (e) { t = null; }
    this.typeCache.set(fullName, t);
    return t;
  }

  typeFromUrl(url) {
    const name = url.substring(url.lastIndexOf('/') + 1);
    return name ? this.lookupType(name) : null;
  }

  // Verify one resource. Returns { problems: [{path, problem}], warnings: [...], message, type }.
  verify(typeUrl, name, bytes) {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const problems = [];
    const warnings = [];
    const report = (p, problem) => problems.push({ path: p || '.', problem });
    const out = { problems, warnings, message: null, type: null };
    if (!typeUrl.startsWith('type.googleapis.com/')) report('', `type URL ${JSON.stringify(typeUrl)} does not start with type.googleapis.com/`);
    const type = this.typeFromUrl(typeUrl);
    if (!type) { report('', `type ${JSON.stringify(typeUrl)} is not a message in the official protos`); return out; }
    out.type = type;
    this.curReport = report;
    const msg = this.checkScope(type, buf, '', report);
    if (!msg) return out;
    out.message = msg;

    // the resource's name
    const nf = type.fields.name ? 'name' : (type.fields.cluster_name ? 'cluster_name' : null);
    if (nf && (msg[nf] || '') !== name) report(nf, `resource is listed as ${JSON.stringify(name)} but its ${nf} is ${JSON.stringify(msg[nf] || '')}`);

    // PGV
    const v = new pgv.Validator(this.root, this.rules, {
      report,
      warn: (p, t) => warnings.push({ path: p || '.', problem: t }),
      unpackAny: (any) => {
        if (!any || !any.type_url) return null;
        const t = this.typeFromUrl(any.type_url);
        if (!t) return null;
        try { return { type: t, msg: t.decode(any.value || Buffer.alloc(0)) }; } catch (e) { return null; }
      },
    });
    v.validate(type, msg, '');
    return out;
  }

  // One "scope": a top-level resource or the value of an Any. Scans the wire, decodes,
  // compares the re-encoded length. Returns the decoded message or null.
  checkScope(type, buf, p, report) {
    const scope = { n: 0, unpacked: [] };
    const rep = (pp, problem) => { scope.n++; report(pp, problem); };
    let ok = true;
    try {
      this.scan(type, buf, p, rep, scope, 0);
    } catch (e) {
      rep(p, `malformed protobuf: ${e.message}`);
      ok = false;
    }
    let msg = null;
    try {
      msg = type.decode(buf);
    } catch (e) {
      if (ok) rep(p, `cannot decode as ${shortName(type)}: ${e.message}`);
      return null;
    }
    let len = -1;
    try { len = type.encode(msg).finish().length; } catch (e) { rep(p, `cannot re-encode: ${e.message}`); return msg; }
    if (len !== buf.length && scope.n === 0) {
      let hint = 'fields the official schema does not know, or a non-canonical encoding';
      if (scope.unpacked.length) hint = `unpacked repeated scalar field(s) ${scope.unpacked.join(', ')} (protobufjs re-encodes packed)`;
      report(p, `re-encoded ${shortName(type)} is ${len} bytes, input is ${buf.length} bytes (${hint})`);
    }
    return msg;
  }

  scan(type, buf, p, rep, scope, depth) {
    if (depth > 100) throw new Error('nesting deeper than 100');
    const full = type.fullName.replace(/^\./, '');
    if (full === 'google.protobuf.Any') { this.scanAny(buf, p, rep, depth); return; }
    const byId = type.fieldsById;
    let pos = 0;
    const counts = new Map();
    while (pos < buf.length) {
      const [tagBig, p1] = readVarint(buf, pos);
      pos = p1;
      const tag = Number(tagBig);
      const id = Math.floor(tag / 8); const wt = tag & 7;
      if (id === 0) throw new Error(`field number 0 at ${p || '.'}`);
      let payload = null;
      // skip the value
      switch (wt) {
        case WT.VARINT: pos = readVarint(buf, pos)[1]; break;
        case WT.I64: if (pos + 8 > buf.length) throw new Error('truncated i64'); pos += 8; break;
        case WT.I32: if (pos + 4 > buf.length) throw new Error('truncated i32'); pos += 4; break;
        case WT.LEN: {
          const [l, p2] = readVarint(buf, pos);
          const n = Number(l);
          if (p2 + n > buf.length) throw new Error(`length ${n} past the end of the buffer`);
          payload = buf.subarray(p2, p2 + n);
          pos = p2 + n;
          break;
        }
        default:
          throw new Error(`wire type ${wt} (${WT_NAME[wt]}) for field ${id} at ${p || '.'} (groups are not used by xDS)`);
      }
      const f = byId[id];
      if (!f) { rep(p, `unknown field ${id} (${WT_NAME[wt]}) in ${shortName(type)}`); continue; }
      const fp = join(p, f.name);
      const idx = counts.get(id) || 0;
      counts.set(id, idx + 1);
      if (f.map) {
        if (wt !== WT.LEN) { rep(fp, `wire type ${WT_NAME[wt]}, expected len (map entry)`); continue; }
        this.scanMapEntry(f, payload, fp, rep, scope, depth);
        continue;
      }
      if (isMessageField(f)) {
        if (wt !== WT.LEN) { rep(fp, `wire type ${WT_NAME[wt]}, expected len (message)`); continue; }
        const ip = f.repeated ? `${fp}[${idx}]` : fp;
        this.scan(f.resolvedType, payload, ip, rep, scope, depth + 1);
        continue;
      }
      const want = scalarWireType(f);
      if (wt !== want) {
        if (f.repeated && wt === WT.LEN && want !== WT.LEN) continue; // packed
        rep(fp, `wire type ${WT_NAME[wt]}, expected ${WT_NAME[want]} (${f.type})`);
        continue;
      }
      if (f.repeated && want !== WT.LEN && !scope.unpacked.includes(fp)) scope.unpacked.push(fp);
      if (f.type === 'string') {
        try { utf8.decode(payload); } catch (e) { rep(f.repeated ? `${fp}[${idx}]` : fp, 'string is not valid UTF-8'); }
      }
    }
  }

  scanMapEntry(f, buf, fp, rep, scope, depth) {
    let pos = 0; let key = null; let valBuf = null;
    while (pos < buf.length) {
      const [tagBig, p1] = readVarint(buf, pos); pos = p1;
      const tag = Number(tagBig); const id = Math.floor(tag / 8); const wt = tag & 7;
      let payload = null; let start = pos;
      if (wt === WT.VARINT) pos = readVarint(buf, pos)[1];
      else if (wt === WT.I64) pos += 8;
      else if (wt === WT.I32) pos += 4;
      else if (wt === WT.LEN) { const [l, p2] = readVarint(buf, pos); payload = buf.subarray(p2, p2 + Number(l)); pos = p2 + Number(l); start = p2; }
      else throw new Error(`wire type ${wt} in map entry at ${fp}`);
      if (pos > buf.length) throw new Error(`map entry truncated at ${fp}`);
      if (id === 1) key = payload ? payload.toString('utf8') : buf.subarray(start, pos).toString('hex');
      else if (id === 2) valBuf = payload;
      else rep(fp, `unknown field ${id} (${WT_NAME[wt]}) in map entry`);
    }
    const ip = `${fp}[${JSON.stringify(key === null ? '' : key)}]`;
    if (isMessageField(f) && valBuf) this.scan(f.resolvedType, valBuf, ip, rep, scope, depth + 1);
  }

  // An Any is a scope of its own: its value gets the full treatment (scan + length compare).
  scanAny(buf, p, rep, depth) {
    let pos = 0; let url = ''; let value = Buffer.alloc(0);
    while (pos < buf.length) {
      const [tagBig, p1] = readVarint(buf, pos); pos = p1;
      const tag = Number(tagBig); const id = Math.floor(tag / 8); const wt = tag & 7;
      if (wt === WT.LEN) {
        const [l, p2] = readVarint(buf, pos);
        const payload = buf.subarray(p2, p2 + Number(l)); pos = p2 + Number(l);
        if (pos > buf.length) throw new Error(`Any truncated at ${p}`);
        if (id === 1) {
          try { url = utf8.decode(payload); } catch (e) { rep(join(p, 'type_url'), 'string is not valid UTF-8'); }
          continue;
        }
        if (id === 2) { value = payload; continue; }
      } else if (wt === WT.VARINT) pos = readVarint(buf, pos)[1];
      else if (wt === WT.I64) pos += 8;
      else if (wt === WT.I32) pos += 4;
      else throw new Error(`wire type ${wt} in Any at ${p}`);
      rep(p, `unknown field ${id} (${WT_NAME[wt]}) in Any`);
    }
    if (!url) { rep(join(p, 'type_url'), 'Any without type_url'); return; }
    const t = this.typeFromUrl(url);
    if (!t) { rep(join(p, 'type_url'), `Any type ${JSON.stringify(url)} is not a message in the official protos`); return; }
    if (depth > 100) throw new Error('nesting deeper than 100');
    // problems inside the Any count in its own scope, not in the enclosing one
    this.checkScope(t, Buffer.from(value), `${p}<${shortName(t)}>`, this.curReport);
  }

  toJSON(type, msg) {
    return type.toObject(msg, { longs: String, enums: String, bytes: String, defaults: false, json: true });
  }
}

async function createVerifier({ log = () => {} } = {}) {
  const root = await loadOfficialRoot();
  const ep = envoyProtos();
  // the rules need a cold load (parsedOptions): the same file set, uncached
  const coldRoot = ep ? () => ep.loadEnvoyRootSync({ all: true, cache: false }) : undefined;
  const rules = pgv.loadRules({ log, coldRoot });
  return new Verifier(root, rules);
}

// ---------------------------------------------------------------------------
// CLI

function parseLines(text, source) {
  const out = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const l = line.replace(/\r$/, '');
    if (l.trim() === '' || l.startsWith('#')) return;
    const parts = l.split('\t');
    if (parts.length !== 3) {
      out.push({ error: `${source}:${i + 1}: expected TYPE_URL<TAB>NAME<TAB>BASE64, got ${parts.length} field(s)` });
      return;
    }
    const [typeUrl, name, b64] = parts;
    const clean = b64.trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
      out.push({ error: `${source}:${i + 1}: ${name}: invalid base64` });
      return;
    }
    out.push({ typeUrl: typeUrl.trim(), name, buf: Buffer.from(clean, 'base64') });
  });
  return out;
}

async function main(argv) {
  // `xds-verify.js --json | head` must not die with EPIPE
  process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode || 0); });
  let json = false;
  const files = [];
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: xds-verify.js [--json] [FILE|-]...\n'
        + '  input lines: TYPE_URL<TAB>NAME<TAB>BASE64 (e.g. `cairn dump --format pb`)\n');
      return 0;
    } else if (a.startsWith('-') && a !== '-') {
      process.stderr.write(`xds-verify: unknown option ${a}\n`);
      return 2;
    } else files.push(a);
  }
  if (files.length === 0) files.push('-');
  let verifier;
  try {
    verifier = await createVerifier({ log: (m) => process.stderr.write(`${m}\n`) });
  } catch (e) {
    process.stderr.write(`xds-verify: cannot load the official protos: ${e.stack || e.message}\n`);
    return 2;
  }
  let nRes = 0; let nProb = 0;
  const emit = (l) => process.stdout.write(`${l}\n`);
  for (const f of files) {
    let text;
    try {
      text = f === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(f, 'utf8');
    } catch (e) {
      process.stderr.write(`xds-verify: ${f}: ${e.message}\n`);
      return 2;
    }
    for (const item of parseLines(text, f === '-' ? '<stdin>' : f)) {
      if (item.error) { nProb++; emit(item.error); continue; }
      nRes++;
      const r = verifier.verify(item.typeUrl, item.name, item.buf);
      if (json && r.message) {
        let obj;
        try { obj = verifier.toJSON(r.type, r.message); } catch (e) { obj = { error: e.message }; }
        emit(JSON.stringify({ type: item.typeUrl, name: item.name, resource: obj }, null, 2));
      }
      for (const w of r.warnings) process.stderr.write(`${item.name}: ${w.path}: warning: ${w.problem}\n`);
      for (const pr of r.problems) { nProb++; emit(`${item.name}: ${pr.path}: ${pr.problem}`); }
    }
  }
  emit(`xds-verify: ${nRes} resources, ${nProb} problems`);
  return nProb ? 1 : 0;
}

module.exports = { createVerifier, Verifier, loadOfficialRoot, parseLines };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`xds-verify: ${e.stack || e.message}\n`);
    process.exitCode = 2;
  });
}
