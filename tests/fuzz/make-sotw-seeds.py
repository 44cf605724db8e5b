#!/usr/bin/env python3
# Writes the seed inputs of sotw_fuzzer (see the format at the top of
# sotw_fuzzer.c) into corpus/sotw/. DiscoveryRequests are encoded by hand
# (protobuf wire format) so no protobuf package is needed.
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xds_wire import TYPES, ORDER, varint, field, msg, ack, nack, SWITCH

def request(type_url, names=(), node=None, nonce='', version='', error=None):
    m = b''
    if version: m += field(1, version)
    if node: m += field(2, field(1, node) + field(2, 'test'))
    for n in names: m += field(3, n)
    if type_url: m += field(4, TYPES.get(type_url, type_url))
    if nonce: m += field(5, nonce)
    if error: m += field(6, varint(1 << 3) + varint(3) + field(2, error))
    return m


seeds = {
    'envoy-startup': msg(request('cds', node='envoy-1')) + ack('cds')
        + msg(request('eds', ['shop/app/http', 'shop/db/5432'])) + ack('eds')
        + msg(request('lds')) + ack('lds') + msg(request('rds', ['ingress_http'])) + ack('rds')
        + SWITCH + ack('cds') + ack('eds') + ack('lds') + ack('rds') + SWITCH + SWITCH,
    'nack-then-change': msg(request('lds', node='n')) + nack('lds') + nack('lds') + SWITCH + ack('lds'),
    'named-only-listeners': msg(request('lds', ['*', 'shop.example.com', 'blog.example.com'], node='grpc'))
        + ack('lds') + SWITCH + ack('lds') + msg(request('lds', ['blog.example.com'])) + ack('lds'),
    'stale-nonce': msg(request('cds', node='n')) + msg(request('cds', nonce='999', version='x'))
        + msg(request('cds', ['a', 'a', 'b'], nonce='1')),
    'secrets': msg(request('sds', ['shop/tls', 'blog/tls'], node='n')) + ack('sds') + SWITCH + ack('sds')
        + msg(request('sds', [])) + SWITCH,
    'unknown-type': msg(request('cds', node='n')) + msg(request('type.googleapis.com/foo.Bar')),
    'empty-type': msg(request('', node='n')),
    'garbage': msg(b'\xff\xff\xff\xff\x0f\x12\x34'),
    'unpacked-repeated': msg(varint(3 << 3 | 0) + varint(5)),
}
out = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), 'corpus', 'sotw')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
