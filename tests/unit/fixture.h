/* What several unit tests build their input from: one small tree of YAML
 * (an HTTPProxy routing app.example.com to the Service web, which has one
 * endpoint), source_files edited the way a source hands them over, and
 * scratch directories. A test that needs other input keeps its own. */
#ifndef CAIRN_TESTS_UNIT_FIXTURE_H
#define CAIRN_TESTS_UNIT_FIXTURE_H

#include "source/source.h"
#include "xds/snapshot.h"

/* String literals, so that a test can join them into one file
 * (FIXTURE_PROXY_YAML "---\n" FIXTURE_SERVICE_YAML) or add to the end of
 * one (the proxy's last line is a route: more routes may follow). */
#define FIXTURE_PROXY_YAML                                                    \
	"apiVersion: projectcontour.io/v1\n"                                  \
	"kind: HTTPProxy\n"                                                   \
	"metadata: {name: app}\n"                                             \
	"spec:\n"                                                             \
	"  virtualhost: {fqdn: app.example.com}\n"                            \
	"  routes:\n"                                                         \
	"    - conditions: [{prefix: /}]\n"                                   \
	"      services: [{name: web, port: 80}]\n"

#define FIXTURE_SERVICE_YAML                                                  \
	"apiVersion: v1\n"                                                    \
	"kind: Service\n"                                                     \
	"metadata: {name: web}\n"                                             \
	"spec:\n"                                                             \
	"  ports: [{name: http, port: 80}]\n"

/* The Endpoints of web, without its last line (the addresses): a test
 * adds FIXTURE_ENDPOINTS_ONE or its own. */
#define FIXTURE_ENDPOINTS_HEAD_YAML                                           \
	"apiVersion: v1\n"                                                    \
	"kind: Endpoints\n"                                                   \
	"metadata: {name: web}\n"                                             \
	"subsets:\n"

#define FIXTURE_ENDPOINTS_YAML                                                \
	FIXTURE_ENDPOINTS_HEAD_YAML                                           \
	"  - addresses: [{ip: 10.0.0.1}]\n"                                   \
	"    ports: [{name: http, port: 8080}]\n"

/* Sets path's bytes in sf (a copy), adding the file where it sorts if it
 * is not there: the sorted order sources guarantee. */
void fixture_files_set(struct source_files *sf, const char *path,
    const char *data);

/* Removes path from sf, if it is there. */
void fixture_files_remove(struct source_files *sf, const char *path);

/* Sets each file's length and hash from its data and sorts the files by
 * path, as a source hands them over: for a test that pushed them raw. */
void fixture_files_seal(struct source_files *sf);

/* qsort's order of struct source_file by path. */
int fixture_file_path_cmp(const void *a, const void *b);

/* Sets (data != NULL) or removes file ns-<i>/app.yaml of sf, as
 * fixture_files_set and fixture_files_remove; frees data. */
void fixture_ns_file_put(struct source_files *sf, size_t i, char *data);

/* One file of a many-namespace tree (caller frees): an HTTPProxy for
 * fqdn with `routes` routes, route r matching prefix /r<r> and header
 * name: value, to Service s<r> (port 80), each with Endpoints at ip,
 * port 8080. */
char *fixture_routes_file(const char *fqdn, size_t routes, const char *name,
    const char *value, const char *ip);

/* A TLS Secret named cert, valid from 2026 to 2126 (the test certificate
 * of tests/golden/tls-basic). */
extern const char fixture_tls_secret_yaml[];

/* A new empty directory /tmp/cairn-<name>-XXXXXX (caller frees the
 * string); fails the test if it cannot be made. */
char *fixture_scratch(const char *name);

/* Removes path and everything below it, without following links. */
void fixture_rm_rf(const char *path);

/* Under valgrind (tests/valgrind.sh sets CAIRN_TEST_SAMPLE=N) a test
 * that replays many inputs takes every Nth: N, or 1 when unset. */
size_t fixture_sample(void);

/* The steps of a random walk of `all` steps to take: all / N (at least
 * one), or all when N is 1 or more than all. */
int fixture_sample_steps(int all);

/* A sealed blob of name holding the bytes of a string (refs = 1). */
struct xds_blob *fixture_blob(const char *name, const char *bytes);

/* Fails the test (naming `what`) unless snapshot a says what a fresh
 * translation b says: each type's count and version, and each item's
 * name, bytes, versions, endpoints and uses, in order. */
void fixture_assert_same_snapshot(const struct snapshot *a,
    const struct snapshot *b, const char *what);

#endif
