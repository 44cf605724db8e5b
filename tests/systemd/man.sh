#!/bin/sh
# Man pages (TAP): man/cairn.1 and man/cairn.yaml.5 format without a
# warning, and document every command, flag and cairn.yaml key.
# Debian packages: groff-base (groff), man-db (man). Missing tools SKIP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

for page in man/cairn.1 man/cairn.yaml.5; do
	if command -v groff >/dev/null 2>&1; then
		out=$(groff -man -ww -z "$top_srcdir/$page" 2>&1)
		if [ -z "$out" ]; then
			ok "groff -man -ww: $page has no warnings"
		else
			not_ok "groff -man -ww: $page has no warnings"
			printf '%s\n' "$out" | sed 's/^/#   /'
		fi
	else
		skip "groff -man -ww: $page" "groff not installed (Debian groff-base)"
	fi
	if command -v man >/dev/null 2>&1; then
		out=$(MANWIDTH=80 man --warnings -l "$top_srcdir/$page" 2>&1 >/dev/null)
		if [ -z "$out" ]; then
			ok "man --warnings -l $page renders cleanly"
		else
			not_ok "man --warnings -l $page renders cleanly"
			printf '%s\n' "$out" | sed 's/^/#   /'
		fi
	else
		skip "man -l $page" "man not installed (Debian man-db)"
	fi
done

# The text as a reader sees it, hyphens plain.
render() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$top_srcdir/$1"; }
missing=
for word in 'cairn serve' 'cairn check' '--pre-receive' 'cairn dump' 'cairn bootstrap' \
    'cairn status' 'cairn version' '--source' '--git' '--branch' '--rev' '--xds' '--admin' \
    '--insecure-xds' '--log-level' '--format' '--type' '--show-secrets' '--node-id' \
    '--node-cluster' '--sotw' '--delta' '--xds-ca' '--xds-cert' '--xds-key' 'SIGHUP' \
    'SIGTERM' 'EXIT STATUS' '/etc/cairn/cairn.yaml' '/healthz' '/readyz' '/metrics' \
    '/status' '/debug/dag' '/debug/xds' '/refresh' 'NOTIFY_SOCKET'; do
	render man/cairn.1 | grep -qF -- "$word" || missing="$missing $word"
done
if [ -z "$missing" ]; then
	ok "cairn.1 documents every command, flag, signal and endpoint"
else
	not_ok "cairn.1 documents every command, flag, signal and endpoint (missing:$missing)"
fi

# Every key of examples/cairn.yaml (which holds them all) is in cairn.yaml.5
# under its dotted path.
keys=$(awk '
	/^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
	{
		line = $0; sub(/#.*/, "", line)
		match(line, /^ */); depth = RLENGTH / 2
		key = line; sub(/^ */, "", key); sub(/:.*/, "", key)
		path[depth] = key
		full = path[0]; for (i = 1; i <= depth; i++) full = full "." path[i]
		rest = line; sub(/^[^:]*:/, "", rest)
		if (rest ~ /\{/) {  # flow mapping: its keys are children
			gsub(/[{}]/, "", rest); gsub(/\[[^]]*\]/, "", rest)
			n = split(rest, parts, ",")
			for (j = 1; j <= n; j++) {
				if (parts[j] !~ /:/) continue
				k = parts[j]; sub(/:.*/, "", k); gsub(/ /, "", k)
				if (k != "") print full "." k
			}
		} else if (rest ~ /[^ ]/) print full
	}' "$top_srcdir/examples/cairn.yaml")
# The git keys are commented out there.
keys="$keys source.git.repository source.git.branch source.git.path source.git.remote
source.git.fetch-interval"
missing=
count=0
for key in $keys; do
	count=$((count + 1))
	render man/cairn.yaml.5 | grep -qF -- "$key" || missing="$missing $key"
done
if [ -z "$missing" ] && [ "$count" -ge 30 ]; then
	ok "cairn.yaml.5 documents all $count keys of examples/cairn.yaml"
else
	not_ok "cairn.yaml.5 documents all keys of examples/cairn.yaml ($count found; missing:$missing)"
fi
echo "1..$n"
exit $failed
