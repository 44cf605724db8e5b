# Sourced by the tests/git/*.sh scripts: TAP helpers, a git that ignores
# the user's configuration, fixture YAML, and a bounded wait for a line in
# a daemon's log.
set -u
: "${CAIRN:?CAIRN must name the cairn binary}"

GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
GIT_AUTHOR_NAME="cairn test"
GIT_AUTHOR_EMAIL=test@cairn.invalid
GIT_COMMITTER_NAME="cairn test"
GIT_COMMITTER_EMAIL=test@cairn.invalid
export GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
	GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
unset GIT_DIR GIT_WORK_TREE CAIRN_STATE_DIRECTORY STATE_DIRECTORY 2>/dev/null || :

tap_n=0
tap_failed=0
ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}
not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}
# A known gap: reported, expected to fail, not counted as a failure.
not_ok_todo() {
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - $1 # TODO $2"
}
# check DESCRIPTION COMMAND...: ok if the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# Show a file as TAP comments.
show() {
	sed 's/^/# /' "$1" | head -${2:-40}
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-git-test-XXXXXX")
daemons=""
cleanup() {
	for pid in $daemons; do
		kill "$pid" 2>/dev/null
	done
	for pid in $daemons; do
		wait "$pid" 2>/dev/null
	done
	# A test's own teardown (unmounting), once no daemon holds files.
	${cleanup_extra:-:}
	if [ -n "${KEEP:-}" ]; then
		echo "# KEEP: scratch files are in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# log_lines FILE: how many lines FILE has now (for wait_log's FROM).
log_lines() {
	wc -l <"$1" 2>/dev/null || echo 0
}

# wait_log FILE PATTERN TIMEOUT_MS [FROM]: succeeds once a line of FILE
# after line FROM (default 0) matches the grep -E PATTERN; prints the
# elapsed milliseconds.
wait_log() {
	start=$(now_ms)
	from=$((${4:-0} + 1))
	while :; do
		if tail -n "+$from" "$1" 2>/dev/null | grep -Eq -- "$2"; then
			echo $(($(now_ms) - start))
			return 0
		fi
		if [ $(($(now_ms) - start)) -ge "$3" ]; then
			echo $(($(now_ms) - start))
			return 1
		fi
		sleep 0.02
	done
}

# serve LOG ARGS...: starts `cairn serve` on loopback ports the kernel
# picks; its log goes to LOG. Sets serve_pid.
serve() {
	log=$1
	shift
	"$CAIRN" serve --xds 127.0.0.1:0 --admin 127.0.0.1:0 "$@" >"$log" 2>&1 &
	serve_pid=$!
	daemons="$daemons $serve_pid"
}

# Fixture YAML: one namespace "shop" with an HTTPProxy, a Service and its
# Endpoints; the weight of the canary is $2 (of 100).
write_shop() {
	mkdir -p "$1/shop"
	cat >"$1/shop/proxy.yaml" <<YAML
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata:
  name: shop
  namespace: shop
spec:
  virtualhost:
    fqdn: shop.example.com
  routes:
    - conditions:
        - prefix: /
      services:
        - name: storefront
          port: 80
          weight: $((100 - $2))
        - name: canary
          port: 80
          weight: $2
YAML
	cat >"$1/shop/services.yaml" <<YAML
apiVersion: v1
kind: Service
metadata:
  name: storefront
  namespace: shop
spec:
  ports:
    - port: 80
      targetPort: 9001
---
apiVersion: v1
kind: Service
metadata:
  name: canary
  namespace: shop
spec:
  ports:
    - port: 80
      targetPort: 9002
YAML
}

# A typo the loader rejects, at a known line and column (line 12, col 11).
break_shop() {
	sed -i 's/^        - prefix: \/$/        - prefx: \//' "$1/shop/proxy.yaml"
}

# commit DIR MESSAGE: commits everything in the work tree DIR.
commit() {
	git -C "$1" add -A && git -C "$1" commit -q -m "$2"
}

# remote_setup: a bare "origin" with one commit pushed from $tmp/work ($first),
# and $tmp/cairn.yaml for remote mode over file:// fetching every 200 ms.
remote_setup() {
	git init -q --bare -b main "$tmp/origin.git"
	git clone -q "$tmp/origin.git" "$tmp/work" 2>/dev/null
	git -C "$tmp/work" checkout -q -b main 2>/dev/null
	write_shop "$tmp/work" 10
	commit "$tmp/work" "shop: 10% canary"
	git -C "$tmp/work" push -q origin main
	first=$(git -C "$tmp/work" rev-parse HEAD)
	cat >"$tmp/cairn.yaml" <<YAML
source:
  git:
    repository: $tmp/unused
    branch: main
    remote: file://$tmp/origin.git
    fetch-interval: 200ms
debounce: 50ms
YAML
}
