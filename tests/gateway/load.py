#!/usr/bin/env python3
"""Gateway API kinds load (SPEC.md §5a, issue #17), TAP.

1. (--conformance, tests/gateway/conformance.sh) Every upstream conformance manifest (../shared/gateway-api-conformance:
   base manifests and every test's YAML), each document in its namespace's
   directory, loads as it is: `cairn check --format json` shows every file
   "ok", every object of a kind cairn knows counted, and only foreign kinds
   (Deployment, ListenerSet, UDPRoute) skipped with a warning.
3. examples/gateway-api checks clean and dumps what its README says.
2. Located errors: a cluster-scoped kind in a namespace directory, a
   namespace on a cluster-scoped kind, an unknown field with a suggestion,
   a filter whose type and member disagree.
"""
import json
import os
import subprocess
import sys
import tempfile

TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..", "..")
CAIRN = os.environ.get("CAIRN") or os.path.join(os.environ.get("top_builddir", TOP_SRCDIR), "cairn")
CONFORMANCE = os.path.join(os.environ.get("CAIRN_SHARED_DIR") or os.path.join(TOP_SRCDIR, "..", "shared"), "gateway-api-conformance")

KNOWN = {"GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute",
         "ReferenceGrant", "BackendTLSPolicy", "ConfigMap", "Namespace",
         "Service", "EndpointSlice", "Secret", "Endpoints"}
FOREIGN = {"Deployment", "ListenerSet", "UDPRoute"}

n = 0


def ok(cond, what, detail=""):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[:40]:
            print("# " + line)


def check(tree, fmt="json"):
    p = subprocess.run([CAIRN, "check", "-c", "/dev/null", "--format", fmt, tree],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def write(tree, rel, text):
    path = os.path.join(tree, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def conformance():
    with tempfile.TemporaryDirectory() as tree:
        out = subprocess.run([sys.executable, os.path.join(TOP_SRCDIR, "tests", "gateway",
                                                          "conformance-tree.py"),
                              CONFORMANCE, tree], stdout=subprocess.PIPE, text=True, check=True)
        docs = [l.split() for l in out.stdout.splitlines()]
        rc, text = check(tree)
        d = json.loads(text)
        bad = [f for f in d["files"] if f["state"] != "ok"]
        errors = [p for p in d["problems"] if p["severity"] == "error" and
                  not (p["file"].endswith("gateway-invalid-tls-configuration-004.yaml"))]
        ok(not bad and not errors, "conformance manifests: every file loads (%d files)" % len(d["files"]),
           "\n".join("%s:%s:%s: %s" % (p["file"], p["line"], p["column"], p["message"])
                     for p in errors) or bad)
        want = sum(1 for _, kind, _ in docs if kind in KNOWN)
        got = sum(f["objects"] for f in d["files"])
        ok(want == got and want > 300, "conformance manifests: %d objects of known kinds, %d loaded" % (want, got))
        warned = [p for p in d["problems"] if p["severity"] == "warning"]
        skipped_foreign = all(p["message"].startswith("skipping unknown kind ") and
                              p["message"].split()[3] in FOREIGN for p in warned)
        nforeign = sum(1 for _, kind, _ in docs if kind in FOREIGN)
        ok(skipped_foreign and len(warned) == nforeign,
           "conformance manifests: only the %d foreign documents are skipped, with a warning" % nforeign,
           "\n".join(p["message"] for p in warned if p["message"].split()[3] not in FOREIGN))
        kinds = {kind for _, kind, _ in docs if kind in KNOWN}
        ok({"GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute",
            "ReferenceGrant", "BackendTLSPolicy", "ConfigMap", "Namespace"} <= kinds,
           "conformance manifests hold every Gateway API kind", kinds)


GWC = """apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: cairn
spec:
  controllerName: cairn.io/gateway-controller
"""


def located(files, want, what):
    with tempfile.TemporaryDirectory() as tree:
        for rel, text in files.items():
            write(tree, rel, text)
        rc, text = check(tree, "text")
        ok(rc == 1 and want in text, what, "exit %d, want %r in:\n%s" % (rc, want, text))


def errors():
    located({"shop/class.yaml": GWC},
            "shop/class.yaml:1:1: error: GatewayClass cairn: GatewayClass is cluster-scoped: "
            "put it in a file directly in the source root, not in namespace directory \"shop\"",
            "GatewayClass in a namespace directory: located error")
    located({"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  namespace: x\n"},
            "ns.yaml:5:14: error: Namespace shop: metadata.namespace: Namespace is cluster-scoped "
            "and has no namespace",
            "Namespace with a namespace: located error")
    located({"shop/r.yaml": "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                            "metadata: {name: r}\nspec:\n  rules:\n  - backendRef:\n"
                            "    - {name: s, port: 80}\n"},
            "shop/r.yaml:6:5: error: HTTPRoute shop/r: spec.rules[0]: unknown field \"backendRef\"",
            "HTTPRoute unknown field: located error")
    located({"shop/r.yaml": "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
                            "metadata: {name: r}\nspec:\n  rules:\n  - filters:\n"
                            "    - type: RequestRedirect\n      urlRewrite: {hostname: a.example}\n"},
            "shop/r.yaml:7:7: error: HTTPRoute shop/r: spec.rules[0].filters[0]: type RequestRedirect "
            "needs requestRedirect",
            "HTTPRoute filter type without its member: located error")
    located({"shop/g.yaml": "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                            "metadata: {name: g}\nspec:\n  gatewayClassName: cairn\n  listeners:\n"
                            "  - {name: http, port: 80, protocol: HTTP, hostname: Bad_Host}\n"},
            "shop/g.yaml:7:54: error: Gateway shop/g: spec.listeners[0].hostname",
            "Gateway listener hostname: located error")


def example():
    """examples/gateway-api, as its README walks through it."""
    ex = os.path.join(TOP_SRCDIR, "examples", "gateway-api")
    rc, text = check(ex, "text")
    ok(rc == 0 and "15 objects, 15 valid, 0 invalid, 0 orphaned" in text and
       "status: Gateway shop/public: Accepted=True (Accepted), Programmed=True (Programmed)" in text and
       "listener http: attachedRoutes=2," in text and
       "status: HTTPRoute shop/storefront: parent Gateway shop/public sectionName=http: "
       "Accepted=True (Accepted), ResolvedRefs=True (ResolvedRefs)" in text and
       "status: GRPCRoute shop/greeter: parent Gateway shop/public sectionName=http: "
       "Accepted=True (Accepted), ResolvedRefs=True (ResolvedRefs)" in text,
       "examples/gateway-api: cairn check accepts every object", text)
    p = subprocess.run([CAIRN, "dump", "-c", "/dev/null", "--gateway", "shop/public", "--format", "json", ex],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    names = [l["name"] for l in d.get("listeners", [])]
    envoy = [l["name"] for l in d.get("listeners", []) if "api_listener" not in l]
    routes = [v["name"] for r in d.get("routes", []) if r["name"] == "gw/shop/public/8080"
              for v in r["virtual_hosts"]]
    # the others: proxyless gRPC clients' api listeners, <host> and <host>:<port>
    ok(envoy == ["gw/shop/public/8080"] and routes == ["grpc.shop.example", "www.shop.example"] and
       names == ["grpc.shop.example", "grpc.shop.example:8080", "gw/shop/public/8080",
                 "www.shop.example", "www.shop.example:8080"] and
       len(d.get("clusters", [])) == 5,
       "examples/gateway-api: cairn dump --gateway shop/public gives its listeners, hosts and clusters",
       p.stdout[:2000] + p.stderr)
    p = subprocess.run([CAIRN, "dump", "-c", "/dev/null", "--format", "json", ex],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    d = json.loads(p.stdout) if p.returncode == 0 else {}
    ok(p.returncode == 0 and d.get("listeners") == [] and d.get("clusters") == [],
       "examples/gateway-api: a node naming no Gateway gets none of it", p.stdout[:2000])


def main():
    if sys.argv[1:] == ["--conformance"]:
        if not os.path.isdir(CONFORMANCE):
            print("1..0 # SKIP %s not found" % CONFORMANCE)
            return 77
        print("1..4")
        conformance()
        return 0
    print("1..8")
    errors()
    example()
    return 0


if __name__ == "__main__":
    sys.exit(main())
