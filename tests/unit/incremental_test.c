/* What makes rebuilds cheap must not change what they build: the
 * translate cache (every golden input, whole and with each file removed
 * or altered, against a fresh translation of the same DAG), the DAG
 * patched from the last assembly (random changes to an ordered tree), parallel
 * loading (against one thread), the directory source's shared bytes and
 * the arena's marks. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "diff/diff.h"
#include "pipeline.h"
#include "source/dir.h"
#include "util/arena.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* --- helpers ------------------------------------------------------------- */

static bool same_str(const char *a, const char *b);

static void
assert_same_snapshot(const struct snapshot *a, const struct snapshot *b,
    const char *what)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const struct xds_resource_set *x = &a->types[t], *y = &b->types[t];

		if (x->n != y->n || x->version != y->version)
			fail_msg("%s: %s: %zu resources (version %s) where a fresh "
			    "translation has %zu (%s)", what,
			    xds_type_short((enum xds_type)t), x->n, x->version_hex,
			    y->n, y->version_hex);
		for (size_t i = 0; i < x->n; i++) {
			const struct xds_resource *r = xds_set_at(x, i), *s = xds_set_at(y, i);

			if (strcmp(r->name, s->name) != 0 || r->len != s->len ||
			    r->version != s->version || r->named_only != s->named_only ||
			    memcmp(xds_resource_bytes(r), xds_resource_bytes(s),
			    r->len) != 0)
				fail_msg("%s: %s %s differs from a fresh translation",
				    what, xds_type_short((enum xds_type)t), r->name);
			/* What the warming gate reads: an EDS Cluster's
			 * endpoints come with a reused blob. */
			if (!same_str(r->endpoints, s->endpoints) ||
			    r->nuses != s->nuses)
				fail_msg("%s: %s %s: endpoints %s, %zu uses where a "
				    "fresh translation has %s, %zu", what,
				    xds_type_short((enum xds_type)t), r->name,
				    r->endpoints ? r->endpoints : "none", r->nuses,
				    s->endpoints ? s->endpoints : "none", s->nuses);
		}
	}
}

/* A copy of files without file `skip` (or all of them: skip = n) and
 * with file `alter` (or none) changed by swapping one byte value for
 * another everywhere (a digit for another: ports, weights, timeouts; or
 * a letter: names, headers, paths). */
static void
files_variant(struct source_files *out, const struct source_files *in,
    size_t skip, size_t alter, char from, char to)
{
	memset(out, 0, sizeof *out);
	diag_list_init(&out->diags);
	out->revision = xstrdup(in->revision);
	for (size_t i = 0; i < in->n; i++) {
		struct source_file f = { 0 };

		if (i == skip)
			continue;
		f.path = xstrdup(in->files[i].path);
		f.ns = xstrdup(in->files[i].ns);
		f.data = xmemdup(in->files[i].data, in->files[i].len + 1);
		f.len = in->files[i].len;
		if (i == alter)
			for (size_t k = 0; k < f.len; k++)
				if (f.data[k] == from)
					f.data[k] = to;
		f.hash = hash_bytes(f.data, f.len);
		ARRAY_PUSH(out->files, out->n, out->cap, f);
	}
}

/* The value after the `nth` ": " of data changed in place, in *out:
 * strings get a letter, numbers a digit, booleans flip (block and flow
 * style alike). Most variants still load and change one thing the DAG
 * reads. False when there is no such value. */
static bool
alter_value(const char *data, size_t nth, char **out)
{
	const char *v = data, *e;
	struct strbuf sb = STRBUF_INIT;
	bool quoted;

	for (size_t k = 0; k <= nth; k++) {
		if ((v = strstr(v, ": ")) == NULL)
			return false;
		v += 2;
	}
	while (*v == ' ')
		v++;
	quoted = *v == '"' || *v == '\'';
	e = v + quoted;
	while (*e != '\0' && *e != '\n' && *e != ',' && *e != '}' && *e != ']' &&
	    (quoted ? *e != *v : *e != ' '))
		e++;
	if (e == v + quoted || strchr("{[|>&*!#", *v) != NULL)
		return false;
	strbuf_add(&sb, data, (size_t)(v - data));
	if (!quoted && e - v == 4 && strncmp(v, "true", 4) == 0)
		strbuf_puts(&sb, "false");
	else if (!quoted && e - v == 5 && strncmp(v, "false", 5) == 0)
		strbuf_puts(&sb, "true");
	else {
		strbuf_add(&sb, v, (size_t)(e - v));
		strbuf_putc(&sb, e[-1] >= '0' && e[-1] <= '9' ? '7' : 'z');
	}
	strbuf_puts(&sb, e);
	*out = strbuf_detach(&sb, NULL);
	return true;
}

/* files with file `which` replaced by data (taken). */
static void
files_with(struct source_files *out, const struct source_files *in,
    size_t which, char *data)
{
	files_variant(out, in, in->n, in->n, 0, 0);
	free(out->files[which].data);
	out->files[which].data = data;
	out->files[which].len = strlen(data);
	out->files[which].hash = hash_bytes(data, out->files[which].len);
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_gw_conditions(const struct dag_gw_condition *a, size_t na,
    const struct dag_gw_condition *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!same_str(a[i].type, b[i].type) || a[i].status != b[i].status ||
		    !same_str(a[i].reason, b[i].reason) ||
		    !same_str(a[i].message, b[i].message))
			return false;
	return true;
}

/* Gateway API's own status: conditions, listeners (attachedRoutes) and
 * parents, as a fresh build has them. */
static bool
same_gw_status(const struct dag_gw_status *x, const struct dag_gw_status *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	if (!same_gw_conditions(x->conditions, x->nconditions, y->conditions,
	    y->nconditions) || x->nlisteners != y->nlisteners ||
	    x->nparents != y->nparents)
		return false;
	for (size_t i = 0; i < x->nlisteners; i++) {
		const struct dag_gw_listener_status *a = &x->listeners[i];
		const struct dag_gw_listener_status *b = &y->listeners[i];

		if (!same_str(a->name, b->name) ||
		    a->attached_routes != b->attached_routes ||
		    a->nsupported_kinds != b->nsupported_kinds ||
		    !same_gw_conditions(a->conditions, a->nconditions,
		    b->conditions, b->nconditions))
			return false;
		for (size_t k = 0; k < a->nsupported_kinds; k++)
			if (!same_str(a->supported_kinds[k], b->supported_kinds[k]))
				return false;
	}
	for (size_t i = 0; i < x->nparents; i++) {
		const struct dag_gw_parent_status *a = &x->parents[i];
		const struct dag_gw_parent_status *b = &y->parents[i];

		if (!same_str(a->group, b->group) || !same_str(a->kind, b->kind) ||
		    !same_str(a->namespace, b->namespace) ||
		    !same_str(a->name, b->name) ||
		    !same_str(a->section_name, b->section_name) ||
		    a->port != b->port || !same_gw_conditions(a->conditions,
		    a->nconditions, b->conditions, b->nconditions))
			return false;
	}
	return true;
}

static void
assert_same_status(const struct dag_object_status *x,
    const struct dag_object_status *y, const char *what)
{
	bool same = x->kind == y->kind && same_str(x->namespace, y->namespace) &&
	    same_str(x->name, y->name) && same_str(x->origin.file, y->origin.file) &&
	    x->origin.line == y->origin.line && x->origin.col == y->origin.col &&
	    x->status == y->status && same_str(x->description, y->description) &&
	    x->nconditions == y->nconditions && x->not_after == y->not_after &&
	    same_gw_status(x->gw, y->gw);

	for (size_t c = 0; same && c < x->nconditions; c++) {
		const struct dag_condition *a = &x->conditions[c], *b = &y->conditions[c];

		same = same_str(a->type, b->type) && same_str(a->reason, b->reason) &&
		    same_str(a->message, b->message) && a->warning == b->warning &&
		    same_str(a->origin.file, b->origin.file) &&
		    a->origin.line == b->origin.line && a->origin.col == b->origin.col;
	}
	if (!same)
		fail_msg("%s: status of %s %s/%s differs from a fresh build (%s / %s)",
		    what, obj_kind_name(x->kind), x->namespace, x->name,
		    x->description, y->description);
}

/* What a DAG says that is not in the snapshot, and the names of what is:
 * statuses with their conditions, the virtual hosts' owners, and every
 * sorted array in the same order. */
static void
assert_same_dag(const struct dag *x, const struct dag *y, const char *what)
{
	if (x->nstatuses != y->nstatuses || x->nvhosts != y->nvhosts ||
	    x->nclusters != y->nclusters || x->nendpoints != y->nendpoints ||
	    x->nsecrets != y->nsecrets || x->ntls_files != y->ntls_files)
		fail_msg("%s: DAG sizes differ from a fresh build (statuses %zu/%zu, "
		    "vhosts %zu/%zu, clusters %zu/%zu)", what, x->nstatuses,
		    y->nstatuses, x->nvhosts, y->nvhosts, x->nclusters, y->nclusters);
	for (size_t i = 0; i < x->nstatuses; i++)
		assert_same_status(dag_status_at(x, i), dag_status_at(y, i), what);
	for (size_t i = 0; i < x->nvhosts; i++) {
		const struct dag_vhost *a = dag_vhost_at(x, i), *b = dag_vhost_at(y, i);

		if (!same_str(a->fqdn, b->fqdn) || a->nroutes != b->nroutes ||
		    !same_str(a->proxy_namespace, b->proxy_namespace) ||
		    !same_str(a->proxy_name, b->proxy_name) ||
		    a->owner_kind != b->owner_kind ||
		    !same_str(a->tls_secret_namespace, b->tls_secret_namespace) ||
		    !same_str(a->tls_secret_name, b->tls_secret_name) ||
		    (a->tls == NULL) != (b->tls == NULL))
			fail_msg("%s: vhost %s differs from a fresh build", what,
			    a->fqdn);
	}
	for (size_t i = 0; i < x->nclusters; i++)
		if (strcmp(dag_cluster_at(x, i)->name, dag_cluster_at(y, i)->name) != 0)
			fail_msg("%s: cluster %s differs from a fresh build", what,
			    dag_cluster_at(x, i)->name);
	for (size_t i = 0; i < x->nendpoints; i++)
		if (strcmp(dag_endpoints_at(x, i)->name, dag_endpoints_at(y, i)->name) != 0 ||
		    dag_endpoints_at(x, i)->n != dag_endpoints_at(y, i)->n)
			fail_msg("%s: endpoints %s differ from a fresh build", what,
			    dag_endpoints_at(x, i)->name);
	for (size_t i = 0; i < x->nsecrets; i++)
		if (strcmp(x->secrets[i]->name, y->secrets[i]->name) != 0)
			fail_msg("%s: secret %s differs from a fresh build", what,
			    x->secrets[i]->name);
	for (size_t i = 0; i < x->ntls_files; i++)
		if (strcmp(x->tls_files[i], y->tls_files[i]) != 0)
			fail_msg("%s: TLS file %s differs from a fresh build", what,
			    x->tls_files[i]);
}

/* Groups reused by the incremental builds of all check_case runs: the
 * comparison proves nothing if nothing was reused. */
static size_t groups_reused;
/* Resources the translations of those builds found in order (the
 * objects of reused parts, src/xds/memo.c), and every resource they
 * emitted. */
static size_t resources_in_order, resources_total;
/* Hosts of ingress_http copied from the last one's bytes. */
static size_t http_hosts_kept;

/* The Gateways of an incremental build (from several parts) are those
 * of one whole build, and each one's snapshot is the same. */
static void
assert_same_gateways(const struct build_result *r, const struct dag *whole,
    const struct translate_options *to, const char *what)
{
	if (r->dag->ngateways != whole->ngateways)
		fail_msg("%s: %zu Gateways, a fresh build has %zu", what,
		    r->dag->ngateways, whole->ngateways);
	assert_int_equal(r->snapshot->ngateways, whole->ngateways);
	for (size_t i = 0; i < whole->ngateways; i++) {
		const struct dag_gateway *gw = &whole->gateways[i];
		char *name = xasprintf("%s/%s", gw->namespace, gw->name);
		struct snapshot *fresh = translate_gateway(whole, gw, to,
		    r->snapshot->revision);

		assert_string_equal(r->dag->gateways[i].namespace, gw->namespace);
		assert_string_equal(r->dag->gateways[i].name, gw->name);
		assert_string_equal(r->snapshot->gateways[i].name, name);
		assert_same_snapshot(r->snapshot->gateways[i].snap, fresh, name);
		/* A Gateway's clusters are taken in the order of its DAG's when
		 * it uses many of them (translate_gateway.c): an owner without
		 * clusters makes the view sort them by name instead. */
		{
			struct dag bare = *whole;
			struct snapshot *sorted;

			bare.clusters = NULL;
			bare.endpoints = NULL;
			bare.nclusters = bare.nendpoints = 0;
			sorted = translate_gateway(&bare, gw, to,
			    r->snapshot->revision);
			assert_same_snapshot(sorted, fresh, name);
			snapshot_unref(sorted);
		}
		snapshot_unref(fresh);
		free(name);
	}
}

/* One build of files through p (incremental DAG, translate cache),
 * checked against the DAG of the same files in effect (p keeps the last
 * good version of a broken file) made by one dag_build, translated
 * without a cache: the same statuses, DAG and snapshot, byte for byte
 * (versions included). */
static void
build_and_compare(struct pipeline *p, const struct source_files *files,
    const struct cairn_config *cfg, const struct translate_options *to,
    const char *what)
{
	struct build_result r;
	struct snapshot *fresh;
	struct dag_cache_stats st;
	struct dag *whole;

	pipeline_build(p, files, cfg, to, &r);
	st = pipeline_dag_stats(p);
	groups_reused += st.reused;
	resources_in_order += pipeline_translate_stats(p).in_order;
	http_hosts_kept += pipeline_translate_stats(p).http_kept;
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		resources_total += r.snapshot->types[t].n;
	if (st.groups <= 1 && st.reused == 0 && st.gw_routes_kept == 0) {
		/* One group built now is one dag_build of every object, in
		 * the same order: the whole build itself (building it again
		 * would parse every certificate twice more; valgrind runs
		 * this). The translate cache is still checked. A group that
		 * took HTTPRoutes as they were resolved before is not. */
		fresh = translate_dag(r.dag, to, r.revision);
		assert_same_snapshot(r.snapshot, fresh, what);
		snapshot_unref(fresh);
		build_result_free(&r);
		return;
	}
	whole = pipeline_whole_dag(p, cfg);
	fresh = translate_dag(whole, to, r.revision);
	assert_same_dag(r.dag, whole, what);
	assert_same_snapshot(r.snapshot, fresh, what);
	assert_same_gateways(&r, whole, to, what);
	assert_int_equal(dag_count_status(r.dag, DAG_STATUS_INVALID),
	    dag_count_status(whole, DAG_STATUS_INVALID));
	snapshot_unref(fresh);
	dag_free(whole);
	build_result_free(&r);
}

/* data with every "namespace: NS" naming a namespace of the case's files
 * renamed "namespace: c<n>-NS" (also quoted). */
static char *
with_namespaces(const char *data, const struct source_files *one, size_t c)
{
	char *out = xstrdup(data);

	for (size_t i = 0; i < one->n; i++) {
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(one->files[k].ns, one->files[i].ns) == 0;
		for (int quoted = 0; !seen && quoted < 2; quoted++) {
			char *from = xasprintf(quoted ? "namespace: \"%s\"" :
			    "namespace: %s", one->files[i].ns);
			char *to = xasprintf(quoted ? "namespace: \"c%zu-%s\"" :
			    "namespace: c%zu-%s", c, one->files[i].ns);
			struct strbuf sb = STRBUF_INIT;
			const char *q = out, *m;

			while ((m = strstr(q, from)) != NULL) {
				char after = m[strlen(from)];

				strbuf_add(&sb, q, (size_t)(m - q));
				/* A whole name only: "shop" not in "shop2". */
				strbuf_puts(&sb, after == '\0' ||
				    strchr("\n,} \"", after) ? to : from);
				q = m + strlen(from);
			}
			strbuf_puts(&sb, q);
			free(out);
			out = strbuf_detach(&sb, NULL);
			free(from);
			free(to);
		}
	}
	return out;
}

static char *
golden_dir(void)
{
	const char *top = getenv("top_srcdir");

	return xasprintf("%s/tests/golden", top ? top : ".");
}

/* --- the translate cache --------------------------------------------------- */

static void
check_case(const char *input, const struct cairn_config *cfg,
    const struct translate_options *to)
{
	static const char swaps[][2] = { { '0', '1' }, { '8', '9' }, { 'a', 'b' },
	    { 'e', 'f' }, { 'x', 'y' } };
	struct diag_list diags;
	struct source_dir *sd;
	struct source_files all, v;
	struct pipeline *p;
	struct translate_options other = *to;
	size_t nvalues;

	diag_list_init(&diags);
	if (source_dir_open(input, NULL, &sd, &diags) < 0)
		fail_msg("%s: cannot open", input);
	diag_list_free(&diags);
	assert_int_equal(source_dir_scan(sd, &all), 0);
	p = pipeline_new(NULL);

	build_and_compare(p, &all, cfg, to, input);
	/* Nothing changed: everything comes from the cache. */
	build_and_compare(p, &all, cfg, to, input);
	for (size_t i = 0; i < all.n; i++) {
		files_variant(&v, &all, i, all.n, 0, 0);
		build_and_compare(p, &v, cfg, to, all.files[i].path);
		source_files_free(&v);
		build_and_compare(p, &all, cfg, to, input);
		for (size_t k = 0; k < sizeof swaps / sizeof swaps[0]; k++) {
			files_variant(&v, &all, all.n, i, swaps[k][0], swaps[k][1]);
			build_and_compare(p, &v, cfg, to, all.files[i].path);
			source_files_free(&v);
		}
		build_and_compare(p, &all, cfg, to, input);
		/* Every value of the file changed on its own, each followed by
		 * the original (with a cache full of the other version). */
		nvalues = 0;
		for (const char *q = all.files[i].data; (q = strstr(q, ": ")) != NULL;
		    q += 2)
			nvalues++;
		for (size_t nth = 0; nth < nvalues; nth++) {
			char *data;

			if (!alter_value(all.files[i].data, nth, &data))
				continue; /* a mapping or a list follows */
			files_with(&v, &all, i, data);
			build_and_compare(p, &v, cfg, to, all.files[i].path);
			source_files_free(&v);
			build_and_compare(p, &all, cfg, to, input);
		}
	}
	/* Other options: nothing of the old bytes may be reused. */
	other.connect_timeout_ms = 5000;
	other.http_port = 9090;
	build_and_compare(p, &all, cfg, &other, input);
	build_and_compare(p, &all, cfg, to, input);

	pipeline_free(p);
	source_files_free(&all);
	source_dir_close(sd);
}

/* check_case on every golden input whose case name want accepts (every
 * one without want), with CAIRN_DAG_VERIFY set if dag_verify: how many.
 * Skips the test without the golden tree. */
static size_t
check_cases(bool (*want)(const char *name), bool dag_verify)
{
	char *dir = golden_dir();
	struct cairn_config cfg;
	struct translate_options to;
	struct dirent *de;
	size_t cases = 0, seen = 0, sample = fixture_sample();
	DIR *d = opendir(dir);

	if (d == NULL) {
		free(dir);
		skip();
	}
	config_init_defaults(&cfg);
	translate_options_init(&to);
	if (dag_verify)
		setenv("CAIRN_DAG_VERIFY", "1", 1);
	while ((de = readdir(d)) != NULL) {
		char *input = xasprintf("%s/%s/input", dir, de->d_name);
		struct stat st;

		/* Under valgrind (tests/valgrind.sh sets CAIRN_TEST_SAMPLE=N)
		 * every Nth case: the code paths, not every tree again. */
		if (de->d_name[0] != '.' && stat(input, &st) == 0 &&
		    S_ISDIR(st.st_mode) && (want == NULL || want(de->d_name)) &&
		    seen++ % sample == 0) {
			check_case(input, &cfg, &to);
			cases++;
		}
		free(input);
	}
	if (dag_verify)
		unsetenv("CAIRN_DAG_VERIFY");
	closedir(d);
	free(dir);
	config_free(&cfg);
	return cases;
}

/* The cases with Ingresses or Gateway API objects: the others' lookups
 * are checked by the golden replay. */
static bool
case_has_lookups(const char *name)
{
	return strstr(name, "ingress") != NULL ||
	    strncmp(name, "gateway", 7) == 0;
}

/* The changes check_case makes (a host or a namespace edited in one
 * place) reach lookups object_keys must cover (an Ingress's TLS host no
 * rule names any more, a Gateway's backend client certificate in
 * another namespace, ReferenceGrants looked up there): every golden
 * input again with CAIRN_DAG_VERIFY, where every group built checks its
 * lookups (abort if one is under no key). */
static void
test_verify_keys_of_changed_cases(void **state)
{
	(void)state;
	check_cases(case_has_lookups, true);
}

static void
test_cache_matches_fresh_translation(void **state)
{
	(void)state;
	assert_true(check_cases(NULL, false) > 10);
	print_message("%zu groups reused\n", groups_reused);
	assert_true(groups_reused > 500);
	print_message("%zu of %zu resources found in order\n",
	    resources_in_order, resources_total);
	assert_true(resources_in_order * 4 > resources_total);
	print_message("%zu hosts of ingress_http kept\n", http_hosts_kept);
	assert_true(http_hosts_kept > 100);
}

/* CAIRN_TRANSLATE_VERIFY: every cached resource is made again and
 * compared; nothing to complain about on an honest cache. */
static void
test_cache_verify_mode(void **state)
{
	char *dir = golden_dir(), *input = xasprintf("%s/basic/input", dir);
	struct cairn_config cfg;
	struct translate_options to;

	(void)state;
	setenv("CAIRN_TRANSLATE_VERIFY", "1", 1);
	config_init_defaults(&cfg);
	translate_options_init(&to);
	check_case(input, &cfg, &to);
	config_free(&cfg);
	unsetenv("CAIRN_TRANSLATE_VERIFY");
	free(input);
	free(dir);
}

/* The same for Gateway snapshots, whose kept resources (their hosts,
 * proxyless targets, clusters) are built again and compared with what
 * the cache holds on every build of every variant. */
static void
test_gateway_cache_verify_mode(void **state)
{
	static const char *cases[] = { "gateway-proxyless",
	    "gateway-httproute-matching", "gateway-httproute-weights",
	    "gateway-grpcroute", "gateway-https-listener",
	    "gateway-backendtlspolicy" };
	char *dir = golden_dir();
	struct cairn_config cfg;
	struct translate_options to;

	(void)state;
	setenv("CAIRN_TRANSLATE_VERIFY", "1", 1);
	config_init_defaults(&cfg);
	translate_options_init(&to);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char *input = xasprintf("%s/%s/input", dir, cases[c]);

		check_case(input, &cfg, &to);
		free(input);
	}
	config_free(&cfg);
	unsetenv("CAIRN_TRANSLATE_VERIFY");
	free(dir);
}

/* CAIRN_DAG_VERIFY: every group an incremental build builds checks that
 * each lookup its processors make is under one of its objects'
 * object_keys (dag_verify_object_keys; a miss aborts naming the lookup and
 * its key). Every golden input, with each file a unit of its own. */
static void
test_object_keys_cover_golden_lookups(void **state)
{
	char *dir = golden_dir();
	struct cairn_config cfg;
	struct translate_options to;
	struct dirent *de;
	size_t cases = 0, groups = 0, seen = 0;
	size_t sample = fixture_sample();
	DIR *d;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		skip();
	}
	setenv("CAIRN_DAG_VERIFY", "1", 1);
	while ((de = readdir(d)) != NULL) {
		char *input = xasprintf("%s/%s/input", dir, de->d_name);

		/* Under valgrind (tests/valgrind.sh sets CAIRN_TEST_SAMPLE=N)
		 * every Nth input: the code paths, not all 100 trees again. */
		if (sample > 1 && seen++ % sample != 0) {
			free(input);
			continue;
		}
		struct diag_list diags;
		struct source_dir *sd;
		struct source_files all;
		struct build_result r;
		struct pipeline *p;
		struct stat st;

		if (de->d_name[0] == '.' || stat(input, &st) != 0 ||
		    !S_ISDIR(st.st_mode)) {
			free(input);
			continue;
		}
		diag_list_init(&diags);
		if (source_dir_open(input, NULL, &sd, &diags) < 0)
			fail_msg("%s: cannot open", input);
		diag_list_free(&diags);
		assert_int_equal(source_dir_scan(sd, &all), 0);
		p = pipeline_new(NULL);
		pipeline_build(p, &all, &cfg, &to, &r);
		groups += pipeline_dag_stats(p).groups;
		build_result_free(&r);
		pipeline_free(p);
		source_files_free(&all);
		source_dir_close(sd);
		free(input);
		cases++;
	}
	unsetenv("CAIRN_DAG_VERIFY");
	closedir(d);
	print_message("%zu golden inputs, %zu groups: every lookup under an "
	    "object key\n", cases, groups);
	config_free(&cfg);
	free(dir);
	assert_true(cases * sample > 50);
	/* Some inputs make several groups; a sample may hold none of them. */
	assert_true(sample > 1 ? groups >= cases : groups > cases);
}

/* --- cross-file dependencies ------------------------------------------------ */

/* A tree kept as (path, text) pairs, sorted by path; text NULL = absent. */
struct tree_file {
	const char *path, *text;
};

#define TREE_MAX 64

struct tree {
	struct tree_file f[TREE_MAX];
	size_t n;
};

static void
tree_set(struct tree *t, const char *path, const char *text)
{
	size_t i = 0;

	while (i < t->n && strcmp(t->f[i].path, path) < 0)
		i++;
	if (i < t->n && strcmp(t->f[i].path, path) == 0) {
		t->f[i].text = text;
		return;
	}
	assert_true(t->n < TREE_MAX);
	memmove(&t->f[i + 1], &t->f[i], (t->n - i) * sizeof t->f[0]);
	t->f[i] = (struct tree_file){ path, text };
	t->n++;
}

static void
tree_files(const struct tree *t, struct source_files *out)
{
	memset(out, 0, sizeof *out);
	diag_list_init(&out->diags);
	out->revision = xstrdup("tree");
	for (size_t i = 0; i < t->n; i++) {
		struct source_file f = { 0 };
		const char *slash = strchr(t->f[i].path, '/');

		if (t->f[i].text == NULL)
			continue;
		f.path = xstrdup(t->f[i].path);
		if (slash != NULL) { /* else a file of the root: no namespace */
			f.ns = xmemdup(t->f[i].path,
			    (size_t)(slash - t->f[i].path) + 1);
			f.ns[slash - t->f[i].path] = '\0';
		}
		f.data = xstrdup(t->f[i].text);
		f.len = strlen(f.data);
		f.hash = hash_bytes(f.data, f.len);
		ARRAY_PUSH(out->files, out->n, out->cap, f);
	}
}

#define ROOT(fqdn, body) \
	"apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: root}\n" \
	"spec:\n  virtualhost: {fqdn: " fqdn "}\n" body
#define SVC(name) \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name "}\n" \
	"spec: {ports: [{name: http, port: 80}]}\n"
#define EPS(name, ip) \
	"apiVersion: v1\nkind: Endpoints\nmetadata: {name: " name "}\n" \
	"subsets: [{addresses: [{ip: " ip "}], ports: [{name: http, port: 8080}]}]\n"
#define ROUTE(prefix, svc) \
	"  routes:\n    - conditions: [{prefix: " prefix "}]\n" \
	"      services: [{name: " svc ", port: 80}]\n"
#define CHILD(name, prefix, svc) \
	"apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: " name "}\n" \
	"spec:\n" ROUTE(prefix, svc)
#define INGRESS(name, host, path, svc) \
	"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: " name "}\n" \
	"spec:\n  rules:\n    - host: " host "\n      http:\n        paths:\n" \
	"          - {path: " path ", pathType: Prefix, backend: {service: {name: " \
	svc ", port: {number: 80}}}}\n"

/* Edits whose effect crosses files and namespaces, one after the other,
 * each build compared with a whole build of the same files; the
 * namespaces no edit touches must come from the last build. */
static void
test_cross_file_changes(void **state)
{
	static const char *bystanders[] = { "k0/app.yaml", "k1/app.yaml",
	    "k2/app.yaml", "k3/app.yaml", "k4/app.yaml", "k5/app.yaml" };
	struct tree t = { .n = 0 };
	struct cairn_config cfg;
	struct translate_options to;
	struct pipeline *p;
	struct source_files sf;
	char *tls_dir = NULL;
	static const struct {
		const char *what, *path, *text;
	} steps[] = {
		{ "include target changes", "b/child.yaml",
		    CHILD("child", "/api/v2", "api") },
		{ "include target disappears", "b/child.yaml", NULL },
		{ "include target appears", "b/child.yaml",
		    CHILD("child", "/api", "api") },
		{ "include moves to another namespace", "a/root.yaml",
		    ROOT("a.example.com", "  includes: [{name: child, namespace: c}]\n"
		    ROUTE("/", "web")) },
		{ "included proxy appears there", "c/child.yaml",
		    CHILD("child", "/c", "web") },
		{ "Endpoints appear", "c/eps.yaml", EPS("web", "10.0.3.1") },
		{ "Endpoints change", "c/eps.yaml", EPS("web", "10.0.3.2") },
		{ "Service disappears", "a/svc.yaml", NULL },
		{ "Service appears", "a/svc.yaml", SVC("web") "---\n" EPS("web", "10.0.1.1") },
		{ "FQDN becomes duplicate", "g/root.yaml",
		    ROOT("d.example.com", ROUTE("/", "web")) },
		{ "duplicate changes", "g/root.yaml",
		    ROOT("d.example.com", ROUTE("/g", "web")) },
		{ "FQDN no longer duplicate", "g/root.yaml", NULL },
		/* SPEC §6a: the first claim keeps an FQDN though the newcomer's
		 * file sorts first; the owner leaving hands it over. */
		{ "newcomer sorting first claims an owned FQDN", "a0/root.yaml",
		    ROOT("c.example.com", ROUTE("/a0", "web")) },
		{ "the owner's claim goes: the newcomer takes it", "c/root.yaml", NULL },
		{ "the old owner comes back as a newcomer", "c/root.yaml",
		    ROOT("c.example.com", ROUTE("/", "web")) },
		{ "Ingress merges into a host", "e/ing.yaml",
		    INGRESS("ing", "shared.example.com", "/e", "web") },
		{ "merged Ingress changes", "e/ing.yaml",
		    INGRESS("ing", "shared.example.com", "/e2", "web") },
		{ "Ingress merges into a proxy's host", "h/ing.yaml",
		    INGRESS("ing", "d.example.com", "/h", "web") },
		{ "first Ingress goes", "e0/ing.yaml", NULL },
		{ "duplicate object in another file", "a/dup.yaml", SVC("web") },
		{ "duplicate object goes", "a/dup.yaml", NULL },
		{ "tcpproxy root includes a proxy of another namespace", "t/root.yaml",
		    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
		    "metadata: {name: root}\nspec:\n"
		    "  virtualhost: {fqdn: t.example.com, tls: {passthrough: true}}\n"
		    "  tcpproxy: {include: {name: child, namespace: u}}\n" },
		{ "that proxy appears (without a tcpproxy)", "u/child.yaml",
		    CHILD("child", "/", "web") },
		{ "that proxy changes", "u/child.yaml", CHILD("child", "/u", "web") },
		{ "file breaks (last good version serves)", "b/svc.yaml", "kind: [" },
		{ "file mended", "b/svc.yaml", SVC("api") "---\n" EPS("api", "10.0.2.1") },
		/* cookieRewritePolicies anywhere put the Lua filter in every
		 * connection manager; the hosts that did not change say so
		 * from what the last build remembered of them. */
		{ "a route gains cookieRewritePolicies", "d/root.yaml",
		    ROOT("d.example.com", "  routes:\n    - conditions: [{prefix: /}]\n"
		    "      cookieRewritePolicies: [{name: s, secure: true}]\n"
		    "      services: [{name: web, port: 80}]\n") },
		{ "another host changes, the cookies stay", "c/root.yaml",
		    ROOT("c.example.com", ROUTE("/c2", "web")) },
		{ "a backend's cookieRewritePolicies instead", "d/root.yaml",
		    ROOT("d.example.com", "  routes:\n    - conditions: [{prefix: /}]\n"
		    "      services: [{name: web, port: 80, "
		    "cookieRewritePolicies: [{name: s, sameSite: Lax}]}]\n") },
		{ "no cookieRewritePolicies left", "d/root.yaml",
		    ROOT("d.example.com", ROUTE("/", "web")) },
	};

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	tree_set(&t, "a/root.yaml", ROOT("a.example.com",
	    "  includes: [{name: child, namespace: b}]\n" ROUTE("/", "web")));
	tree_set(&t, "a/svc.yaml", SVC("web") "---\n" EPS("web", "10.0.1.1"));
	tree_set(&t, "b/child.yaml", CHILD("child", "/api", "api"));
	tree_set(&t, "b/svc.yaml", SVC("api") "---\n" EPS("api", "10.0.2.1"));
	tree_set(&t, "c/root.yaml", ROOT("c.example.com", ROUTE("/", "web")));
	tree_set(&t, "c/svc.yaml", SVC("web"));
	tree_set(&t, "d/root.yaml", ROOT("d.example.com", ROUTE("/", "web")));
	tree_set(&t, "d/svc.yaml", SVC("web"));
	tree_set(&t, "e0/ing.yaml", INGRESS("ing", "shared.example.com", "/", "web"));
	tree_set(&t, "e0/svc.yaml", SVC("web") "---\n" EPS("web", "10.0.5.1"));
	tree_set(&t, "e/svc.yaml", SVC("web"));
	tree_set(&t, "g/svc.yaml", SVC("web"));
	tree_set(&t, "h/svc.yaml", SVC("web"));
	for (size_t i = 0; i < sizeof bystanders / sizeof bystanders[0]; i++)
		tree_set(&t, bystanders[i], i % 2 ?
		    ROOT("k-odd.example.com", ROUTE("/", "web")) :
		    CHILD("orphan", "/", "web"));
	p = pipeline_new(NULL);
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "whole tree");
	source_files_free(&sf);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct dag_cache_stats st;

		tree_set(&t, steps[i].path, steps[i].text);
		tree_files(&t, &sf);
		build_and_compare(p, &sf, &cfg, &to, steps[i].what);
		source_files_free(&sf);
		st = pipeline_dag_stats(p);
		/* Most of the tree is reused; one group or two are built. */
		if (st.reused == 0 || st.built > 3)
			fail_msg("%s: %zu groups reused, %zu built of %zu", steps[i].what,
			    st.reused, st.built, st.groups);
	}
	/* The cookie steps above mean something: the filter is there while
	 * one route of one host rewrites cookies, and only then. */
	for (int with = 1; with >= 0; with--) {
		struct build_result r;
		const struct xds_resource *l;
		static const char lua[] = "envoy.filters.http.lua";

		tree_set(&t, "d/root.yaml", with ? ROOT("d.example.com",
		    "  routes:\n    - conditions: [{prefix: /}]\n"
		    "      cookieRewritePolicies: [{name: s, secure: true}]\n"
		    "      services: [{name: web, port: 80}]\n") :
		    ROOT("d.example.com", ROUTE("/", "web")));
		tree_files(&t, &sf);
		pipeline_build(p, &sf, &cfg, &to, &r);
		source_files_free(&sf);
		l = snapshot_find(r.snapshot, XDS_LISTENER, "ingress_http");
		assert_non_null(l);
		assert_int_equal(memmem(l->bytes, l->len, lua, sizeof lua - 1) != NULL,
		    with);
		build_result_free(&r);
	}
	/* The config changes what a DAG means: nothing may be reused. */
	cfg.policy.allow_external_name = !cfg.policy.allow_external_name;
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "config changed");
	assert_int_equal(pipeline_dag_stats(p).reused, 0);
	source_files_free(&sf);
	pipeline_free(p);
	free(tls_dir);
	config_free(&cfg);
}

/* TLS: every file with a Secret, a delegation or a TLS host is in one
 * group, built every time (expiry depends on the clock). The golden TLS
 * inputs, merged with plain namespaces, each file removed in turn. */
static void
test_tls_group_rebuilt(void **state)
{
	char *dir = golden_dir(), *input = xasprintf("%s/tls-delegation/input", dir);
	struct diag_list diags;
	struct source_dir *sd;
	struct source_files golden;
	struct tree t = { .n = 0 };
	struct cairn_config cfg;
	struct translate_options to;
	struct pipeline *p;
	struct source_files sf;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	diag_list_init(&diags);
	assert_int_equal(source_dir_open(input, NULL, &sd, &diags), 0);
	diag_list_free(&diags);
	assert_int_equal(source_dir_scan(sd, &golden), 0);
	assert_true(golden.n >= 2);
	for (size_t i = 0; i < golden.n; i++)
		tree_set(&t, golden.files[i].path, golden.files[i].data);
	tree_set(&t, "plain-a/root.yaml", ROOT("plain-a.example.com",
	    ROUTE("/", "web")));
	tree_set(&t, "plain-b/root.yaml", ROOT("plain-b.example.com",
	    ROUTE("/", "web")));
	p = pipeline_new(NULL);
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "tls tree");
	source_files_free(&sf);
	for (size_t i = 0; i < golden.n; i++) {
		const char *keep = golden.files[i].data;

		tree_set(&t, golden.files[i].path, NULL);
		tree_files(&t, &sf);
		build_and_compare(p, &sf, &cfg, &to, golden.files[i].path);
		source_files_free(&sf);
		assert_true(pipeline_dag_stats(p).reused >= 2);
		assert_true(pipeline_dag_stats(p).built >= 1);
		tree_set(&t, golden.files[i].path, keep);
	}
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "tls tree restored");
	build_and_compare(p, &sf, &cfg, &to, "tls tree again");
	/* Nothing changed, certificate material neither: every group, the
	 * TLS group too, is reused. */
	assert_int_equal(pipeline_dag_stats(p).built, 0);
	assert_int_equal(pipeline_dag_stats(p).reused, pipeline_dag_stats(p).groups);
	source_files_free(&sf);
	pipeline_free(p);
	source_files_free(&golden);
	source_dir_close(sd);
	config_free(&cfg);
	free(input);
	free(dir);
}

/* --- parallel loading ------------------------------------------------------ */

static void
synthetic_tree(struct source_files *sf, size_t n)
{
	memset(sf, 0, sizeof *sf);
	diag_list_init(&sf->diags);
	sf->revision = xstrdup("synthetic");
	for (size_t i = 0; i < n; i++) {
		struct source_file f = { 0 };
		/* Every 17th file is broken: errors must come out the same. */
		const char *port = i % 17 == 3 ? "eighty" : "80";

		f.path = xasprintf("ns-%03zu/app.yaml", i);
		f.ns = xasprintf("ns-%03zu", i);
		f.data = xasprintf(
		    "apiVersion: projectcontour.io/v1\n"
		    "kind: HTTPProxy\n"
		    "metadata: {name: app}\n"
		    "spec:\n"
		    "  virtualhost: {fqdn: app-%zu.example.com}\n"
		    "  routes:\n"
		    "    - conditions: [{prefix: /}, {header: {name: x-a, exact: v%zu}}]\n"
		    "      services: [{name: web, port: %s}]\n"
		    "---\n"
		    "apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata: {name: web}\n"
		    "spec: {ports: [{name: http, port: 80}]}\n"
		    "---\n"
		    "apiVersion: v1\n"
		    "kind: Endpoints\n"
		    "metadata: {name: web}\n"
		    "subsets: [{addresses: [{ip: 10.0.%zu.%zu}], ports: [{name: http, port: 8080}]}]\n",
		    i, i, port, i / 250, i % 250);
		f.len = strlen(f.data);
		f.hash = hash_bytes(f.data, f.len);
		ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	}
}

static void
test_parallel_load_same_result(void **state)
{
	struct load_options one = { .threads = 1 }, four = { .threads = 4 };
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p1, *p4;
	struct build_result r1, r4;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	synthetic_tree(&sf, 300);
	p1 = pipeline_new(&one);
	p4 = pipeline_new(&four);
	pipeline_build(p1, &sf, &cfg, &to, &r1);
	pipeline_build(p4, &sf, &cfg, &to, &r4);
	assert_true(r1.diags.nerrors > 0);
	assert_int_equal(r1.diags.n, r4.diags.n);
	for (size_t i = 0; i < r1.diags.n; i++) {
		assert_string_equal(r1.diags.items[i].file, r4.diags.items[i].file);
		assert_string_equal(r1.diags.items[i].message,
		    r4.diags.items[i].message);
	}
	assert_int_equal(r1.nobjects, r4.nobjects);
	assert_int_equal(r1.nfiles, r4.nfiles);
	for (size_t i = 0; i < r1.nfiles; i++)
		assert_int_equal(r1.files[i].state, r4.files[i].state);
	assert_same_snapshot(r1.snapshot, r4.snapshot, "4 loading threads");
	build_result_free(&r1);
	build_result_free(&r4);
	pipeline_free(p1);
	pipeline_free(p4);
	source_files_free(&sf);
	config_free(&cfg);
}

/* More than a thousand files: the tables of the incremental DAG grow
 * while a build uses them (one bug moved a table under the build's
 * feet), and a file changed reuses every other group. */
static void
test_large_tree_incremental(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct translate_cache_stats ts;
	size_t hosts;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	synthetic_tree(&sf, 1200);
	build_and_compare(p, &sf, &cfg, &to, "1200 files");
	/* The first build writes every host of ingress_http. */
	ts = pipeline_translate_stats(p);
	hosts = ts.http_written;
	assert_int_equal(ts.http_kept, 0);
	assert_true(hosts > 1000);
	assert_true(ts.http_chunks_written > 4);
	for (size_t i = 0; i < sf.n; i += 397) {
		char *data = xstrdup(sf.files[i].data);

		strstr(data, "exact: v")[7] = 'w'; /* a header value */
		free(sf.files[i].data);
		sf.files[i].data = data;
		sf.files[i].hash = hash_bytes(data, sf.files[i].len);
		build_and_compare(p, &sf, &cfg, &to, sf.files[i].path);
		assert_int_equal(pipeline_dag_stats(p).built, 1);
		assert_int_equal(pipeline_dag_stats(p).reused,
		    pipeline_dag_stats(p).groups - 1);
		/* The statuses: the chunks the file's fall in made again
		 * (one per kind: an HTTPProxy, Services, Endpoints, sorted
		 * by kind first), the others shared with the last DAG. */
		print_message("%s: status chunks made %zu of %zu\n",
		    sf.files[i].path, pipeline_dag_stats(p).status_chunks_made,
		    pipeline_dag_stats(p).status_chunks);
		assert_true(pipeline_dag_stats(p).statuses_patched);
		assert_true(pipeline_dag_stats(p).status_chunks >= 4);
		assert_true(pipeline_dag_stats(p).status_chunks_made <= 4);
		/* The resources of the other groups come in order, without
		 * a key: only the changed file's are keyed. */
		ts = pipeline_translate_stats(p);
		print_message("%s: %zu in order, %zu by key, %zu serialized, "
		    "%zu hosts of ingress_http kept\n", sf.files[i].path,
		    ts.in_order, ts.by_key, ts.serialized, ts.http_kept);
		assert_true(ts.serialized >= 1);
		assert_true(ts.by_key + ts.serialized <= 16);
		assert_true(ts.in_order > 1000);
		/* ingress_http: the changed host's chunk is written (two
		 * when its new version moves where a chunk ends), every
		 * other host's chunk is the last build's. */
		print_message("%zu chunks written, %zu hosts in them\n",
		    ts.http_chunks_written, ts.http_written);
		assert_true(ts.http_chunks_written >= 1);
		assert_true(ts.http_chunks_written <= 2);
		assert_int_equal(ts.http_kept + ts.http_written, hosts);
	}
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* Puts file i of ordered_tree: an HTTPProxy with `routes` routes to as
 * many Services (each with Endpoints) in namespace ns-<i>, host <fqdn>, so
 * that parts follow each other in the order of every DAG array (the
 * patched assembly's case). */
static void
ordered_put(struct source_files *sf, size_t i, const char *fqdn, size_t routes,
    char header)
{
	char *host = xasprintf("%s.example.com", fqdn);
	char *value = xasprintf("%c%zu", header, i);
	char *ip = xasprintf("10.1.%zu.%zu", i / 250, i % 250);

	fixture_ns_file_put(sf, i,
	    fixture_routes_file(host, routes, "x-a", value, ip));
	free(host);
	free(value);
	free(ip);
}

/* The DAG patched from the last assembly (runs of unchanged parts copied
 * as blocks, src/dag/parts.c) over a random sequence of changes: a route
 * changed, routes and Services added or removed (a part's element counts
 * move every later run), files added and removed (parts shift), a host
 * renamed out of order and back (the arrays sorted, then in order
 * again). Every build is the DAG and snapshot of one whole build. A block
 * copied for a part that changed would carry its old routes: the
 * snapshot comparison sees it. */
static void
test_patched_assembly_random(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	size_t n = 150, blocks = 0, patched_builds = 0, fast_builds = 0;
	size_t routes[200];
	uint64_t rnd = UINT64_C(0x9e3779b97f4a7c15);
	/* Under valgrind (CAIRN_TEST_SAMPLE=N) the first 60 / N steps. */
	int steps = fixture_sample_steps(60);

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("ordered");
	for (size_t i = 0; i < n; i++) {
		char fqdn[32];

		routes[i] = 1 + i % 3;
		snprintf(fqdn, sizeof fqdn, "h-%04zu", i);
		ordered_put(&sf, i, fqdn, routes[i], 'v');
	}
	build_and_compare(p, &sf, &cfg, &to, "ordered tree");
	for (int step = 0; step < steps; step++) {
		size_t i, what;
		char fqdn[32], *what_s;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		i = (size_t)(rnd >> 8) % n;
		what = (size_t)(rnd >> 40) % 6;
		snprintf(fqdn, sizeof fqdn, "h-%04zu", i);
		switch (what) {
		case 0: /* one route's header */
		case 1:
			ordered_put(&sf, i, fqdn, routes[i],
			    (char)('a' + step % 26));
			break;
		case 2: /* more or fewer routes, Services, Endpoints */
			routes[i] = 1 + (routes[i] + 1) % 4;
			ordered_put(&sf, i, fqdn, routes[i], 'v');
			break;
		case 3: /* a file gone (or back) */
			if (i % 2 == 0)
				fixture_ns_file_put(&sf, i, NULL);
			else
				ordered_put(&sf, i, fqdn, routes[i], 'v');
			break;
		case 4: /* a host out of order, then in order again */
			ordered_put(&sf, i, "a-moved", routes[i], 'v');
			what_s = xasprintf("step %d: file %zu moved", step, i);
			build_and_compare(p, &sf, &cfg, &to, what_s);
			free(what_s);
			ordered_put(&sf, i, fqdn, routes[i], 'v');
			break;
		default: /* a new file at the end */
			snprintf(fqdn, sizeof fqdn, "h-%04zu", n);
			routes[n] = 2;
			ordered_put(&sf, n, fqdn, routes[n], 'v');
			if (n + 1 < sizeof routes / sizeof routes[0])
				n++;
			break;
		}
		what_s = xasprintf("step %d: file %zu, change %zu", step, i, what);
		build_and_compare(p, &sf, &cfg, &to, what_s);
		free(what_s);
		blocks += pipeline_dag_stats(p).blocks;
		patched_builds += pipeline_dag_stats(p).blocks > 0;
		fast_builds += pipeline_dag_stats(p).fast;
		assert_int_equal(pipeline_dag_stats(p).cached,
		    pipeline_dag_stats(p).groups);
	}
	print_message("%zu of %d builds patched, %zu blocks, %zu looked only "
	    "at the changed groups\n", patched_builds, steps, blocks,
	    fast_builds);
	/* A route's header changed keeps the grouping: only that group is
	 * looked at (parts_build_changed). */
	assert_true(fast_builds >= (size_t)steps / 4);
	/* Most steps keep the number of parts: those are patched. */
	assert_true(patched_builds >= (size_t)steps / 3);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* A Gateway with n HTTPRoutes, one per file, each its own hostname. */
static void
gateway_tree(struct source_files *sf, size_t n)
{
	struct source_file f = { 0 };

	memset(sf, 0, sizeof *sf);
	diag_list_init(&sf->diags);
	sf->revision = xstrdup("gateway");
	f.path = xstrdup("gatewayclass.yaml");
	f.data = xstrdup("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: GatewayClass\n"
	    "metadata: {name: cairn}\n"
	    "spec: {controllerName: cairn.io/gateway-controller}\n");
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	memset(&f, 0, sizeof f);
	f.path = xstrdup("infra/gateway.yaml");
	f.ns = xstrdup("infra");
	f.data = xstrdup("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: Gateway\n"
	    "metadata: {name: gw}\n"
	    "spec:\n"
	    "  gatewayClassName: cairn\n"
	    "  listeners: [{name: http, port: 80, protocol: HTTP}]\n"
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: Service\n"
	    "metadata: {name: web}\n"
	    "spec: {ports: [{name: http, port: 80}]}\n"
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: Endpoints\n"
	    "metadata: {name: web}\n"
	    "subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{name: http, port: 8080}]}]\n");
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	for (size_t i = 0; i < n; i++) {
		memset(&f, 0, sizeof f);
		f.path = xasprintf("infra/route-%03zu.yaml", i);
		f.ns = xstrdup("infra");
		f.data = xasprintf("apiVersion: gateway.networking.k8s.io/v1\n"
		    "kind: HTTPRoute\n"
		    "metadata: {name: r%zu}\n"
		    "spec:\n"
		    "  parentRefs: [{name: gw}]\n"
		    "  hostnames: [app-%zu.example.com]\n"
		    "  rules:\n"
		    "  - matches: [{headers: [{name: x-a, value: v%zu}]}]\n"
		    "    backendRefs: [{name: web, port: 80}]\n", i, i, i);
		ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	}
	fixture_files_seal(sf);
}

/* One HTTPRoute changed among many: the Gateway's snapshot serializes
 * that route's host (and its proxyless targets) again, and takes every
 * other host's bytes from the last translation. */
static void
test_gateway_route_change_kept(void **state)
{
	const size_t nroutes = 300;
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct translate_cache_stats ts;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	gateway_tree(&sf, nroutes);
	build_and_compare(p, &sf, &cfg, &to, "gateway routes");
	assert_int_equal(pipeline_gateway_translate_stats(p).serialized >
	    nroutes, true);
	for (size_t i = 0; i < sf.n; i += 97) {
		char *data = xstrdup(sf.files[i].data), *v;

		if ((v = strstr(data, "value: v")) == NULL) {
			free(data);
			continue;
		}
		v[7] = 'w'; /* the header value */
		free(sf.files[i].data);
		sf.files[i].data = data;
		sf.files[i].hash = hash_bytes(data, sf.files[i].len);
		build_and_compare(p, &sf, &cfg, &to, sf.files[i].path);
		/* The changed route alone is resolved again: the others'
		 * resolutions are kept (gateway_memo.c). */
		assert_int_equal(pipeline_dag_stats(p).gw_routes_resolved, 1);
		assert_int_equal(pipeline_dag_stats(p).gw_routes_kept,
		    nroutes - 1);
		ts = pipeline_gateway_translate_stats(p);
		print_message("%s: %zu in order, %zu by key, %zu serialized, "
		    "%zu hosts of the port's RouteConfiguration kept\n",
		    sf.files[i].path, ts.in_order, ts.by_key, ts.serialized,
		    ts.http_kept);
		/* The host, its two proxyless RouteConfigurations. */
		assert_true(ts.serialized >= 1);
		assert_true(ts.serialized <= 4);
		assert_true(ts.by_key + ts.in_order >= 3 * (nroutes - 1));
		/* The port's RouteConfiguration: the same hosts, or the
		 * changed host's chunk (or two) written. */
		print_message("%zu chunks written, %zu hosts in them\n",
		    ts.http_chunks_written, ts.http_written);
		assert_true(ts.http_chunks_written >= 1);
		assert_true(ts.http_chunks_written <= 2);
		/* One host a route. */
		assert_int_equal(ts.http_kept + ts.http_written, nroutes);
		/* A kept host's proxyless targets are found in order (by
		 * its routes array), not by key: at most the changed host's
		 * two api listeners are looked up by key. */
		assert_true(ts.in_order >= 4 * (nroutes - 1));
		assert_true(ts.by_key <= 4);
	}
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* Route file i of the many-backends tree: an HTTPRoute in namespace
 * app-<i> with two Services and their Endpoints, the Services before or
 * after each other (a file's objects are not in name order), the header
 * value and an address by version v. */
static char *
backends_route_file(size_t i, unsigned v, bool swapped)
{
	const char *svc[2] = { "web", "api" };

	if (swapped) {
		svc[0] = "api";
		svc[1] = "web";
	}
	return xasprintf("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: HTTPRoute\n"
	    "metadata: {name: r}\n"
	    "spec:\n"
	    "  parentRefs: [{name: gw, namespace: infra}]\n"
	    "  hostnames: [app-%zu.example.com]\n"
	    "  rules:\n"
	    "  - matches: [{headers: [{name: x-a, value: v%u}]}]\n"
	    "    backendRefs: [{name: web, port: 80}, {name: api, port: 80}]\n"
	    "---\n"
	    "apiVersion: v1\nkind: Service\nmetadata: {name: %s}\n"
	    "spec: {ports: [{name: http, port: 80}]}\n"
	    "---\n"
	    "apiVersion: v1\nkind: Endpoints\nmetadata: {name: %s}\n"
	    "subsets: [{addresses: [{ip: 10.1.%u.1}], ports: [{name: http, port: 8080}]}]\n"
	    "---\n"
	    "apiVersion: v1\nkind: Service\nmetadata: {name: %s}\n"
	    "spec: {ports: [{name: http, port: 80}]}\n"
	    "---\n"
	    "apiVersion: v1\nkind: Endpoints\nmetadata: {name: %s}\n"
	    "subsets: [{addresses: [{ip: 10.2.%u.1}], ports: [{name: http, port: 8080}]}]\n",
	    i, v, svc[0], svc[0], v % 250, svc[1], svc[1], v % 250);
}

static void
backends_file_set(struct source_file *f, char *data)
{
	free(f->data);
	f->data = data;
	f->len = strlen(data);
	f->hash = hash_bytes(data, f->len);
}

/* A Gateway with two HTTP ports: a host served on both names `<host>`
 * by the lower port's target only. When the lower port stops serving it,
 * the higher port's kept host gains its `<host>` target beside
 * `<host>:<port>`; when it serves it again, loses it. Each target is found
 * in order by an id of its own (translate_gateway_proxyless.c): one id
 * for both would hand one target the other's bytes, and the build would
 * differ from a whole one. */
static void
test_gateway_proxyless_targets_in_order(void **state)
{
	const size_t nroutes = 40;
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct source_file f = { 0 };
	const char *hosts[] = { "shared.example.com", "moved.example.com",
	    "shared.example.com" };
	size_t low = 0;
	char *gw;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	gateway_tree(&sf, nroutes);
	for (size_t i = 0; i < sf.n; i++)
		if (strcmp(sf.files[i].path, "infra/gateway.yaml") == 0) {
			const char *old = sf.files[i].data;

			gw = strstr(old, "  listeners:");
			assert_non_null(gw);
			backends_file_set(&sf.files[i], xasprintf("%.*s"
			    "  listeners: [{name: http, port: 80, protocol: HTTP}, "
			    "{name: alt, port: 8080, protocol: HTTP}]\n%s",
			    (int)(gw - old), old, strchr(gw, '\n') + 1));
		}
	/* On port 8080 only, always the same (kept); on port 80 only, the
	 * one whose host changes. Both sort among the other routes. */
	f.path = xstrdup("infra/route-high.yaml");
	f.ns = xstrdup("infra");
	f.data = xstrdup("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: HTTPRoute\n"
	    "metadata: {name: high}\n"
	    "spec:\n"
	    "  parentRefs: [{name: gw, sectionName: alt}]\n"
	    "  hostnames: [shared.example.com]\n"
	    "  rules:\n"
	    "  - matches: [{path: {type: PathPrefix, value: /high}}]\n"
	    "    backendRefs: [{name: web, port: 80}]\n");
	ARRAY_PUSH(sf.files, sf.n, sf.cap, f);
	memset(&f, 0, sizeof f);
	f.path = xstrdup("infra/route-low.yaml");
	f.ns = xstrdup("infra");
	f.data = xstrdup("");
	ARRAY_PUSH(sf.files, sf.n, sf.cap, f);
	qsort(sf.files, sf.n, sizeof sf.files[0], fixture_file_path_cmp);
	for (size_t i = 0; i < sf.n; i++) {
		if (strcmp(sf.files[i].path, "infra/route-low.yaml") == 0)
			low = i;
		if (strcmp(sf.files[i].path, "infra/route-high.yaml") == 0)
			backends_file_set(&sf.files[i], xstrdup(sf.files[i].data));
	}
	for (size_t k = 0; k < 6; k++) {
		char *what = xasprintf("route-low on %s", hosts[k % 3]);

		backends_file_set(&sf.files[low], xasprintf(
		    "apiVersion: gateway.networking.k8s.io/v1\n"
		    "kind: HTTPRoute\n"
		    "metadata: {name: low}\n"
		    "spec:\n"
		    "  parentRefs: [{name: gw, sectionName: http}]\n"
		    "  hostnames: [%s]\n"
		    "  rules:\n"
		    "  - matches: [{path: {type: PathPrefix, value: /low%zu}}]\n"
		    "    backendRefs: [{name: web, port: 80}]\n", hosts[k % 3], k));
		build_and_compare(p, &sf, &cfg, &to, what);
		if (k > 0)
			assert_int_equal(pipeline_dag_stats(p).gw_routes_resolved, 1);
		free(what);
	}
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* The objects of a and b (sorted) whose record differs: kept in *ra and
 * *rb (borrowing a's and b's strings), the equal pairs left out. */
static void
objects_changed(const struct diff_objects *a, const struct diff_objects *b,
    struct diff_objects *ra, struct diff_objects *rb)
{
	size_t i = 0, j = 0;

	memset(ra, 0, sizeof *ra);
	memset(rb, 0, sizeof *rb);
	ra->items = xcalloc(a->n + 1, sizeof *ra->items);
	rb->items = xcalloc(b->n + 1, sizeof *rb->items);
	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 :
		    diff_object_cmp(&a->items[i], &b->items[j]);

		if (c == 0) {
			const struct diff_object *x = &a->items[i++],
			    *y = &b->items[j++];

			if (strcmp(x->status, y->status) == 0 &&
			    same_str(x->reason, y->reason) &&
			    same_str(x->message, y->message) &&
			    same_str(x->file, y->file) && x->line == y->line &&
			    x->col == y->col)
				continue;
			ra->items[ra->n++] = *x;
			rb->items[rb->n++] = *y;
		} else if (c < 0) {
			ra->items[ra->n++] = a->items[i++];
		} else {
			rb->items[rb->n++] = b->items[j++];
		}
	}
}

static void
assert_same_objects(const struct diff_objects *x, const struct diff_objects *y,
    const char *what)
{
	if (x->n != y->n)
		fail_msg("%s: %zu objects recorded, %zu changed", what, x->n, y->n);
	for (size_t i = 0; i < x->n; i++) {
		const struct diff_object *a = &x->items[i], *b = &y->items[i];

		if (diff_object_cmp(a, b) != 0 || strcmp(a->status, b->status) != 0 ||
		    !same_str(a->reason, b->reason) ||
		    !same_str(a->message, b->message))
			fail_msg("%s: recorded %s %s/%s %s (%s), changed %s %s/%s "
			    "%s (%s)", what, a->kind, a->namespace, a->name,
			    a->status, a->reason ? a->reason : "-", b->kind,
			    b->namespace, b->name, b->status,
			    b->reason ? b->reason : "-");
	}
}

/* serve's record of a change (diff_statuses_record) when the Gateway's
 * group is built again for one file: the statuses are compared one by
 * one with the last build's, not copied whole (src/diff/statuses.c,
 * record_patched), and what it records gone and come holds exactly the
 * objects whose record changed, as a comparison of every status of both
 * builds finds them. The listener one route names changes with the
 * Gateway's file: that route's status changes while its file and object
 * do not, once only by its reason. */
static void
test_gateway_status_record_patched(void **state)
{
	const size_t nroutes = 300;
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct diff_statuses *rec = diff_statuses_new();
	struct diff_objects prev;
	struct build_result r;
	struct source_file f = { 0 };
	size_t gw = 0, changed = 0;
	/* The special route: not allowed (invalid at its parentRef), then
	 * attached, then without its listener (invalid at the same place,
	 * another reason). */
	const char *listeners[3] = {
		"  listeners: [{name: http, port: 80, protocol: HTTP}, "
		"{name: special, port: 81, protocol: HTTP, allowedRoutes: "
		"{namespaces: {from: Selector, selector: {matchLabels: {x: y}}}}}]\n",
		"  listeners: [{name: http, port: 80, protocol: HTTP}, "
		"{name: special, port: 81, protocol: HTTP}]\n",
		"  listeners: [{name: http, port: 80, protocol: HTTP}]\n" };

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	gateway_tree(&sf, nroutes);
	f.path = xstrdup("infra/route-special.yaml");
	f.ns = xstrdup("infra");
	f.data = xstrdup("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: HTTPRoute\n"
	    "metadata: {name: special}\n"
	    "spec:\n"
	    "  parentRefs: [{name: gw, sectionName: special}]\n"
	    "  hostnames: [special.example.com]\n"
	    "  rules:\n"
	    "  - backendRefs: [{name: web, port: 80}]\n");
	ARRAY_PUSH(sf.files, sf.n, sf.cap, f);
	qsort(sf.files, sf.n, sizeof sf.files[0], fixture_file_path_cmp);
	for (size_t i = 0; i < sf.n; i++) {
		backends_file_set(&sf.files[i], xstrdup(sf.files[i].data));
		if (strcmp(sf.files[i].path, "infra/gateway.yaml") == 0)
			gw = i;
	}
	pipeline_build(p, &sf, &cfg, &to, &r);
	assert_true(r.dag->nstatuses > nroutes);
	diff_statuses_record(rec, r.dag, NULL, NULL);
	diff_objects_from_dag(&prev, r.dag);
	build_result_free(&r);
	/* Eight changes in place, then a route added: the part is copied
	 * whole, and what it replaces (patched four times) recorded gone. */
	for (size_t k = 0; k < 9; k++) {
		struct diff_objects now, from, too, want_from, want_to, got_from,
		    got_to;
		size_t i = k % 2 == 0 ? gw : 1 + (k * 37) % nroutes;
		char *what;

		if (k == 8) {
			memset(&f, 0, sizeof f);
			f.path = xstrdup("infra/route-added.yaml");
			f.ns = xstrdup("infra");
			f.data = xstrdup("apiVersion: gateway.networking.k8s.io/v1\n"
			    "kind: HTTPRoute\n"
			    "metadata: {name: added}\n"
			    "spec:\n"
			    "  parentRefs: [{name: gw}]\n"
			    "  hostnames: [added.example.com]\n"
			    "  rules:\n"
			    "  - backendRefs: [{name: web, port: 80}]\n");
			ARRAY_PUSH(sf.files, sf.n, sf.cap, f);
			backends_file_set(&sf.files[sf.n - 1],
			    xstrdup(sf.files[sf.n - 1].data));
			qsort(sf.files, sf.n, sizeof sf.files[0],
			    fixture_file_path_cmp);
			i = 0;
		} else if (i == gw) {
			const char *old = sf.files[i].data;
			const char *l = strstr(old, "  listeners:");

			assert_non_null(l);
			backends_file_set(&sf.files[i], xasprintf("%.*s%s%s",
			    (int)(l - old), old, listeners[(k / 2) % 3],
			    strchr(l, '\n') + 1));
		} else {
			char *data = xstrdup(sf.files[i].data), *v;

			assert_non_null(v = strstr(data, "value: v"));
			v[7] = v[7] == 'v' ? 'w' : 'v';
			backends_file_set(&sf.files[i], data);
		}
		what = xasprintf("step %zu (%s)", k, sf.files[i].path);
		pipeline_build(p, &sf, &cfg, &to, &r);
		diff_statuses_record(rec, r.dag, &from, &too);
		diff_objects_from_dag(&now, r.dag);
		objects_changed(&prev, &now, &want_from, &want_to);
		/* The record may hold objects whose record is the same on
		 * both sides (a part copied whole), never miss one. */
		objects_changed(&from, &too, &got_from, &got_to);
		print_message("%s: %zu gone, %zu come; %zu and %zu changed\n",
		    what, from.n, too.n, want_from.n, want_to.n);
		assert_same_objects(&got_from, &want_from, what);
		assert_same_objects(&got_to, &want_to, what);
		/* Compared, not copied whole: the Gateway and the special
		 * route at most. */
		if (k < 8) {
			assert_true(from.n <= 2);
			assert_true(too.n <= 2);
		} else {
			assert_true(from.n > nroutes);
			assert_int_equal(want_to.n, 1);
		}
		changed += want_to.n;
		free(want_from.items);
		free(want_to.items);
		free(got_from.items);
		free(got_to.items);
		diff_objects_free(&from);
		diff_objects_free(&too);
		diff_objects_free(&prev);
		prev = now;
		build_result_free(&r);
		free(what);
	}
	/* The special route's status changed with its listener. */
	assert_true(changed >= 5);
	diff_objects_free(&prev);
	diff_statuses_free(rec);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* Many routes each with backends of their own, changed at random (a
 * header, an address, the order of a file's objects, a route file gone
 * and back): each build equals a whole one (build_and_compare, which also
 * translates each Gateway with its clusters sorted by name rather than
 * taken in its DAG's order). The group's objects are sorted by namespace
 * blocks and the runs by merging (util/sorted.c); the Gateway's view of
 * its 2 x n clusters is taken in the DAG's order (translate_gateway.c). */
static void
test_gateway_many_backends(void **state)
{
	const size_t nroutes = 80;
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct source_file f = { 0 }, gone = { 0 };
	struct pipeline *p = pipeline_new(NULL);
	unsigned version[80] = { 0 };
	bool swapped[80] = { false };

	(void)state;
	srand(11);
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("backends");
	f.path = xstrdup("gatewayclass.yaml");
	backends_file_set(&f, xstrdup("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: GatewayClass\n"
	    "metadata: {name: cairn}\n"
	    "spec: {controllerName: cairn.io/gateway-controller}\n"));
	ARRAY_PUSH(sf.files, sf.n, sf.cap, f);
	memset(&f, 0, sizeof f);
	f.path = xstrdup("infra/gateway.yaml");
	f.ns = xstrdup("infra");
	backends_file_set(&f, xstrdup("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: Gateway\n"
	    "metadata: {name: gw}\n"
	    "spec:\n"
	    "  gatewayClassName: cairn\n"
	    "  listeners: [{name: http, port: 80, protocol: HTTP,\n"
	    "    allowedRoutes: {namespaces: {from: All}}}]\n"));
	ARRAY_PUSH(sf.files, sf.n, sf.cap, f);
	for (size_t i = 0; i < nroutes; i++) {
		memset(&f, 0, sizeof f);
		f.path = xasprintf("app-%03zu/route.yaml", i);
		f.ns = xasprintf("app-%03zu", i);
		backends_file_set(&f, backends_route_file(i, 0, false));
		ARRAY_PUSH(sf.files, sf.n, sf.cap, f);
	}
	qsort(sf.files, sf.n, sizeof sf.files[0], fixture_file_path_cmp);
	build_and_compare(p, &sf, &cfg, &to, "many backends");
	for (int round = 0; round < 40; round++) {
		size_t i = (size_t)rand() % nroutes;
		size_t at;
		char what[64];

		for (at = 0; at < sf.n; at++)
			if (sf.files[at].ns != NULL &&
			    strncmp(sf.files[at].path, "app-", 4) == 0 &&
			    (size_t)atoi(sf.files[at].path + 4) == i)
				break;
		if (at == sf.n)
			continue;
		switch (rand() % 4) {
		case 0:
		case 1:
			version[i]++;
			break;
		case 2:
			swapped[i] = !swapped[i];
			break;
		case 3:
			/* Gone for one build, then back. */
			gone = sf.files[at];
			memmove(&sf.files[at], &sf.files[at + 1],
			    (sf.n - at - 1) * sizeof sf.files[0]);
			sf.n--;
			snprintf(what, sizeof what, "app-%03zu gone", i);
			build_and_compare(p, &sf, &cfg, &to, what);
			memmove(&sf.files[at + 1], &sf.files[at],
			    (sf.n - at) * sizeof sf.files[0]);
			sf.files[at] = gone;
			sf.n++;
			break;
		}
		backends_file_set(&sf.files[at],
		    backends_route_file(i, version[i], swapped[i]));
		snprintf(what, sizeof what, "app-%03zu v%u%s", i, version[i],
		    swapped[i] ? " swapped" : "");
		build_and_compare(p, &sf, &cfg, &to, what);
	}
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* A route's kept resolution holds while what it reads is the same: a
 * change to one route resolves that route alone; a change to the
 * Services, Endpoints or ReferenceGrants of a namespace its backends are
 * in, or to the Gateway, resolves it again. Every build is compared with
 * a whole one (build_and_compare), so a kept resolution that should not
 * have been kept fails here. */
#define GW_ROUTES 12
static void
test_gateway_route_resolutions_kept(void **state)
{
	struct tree t = { .n = 0 };
	struct cairn_config cfg;
	struct translate_options to;
	struct pipeline *p;
	struct source_files sf;
	struct build_result r;
	char *routes[GW_ROUTES], *changed;
	struct dag_cache_stats st;
	static const char gateway[] =
	    "apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: Gateway\n"
	    "metadata: {name: gw}\n"
	    "spec:\n"
	    "  gatewayClassName: cairn\n"
	    "  listeners: [{name: http, port: 80, protocol: HTTP, "
	    "allowedRoutes: {namespaces: {from: All}}}]\n";
	static const char grant[] =
	    "apiVersion: gateway.networking.k8s.io/v1beta1\n"
	    "kind: ReferenceGrant\n"
	    "metadata: {name: apps}\n"
	    "spec:\n"
	    "  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, "
	    "namespace: apps}]\n"
	    "  to: [{group: '', kind: Service}]\n";

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	tree_set(&t, "gatewayclass.yaml",
	    "apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: GatewayClass\n"
	    "metadata: {name: cairn}\n"
	    "spec: {controllerName: cairn.io/gateway-controller}\n");
	tree_set(&t, "infra/gateway.yaml", gateway);
	tree_set(&t, "infra/grant.yaml", grant);
	tree_set(&t, "infra/svc.yaml", SVC("web") "---\n" EPS("web", "10.0.1.1"));
	for (size_t i = 0; i < GW_ROUTES; i++) {
		char path[64];

		routes[i] = xasprintf("apiVersion: gateway.networking.k8s.io/v1\n"
		    "kind: HTTPRoute\n"
		    "metadata: {name: r%zu}\n"
		    "spec:\n"
		    "  parentRefs: [{name: gw, namespace: infra}]\n"
		    "  hostnames: [r%zu.example.com]\n"
		    "  rules:\n"
		    "  - matches: [{path: {type: PathPrefix, value: /%zu}}]\n"
		    "    backendRefs: [{name: web, namespace: infra, port: 80}]\n",
		    i, i % 3, i);
		snprintf(path, sizeof path, "apps/route-%02zu.yaml", i);
		tree_set(&t, xstrdup(path), routes[i]);
	}
	p = pipeline_new(NULL);
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "routes");
	st = pipeline_dag_stats(p);
	assert_int_equal(st.gw_routes_resolved, GW_ROUTES);
	assert_int_equal(st.gw_routes_kept, 0);
	source_files_free(&sf);

	/* One route: that one alone, the others' kept (same hosts: the
	 * precedence sort across routes is still the group's). */
	changed = xstrdup(routes[4]);
	changed[strlen(changed) - 4] = '1'; /* port 81: not on the Service */
	tree_set(&t, "apps/route-04.yaml", changed);
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "route 4 changed");
	st = pipeline_dag_stats(p);
	assert_int_equal(st.gw_routes_resolved, 1);
	assert_int_equal(st.gw_routes_kept, GW_ROUTES - 1);
	source_files_free(&sf);

	/* The backends' namespace: its Endpoints, then its ReferenceGrant
	 * (gone: RefNotPermitted on every route), then back. */
	tree_set(&t, "infra/svc.yaml", SVC("web") "---\n" EPS("web", "10.0.1.2"));
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "endpoints changed");
	assert_int_equal(pipeline_dag_stats(p).gw_routes_resolved, GW_ROUTES);
	source_files_free(&sf);
	tree_set(&t, "infra/grant.yaml", "apiVersion: v1\nkind: ConfigMap\n"
	    "metadata: {name: not-a-grant}\n");
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "grant gone");
	assert_int_equal(pipeline_dag_stats(p).gw_routes_resolved, GW_ROUTES);
	pipeline_build(p, &sf, &cfg, &to, &r);
	for (size_t i = 0; i < r.dag->nstatuses; i++) {
		const struct dag_object_status *os = dag_status_at(r.dag, i);
		bool refused = false;

		if (os->kind != OBJ_HTTPROUTE)
			continue;
		assert_non_null(os->gw);
		assert_int_equal(os->gw->nparents, 1);
		for (size_t c = 0; c < os->gw->parents[0].nconditions; c++)
			refused = refused || strcmp(os->gw->parents[0].
			    conditions[c].reason, "RefNotPermitted") == 0;
		assert_true(refused);
	}
	build_result_free(&r);
	source_files_free(&sf);
	tree_set(&t, "infra/grant.yaml", grant);
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "grant back");
	source_files_free(&sf);

	/* The Gateway: every route again. */
	tree_set(&t, "infra/gateway.yaml",
	    "apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: Gateway\n"
	    "metadata: {name: gw}\n"
	    "spec:\n"
	    "  gatewayClassName: cairn\n"
	    "  listeners: [{name: http, port: 80, protocol: HTTP, "
	    "hostname: r1.example.com, "
	    "allowedRoutes: {namespaces: {from: All}}}]\n");
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "listener hostname");
	assert_int_equal(pipeline_dag_stats(p).gw_routes_resolved, GW_ROUTES);
	source_files_free(&sf);
	tree_set(&t, "infra/gateway.yaml", gateway);
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "listener back");
	source_files_free(&sf);

	/* Nothing changed: the group is reused whole. */
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "nothing changed");
	st = pipeline_dag_stats(p);
	assert_int_equal(st.gw_routes_resolved, 0);
	source_files_free(&sf);
	for (size_t i = 0; i < t.n; i++)
		if (strncmp(t.f[i].path, "apps/", 5) == 0)
			free((char *)t.f[i].path);
	for (size_t i = 0; i < GW_ROUTES; i++)
		free(routes[i]);
	free(changed);
	pipeline_free(p);
	config_free(&cfg);
}

/* --- the directory source shares bytes ------------------------------------- */

static void
write_file(const char *path, const char *content)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
}

static void
test_source_shares_bytes(void **state)
{
	char tmpl[] = "/tmp/cairn-incremental-XXXXXX";
	char *root = mkdtemp(tmpl), *sub, *a, *b;
	struct diag_list diags;
	struct source_dir *sd;
	struct source_files one, two;

	(void)state;
	assert_non_null(root);
	sub = xasprintf("%s/shop", root);
	assert_int_equal(mkdir(sub, 0755), 0);
	a = xasprintf("%s/a.yaml", sub);
	b = xasprintf("%s/b.yaml", sub);
	write_file(a, "kind: A\n");
	write_file(b, "kind: B\n");
	/* Files written within the timestamp granule are read again on
	 * every scan (dir.c, "racily clean"): let them age. */
	sleep(3);
	diag_list_init(&diags);
	assert_int_equal(source_dir_open(root, NULL, &sd, &diags), 0);
	diag_list_free(&diags);
	assert_int_equal(source_dir_scan(sd, &one), 0);
	assert_int_equal(source_dir_scan(sd, &two), 0);
	assert_int_equal(one.n, 2);
	assert_int_equal(two.n, 2);
	for (size_t i = 0; i < 2; i++) {
		/* Both lists hold the cache's bytes, not copies of them. */
		assert_non_null(one.files[i].blob);
		assert_ptr_equal(one.files[i].data, two.files[i].data);
		assert_string_equal(one.files[i].ns, "shop");
	}
	assert_string_equal(one.files[0].data, "kind: A\n");
	/* A list outlives the next scan and the source itself. */
	source_files_free(&two);
	write_file(a, "kind: C\n");
	assert_int_equal(source_dir_scan(sd, &two), 0);
	assert_string_equal(two.files[0].data, "kind: C\n");
	assert_string_equal(one.files[0].data, "kind: A\n");
	source_dir_close(sd);
	assert_string_equal(one.files[1].data, "kind: B\n");
	source_files_free(&one);
	source_files_free(&two);
	unlink(a);
	unlink(b);
	rmdir(sub);
	rmdir(root);
	free(a);
	free(b);
	free(sub);
}

/* --- arenas ----------------------------------------------------------------- */

static void
test_arena_mark_release(void **state)
{
	struct arena a;
	struct arena_mark m;
	char *keep, *p;
	size_t total, foot;

	(void)state;
	arena_init_sized(&a, 100);
	keep = arena_strdup(&a, "kept");
	m = arena_mark(&a);
	total = a.total;
	/* Small and big allocations, several blocks' worth. */
	for (int i = 0; i < 1000; i++) {
		p = arena_alloc(&a, 100);
		for (int k = 0; k < 100; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xff, 100);
	}
	p = arena_alloc_nozero(&a, 200000);
	memset(p, 0xff, 200000);
	assert_true(a.total > total + 300000);
	arena_release(&a, &m);
	assert_int_equal(a.total, total);
	assert_string_equal(keep, "kept");
	foot = arena_footprint(&a);
	/* Again: the spare block is reused, memory does not grow. */
	for (int round = 0; round < 3; round++) {
		m = arena_mark(&a);
		for (int i = 0; i < 1000; i++)
			assert_int_equal(((uintptr_t)arena_alloc(&a, 100 + i % 7)) % 16, 0);
		arena_release(&a, &m);
		assert_true(arena_footprint(&a) <= foot + 70000);
	}
	assert_string_equal(keep, "kept");
	arena_reset(&a);
	assert_int_equal(a.total, 0);
	assert_true(arena_footprint(&a) <= 70000);
	p = arena_printf(&a, "%s-%d", "x", 42);
	assert_string_equal(p, "x-42");
	p = arena_strndup(&a, "abcdef", 3);
	assert_string_equal(p, "abc");
	arena_free(&a);
	assert_int_equal(arena_footprint(&a), 0);
}

static void
test_arena_sized_growth(void **state)
{
	struct arena a;
	char big[300];

	(void)state;
	/* A small first block, doubling: 10 KiB take few blocks and little
	 * more than they need. */
	arena_init_sized(&a, 1024);
	for (int i = 0; i < 100; i++)
		arena_alloc(&a, 100);
	assert_true(arena_footprint(&a) < 3 * a.total);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	/* Longer than arena_printf's first try. */
	assert_int_equal(strlen(arena_printf(&a, "%s%s", big, big)), 2 * 299);
	arena_free(&a);
}

/* envoy.regex-max-program-size decides which regexes are refused: a
 * change of it (SIGHUP) rebuilds every group, so a proxy whose regex is
 * now too large is invalid at once, and valid again when it is raised. */
static void
test_regex_limit_change(void **state)
{
	struct tree t = { .n = 0 };
	struct cairn_config cfg;
	struct translate_options to;
	struct pipeline *p;
	struct source_files sf;
	struct build_result r;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	/* The 107-instruction regex of issue #16 (as sent, with its "^"). */
	tree_set(&t, "a/root.yaml", ROOT("a.example.com",
	    "  routes:\n    - conditions: [{regex: '/api/v[0-9]+/users/[^/]+/orders/"
	    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.*'}]\n"
	    "      services: [{name: web, port: 80}]\n"));
	tree_set(&t, "a/svc.yaml", SVC("web") "---\n" EPS("web", "10.0.1.1"));
	tree_set(&t, "b/root.yaml", ROOT("b.example.com", ROUTE("/", "web")));
	tree_set(&t, "b/svc.yaml", SVC("web") "---\n" EPS("web", "10.0.2.1"));
	p = pipeline_new(NULL);
	tree_files(&t, &sf);
	build_and_compare(p, &sf, &cfg, &to, "limit 1000");
	pipeline_build(p, &sf, &cfg, &to, &r);
	assert_int_equal(dag_count_status(r.dag, DAG_STATUS_INVALID), 0);
	build_result_free(&r);

	cfg.envoy.regex_max_program_size = 106;
	build_and_compare(p, &sf, &cfg, &to, "limit 106");
	assert_int_equal(pipeline_dag_stats(p).reused, 0);
	pipeline_build(p, &sf, &cfg, &to, &r);
	assert_int_equal(dag_count_status(r.dag, DAG_STATUS_INVALID), 1);
	build_result_free(&r);

	cfg.envoy.regex_max_program_size = 107;
	build_and_compare(p, &sf, &cfg, &to, "limit 107");
	assert_int_equal(pipeline_dag_stats(p).reused, 0);
	pipeline_build(p, &sf, &cfg, &to, &r);
	assert_int_equal(dag_count_status(r.dag, DAG_STATUS_INVALID), 0);
	build_result_free(&r);
	source_files_free(&sf);
	pipeline_free(p);
	config_free(&cfg);
}

/* Gateway API objects, JWT providers and ExtensionServices of several
 * golden cases in one tree (so they fall into several groups, no longer
 * one TLS group): each file removed, changed value by value and put
 * back, every build equal to one dag_build of the files in effect. */
static void
test_gateway_jwt_ext_tree(void **state)
{
	static const char *cases[] = { "gateway-httproute-simple",
	    "gateway-grpcroute", "gateway-httproute-reference-grant",
	    "gateway-httproute-weights", "gateway-status-reasons",
	    "gateway-class-not-served", "contour-jwt", "extauth",
	    "extension-service-options", "basic" };
	char *dir = golden_dir();
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files all = { 0 }, v;
	struct pipeline *p;
	size_t cap = 0, before;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	diag_list_init(&all.diags);
	all.revision = xstrdup("gw");
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char *input = xasprintf("%s/%s/input", dir, cases[c]);
		struct diag_list diags;
		struct source_dir *sd;
		struct source_files one;

		diag_list_init(&diags);
		if (source_dir_open(input, NULL, &sd, &diags) < 0)
			fail_msg("%s: cannot open", input);
		diag_list_free(&diags);
		assert_int_equal(source_dir_scan(sd, &one), 0);
		/* Each case in namespaces of its own ("c<n>-" before each
		 * name, in paths and in "namespace: " references), so the
		 * cases are independent groups unless grouping joins them. */
		for (size_t i = 0; i < one.n; i++) {
			const struct source_file *f = &one.files[i];
			struct source_file nf = { 0 };

			nf.path = xasprintf("c%zu-%s", c, f->path);
			nf.ns = xasprintf("c%zu-%s", c, f->ns);
			nf.data = with_namespaces(f->data, &one, c);
			nf.len = strlen(nf.data);
			nf.hash = hash_bytes(nf.data, nf.len);
			ARRAY_PUSH(all.files, all.n, cap, nf);
		}
		source_files_free(&one);
		source_dir_close(sd);
		free(input);
	}
	qsort(all.files, all.n, sizeof all.files[0], fixture_file_path_cmp);
	p = pipeline_new(NULL);
	build_and_compare(p, &all, &cfg, &to, "gateway tree");
	/* Gateways of one class are one group (the class says whether they
	 * are served); the JWT and ExtensionService cases have TLS hosts:
	 * two groups at least, no longer everything in the TLS group. */
	assert_true(pipeline_dag_stats(p).groups >= 2);
	before = groups_reused;
	build_and_compare(p, &all, &cfg, &to, "gateway tree");
	for (size_t i = 0; i < all.n; i++) {
		size_t nvalues = 0;

		files_variant(&v, &all, i, all.n, 0, 0);
		build_and_compare(p, &v, &cfg, &to, all.files[i].path);
		source_files_free(&v);
		build_and_compare(p, &all, &cfg, &to, "gateway tree");
		for (const char *q = all.files[i].data; (q = strstr(q, ": ")) != NULL;
		    q += 2)
			nvalues++;
		for (size_t nth = 0; nth < nvalues; nth++) {
			char *data;

			if (!alter_value(all.files[i].data, nth, &data))
				continue;
			files_with(&v, &all, i, data);
			build_and_compare(p, &v, &cfg, &to, all.files[i].path);
			source_files_free(&v);
		}
		build_and_compare(p, &all, &cfg, &to, "gateway tree");
	}
	/* With every Gateway API object in the TLS group (rebuilt by every
	 * build), nothing of this tree would ever be reused. */
	print_message("%zu groups reused in the gateway tree\n",
	    groups_reused - before);
	assert_true(groups_reused - before > all.n);
	pipeline_free(p);
	source_files_free(&all);
	config_free(&cfg);
	free(dir);
}

/* Route file i of test_gateway_kept_order: HTTPRoute named name, its
 * header value v. */
static void
kept_order_route(struct source_file *f, size_t i, const char *name,
    unsigned v)
{
	free(f->data);
	f->data = xasprintf("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: HTTPRoute\n"
	    "metadata: {name: %s}\n"
	    "spec:\n"
	    "  parentRefs: [{name: gw}]\n"
	    "  hostnames: [app-%zu.example.com]\n"
	    "  rules:\n"
	    "  - matches: [{headers: [{name: x-a, value: v%u}]}]\n"
	    "    backendRefs: [{name: web, port: 80}]\n", name, i, v);
	f->len = strlen(f->data);
	f->hash = hash_bytes(f->data, f->len);
}

/* The Gateway group's objects are put in order through the order the
 * last build kept (gw_memo_order_patch): a changed route takes its old
 * one's place at the cost of comparing it with its two neighbours; a
 * route renamed out of its place (past its right neighbour, onto a
 * route's name further right: DuplicateObject, which needs the
 * duplicates side by side) is sorted again. Each build equals a whole
 * one; a patch that skips the right neighbour fails it. */
static void
test_gateway_kept_order(void **state)
{
	const size_t nroutes = 64;
	const size_t first = 2; /* gatewayclass.yaml, infra/gateway.yaml */
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct {
		size_t route;
		const char *name;
		size_t most; /* comparisons, or SIZE_MAX: not counted */
	} steps[] = {
		{ 10, "r010", 2 },      /* content only */
		{ 10, "r200", SIZE_MAX }, /* past every other route */
		{ 10, "r011", SIZE_MAX }, /* its right neighbour's duplicate */
		{ 10, "r030", SIZE_MAX }, /* a duplicate further right */
		{ 10, "r010", SIZE_MAX }, /* back */
		{ 10, "r010", 2 },      /* content only again */
		{ 63, "r063", 2 },      /* the last one */
		{ 0, "r000", 2 },       /* the first one */
	};
	char name[16];

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	gateway_tree(&sf, nroutes);
	/* Names in the files' (path) order, so the group comes sorted. */
	for (size_t i = 0; i < nroutes; i++) {
		snprintf(name, sizeof name, "r%03zu", i);
		assert_true(strstr(sf.files[first + i].path, "route-") != NULL);
		kept_order_route(&sf.files[first + i], i, name, 0);
	}
	build_and_compare(p, &sf, &cfg, &to, "kept order: first build");
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		struct dag_cache_stats st;

		kept_order_route(&sf.files[first + steps[k].route],
		    steps[k].route, steps[k].name, (unsigned)k + 1);
		build_and_compare(p, &sf, &cfg, &to, steps[k].name);
		st = pipeline_dag_stats(p);
		print_message("kept order: route %zu as %s: %zu pairs compared\n",
		    steps[k].route, steps[k].name, st.gw_order_compared);
		if (steps[k].most != SIZE_MAX)
			assert_true(st.gw_order_compared <= steps[k].most);
		/* At least the changed route's neighbours. */
		assert_true(st.gw_order_compared >= 1);
	}
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* --- test_gateway_route_edits_random ------------------------------------- */

/* One route of the random walk below: absent or its file's contents. */
struct edit_route {
	bool present;
	unsigned name; /* r<name>: another route's number makes a duplicate */
	unsigned host; /* h<host>.example.com: routes share hosts */
	unsigned section; /* 0: none, 1: listener http, 2: listener alt */
	unsigned nrules; /* 1..3 */
	unsigned svc[3]; /* each rule's Service: 0..3 shared, 4 its own */
	bool mirror; /* the first rule mirrors to svc-3 */
	unsigned invalid; /* 0: valid, 1: an unknown Service, 2: a bad path */
	unsigned v; /* the header value */
};

#define EDIT_ROUTES 24
#define EDIT_HOSTS 6

/* dup[0]: a Service in a file after infra/services.yaml named own-<k>
 * (k = dup[0] / 2: shadowed by that one, DuplicateObject) when dup[0] is
 * even, own-<k>a (its right neighbour, no duplicate) when odd. dup[1]: a
 * Service in a file before it, own-<k + 1> (shadowing that one) or
 * own-<k>z (its left neighbour). */
static void
edit_tree(struct source_files *sf, const struct edit_route *rs,
    unsigned addr, const unsigned dup[2], unsigned alt_port, unsigned warn)
{
	struct source_file f = { 0 };
	struct strbuf sb = STRBUF_INIT;
	const char *sections[] = { "", ", sectionName: http",
	    ", sectionName: alt" };

	memset(sf, 0, sizeof *sf);
	diag_list_init(&sf->diags);
	sf->revision = xstrdup("edits");
	f.path = xstrdup("gatewayclass.yaml");
	f.data = xstrdup("apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: GatewayClass\n"
	    "metadata: {name: cairn}\n"
	    "spec: {controllerName: cairn.io/gateway-controller}\n");
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	strbuf_puts(&sb, "apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: Gateway\n"
	    "metadata: {name: gw}\n"
	    "spec:\n"
	    "  gatewayClassName: cairn\n"
	    "  listeners:\n"
	    "  - {name: http, port: 80, protocol: HTTP}\n");
	strbuf_printf(&sb, "  - {name: alt, port: %u, protocol: HTTP}\n",
	    alt_port);
	memset(&f, 0, sizeof f);
	f.path = xstrdup("infra/gateway.yaml");
	f.ns = xstrdup("infra");
	f.data = strbuf_detach(&sb, NULL);
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	/* svc-0..3 shared; svc-4 names each route's own, own-<route>. A
	 * file apart from the Gateway's: a change to it changes the
	 * namespace's context only. */
	for (int k = 0; k < 4 + EDIT_ROUTES; k++)
		strbuf_printf(&sb, "---\napiVersion: v1\nkind: Service\n"
		    "metadata: {name: %s-%d}\n"
		    "spec: {ports: [{name: http, port: 80}]}\n"
		    "---\napiVersion: v1\nkind: Endpoints\n"
		    "metadata: {name: %s-%d}\n"
		    "subsets: [{addresses: [{ip: 10.%u.0.%d}], "
		    "ports: [{name: http, port: 8080}]}]\n", k < 4 ? "svc" : "own",
		    k < 4 ? k : k - 4, k < 4 ? "svc" : "own", k < 4 ? k : k - 4,
		    k == 1 ? addr % 250 : 0, k + 1);
	memset(&f, 0, sizeof f);
	f.path = xstrdup("infra/services.yaml");
	f.ns = xstrdup("infra");
	f.data = strbuf_detach(&sb, NULL);
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	/* Toggling one keeps each Service at its sorted place: the kept
	 * order is patched, and its duplicate flags must follow. */
	for (int d = 0; d < 2; d++) {
		memset(&f, 0, sizeof f);
		f.path = xstrdup(d == 0 ? "infra/x-dup.yaml" : "infra/a-dup.yaml");
		f.ns = xstrdup("infra");
		f.data = xasprintf("apiVersion: v1\nkind: Service\n"
		    "metadata: {name: own-%u%s}\n"
		    "spec: {ports: [{name: http, port: 80}]}\n",
		    dup[d] / 2 + (d == 1 && dup[d] % 2 == 0),
		    dup[d] % 2 == 0 ? "" : d == 0 ? "a" : "z");
		ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	}
	/* A Service of its own file that its checks find clean, warn about
	 * (a bad annotation) or refuse (ExternalName, not allowed by
	 * default) by warn % 4: a Service kept clean is not checked again
	 * (services_build), one changed in place must be. At 3 the file
	 * holds a ConfigMap: an object of another kind at the same index
	 * of the group (gw_memo_kinds). */
	memset(&f, 0, sizeof f);
	f.path = xstrdup("infra/w-note.yaml");
	f.ns = xstrdup("infra");
	if (warn % 4 == 3)
		f.data = xstrdup("apiVersion: v1\nkind: ConfigMap\n"
		    "metadata: {name: own-2w}\ndata: {a: b}\n");
	else
		f.data = xasprintf("apiVersion: v1\nkind: Service\n"
		    "metadata: {name: own-2w, annotations: "
		    "{projectcontour.io/max-connections: \"%s\"}}\n"
		    "spec: {%sports: [{name: http, port: 80}]}\n",
		    warn % 4 == 1 ? "many" : "100", warn % 4 == 2 ?
		    "type: ExternalName, externalName: a.example, " : "");
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	for (size_t i = 0; i < EDIT_ROUTES; i++) {
		const struct edit_route *r = &rs[i];

		if (!r->present)
			continue;
		strbuf_printf(&sb, "apiVersion: gateway.networking.k8s.io/v1\n"
		    "kind: HTTPRoute\n"
		    "metadata: {name: r%u}\n"
		    "spec:\n"
		    "  parentRefs: [{name: gw%s}]\n"
		    "  hostnames: [h%u.example.com]\n"
		    "  rules:\n", r->name, sections[r->section], r->host);
		for (unsigned k = 0; k < r->nrules; k++) {
			strbuf_printf(&sb, "  - matches: [{path: {type: PathPrefix, "
			    "value: %sp%zu-%u}, headers: [{name: x-v, value: v%u}]}]\n",
			    r->invalid == 2 && k == 0 ? "" : "/", i, k, r->v);
			if (r->invalid == 1 && k == 0)
				strbuf_puts(&sb, "    backendRefs: [{name: missing, "
				    "port: 80}]\n");
			else if (r->svc[k] == 4)
				strbuf_printf(&sb, "    backendRefs: [{name: own-%zu, "
				    "port: 80}]\n", i);
			else
				strbuf_printf(&sb, "    backendRefs: [{name: svc-%u, "
				    "port: 80}]\n", r->svc[k]);
			if (r->mirror && k == 0)
				strbuf_puts(&sb, "    filters: [{type: RequestMirror, "
				    "requestMirror: {backendRef: {name: svc-3, "
				    "port: 80}}}]\n");
		}
		memset(&f, 0, sizeof f);
		f.path = xasprintf("infra/route-%03zu.yaml", i);
		f.ns = xstrdup("infra");
		f.data = strbuf_detach(&sb, NULL);
		ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
	}
	fixture_files_seal(sf);
}

static unsigned
edit_rand(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(*x >> 33);
}

/* Edit kind what (0..9: of route i alone) to rs. */
static void
edit_route_apply(struct edit_route *rs, size_t i, unsigned what, uint64_t *seed)
{
	struct edit_route *r = &rs[i];

	switch (what) {
	case 0:
		r->host = edit_rand(seed) % EDIT_HOSTS;
		break;
	case 1:
		if (r->nrules < 3)
			r->nrules++;
		break;
	case 2:
		if (r->nrules > 1)
			r->nrules--;
		break;
	case 3:
		r->section = (r->section + 1) % 3;
		break;
	case 4:
		r->name = r->name != i ? (unsigned)i :
		    rs[edit_rand(seed) % EDIT_ROUTES].name;
		break;
	case 5:
		r->invalid = r->invalid != 0 ? 0 : 1 + edit_rand(seed) % 2;
		break;
	case 6:
		r->svc[edit_rand(seed) % 3] = edit_rand(seed) % 5;
		break;
	case 7:
		r->mirror = !r->mirror;
		break;
	case 8:
		r->present = !r->present;
		break;
	default:
		r->v++;
		break;
	}
}

/* Random edits of one HTTPRoute at a time among routes that share hosts
 * and Services (so several routes make a cluster of one name): a
 * hostname changed, a rule added or removed, the route moved to another
 * listener, renamed onto another route's name and back, made invalid
 * (an unknown Service, a path the loader rejects) and valid again, its
 * Service or mirror changed, its file removed and added again; or a
 * Service made or unmade a duplicate of its neighbour in place, or made
 * clean, warned about or refused by its own checks, or replaced by a
 * ConfigMap (an object of another kind at its index). Each build equals a
 * fresh one (statuses included: kept places' statuses are made from the
 * kept order's keys), the Gateway's snapshot included: its view is
 * patched from the last translation (translate_gateway_view.c) and
 * checked against the whole view while CAIRN_TRANSLATE_VERIFY is set. */
static void
test_gateway_route_edits_random(void **state)
{
	struct edit_route rs[EDIT_ROUTES];
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p;
	int steps = fixture_sample_steps(140);
	unsigned addr = 0, dup[2] = { 11, 6 }, alt_port = 8080, warn = 0;
	size_t reused = 0, builds = 0, route_builds = 0, patched = 0;
	uint64_t seed = 0x5eed17;
	const char *verify = getenv("CAIRN_TRANSLATE_VERIFY");
	char *saved = verify != NULL ? xstrdup(verify) : NULL;

	(void)state;
	/* The pipeline's translate caches compare the patched view with
	 * the whole one (abort at a difference). */
	setenv("CAIRN_TRANSLATE_VERIFY", "1", 1);
	p = pipeline_new(NULL);
	config_init_defaults(&cfg);
	translate_options_init(&to);
	for (size_t i = 0; i < EDIT_ROUTES; i++) {
		rs[i] = (struct edit_route){ .present = true, .name = (unsigned)i,
		    .host = (unsigned)i % EDIT_HOSTS, .section = (unsigned)i % 3,
		    .nrules = 1 + (unsigned)i % 3, .v = 0 };
		for (int k = 0; k < 3; k++)
			rs[i].svc[k] = (unsigned)(i + (size_t)k) % 5;
		rs[i].mirror = i % 5 == 0;
	}
	edit_tree(&sf, rs, addr, dup, alt_port, warn);
	build_and_compare(p, &sf, &cfg, &to, "edits: first build");
	source_files_free(&sf);
	for (int step = 0; step < steps; step++) {
		size_t i = edit_rand(&seed) % EDIT_ROUTES;
		struct edit_route *r = &rs[i];
		unsigned what = edit_rand(&seed) % 15;
		char label[96];
		struct dag_cache_stats st;

		(void)r;
		switch (what) {
		case 10:
			/* A shared Service's Endpoints: the routes' context. */
			addr++;
			break;
		case 12: {
			/* A few routes at once (each edit as above). */
			unsigned n = 2 + edit_rand(&seed) % 3;

			for (unsigned k = 0; k < n; k++)
				edit_route_apply(rs, edit_rand(&seed) % EDIT_ROUTES,
				    edit_rand(&seed) % 10, &seed);
			break;
		}
		case 14:
			/* The checked Service clean, warned or refused, or
			 * a ConfigMap in its place. */
			warn++;
			break;
		case 13:
			/* The Gateway's second listener moved: no patch of
			 * the routes' part (the Gateway changed), the next
			 * build patches from this one. */
			alt_port = alt_port == 8080 ? 8081 : 8080;
			break;
		case 11: {
			/* Mostly a duplicate made or unmade in place. */
			unsigned d = edit_rand(&seed) % 2;

			dup[d] = edit_rand(&seed) % 4 != 0 ? dup[d] ^ 1 :
			    edit_rand(&seed) % (2 * EDIT_ROUTES);
			break;
		}
		default:
			edit_route_apply(rs, i, what, &seed);
			break;
		}
		edit_tree(&sf, rs, addr, dup, alt_port, warn);
		snprintf(label, sizeof label, "edits: step %d, route %zu, edit %u",
		    step, i, what);
		build_and_compare(p, &sf, &cfg, &to, label);
		source_files_free(&sf);
		/* The namespaces' contexts are the last build's patched
		 * (gw_contexts): a changed Endpoints of the routes' namespace
		 * makes every route resolve again. */
		st = pipeline_dag_stats(p);
		if (what == 10 && st.gw_routes_kept != 0)
			fail_msg("%s: %zu routes kept", label, st.gw_routes_kept);
		reused += st.gw_contexts_reused;
		builds += st.gw_routes_resolved > 0 || st.gw_routes_kept > 0;
		/* Routes edited (the Gateway and its Services not): the
		 * routes' part patched from the last build (gw_patch_begin),
		 * but after a Gateway change, which builds it whole. */
		if (what == 13 && st.gw_routes_patched != 0)
			fail_msg("%s: the routes' part patched", label);
		if ((what <= 9 || what == 12) && (st.gw_routes_resolved > 0 ||
		    st.gw_routes_kept > 0)) {
			route_builds++;
			patched += st.gw_routes_patched;
		}
	}
	print_message("edits: %zu of %zu builds of route edits patched the "
	    "routes' part\n", patched, route_builds);
	assert_true(patched * 10 >= route_builds * 8);
	/* An edit that changes nothing the Gateway's group reads (a route's
	 * file the loader rejects is kept as it was) builds nothing. */
	print_message("edits: %zu of %zu Gateway builds patched the "
	    "contexts\n", reused, builds);
	assert_true(reused * 10 >= builds * 9);
	pipeline_free(p);
	config_free(&cfg);
	if (saved != NULL)
		setenv("CAIRN_TRANSLATE_VERIFY", saved, 1);
	else
		unsetenv("CAIRN_TRANSLATE_VERIFY");
	free(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_mark_release),
		cmocka_unit_test(test_arena_sized_growth),
		cmocka_unit_test(test_source_shares_bytes),
		cmocka_unit_test(test_parallel_load_same_result),
		cmocka_unit_test(test_large_tree_incremental),
		cmocka_unit_test(test_patched_assembly_random),
		cmocka_unit_test(test_cache_verify_mode),
		cmocka_unit_test(test_cross_file_changes),
		cmocka_unit_test(test_tls_group_rebuilt),
		cmocka_unit_test(test_cache_matches_fresh_translation),
		cmocka_unit_test(test_verify_keys_of_changed_cases),
		cmocka_unit_test(test_gateway_jwt_ext_tree),
		cmocka_unit_test(test_gateway_route_change_kept),
		cmocka_unit_test(test_gateway_many_backends),
		cmocka_unit_test(test_gateway_proxyless_targets_in_order),
		cmocka_unit_test(test_gateway_status_record_patched),
		cmocka_unit_test(test_gateway_route_resolutions_kept),
		cmocka_unit_test(test_gateway_cache_verify_mode),
		cmocka_unit_test(test_regex_limit_change),
		cmocka_unit_test(test_object_keys_cover_golden_lookups),
		cmocka_unit_test(test_gateway_kept_order),
		cmocka_unit_test(test_gateway_route_edits_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
