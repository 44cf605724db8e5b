// Gateway TLS over ADS (SPEC.md §5a, issue #17): `cairn serve` on the golden inputs of
// HTTPS listeners and BackendTLSPolicy. A node naming the Gateway gets the HTTPS
// listener (one filter chain per SNI, each with its own routes, certificates by SDS
// name), and, asking by name as Envoy does, the certificate and its key over SDS; a
// node naming no Gateway gets neither the listener nor the key. A BackendTLSPolicy's CA reaches the Gateway's node
// over SDS, and /status and the HTML page show the policy's ancestors. Every resource is
// judged by Envoy's official protos.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { AdsClient } = require('../protocol/lib/ads-client');
const { startServe } = require('../protocol/lib/serve');
const { createVerifier } = require('../tools/xds-verify.js');

const T = { timeout: 60000 };
const golden = path.join(process.env.top_srcdir, 'tests', 'golden');
const HTTPS = path.join(golden, 'gateway-https-listener', 'input');
const POLICY = path.join(golden, 'gateway-backendtlspolicy', 'input');
const CERT = 'infra/tls-validity-checks-certificate';
const CA = 'configmap/infra/tls-checks-ca-certificate';

let verifier;
test.before(async () => { verifier = await createVerifier(); });

function node(id, gateway) {
  const n = { id, cluster: 'test' };
  if (gateway) n.metadata = { fields: { 'cairn.io/gateway': { stringValue: gateway } } };
  return n;
}

async function fetch(s, type, names) {
  s.send({ type, names });
  const r = await s.next();
  assert.equal(r.type, type);
  for (const res of r.resources) {
    const v = verifier.verify(res.type_url, res.name, res.bytes);
    assert.deepEqual(v.problems, [], `${res.name}: official protos found problems`);
  }
  s.ack(r);
  return r;
}

test('an HTTPS Gateway node gets its chains and, by SDS, the certificate', T, async () => {
  const srv = await startServe([HTTPS]);
  const client = new AdsClient(srv.xds);
  try {
    const s = client.sotw(node('gw-https', 'infra/same-namespace-with-https-listener'));
    const lds = await fetch(s, 'lds', []);
    assert.deepEqual(lds.names, ['gw/infra/same-namespace-with-https-listener/443']);
    const chains = lds.resources[0].message.filter_chains;
    assert.deepEqual(chains.map((c) => (c.filter_chain_match.server_names || []).join(',')),
      ['*.wildcard.org', 'fourth-example.wildcard.org', 'second-example.org', '']);
    // Each chain reads its own routes; another listener's host answers 421 there.
    const rdsNames = chains.map((c) => `gw/infra/same-namespace-with-https-listener/443/${
      (c.filter_chain_match.server_names || ['*'])[0]}`);
    const rds = await fetch(s, 'rds', rdsNames);
    assert.deepEqual(rds.names.sort(), rdsNames.slice().sort());
    const any = rds.resources.find((r) => r.name.endsWith('/443/*')).message;
    assert.deepEqual(any.virtual_hosts.map((v) => v.name), ['example.org',
      'misdirected/*.wildcard.org', 'misdirected/fourth-example.wildcard.org',
      'misdirected/grpc.wildcard.org', 'misdirected/second-example.org']);
    for (const v of any.virtual_hosts.slice(1)) assert.equal(v.routes[0].direct_response.status, 421);
    const sds = await fetch(s, 'sds', [CERT]);
    assert.deepEqual(sds.names, [CERT]);
    const tc = sds.resources[0].message.tls_certificate;
    assert.match(Buffer.from(tc.certificate_chain.inline_bytes).toString(), /BEGIN CERTIFICATE/);
    assert.ok(tc.private_key, 'the key is sent to the node that needs it');

    const plain = client.sotw(node('plain'));
    const plds = await fetch(plain, 'lds', []);
    assert.deepEqual(plds.names, [], 'no Gateway named: no HTTPS Gateway listener');
    const psds = await fetch(plain, 'sds', [CERT]);
    assert.deepEqual(psds.names, [], "the Gateway's key is not the default node's");
  } finally {
    client.close();
    await srv.stop();
  }
});

test("a BackendTLSPolicy's CA goes by SDS; status shows its ancestors", T, async () => {
  const srv = await startServe([POLICY]);
  const client = new AdsClient(srv.xds);
  try {
    const s = client.sotw(node('gw-policy', 'infra/same-namespace'));
    const cds = await fetch(s, 'cds', []);
    const tls = cds.resources.filter((c) => c.message.transport_socket);
    assert.deepEqual(tls.map((c) => c.name).sort(), ['infra/backendtlspolicy-grpc-test/443/01fbac2fbc',
      'infra/backendtlspolicy-san-dns-test/443/264b355aa9', 'infra/backendtlspolicy-test/443/e366d4ff63']);
    const sds = await fetch(s, 'sds', [CA]);
    assert.deepEqual(sds.names, [CA]);
    assert.match(Buffer.from(sds.resources[0].message.validation_context.trusted_ca.inline_bytes).toString(),
      /BEGIN CERTIFICATE/);

    const status = await (await globalThis.fetch(`http://${srv.admin}/status`)).json();
    const p = status.objects.find((o) => o.kind === 'BackendTLSPolicy' && o.name === 'normative-test');
    assert.deepEqual(p.ancestors.map((a) => [a.ancestorRef.name, a.controllerName,
      a.conditions.map((c) => `${c.type}=${c.status}`).join(',')]),
    [['same-namespace', 'cairn.io/gateway-controller', 'Accepted=True,ResolvedRefs=True']]);
    const bad = status.objects.find((o) => o.kind === 'BackendTLSPolicy' && o.name === 'invalid-kind');
    assert.deepEqual(bad.ancestors[0].conditions.map((c) => [c.type, c.status, c.reason]),
      [['Accepted', 'False', 'NoValidCACertificate'], ['ResolvedRefs', 'False', 'InvalidKind']]);
    const html = await (await globalThis.fetch(`http://${srv.admin}/`)).text();
    assert.match(html, /ancestor <b>infra\/same-namespace<\/b>: Accepted=False \(Conflicted\)/);
  } finally {
    client.close();
    await srv.stop();
  }
});
