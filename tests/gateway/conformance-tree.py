#!/usr/bin/env python3
"""Lay the upstream Gateway API conformance manifests out as a cairn source
tree: each document goes, byte for byte, into a file of its own in its
namespace's directory (cluster-scoped kinds and documents naming no
namespace in the root, which is what SPEC.md §4 and §5a ask).

Usage: conformance-tree.py SRC_DIR OUT_DIR; prints one line per document,
"<path in OUT_DIR> <kind> <apiVersion>". The manifests are read where they
are and never copied into the project. No YAML library: the manifests are
block-style Kubernetes objects, and the kind, apiVersion and
metadata.namespace are top-level or second-level keys."""
import os
import re
import sys

CLUSTER_SCOPED = {"GatewayClass", "Namespace"}


def split_documents(text):
    """The documents of a YAML stream as written ("---" lines separate
    them); documents holding only comments are dropped."""
    docs = re.split(r"^---[ \t]*\n", text, flags=re.M)
    return [d for d in docs
            if any(l.strip() and not l.lstrip().startswith("#")
                   for l in d.splitlines())]


def top_key(doc, key):
    m = re.search(r"^%s:[ \t]*(\S+)" % re.escape(key), doc, re.M)
    return m.group(1).strip("\"'") if m else None


def metadata_namespace(doc):
    m = re.search(r"^metadata:[ \t]*\n((?:[ \t]+.*\n?|[ \t]*\n)*)", doc, re.M)
    if not m:
        return None
    ns = re.search(r"^[ \t]+namespace:[ \t]*(\S+)", m.group(1), re.M)
    return ns.group(1).strip("\"'") if ns else None


def main():
    src, out = sys.argv[1], sys.argv[2]
    files = [os.path.join(src, "base-manifests.yaml")]
    tdir = os.path.join(src, "tests")
    files += sorted(os.path.join(tdir, f) for f in os.listdir(tdir)
                    if f.endswith(".yaml"))
    for path in files:
        stem = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            docs = split_documents(f.read())
        for i, doc in enumerate(docs):
            kind = top_key(doc, "kind")
            ns = metadata_namespace(doc)
            rel = "%s-%03d.yaml" % (stem, i)
            if kind not in CLUSTER_SCOPED and ns:
                rel = os.path.join(ns, rel)
            os.makedirs(os.path.dirname(os.path.join(out, rel)) or out,
                        exist_ok=True)
            with open(os.path.join(out, rel), "w") as f:
                f.write(doc)
            print(rel, kind, top_key(doc, "apiVersion"))


if __name__ == "__main__":
    main()
