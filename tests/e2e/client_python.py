#!/usr/bin/python3
"""Real xDS client #2: Debian's python3-grpcio, i.e. grpc C-core's own xDS client.

usage: GRPC_XDS_BOOTSTRAP=bootstrap.json /usr/bin/python3 client_python.py [options] xds:///FQDN
  --count N          make N unary calls (default 10), print one JSON summary line, exit 0
                     ({"ids":{"A":7,...},"errors":{"msg":n},"ok":N,"failed":N}).
  --watch            instead: one call every --interval-ms (default 200) for at most
                     --max-seconds (default 60); print one JSON line per call
                     ({"i":n,"id":"A"} or {"i":n,"error":"..."}); stops early on SIGTERM,
                     SIGINT or when stdin closes.
  --timeout-ms MS    deadline of each call (default 5000)
  --path P           method path (default /cairn.test.Echo/Call)

Must run with /usr/bin/python3 (a pyenv python3 earlier on PATH does not see Debian's
packages). Debug: GRPC_TRACE=xds_client,xds_resolver GRPC_VERBOSITY=DEBUG.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

import grpc

stop = threading.Event()


def _on_signal(signum, frame):
    stop.set()


def _watch_stdin():
    try:
        while sys.stdin.read(4096):
            pass
    except Exception:
        pass
    stop.set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--watch", action="store_true")
    ap.add_argument("--interval-ms", type=int, default=200)
    ap.add_argument("--max-seconds", type=float, default=60)
    ap.add_argument("--timeout-ms", type=int, default=5000)
    ap.add_argument("--path", default="/cairn.test.Echo/Call")
    a = ap.parse_args()
    if not os.environ.get("GRPC_XDS_BOOTSTRAP") and not os.environ.get("GRPC_XDS_BOOTSTRAP_CONFIG"):
        print("client_python: GRPC_XDS_BOOTSTRAP is not set", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    channel = grpc.insecure_channel(a.target)
    method = channel.unary_unary(a.path)  # no serializers: raw bytes in and out

    def one():
        try:
            resp = method(b"x", timeout=a.timeout_ms / 1000.0)
            return {"id": resp.decode("utf-8", "replace")}
        except grpc.RpcError as e:
            return {"error": "%s: %s" % (e.code().name, e.details())}

    if a.watch:
        threading.Thread(target=_watch_stdin, daemon=True).start()
        end = time.monotonic() + a.max_seconds
        i = 0
        while not stop.is_set() and time.monotonic() < end:
            t0 = time.monotonic()
            r = one()
            r = dict(i=i, **r)
            sys.stdout.write(json.dumps(r) + "\n")
            sys.stdout.flush()
            i += 1
            wait = a.interval_ms / 1000.0 - (time.monotonic() - t0)
            if wait > 0:
                stop.wait(wait)
    else:
        ids, errors, ok, failed = {}, {}, 0, 0
        for _ in range(a.count):
            if stop.is_set():
                break
            r = one()
            if "error" in r:
                failed += 1
                errors[r["error"]] = errors.get(r["error"], 0) + 1
            else:
                ok += 1
                ids[r["id"]] = ids.get(r["id"], 0) + 1
        sys.stdout.write(json.dumps({"ids": ids, "errors": errors, "ok": ok, "failed": failed}) + "\n")
        sys.stdout.flush()
    channel.close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # grpc C-core may keep background threads (the xDS stream); do not wait for them.
    os._exit(code)
