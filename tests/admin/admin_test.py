#!/usr/bin/env python3
"""The admin endpoint over real HTTP, as TAP.

Two targets:
  * tests/admin/admin_fixture: the admin server with a real build of
    examples/quickstart published through the same APIs as `cairn serve`,
    plus two fake connected Envoys. Every endpoint is checked in full.
  * `cairn serve examples/quickstart`: /healthz, /readyz, 404/405, the
    full checks once serve publishes its builds to the admin server, the
    sd_notify messages once serve sends them, and a clean SIGTERM.

Tools used when present (each check SKIPs without its tool):
  Debian python3-prometheus-client (the /metrics parser), prometheus
  (promtool check metrics), graphviz (dot), chromium (screenshot kept in
  $top_builddir/test-artifacts/).
Every wait is bounded; everything listens on 127.0.0.1 only.
"""
import html.parser
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir") or TOP_SRCDIR
CAIRN = os.environ.get("CAIRN") or os.path.join(TOP_BUILDDIR, "cairn")
FIXTURE = os.path.join(TOP_BUILDDIR, "tests", "admin", "admin_fixture")
QUICKSTART = os.path.join(TOP_SRCDIR, "examples", "quickstart")
ARTIFACTS = os.path.join(TOP_BUILDDIR, "test-artifacts")
# Set to 1 once cmd_serve.c publishes: then a serve without /status fails.
REQUIRE_SERVE_PUBLISH = os.environ.get("CAIRN_REQUIRE_SERVE_PUBLISH") == "1"

REQUIRED_SERIES = [
    "cairn_build_info",
    "cairn_rebuilds_total",
    "cairn_rebuild_duration_seconds_bucket",
    "cairn_rebuild_duration_seconds_sum",
    "cairn_rebuild_duration_seconds_count",
    "cairn_last_rebuild_timestamp_seconds",
    "cairn_source_info",
    "cairn_objects",
    "cairn_streams",
    "cairn_xds_responses_total",
    "cairn_xds_acks_total",
    "cairn_xds_nacks_total",
    "cairn_admin_renders_total",
    "cairn_xds_bytes_sent_total",
    "cairn_file_errors",
    "cairn_xds_warming_timeouts_total",
    "cairn_xds_warming_held_streams",
]
XDS_TYPES = ["lds", "rds", "cds", "eds", "sds"]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, desc), flush=True)
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).splitlines()[:40]:
                    print("#   " + line)
        return cond

    def skip(self, desc, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, desc, reason), flush=True)

    def comment(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


tap = Tap()


def request(base, path, method="GET", timeout=10):
    """(status, headers, body bytes); HTTP errors are answers too."""
    req = urllib.request.Request(base + path, method=method,
                                 data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def wait_until(pred, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if pred():
                return True
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc, seconds=5):
    """SIGTERM, then SIGKILL after a bounded wait; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
            return None
    return proc.returncode


# --- schema checks ---------------------------------------------------------

def expect_type(errors, where, value, types):
    """JSON booleans are not numbers: bool passes only where asked for."""
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        errors.append("%s: expected %s, got %r" % (where, "/".join(t.__name__ for t in types), value))
        return False
    return True


def check_origin(errors, where, o):
    if expect_type(errors, where, o, dict):
        expect_type(errors, where + ".file", o.get("file"), str)
        expect_type(errors, where + ".line", o.get("line"), int)
        expect_type(errors, where + ".column", o.get("column"), int)


def status_schema_errors(doc):
    """The /status shape documented in src/admin/admin.h and docs/operations.md."""
    e = []
    if not expect_type(e, "status", doc, dict):
        return e
    expect_type(e, "ready", doc.get("ready"), bool)
    expect_type(e, "version", doc.get("version"), str)
    expect_type(e, "rebuilds", doc.get("rebuilds"), int)
    expect_type(e, "revision", doc.get("revision"), str)
    src = doc.get("source")
    if expect_type(e, "source", src, dict):
        for k in ("kind", "location", "revision", "branch"):
            expect_type(e, "source." + k, src.get(k), str)
        if src.get("kind") not in ("directory", "git"):
            e.append("source.kind: %r" % src.get("kind"))
    lr = doc.get("last_rebuild")
    if expect_type(e, "last_rebuild", lr, dict):
        expect_type(e, "last_rebuild.duration_seconds", lr.get("duration_seconds"), (int, float))
        expect_type(e, "last_rebuild.timestamp", lr.get("timestamp"), (int, float))
        expect_type(e, "last_rebuild.time", lr.get("time"), str)
    summary = doc.get("summary")
    if expect_type(e, "summary", summary, dict):
        for k in ("objects", "valid", "invalid", "orphaned", "errors"):
            expect_type(e, "summary." + k, summary.get(k), int)
    for i, o in enumerate(doc.get("objects") if expect_type(e, "objects", doc.get("objects"), list) else []):
        w = "objects[%d]" % i
        for k in ("kind", "namespace", "name", "description"):
            expect_type(e, w + "." + k, o.get(k), str)
        if o.get("status") not in ("valid", "invalid", "orphaned"):
            e.append(w + ".status: %r" % o.get("status"))
        check_origin(e, w + ".origin", o.get("origin"))
        for j, c in enumerate(o.get("conditions") if expect_type(e, w + ".conditions", o.get("conditions"), list) else []):
            for k in ("type", "reason", "message"):
                expect_type(e, "%s.conditions[%d].%s" % (w, j, k), c.get(k), str)
            check_origin(e, "%s.conditions[%d].origin" % (w, j), c.get("origin"))
    for i, f in enumerate(doc.get("files") if expect_type(e, "files", doc.get("files"), list) else []):
        for k in ("path", "state", "serving"):
            expect_type(e, "files[%d].%s" % (i, k), f.get(k), str)
        expect_type(e, "files[%d].objects" % i, f.get("objects"), int)
    for i, p in enumerate(doc.get("problems") if expect_type(e, "problems", doc.get("problems"), list) else []):
        for k in ("severity", "file", "message"):
            expect_type(e, "problems[%d].%s" % (i, k), p.get(k), str)
    snap = doc.get("snapshot")
    if expect_type(e, "snapshot", snap, dict):
        expect_type(e, "snapshot.serial", snap.get("serial"), int)
        types = snap.get("types") or {}
        for t in XDS_TYPES:
            if not isinstance(types.get(t), dict) or not isinstance(types[t].get("version"), str):
                e.append("snapshot.types.%s missing" % t)
    for i, n in enumerate(doc.get("nodes") if expect_type(e, "nodes", doc.get("nodes"), list) else []):
        w = "nodes[%d]" % i
        expect_type(e, w + ".node_id", n.get("node_id"), str)
        for k in ("cluster", "peer", "connected_since"):
            if k in n:
                expect_type(e, w + "." + k, n[k], str)
        if n.get("protocol") not in ("sotw", "delta"):
            e.append(w + ".protocol: %r" % n.get("protocol"))
        types = n.get("types")
        if expect_type(e, w + ".types", types, dict):
            for t, v in types.items():
                if t not in XDS_TYPES:
                    e.append("%s.types: unknown type %r" % (w, t))
                if not isinstance(v, dict):
                    e.append("%s.types.%s: not an object" % (w, t))
                    continue
                if "acked_version" in v:
                    expect_type(e, "%s.types.%s.acked_version" % (w, t), v["acked_version"], str)
                if "resources" in v:
                    expect_type(e, "%s.types.%s.resources" % (w, t), v["resources"], int)
                nack = v.get("last_nack")
                if nack is not None and expect_type(e, "%s.types.%s.last_nack" % (w, t), nack, dict):
                    for k in ("version", "message", "time"):
                        expect_type(e, "%s.types.%s.last_nack.%s" % (w, t, k), nack.get(k), str)
    return e


# --- metrics ---------------------------------------------------------------

def parse_metrics(text):
    """Sample names by the python3-prometheus-client parser, or None."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        return None
    names = set()
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            names.add(s.name)
    return names


def check_metrics(base, label):
    status, headers, body = request(base, "/metrics")
    text = body.decode()
    tap.ok(status == 200 and headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
           "%s: /metrics answers in the Prometheus text format" % label,
           "%s %s" % (status, headers.get("Content-Type")))
    try:
        names = parse_metrics(text)
    except Exception as exc:  # the parser's verdict is the test
        tap.ok(False, "%s: /metrics parses with prometheus_client" % label, exc)
        names = set()
    if names is None:
        tap.skip("%s: /metrics parses with prometheus_client" % label,
                 "python3-prometheus-client not installed")
    else:
        tap.ok(True, "%s: /metrics parses with prometheus_client" % label)
        missing = [n for n in REQUIRED_SERIES if n not in names]
        tap.ok(not missing, "%s: /metrics has every named series" % label,
               "missing: %s" % ", ".join(missing))
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                           capture_output=True, timeout=60)
        tap.ok(p.returncode == 0, "%s: promtool check metrics" % label, p.stdout + p.stderr)
    else:
        tap.skip("%s: promtool check metrics" % label, "promtool (Debian prometheus) not installed")
    return text


def check_dag(base, label, artifact):
    status, headers, body = request(base, "/debug/dag")
    tap.ok(status == 200 and body.startswith(b"digraph"), "%s: /debug/dag is a dot graph" % label,
           body[:200])
    dot = shutil.which("dot")
    if not dot:
        tap.skip("%s: /debug/dag renders with dot" % label, "dot (Debian graphviz) not installed")
        return
    p = subprocess.run([dot, "-Tsvg"], input=body, capture_output=True, timeout=60)
    good = p.returncode == 0 and b"<svg" in p.stdout and b"shop.example.com" in p.stdout
    tap.ok(good, "%s: /debug/dag renders with dot -Tsvg" % label, p.stderr.decode(errors="replace"))
    if good:
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, artifact), "wb") as f:
            f.write(p.stdout)


def check_xds(base, label):
    status, _, body = request(base, "/debug/xds")
    ok = status == 200
    doc = json.loads(body) if ok else {}
    types = doc.get("types", {})
    ok = ok and sorted(types) == sorted(XDS_TYPES)
    for t in types.values():
        for r in t.get("resources", []):
            ok = ok and isinstance(r.get("name"), str) and "@type" in r.get("resource", {})
    ok = ok and len(types.get("cds", {}).get("resources", [])) > 0
    tap.ok(ok, "%s: /debug/xds has every type with decoded resources" % label, body[:300])
    status, _, body = request(base, "/debug/xds?type=cds")
    tap.ok(status == 200 and list(json.loads(body)["types"]) == ["cds"],
           "%s: /debug/xds?type=cds has only clusters" % label)
    status, _, _ = request(base, "/debug/xds?type=nope")
    tap.ok(status == 400, "%s: /debug/xds?type=nope is 400" % label, status)


def metric_value(base, sample):
    """The value of one sample line of /metrics (name with labels), or None."""
    _, _, body = request(base, "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    return None


def renders(base):
    return (metric_value(base, 'cairn_admin_renders_total{what="status"}'),
            metric_value(base, 'cairn_admin_renders_total{what="dag"}'))


def check_lazy_rendering(base, label):
    """Issue #8: rebuilds render neither the report nor the DAG; the first
    page that shows one renders it, once per build."""
    tap.ok(renders(base) == (0, 0), "%s: nothing rendered before a page asks" % label,
           renders(base))
    rebuilt = True
    for _ in range(3):
        # One at a time: refreshes asked for together are one rebuild.
        before = metric_value(base, "cairn_rebuilds_total")
        request(base, "/refresh", method="POST")
        rebuilt = rebuilt and wait_until(
            lambda: metric_value(base, "cairn_rebuilds_total") > before, 10)
    tap.ok(rebuilt and renders(base) == (0, 0),
           "%s: three rebuilds render nothing" % label, (rebuilt, renders(base)))
    for path in ("/status", "/", "/status", "/debug/dag", "/debug/dag"):
        request(base, path)
    tap.ok(renders(base) == (1, 1),
           "%s: /status, / and /debug/dag render once per build" % label, renders(base))
    before = metric_value(base, "cairn_rebuilds_total")
    request(base, "/refresh", method="POST")
    wait_until(lambda: metric_value(base, "cairn_rebuilds_total") > before, 10)
    unchanged = renders(base)
    request(base, "/status")
    tap.ok(unchanged == (1, 1) and renders(base) == (2, 1),
           "%s: a new build is rendered again when asked, not before" % label,
           (unchanged, renders(base)))


def check_basics(base, label):
    status, _, body = request(base, "/healthz")
    tap.ok(status == 200 and body == b"ok\n", "%s: /healthz is 200" % label, (status, body))
    status, _, _ = request(base, "/readyz")
    tap.ok(status == 200, "%s: /readyz is 200 after the first build" % label, status)
    status, _, _ = request(base, "/no/such/page")
    tap.ok(status == 404, "%s: unknown path is 404" % label, status)
    status, headers, _ = request(base, "/metrics", method="POST")
    tap.ok(status == 405 and headers.get("Allow") == "GET, HEAD",
           "%s: POST /metrics is 405 with Allow: GET, HEAD" % label, (status, headers.get("Allow")))
    status, headers, _ = request(base, "/refresh")
    tap.ok(status == 405 and headers.get("Allow") == "POST",
           "%s: GET /refresh is 405 with Allow: POST" % label, (status, headers.get("Allow")))


class PageParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.links = []
        self.external = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("href", "src", "action") and v:
                if "://" in v or v.startswith("//"):
                    self.external.append(v)
                elif k == "href":
                    self.links.append(v)

    def handle_data(self, data):
        self.text.append(data)


def check_page(base, label, revision, expect_nodes):
    status, headers, body = request(base, "/")
    page = body.decode()
    tap.ok(status == 200 and headers.get("Content-Type", "").startswith("text/html"),
           "%s: / is an HTML page" % label, status)
    p = PageParser()
    p.feed(page)
    text = "".join(p.text)
    tap.ok("script" not in p.tags and not p.external,
           "%s: the page has no scripts and no external assets" % label, p.external)
    tap.ok(revision in text and "Connected Envoys" in text and "shop/app.yaml:3" in text,
           "%s: the page shows the revision, objects with file:line and Envoys" % label)
    bad = []
    for link in p.links:
        st, _, _ = request(base, link)
        if st != 200:
            bad.append("%s -> %d" % (link, st))
    tap.ok(p.links and not bad, "%s: every link on the page answers 200" % label, bad)
    if expect_nodes:
        tap.ok("envoy-&lt;2&gt;&amp;&quot;" in page and "envoy-<2>" not in page
               and "Proto constraint validation failed &lt;route&gt;" in page,
               "%s: node ids and NACK messages are escaped" % label)


def screenshot(base, label, name):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        tap.skip("%s: the page renders in headless Chromium" % label, "chromium not installed")
        return
    os.makedirs(ARTIFACTS, exist_ok=True)
    out = os.path.join(ARTIFACTS, name)
    if os.path.exists(out):
        os.unlink(out)
    with tempfile.TemporaryDirectory() as profile:
        try:
            p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking", "--disable-component-update",
                                "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
                                "--screenshot=" + out, "--window-size=1200,900", base + "/"],
                               capture_output=True, timeout=120)
            err = p.stderr.decode(errors="replace")[-2000:]
        except subprocess.TimeoutExpired:
            err = "chromium did not finish within 120 s"
    good = os.path.exists(out) and os.path.getsize(out) > 1000
    with open(out, "rb") if good else open(os.devnull, "rb") as f:
        good = good and f.read(8) == b"\x89PNG\r\n\x1a\n"
    tap.ok(good, "%s: headless Chromium screenshot kept as test-artifacts/%s" % (label, name), err)


# --- targets ---------------------------------------------------------------

def read_line(proc, prefix, seconds):
    """The first stdout line starting with prefix, within seconds."""
    deadline = time.monotonic() + seconds
    buf = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            for line in buf.decode(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line
        elif proc.poll() is not None:
            break
    return None


def fixture_tests():
    if not os.access(FIXTURE, os.X_OK):
        tap.ok(False, "admin_fixture is built", FIXTURE)
        return
    proc = subprocess.Popen([FIXTURE, QUICKSTART, "--timeout", "300"],
                            stdout=subprocess.PIPE, stderr=sys.stderr)
    try:
        line = read_line(proc, "admin ", 15)
        if not tap.ok(line is not None, "fixture: admin server listening", line):
            return
        base = "http://127.0.0.1:%s" % line.split()[1]
        label = "fixture"
        check_basics(base, label)
        status, _, body = request(base, "/status")
        doc = json.loads(body)
        errors = status_schema_errors(doc)
        tap.ok(status == 200 and not errors, "fixture: /status matches the schema", "\n".join(errors))
        tap.ok(doc.get("ready") is True and doc.get("summary", {}).get("objects") == 10
               and len(doc.get("nodes", [])) == 2,
               "fixture: /status has the quickstart's 10 objects and 2 nodes",
               json.dumps(doc.get("summary")))
        check_metrics(base, label)
        check_dag(base, label, "admin-dag.svg")
        check_xds(base, label)
        status, _, _ = request(base, "/refresh", method="POST")
        tap.ok(status == 202, "fixture: POST /refresh is 202", status)
        tap.ok(wait_until(lambda: json.loads(request(base, "/status")[2])["rebuilds"] >= 2, 10),
               "fixture: the refresh rebuilt and published again")
        status, _, body = request(base, "/metrics", method="HEAD")
        tap.ok(status == 200 and body == b"", "fixture: HEAD /metrics is 200 without a body", status)
        check_page(base, label, doc.get("revision", "?"), expect_nodes=True)
        screenshot(base, label, "admin-status.png")
    finally:
        rc = stop(proc)
        tap.ok(rc == 0, "fixture: exits 0 on SIGTERM", rc)


def notify_socket():
    d = tempfile.mkdtemp(prefix="cairn-notify-")
    path = os.path.join(d, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    return d, path, s


def notify_messages(sock, seconds, until=None):
    """Datagrams received within seconds (stops early once until is seen)."""
    msgs = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], 0.1)
        if r:
            msgs.append(sock.recv(4096).decode(errors="replace"))
            if until and any(until in m for m in msgs):
                break
    return msgs


def serve_tests():
    if not os.access(CAIRN, os.X_OK):
        tap.ok(False, "cairn is built", CAIRN)
        return
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    label = "serve"
    tmp = tempfile.mkdtemp(prefix="cairn-admin-")
    config = os.path.join(tmp, "cairn.yaml")
    with open(config, "w") as f:
        f.write("debounce: 50ms\n")
    ndir, npath, nsock = notify_socket()
    env = dict(os.environ, NOTIFY_SOCKET=npath)
    proc = subprocess.Popen([CAIRN, "serve", "-c", config, QUICKSTART, "--xds", "127.0.0.1:0",
                             "--admin", "127.0.0.1:%d" % port, "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=sys.stderr, env=env)
    try:
        ready = wait_until(lambda: request(base, "/readyz", timeout=2)[0] == 200, 20)
        if not tap.ok(ready, "serve: /readyz turns 200"):
            return
        check_lazy_rendering(base, label)
        check_basics(base, label)
        status, _, body = request(base, "/status")
        if status == 200:
            doc = json.loads(body)
            errors = status_schema_errors(doc)
            tap.ok(not errors, "serve: /status matches the schema", "\n".join(errors))
            check_metrics(base, label)
            check_dag(base, label, "serve-dag.svg")
            check_xds(base, label)
            check_page(base, label, doc.get("revision", "?"), expect_nodes=False)
        elif REQUIRE_SERVE_PUBLISH:
            tap.ok(False, "serve: /status is 200", status)
        else:
            tap.skip("serve: /status, /metrics, /debug/*, / with data",
                     "cmd_serve.c does not call admin_server_publish yet (/status %d)" % status)

        msgs = notify_messages(nsock, 1, until="READY=1")
        notifies = any("READY=1" in m for m in msgs)
        if notifies:
            tap.ok(True, "serve: READY=1 sent to NOTIFY_SOCKET")
            tap.ok(any("STATUS=" in m for m in msgs), "serve: STATUS= sent with READY=1", msgs)
            proc.send_signal(signal.SIGHUP)
            msgs = notify_messages(nsock, 10, until="READY=1")
            tap.ok(bool(msgs) and "READY=1" in msgs[-1]
                   and any("RELOADING=1" in m and "MONOTONIC_USEC=" in m for m in msgs),
                   "serve: SIGHUP gives RELOADING=1 (MONOTONIC_USEC), then READY=1", msgs)
        else:
            tap.skip("serve: sd_notify READY/RELOADING", "cmd_serve.c does not notify yet")
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            rc = None
        tap.ok(rc == 0, "serve: SIGTERM exits 0 within 5 s", rc)
        msgs = notify_messages(nsock, 0.2)
        if notifies:
            tap.ok(any("STOPPING=1" in m for m in msgs), "serve: STOPPING=1 on SIGTERM", msgs)
    finally:
        stop(proc)
        nsock.close()
        shutil.rmtree(ndir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    fixture_tests()
    serve_tests()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
