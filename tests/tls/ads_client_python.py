#!/usr/bin/python3
"""A grpc C-core client (Debian's python3-grpcio) on cairn's ADS over TLS/mTLS.

usage: ads_client_python.py TARGET [--ca F] [--cert F --key F] [--plaintext] [--authority NAME]

Opens StreamAggregatedResources, sends one DiscoveryRequest for Clusters (hand-encoded: the
request is three fields) and waits for the first response. Prints one JSON line:
{"ok": true, "bytes": N} or {"ok": false, "code": "UNAVAILABLE", "details": "..."}; exit 0 either
way (the caller judges), 2 on usage errors.

grpc C-core 1.51 cannot use TLS for its own xDS client (bootstrap channel_creds "tls" is not
known there), so this stands in for a proxyless client: the same TLS stack, on the ADS method.
"""
import argparse
import json
import sys
import threading

import grpc

METHOD = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster"


def field(num, payload):
    """A length-delimited protobuf field."""
    out = bytearray([num << 3 | 2])
    n = len(payload)
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + payload


def request():
    node = field(1, b"tls-python")  # Node.id
    return field(2, node) + field(4, CDS.encode())  # DiscoveryRequest.node, .type_url


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plaintext", action="store_true")
    ap.add_argument("--authority", default="localhost")
    ap.add_argument("--timeout", type=float, default=5)
    a = ap.parse_args()
    if a.plaintext:
        channel = grpc.insecure_channel(a.target)
    else:
        read = lambda p: open(p, "rb").read() if p else None
        creds = grpc.ssl_channel_credentials(read(a.ca), read(a.key), read(a.cert))
        channel = grpc.secure_channel(a.target, creds,
                                      options=[("grpc.ssl_target_name_override", a.authority)])
    call = channel.stream_stream(METHOD)
    got = threading.Event()

    def requests():  # keep the stream open until the answer came
        yield request()
        got.wait(a.timeout)

    try:
        responses = call(requests(), timeout=a.timeout)
        first = next(responses)
        got.set()
        print(json.dumps({"ok": True, "bytes": len(first)}))
    except grpc.RpcError as e:
        got.set()
        print(json.dumps({"ok": False, "code": e.code().name, "details": e.details()}))
    except StopIteration:
        got.set()
        print(json.dumps({"ok": False, "code": "EOF", "details": "no response"}))
    channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
