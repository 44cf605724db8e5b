/* The per-element structs of loaded objects and of the DAG: their sizes
 * (a 10k tree holds 50,000 routes, header matches and conditions each, so
 * a padding hole of 8 bytes costs about 0.4 MiB per struct kind; see
 * docs/performance.md, "Memory round 3") and the regex origins that a
 * pointer holds instead of a struct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dag/dag.h"
#include "load/load.h"
#include "xds/snapshot.h"

/* Bounds at the packed sizes on x86-64 / aarch64 (LP64): a member added
 * where it leaves a hole, or a bool put between two pointers, fails here.
 * A new member may raise a bound; reorder first. */
static void
test_loader_struct_sizes(void **state)
{
	(void)state;
	assert_true(sizeof(struct hp_header_match) <= 80);
	assert_true(sizeof(struct hp_query_match) <= 80);
	assert_true(sizeof(struct hp_condition) <= 64);
	assert_true(sizeof(struct hp_service) <= 96);
}

static void
test_dag_struct_sizes(void **state)
{
	(void)state;
	assert_true(sizeof(struct dag_route) <= 296);
	assert_true(sizeof(struct dag_cluster) <= 192);
	assert_true(sizeof(struct dag_header_match) <= 24);
	assert_true(sizeof(struct dag_query_match) <= 24);
	assert_true(sizeof(struct dag_object_status) <= 88);
}

/* A snapshot's item is in every slot of its chunks (512 a chunk, a 10k
 * tree's 60,000 resources in 160 chunks) and a blob's header in every
 * serialized resource: no hex copy of the version (hash_hex where it is
 * written), the item's count of uses and named_only in one word. */
static void
test_snapshot_struct_sizes(void **state)
{
	(void)state;
	assert_true(sizeof(struct xds_resource) <= 72);
	assert_true(sizeof(struct xds_blob) <= 56);
}

static const char proxy_yaml[] =
    "apiVersion: projectcontour.io/v1\n"
    "kind: HTTPProxy\n"
    "metadata: {name: p, namespace: ns}\n"
    "spec:\n"
    "  virtualhost: {fqdn: a.example.com}\n"
    "  routes:\n"
    "    - conditions:\n"
    "        - regex: /a.*\n"
    "        - header: {name: x-a, regex: \"b.*\"}\n"
    "        - queryParameter: {name: q, regex: \"c.*\"}\n"
    "      services: [{name: s, port: 80}]\n"
    "    - conditions:\n"
    "        - prefix: /\n"
    "        - header: {name: x-b, exact: e}\n"
    "        - queryParameter: {name: r, exact: f}\n"
    "      services: [{name: s, port: 80}]\n";

/* A regex: value's origin is where the value is (RE2 errors point at
 * it); a condition without a regex has none. */
static void
test_regex_origin(void **state)
{
	struct loaded_file *lf;
	const struct httpproxy *hp;
	const struct hp_condition *c;

	(void)state;
	lf = load_buffer("ns/p.yaml", "ns", proxy_yaml, strlen(proxy_yaml), NULL);
	assert_true(lf->ok);
	assert_int_equal(lf->nobjects, 1);
	hp = &lf->objects[0]->u.httpproxy;
	assert_int_equal(hp->nroutes, 2);
	assert_int_equal(hp->routes[0].nconditions, 3);

	c = hp->routes[0].conditions;
	assert_non_null(c[0].regex_origin);
	assert_string_equal(c[0].regex_origin->file, "ns/p.yaml");
	assert_int_equal(c[0].regex_origin->line, 8);
	assert_int_equal(c[0].regex_origin->col, 18);
	assert_null(c[1].regex_origin); /* the header's regex is in c[1].header */
	assert_non_null(c[1].header->regex_origin);
	assert_int_equal(c[1].header->regex_origin->line, 9);
	assert_int_equal(c[1].header->regex_origin->col, 38);
	assert_non_null(c[2].query->regex_origin);
	assert_int_equal(c[2].query->regex_origin->line, 10);
	assert_int_equal(c[2].query->regex_origin->col, 44);

	c = hp->routes[1].conditions;
	assert_null(c[0].regex_origin);
	assert_null(c[1].header->regex_origin);
	assert_null(c[2].query->regex_origin);
	loaded_file_free(lf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loader_struct_sizes),
		cmocka_unit_test(test_dag_struct_sizes),
		cmocka_unit_test(test_snapshot_struct_sizes),
		cmocka_unit_test(test_regex_origin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
