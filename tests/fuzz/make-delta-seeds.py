#!/usr/bin/env python3
# Writes the seed inputs of delta_fuzzer (see the format at the top of
# delta_fuzzer.c) into corpus/delta/: real DeltaDiscoveryRequests as Envoy
# and proxyless gRPC send them (wildcard, named, unsubscribe, ACK/NACK with
# nonces, reconnects with initial_resource_versions), each a sequence so
# the stream's state machine is exercised, not only the decoder.
# DeltaDiscoveryRequests are encoded by hand (protobuf wire format) so no
# protobuf package is needed.
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xds_wire import TYPES, ORDER, varint, field, msg, ack, nack, SWITCH

# DeltaDiscoveryRequest: node 1, type_url 2, resource_names_subscribe 3,
# resource_names_unsubscribe 4, initial_resource_versions 5 (map entries:
# key 1, value 2), response_nonce 6, error_detail 7 (code 1, message 2).
def request(type_url, sub=(), unsub=(), initial=(), node=None, nonce='', error=None):
    m = b''
    if node: m += field(1, field(1, node) + field(2, 'test'))
    if type_url: m += field(2, TYPES.get(type_url, type_url))
    for n in sub: m += field(3, n)
    for n in unsub: m += field(4, n)
    for k, v in initial: m += field(5, field(1, k) + field(2, v))
    if nonce: m += field(6, nonce)
    if error: m += field(7, varint(1 << 3) + varint(3) + field(2, error))
    return m

UNSPLIT = bytes([0])
def split(n): return bytes([1 | n << 1])  # responses cut at 96 + 4n bytes

# The version cairn gives "cluster-app-0" is not known here: a made-up
# 16-hex-digit one stands for a version the client kept from another
# server, a non-hex one for a version cairn never makes.
seeds = {
    'envoy-startup': UNSPLIT + msg(request('cds', node='envoy-1')) + ack('cds')
        + msg(request('eds', ['shop/app/http', 'shop/db/5432'])) + ack('eds')
        + msg(request('lds')) + ack('lds') + msg(request('rds', ['ingress_http'])) + ack('rds')
        + SWITCH + ack('cds') + ack('eds') + ack('lds') + ack('rds') + SWITCH + SWITCH,
    'explicit-wildcard': UNSPLIT + msg(request('lds', ['*', 'shop.example.com'], node='n'))
        + ack('lds') + SWITCH + ack('lds') + msg(request('lds', unsub=['*'])) + ack('lds')
        + msg(request('lds', ['*'])) + SWITCH,
    'named-subscribe-unsubscribe': UNSPLIT + msg(request('eds', ['shop/app/http'], node='n'))
        + ack('eds') + msg(request('eds', ['shop/db/5432', 'nope'])) + ack('eds')
        + msg(request('eds', unsub=['shop/app/http', 'never-subscribed'])) + SWITCH
        + msg(request('eds', ['shop/app/http'], unsub=['shop/db/5432'])) + ack('eds'),
    'unsubscribe-under-wildcard': UNSPLIT + msg(request('cds', ['*', 'shop/db/5432/da39a3ee5e'], node='n'))
        + ack('cds') + msg(request('cds', unsub=['shop/db/5432/da39a3ee5e'])) + SWITCH + ack('cds'),
    'nack-then-change': UNSPLIT + msg(request('sds', ['shop/tls', 'blog/tls'], node='n'))
        + nack('sds') + nack('sds') + SWITCH + ack('sds') + SWITCH + nack('sds'),
    'stale-nonces': UNSPLIT + msg(request('cds', node='n')) + msg(request('cds', nonce='999'))
        + msg(request('cds', nonce='1x')) + msg(request('cds', nonce='18446744073709551617'))
        + msg(request('rds', ['ingress_http'], nonce='1')) + ack('rds')
        + msg(request('cds', nonce='0001')),
    'reconnect-initial-versions': UNSPLIT + msg(request('cds', ['*'], node='n', initial=[
            ('shop/app/80/da39a3ee5e', '0123456789abcdef'),
            ('shop/gone/80/da39a3ee5e', '0123456789abcdef'),
            ('shop/db/5432/da39a3ee5e', 'foreign-version')]))
        + ack('cds') + SWITCH + ack('cds'),
    'reconnect-named': UNSPLIT + msg(request('eds', ['shop/app/http', 'shop/db/5432'], node='n',
            initial=[('shop/app/http', 'ffffffffffffffff'), ('shop/app/http', '0000000000000000'),
                     ('not-subscribed', '0123456789abcdef')]))
        + ack('eds') + SWITCH + SWITCH + ack('eds'),
    'proxyless-grpc': UNSPLIT + msg(request('lds', ['shop.example.com'], node='grpc'))
        + ack('lds') + msg(request('rds', ['ingress_http'])) + ack('rds')
        + msg(request('cds', ['shop/app/80/da39a3ee5e'])) + ack('cds')
        + msg(request('eds', ['shop/app/http'])) + ack('eds') + SWITCH + ack('lds') + SWITCH,
    'split-responses': split(0) + msg(request('cds', node='n')) + msg(request('eds', ['*']))
        + msg(request('sds', ['*'])) + msg(request('lds', ['*'])) + SWITCH + SWITCH + SWITCH,
    'split-medium': split(40) + msg(request('lds', ['*', 'blog.example.com'], node='n'))
        + msg(request('rds', ['*'])) + SWITCH + ack('lds') + SWITCH,
    'unknown-type': UNSPLIT + msg(request('cds', node='n')) + msg(request('type.googleapis.com/foo.Bar')),
    'empty-type': UNSPLIT + msg(request('', node='n')),
    'garbage': UNSPLIT + msg(b'\xff\xff\xff\xff\x0f\x12\x34'),
}
out = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), 'corpus', 'delta')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
