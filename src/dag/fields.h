/* What identifies the output of a DAG object: one table per struct that a
 * translator reads, listing every member (src/dag/fields.c). The
 * translation memo (src/xds/memo.c) fingerprints an object by walking its
 * table, so a resource is served again only when every field of its
 * object is the same.
 *
 * Adding a member to one of these structs means adding its line to the
 * struct's table; tests/unit/fields_test.c fails otherwise (it compares
 * each table with the members declared in dag.h, checks that the table
 * covers every byte of the struct, and that changing any one field
 * changes the fingerprint). */
#ifndef CAIRN_DAG_FIELDS_H
#define CAIRN_DAG_FIELDS_H

#include <stddef.h>

enum dag_field_kind {
	DAG_F_VALUE, /* a number, enum, bool or double: its bytes */
	DAG_F_STR, /* a string; NULL is not "" */
	DAG_F_STRS, /* strings, with a size_t count (count_offset) */
	DAG_F_VALUES, /* numbers of elem_size bytes, with a size_t count */
	DAG_F_PTR, /* one struct of table sub, or NULL */
	DAG_F_ARRAY, /* structs of table sub, with a size_t count */
	DAG_F_COUNT, /* the count of a STRS, VALUES or ARRAY: hashed by it */
	DAG_F_CLUSTER, /* a dag_cluster referred to: its own fingerprint */
	DAG_F_NAMED, /* another resource, referred to by its name (its first
	                member, a string): the resource's bytes are not ours */
	DAG_F_IGNORED, /* not part of the output's identity: why says why */
};

struct dag_field_table;

struct dag_field {
	const char *name;
	enum dag_field_kind kind;
	size_t offset, size, align;
	size_t count_offset; /* STRS, VALUES, ARRAY */
	size_t elem_size; /* VALUES; PTR and ARRAY: the size of what they point to */
	const struct dag_field_table *sub; /* PTR, ARRAY */
	const char *why; /* IGNORED */
};

struct dag_field_table {
	const char *name; /* "dag_cluster" */
	size_t size, align;
	const struct dag_field *fields; /* in declaration order */
	size_t n;
};

extern const struct dag_field_table dag_fields_endpoint, dag_fields_locality,
    dag_fields_endpoints, dag_fields_status_range, dag_fields_health_check,
    dag_fields_slow_start, dag_fields_cluster, dag_fields_header_match,
    dag_fields_query_match, dag_fields_header_value, dag_fields_headers_policy,
    dag_fields_cookie_rewrite, dag_fields_weighted_cluster, dag_fields_redirect,
    dag_fields_retry_policy, dag_fields_hash_policy, dag_fields_local_ratelimit,
    dag_fields_cidr, dag_fields_ip_filter, dag_fields_cors_origin,
    dag_fields_cors, dag_fields_mirror, dag_fields_route,
    dag_fields_route_rare, dag_fields_rl_entry,
    dag_fields_rl_descriptor, dag_fields_global_ratelimit,
    dag_fields_internal_redirect, dag_fields_vhost, dag_fields_jwt_provider,
    dag_fields_session;

/* Every table above, for the tests. */
extern const struct dag_field_table *const dag_field_tables[];
extern const size_t dag_nfield_tables;

/* NULL when tab is consistent with its struct: fields in offset order,
 * no overlap, every gap between them and at the end only padding (what
 * the next field's alignment makes), pointer and count sizes right, each
 * count named by exactly one STRS, VALUES or ARRAY. Otherwise what is
 * wrong, in buf. */
const char *dag_fields_check(const struct dag_field_table *tab, char *buf,
    size_t len);

/* Table-building macros, for fields.c and the xds options table. */
#define DAG_FIELD_AT(T, m) offsetof(struct T, m), \
	sizeof(((struct T *)0)->m), _Alignof(__typeof__(((struct T *)0)->m))
#define DAG_FIELD(T, m, kind) { #m, kind, DAG_FIELD_AT(T, m), 0, 0, NULL, NULL }
#define DAG_FIELD_N(T, m, n, kind) { #m, kind, DAG_FIELD_AT(T, m), \
	offsetof(struct T, n), sizeof(*((struct T *)0)->m), NULL, NULL }
#define DAG_FIELD_SUB(T, m, n, kind, sub) { #m, kind, DAG_FIELD_AT(T, m), \
	n, sizeof(*((struct T *)0)->m), &(sub), NULL }
#define F_VALUE(T, m) DAG_FIELD(T, m, DAG_F_VALUE)
#define F_STR(T, m) DAG_FIELD(T, m, DAG_F_STR)
#define F_STRS(T, m, n) DAG_FIELD_N(T, m, n, DAG_F_STRS)
#define F_VALUES(T, m, n) DAG_FIELD_N(T, m, n, DAG_F_VALUES)
#define F_COUNT(T, m) DAG_FIELD(T, m, DAG_F_COUNT)
#define F_PTR(T, m, sub) DAG_FIELD_SUB(T, m, 0, DAG_F_PTR, sub)
#define F_ARRAY(T, m, n, sub) DAG_FIELD_SUB(T, m, offsetof(struct T, n), \
	DAG_F_ARRAY, sub)
#define F_CLUSTER(T, m) DAG_FIELD(T, m, DAG_F_CLUSTER)
#define F_NAMED(T, m) DAG_FIELD(T, m, DAG_F_NAMED)
#define F_IGNORED(T, m, reason) { #m, DAG_F_IGNORED, DAG_FIELD_AT(T, m), \
	0, 0, NULL, reason }
#define DAG_FIELD_TABLE(var, T, fields) const struct dag_field_table var = { \
	#T, sizeof(struct T), _Alignof(struct T), fields, \
	sizeof(fields) / sizeof((fields)[0]) }

#endif
