// A scripted ADS client for protocol tests: raw grpc-js bidi streams with Buffers, requests
// encoded and responses decoded with Envoy's OFFICIAL protos (tests/tools/envoy-protos.js).
//
//   const { AdsClient, TYPES } = require('./lib/ads-client');
//   const client = new AdsClient('127.0.0.1:18000');
//   const s = client.sotw({ id: 'n1' });
//   s.send({ type: 'cds' });                    // first request: node, no names (wildcard)
//   const r = await s.next();                   // decoded DiscoveryResponse (see decodeResponse)
//   s.ack(r);                                   // ACK with the same names as the last request
//   await s.expectNone(300);                    // nothing else arrives within 300 ms
//   const st = await s.status();                // {code, details} once the call ended
//   client.close();
//
// Delta (incremental) streams work the same way:
//   const d = client.delta({ id: 'n1' });
//   d.send({ type: 'eds', subscribe: ['a'], unsubscribe: [], initial: { b: 'v' } });
//   const r = await d.next();                   // decoded DeltaDiscoveryResponse (see decodeDeltaResponse)
//   d.ack(r);  d.nack(r, { message });          // nonce only; no names
//   d.cache.eds                                 // what the client has: Map name -> {version, bytes}
'use strict';

const grpc = require('@grpc/grpc-js');
const { loadEnvoyRootSync } = require('../../tools/envoy-protos.js');

const ADS_SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';
const SOTW_METHOD = `${ADS_SERVICE}StreamAggregatedResources`;
const DELTA_METHOD = `${ADS_SERVICE}DeltaAggregatedResources`;

const TYPES = {
  sds: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  cds: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  eds: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  lds: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  rds: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
};
const SHORT = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));

let root = null;
function envoyRoot() {
  if (!root) root = loadEnvoyRootSync();
  return root;
}

function typeUrlOf(type) {
  return TYPES[type] || type;
}

const TO_OBJECT = { longs: String, enums: String, bytes: Buffer, defaults: false };

// Decodes a google.protobuf.Any by its type URL: {type_url, type, message (plain object), name,
// bytes, unknownBytes (re-encoding lost bytes: fields the official schema does not know)}.
function decodeAny(any) {
  const type = envoyRoot().lookupType(any.type_url.substring(any.type_url.lastIndexOf('/') + 1));
  const bytes = Buffer.from(any.value || []);
  const decoded = type.decode(bytes);
  const message = type.toObject(decoded, TO_OBJECT);
  return {
    type_url: any.type_url,
    type: SHORT[any.type_url] || any.type_url,
    name: message.name !== undefined ? message.name : message.cluster_name,
    message,
    bytes,
    unknownBytes: bytes.length - type.encode(decoded).finish().length,
  };
}

// A DiscoveryResponse as a plain object with snake_case fields, plus `type` (sds, cds, ...),
// `names` (resource names in order) and `resources` decoded (see decodeAny).
function decodeResponse(buf) {
  const T = envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryResponse');
  const m = T.toObject(T.decode(buf), { longs: String, enums: String, bytes: Buffer, defaults: true });
  const resources = (m.resources || []).map(decodeAny);
  return {
    version_info: m.version_info,
    nonce: m.nonce,
    type_url: m.type_url,
    type: SHORT[m.type_url] || m.type_url,
    resources,
    names: resources.map((r) => r.name),
    byteLength: buf.length,
  };
}

// A DeltaDiscoveryResponse as a plain object: system_version_info, nonce, type_url, `type`,
// `resources` (each {name, version, type_url, type, message, bytes, unknownBytes}), `names`
// (resource names in order), `removed` (removed_resources), byteLength.
function decodeDeltaResponse(buf) {
  const T = envoyRoot().lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  const m = T.toObject(T.decode(buf), { longs: String, enums: String, bytes: Buffer, defaults: true });
  const resources = (m.resources || []).map((r) => {
    const any = decodeAny(r.resource);
    if (any.name !== r.name) throw new Error(`Resource.name ${r.name} but the resource says ${any.name}`);
    return Object.assign(any, { version: r.version, aliases: r.aliases });
  });
  return {
    delta: true,
    system_version_info: m.system_version_info,
    nonce: m.nonce,
    type_url: m.type_url,
    type: SHORT[m.type_url] || m.type_url,
    resources,
    names: resources.map((r) => r.name),
    removed: m.removed_resources || [],
    byteLength: buf.length,
    unknownBytes: buf.length - T.encode(T.decode(buf)).finish().length,
  };
}

// Encodes a DeltaDiscoveryRequest from {type, subscribe, unsubscribe, initial (object name ->
// version), nonce, node, error}.
function encodeDeltaRequest({ type, subscribe = [], unsubscribe = [], initial = {}, nonce = '', node = null, error = null }) {
  const T = envoyRoot().lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  const obj = {
    type_url: type === undefined ? '' : typeUrlOf(type),
    resource_names_subscribe: subscribe,
    resource_names_unsubscribe: unsubscribe,
    initial_resource_versions: initial,
    response_nonce: nonce,
  };
  if (node) obj.node = node;
  if (error) obj.error_detail = typeof error === 'string' ? { code: 3, message: error } : error;
  const err = T.verify(obj);
  if (err) throw new Error(`bad DeltaDiscoveryRequest: ${err}`);
  return Buffer.from(T.encode(T.fromObject(obj)).finish());
}

// Encodes a DiscoveryRequest from {type, names, nonce, version, node, error}.
function encodeRequest({ type, names = [], nonce = '', version = '', node = null, error = null }) {
  const T = envoyRoot().lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  const obj = {
    version_info: version,
    resource_names: names,
    type_url: type === undefined ? '' : typeUrlOf(type),
    response_nonce: nonce,
  };
  if (node) obj.node = node;
  if (error) obj.error_detail = typeof error === 'string' ? { code: 3, message: error } : error;
  const err = T.verify(obj);
  if (err) throw new Error(`bad DiscoveryRequest: ${err}`);
  return Buffer.from(T.encode(T.fromObject(obj)).finish());
}

class TimeoutError extends Error {}

// One bidi call. Responses queue up until next() takes them; the call's final status is kept.
class Stream {
  constructor(client, method, node, decode = decodeResponse) {
    this.node = node;
    this.nodeSent = false;
    this.queue = [];
    this.waiters = [];
    this.finalStatus = null;
    this.statusWaiters = [];
    this.lastNames = {};
    this.decodeError = null;
    this.call = client.makeBidiStreamRequest(method, (x) => x, (x) => x);
    this.call.on('data', (buf) => {
      let item;
      try {
        item = { response: decode(buf) };
      } catch (e) {
        item = { error: new Error(`cannot decode a response with the official protos: ${e.message}`) };
      }
      const w = this.waiters.shift();
      if (w) w(item);
      else this.queue.push(item);
    });
    this.call.on('error', () => { /* the status event carries it */ });
    this.call.on('status', (st) => {
      this.finalStatus = { code: st.code, details: st.details };
      for (const w of this.waiters.splice(0)) w({ status: this.finalStatus });
      for (const w of this.statusWaiters.splice(0)) w(this.finalStatus);
    });
  }

  // Sends a DiscoveryRequest; the node goes with the first one unless given.
  send(req) {
    const r = Object.assign({}, req);
    if (!this.nodeSent && r.node === undefined && this.node) r.node = this.node;
    this.nodeSent = true;
    if (r.type !== undefined) this.lastNames[typeUrlOf(r.type)] = r.names || [];
    this.call.write(encodeRequest(r));
  }

  sendRaw(buf) {
    this.call.write(buf);
  }

  // ACK a response; names default to the last ones sent for its type.
  ack(resp, names) {
    this.send({ type: resp.type_url, nonce: resp.nonce, version: resp.version_info,
      names: names || this.lastNames[resp.type_url] || [] });
  }

  // NACK a response: error_detail set, version_info = the last accepted version.
  nack(resp, { message = 'rejected by test', lastVersion = '', names } = {}) {
    this.send({ type: resp.type_url, nonce: resp.nonce, version: lastVersion,
      names: names || this.lastNames[resp.type_url] || [], error: { code: 3, message } });
  }

  // The next response; rejects on timeout or if the call ended.
  next(timeoutMs = 3000) {
    const item = this.queue.shift();
    if (item) return settle(item);
    if (this.finalStatus) return Promise.reject(ended(this.finalStatus));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new TimeoutError(`no DiscoveryResponse within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = (it) => { clearTimeout(timer); settle(it).then(resolve, reject); };
      this.waiters.push(w);
    });
  }

  // Resolves if no response arrives within ms; rejects (with the response) otherwise.
  async expectNone(ms = 300) {
    try {
      const r = await this.next(ms);
      const e = new Error(`unexpected DiscoveryResponse: ${r.type} version ${r.version_info} ` +
        `nonce ${r.nonce} [${r.names.join(', ')}]`);
      e.response = r;
      throw e;
    } catch (e) {
      if (e instanceof TimeoutError) return;
      throw e;
    }
  }

  // The call's final status {code, details}.
  status(timeoutMs = 3000) {
    if (this.finalStatus) return Promise.resolve(this.finalStatus);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError(`call still open after ${timeoutMs} ms`)), timeoutMs);
      this.statusWaiters.push((st) => { clearTimeout(timer); resolve(st); });
    });
  }

  end() {
    this.call.end();
  }

  cancel() {
    this.call.cancel();
  }
}

// A delta stream: requests are DeltaDiscoveryRequests; next() applies each response to `cache`
// (type -> Map name -> {version, bytes}), the client-side state a real client keeps.
class DeltaStream extends Stream {
  constructor(client, node) {
    super(client, DELTA_METHOD, node, decodeDeltaResponse);
    this.cache = {};
  }

  send(req) {
    const r = Object.assign({}, req);
    if (!this.nodeSent && r.node === undefined && this.node) r.node = this.node;
    this.nodeSent = true;
    this.call.write(encodeDeltaRequest(r));
  }

  async next(timeoutMs = 3000) {
    const r = await super.next(timeoutMs);
    const c = this.cache[r.type] || (this.cache[r.type] = new Map());
    for (const res of r.resources) c.set(res.name, { version: res.version, bytes: res.bytes });
    for (const n of r.removed) c.delete(n);
    return r;
  }

  // What the client has of a type: {name: version}.
  has(type) {
    return Object.fromEntries([...(this.cache[type] || new Map())].map(([k, v]) => [k, v.version]));
  }

  ack(resp) {
    this.send({ type: resp.type_url, nonce: resp.nonce });
  }

  nack(resp, { message = 'rejected by test' } = {}) {
    this.send({ type: resp.type_url, nonce: resp.nonce, error: { code: 3, message } });
  }
}

function settle(item) {
  if (item.response) return Promise.resolve(item.response);
  if (item.error) return Promise.reject(item.error);
  return Promise.reject(ended(item.status));
}

function ended(st) {
  const e = new Error(`the call ended: code ${st.code} (${grpc.status[st.code]}): ${st.details}`);
  e.status = st;
  return e;
}

class AdsClient {
  // credentials: grpc.credentials.createSsl(...) for TLS; plaintext by default.
  constructor(address, credentials = null) {
    this.client = new grpc.Client(address, credentials || grpc.credentials.createInsecure());
  }

  // A SotW ADS stream (StreamAggregatedResources).
  sotw(node = { id: 'test-node', cluster: 'test-cluster' }) {
    return new Stream(this.client, SOTW_METHOD, node);
  }

  // A delta ADS stream (DeltaAggregatedResources).
  delta(node = { id: 'test-node', cluster: 'test-cluster' }) {
    return new DeltaStream(this.client, node);
  }

  // A stream on any method (raw Buffers), e.g. to test unknown ones.
  raw(method) {
    return new Stream(this.client, method, null);
  }

  close() {
    this.client.close();
  }
}

module.exports = {
  AdsClient, TYPES, SOTW_METHOD, DELTA_METHOD, decodeResponse, decodeDeltaResponse, decodeAny,
  encodeRequest, encodeDeltaRequest, envoyRoot, grpcStatus: grpc.status, grpc,
};
