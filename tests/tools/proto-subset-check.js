#!/usr/bin/env node
// proto-subset-check: verify that cairn's trimmed proto/ tree is a strict subset of
// Envoy's official protos (same full names, field numbers, types, labels, oneofs, enum values).
//
// usage: node proto-subset-check.js OFFICIAL_DEPS_DIR OUR_PROTO_DIR [PROTOBUFJS_DIR]
//   OFFICIAL_DEPS_DIR  e.g. node_modules/@grpc/grpc-js-xds/deps (envoy-api, xds, googleapis,
//                      protoc-gen-validate)
//   OUR_PROTO_DIR      cairn's proto/ directory
//   PROTOBUFJS_DIR     optional path to the protobufjs package; otherwise require('protobufjs')
//                      is resolved normally (set NODE_PATH).
// Prints one line per mismatch and a final summary line; exits 1 on any mismatch, 2 on usage
// or load errors.
'use strict';

const fs = require('fs');
const path = require('path');

function usage(msg) {
  if (msg) process.stderr.write(`proto-subset-check: ${msg}\n`);
  process.stderr.write('usage: proto-subset-check.js OFFICIAL_DEPS_DIR OUR_PROTO_DIR [PROTOBUFJS_DIR]\n');
  process.exit(2);
}

if (process.argv.length < 4) usage();
const depsDir = path.resolve(process.argv[2]);
const ourDir = path.resolve(process.argv[3]);
if (!fs.existsSync(depsDir)) usage(`no such directory: ${depsDir}`);
if (!fs.existsSync(ourDir)) usage(`no such directory: ${ourDir}`);

let protobuf;
try {
  protobuf = process.argv[4] ? require(path.resolve(process.argv[4])) : require('protobufjs');
} catch (e) {
  usage(`cannot load protobufjs (set NODE_PATH or pass its path): ${e.message}`);
}
const pbjsDir = path.dirname(require.resolve(process.argv[4]
  ? path.join(path.resolve(process.argv[4]), 'package.json') : 'protobufjs/package.json'));

const PARSE_OPTS = { keepCase: true, alternateCommentMode: false };

// ---------------------------------------------------------------------------
// Our tree: parse every .proto file directly into one root (no bundled google types).

function listProtos(dir) {
  const out = [];
  (function walk(d) {
    for (const ent of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile() && ent.name.endsWith('.proto')) out.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  })(dir);
  return out;
}

const ourFiles = listProtos(ourDir);
if (ourFiles.length === 0) usage(`no .proto files under ${ourDir}`);

const ours = new protobuf.Root();
for (const rel of ourFiles) {
  protobuf.parse.filename = rel;
  try {
    protobuf.parse(fs.readFileSync(path.join(ourDir, rel), 'utf8'), ours, PARSE_OPTS);
  } catch (e) {
    process.stderr.write(`proto-subset-check: cannot parse ${rel}: ${e.message}\n`);
    process.exit(2);
  }
}
try {
  ours.resolveAll();
} catch (e) {
  process.stderr.write(`proto-subset-check: cannot resolve our protos: ${e.message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Official tree: load counterparts, google/protobuf/* from protobufjs's bundled copies.

const officialRoots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate']
  .map((d) => path.join(depsDir, d)).filter((d) => fs.existsSync(d));
const bundled = new Set(Object.keys(protobuf.common || {}).filter((k) => k.endsWith('.proto')));

// Map an import name to a file on disk, a bundled name, or null if not shipped.
function locate(imp) {
  const idx = imp.lastIndexOf('google/protobuf/');
  if (idx > -1) {
    const alt = imp.substring(idx);
    if (bundled.has(alt)) return alt;
    const p = path.join(pbjsDir, alt);
    if (fs.existsSync(p)) return p;
  }
  if (path.isAbsolute(imp)) return fs.existsSync(imp) ? imp : null;
  for (const r of officialRoots) {
    const p = path.join(r, imp);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

const importRe = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;
const closureCache = new Map();
// Returns the name of a missing import in the closure of `file`, or null if all present.
function missingImport(file, seen = new Set()) {
  if (closureCache.has(file)) return closureCache.get(file);
  if (seen.has(file)) return null;
  seen.add(file);
  if (bundled.has(file)) return null;
  let result = null;
  const src = fs.readFileSync(file, 'utf8');
  for (const m of src.matchAll(importRe)) {
    const loc = locate(m[1]);
    if (!loc) { result = m[1]; break; }
    const sub = missingImport(loc, seen);
    if (sub) { result = sub; break; }
  }
  closureCache.set(file, result);
  return result;
}

const official = new protobuf.Root();
official.resolvePath = (origin, target) => locate(target) || target;
const loadedOfficial = new Set();
const notes = [];

function loadOfficial(files) {
  const todo = [];
  for (const f of files) {
    if (loadedOfficial.has(f)) continue;
    loadedOfficial.add(f);
    const miss = missingImport(f);
    if (miss) { notes.push(`skip ${path.relative(depsDir, f)}: imports unshipped ${miss}`); continue; }
    todo.push(f);
  }
  if (todo.length === 0) return;
  try {
    official.loadSync(todo, PARSE_OPTS);
  } catch (e) {
    process.stderr.write(`proto-subset-check: cannot load official protos: ${e.message}\n`);
    process.exit(2);
  }
}

// 1. same relative path as each of our files
loadOfficial(ourFiles.map((rel) => locate(rel)).filter(Boolean));

// 2. package search for anything still missing: load every file in the package's directory
function officialLookup(fullName, pkg) {
  let obj = official.lookup(fullName);
  if (obj) return obj;
  const rel = pkg.split('.').join('/');
  const files = [];
  for (const r of officialRoots) {
    const d = path.join(r, rel);
    if (!fs.existsSync(d)) continue;
    for (const ent of fs.readdirSync(d)) if (ent.endsWith('.proto')) files.push(path.join(d, ent));
  }
  loadOfficial(files);
  return official.lookup(fullName);
}

// ---------------------------------------------------------------------------
// Comparison

let nMessages = 0, nFields = 0, nEnums = 0;
const mismatches = [];
const bad = (s) => mismatches.push(s);

function pkgOf(obj) {
  // Full name of the nearest enclosing Namespace that is not a Type/Service (the proto package).
  let p = obj.parent;
  while (p && (p instanceof protobuf.Type || p instanceof protobuf.Service)) p = p.parent;
  return p && p.fullName ? p.fullName.replace(/^\./, '') : '';
}

function typeName(f) {
  return f.resolvedType ? f.resolvedType.fullName : f.type;
}

function label(f) {
  if (f.map) return `map<${f.keyType}, ${typeName(f)}>`;
  return f.repeated ? 'repeated' : 'singular';
}

function realOneof(f) {
  // proto3 `optional` creates a synthetic oneof named `_<field>` with one member; ignore it.
  const o = f.partOf;
  if (!o) return null;
  if (o.name === `_${f.name}` && o.fieldsArray.length === 1) return null;
  return o.name;
}

function checkEnum(e) {
  nEnums++;
  const name = e.fullName.replace(/^\./, '');
  const off = officialLookup(e.fullName, pkgOf(e));
  if (!off) return bad(`${name}: enum not found in official protos`);
  if (!(off instanceof protobuf.Enum)) return bad(`${name}: is an enum here but not in official protos`);
  for (const [k, v] of Object.entries(e.values)) {
    if (!Object.prototype.hasOwnProperty.call(off.values, k)) bad(`${name}.${k}: enum value not in official protos`);
    else if (off.values[k] !== v) bad(`${name}.${k}: value ${v} != official ${off.values[k]}`);
  }
}

function checkType(t) {
  nMessages++;
  const name = t.fullName.replace(/^\./, '');
  const off = officialLookup(t.fullName, pkgOf(t));
  if (!off) bad(`${name}: message not found in official protos`);
  else if (!(off instanceof protobuf.Type)) bad(`${name}: is a message here but not in official protos`);
  else {
    // protobufjs's bundled google/protobuf types use camelCase names with the .proto
    // spelling kept in `protoName`; index the official fields by their .proto name.
    const offFields = new Map(off.fieldsArray.map((x) => [x.protoName || x.name, x]));
    for (const f of t.fieldsArray) {
      nFields++;
      const fn = `${name}.${f.name}`;
      const of = offFields.get(f.name);
      if (!of) { bad(`${fn}: field not in official message`); continue; }
      if (of.id !== f.id) bad(`${fn}: number ${f.id} != official ${of.id}`);
      if (typeName(f) !== typeName(of)) bad(`${fn}: type ${typeName(f)} != official ${typeName(of)}`);
      if (label(f) !== label(of)) bad(`${fn}: label ${label(f)} != official ${label(of)}`);
      const oo = realOneof(f), ooff = realOneof(of);
      if (oo !== ooff) bad(`${fn}: oneof ${oo || '(none)'} != official ${ooff || '(none)'}`);
      if (!!f.options?.proto3_optional !== !!of.options?.proto3_optional) {
        bad(`${fn}: proto3 optional presence differs from official`);
      }
    }
    for (const o of t.oneofsArray) {
      if (o.fieldsArray.length === 1 && o.name === `_${o.fieldsArray[0].name}`) continue;
      if (!off.oneofs || !off.oneofs[o.name]) bad(`${name}.${o.name}: oneof not in official message`);
    }
  }
  for (const n of t.nestedArray) visit(n);
}

function checkService(s) {
  const name = s.fullName.replace(/^\./, '');
  const off = officialLookup(s.fullName, pkgOf(s));
  if (!off || !(off instanceof protobuf.Service)) return bad(`${name}: service not found in official protos`);
  for (const m of s.methodsArray) {
    const om = off.methods[m.name];
    const mn = `${name}.${m.name}`;
    if (!om) { bad(`${mn}: rpc not in official service`); continue; }
    m.resolve(); om.resolve();
    if (m.resolvedRequestType.fullName !== om.resolvedRequestType.fullName) bad(`${mn}: request type differs`);
    if (m.resolvedResponseType.fullName !== om.resolvedResponseType.fullName) bad(`${mn}: response type differs`);
    if (!!m.requestStream !== !!om.requestStream || !!m.responseStream !== !!om.responseStream) bad(`${mn}: streaming differs`);
  }
}

function visit(obj) {
  if (obj instanceof protobuf.Type) checkType(obj);
  else if (obj instanceof protobuf.Enum) checkEnum(obj);
  else if (obj instanceof protobuf.Service) checkService(obj);
  else if (obj instanceof protobuf.Namespace) for (const n of obj.nestedArray) visit(n);
}

visit(ours);

for (const n of notes) process.stderr.write(`proto-subset-check: note: ${n}\n`);
for (const m of mismatches) process.stdout.write(`${m}\n`);
process.stdout.write(`proto-subset: ${nMessages} messages, ${nFields} fields checked, ${mismatches.length} mismatches\n`);
process.exit(mismatches.length ? 1 : 0);
