/* The admin server's shared state: what the watch thread publishes and
 * what each request reads, exchanged under one mutex that is never held
 * while rendering or calling out. */
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "dag/dag.h"
#include "diff/diff.h"
#include "load/objects.h"
#include "pipeline.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"

static const double histogram_bounds[ADMIN_HISTOGRAM_NBOUNDS] = ADMIN_HISTOGRAM_BOUNDS;

void
admin_histogram_observe(struct admin_histogram *h, double v)
{
	size_t i = 0;

	while (i < ADMIN_HISTOGRAM_NBOUNDS && v > histogram_bounds[i])
		i++;
	h->counts[i]++;
	h->count++;
	h->sum += v;
}

static int
kind_count_cmp(const void *a, const void *b)
{
	return strcmp(((const struct admin_kind_count *)a)->kind,
	    ((const struct admin_kind_count *)b)->kind);
}

/* The count of kind in v, added (all 0) when v has none yet. kcap:
 * capacity of v->kinds. */
static struct admin_kind_count *
admin_view_kind(struct admin_view *v, size_t *kcap, const char *kind)
{
	struct admin_kind_count *k;

	for (size_t j = 0; j < v->nkinds; j++)
		if (strcmp(v->kinds[j].kind, kind) == 0)
			return &v->kinds[j];
	ARRAY_RESERVE(v->kinds, v->nkinds, *kcap);
	k = &v->kinds[v->nkinds++];
	memset(k, 0, sizeof *k);
	k->kind = xstrdup(kind);
	return k;
}

/* A Secret's certificate expiry. */
static void
admin_view_add_cert(struct admin_view *v, const char *ns, const char *name,
    int64_t not_after)
{
	size_t ccap = v->ncerts; /* grows one at a time: Secrets are few */

	ARRAY_RESERVE(v->certs, v->ncerts, ccap);
	v->certs[v->ncerts++] = (struct admin_cert){ xstrdup(ns ? ns : ""),
		xstrdup(name ? name : ""), not_after };
}

/* One object of the report: its kind's count, and its certificate's
 * expiry when it has one. kcap: capacity of v->kinds. */
static void
admin_view_count_object(struct admin_view *v, size_t *kcap, const char *kind,
    const char *status, const char *ns, const char *name, int64_t not_after)
{
	struct admin_kind_count *k = admin_view_kind(v, kcap, kind);

	if (strcmp(status, "valid") == 0)
		k->valid++;
	else if (strcmp(status, "invalid") == 0)
		k->invalid++;
	else if (strcmp(status, "orphaned") == 0)
		k->orphaned++;
	if (not_after != 0 && strcmp(kind, "Secret") == 0)
		admin_view_add_cert(v, ns, name, not_after);
}

/* Objects by kind and status, and the files in error, from the report's
 * "objects" and "files" arrays (a view published with its report). */
static void
admin_view_count_json(struct admin_view *v)
{
	json_t *objects = json_object_get(v->status, "objects");
	json_t *files = json_object_get(v->status, "files");
	size_t cap = 0, i;
	json_t *o;

	json_array_foreach(objects, i, o) {
		const char *kind = json_string_value(json_object_get(o, "kind"));
		const char *status = json_string_value(json_object_get(o, "status"));
		json_t *na = json_object_get(o, "not_after");

		if (kind == NULL || status == NULL)
			continue;
		admin_view_count_object(v, &cap, kind, status,
		    json_string_value(json_object_get(o, "namespace")),
		    json_string_value(json_object_get(o, "name")),
		    json_is_integer(na) ? (int64_t)json_integer_value(na) : 0);
	}
	json_array_foreach(files, i, o) {
		const char *state = json_string_value(json_object_get(o, "state"));

		if (state != NULL && strcmp(state, "ok") != 0)
			v->file_errors++;
	}
}

/* The Secrets of span with a certificate, in the order report_json()
 * lists them. */
static void
admin_view_count_certs(struct admin_view *v, const struct dag_status_span *span)
{
	for (size_t i = 0; i < span->n; i++) {
		const struct dag_object_status *st = &span->s[i];

		if (st->kind == OBJ_SECRET && st->not_after != 0)
			admin_view_add_cert(v, st->namespace, st->name,
			    st->not_after);
	}
}

/* The kinds present in t, counted by status. kcap: capacity of v->kinds. */
static void
admin_view_count_tally(struct admin_view *v, size_t *kcap,
    const struct dag_status_tally *t)
{
	for (int k = 0; k < OBJ_KIND_COUNT; k++) {
		const uint32_t *n = t->by_kind[k];
		struct admin_kind_count *kc;

		if (n[DAG_STATUS_VALID] + n[DAG_STATUS_INVALID] +
		    n[DAG_STATUS_ORPHANED] == 0)
			continue;
		kc = admin_view_kind(v, kcap, obj_kind_name(k));
		kc->valid += n[DAG_STATUS_VALID];
		kc->invalid += n[DAG_STATUS_INVALID];
		kc->orphaned += n[DAG_STATUS_ORPHANED];
	}
}

/* The same straight from the build, without rendering its report: what
 * report_json() would say (report.c). A change costs what it changed: an
 * assembled DAG's status chunks carry their counts by kind and status
 * from when they were made (shared, unchanged, with the last build), so
 * this sums them and reads the statuses of the chunks with certificates
 * only; the file rows in error are the pipeline's kept totals. */
static void
admin_view_count_build(struct admin_view *v, const struct build_result *r)
{
	struct dag_status_tally sum = { 0 };
	struct dag_status_span span;
	size_t cap = 0;

	for (size_t c = 0; dag_status_span_at(r->dag, c, &span); c++) {
		struct dag_status_tally own = { 0 };
		const struct dag_status_tally *t = span.tally;

		if (t == NULL) { /* a DAG built whole: count it here */
			dag_status_tally_add(&own, span.s, span.n);
			t = &own;
		}
		for (int k = 0; k < OBJ_KIND_COUNT; k++)
			for (int st = 0; st < DAG_NSTATUSES; st++)
				sum.by_kind[k][st] += t->by_kind[k][st];
		if (t->ncerts > 0)
			admin_view_count_certs(v, &span);
	}
	admin_view_count_tally(v, &cap, &sum);
	v->file_errors = r->nrestored + r->nserving_previous + r->nfailed;
}

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

struct admin_view *
admin_view_new(const struct admin_build_info *info, uint64_t rebuilds,
    const struct admin_histogram *h)
{
	struct admin_view *v = xcalloc(1, sizeof *v);

	atomic_init(&v->refs, 1);
	pthread_mutex_init(&v->render_mu, NULL);
	v->lazy = info->build != NULL && info->status == NULL;
	v->build_id = info->build_id;
	if (!v->lazy) {
		v->status = info->status ? json_incref(info->status) : json_object();
		v->dot = info->dot ? xstrdup(info->dot) : NULL;
	}
	v->snapshot = info->snapshot ? snapshot_ref(info->snapshot) : NULL;
	v->revision = dup_or_empty(info->revision);
	v->source_kind = dup_or_empty(info->source_kind);
	v->source_location = dup_or_empty(info->source_location);
	v->branch = dup_or_empty(info->branch);
	v->subject = dup_or_empty(info->subject);
	v->duration_seconds = info->duration_seconds;
	v->finished_unix = info->finished_unix;
	v->rebuilds = rebuilds;
	v->histogram = *h;
	if (v->lazy)
		admin_view_count_build(v, info->build);
	else
		admin_view_count_json(v);
	if (v->nkinds > 1)
		qsort(v->kinds, v->nkinds, sizeof *v->kinds, kind_count_cmp);
	return v;
}

struct admin_view *
admin_view_ref(struct admin_view *v)
{
	if (v != NULL)
		atomic_fetch_add(&v->refs, 1);
	return v;
}

void
admin_view_unref(struct admin_view *v)
{
	if (v == NULL || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	json_decref(v->status);
	snapshot_unref(v->snapshot);
	free(v->dot);
	free(v->revision);
	free(v->source_kind);
	free(v->source_location);
	free(v->branch);
	free(v->subject);
	for (size_t i = 0; i < v->nkinds; i++)
		free(v->kinds[i].kind);
	free(v->kinds);
	for (size_t i = 0; i < v->ncerts; i++) {
		free(v->certs[i].namespace);
		free(v->certs[i].name);
	}
	free(v->certs);
	pthread_mutex_destroy(&v->render_mu);
	free(v);
}

struct admin_server *
admin_server_new(void)
{
	struct admin_server *s = xcalloc(1, sizeof *s);

	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->ready, false);
	atomic_init(&s->renders_status, 0);
	atomic_init(&s->renders_dot, 0);
	return s;
}

void
admin_server_free(struct admin_server *s)
{
	if (s == NULL)
		return;
	admin_view_unref(s->view);
	free((char *)s->fetch.last_error);
	diff_change_unref(s->last_change);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* The setters and publish accept NULL (admin disabled), so callers need
 * no checks of their own. */
void
admin_server_set_ready(struct admin_server *s, bool ready)
{
	if (s == NULL)
		return;
	atomic_store(&s->ready, ready);
}

void
admin_server_publish(struct admin_server *s, const struct admin_build_info *info)
{
	struct admin_view *v, *old;
	struct admin_histogram h;
	uint64_t rebuilds;

	if (s == NULL)
		return;
	/* The counters are the publisher's; copy them under the lock, build
	 * the view outside it, then swap. */
	pthread_mutex_lock(&s->mu);
	s->rebuilds++;
	admin_histogram_observe(&s->histogram, info->duration_seconds);
	rebuilds = s->rebuilds;
	h = s->histogram;
	pthread_mutex_unlock(&s->mu);

	v = admin_view_new(info, rebuilds, &h);

	pthread_mutex_lock(&s->mu);
	old = s->view;
	s->view = v;
	pthread_mutex_unlock(&s->mu);
	admin_view_unref(old);
}

void
admin_server_set_refresh_cb(struct admin_server *s, void (*cb)(void *), void *arg)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->refresh_cb = cb;
	s->refresh_arg = arg;
	pthread_mutex_unlock(&s->mu);
}

void
admin_server_set_renderer(struct admin_server *s, const struct admin_renderer *r)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->renderer = *r;
	pthread_mutex_unlock(&s->mu);
}

void
admin_server_set_fetch(struct admin_server *s, const struct admin_fetch_info *f)
{
	char *err, *old;

	if (s == NULL)
		return;
	err = f->last_error ? xstrdup(f->last_error) : NULL;
	pthread_mutex_lock(&s->mu);
	old = (char *)s->fetch.last_error;
	s->fetch = *f;
	s->fetch.last_error = err;
	s->have_fetch = true;
	pthread_mutex_unlock(&s->mu);
	free(old);
}

void
admin_server_set_change(struct admin_server *s, struct diff_change *c)
{
	struct diff_change *old;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	old = s->last_change;
	s->last_change = diff_change_ref(c);
	pthread_mutex_unlock(&s->mu);
	diff_change_unref(old);
}

void
admin_server_set_ads(struct admin_server *s, struct ads_server *ads)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->ads = ads;
	pthread_mutex_unlock(&s->mu);
}

void
admin_server_set_nodes_cb(struct admin_server *s, json_t *(*cb)(void *), void *arg)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->nodes_cb = cb;
	s->nodes_arg = arg;
	pthread_mutex_unlock(&s->mu);
}

/* Fills a lazy view's report and dot on first use. false: the owner has
 * a newer build than this view (it is being published). Concurrent
 * requests for one view render once: the second waits for the first. */
static bool
admin_view_render(struct admin_server *s, struct admin_view *v,
    const struct admin_renderer *r, unsigned want)
{
	bool ok = true;

	if (!v->lazy)
		return true;
	pthread_mutex_lock(&v->render_mu);
	if ((want & ADMIN_WANT_STATUS) && v->status == NULL) {
		v->status = r->status ? r->status(r->arg, v->build_id) : NULL;
		if (v->status != NULL)
			atomic_fetch_add(&s->renders_status, 1);
		else
			ok = false;
	}
	if (ok && (want & ADMIN_WANT_DOT) && v->dot == NULL) {
		v->dot = r->dot ? r->dot(r->arg, v->build_id) : NULL;
		if (v->dot != NULL)
			atomic_fetch_add(&s->renders_dot, 1);
		else
			ok = false;
	}
	pthread_mutex_unlock(&v->render_mu);
	return ok;
}

/* The view (a reference) and, when asked, its renderings. A build that
 * went away under us means a newer view is published: take that one. */
static void
admin_state_view(struct admin_server *s, unsigned want, struct admin_state *out)
{
	struct admin_renderer r;

	for (int tries = 0; tries < 5; tries++) {
		pthread_mutex_lock(&s->mu);
		out->view = admin_view_ref(s->view);
		r = s->renderer;
		pthread_mutex_unlock(&s->mu);
		if (out->view == NULL || admin_view_render(s, out->view, &r, want))
			break;
		admin_view_unref(out->view);
		out->view = NULL;
	}
	out->status = out->view && out->view->status ?
	    json_incref(out->view->status) : json_object();
	out->dot = out->view ? out->view->dot : NULL;
}

void
admin_state_get(struct admin_server *s, unsigned want, struct admin_state *out)
{
	struct ads_server *ads;
	json_t *(*nodes_cb)(void *);
	void *nodes_arg;

	memset(out, 0, sizeof *out);
	out->ready = atomic_load(&s->ready);
	admin_state_view(s, want, out);
	pthread_mutex_lock(&s->mu);
	out->refresh_cb = s->refresh_cb;
	out->refresh_arg = s->refresh_arg;
	out->have_fetch = s->have_fetch;
	out->fetch = s->fetch;
	if (s->fetch.last_error != NULL)
		out->fetch.last_error = xstrdup(s->fetch.last_error);
	out->change = diff_change_ref(s->last_change);
	ads = s->ads;
	nodes_cb = s->nodes_cb;
	nodes_arg = s->nodes_arg;
	pthread_mutex_unlock(&s->mu);
	out->renders_status = atomic_load(&s->renders_status);
	out->renders_dot = atomic_load(&s->renders_dot);
	/* Calls out happen without our lock: they take their own. */
	if (ads != NULL) {
		ads_server_stats(ads, &out->ads);
		out->have_ads = true;
	}
	if ((want & ADMIN_WANT_NODES) && nodes_cb != NULL)
		out->nodes = nodes_cb(nodes_arg);
	if (!json_is_array(out->nodes)) {
		json_decref(out->nodes);
		out->nodes = json_array();
	}
}

void
admin_state_release(struct admin_state *st)
{
	admin_view_unref(st->view);
	json_decref(st->status);
	json_decref(st->nodes);
	diff_change_unref(st->change);
	free((char *)st->fetch.last_error);
	memset(st, 0, sizeof *st);
}
