#!/bin/sh
# The README block runner itself (tests/lib/md-blocks.sh), on a page made
# here: blocks of the chosen section only, in order, in one shell; the skip
# marker; a text block compared with masking and "..."; a wrong output and
# a failing block both caught. Without this, a runner that ran nothing
# would let the README tests pass.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
CAIRN=${CAIRN:-/bin/true}
. "$top_srcdir/tests/git/lib.sh"
. "$top_srcdir/tests/lib/md-blocks.sh"
echo "1..9"

page=$tmp/page.md
cat >"$page" <<'EOF'
# Title

```sh
echo "not in the section"
```

## Try it

```sh
# a comment line, not a heading
cd "$WORK" && x=1
echo "first $x"
```

```text
first 1
```

<!-- md-blocks: skip -->
```sh
echo "skipped" && exit 3
```

```sh
echo "2026-12-06T02:31:07.042+0000 info: revision $(printf 'ab%.0s' 1 2 3 4)cd in 12 ms at $HOME/x"
echo "second line with more"
```

```text
2025-01-01T00:00:00.000+0100 info: revision 0123456789 in 1 ms at /home/you/x
second line ...
```

```yaml
not: run
```

### Still in the section

```sh
echo "third $x"
```

```text
third 2
```

## Next section

```sh
echo "not run either"
```
EOF
mkdir -p "$tmp/work" "$tmp/home"
blocks=$(md_extract "$page" "Try it" "$tmp/md")
check "three sh blocks in the section (one skipped, none outside)" test "$blocks" = 3
(cd "$tmp" && HOME="$tmp/home" WORK="$tmp/work" md_run "$tmp/md") >"$tmp/out" 2>&1
rc=$?
check "they all ran, in one shell" test $rc -eq 0 -a "$(cat "$tmp/md/progress")" = 3
check "the shell state carries over (x, cd)" grep -qx "third 1" "$tmp/md/3.out"
if grep -q "skipped\|not in the section\|not run" "$tmp/md"/*.out; then
	not_ok "skipped and out-of-section blocks did not run"
else
	ok "skipped and out-of-section blocks did not run"
fi
check "a text block pairs with the sh block before it" test -f "$tmp/md/expect.1" -a -f "$tmp/md/expect.2" -a -f "$tmp/md/expect.3"
check "an exact output matches" md_compare "$tmp/md" 1 "$tmp/home"
check "timestamps, commit ids, durations, \$HOME and ... are masked" md_compare "$tmp/md" 2 "$tmp/home"
if md_compare "$tmp/md" 3 "$tmp/home"; then
	not_ok "a wrong output is caught"
else
	ok "a wrong output is caught"
fi
printf '## Try it\n\n```sh\necho before\nfalse\necho after\n```\n' >"$tmp/fail.md"
md_extract "$tmp/fail.md" "Try it" "$tmp/md2" >/dev/null
if (md_run "$tmp/md2") >/dev/null 2>&1 || grep -q after "$tmp/md2/1.out"; then
	not_ok "a failing command stops the run"
else
	ok "a failing command stops the run"
fi
[ "$tap_failed" -eq 0 ]
