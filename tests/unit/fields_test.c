/* The field tables that say what identifies a DAG object's output
 * (src/dag/fields.c, and the translate options' in src/xds/memo.c):
 * every table lists exactly the members its struct declares in
 * src/dag/dag.h (or src/xds/translate.h), in order, and covers every
 * byte of the struct; and for each fingerprinted object (cluster,
 * endpoints, virtual host, options), changing any one field reached from
 * it, however deep, changes its fingerprint. A member added to a struct
 * without its table line fails here. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dag/dag.h"
#include "dag/fields.h"
#include "util/arena.h"
#include "xds/memo.h"

/* --- the tables against the headers ------------------------------------- */

static char *
read_source(const char *rel)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/%s", top ? top : ".", rel);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	/* Comments out, so that only declarations remain. */
	for (char *p = buf; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			char *e = strstr(p + 2, "*/");

			e = e ? e + 2 : p + strlen(p);
			memset(p, ' ', (size_t)(e - p));
			p = e - 1;
		} else if (p[0] == '/' && p[1] == '/') {
			while (*p && *p != '\n')
				*p++ = ' ';
			p--;
		}
	}
	return buf;
}

/* The member names of struct name in src, in order, into names. */
static size_t
struct_members(const char *src, const char *name, char names[][64],
    size_t max)
{
	char pat[128], *body, *w;
	const char *p, *b;
	size_t n = 0, len;
	int depth = 0;

	snprintf(pat, sizeof pat, "struct %s {", name);
	p = strstr(src, pat);
	if (p == NULL)
		fail_msg("struct %s not found", name);
	b = p + strlen(pat);
	/* The body without nested braces (enum { ... } kind;). */
	body = calloc(1, strlen(b) + 1);
	w = body;
	for (; *b && !(depth == 0 && *b == '}'); b++) {
		if (*b == '{')
			depth++;
		else if (*b == '}')
			depth--;
		else if (depth == 0)
			*w++ = *b;
	}
	for (char *decl = strtok(body, ";"); decl != NULL;
	    decl = strtok(NULL, ";")) {
		char *part = decl, *next;

		do {
			char *e;

			next = strchr(part, ',');
			if (next != NULL)
				*next++ = '\0';
			if ((e = strpbrk(part, "[:")) != NULL)
				*e = '\0';
			len = strlen(part);
			while (len > 0 && !isalnum((unsigned char)part[len - 1]) &&
			    part[len - 1] != '_')
				len--;
			e = part + len;
			while (e > part && (isalnum((unsigned char)e[-1]) ||
			    e[-1] == '_'))
				e--;
			if (part + len > e) {
				assert_true(n < max);
				snprintf(names[n++], 64, "%.*s", (int)(part + len - e), e);
			}
			part = next;
		} while (part != NULL);
	}
	free(body);
	return n;
}

/* Every table reachable from tab, once, into seen. */
static void
collect(const struct dag_field_table *tab, const struct dag_field_table **seen,
    size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if (seen[i] == tab)
			return;
	seen[(*n)++] = tab;
	for (size_t i = 0; i < tab->n; i++)
		if (tab->fields[i].sub != NULL)
			collect(tab->fields[i].sub, seen, n);
}

static void
test_tables_match_structs(void **state)
{
	const struct dag_field_table *seen[128];
	char *dag = read_source("src/dag/dag.h");
	char *xds = read_source("src/xds/translate.h");
	char names[128][64], buf[256];
	size_t nseen = 0;

	(void)state;
	for (size_t i = 0; i < dag_nfield_tables; i++)
		collect(dag_field_tables[i], seen, &nseen);
	collect(&memo_options_fields, seen, &nseen);
	collect(&dag_fields_cluster, seen, &nseen); /* what F_CLUSTER hashes */
	assert_true(nseen > dag_nfield_tables);
	for (size_t i = 0; i < nseen; i++) {
		const struct dag_field_table *tab = seen[i];
		const char *src = strncmp(tab->name, "dag_", 4) == 0 ? dag : xds;
		size_t n = struct_members(src, tab->name, names, 128);
		const char *err = dag_fields_check(tab, buf, sizeof buf);

		if (err != NULL)
			fail_msg("%s", err);
		for (size_t k = 0; k < n || k < tab->n; k++) {
			if (k >= tab->n)
				fail_msg("struct %s: member %s has no line in its table "
				    "(src/dag/fields.c)", tab->name, names[k]);
			if (k >= n || strcmp(names[k], tab->fields[k].name) != 0)
				fail_msg("struct %s: its table has %s where the struct "
				    "declares %s", tab->name, tab->fields[k].name,
				    k < n ? names[k] : "nothing");
		}
	}
	free(dag);
	free(xds);
}

/* --- every field changes the fingerprint -------------------------------- */

/* Everything the objects below are made of (freed per test). */
static struct arena objs;

static void *
zalloc(size_t n)
{
	return arena_alloc(&objs, n);
}

static void *build(const struct dag_field_table *tab);

static void
set_ptr(unsigned char *o, const struct dag_field *f, const void *p)
{
	memcpy(o + f->offset, &p, sizeof p);
}

static void *
get_ptr(const unsigned char *o, const struct dag_field *f)
{
	void *p;

	memcpy(&p, o + f->offset, sizeof p);
	return p;
}

static void
set_count(unsigned char *o, const struct dag_field *f, size_t n)
{
	memcpy(o + f->count_offset, &n, sizeof n);
}

/* An object with every field set: numbers 1, strings "a", one element in
 * every array, every pointer to an object built the same way. */
static void *
build(const struct dag_field_table *tab)
{
	unsigned char *o = zalloc(tab->size);

	for (size_t i = 0; i < tab->n; i++) {
		const struct dag_field *f = &tab->fields[i];

		switch (f->kind) {
		case DAG_F_VALUE:
			o[f->offset] = 1;
			break;
		case DAG_F_STR:
			set_ptr(o, f, "a");
			break;
		case DAG_F_STRS: {
			const char **v = zalloc(sizeof *v);

			v[0] = "a";
			set_ptr(o, f, v);
			set_count(o, f, 1);
			break;
		}
		case DAG_F_VALUES: {
			unsigned char *v = zalloc(f->elem_size);

			v[0] = 1;
			set_ptr(o, f, v);
			set_count(o, f, 1);
			break;
		}
		case DAG_F_PTR:
			set_ptr(o, f, build(f->sub));
			break;
		case DAG_F_ARRAY:
			set_ptr(o, f, build(f->sub));
			set_count(o, f, 1);
			break;
		case DAG_F_CLUSTER:
			set_ptr(o, f, build(&dag_fields_cluster));
			break;
		case DAG_F_NAMED: {
			const char **named = zalloc(8 * sizeof *named);

			named[0] = "a";
			set_ptr(o, f, named);
			break;
		}
		case DAG_F_COUNT:
		case DAG_F_IGNORED:
			break;
		}
	}
	return o;
}

struct walk {
	const struct dag_field_table *root;
	const void *obj;
	uint64_t base;
	size_t checked;
	char path[512];
};

static void
changed(struct walk *w, const char *how)
{
	if (memo_fingerprint(w->root, w->obj) == w->base)
		fail_msg("%s: changing %s (%s) leaves the fingerprint as it was",
		    w->root->name, w->path, how);
	w->checked++;
}

static void mutate_all(struct walk *w, const struct dag_field_table *tab,
    unsigned char *o);

static void
mutate_field(struct walk *w, unsigned char *o, const struct dag_field *f)
{
	void *p = get_ptr(o, f);
	size_t n;

	switch (f->kind) {
	case DAG_F_VALUE:
		o[f->offset] = 2;
		changed(w, "2");
		o[f->offset] = 1;
		break;
	case DAG_F_STR:
		set_ptr(o, f, "b");
		changed(w, "another string");
		set_ptr(o, f, NULL);
		changed(w, "NULL");
		set_ptr(o, f, p);
		break;
	case DAG_F_STRS:
		((const char **)p)[0] = "b";
		changed(w, "another string");
		((const char **)p)[0] = "a";
		set_count(o, f, 0);
		changed(w, "none");
		set_count(o, f, 1);
		break;
	case DAG_F_VALUES:
		((unsigned char *)p)[0] = 2;
		changed(w, "another number");
		((unsigned char *)p)[0] = 1;
		set_count(o, f, 0);
		changed(w, "none");
		set_count(o, f, 1);
		break;
	case DAG_F_PTR:
		set_ptr(o, f, NULL);
		changed(w, "NULL");
		set_ptr(o, f, p);
		mutate_all(w, f->sub, p);
		break;
	case DAG_F_ARRAY:
		memcpy(&n, o + f->count_offset, sizeof n);
		set_count(o, f, 0);
		changed(w, "no elements");
		set_count(o, f, n);
		mutate_all(w, f->sub, p);
		break;
	case DAG_F_CLUSTER:
		set_ptr(o, f, NULL);
		changed(w, "NULL");
		set_ptr(o, f, p);
		mutate_all(w, &dag_fields_cluster, p);
		break;
	case DAG_F_NAMED:
		((const char **)p)[0] = "b";
		changed(w, "another name");
		((const char **)p)[0] = "a";
		break;
	case DAG_F_COUNT: /* with its array */
	case DAG_F_IGNORED:
		break;
	}
}

static void
mutate_all(struct walk *w, const struct dag_field_table *tab, unsigned char *o)
{
	size_t len = strlen(w->path);

	for (size_t i = 0; i < tab->n; i++) {
		snprintf(w->path + len, sizeof w->path - len, "%s%s",
		    len > 0 ? "." : "", tab->fields[i].name);
		mutate_field(w, o, &tab->fields[i]);
	}
	w->path[len] = '\0';
}

static void
check_root(const struct dag_field_table *tab, size_t min_checked)
{
	struct walk w = { .root = tab };
	unsigned char *o;

	arena_init(&objs);
	o = build(tab);

	w.obj = o;
	w.base = memo_fingerprint(tab, o);
	assert_int_equal(memo_fingerprint(tab, o), w.base); /* a function */
	mutate_all(&w, tab, o);
	/* Everything was put back. */
	assert_int_equal(memo_fingerprint(tab, o), w.base);
	print_message("%s: %zu changes, each changes the fingerprint\n",
	    tab->name, w.checked);
	assert_true(w.checked >= min_checked);
	arena_free(&objs);
}

static void
test_cluster_fields(void **state)
{
	(void)state;
	check_root(&dag_fields_cluster, dag_fields_cluster.n);
}

static void
test_endpoints_fields(void **state)
{
	(void)state;
	check_root(&dag_fields_endpoints, dag_fields_endpoints.n);
}

static void
test_vhost_fields(void **state)
{
	(void)state;
	/* Routes reach every policy struct and, through their clusters,
	 * every cluster field. */
	check_root(&dag_fields_vhost, dag_fields_route.n + dag_fields_cluster.n);
}

static void
test_options_fields(void **state)
{
	(void)state;
	check_root(&memo_options_fields, memo_options_fields.n);
}

/* A table that leaves a member out is caught by the layout check. */
struct probe {
	const char *a;
	uint32_t b;
	int64_t c;
};

static void
test_check_catches_a_missing_member(void **state)
{
	static const struct dag_field whole[] = {
		F_STR(probe, a), F_VALUE(probe, b), F_VALUE(probe, c),
	};
	static const struct dag_field missing_b[] = {
		F_STR(probe, a), F_VALUE(probe, c),
	};
	static const struct dag_field missing_c[] = {
		F_STR(probe, a), F_VALUE(probe, b),
	};
	DAG_FIELD_TABLE(t_whole, probe, whole);
	DAG_FIELD_TABLE(t_missing_b, probe, missing_b);
	DAG_FIELD_TABLE(t_missing_c, probe, missing_c);
	char buf[256];

	(void)state;
	assert_null(dag_fields_check(&t_whole, buf, sizeof buf));
	assert_non_null(dag_fields_check(&t_missing_b, buf, sizeof buf));
	assert_non_null(strstr(buf, "before c"));
	assert_non_null(dag_fields_check(&t_missing_c, buf, sizeof buf));
	assert_non_null(strstr(buf, "at its end"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_match_structs),
		cmocka_unit_test(test_check_catches_a_missing_member),
		cmocka_unit_test(test_cluster_fields),
		cmocka_unit_test(test_endpoints_fields),
		cmocka_unit_test(test_vhost_fields),
		cmocka_unit_test(test_options_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
