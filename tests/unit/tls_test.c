/* Unit tests of TLS: PEM checks (src/tls/pem.c), file-backed Secrets
 * under allowed directories (files.c), the inotify watch (watch.c),
 * base64 Secret data, SDS redaction, and rotation at the snapshot level:
 * a certbot-style symlink flip gives a new version of the same Secret
 * and leaves every listener, route and cluster as it was.
 * Certificates are made at run time by tests/tls/make-certs.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dag/dag.h"
#include "load/load.h"
#include "tls/tls.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

static char tmpdir[] = "/tmp/cairn-tls-test-XXXXXX";
static char certs[256];
static bool have_certs;

static char *
path_of(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", certs, name);
	return buf[i];
}

/* The whole file, NUL-terminated; fails the test when unreadable. */
static char *
slurp(const char *path, size_t *len)
{
	uint8_t *data;
	char why[TLS_WHY_MAX];

	if (tls_file_read(path, &data, len, why, sizeof why) < 0)
		fail_msg("%s", why);
	return (char *)data;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void
copy_file(const char *from, const char *to)
{
	size_t len;
	char *data = slurp(from, &len);

	write_file(to, data, len);
	free(data);
}

static int
setup(void **state)
{
	const char *srcdir = getenv("top_srcdir");
	char cmd[1024];

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(certs, sizeof certs, "%s/certs", tmpdir);
	snprintf(cmd, sizeof cmd, "sh '%s/tests/tls/make-certs.sh' '%s' 2 && "
	    "openssl pkey -in '%s/shop.key' -aes256 -passout pass:x "
	    "-out '%s/encrypted.key' 2>/dev/null",
	    srcdir ? srcdir : ".", certs, certs, certs);
	have_certs = system(cmd) == 0;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#define NEED_CERTS()                                                           \
	do {                                                                   \
		if (!have_certs)                                               \
			skip();                                                \
	} while (0)

/* No 16-byte run of the key file may appear in a message. */
static void
assert_no_key_material(const char *why, const char *key, size_t keylen)
{
	for (size_t i = 0; i + 16 <= keylen; i++) {
		char piece[17];

		memcpy(piece, key + i, 16);
		piece[16] = '\0';
		if (strchr(piece, '\n') != NULL || strstr(piece, "-----") != NULL)
			continue;
		if (strstr(why, piece) != NULL)
			fail_msg("message holds key material: %s", why);
	}
}

static void
test_certificates(void **state)
{
	struct tls_cert_info info;
	char why[TLS_WHY_MAX], *crt, *ca, *key, *chain;
	size_t crt_len, ca_len, key_len;

	(void)state;
	NEED_CERTS();
	crt = slurp(path_of("shop.crt"), &crt_len);
	ca = slurp(path_of("ca.crt"), &ca_len);
	key = slurp(path_of("shop.key"), &key_len);
	assert_int_equal(tls_check_certificates(crt, crt_len, &info, why, sizeof why), 0);
	assert_int_equal(info.ncerts, 1);
	assert_string_equal(info.subject, "shop.example.com");
	assert_true(info.not_after > (int64_t)time(NULL));
	assert_true(info.not_before <= (int64_t)time(NULL));

	/* A full chain: leaf then CA. */
	chain = xasprintf("%s%s", crt, ca);
	assert_int_equal(tls_check_certificates(chain, strlen(chain), &info, why,
	    sizeof why), 0);
	assert_int_equal(info.ncerts, 2);
	free(chain);

	assert_int_equal(tls_check_certificates("", 0, NULL, why, sizeof why), -1);
	assert_non_null(strstr(why, "no certificate found"));
	assert_int_equal(tls_check_certificates("hello\n", 6, NULL, why, sizeof why), -1);
	assert_non_null(strstr(why, "no certificate found"));
	assert_int_equal(tls_check_certificates(key, key_len, NULL, why, sizeof why), -1);
	assert_non_null(strstr(why, "is a \"PRIVATE KEY\", expected a CERTIFICATE"));
	assert_no_key_material(why, key, key_len);
	{
		const char *bad = "-----BEGIN CERTIFICATE-----\nno base64 here!\n"
		    "-----END CERTIFICATE-----\n";

		assert_int_equal(tls_check_certificates(bad, strlen(bad), NULL, why,
		    sizeof why), -1);
		assert_non_null(strstr(why, "PEM block 1 is malformed"));
	}
	{
		/* Valid base64 of something that is not a certificate. */
		const char *junk = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n"
		    "-----END CERTIFICATE-----\n";

		assert_int_equal(tls_check_certificates(junk, strlen(junk), NULL, why,
		    sizeof why), -1);
		assert_non_null(strstr(why, "certificate 1 does not parse"));
	}
	free(crt);
	free(ca);
	free(key);
}

static void
test_private_keys(void **state)
{
	char why[TLS_WHY_MAX], *key, *other, *enc, *crt, *two;
	size_t key_len, other_len, enc_len, crt_len;

	(void)state;
	NEED_CERTS();
	key = slurp(path_of("shop.key"), &key_len);
	other = slurp(path_of("other.key"), &other_len);
	enc = slurp(path_of("encrypted.key"), &enc_len);
	crt = slurp(path_of("shop.crt"), &crt_len);
	assert_int_equal(tls_check_private_key(key, key_len, why, sizeof why), 0);
	two = xasprintf("%s%s", key, other);
	assert_int_equal(tls_check_private_key(two, strlen(two), why, sizeof why), -1);
	assert_non_null(strstr(why, "2 private keys found"));
	assert_no_key_material(why, key, key_len);
	free(two);
	assert_int_equal(tls_check_private_key(enc, enc_len, why, sizeof why), -1);
	assert_non_null(strstr(why, "encrypted"));
	assert_int_equal(tls_check_private_key(crt, crt_len, why, sizeof why), -1);
	assert_non_null(strstr(why, "expected a PRIVATE KEY"));
	assert_int_equal(tls_check_private_key("", 0, why, sizeof why), -1);
	assert_non_null(strstr(why, "no private key found"));

	assert_int_equal(tls_check_key_pair(crt, crt_len, key, key_len, why,
	    sizeof why), 0);
	assert_int_equal(tls_check_key_pair(crt, crt_len, other, other_len, why,
	    sizeof why), -1);
	assert_non_null(strstr(why, "does not match"));
	assert_no_key_material(why, other, other_len);
	free(key);
	free(other);
	free(enc);
	free(crt);
}

static void
test_crl_and_expiry(void **state)
{
	struct tls_cert_info info;
	char why[TLS_WHY_MAX], *crl, *ca, *expired, when[32];
	size_t crl_len, ca_len, expired_len;

	(void)state;
	NEED_CERTS();
	crl = slurp(path_of("crl.pem"), &crl_len);
	ca = slurp(path_of("ca.crt"), &ca_len);
	expired = slurp(path_of("expired.crt"), &expired_len);
	assert_int_equal(tls_check_crl(crl, crl_len, why, sizeof why), 0);
	assert_int_equal(tls_check_crl(ca, ca_len, why, sizeof why), -1);
	assert_non_null(strstr(why, "expected an X509 CRL"));
	assert_int_equal(tls_check_crl("", 0, why, sizeof why), -1);

	assert_int_equal(tls_check_certificates(expired, expired_len, &info, why,
	    sizeof why), 0);
	assert_int_equal(info.not_after, 949363200); /* 2000-02-01T00:00:00Z */
	tls_format_time(info.not_after, when);
	assert_string_equal(when, "2000-02-01T00:00:00Z");
	free(crl);
	free(ca);
	free(expired);
}

static void
test_files(void **state)
{
	char allowed[300], inside[400], escape[400], sub[400], big[400], why[TLS_WHY_MAX];
	char *dirs[1] = { allowed }, *real;
	struct stat st;
	uint8_t *data;
	size_t len;
	FILE *fp;

	(void)state;
	NEED_CERTS();
	snprintf(allowed, sizeof allowed, "%s/allowed", tmpdir);
	mkdir(allowed, 0700);
	snprintf(inside, sizeof inside, "%s/shop.crt", allowed);
	copy_file(path_of("shop.crt"), inside);
	assert_int_equal(tls_file_resolve(inside, dirs, 1, &real, why, sizeof why), 0);
	assert_int_equal(tls_file_read(real, &data, &len, why, sizeof why), 0);
	assert_int_equal(stat(inside, &st), 0);
	assert_int_equal(len, (size_t)st.st_size);
	free(data);
	free(real);

	/* A symlink inside that leads outside is outside. */
	snprintf(escape, sizeof escape, "%s/escape.pem", allowed);
	assert_int_equal(symlink(path_of("shop.key"), escape), 0);
	assert_int_equal(tls_file_resolve(escape, dirs, 1, &real, why, sizeof why), -1);
	assert_null(real);
	assert_non_null(strstr(why, "resolves to"));
	assert_non_null(strstr(why, "outside secrets.allowed-directories"));
	/* So is "..". */
	snprintf(escape, sizeof escape, "%s/../certs/shop.key", allowed);
	assert_int_equal(tls_file_resolve(escape, dirs, 1, &real, why, sizeof why), -1);
	/* A directory whose name starts like the allowed one is not in it. */
	snprintf(sub, sizeof sub, "%s-not/x.pem", allowed);
	assert_int_equal(tls_file_resolve(sub, dirs, 1, &real, why, sizeof why), -1);
	assert_int_equal(tls_file_resolve("relative.pem", dirs, 1, &real, why,
	    sizeof why), -1);
	assert_non_null(strstr(why, "not an absolute path"));
	snprintf(sub, sizeof sub, "%s/missing.pem", allowed);
	assert_int_equal(tls_file_resolve(sub, dirs, 1, &real, why, sizeof why), -1);
	assert_non_null(strstr(why, "No such file or directory"));
	assert_non_null(strstr(why, sub));
	assert_int_equal(tls_file_resolve(inside, dirs, 0, &real, why, sizeof why), -1);
	assert_non_null(strstr(why, "allowed-directories is empty"));

	assert_int_equal(tls_file_read(allowed, &data, &len, why, sizeof why), -1);
	assert_non_null(strstr(why, "not a regular file"));
	snprintf(big, sizeof big, "%s/big.pem", allowed);
	fp = fopen(big, "w");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, TLS_FILE_MAX_BYTES + 1, SEEK_SET), 0);
	fputc('x', fp);
	fclose(fp);
	assert_int_equal(tls_file_read(big, &data, &len, why, sizeof why), -1);
	assert_non_null(strstr(why, "bytes, more than"));
}

/* certbot's layout: live/<name>/x.pem -> ../../archive/<name>/xN.pem. */
static void
certbot_issue(const char *le, int n, const char *crt, const char *key)
{
	char path[600], tmp[600], target[600];
	const char *names[2] = { "fullchain", "privkey" };
	const char *from[2] = { crt, key };

	snprintf(path, sizeof path, "%s/archive", le);
	mkdir(le, 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/archive/shop", le);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/live", le);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/live/shop", le);
	mkdir(path, 0700);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/archive/shop/%s%d.pem", le, names[i], n);
		copy_file(path_of(from[i]), path);
		snprintf(target, sizeof target, "../../archive/shop/%s%d.pem", names[i], n);
		snprintf(tmp, sizeof tmp, "%s/live/shop/%s.pem.new", le, names[i]);
		snprintf(path, sizeof path, "%s/live/shop/%s.pem", le, names[i]);
		unlink(tmp);
		assert_int_equal(symlink(target, tmp), 0);
		assert_int_equal(rename(tmp, path), 0); /* atomic flip */
	}
}

static void
test_watch(void **state)
{
	char le[300], live[400], later[400], laterdir[400];
	struct tls_watch *w;
	const char *paths[2];

	(void)state;
	NEED_CERTS();
	snprintf(le, sizeof le, "%s/watch-le", tmpdir);
	certbot_issue(le, 1, "shop.crt", "shop.key");
	snprintf(live, sizeof live, "%s/live/shop/fullchain.pem", le);
	snprintf(laterdir, sizeof laterdir, "%s/later", le);
	snprintf(later, sizeof later, "%s/later/cert.pem", le);
	w = tls_watch_new();
	assert_non_null(w);
	assert_true(tls_watch_fd(w) >= 0);
	paths[0] = live;
	paths[1] = later; /* does not exist yet: watched through le/ */
	tls_watch_set(w, paths, 2);
	/* live/shop, archive/shop and le (for later/) */
	assert_int_equal(tls_watch_count(w), 3);
	assert_int_equal(tls_watch_process(w), 0);

	/* A renewal: new archive files, symlinks flipped. */
	certbot_issue(le, 2, "blog.crt", "blog.key");
	assert_int_equal(tls_watch_process(w), 1);
	assert_int_equal(tls_watch_process(w), 0);

	/* The same set again keeps its watches; nothing fires. */
	tls_watch_set(w, paths, 2);
	assert_int_equal(tls_watch_count(w), 3);
	assert_int_equal(tls_watch_process(w), 0);

	/* The missing file's directory appears. */
	assert_int_equal(mkdir(laterdir, 0700), 0);
	assert_int_equal(tls_watch_process(w), 1);

	/* Watching nothing. */
	tls_watch_set(w, NULL, 0);
	assert_int_equal(tls_watch_count(w), 0);
	tls_watch_free(w);
}

static void
test_base64(void **state)
{
	uint8_t out[64];
	size_t n;

	(void)state;
	assert_int_equal(base64_decode("aGVsbG8=", 8, out, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(base64_decode("aGVs\n bG8h", 10, out, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "hello!", 6);
	assert_int_equal(base64_decode("", 0, out, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(base64_decode("aGVsbG8", 7, out, &n), -1); /* no padding */
	assert_int_equal(base64_decode("aGV*bG8=", 8, out, &n), -1);
	assert_int_equal(base64_decode("aG==bG8=", 8, out, &n), -1);
}

/* --- the DAG and the snapshot ------------------------------------------------- */

struct world {
	struct loaded_file *files[8];
	size_t nfiles;
	struct object **objs;
	size_t nobjs, cap;
	struct cairn_config cfg;
	struct dag_options opts; /* of cfg: world_material fills it */
	struct tls_material *material; /* the files of file-backed Secrets */
};

static void
world_add(struct world *w, const char *ns, const char *yaml)
{
	char path[64];
	struct loaded_file *lf;

	snprintf(path, sizeof path, "%s/f%zu.yaml", ns, w->nfiles);
	lf = load_buffer(path, ns, yaml, strlen(yaml), NULL);
	for (size_t i = 0; !lf->ok && i < lf->diags.n; i++)
		diag_print(stderr, &lf->diags.items[i]);
	assert_true(lf->ok);
	w->files[w->nfiles++] = lf;
	for (size_t i = 0; i < lf->nobjects; i++)
		ARRAY_PUSH(w->objs, w->nobjs, w->cap, lf->objects[i]);
}

static void
world_free(struct world *w)
{
	for (size_t i = 0; i < w->nfiles; i++)
		loaded_file_free(w->files[i]);
	free(w->objs);
	tls_material_free(w->material);
	config_free(&w->cfg);
}

static const struct dag_object_status *
status_of(const struct dag *dag, enum obj_kind kind, const char *name)
{
	for (size_t i = 0; i < dag->nstatuses; i++)
		if (dag_status_at(dag, i)->kind == kind &&
		    strcmp(dag_status_at(dag, i)->name, name) == 0)
			return dag_status_at(dag, i);
	fail_msg("no status for %s", name);
	return NULL;
}

static void
allow_dir(struct world *w, const char *dir)
{
	w->cfg.secrets.allowed_directories = ARENA_ARRAY(&w->cfg.arena, char *, 1);
	w->cfg.secrets.allowed_directories[0] = arena_strdup(&w->cfg.arena, dir);
	w->cfg.secrets.nallowed_directories = 1;
}

/* Read the files the world's Secrets name, as the pipeline does before a
 * build. */
static void
world_material(struct world *w)
{
	const char **paths = NULL;
	size_t n = 0, cap = 0;

	if (w->material == NULL)
		w->material = tls_material_new();
	dag_secret_files(w->objs, w->nobjs, &paths, &n, &cap);
	tls_material_update(w->material, (const char *const *)paths, n,
	    w->cfg.secrets.allowed_directories, w->cfg.secrets.nallowed_directories);
	free(paths);
	dag_options_from_config(&w->opts, &w->cfg);
}

static struct snapshot *
build(struct world *w, struct dag **dag_out)
{
	struct translate_options to;
	struct snapshot *snap;
	struct dag *dag;

	world_material(w);
	dag = dag_build_material(w->objs, w->nobjs, &w->opts, NULL, w->material);
	translate_options_init(&to);
	snap = translate_dag(dag, &to, "r");
	if (dag_out != NULL)
		*dag_out = dag;
	else
		dag_free(dag);
	return snap;
}

static const char *proxy_and_service =
    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: shop}\n"
    "spec:\n  virtualhost:\n    fqdn: shop.example.com\n"
    "    tls: {secretName: shop-tls}\n"
    "  routes: [{services: [{name: web, port: 80}]}]\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
    "spec: {ports: [{port: 80}]}\n";

/* The heart of rotation: new files, same Secret name, new SDS version,
 * and no other type changes (Envoy keeps its listeners and connections). */
static void
test_file_secret_rotation(void **state)
{
	struct world w = { 0 };
	char le[300], *yaml;
	struct snapshot *s1, *s2;
	const struct xds_resource *r1, *r2;
	struct dag *dag;

	(void)state;
	NEED_CERTS();
	snprintf(le, sizeof le, "%s/rotate-le", tmpdir);
	certbot_issue(le, 1, "shop.crt", "shop.key");
	config_init_defaults(&w.cfg);
	allow_dir(&w, le);
	yaml = xasprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-tls\n"
	    "  annotations:\n"
	    "    cairn.io/certificate-file: %s/live/shop/fullchain.pem\n"
	    "    cairn.io/private-key-file: %s/live/shop/privkey.pem\n", le, le);
	world_add(&w, "shop", yaml);
	world_add(&w, "shop", proxy_and_service);
	s1 = build(&w, &dag);
	assert_int_equal(status_of(dag, OBJ_SECRET, "shop-tls")->status, DAG_STATUS_VALID);
	assert_true(status_of(dag, OBJ_SECRET, "shop-tls")->not_after > (int64_t)time(NULL));
	assert_int_equal(dag->ntls_files, 2);
	assert_non_null(strstr(dag->tls_files[0], "/live/shop/fullchain.pem"));
	assert_non_null(strstr(dag->tls_files[1], "/live/shop/privkey.pem"));
	dag_free(dag);
	r1 = snapshot_find(s1, XDS_SECRET, "shop/shop-tls");
	assert_non_null(r1);
	assert_true(r1->named_only); /* keys never go out under a wildcard */
	assert_non_null(snapshot_find(s1, XDS_LISTENER, "ingress_https"));
	assert_non_null(snapshot_find(s1, XDS_ROUTE, "https/shop.example.com"));

	certbot_issue(le, 2, "blog.crt", "blog.key");
	s2 = build(&w, NULL);
	r2 = snapshot_find(s2, XDS_SECRET, "shop/shop-tls");
	assert_non_null(r2);
	assert_true(r1->version != r2->version);
	assert_true(s1->types[XDS_SECRET].version != s2->types[XDS_SECRET].version);
	assert_true(s1->types[XDS_LISTENER].version == s2->types[XDS_LISTENER].version);
	assert_true(s1->types[XDS_ROUTE].version == s2->types[XDS_ROUTE].version);
	assert_true(s1->types[XDS_CLUSTER].version == s2->types[XDS_CLUSTER].version);
	snapshot_unref(s1);
	snapshot_unref(s2);

	/* A renewal that went wrong (key of another certificate): the
	 * Secret is invalid and the proxy says why. */
	certbot_issue(le, 3, "shop.crt", "other.key");
	s1 = build(&w, &dag);
	assert_int_equal(status_of(dag, OBJ_SECRET, "shop-tls")->status,
	    DAG_STATUS_INVALID);
	assert_non_null(strstr(status_of(dag, OBJ_SECRET, "shop-tls")->description,
	    "does not match"));
	assert_int_equal(status_of(dag, OBJ_HTTPPROXY, "shop")->status,
	    DAG_STATUS_INVALID);
	assert_null(snapshot_find(s1, XDS_SECRET, "shop/shop-tls"));
	dag_free(dag);
	snapshot_unref(s1);
	free(yaml);
	world_free(&w);
}

/* The files of file-backed Secrets are read before the DAG, once: a
 * rebuild with no certificate change reads nothing and reuses the TLS
 * group's DAG; a renewal on disk, which the tls watch reports, is read and
 * rebuilds that group with the new certificate. */
static void
test_material_reread(void **state)
{
	struct world w = { 0 };
	char le[300], path[400], *yaml;
	struct dag_unit units[2];
	struct dag_cache *c = dag_cache_new();
	struct tls_watch *watch = tls_watch_new();
	struct dag *d1, *d2, *d3, *d4;
	struct dag_cache_stats st;
	uint64_t h1;
	int64_t na;

	(void)state;
	NEED_CERTS();
	assert_non_null(watch);
	snprintf(le, sizeof le, "%s/material-le", tmpdir);
	certbot_issue(le, 1, "shop.crt", "shop.key");
	config_init_defaults(&w.cfg);
	allow_dir(&w, le);
	yaml = xasprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-tls\n"
	    "  annotations:\n"
	    "    cairn.io/certificate-file: %s/live/shop/fullchain.pem\n"
	    "    cairn.io/private-key-file: %s/live/shop/privkey.pem\n", le, le);
	world_add(&w, "shop", yaml);
	world_add(&w, "shop", proxy_and_service);
	for (size_t i = 0; i < 2; i++)
		units[i] = (struct dag_unit){ .id = i + 1,
			.objs = w.files[i]->objects, .nobjs = w.files[i]->nobjects };

	world_material(&w);
	assert_int_equal(tls_material_reads(w.material), 2);
	h1 = tls_material_hash(w.material);
	dag_cache_set_material(c, w.material);
	d1 = dag_build_units(units, 2, &w.opts, c);
	st = dag_cache_stats(c);
	assert_int_equal(st.reused, 0);
	assert_int_equal(status_of(d1, OBJ_SECRET, "shop-tls")->status,
	    DAG_STATUS_VALID);
	tls_watch_set(watch, d1->tls_files, d1->ntls_files);
	assert_int_equal(tls_watch_process(watch), 0);
	/* The group is kept until its certificate starts to warn (14 days
	 * before it expires), or, when that has passed already (the test
	 * certificates are valid for days), until it expires. */
	d4 = dag_build_material(w.objs, w.nobjs, &w.opts, NULL, w.material);
	na = status_of(d4, OBJ_SECRET, "shop-tls")->not_after;
	assert_true(na > (int64_t)time(NULL));
	assert_true(d4->valid_until == (na - 14 * 24 * 3600 >= (int64_t)time(NULL) ?
	    na - 14 * 24 * 3600 + 1 : na + 1));
	dag_free(d4);

	/* Nothing changed: no file read, the TLS group is reused. */
	world_material(&w);
	assert_int_equal(tls_material_reads(w.material), 2);
	assert_true(tls_material_hash(w.material) == h1);
	d2 = dag_build_units(units, 2, &w.opts, c);
	st = dag_cache_stats(c);
	assert_int_equal(st.built, 0);
	assert_int_equal(st.reused, st.groups);
	assert_int_equal(d2->secrets[0]->certificate_chain.len,
	    d1->secrets[0]->certificate_chain.len);

	/* A renewal: the watch fires, both files are read again, the group
	 * is built again with the new certificate. */
	certbot_issue(le, 2, "blog.crt", "blog.key");
	assert_int_equal(tls_watch_process(watch), 1);
	world_material(&w);
	assert_int_equal(tls_material_reads(w.material), 4);
	assert_true(tls_material_hash(w.material) != h1);
	d3 = dag_build_units(units, 2, &w.opts, c);
	st = dag_cache_stats(c);
	assert_int_equal(st.built, 1);
	assert_int_equal(d3->nsecrets, 1);
	assert_true(d3->secrets[0]->certificate_chain.len !=
	    d1->secrets[0]->certificate_chain.len ||
	    memcmp(d3->secrets[0]->certificate_chain.data,
	    d1->secrets[0]->certificate_chain.data,
	    d1->secrets[0]->certificate_chain.len) != 0);
	assert_int_equal(status_of(d3, OBJ_SECRET, "shop-tls")->status,
	    DAG_STATUS_VALID);

	/* A file that disappears is an error at the annotation. */
	snprintf(path, sizeof path, "%s/live/shop/fullchain.pem", le);
	assert_int_equal(unlink(path), 0);
	world_material(&w);
	assert_int_equal(tls_material_reads(w.material), 4);
	d4 = dag_build_units(units, 2, &w.opts, c);
	assert_int_equal(status_of(d4, OBJ_SECRET, "shop-tls")->status,
	    DAG_STATUS_INVALID);
	assert_non_null(strstr(status_of(d4, OBJ_SECRET, "shop-tls")->description,
	    "annotation cairn.io/certificate-file"));
	dag_free(d4);
	dag_free(d1);
	dag_free(d2);
	dag_free(d3);
	dag_cache_free(c);
	tls_watch_free(watch);
	free(yaml);
	world_free(&w);
}

static void
test_file_secret_outside(void **state)
{
	struct world w = { 0 };
	char allowed[300], link[400], *yaml;
	struct snapshot *s;
	struct dag *dag;

	(void)state;
	NEED_CERTS();
	snprintf(allowed, sizeof allowed, "%s/allowed2", tmpdir);
	mkdir(allowed, 0700);
	snprintf(link, sizeof link, "%s/ca.pem", allowed);
	assert_int_equal(symlink(path_of("ca.crt"), link), 0);
	config_init_defaults(&w.cfg);
	allow_dir(&w, allowed);
	yaml = xasprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ca\n"
	    "  annotations:\n    cairn.io/ca-file: %s\n", link);
	world_add(&w, "shop", yaml);
	s = build(&w, &dag);
	assert_int_equal(status_of(dag, OBJ_SECRET, "ca")->status, DAG_STATUS_INVALID);
	assert_non_null(strstr(status_of(dag, OBJ_SECRET, "ca")->description,
	    "outside secrets.allowed-directories"));
	/* Still watched: fixing the link must rebuild. */
	assert_int_equal(dag->ntls_files, 1);
	dag_free(dag);
	snapshot_unref(s);
	free(yaml);
	world_free(&w);
}

static void
test_redact(void **state)
{
	struct world w = { 0 };
	char *yaml, *crt, *key;
	size_t crt_len, key_len, out_len;
	const struct xds_resource *r;
	struct snapshot *s;
	uint8_t *red;

	(void)state;
	NEED_CERTS();
	crt = slurp(path_of("shop.crt"), &crt_len);
	key = slurp(path_of("shop.key"), &key_len);
	config_init_defaults(&w.cfg);
	{
		struct strbuf c = STRBUF_INIT, k = STRBUF_INIT;

		base64_encode((uint8_t *)crt, crt_len, &c);
		base64_encode((uint8_t *)key, key_len, &k);
		yaml = xasprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: shop-tls}\n"
		    "type: kubernetes.io/tls\ndata:\n  tls.crt: %s\n  tls.key: %s\n",
		    c.buf, k.buf);
		strbuf_free(&c);
		strbuf_free(&k);
	}
	world_add(&w, "shop", yaml);
	world_add(&w, "shop", proxy_and_service);
	s = build(&w, NULL);
	r = snapshot_find(s, XDS_SECRET, "shop/shop-tls");
	assert_non_null(r);
	assert_non_null(memmem(r->bytes, r->len, key, key_len)); /* Envoy gets it */
	red = translate_secret_redact(r->bytes, r->len, &out_len);
	assert_non_null(red);
	assert_null(memmem(red, out_len, "PRIVATE KEY", 11));
	assert_non_null(memmem(red, out_len, "[redacted]", 10));
	assert_non_null(memmem(red, out_len, crt, crt_len)); /* the chain stays */
	free(red);
	snapshot_unref(s);
	free(yaml);
	free(crt);
	free(key);
	world_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certificates),
		cmocka_unit_test(test_private_keys),
		cmocka_unit_test(test_crl_and_expiry),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_file_secret_rotation),
		cmocka_unit_test(test_material_reread),
		cmocka_unit_test(test_file_secret_outside),
		cmocka_unit_test(test_redact),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
