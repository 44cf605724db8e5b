#!/bin/bash
# Heap by owner of `cairn serve` with streams connected (docs/performance.md,
# "Memory round 5"): ads_load runs this script in place of cairn; it runs
# the daemon under massif and, when ads_load sends SIGTERM after its last
# reading, first has valgrind write a detailed snapshot of the heap as it
# is then (streams still connected), then passes the signal on.
#
#   CAIRN=./cairn MASSIF_OUT=/tmp/serve.massif \
#       tests/bench/ads_load -C tests/bench/massif_serve.sh \
#       -d TREE -s 100 -c 10 -k 0 -t 600 -m 4096
#   python3 tests/bench/heap_owners.py /tmp/serve.massif
#
# Under valgrind the first build must still finish within ads_load's 60 s:
# the 1k tree does, the 10k tree does not on a loaded 2-CPU machine.
: "${CAIRN:?the cairn binary to profile}" "${MASSIF_OUT:?where the snapshot goes}"
valgrind --tool=massif --threshold=0.1 --vgdb=yes --vgdb-error=1000000 \
    --log-file="$MASSIF_OUT.valgrind" --massif-out-file="$MASSIF_OUT.exit" \
    "$CAIRN" "$@" &
pid=$!
trap 'vgdb --pid=$pid detailed_snapshot "$MASSIF_OUT" > "$MASSIF_OUT.vgdb" 2>&1
    kill -TERM $pid; wait $pid' TERM INT
wait $pid
wait $pid
