#!/bin/sh
# The Debian package (SPEC.md §13, docs/operations.md), TAP. Builds it from
# a clean copy of the source with `dpkg-buildpackage -us -uc -b` (nocheck,
# so it stays fast), inspects it (contents, conffile, Depends from shlibs,
# lintian without errors or warnings), installs it on this machine with
# `dpkg -i`, runs the installed cairn and `systemd-analyze verify` on the
# installed unit, then purges it and checks that nothing is left behind but
# what Debian policy keeps (the cairn system user). Also checks that
# `.ci/install-deps.sh build|test` name exactly debian/control's
# Build-Depends, as dpkg itself reads them.
#
# Needs root (dpkg -i); skips without it, inside the package's own build
# (debian/rules), without the packaging tools (.ci/install-deps.sh test),
# when a cairn package or /etc/cairn is already on this machine (it would
# be purged); an existing /var/lib/cairn is hidden in a private mount
# namespace.
# The purge runs on every exit, failed checks included.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
MAKE=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKELEVEL
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
comment() { sed 's/^/#   /'; }

[ -z "${CAIRN_IN_PACKAGE_BUILD:-}" ] || skip_all "inside the package's own build"
[ "$(id -u)" -eq 0 ] || skip_all "not root: dpkg -i needs root"
for tool in dpkg-buildpackage dpkg-deb dh fakeroot perl; do
	command -v $tool >/dev/null 2>&1 ||
	    skip_all "$tool not found: run .ci/install-deps.sh test"
done
state=$(dpkg-query -W -f='${db:Status-Status}' cairn 2>/dev/null)
case $state in
"" | not-installed) ;;
*) skip_all "a cairn package is already on this machine ($state): it is not ours to purge" ;;
esac

# The purge removes /etc/cairn and /var/lib/cairn: never those of another
# cairn. /etc/cairn means a cairn installed from source: skip.
[ ! -e /etc/cairn ] || skip_all "/etc/cairn exists (cairn installed from source?): the purge would remove it"
# /var/lib/cairn is also the default state directory of any cairn run as
# root (other tests, running now perhaps): run in a private mount namespace
# whose /var/lib is this machine's, each entry bind-mounted, but cairn.
varlib_roots=
if [ -e /var/lib/cairn ]; then
	if [ -n "${CAIRN_PKGTEST_NS:-}" ]; then
		real=$(mktemp -d "${TMPDIR:-/tmp}/cairn-varlib.XXXXXX") &&
		    mount --bind /var/lib "$real" && mount -t tmpfs -o mode=0755 tmpfs /var/lib ||
		    skip_all "cannot hide /var/lib/cairn (mount)"
		for entry in "$real"/* "$real"/.[!.]*; do
			name=${entry##*/}
			if [ "$name" = cairn ] || { [ ! -e "$entry" ] && [ ! -L "$entry" ]; }; then
				continue
			elif [ -L "$entry" ]; then
				cp -a "$entry" /var/lib/
			elif [ -d "$entry" ]; then
				mkdir /var/lib/"$name" && mount --bind "$entry" /var/lib/"$name" &&
				    varlib_roots="$varlib_roots /var/lib/$name"
			else
				touch /var/lib/"$name" && mount --bind "$entry" /var/lib/"$name"
			fi || skip_all "cannot hide /var/lib/cairn (bind-mount $entry)"
		done
		umount "$real" && rmdir "$real"
		echo "# /var/lib/cairn exists: run with a private /var/lib without it"
	elif command -v unshare >/dev/null 2>&1 &&
	    unshare -m --propagation private true 2>/dev/null; then
		CAIRN_PKGTEST_NS=1 exec unshare -m --propagation private sh "$0" "$@"
	else
		skip_all "/var/lib/cairn exists and no private mount namespace (unshare) to hide it"
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-deb.XXXXXX") || exit 2
installed=
cleanup() {
	[ -z "$installed" ] || dpkg --purge cairn >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

# --- one list: install-deps.sh against dpkg's own reading of Build-Depends
deps() { # profiles...: Build-Depends names, debhelper's own left out
	perl -MDpkg::Control::Info -MDpkg::Deps -e '
	    my $src = Dpkg::Control::Info->new("debian/control")->get_source;
	    my $d = deps_parse($src->{"Build-Depends"}, build_dep => 1,
	        reduce_profiles => 1, build_profiles => [@ARGV]);
	    for my $dep ($d->get_deps) {
	        my ($first) = $dep->isa("Dpkg::Deps::OR") ? $dep->get_deps : ($dep);
	        my $p = $first->{package};
	        print "$p\n" unless $p =~ /^(debhelper-compat|dh-sequence-.*)$/;
	    }' "$@" | sort -u
}
words() { tr ' ' '\n' | sed '/^$/d' | sort -u; }
cd "$top_srcdir" || exit 2
deps nocheck > "$tmp/control.build"
deps > "$tmp/control.all"
comm -13 "$tmp/control.build" "$tmp/control.all" > "$tmp/control.test"
sh .ci/install-deps.sh --print build | words | sed '/^build-essential$/d' > "$tmp/script.build"
sh .ci/install-deps.sh --print test | words > "$tmp/script.test"
if [ -s "$tmp/control.build" ] && cmp -s "$tmp/control.build" "$tmp/script.build"; then
	ok "install-deps.sh build installs debian/control's Build-Depends (and build-essential)"
else
	not_ok "install-deps.sh build installs debian/control's Build-Depends (and build-essential)"
	diff "$tmp/control.build" "$tmp/script.build" | comment
fi
if [ -z "$(comm -23 "$tmp/control.test" "$tmp/script.test")" ] &&
    [ -z "$(comm -12 "$tmp/script.build" "$tmp/script.test")" ] &&
    grep -qx lintian "$tmp/script.test" && grep -qx debhelper "$tmp/script.test"; then
	ok "install-deps.sh test installs the <!nocheck> Build-Depends and the packaging tools, none of the build list"
else
	not_ok "install-deps.sh test installs the <!nocheck> Build-Depends and the packaging tools, none of the build list"
	comm -23 "$tmp/control.test" "$tmp/script.test" | sed 's/^/missing: /' | comment
fi

# --- build from a clean copy: what git tracks (and new files it does not
# ignore), or the whole tree of a release tarball.
mkdir "$tmp/src"
if [ "$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$top_srcdir" && pwd -P)" ]; then
	git -C "$top_srcdir" ls-files -z -co --exclude-standard |
	    tar -C "$top_srcdir" --null --ignore-failed-read -T - -cf - 2>/dev/null |
	    tar -C "$tmp/src" -xf -
else
	# make distcheck builds in $top_srcdir/_build and installs in _inst;
	# tests/sanitize.sh's copy links tests/node_modules (npm's, not ours).
	tar -C "$top_srcdir" --exclude=./_build --exclude=./_inst \
	    --exclude=./tests/node_modules -cf - . |
	    tar -C "$tmp/src" -xf - && chmod -R u+w "$tmp/src"
fi
# The source package too, for lintian: made before the build dirties the copy.
(cd "$tmp" && dpkg-source -b src) > "$tmp/source.log" 2>&1 || {
	not_ok "dpkg-source -b makes the source package"
	comment < "$tmp/source.log"
}
# The C compiler of this build (ccache, say), when it was configured.
cc=$(printf 'print-cc:\n\t@echo $(CC)\n' |
    $MAKE -s --no-print-directory -C "$top_builddir" -f Makefile -f - print-cc 2>/dev/null)
if (cd "$tmp/src" && CC=${cc:-${CC:-cc}} DEB_BUILD_OPTIONS="nocheck parallel=2" \
    nice dpkg-buildpackage -us -uc -b -Pnocheck) > "$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds the package from a clean copy"
else
	not_ok "dpkg-buildpackage -us -uc -b builds the package from a clean copy"
	# configure's failures end in config.log: its first errors say why.
	{ grep -i -m 20 'error' "$tmp/build.log"; echo ...; tail -15 "$tmp/build.log"; } | comment
	echo "1..$n"
	exit 1
fi
version=$(cd "$tmp/src" && dpkg-parsechangelog -S Version)
deb=$(ls "$tmp"/cairn_"$version"_*.deb)
changes=$(ls "$tmp"/cairn_"$version"_*.changes)

upstream=$(sed -n 's/^AC_INIT(\[cairn\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
if [ "$version" = "$upstream" ]; then
	ok "debian/changelog's version is configure.ac's ($upstream)"
else
	not_ok "debian/changelog's version is configure.ac's ($upstream): $version"
fi

# --- what is in it
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' > "$tmp/contents"
unitdir=$(sed -n 's|/cairn\.service$||p' "$tmp/contents")
for path in /usr/bin/cairn /usr/lib/sysusers.d/cairn.conf /usr/lib/tmpfiles.d/cairn.conf \
    /usr/share/man/man1/cairn.1.gz /usr/share/man/man5/cairn.yaml.5.gz \
    /etc/cairn/cairn.yaml /etc/cairn/resources /usr/share/doc/cairn/copyright \
    /usr/share/doc/cairn/examples/envoy.service \
    /usr/share/doc/cairn/examples/quickstart/shop/app.yaml \
    /usr/share/doc/cairn/examples/git-deploy/pre-receive; do
	if grep -qxF "$path" "$tmp/contents"; then
		ok "the package holds $path"
	else
		not_ok "the package holds $path"
	fi
done
case $unitdir in
/lib/systemd/system | /usr/lib/systemd/system) ok "the package holds $unitdir/cairn.service" ;;
*) not_ok "the package holds cairn.service in the system unit directory: ${unitdir:-none}" ;;
esac
if grep -q '/systemd/system/envoy\.service$' "$tmp/contents"; then
	not_ok "envoy.service is only an example, not a unit of the package"
else
	ok "envoy.service is only an example, not a unit of the package"
fi
if grep -E '(^|/)(tests?|fuzz|bench|node_modules)(/|$)|_test$|_fuzzer$|_replay$|\.test\.js$|/\.ci/' \
    "$tmp/contents" > "$tmp/testfiles"; then
	not_ok "no test files in the package"
	comment < "$tmp/testfiles"
else
	ok "no test files in the package"
fi
if [ "$(dpkg-deb -I "$deb" conffiles 2>/dev/null)" = /etc/cairn/cairn.yaml ]; then
	ok "/etc/cairn/cairn.yaml is the one conffile"
else
	not_ok "/etc/cairn/cairn.yaml is the one conffile"
	dpkg-deb -I "$deb" conffiles 2>&1 | comment
fi
if dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./etc/cairn/cairn.yaml |
    cmp -s - "$top_srcdir/examples/cairn.yaml"; then
	ok "the conffile is the commented example (examples/cairn.yaml)"
else
	not_ok "the conffile is the commented example (examples/cairn.yaml)"
fi
depends=$(dpkg-deb -f "$deb" Depends)
case $depends in
*libgrpc*libc6* | *libc6*libgrpc*) ;;
*) depends_bad=1 ;;
esac
if [ -z "${depends_bad:-}" ] && ! printf '%s' "$depends" | grep -q -- '-dev\b'; then
	ok "Depends comes from shlibs (libc6, libgrpc, no -dev package)"
else
	not_ok "Depends comes from shlibs (libc6, libgrpc, no -dev package)"
fi
echo "# Depends: $depends"
if command -v lintian >/dev/null 2>&1; then
	if lintian --fail-on error,warning "$tmp"/cairn_"$version".dsc "$deb" "$changes" \
	    > "$tmp/lintian" 2>&1; then
		ok "lintian (source, binary, changes): no errors, no warnings"
	else
		not_ok "lintian (source, binary, changes): no errors, no warnings"
	fi
	comment < "$tmp/lintian"
else
	n=$((n + 1)); echo "ok $n - lintian # SKIP lintian not installed"
fi

# --- install it on this machine, use it, purge it
cairn_paths() { # every path named like cairn where packages and daemons write
	# shellcheck disable=SC2086 # (the bind mounts of a private /var/lib)
	find -H /etc /usr /lib /var /var/lib $varlib_roots /run /srv /opt -xdev \
	    \( -path /var/tmp -o -path /var/cache -o -path /var/log \) -prune -o \
	    -name '*cairn*' -print 2>/dev/null | sort -u
}
cairn_paths > "$tmp/before"
# The package's paths that are already there (/etc, /usr/bin...).
while read -r path; do
	[ ! -e "$path" ] || echo "$path"
done < "$tmp/contents" > "$tmp/preexisting"
installed=1
if dpkg -i "$deb" > "$tmp/install.log" 2>&1; then
	ok "dpkg -i installs the package"
else
	not_ok "dpkg -i installs the package"
	comment < "$tmp/install.log"
fi
if out=$(/usr/bin/cairn version 2>&1) && printf '%s' "$out" | grep -qF "$version"; then
	ok "/usr/bin/cairn version prints $version"
else
	not_ok "/usr/bin/cairn version prints $version"
	printf '%s\n' "$out" | comment
fi
# Reads the installed /etc/cairn/cairn.yaml, as the daemon does.
if out=$(/usr/bin/cairn check /etc/cairn/resources 2>&1); then
	ok "cairn check /etc/cairn/resources (and /etc/cairn/cairn.yaml) passes"
else
	not_ok "cairn check /etc/cairn/resources (and /etc/cairn/cairn.yaml) passes"
fi
printf '%s\n' "$out" | comment
if out=$(/usr/bin/cairn check /usr/share/doc/cairn/examples/quickstart 2>&1); then
	ok "the installed quickstart example passes cairn check"
else
	not_ok "the installed quickstart example passes cairn check"
	printf '%s\n' "$out" | comment
fi
if getent passwd cairn >/dev/null &&
    out=$(runuser -u cairn -- /usr/bin/cairn check /etc/cairn/resources 2>&1); then
	ok "the cairn user exists (sysusers.d) and can read the configuration"
else
	not_ok "the cairn user exists (sysusers.d) and can read the configuration"
	printf '%s\n' "$out" | comment
fi
if [ "$(stat -c '%U %a' /var/lib/cairn 2>/dev/null)" = "cairn 700" ] &&
    [ "$(stat -c '%G %a' /etc/cairn/certs 2>/dev/null)" = "cairn 750" ]; then
	ok "tmpfiles.d made /var/lib/cairn (cairn, 0700) and /etc/cairn/certs (group cairn, 0750)"
else
	not_ok "tmpfiles.d made /var/lib/cairn (cairn, 0700) and /etc/cairn/certs (group cairn, 0750)"
	stat -c '%n %U %G %a' /var/lib/cairn /etc/cairn/certs 2>&1 | comment
fi
if [ -d /etc/cairn/resources ] && [ -z "$(ls -A /etc/cairn/resources)" ]; then
	ok "/etc/cairn/resources exists, empty"
else
	not_ok "/etc/cairn/resources exists, empty"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	if out=$(systemd-analyze verify "$unitdir/cairn.service" 2>&1); then
		ok "systemd-analyze verify $unitdir/cairn.service (installed)"
	else
		not_ok "systemd-analyze verify $unitdir/cairn.service (installed)"
		printf '%s\n' "$out" | comment
	fi
else
	n=$((n + 1)); echo "ok $n - systemd-analyze verify # SKIP systemd-analyze not installed"
fi
if [ -e /etc/systemd/system/multi-user.target.wants/cairn.service ]; then
	not_ok "installing does not enable cairn.service (systemctl enable --now cairn does)"
else
	ok "installing does not enable cairn.service (systemctl enable --now cairn does)"
fi

if dpkg --purge cairn > "$tmp/purge.log" 2>&1; then
	installed=
	ok "dpkg --purge removes the package"
else
	not_ok "dpkg --purge removes the package"
	comment < "$tmp/purge.log"
fi
# Left behind: a path of the package that was not there before, or a path
# named like cairn that was not there before. Debian policy keeps the
# system user (not a path).
{
	while read -r path; do
		[ ! -e "$path" ] || grep -qxF "$path" "$tmp/preexisting" || echo "$path"
	done < "$tmp/contents"
	cairn_paths | comm -13 "$tmp/before" -
} | sort -u > "$tmp/left"
if [ ! -s "$tmp/left" ]; then
	ok "purge leaves nothing behind (the cairn system user stays, as Debian policy says)"
else
	not_ok "purge leaves nothing behind (the cairn system user stays, as Debian policy says)"
	sed 's/^/left: /' "$tmp/left" | comment
fi
echo "1..$n"
exit $failed
