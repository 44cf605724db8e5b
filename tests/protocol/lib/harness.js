// What the protocol test files share: a fixture server per test, response checks on the
// official protos, polling the server's counters. See ads_fixture_server.c for the snapshots.
'use strict';

const assert = require('node:assert/strict');
const fixture = require('./fixture');
const { AdsClient } = require('./ads-client');

// Resource names of the fixture's snapshots.
const A = 'default/a/80/x';
const B = 'default/b/80/x';
const EA = 'default/a/80';
const EB = 'default/b/80';
const T = { timeout: 60000 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs fn({srv, client, newClient}) against a fresh fixture server; the server must then stop
// cleanly (exit 0: no crash, no assertion, streams drained).
async function withServer(args, fn) {
  const srv = await fixture.start(args);
  const clients = [new AdsClient(srv.address)];
  const newClient = () => {
    const c = new AdsClient(srv.address);
    clients.push(c);
    return c;
  };
  try {
    await fn({ srv, client: clients[0], newClient });
  } finally {
    for (const c of clients) c.close();
    const st = await srv.stop();
    assert.equal(st.code, 0, `fixture exit ${st.code} ${st.signal || ''}; stderr:\n${srv.stderr}`);
  }
}

// Every resource must decode with the official protos without unknown bytes; a response never
// names a resource twice.
function assertClean(resp) {
  for (const r of resp.resources) {
    assert.equal(r.type_url, resp.type_url, `Any type_url of ${r.name}`);
    assert.equal(r.unknownBytes, 0, `${r.name} has fields the official protos do not know`);
  }
  assert.equal(new Set(resp.names).size, resp.names.length, `duplicate names in [${resp.names}]`);
  assert.notEqual(resp.nonce, '');
  if (resp.delta) {
    for (const r of resp.resources) assert.match(r.version, /^[0-9a-f]{16}$/);
    assert.equal(new Set(resp.removed).size, resp.removed.length);
    assert.equal(resp.unknownBytes, 0);
  } else {
    assert.notEqual(resp.version_info, '');
  }
}

// The next SotW response: of type `type`, with exactly `names` (in order) when given.
async function expectSotw(s, type, names, timeoutMs) {
  const r = await s.next(timeoutMs);
  assert.equal(r.type, type, `expected a ${type} response, got ${r.type} [${r.names}]`);
  if (names) assert.deepEqual(r.names, names, `${type} resources`);
  assertClean(r);
  return r;
}

// The next delta response: of type `type`, with exactly these resources and removals.
async function expectDelta(s, type, names, removed = [], timeoutMs) {
  const r = await s.next(timeoutMs);
  assert.equal(r.type, type, `expected a ${type} response, got ${r.type} [${r.names}] removed [${r.removed}]`);
  if (names) assert.deepEqual(r.names, names, `${type} resources`);
  if (removed) assert.deepEqual(r.removed, removed, `${type} removed_resources`);
  assertClean(r);
  return r;
}

// Polls the fixture's counters until pred(stats) holds: requests are processed asynchronously.
async function waitStats(srv, pred, what) {
  let st;
  for (let i = 0; i < 250; i++) {
    st = await srv.stats();
    if (pred(st)) return st;
    await sleep(20);
  }
  assert.fail(`timed out waiting for ${what}: ${JSON.stringify(st)}`);
}

// Per type of the current snapshot: {version, resources: {name: version}}.
async function versions(srv) {
  const l = (await srv.command('versions')).find((x) => x.startsWith('versions '));
  return JSON.parse(l.substring(9));
}

// ads_server_nodes_json().
async function nodes(srv) {
  const l = (await srv.command('nodes')).find((x) => x.startsWith('nodes '));
  return JSON.parse(l.substring(6));
}

module.exports = {
  A, B, EA, EB, T, sleep, withServer, assertClean, expectSotw, expectDelta, waitStats, versions,
  nodes,
};
