#!/usr/bin/env python3
"""Heap by owner from a massif profile (docs/performance.md, "Where every MiB
goes").

    valgrind --tool=massif --threshold=0.1 --detailed-freq=1 \\
        --massif-out-file=massif.out tests/bench/bench_build -m -d TREE
    python3 tests/bench/heap_owners.py massif.out [SNAPSHOT]

bench_build -m exits holding what `cairn serve` keeps after a build, so the
last detailed snapshot (the default) is that state. For the daemon with
streams connected, tests/bench/massif_serve.sh takes the snapshot. Each leaf of the
allocation tree goes to the first owner of OWNERS (in list order) one of
whose function names appears anywhere on its call path; an arena block
counts where it was allocated, whatever fills it later.
"""
import re
import sys

OWNERS = [
    ("source cache (file bytes, paths)", ["read_file", "source_dir", "source_blob"]),
    ("loaded objects (per-file arenas)", ["load_buffer", "load_jobs"]),
    ("DAG groups (kept per group of files)", ["group_build", "build_with"]),
    ("assembled DAG", ["dag_assemble", "dag_build_units"]),
    ("serialized resources (translation cache, snapshot)",
     ["xds_blob_new", "translation_", "translate_", "snapshot_builder",
      "http_assemble", "cache_rehash"]),
    ("pipeline tables (files, statuses, ledger)", ["pipeline_", "entries_", "owners", "fqdn"]),
    ("serve: the change record (statuses for cairn diff, log lines)",
     ["serve_record_change", "serve_log_changes"]),
    ("ADS body cache (src/ads/bodies.c)", ["ads_body_"]),
    ("ADS streams (src/ads)", ["ads_stream", "sotw_", "delta_", "ads_names"]),
    ("grpc call arenas (one per stream)", ["FilterStackCall::Create"]),
    ("grpc core", ["grpc", "gpr_"]),
]
NODE = re.compile(r"^(\s*)n(\d+): (\d+) (.*)$")


def snapshots(path):
    snaps, cur = [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("snapshot="):
                cur = {"n": int(line[9:]), "tree": []}
                snaps.append(cur)
            elif cur is not None and NODE.match(line):
                cur["tree"].append(line)
    return [s for s in snaps if s["tree"]]


def owners(tree):
    stack, total = [], {}
    for line in tree:
        m = NODE.match(line)
        depth, nchildren, size = len(m.group(1)), int(m.group(2)), int(m.group(3))
        del stack[depth:]
        stack.append(m.group(4))
        if nchildren:
            continue
        path = " ".join(stack)
        owner = "other"
        for name, keys in OWNERS:
            if any(k in path for k in keys):
                owner = name
                break
        total[owner] = total.get(owner, 0) + size
    return total


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    snaps = snapshots(sys.argv[1])
    if not snaps:
        sys.exit("no detailed snapshot (run massif with --detailed-freq=1)")
    if len(sys.argv) == 3:
        snaps = [s for s in snaps if s["n"] == int(sys.argv[2])]
        if not snaps:
            sys.exit("no detailed snapshot %s" % sys.argv[2])
    snap = snaps[-1]
    total = owners(snap["tree"])
    print("snapshot %d" % snap["n"])
    for name, size in sorted(total.items(), key=lambda kv: -kv[1]):
        print("%-55s %9.2f MiB" % (name, size / 1048576))
    print("%-55s %9.2f MiB" % ("total", sum(total.values()) / 1048576))


if __name__ == "__main__":
    main()
