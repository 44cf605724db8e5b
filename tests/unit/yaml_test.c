/* src/load/yaml.c: node positions, documents, aliases and every way a
 * file can be hostile or broken. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "load/yaml.h"
#include "util/strbuf.h"

struct parsed {
	struct arena arena;
	struct diag_list diags;
	struct ydoc *docs;
	size_t ndocs;
	int rc;
};

static void
parse_limits(struct parsed *p, const char *buf, size_t len,
    const struct yaml_limits *limits)
{
	arena_init(&p->arena);
	diag_list_init(&p->diags);
	p->rc = yaml_parse("t.yaml", buf, len, limits, &p->arena, &p->docs,
	    &p->ndocs, &p->diags);
}

static void
parse(struct parsed *p, const char *buf)
{
	parse_limits(p, buf, strlen(buf), NULL);
}

static void
parsed_free(struct parsed *p)
{
	arena_free(&p->arena);
	diag_list_free(&p->diags);
}

static void
assert_diag(const struct diag_list *dl, size_t i, const char *expected)
{
	char buf[2048];

	assert_true(i < dl->n);
	diag_format(&dl->items[i], buf, sizeof buf);
	assert_string_equal(buf, expected);
}

/* A failed parse: no documents, exactly one diagnostic. */
static void
assert_fails_with(const char *buf, size_t len, const char *expected)
{
	struct parsed p;

	parse_limits(&p, buf, len, NULL);
	assert_int_equal(p.rc, -1);
	assert_null(p.docs);
	assert_int_equal(p.ndocs, 0);
	assert_int_equal(p.diags.n, 1);
	assert_diag(&p.diags, 0, expected);
	parsed_free(&p);
}

static void
assert_pos(const struct ynode *n, int line, int col)
{
	assert_non_null(n);
	assert_int_equal(n->line, line);
	assert_int_equal(n->col, col);
}

static void
test_positions(void **state)
{
	struct parsed p;
	const struct ynode *root, *b, *m;

	(void)state;
	parse(&p, "a: 1\n"
	    "b:\n"
	    "  - x\n"
	    "  - {c: d}\n"
	    "é: ü\n");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ndocs, 1);
	root = p.docs[0].root;
	assert_int_equal(root->type, YNODE_MAPPING);
	assert_pos(root, 1, 1);
	assert_int_equal(root->map.n, 3);
	assert_pos(root->map.items[0].key, 1, 1);
	assert_pos(root->map.items[0].value, 1, 4);
	b = ynode_get(root, "b");
	assert_int_equal(b->type, YNODE_SEQUENCE);
	assert_pos(b, 3, 3);
	assert_int_equal(b->seq.n, 2);
	assert_pos(b->seq.items[0], 3, 5);
	assert_string_equal(b->seq.items[0]->scalar.value, "x");
	m = b->seq.items[1];
	assert_int_equal(m->type, YNODE_MAPPING);
	assert_pos(m, 4, 5);
	assert_pos(m->map.items[0].key, 4, 6);
	assert_pos(m->map.items[0].value, 4, 9);
	/* Columns count characters, not bytes. */
	assert_pos(root->map.items[2].value, 5, 4);
	parsed_free(&p);
}

static void
test_plain_flag(void **state)
{
	struct parsed p;
	const struct ynode *root;

	(void)state;
	parse(&p, "p: 80\nq: \"80\"\nr: '80'\ns: !!str 80\nt: |\n  80\n");
	assert_int_equal(p.rc, 0);
	root = p.docs[0].root;
	assert_true(ynode_get(root, "p")->scalar.plain);
	assert_false(ynode_get(root, "q")->scalar.plain);
	assert_false(ynode_get(root, "r")->scalar.plain);
	assert_false(ynode_get(root, "s")->scalar.plain);
	assert_false(ynode_get(root, "t")->scalar.plain);
	assert_string_equal(ynode_get(root, "t")->scalar.value, "80\n");
	assert_string_equal(ynode_type_name(ynode_get(root, "p")), "integer");
	assert_string_equal(ynode_type_name(ynode_get(root, "q")), "string");
	parsed_free(&p);
}

static void
test_type_names(void **state)
{
	struct parsed p;
	const struct ynode *root;
	int64_t v;
	bool b;

	(void)state;
	parse(&p, "a: ~\nb: true\nc: -12\nd: 1.5e3\ne: yes\nf: [x]\ng: {}\n"
	    "h:\ni: 99999999999999999999\n");
	assert_int_equal(p.rc, 0);
	root = p.docs[0].root;
	assert_string_equal(ynode_type_name(ynode_get(root, "a")), "null");
	assert_string_equal(ynode_type_name(ynode_get(root, "b")), "boolean");
	assert_string_equal(ynode_type_name(ynode_get(root, "c")), "integer");
	assert_string_equal(ynode_type_name(ynode_get(root, "d")), "number");
	assert_string_equal(ynode_type_name(ynode_get(root, "e")), "string");
	assert_string_equal(ynode_type_name(ynode_get(root, "f")), "sequence");
	assert_string_equal(ynode_type_name(ynode_get(root, "g")), "mapping");
	assert_true(ynode_is_null(ynode_get(root, "h")));
	assert_false(ynode_is_int(ynode_get(root, "i"), &v));
	assert_true(ynode_is_int(ynode_get(root, "c"), &v));
	assert_int_equal(v, -12);
	assert_true(ynode_is_bool(ynode_get(root, "b"), &b));
	assert_true(b);
	assert_false(ynode_is_bool(ynode_get(root, "e"), &b));
	assert_null(ynode_get(root, "missing"));
	assert_null(ynode_get(ynode_get(root, "c"), "x"));
	parsed_free(&p);
}

/* Every class of first byte the type name is decided by, and the scalars
 * that start like one reading and are another (or none). */
static void
test_type_names_by_first_byte(void **state)
{
	static const struct {
		const char *yaml, *name;
	} cases[] = {
		{ "", "null" }, { "~", "null" }, { "null", "null" },
		{ "Null", "null" }, { "NULL", "null" }, { "nul", "string" },
		{ "nothing", "string" }, { "No", "string" }, { "~x", "string" },
		{ "true", "boolean" }, { "false", "boolean" }, { "tru", "string" },
		{ "falsey", "string" }, { "t", "string" }, { "True", "string" },
		{ "-1", "integer" }, { "+5", "integer" }, { "0", "integer" },
		{ "-x", "string" }, { "+", "string" }, { "9", "integer" },
		{ ".5", "number" }, { "1.5", "number" }, { "1e3", "number" },
		{ "1.", "number" }, { "-2.5E-3", "number" }, { ".", "string" },
		{ ".inf", "number" }, { "-.inf", "number" }, { "+.Inf", "number" },
		{ ".INF", "number" }, { ".nan", "number" }, { ".NaN", "number" },
		{ ".NAN", "number" }, { "-.nan", "string" }, { ".info", "string" },
		{ "10.0.0.1", "string" }, { "0x1F", "string" }, { "1_000", "string" },
		{ "99999999999999999999", "number" }, { "1e", "string" },
		{ "'1'", "string" }, { "\"true\"", "string" }, { "!!str 12", "string" },
		{ "''", "string" }, { "yes", "string" }, { "abc", "string" },
		{ "=x", "string" }, { "\"~\"", "string" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[64];
		struct parsed p;

		snprintf(buf, sizeof buf, "k: %s\n", cases[i].yaml);
		parse(&p, buf);
		if (p.rc != 0)
			fail_msg("%s: does not parse", cases[i].yaml);
		if (strcmp(ynode_type_name(ynode_get(p.docs[0].root, "k")),
		    cases[i].name) != 0)
			fail_msg("%s: %s, expected %s", cases[i].yaml,
			    ynode_type_name(ynode_get(p.docs[0].root, "k")),
			    cases[i].name);
		parsed_free(&p);
	}
}

static void
test_multi_document(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "a: 1\n---\nb: 2\n---\n# only a comment\n---\n- x\n");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ndocs, 4);
	assert_non_null(ynode_get(p.docs[0].root, "a"));
	assert_int_equal(p.docs[1].line, 2);
	assert_pos(p.docs[1].root, 3, 1);
	assert_null(p.docs[2].root);
	assert_int_equal(p.docs[3].root->type, YNODE_SEQUENCE);
	parsed_free(&p);

	parse(&p, "");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ndocs, 0);
	parsed_free(&p);
}

static void
test_alias_shares_node(void **state)
{
	struct parsed p;
	const struct ynode *root;

	(void)state;
	parse(&p, "base: &b {x: 1}\nuse: *b\nname: &n app\nagain: *n\n");
	assert_int_equal(p.rc, 0);
	root = p.docs[0].root;
	assert_ptr_equal(ynode_get(root, "base"), ynode_get(root, "use"));
	assert_ptr_equal(ynode_get(root, "name"), ynode_get(root, "again"));
	parsed_free(&p);
}

static void
test_alias_unknown_and_per_document(void **state)
{
	(void)state;
	assert_fails_with("a: *nope\n", 9, "t.yaml:1:4: error: unknown alias "
	    "\"*nope\" (no anchor \"&nope\" before it in this document)");
	/* Anchors do not cross documents. */
	assert_fails_with("a: &x 1\n---\nb: *x\n", 17, "t.yaml:3:4: error: "
	    "unknown alias \"*x\" (no anchor \"&x\" before it in this document)");
}

/* 9 levels of 10 aliases each: a billion nodes if expanded. */
static void
test_billion_laughs(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct parsed p;
	clock_t start;
	double secs;

	(void)state;
	strbuf_puts(&sb, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (int i = 1; i <= 9; i++) {
		strbuf_printf(&sb, "a%d: &a%d [", i, i);
		for (int j = 0; j < 10; j++)
			strbuf_printf(&sb, "%s*a%d", j ? ", " : "", i - 1);
		strbuf_puts(&sb, "]\n");
	}
	start = clock();
	parse_limits(&p, sb.buf, sb.len, NULL);
	secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_true(secs < 1.0);
	assert_int_equal(p.rc, -1);
	assert_int_equal(p.diags.n, 1);
	/* a0 is 11 nodes, a1 111, a2 1111; the aliases of a1 and a2 charge
	 * 110 + 1110, so the eighth "*a2" in a3 crosses 10,000. */
	assert_diag(&p.diags, 0, "t.yaml:4:45: error: aliases expand to more "
	    "than 10000 nodes in this file (at alias \"*a2\")");
	parsed_free(&p);
	strbuf_free(&sb);
}

static void
test_alias_limit_configurable(void **state)
{
	struct yaml_limits limits = { .max_alias_nodes = 5 };
	const char *buf = "a: &a [1, 2]\nb: *a\nc: *a\n";
	struct parsed p;

	(void)state;
	parse_limits(&p, buf, strlen(buf), &limits);
	assert_int_equal(p.rc, -1);
	assert_diag(&p.diags, 0, "t.yaml:3:4: error: aliases expand to more "
	    "than 5 nodes in this file (at alias \"*a\")");
	parsed_free(&p);
	limits.max_alias_nodes = 6;
	parse_limits(&p, buf, strlen(buf), &limits);
	assert_int_equal(p.rc, 0);
	parsed_free(&p);
}

static void
test_nesting_flow(void **state)
{
	char buf[256];

	(void)state;
	memset(buf, '[', 100);
	memset(buf + 100, ']', 100);
	buf[200] = '\0';
	assert_fails_with(buf, 200, "t.yaml:1:65: error: nesting is deeper "
	    "than 64 levels");
	/* Exactly 64 is fine. */
	memset(buf, '[', 64);
	memset(buf + 64, ']', 64);
	{
		struct parsed p;

		parse_limits(&p, buf, 128, NULL);
		assert_int_equal(p.rc, 0);
		parsed_free(&p);
	}
}

static void
test_nesting_block(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	for (int i = 0; i < 100; i++)
		strbuf_printf(&sb, "%*sk%d:\n", 2 * i, "", i);
	strbuf_printf(&sb, "%*sv\n", 200, "");
	/* The 65th mapping is the value of k63, starting at k64. */
	assert_fails_with(sb.buf, sb.len, "t.yaml:65:129: error: nesting is "
	    "deeper than 64 levels");
	strbuf_free(&sb);
}

/* An alias counts as deep as what it stands for. */
static void
test_nesting_through_alias(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_puts(&sb, "a: &deep ");
	for (int i = 0; i < 40; i++)
		strbuf_putc(&sb, '[');
	for (int i = 0; i < 40; i++)
		strbuf_putc(&sb, ']');
	strbuf_puts(&sb, "\nb: ");
	for (int i = 0; i < 30; i++)
		strbuf_putc(&sb, '[');
	strbuf_puts(&sb, "*deep");
	for (int i = 0; i < 30; i++)
		strbuf_putc(&sb, ']');
	strbuf_putc(&sb, '\n');
	assert_fails_with(sb.buf, sb.len, "t.yaml:2:34: error: nesting is deeper "
	    "than 64 levels (through alias \"*deep\")");
	strbuf_free(&sb);
}

static void
test_duplicate_keys(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct parsed p;

	(void)state;
	assert_fails_with("a: 1\nb: 2\na: 3\n", 15,
	    "t.yaml:3:1: error: duplicate key \"a\" (first at 1:1)");
	/* Every duplicate is reported, in small and large mappings. */
	for (int i = 0; i < 40; i++)
		strbuf_printf(&sb, "k%d: %d\n", i, i);
	strbuf_puts(&sb, "k7: again\nk30: again\n");
	parse_limits(&p, sb.buf, sb.len, NULL);
	assert_int_equal(p.rc, -1);
	assert_int_equal(p.diags.n, 2);
	assert_diag(&p.diags, 0, "t.yaml:41:1: error: duplicate key \"k7\" "
	    "(first at 8:1)");
	assert_diag(&p.diags, 1, "t.yaml:42:1: error: duplicate key \"k30\" "
	    "(first at 31:1)");
	parsed_free(&p);
	strbuf_free(&sb);
	/* Quoting does not make a different key. */
	assert_fails_with("spec: {a: 1, \"a\": 2}\n", 21,
	    "t.yaml:1:14: error: duplicate key \"a\" (first at 1:8)");
}

static void
test_complex_and_merge_keys(void **state)
{
	struct parsed p;

	(void)state;
	assert_fails_with("? [a, b]\n: 1\n", 13, "t.yaml:1:3: error: a mapping "
	    "key must be a string, not a sequence");
	assert_fails_with("{a: 1}: x\n", 10, "t.yaml:1:1: error: a mapping "
	    "key must be a string, not a mapping");
	assert_fails_with("base: &b {x: 1}\nmine:\n  <<: *b\n", 30,
	    "t.yaml:3:3: error: merge keys (<<) are not supported; write the "
	    "fields out");
	/* A quoted "<<" is an ordinary key. */
	parse(&p, "\"<<\": 1\n");
	assert_int_equal(p.rc, 0);
	parsed_free(&p);
	/* Both problems of one file are reported. */
	parse(&p, "? [a]\n: 1\nb: 1\nb: 2\n");
	assert_int_equal(p.rc, -1);
	assert_int_equal(p.diags.n, 2);
	parsed_free(&p);
}

static void
test_invalid_utf8_and_binary(void **state)
{
	(void)state;
	assert_fails_with("a: ok\nb: \xff\xfe\n", 12, "t.yaml:2:4: error: "
	    "invalid UTF-8 (bytes FF: invalid leading UTF-8 octet); YAML files "
	    "must be UTF-8 text");
	/* A bad continuation is shown from the start of its sequence. */
	assert_fails_with("a: x\xc3\xa9\xe2\x82" "x\n", 10, "t.yaml:1:6: error: "
	    "invalid UTF-8 (bytes E2 82 78: invalid trailing UTF-8 octet); YAML "
	    "files must be UTF-8 text");
	assert_fails_with("a: b\0c\n", 7, "t.yaml:1:5: error: the file contains "
	    "a NUL byte (is it a binary file?); YAML files must be UTF-8 text");
	assert_fails_with("\x7f" "ELF\x02\x01\x01\0\0\0", 10, "t.yaml:1:1: error: "
	    "the file contains the control character U+007F, which YAML does "
	    "not allow");
	assert_fails_with("a: \x07\n", 5, "t.yaml:1:4: error: the file contains "
	    "the control character U+0007, which YAML does not allow");
}

static void
test_truncated(void **state)
{
	(void)state;
	assert_fails_with("spec:\n  routes: [a, b\n", 22, "t.yaml:3:1: error: "
	    "did not find expected ',' or ']' (while parsing a flow sequence "
	    "at 2:11)");
	assert_fails_with("a: \"abc\n", 8, "t.yaml:2:1: error: found "
	    "unexpected end of stream (while scanning a quoted scalar at 1:4)");
	assert_fails_with("a:\n  b: 1\n c: 2\n", 16, "t.yaml:3:2: error: did "
	    "not find expected key (while parsing a block mapping at 1:1)");
	assert_fails_with("a:\n\tb: 1\n", 9, "t.yaml:2:1: error: found a tab "
	    "character: YAML indents with spaces only");
}

/* Scalars are not zeroed when allocated (yparse_scalar): each must still
 * end at its length, whatever the arena held before. The arena here is
 * filled with 0xA5 and released first, so a scalar lands in dirty
 * memory; the long one gets a block of its own, fresh from malloc. */
static void
parse_dirty(struct parsed *p, const char *buf, size_t len)
{
	struct arena_mark m;

	arena_init(&p->arena);
	diag_list_init(&p->diags);
	m = arena_mark(&p->arena);
	for (int i = 0; i < 2048; i++)
		memset(arena_alloc_nozero(&p->arena, 64), 0xA5, 64);
	arena_release(&p->arena, &m);
	p->rc = yaml_parse("t.yaml", buf, len, NULL, &p->arena, &p->docs,
	    &p->ndocs, &p->diags);
}

static void
assert_scalar(const struct ynode *n, const char *value, size_t len, bool plain)
{
	assert_non_null(n);
	assert_int_equal(n->type, YNODE_SCALAR);
	assert_int_equal(n->scalar.len, len);
	assert_int_equal(strlen(n->scalar.value), len);
	assert_memory_equal(n->scalar.value, value, len);
	assert_int_equal(n->scalar.plain, plain);
}

static void
test_scalars_in_dirty_memory(void **state)
{
	enum { LONG = 70000 };
	struct strbuf sb = STRBUF_INIT;
	struct parsed p;
	const struct ynode *root, *seq;
	char *x = malloc(LONG + 1);

	(void)state;
	memset(x, 'x', LONG);
	x[LONG] = '\0';
	strbuf_puts(&sb, "a: &x hello\nb: *x\nc: \"quoted\"\nd: !!str 80\n"
	    "---\ne: [1, two, '', &y z]\nf: *y\nlong: ");
	strbuf_puts(&sb, x);
	strbuf_puts(&sb, "\n");
	parse_dirty(&p, sb.buf, sb.len);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ndocs, 2);
	root = p.docs[0].root;
	assert_scalar(ynode_get(root, "a"), "hello", 5, true);
	assert_ptr_equal(ynode_get(root, "b"), ynode_get(root, "a"));
	assert_scalar(ynode_get(root, "c"), "quoted", 6, false);
	assert_scalar(ynode_get(root, "d"), "80", 2, false);
	assert_scalar(root->map.items[3].key, "d", 1, true);
	root = p.docs[1].root;
	seq = ynode_get(root, "e");
	assert_int_equal(seq->seq.n, 4);
	assert_scalar(seq->seq.items[0], "1", 1, true);
	assert_scalar(seq->seq.items[1], "two", 3, true);
	assert_scalar(seq->seq.items[2], "", 0, false);
	assert_ptr_equal(ynode_get(root, "f"), seq->seq.items[3]);
	assert_scalar(ynode_get(root, "long"), x, LONG, true);
	parsed_free(&p);

	/* Only a double-quoted scalar's escapes can hold a NUL, and only
	 * those are marked. */
	{
		static const char nuls[] = "a: \"x\\0y\"\nb: \"xy\"\n"
		    "c: 'x\\0y'\nd: x\\0y\ne: |\n  x\\0y\n";

		parse_dirty(&p, nuls, sizeof nuls - 1);
	}
	assert_int_equal(p.rc, 0);
	root = p.docs[0].root;
	assert_int_equal(ynode_get(root, "a")->scalar.len, 3);
	assert_true(ynode_get(root, "a")->scalar.nul);
	assert_false(ynode_get(root, "b")->scalar.nul);
	assert_scalar(ynode_get(root, "c"), "x\\0y", 4, false);
	assert_false(ynode_get(root, "c")->scalar.nul);
	assert_scalar(ynode_get(root, "d"), "x\\0y", 4, true);
	assert_false(ynode_get(root, "d")->scalar.nul);
	assert_scalar(ynode_get(root, "e"), "x\\0y\n", 5, false);
	assert_false(ynode_get(root, "e")->scalar.nul);
	for (size_t i = 0; i < root->map.n; i++)
		assert_false(root->map.items[i].key->scalar.nul);
	parsed_free(&p);

	/* A message quoting a key reads it up to its terminator. */
	parse_dirty(&p, "k: 1\nkk: 2\nk: 3\n", 16);
	assert_int_equal(p.rc, -1);
	assert_int_equal(p.diags.n, 1);
	assert_diag(&p.diags, 0, "t.yaml:3:1: error: duplicate key \"k\" "
	    "(first at 1:1)");
	parsed_free(&p);
	strbuf_free(&sb);
	free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_plain_flag),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_alias_shares_node),
		cmocka_unit_test(test_alias_unknown_and_per_document),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_alias_limit_configurable),
		cmocka_unit_test(test_nesting_flow),
		cmocka_unit_test(test_nesting_block),
		cmocka_unit_test(test_nesting_through_alias),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_complex_and_merge_keys),
		cmocka_unit_test(test_invalid_utf8_and_binary),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_scalars_in_dirty_memory),
		cmocka_unit_test(test_type_names_by_first_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
