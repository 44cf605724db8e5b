/* The helpers of fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void
fixture_files_set(struct source_files *sf, const char *path, const char *data)
{
	struct source_file f = { 0 };

	for (size_t i = 0; i < sf->n; i++) {
		if (strcmp(sf->files[i].path, path) == 0) {
			free(sf->files[i].data);
			sf->files[i].data = xstrdup(data);
			sf->files[i].len = strlen(data);
			sf->files[i].hash = hash_bytes(data, strlen(data));
			return;
		}
	}
	f.path = xstrdup(path);
	f.ns = source_namespace_of(path);
	f.data = xstrdup(data);
	f.len = strlen(data);
	f.hash = hash_bytes(data, f.len);
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	for (size_t i = sf->n - 1; i > 0 &&
	    strcmp(sf->files[i - 1].path, sf->files[i].path) > 0; i--) {
		struct source_file tmp = sf->files[i];

		sf->files[i] = sf->files[i - 1];
		sf->files[i - 1] = tmp;
	}
}

void
fixture_files_remove(struct source_files *sf, const char *path)
{
	for (size_t i = 0; i < sf->n; i++) {
		if (strcmp(sf->files[i].path, path) != 0)
			continue;
		free(sf->files[i].path);
		free(sf->files[i].ns);
		free(sf->files[i].data);
		memmove(&sf->files[i], &sf->files[i + 1],
		    (sf->n - i - 1) * sizeof sf->files[0]);
		sf->n--;
		return;
	}
}

void
fixture_ns_file_put(struct source_files *sf, size_t i, char *data)
{
	char *path = xasprintf("ns-%04zu/app.yaml", i);

	if (data != NULL)
		fixture_files_set(sf, path, data);
	else
		fixture_files_remove(sf, path);
	free(path);
	free(data);
}

int
fixture_file_path_cmp(const void *a, const void *b)
{
	return strcmp(((const struct source_file *)a)->path,
	    ((const struct source_file *)b)->path);
}

void
fixture_files_seal(struct source_files *sf)
{
	for (size_t i = 0; i < sf->n; i++) {
		sf->files[i].len = strlen(sf->files[i].data);
		sf->files[i].hash = hash_bytes(sf->files[i].data,
		    sf->files[i].len);
	}
	qsort(sf->files, sf->n, sizeof sf->files[0], fixture_file_path_cmp);
}

char *
fixture_routes_file(const char *fqdn, size_t routes, const char *name,
    const char *value, const char *ip)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_printf(&sb,
	    "apiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\n"
	    "metadata: {name: app}\n"
	    "spec:\n"
	    "  virtualhost: {fqdn: %s}\n"
	    "  routes:\n", fqdn);
	for (size_t r = 0; r < routes; r++)
		strbuf_printf(&sb,
		    "    - conditions: [{prefix: /r%zu}, {header: {name: %s, "
		    "exact: %s}}]\n"
		    "      services: [{name: s%zu, port: 80}]\n", r, name, value,
		    r);
	for (size_t r = 0; r < routes; r++)
		strbuf_printf(&sb,
		    "---\n"
		    "apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata: {name: s%zu}\n"
		    "spec: {ports: [{name: http, port: 80}]}\n"
		    "---\n"
		    "apiVersion: v1\n"
		    "kind: Endpoints\n"
		    "metadata: {name: s%zu}\n"
		    "subsets: [{addresses: [{ip: %s}], ports: [{name: "
		    "http, port: 8080}]}]\n", r, r, ip);
	return strbuf_detach(&sb, NULL);
}

char *
fixture_scratch(const char *name)
{
	char *tmpl = xasprintf("/tmp/cairn-%s-XXXXXX", name);

	assert_non_null(mkdtemp(tmpl));
	return tmpl;
}

static int
fixture_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void
fixture_rm_rf(const char *path)
{
	nftw(path, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

size_t
fixture_sample(void)
{
	const char *env = getenv("CAIRN_TEST_SAMPLE");
	size_t n = env != NULL ? strtoul(env, NULL, 10) : 1;

	return n > 1 ? n : 1;
}

int
fixture_sample_steps(int all)
{
	size_t n = fixture_sample();

	return n <= (size_t)all ? all / (int)n : all;
}

struct xds_blob *
fixture_blob(const char *name, const char *bytes)
{
	size_t len = strlen(bytes);
	struct xds_blob *b = xds_blob_new(name, len);

	memcpy(b->bytes, bytes, len);
	xds_blob_seal(b, len);
	return b;
}

void
fixture_assert_same_snapshot(const struct snapshot *a,
    const struct snapshot *b, const char *what)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const struct xds_resource_set *x = &a->types[t], *y = &b->types[t];

		if (x->n != y->n || x->version != y->version ||
		    strcmp(x->version_hex, y->version_hex) != 0)
			fail_msg("%s: %s: %zu resources, version %s; fresh: %zu, %s",
			    what, xds_type_short((enum xds_type)t), x->n,
			    x->version_hex, y->n, y->version_hex);
		for (size_t i = 0; i < x->n; i++) {
			const struct xds_resource *r = xds_set_at(x, i), *s = xds_set_at(y, i);

			if (strcmp(r->name, s->name) != 0 || r->len != s->len ||
			    r->version != s->version || r->entry != s->entry ||
			    r->named_only != s->named_only ||
			    r->nuses != s->nuses ||
			    (r->endpoints == NULL) != (s->endpoints == NULL) ||
			    (r->endpoints != NULL &&
			    strcmp(r->endpoints, s->endpoints) != 0) ||
			    memcmp(xds_resource_bytes(r), xds_resource_bytes(s),
			    r->len) != 0 ||
			    (r->nuses > 0 && memcmp(r->uses, s->uses,
			    r->nuses * sizeof r->uses[0]) != 0))
				fail_msg("%s: %s %s differs from a fresh translation",
				    what, xds_type_short((enum xds_type)t), r->name);
		}
	}
}

const char fixture_tls_secret_yaml[] =
    "apiVersion: v1\n"
    "kind: Secret\n"
    "metadata: {name: cert}\n"
    "type: kubernetes.io/tls\n"
    "stringData:\n"
    "  tls.crt: |\n"
    "    -----BEGIN CERTIFICATE-----\n"
    "    MIIBqjCCAU+gAwIBAgICEAEwCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNY2Fpcm4g\n"
    "    dGVzdCBDQTAgFw0yNjExMjYwNjM5MzdaGA8yMTI2MTEwMjA2MzkzN1owHTEbMBkG\n"
    "    A1UEAwwSKi5ibG9nLmV4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD\n"
    "    QgAEx7NEV+HMT0aRgE9LpLRe2Mj6b5IozQH0ZyHaZDCAIOfmJXffosxiMzsOHqvT\n"
    "    baGfKBhVZ8gCeu3SF6OenmlIJKOBgTB/MAkGA1UdEwQCMAAwEwYDVR0lBAwwCgYI\n"
    "    KwYBBQUHAwEwHQYDVR0RBBYwFIISKi5ibG9nLmV4YW1wbGUuY29tMB0GA1UdDgQW\n"
    "    BBTX4TwxdGUBsqNiArQp3Nc8sqJ5mTAfBgNVHSMEGDAWgBTlmLifkVTVZZBZCykC\n"
    "    U9pR3QwkWjAKBggqhkjOPQQDAgNJADBGAiEAhWE/BU4baHljxyRrUNwlnhYxyZhB\n"
    "    +F+G67+Ej7hZrpcCIQCyWIxyfONnjYVzf09FrHe4PetEp/3jGobp4g1mtZR7BA==\n"
    "    -----END CERTIFICATE-----\n"
    "  tls.key: |\n"
    "    -----BEGIN PRIVATE KEY-----\n"
    "    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNQ/I2Ar4XGYDN/AQ\n"
    "    jjf0chHvFrTLyDQJ69r+NOshTZKhRANCAATHs0RX4cxPRpGAT0uktF7YyPpvkijN\n"
    "    AfRnIdpkMIAg5+Yld9+izGIzOw4eq9NtoZ8oGFVnyAJ67dIXo56eaUgk\n"
    "    -----END PRIVATE KEY-----\n";
