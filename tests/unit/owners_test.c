/* FQDN ownership (SPEC §6a, src/dag/owners.c): the ledger of first-seen
 * claims (record, encode, decode, every way a file can be corrupt),
 * policy.fqdn-owners patterns and config errors, the DAG's verdict from
 * a ledger, and a pipeline that keeps an owner across a restart while an
 * incremental build still equals a whole one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

/* By path: an old autoconf "config.h" may linger in the build directory. */
#include "../../src/config.h"
#include "dag/dag.h"
#include "dag/owners.h"
#include "fixture.h"
#include "pipeline.h"
#include "source/source.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* --- the ledger ---------------------------------------------------------- */

static const struct fqdn_claim_ref three[] = {
	/* Not in path order: record sorts the new ones by file, then line. */
	{ "shop.example.com", "shop", "site", "shop/site.yaml", 5 },
	{ "shop.example.com", "blog", "grab", "blog/grab.yaml", 5 },
	{ "a.example.com", "a", "root", "a/root.yaml", 9 },
};

static void
test_ledger_record(void **state)
{
	struct fqdn_ledger l;
	struct fqdn_claim_ref two[2];

	(void)state;
	fqdn_ledger_init(&l);
	assert_int_equal(fqdn_ledger_seq(&l, "shop.example.com", "shop", "site"),
	    FQDN_SEQ_UNSEEN);
	/* First seen together: path order (a/, blog/, shop/). */
	assert_true(fqdn_ledger_record(&l, three, 3));
	assert_int_equal(l.n, 3);
	assert_int_equal(fqdn_ledger_seq(&l, "a.example.com", "a", "root"), 0);
	assert_int_equal(fqdn_ledger_seq(&l, "shop.example.com", "blog", "grab"), 1);
	assert_int_equal(fqdn_ledger_seq(&l, "shop.example.com", "shop", "site"), 2);
	assert_int_equal(l.next_seq, 3);
	/* The same claims again: nothing changes. */
	assert_false(fqdn_ledger_record(&l, three, 3));
	/* blog's claim goes, then comes back: it is a newcomer now. */
	two[0] = three[0];
	two[1] = three[2];
	assert_true(fqdn_ledger_record(&l, two, 2));
	assert_int_equal(fqdn_ledger_seq(&l, "shop.example.com", "blog", "grab"),
	    FQDN_SEQ_UNSEEN);
	assert_true(fqdn_ledger_record(&l, three, 3));
	assert_int_equal(fqdn_ledger_seq(&l, "shop.example.com", "blog", "grab"), 3);
	assert_int_equal(fqdn_ledger_seq(&l, "shop.example.com", "shop", "site"), 2);
	/* Known claims keep their seq, whichever file they moved to. */
	two[0] = three[0];
	two[0].file = "shop/0-moved.yaml";
	two[1] = three[1];
	assert_true(fqdn_ledger_record(&l, two, 2));
	assert_int_equal(fqdn_ledger_seq(&l, "shop.example.com", "shop", "site"), 2);
	assert_int_equal(fqdn_ledger_seq(&l, "shop.example.com", "blog", "grab"), 3);
	/* Nothing claimed: an empty ledger. */
	assert_true(fqdn_ledger_record(&l, NULL, 0));
	assert_int_equal(l.n, 0);
	fqdn_ledger_free(&l);
}

static void
test_ledger_roundtrip(void **state)
{
	struct fqdn_ledger l, back;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	char *err = NULL;

	(void)state;
	fqdn_ledger_init(&l);
	fqdn_ledger_record(&l, three, 3);
	fqdn_ledger_encode(&l, &a);
	assert_non_null(strstr(a.buf, "cairn-fqdn-owners 1\nnext 3\n"
	    "0 a.example.com a/root\n1 shop.example.com blog/grab\n"
	    "2 shop.example.com shop/site\nend 3 "));
	assert_int_equal(fqdn_ledger_decode(&back, a.buf, a.len, &err), 0);
	assert_null(err);
	assert_int_equal(back.n, 3);
	assert_int_equal(back.next_seq, 3);
	assert_int_equal(fqdn_ledger_seq(&back, "shop.example.com", "shop", "site"), 2);
	fqdn_ledger_encode(&back, &b);
	assert_string_equal(a.buf, b.buf);
	/* An empty ledger round-trips too. */
	fqdn_ledger_free(&back);
	fqdn_ledger_free(&l);
	strbuf_reset(&a);
	fqdn_ledger_encode(&l, &a);
	assert_int_equal(fqdn_ledger_decode(&back, a.buf, a.len, &err), 0);
	assert_int_equal(back.n, 0);
	fqdn_ledger_free(&back);
	strbuf_free(&a);
	strbuf_free(&b);
}

/* text + a correct "end" line for it (so only the part under test is
 * wrong). */
static char *
with_end(const char *text, size_t count)
{
	char hex[17];

	hash_hex(hash_bytes(text, strlen(text)), hex);
	return xasprintf("%send %zu %s\n", text, count, hex);
}

static void
assert_corrupt(const char *buf, size_t len, const char *why)
{
	struct fqdn_ledger l;
	char *err = NULL;

	if (fqdn_ledger_decode(&l, buf, len, &err) == 0)
		fail_msg("decoded a corrupt ledger (%s): %.*s", why, (int)len, buf);
	assert_non_null(err);
	if (strncmp(err, "line ", 5) != 0)
		fail_msg("%s: the error names no line: %s", why, err);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	free(err);
}

static void
test_ledger_corrupt(void **state)
{
	struct fqdn_ledger l;
	struct strbuf good = STRBUF_INIT;
	char *s;
	static const struct {
		const char *text;
		size_t count;
		const char *why;
	} crafted[] = {
		{ "cairn-fqdn-owners 1\nnext 5\n1 b.example.com a/x\n0 a.example.com a/x\n",
		  2, "unsorted" },
		{ "cairn-fqdn-owners 1\nnext 5\n1 a.example.com a/x\n2 a.example.com a/x\n",
		  2, "a claim twice" },
		{ "cairn-fqdn-owners 1\nnext 2\n2 a.example.com a/x\n", 1, "seq >= next" },
		{ "cairn-fqdn-owners 1\nnext 2\n1 a.example.com ax\n", 1, "no slash" },
		{ "cairn-fqdn-owners 1\nnext 2\n1 a.example.com a/x/y\n", 1, "two slashes" },
		{ "cairn-fqdn-owners 1\nnext 2\nx a.example.com a/x\n", 1, "seq not a number" },
		{ "cairn-fqdn-owners 1\nnext 2\n1  a/x\n", 1, "empty fqdn" },
		{ "cairn-fqdn-owners 1\nnext two\n", 0, "next not a number" },
		{ "cairn-fqdn-owners 2\nnext 0\n", 0, "another version" },
	};

	(void)state;
	fqdn_ledger_init(&l);
	fqdn_ledger_record(&l, three, 3);
	fqdn_ledger_encode(&l, &good);
	fqdn_ledger_free(&l);

	assert_corrupt("", 0, "empty");
	assert_corrupt(good.buf, good.len - 1, "no final newline");
	/* Torn at every line boundary: the end line is missing. */
	for (size_t i = 1; i + 1 < good.len; i++)
		if (good.buf[i - 1] == '\n')
			assert_corrupt(good.buf, i, "torn");
	/* One byte changed anywhere: the checksum, the syntax or the
	 * count catches it. */
	for (size_t i = 0; i < good.len; i++) {
		char *bad = xmemdup(good.buf, good.len);

		if (bad[i] == '\n')
			bad[i] = ' ';
		else
			bad[i] = bad[i] == 'x' ? 'y' : 'x';
		assert_corrupt(bad, good.len, "a byte changed");
		free(bad);
	}
	s = xasprintf("%s0 z.example.com z/z\n", good.buf);
	assert_corrupt(s, strlen(s), "text after the end");
	free(s);
	s = xmemdup(good.buf, good.len + 1);
	s[10] = '\0';
	assert_corrupt(s, good.len, "a NUL byte");
	free(s);
	for (size_t i = 0; i < sizeof crafted / sizeof crafted[0]; i++) {
		s = with_end(crafted[i].text, crafted[i].count);
		assert_corrupt(s, strlen(s), crafted[i].why);
		free(s);
	}
	strbuf_free(&good);
}

static void
test_patterns(void **state)
{
	static const struct {
		const char *pattern, *fqdn;
		bool allows;
	} cases[] = {
		{ "shop.example.com", "shop.example.com", true },
		{ "shop.example.com", "SHOP.example.com", true },
		{ "shop.example.com", "www.shop.example.com", false },
		{ "shop.example.com", "*.shop.example.com", false },
		{ "*.example.com", "shop.example.com", true },
		{ "*.example.com", "a.b.example.com", true },
		{ "*.example.com", "example.com", false },
		{ "*.example.com", "badexample.com", false },
		{ "*.example.com", "*.example.com", true },
		{ "*.example.com", "*.shop.example.com", true },
		{ "*.shop.example.com", "*.example.com", false },
		{ "*.example.com", "shop.example.org", false },
		{ "*", "anything.example.org", true },
		{ "*", "*.example.org", true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (fqdn_pattern_allows(cases[i].pattern, cases[i].fqdn) != cases[i].allows)
			fail_msg("pattern \"%s\" %s \"%s\"", cases[i].pattern,
			    cases[i].allows ? "must allow" : "must not allow",
			    cases[i].fqdn);
}

/* --- config -------------------------------------------------------------- */

static void
test_config(void **state)
{
	static const char good[] =
	    "policy:\n  fqdn-owners:\n    shop: [shop.example.com, \"*.shop.example.com\"]\n"
	    "    blog: [\"*\"]\n";
	static const char bad[] =
	    "policy:\n  fqdn-owners:\n    Shop: [shop.example.com]\n"
	    "    blog: blog.example.com\n    web: [\"*.\", \"x..y\", [a]]\n";
	static const char *const want[] = {
		"cairn.yaml:3:5: error: policy.fqdn-owners: namespace \"Shop\"",
		"cairn.yaml:4:11: error: policy.fqdn-owners.blog: expected a list",
		"cairn.yaml:5:11: error: policy.fqdn-owners.web[0]: \"*.\" is not an FQDN pattern",
		"cairn.yaml:5:17: error: policy.fqdn-owners.web[1]: \"x..y\" is not an FQDN pattern",
		"cairn.yaml:5:25: error: policy.fqdn-owners.web[2]: expected an FQDN pattern",
	};
	struct cairn_config c;
	struct diag_list dl;
	char buf[1024];

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(c.policy.nfqdn_owners, 0);
	diag_list_init(&dl);
	assert_int_equal(config_load_buffer(&c, "cairn.yaml", good, strlen(good), &dl), 0);
	assert_int_equal(c.policy.nfqdn_owners, 2);
	assert_string_equal(c.policy.fqdn_owners[0].namespace, "shop");
	assert_int_equal(c.policy.fqdn_owners[0].npatterns, 2);
	assert_string_equal(c.policy.fqdn_owners[0].patterns[1], "*.shop.example.com");
	assert_string_equal(c.policy.fqdn_owners[1].patterns[0], "*");
	config_free(&c);
	diag_list_free(&dl);

	config_init_defaults(&c);
	diag_list_init(&dl);
	assert_int_equal(config_load_buffer(&c, "cairn.yaml", bad, strlen(bad), &dl), -1);
	if (dl.n != sizeof want / sizeof want[0]) {
		for (size_t i = 0; i < dl.n; i++)
			diag_print(stderr, &dl.items[i]);
		fail_msg("%zu errors, expected %zu", dl.n, sizeof want / sizeof want[0]);
	}
	for (size_t i = 0; i < dl.n; i++) {
		diag_format(&dl.items[i], buf, sizeof buf);
		if (strncmp(buf, want[i], strlen(want[i])) != 0)
			fail_msg("error %zu: \"%s\", expected it to start \"%s\"", i, buf,
			    want[i]);
	}
	/* A bad file changes nothing. */
	assert_int_equal(c.policy.nfqdn_owners, 0);
	config_free(&c);
	diag_list_free(&dl);
}

/* --- pipeline and DAG ------------------------------------------------------ */

#define ROOT(name, fqdn) \
	"apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: " name "}\n" \
	"spec:\n  virtualhost: {fqdn: " fqdn "}\n" \
	"  routes: [{services: [{name: web, port: 80}]}]\n---\n" \
	"apiVersion: v1\nkind: Service\nmetadata: {name: web}\n" \
	"spec: {ports: [{port: 80}]}\n"
#define PASSTHROUGH(name, fqdn) \
	"apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: " name "}\n" \
	"spec:\n  virtualhost: {fqdn: " fqdn ", tls: {passthrough: true}}\n" \
	"  tcpproxy: {services: [{name: pg, port: 5432}]}\n---\n" \
	"apiVersion: v1\nkind: Service\nmetadata: {name: pg}\n" \
	"spec: {ports: [{port: 5432}]}\n"

/* Sets (data != NULL) or removes path. */
static void
files_set(struct source_files *sf, const char *path, const char *data)
{
	if (data != NULL)
		fixture_files_set(sf, path, data);
	else
		fixture_files_remove(sf, path);
}

static const struct dag_object_status *
proxy_status(const struct dag *dag, const char *ns, const char *name)
{
	for (size_t i = 0; i < dag->nstatuses; i++)
		if (dag_status_at(dag, i)->kind == OBJ_HTTPPROXY &&
		    strcmp(dag_status_at(dag, i)->namespace, ns) == 0 &&
		    strcmp(dag_status_at(dag, i)->name, name) == 0)
			return dag_status_at(dag, i);
	fail_msg("no HTTPProxy %s/%s", ns, name);
	return NULL;
}

static bool
has_reason(const struct dag_object_status *st, const char *reason,
    const char *in_message)
{
	for (size_t i = 0; i < st->nconditions; i++)
		if (strcmp(st->conditions[i].reason, reason) == 0 &&
		    (in_message == NULL ||
		    strstr(st->conditions[i].message, in_message) != NULL))
			return true;
	return false;
}

/* A build, compared with a whole build of the same files and ledger
 * (the incremental DAG must say the same about every object); returns
 * the result for the caller to look at. */
static void
build(struct pipeline *p, const struct source_files *sf,
    const struct cairn_config *cfg, struct build_result *r)
{
	struct translate_options to;
	struct dag *whole;

	translate_options_init(&to);
	pipeline_build(p, sf, cfg, &to, r);
	whole = pipeline_whole_dag(p, cfg);
	assert_int_equal(r->dag->nstatuses, whole->nstatuses);
	for (size_t i = 0; i < whole->nstatuses; i++) {
		const struct dag_object_status *x = dag_status_at(r->dag, i);
		const struct dag_object_status *y = dag_status_at(whole, i);

		assert_string_equal(x->name, y->name);
		assert_string_equal(x->namespace, y->namespace);
		if (x->status != y->status || x->nconditions != y->nconditions)
			fail_msg("%s/%s: incremental %s (%zu conditions), whole %s (%zu)",
			    x->namespace, x->name, dag_status_name(x->status),
			    x->nconditions, dag_status_name(y->status), y->nconditions);
	}
	assert_int_equal(r->dag->nvhosts, whole->nvhosts);
	dag_free(whole);
}

static void
assert_owner(const struct dag *dag, const char *winner_ns, const char *winner,
    const char *loser_ns, const char *loser)
{
	const struct dag_object_status *w = proxy_status(dag, winner_ns, winner);
	const struct dag_object_status *l = proxy_status(dag, loser_ns, loser);
	char owner[128];

	snprintf(owner, sizeof owner, "HTTPProxy %s/%s", winner_ns, winner);
	if (w->status != DAG_STATUS_VALID)
		fail_msg("%s/%s must own the FQDN, it is %s", winner_ns, winner,
		    dag_status_name(w->status));
	if (l->status != DAG_STATUS_INVALID || !has_reason(l, "DuplicateVhost", owner))
		fail_msg("%s/%s must be DuplicateVhost naming %s", loser_ns, loser,
		    owner);
}

/* The owner keeps its FQDN when a newcomer whose file sorts first
 * arrives, across a restart (the ledger encoded and decoded), and the
 * newcomer takes it only when the owner's claim goes. Without a ledger
 * (a first start) path order decides. Other groups are reused. */
static void
test_pipeline_first_claim_wins(void **state)
{
	struct source_files sf = { 0 };
	struct cairn_config cfg;
	struct pipeline *p, *q;
	struct build_result r;
	struct fqdn_ledger l;
	struct strbuf sb = STRBUF_INIT;
	char *err;

	(void)state;
	config_init_defaults(&cfg);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("t");
	files_set(&sf, "shop/site.yaml", ROOT("site", "shop.example.com"));
	files_set(&sf, "k/other.yaml", ROOT("other", "k.example.com"));
	files_set(&sf, "shop/db.yaml", PASSTHROUGH("db", "db.example.com"));
	p = pipeline_new(NULL);
	build(p, &sf, &cfg, &r);
	assert_true(r.owners_changed);
	build_result_free(&r);

	/* blog/ sorts before shop/: without the ledger it would win. */
	files_set(&sf, "blog/grab.yaml", ROOT("grab", "shop.example.com"));
	files_set(&sf, "blog/db.yaml", PASSTHROUGH("grab-db", "db.example.com"));
	build(p, &sf, &cfg, &r);
	assert_true(r.owners_changed);
	assert_owner(r.dag, "shop", "site", "blog", "grab");
	assert_owner(r.dag, "shop", "db", "blog", "grab-db");
	assert_true(pipeline_dag_stats(p).reused >= 1); /* k/ */
	build_result_free(&r);
	/* Nothing new: the ledger is not written again. */
	build(p, &sf, &cfg, &r);
	assert_false(r.owners_changed);
	build_result_free(&r);

	/* Restart: the ledger as saved, read back. */
	fqdn_ledger_encode(pipeline_owners(p), &sb);
	assert_int_equal(fqdn_ledger_decode(&l, sb.buf, sb.len, &err), 0);
	q = pipeline_new(NULL);
	pipeline_set_owners(q, &l);
	fqdn_ledger_free(&l);
	build(q, &sf, &cfg, &r);
	assert_false(r.owners_changed);
	assert_owner(r.dag, "shop", "site", "blog", "grab");
	assert_owner(r.dag, "shop", "db", "blog", "grab-db");
	build_result_free(&r);
	pipeline_free(q);

	/* A first start (no ledger, or a corrupt one discarded): path order,
	 * what `cairn check` says of the same tree. */
	q = pipeline_new(NULL);
	build(q, &sf, &cfg, &r);
	assert_owner(r.dag, "blog", "grab", "shop", "site");
	build_result_free(&r);
	pipeline_free(q);

	/* The owner's claim goes: the newcomer takes the FQDN. */
	files_set(&sf, "shop/site.yaml", ROOT("site", "www.example.com"));
	build(p, &sf, &cfg, &r);
	assert_int_equal(proxy_status(r.dag, "blog", "grab")->status, DAG_STATUS_VALID);
	assert_int_equal(proxy_status(r.dag, "shop", "site")->status, DAG_STATUS_VALID);
	build_result_free(&r);
	/* ... and keeps it when the old owner claims it again. */
	files_set(&sf, "shop/site.yaml", ROOT("site", "shop.example.com"));
	build(p, &sf, &cfg, &r);
	assert_owner(r.dag, "blog", "grab", "shop", "site");
	build_result_free(&r);

	strbuf_free(&sb);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* policy.fqdn-owners: a claim outside its namespace's patterns is
 * FQDNNotAllowedInNamespace whether or not anyone else claims it, and it
 * holds nothing: the allowed claimant is served even if the refused one
 * was seen first. */
static void
test_fqdn_owners_policy(void **state)
{
	static const char yaml[] = "policy:\n  fqdn-owners:\n"
	    "    shop: [\"*.shop.example.com\", shop.example.com]\n"
	    "    web: [\"*\"]\n    empty: []\n";
	struct source_files sf = { 0 };
	struct cairn_config cfg;
	struct diag_list dl;
	struct pipeline *p;
	struct build_result r;
	const struct dag_object_status *st;

	(void)state;
	config_init_defaults(&cfg);
	diag_list_init(&dl);
	assert_int_equal(config_load_buffer(&cfg, "cairn.yaml", yaml, strlen(yaml), &dl), 0);
	diag_list_free(&dl);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("t");
	/* blog is not listed; seen first, sorting first. */
	files_set(&sf, "blog/grab.yaml", ROOT("grab", "shop.example.com"));
	p = pipeline_new(NULL);
	build(p, &sf, &cfg, &r);
	st = proxy_status(r.dag, "blog", "grab");
	assert_int_equal(st->status, DAG_STATUS_INVALID);
	assert_true(has_reason(st, "FQDNNotAllowedInNamespace", "no FQDN patterns"));
	build_result_free(&r);
	files_set(&sf, "shop/site.yaml", ROOT("site", "shop.example.com"));
	files_set(&sf, "shop/api.yaml", ROOT("api", "api.shop.example.com"));
	files_set(&sf, "shop/bad.yaml", ROOT("bad", "example.com"));
	files_set(&sf, "web/any.yaml", ROOT("any", "any.example.org"));
	files_set(&sf, "empty/x.yaml", ROOT("x", "x.example.org"));
	build(p, &sf, &cfg, &r);
	assert_int_equal(proxy_status(r.dag, "shop", "site")->status, DAG_STATUS_VALID);
	assert_int_equal(proxy_status(r.dag, "shop", "api")->status, DAG_STATUS_VALID);
	assert_int_equal(proxy_status(r.dag, "web", "any")->status, DAG_STATUS_VALID);
	st = proxy_status(r.dag, "shop", "bad");
	assert_true(has_reason(st, "FQDNNotAllowedInNamespace",
	    "allows it only \"*.shop.example.com\", \"shop.example.com\""));
	assert_true(has_reason(proxy_status(r.dag, "empty", "x"),
	    "FQDNNotAllowedInNamespace", NULL));
	assert_false(has_reason(proxy_status(r.dag, "blog", "grab"), "DuplicateVhost", NULL));
	build_result_free(&r);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* dag_build_owned is the pure part: the ledger alone decides. */
static void
test_dag_order_from_ledger(void **state)
{
	static const char a[] = ROOT("one", "x.example.com");
	static const char b[] = ROOT("two", "x.example.com");
	struct loaded_file *fa = load_buffer("a/one.yaml", "a", a, strlen(a), NULL);
	struct loaded_file *fb = load_buffer("b/two.yaml", "b", b, strlen(b), NULL);
	struct object *objs[4];
	struct fqdn_ledger l;
	struct dag *dag;

	(void)state;
	assert_true(fa->ok && fb->ok);
	objs[0] = fa->objects[0];
	objs[1] = fa->objects[1];
	objs[2] = fb->objects[0];
	objs[3] = fb->objects[1];
	dag = dag_build_owned(objs, 4, NULL, NULL);
	assert_owner(dag, "a", "one", "b", "two");
	dag_free(dag);
	fqdn_ledger_init(&l);
	fqdn_ledger_put(&l, "x.example.com", "b", "two", 7);
	fqdn_ledger_put(&l, "x.example.com", "a", "one", 8);
	dag = dag_build_owned(objs, 4, NULL, &l);
	assert_owner(dag, "b", "two", "a", "one");
	dag_free(dag);
	/* A claim the ledger does not know is newer than any it knows. */
	fqdn_ledger_free(&l);
	fqdn_ledger_put(&l, "x.example.com", "b", "two", 7);
	dag = dag_build_owned(objs, 4, NULL, &l);
	assert_owner(dag, "b", "two", "a", "one");
	dag_free(dag);
	fqdn_ledger_free(&l);
	loaded_file_free(fa);
	loaded_file_free(fb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger_record),
		cmocka_unit_test(test_ledger_roundtrip),
		cmocka_unit_test(test_ledger_corrupt),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_dag_order_from_ledger),
		cmocka_unit_test(test_pipeline_first_claim_wins),
		cmocka_unit_test(test_fqdn_owners_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
