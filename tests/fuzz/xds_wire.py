# What the seed writers share (make-sotw-seeds.py, make-delta-seeds.py):
# the xDS type URLs in the order of enum xds_type, the protobuf wire
# format by hand (so no protobuf package is needed), and the ops of the
# two ADS fuzzers' input format (see sotw_fuzzer.c).
import struct

TYPES = {
    'sds': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
    'cds': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
    'eds': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
    'lds': 'type.googleapis.com/envoy.config.listener.v3.Listener',
    'rds': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
}
ORDER = ['sds', 'cds', 'eds', 'lds', 'rds']  # enum xds_type

def varint(v):
    out = b''
    while v >= 0x80:
        out += bytes([(v & 0x7f) | 0x80]); v >>= 7
    return out + bytes([v])

def field(num, data):
    """A length-delimited field (wire type 2)."""
    if isinstance(data, str): data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data

def msg(m):
    """Op 0: send the request m (two length bytes, little endian)."""
    return bytes([0]) + struct.pack('<H', len(m)) + m

def ack(t): return bytes([2 + 4 * ORDER.index(t)])
def nack(t): return bytes([3 + 4 * ORDER.index(t)])
SWITCH = bytes([1])  # the next snapshot
