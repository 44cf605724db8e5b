# Sourced by tests that run a Markdown page's shell blocks as written
# (tests/docs/*.sh). A page's ```sh blocks run in order, in one `sh -e`
# shell, each block's output (stdout and stderr) kept apart; a ```text
# block is the expected output of the ```sh block before it.
#
# Markers a page may use (put on the line just before the opening fence):
#   <!-- md-blocks: skip -->   the next block is not run (say why in prose).
# Expected output may end a line with "..." (the rest of the line is not
# compared). Before comparing, both sides have timestamps (log lines), commit
# ids (7-40 hex digits), durations ("N ms") and the scratch $HOME
# ("/home/you" on the page) replaced, and trailing blanks dropped.

# md_extract FILE SECTION DIR: writes DIR/script.sh (the sh blocks of
# SECTION, a heading's text; "" = the whole page), DIR/N.line (where block
# N starts in FILE) and DIR/expect.N (the text block after block N).
# Prints the number of sh blocks.
md_extract() {
	mkdir -p "$3"
	awk -v section="$2" -v dir="$3" '
	function hlevel(l) { match(l, /^#+/); return RLENGTH }
	BEGIN { insec = (section == ""); n = 0; prev = "" }
	{
		if (!fence) {
			if ($0 ~ /^```/) {
				fence = 1; lang = substr($0, 4); cur = ""
				if (insec && lang == "sh" && prev != "<!-- md-blocks: skip -->") {
					n++; cur = "sh"
					printf "%d\n", NR > (dir "/" n ".line")
					printf "echo %d >\"$MD_DIR/progress\"\n{\n", n >> (dir "/script.sh")
				} else if (insec && lang == "text" && n > 0) {
					cur = "text"
					printf "" > (dir "/expect." n)
				}
			} else if ($0 ~ /^#+ / && section != "") {
				t = $0; sub(/^#+ +/, "", t)
				if (t == section) { insec = 1; lv = hlevel($0) }
				else if (insec && hlevel($0) <= lv) insec = 0
			}
			if ($0 !~ /^[ \t]*$/) prev = $0
			next
		}
		if ($0 ~ /^```[ \t]*$/) {
			if (cur == "sh")
				printf "} >\"$MD_DIR/%d.out\" 2>&1\n", n >> (dir "/script.sh")
			fence = 0; cur = ""; next
		}
		if (cur == "sh") print >> (dir "/script.sh")
		else if (cur == "text") print >> (dir "/expect." n)
	}
	END { print n > (dir "/count"); print n }' "$1"
	[ -f "$3/script.sh" ] || : >"$3/script.sh"
}

# md_run DIR: runs DIR/script.sh with sh -e in the current directory and
# environment, MD_DIR=DIR. Returns its status; DIR/progress names the last
# block started.
md_run() {
	MD_DIR=$1 sh -e "$1/script.sh" </dev/null
}

md_normalize() { # HOME_DIR < text
	awk -v home="$1" '{
		if (home != "") while ((i = index($0, home)) > 0)
			$0 = substr($0, 1, i - 1) "/home/you" substr($0, i + length(home))
		print
	}' | sed -E \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4}/TIME/g' \
		-e 's/(^|[^0-9a-zA-Z])[0-9a-f]{7,40}($|[^0-9a-zA-Z])/\1COMMIT\2/g' \
		-e 's/(^|[^0-9a-zA-Z])[0-9a-f]{7,40}($|[^0-9a-zA-Z])/\1COMMIT\2/g' \
		-e 's/[0-9]+ ms/N ms/g' -e 's/[[:space:]]+$//'
}

# md_compare DIR N HOME_DIR: 0 when block N's output is what the page shows
# (DIR/expect.N); else 1 and DIR/N.diff says where they part.
md_compare() {
	md_normalize "$3" <"$1/expect.$2" >"$1/expect.$2.norm"
	md_normalize "$3" <"$1/$2.out" >"$1/$2.out.norm"
	awk -v want="$1/expect.$2.norm" '
	{ got[++n] = $0 }
	END {
		m = 0
		while ((getline line < want) > 0) exp_[++m] = line
		bad = (n != m)
		for (i = 1; i <= (n > m ? n : m); i++) {
			e = exp_[i]; g = got[i]
			if (e ~ /\.\.\.$/ && i <= n && i <= m) {
				p = substr(e, 1, length(e) - 3)
				if (substr(g, 1, length(p)) == p) continue
			} else if (i <= n && i <= m && e == g) continue
			bad = 1
			printf "line %d: page  \"%s\"\n        output \"%s\"\n", i, (i <= m ? e : "(none)"), (i <= n ? g : "(none)")
		}
		exit bad
	}' "$1/$2.out.norm" >"$1/$2.diff"
}
